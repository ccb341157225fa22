#include "core/span_json.h"

#include <fmt/format.h>

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
    case BEYLA_PROTO_HTTP1: return "http";
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

} // namespace

void span_to_json(const beyla_span &s, std::string &out) {
    auto it = std::back_inserter(out);
    fmt::format_to(it, "{{\"kind\":\"{}\",\"protocol\":\"{}\",\"start_time_unix_nano\":{},"
                       "\"end_time_unix_nano\":{},\"duration_ns\":{},\"process.pid\":{},\"thread.id\":{},"
                       "\"process.executable.name\":\"",
                   span_kind_name(s.kind), protocol_name(s.protocol), s.start_time_unix_nano,
                   s.end_time_unix_nano,
                   s.end_time_unix_nano >= s.start_time_unix_nano ? s.end_time_unix_nano - s.start_time_unix_nano
                                                                  : 0,
                   s.pid, s.tid);
    append_escaped(out, s.exe ? s.exe : "");
    out.push_back('"');
    for (size_t i = 0; i < s.attr_count; i++) {
        const beyla_attr &a = s.attrs[i];
        if (!a.key) continue;
        out += ",\"";
        append_escaped(out, a.key);
        out += "\":";
        if (a.type == BEYLA_ATTR_INT) {
            fmt::format_to(it, "{}", a.num);
        } else {
            out.push_back('"');
            append_escaped(out, a.str ? a.str : "");
            out.push_back('"');
        }
    }
    out.push_back('}');
}

} // namespace beyla
