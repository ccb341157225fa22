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

void span_to_json(const beyla_span &s, std::string &out) {
    auto it = std::back_inserter(out);
    fmt::format_to(it, "{{\"kind\":\"{}\",\"protocol\":\"{}\",\"start_time_unix_nano\":{},"
                       "\"end_time_unix_nano\":{},\"duration_ns\":{},\"process.pid\":{},\"thread.id\":{},"
                       "\"process.executable.name\":\"{}\"",
                   span_kind_name(s.kind), protocol_name(s.protocol), s.start_time_unix_nano,
                   s.end_time_unix_nano,
                   s.end_time_unix_nano >= s.start_time_unix_nano ? s.end_time_unix_nano - s.start_time_unix_nano
                                                                  : 0,
                   s.pid, s.tid, json_escape(s.exe ? s.exe : ""));
    for (size_t i = 0; i < s.attr_count; i++) {
        const beyla_attr &a = s.attrs[i];
        if (!a.key) continue;
        if (a.type == BEYLA_ATTR_INT)
            fmt::format_to(it, ",\"{}\":{}", json_escape(a.key), a.num);
        else
            fmt::format_to(it, ",\"{}\":\"{}\"", json_escape(a.key), json_escape(a.str ? a.str : ""));
    }
    out.push_back('}');
}

} // namespace beyla
