// Feeds an HTTP/2 Connection and keeps copies of what it produces.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "beyla/beyla.h"
#include "http2_frames.h"
#include "protocols/http2/connection.h"

namespace beyla::test::h2 {

struct Ex {
    int protocol = 0;
    std::string method, path, query, version, error;
    bool has_query = false, incomplete = false;
    int status = -1;
    int64_t req_body = -1, resp_body = -1;
    uint64_t ts_begin = 0, ts_end = 0;
    std::map<std::string, std::string> attrs; // ints as decimal text
    bool has(const std::string &k) const { return attrs.count(k) > 0; }
};

struct Harness {
    explicit Harness(protocols::Role role = protocols::Role::kServer, http2::ConnectionLimits lim = {})
        : conn(role, lim) {}
    http2::Connection conn;
    std::vector<Ex> out;
    uint64_t ts = 1000;

    void feed(protocols::Direction d, const std::string &bytes, uint64_t total = 0) {
        protocols::DataChunk c;
        c.ts_begin = ts;
        c.ts_end = ts + 10;
        ts += 100;
        c.captured = {reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()};
        c.total = total ? total : bytes.size();
        conn.add(d, c);
        collect();
    }
    void in(const std::string &b, uint64_t total = 0) { feed(protocols::Direction::kIngress, b, total); }
    void eg(const std::string &b, uint64_t total = 0) { feed(protocols::Direction::kEgress, b, total); }
    void collect() {
        conn.drain([&](const protocols::Exchange &e) {
            Ex x;
            x.protocol = e.protocol;
            x.method = e.method;
            x.path = e.path;
            x.query = e.query;
            x.version = e.version;
            x.error = e.error_type;
            x.has_query = e.has_query;
            x.incomplete = e.incomplete;
            x.status = e.status;
            x.req_body = e.req_body;
            x.resp_body = e.resp_body;
            x.ts_begin = e.ts_begin;
            x.ts_end = e.ts_end;
            for (const auto &a : e.attrs)
                x.attrs[a.key] = a.is_int ? std::to_string(a.num) : std::string(a.str);
            out.push_back(x);
        });
    }
    void close() {
        conn.close(ts);
        collect();
    }
};

// A server's view of a connection's start: the client preface and SETTINGS read, the
// server's SETTINGS written.
inline void start_server(Harness &h) {
    h.in(preface() + settings({{0x3, 100}, {0x4, 65535}}));
    h.eg(settings({{0x3, 250}}) + settings_ack());
    h.in(settings_ack());
}

} // namespace beyla::test::h2
