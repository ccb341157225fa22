#include "core/span_json.h"

#include <charconv>
#include <cstddef>

#include "common/json.h"

namespace beyla {

const char *span_kind_name(int kind) {
    switch (kind) {
    case BEYLA_SPAN_SERVER: return "server";
    case BEYLA_SPAN_CLIENT: return "client";
    default: return "unknown";
    }
}

const char *protocol_name(int protocol) {
    switch (protocol) {
    case BEYLA_PROTO_HTTP1:
    case BEYLA_PROTO_HTTP2: return "http";
    case BEYLA_PROTO_GRPC: return "grpc";
    case BEYLA_PROTO_POSTGRESQL: return "postgresql";
    case BEYLA_PROTO_MYSQL: return "mysql";
    case BEYLA_PROTO_REDIS: return "redis";
    case BEYLA_PROTO_MEMCACHED: return "memcached";
    case BEYLA_PROTO_DNS: return "dns";
    default: return "unknown";
    }
}

namespace {

bool plain_json(unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

// Appends s escaped for JSON. Runs of printable ASCII, nearly all of a span, are copied as
// they are; only the other runs go through json_escape (which would allocate per string).
// A run of non-plain bytes holds whole UTF-8 sequences, so the result is json_escape(s).
void append_escaped(std::string &out, std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        size_t j = i;
        while (j < s.size() && plain_json(static_cast<unsigned char>(s[j]))) j++;
        out.append(s.data() + i, j - i);
        size_t k = j;
        while (k < s.size() && !plain_json(static_cast<unsigned char>(s[k]))) k++;
        if (k > j) out += json_escape(s.substr(j, k - j));
        i = k;
    }
}

void append_hex(std::string &out, const uint8_t *b, size_t n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out.push_back(kDigits[b[i] >> 4]);
        out.push_back(kDigits[b[i] & 15]);
    }
}

template <typename T> void append_number(std::string &out, T v) {
    char tmp[24];
    auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
    out.append(tmp, r.ptr);
}

} // namespace

void span_to_json(const beyla_span &s, std::string &out) {
    // Plain appends and to_chars: a format string parsed per span was a tenth of the CLI's
    // time at load.
    out += "{\"kind\":\"";
    out += span_kind_name(s.kind);
    out += "\",\"protocol\":\"";
    out += protocol_name(s.protocol);
    // A span built by an older caller (smaller sz) carries no ids: the keys are left out.
    if (s.sz >= offsetof(beyla_span, span_id) + sizeof(s.span_id)) {
        out += "\",\"trace_id\":\"";
        append_hex(out, s.trace_id, sizeof(s.trace_id));
        out += "\",\"span_id\":\"";
        append_hex(out, s.span_id, sizeof(s.span_id));
    }
    out += "\",\"start_time_unix_nano\":";
    append_number(out, s.start_time_unix_nano);
    out += ",\"end_time_unix_nano\":";
    append_number(out, s.end_time_unix_nano);
    out += ",\"duration_ns\":";
    append_number(out, s.end_time_unix_nano >= s.start_time_unix_nano ? s.end_time_unix_nano - s.start_time_unix_nano
                                                                       : uint64_t{0});
    out += ",\"process.pid\":";
    append_number(out, s.pid);
    out += ",\"thread.id\":";
    append_number(out, s.tid);
    out += ",\"process.executable.name\":\"";
    append_escaped(out, s.exe ? s.exe : "");
    out.push_back('"');
    for (size_t i = 0; i < s.attr_count; i++) {
        const beyla_attr &a = s.attrs[i];
        if (!a.key) continue;
        out += ",\"";
        append_escaped(out, a.key);
        out += "\":";
        if (a.type == BEYLA_ATTR_INT) {
            append_number(out, a.num);
        } else {
            out.push_back('"');
            append_escaped(out, a.str ? a.str : "");
            out.push_back('"');
        }
    }
    out.push_back('}');
}

} // namespace beyla
