// Spans built by hand for the metrics tests: attribute keys are literals, as the span
// builder's are.
#pragma once

#include <string>
#include <vector>

#include "beyla/beyla.h"

namespace beyla::test {

struct HandSpan {
    std::vector<beyla_attr> attrs;
    std::vector<std::string> strs; // storage, reserved so attrs' pointers stay
    beyla_span span{};
    HandSpan(int protocol, int kind, uint32_t pid, const char *exe, uint64_t start, uint64_t end) {
        strs.reserve(32);
        span.sz = sizeof(span);
        span.protocol = protocol;
        span.kind = kind;
        span.pid = pid;
        span.exe = exe;
        span.start_time_unix_nano = start;
        span.end_time_unix_nano = end;
        span.status = -1;
    }
    HandSpan &str(const char *key, std::string v) {
        strs.push_back(std::move(v));
        attrs.push_back({key, BEYLA_ATTR_STRING, strs.back().c_str(), 0});
        return *this;
    }
    HandSpan &num(const char *key, int64_t v) {
        attrs.push_back({key, BEYLA_ATTR_INT, nullptr, v});
        return *this;
    }
    const beyla_span &get() {
        span.attrs = attrs.data();
        span.attr_count = attrs.size();
        return span;
    }
};

// An HTTP/1 server span of nginx (pid) taking dur_ns.
inline HandSpan http_server(uint32_t pid, const char *method, const std::string &path, int status,
                            uint64_t dur_ns, int64_t resp_body = -1,
                            uint64_t start = 1'700'000'000'000'000'000ULL) {
    HandSpan s(BEYLA_PROTO_HTTP1, BEYLA_SPAN_SERVER, pid, "nginx", start, start + dur_ns);
    s.str("http.request.method", method).str("url.path", path).num("http.response.status_code", status);
    s.str("server.address", "127.0.0.1").num("server.port", 8080).str("client.address", "127.0.0.1");
    s.num("client.port", 40000).str("network.protocol.version", "1.1");
    if (resp_body >= 0) s.num("http.response.body.size", resp_body);
    return s;
}

} // namespace beyla::test
