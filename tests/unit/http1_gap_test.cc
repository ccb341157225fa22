// Uncaptured bytes, non-HTTP traffic and resource bounds.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/http1/stitcher.h"

using namespace beyla::http1;

namespace {

struct Wire {
    Connection conn;
    uint64_t t = 1000;
    explicit Wire(Role role = Role::kServer, const ConnectionLimits &limits = {}) : conn(role, limits) {}

    // captured = the first `captured` bytes of s; total = s.size() + extra (uncaptured).
    uint64_t send(Direction d, std::string_view s, uint64_t extra = 0) {
        const uint64_t ts = t;
        t += 10;
        conn.add(
            d,
            DataChunk{ts, ts + 5, {reinterpret_cast<const uint8_t *>(s.data()), s.size()}, s.size() + extra});
        return ts;
    }
    uint64_t in(std::string_view s, uint64_t extra = 0) { return send(Direction::kIngress, s, extra); }
    uint64_t out(std::string_view s, uint64_t extra = 0) { return send(Direction::kEgress, s, extra); }
    std::vector<Record> take() { return conn.take(); }
    const ConnectionCounters &c() const { return conn.counters(); }

    // One plain exchange; true when it produced exactly the expected record.
    bool exchange(const std::string &path) {
        in("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n");
        out("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        auto recs = take();
        return recs.size() == 1 && recs[0].req.path == path && recs[0].resp.body_size == 2;
    }
};

} // namespace

TEST_CASE("http1 content-length body through a gap", "[http1]") {
    SECTION("large upload, 4096 bytes captured") {
        Wire w;
        const std::string head = "POST /upload HTTP/1.1\r\nContent-Length: 100000\r\n\r\n";
        // One syscall moved the head and the whole body; the kernel copied 4096 bytes.
        const std::string captured = head + std::string(4096 - head.size(), 'd');
        const uint64_t t_req = w.in(captured, head.size() + 100000 - captured.size());
        w.out("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        auto recs = w.take();
        REQUIRE(recs.size() == 1);
        CHECK(recs[0].req.body_size == 100000);
        CHECK(recs[0].req.content_length == 100000);
        CHECK(recs[0].req.body_truncated);
        CHECK(recs[0].req.ts_begin == t_req);
        CHECK(recs[0].req.ts_end == t_req + 5);
        CHECK_FALSE(recs[0].resp.body_truncated);
        CHECK(w.exchange("/next"));
        CHECK(w.c().parse_errors == 0);
    }
    SECTION("large download over several reads") {
        Wire w;
        w.in("GET /big HTTP/1.1\r\n\r\n");
        const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
        w.out(head + std::string(4096 - head.size(), 'x'), 60000 - 4096);
        CHECK(w.conn.ready() == 0);
        const uint64_t t_last = w.out(std::string(4096, 'y'), 100000 + head.size() - 60000 - 4096);
        auto recs = w.take();
        REQUIRE(recs.size() == 1);
        CHECK(recs[0].resp.body_size == 100000);
        CHECK(recs[0].resp.ts_end == t_last + 5);
        CHECK(w.exchange("/after"));
    }
    SECTION("sendfile: the body is a byte count only") {
        Wire w;
        w.in("GET /file.bin HTTP/1.1\r\n\r\n");
        w.out("HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n");
        const uint64_t t_file = w.out("", 1048576); // captured 0, total 1 MiB
        auto recs = w.take();
        REQUIRE(recs.size() == 1);
        CHECK(recs[0].resp.body_size == 1048576);
        CHECK(recs[0].resp.body_truncated);
        CHECK(recs[0].resp.ts_end == t_file + 5);
        CHECK(w.exchange("/next"));
        CHECK(w.c().parse_errors == 0);
    }
    SECTION("chunk data through a gap is fine") {
        Wire w;
        w.in("GET /c HTTP/1.1\r\n\r\n");
        w.out("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2710\r\nabc", 10000 - 3);
        w.out("\r\n0\r\n\r\n");
        auto recs = w.take();
        REQUIRE(recs.size() == 1);
        CHECK(recs[0].resp.body_size == 10000);
        CHECK(recs[0].resp.body_truncated);
    }
}

TEST_CASE("http1 a gap inside chunked framing resyncs on the next message", "[http1]") {
    Wire w;
    w.in("GET /chunked HTTP/1.1\r\n\r\n");
    // A 4 KiB chunk then more chunks, but only the first 200 bytes are captured: the gap
    // swallows the chunk-size lines that follow.
    const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n";
    w.out(head + std::string(200 - head.size(), 'z'), 3 * 4096);
    CHECK(w.c().invalid_frames == 1);
    w.out("0\r\n\r\n"); // the tail of that response, in its own write: not a message start
    CHECK(w.take().empty());
    CHECK(w.c().invalid_frames == 2);
    CHECK(w.c().parse_errors > 0);
    // The next exchange parses; the lost response's request is given up as unmatched.
    CHECK(w.exchange("/next"));
    CHECK(w.c().unmatched == 1);
    CHECK(w.exchange("/again"));
    CHECK_FALSE(w.conn.non_http());
}

TEST_CASE("http1 a chunk-size line cut by a gap loses the framing", "[http1]") {
    Wire w;
    w.in("GET /c HTTP/1.1\r\n\r\n");
    // The capture ends inside "100\r\n": waiting would never complete the line.
    w.out("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n10", 1000);
    CHECK(w.c().invalid_frames == 1);
    CHECK(w.take().empty());
    CHECK(w.exchange("/next"));
}

TEST_CASE("http1 a gap inside the head", "[http1]") {
    Wire w;
    // After the request line: the request ends with that read (tests/unit/http1_big_head_test.cc).
    w.in("GET /x HTTP/1.1\r\nHost: a", 100);
    CHECK(w.c().invalid_frames == 0);
    w.out("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    auto recs = w.take();
    REQUIRE(recs.size() == 1);
    CHECK(recs[0].req.path == "/x");
    // Inside the request line: nothing says what it was.
    w.in("GET /y HTTP/1", 100);
    CHECK(w.c().invalid_frames == 1);
    CHECK(w.exchange("/y"));
    w.in("", 500); // a byte-count-only chunk where a request should start
    CHECK(w.exchange("/z"));
    CHECK(w.c().parse_errors == std::string_view("GET /y HTTP/1").size() + 100 + 500);
}

TEST_CASE("http1 garbage never becomes a record", "[http1]") {
    SECTION("random bytes") {
        std::mt19937 rng(12345);
        for (int round = 0; round < 200; round++) {
            Connection c(static_cast<Role>(round % 3));
            for (int k = 0; k < 8; k++) {
                std::string junk(1 + rng() % 700, '\0');
                for (auto &ch : junk) ch = static_cast<char>(rng());
                const auto dir = (rng() & 1) ? Direction::kIngress : Direction::kEgress;
                c.add(dir, DataChunk{static_cast<uint64_t>(k),
                                     static_cast<uint64_t>(k),
                                     {reinterpret_cast<const uint8_t *>(junk.data()), junk.size()},
                                     junk.size() + (rng() % 3 ? 0 : rng() % 5000)});
            }
            c.close(100);
            CHECK(c.records() == 0);
            CHECK(c.take().empty());
        }
    }
    SECTION("TLS handshake") {
        Wire w(Role::kUnknown);
        const std::string client_hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x5a\x1f\xee\x00", 15);
        const std::string server_hello("\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03\x11\x22", 13);
        w.out(client_hello);
        w.in(server_hello);
        w.out(std::string("\x14\x03\x03\x00\x01\x01", 6));
        CHECK(w.conn.non_http());
        CHECK(w.c().non_http == 1);
        CHECK(w.c().records == 0);
        CHECK(w.c().parse_errors > 0);
        // Further bytes are ignored cheaply, even ones that look like HTTP.
        const uint64_t ignored = w.c().ignored_bytes;
        w.in("GET / HTTP/1.1\r\n\r\n");
        w.out("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        CHECK(w.take().empty());
        CHECK(w.c().ignored_bytes > ignored);
    }
    SECTION("Redis") {
        for (Role role : {Role::kUnknown, Role::kServer, Role::kClient}) {
            Wire w(role);
            w.in("*1\r\n$4\r\nPING\r\n");
            w.out("+PONG\r\n");
            CHECK(w.c().records == 0);
            CHECK(w.c().invalid_frames == 2);
            CHECK(w.c().parse_errors == 14 + 7);
            w.in("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
            CHECK(w.conn.non_http());
            w.conn.close(1);
            CHECK(w.take().empty());
        }
    }
    SECTION("HTTP/2 prior knowledge") {
        Wire w(Role::kClient);
        w.out("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        w.out(std::string("\x00\x00\x12\x04\x00\x00\x00\x00\x00", 9));
        w.in(std::string("\x00\x00\x00\x04\x01\x00\x00\x00\x00", 9));
        CHECK(w.c().records == 0);
        CHECK(w.conn.non_http());
    }
    SECTION("once HTTP was seen, some garbage is tolerated") {
        Wire w;
        CHECK(w.exchange("/ok"));
        for (int i = 0; i < 10; i++) w.in("\x01\x02\x03");
        CHECK_FALSE(w.conn.non_http());
        CHECK(w.exchange("/still"));
    }
}

TEST_CASE("http1 partial input waits", "[http1]") {
    Wire w;
    w.in("GET /partial HTTP/1.1\r\nHost: a\r\n");
    w.out("HTTP/1.1 200 OK\r\nContent-Len");
    CHECK(w.take().empty());
    CHECK(w.c().invalid_frames == 0);
    CHECK(w.c().parse_errors == 0);
    CHECK(w.conn.pending_requests() == 0);
    w.in("\r\n");
    CHECK(w.conn.pending_requests() == 1);
    w.out("gth: 1\r\n\r\n");
    CHECK(w.take().empty());
    w.out("!");
    CHECK(w.take().size() == 1);
}

TEST_CASE("http1 bounds", "[http1]") {
    SECTION("head over 64 KiB without a terminator is invalid") {
        Wire w;
        CHECK(w.exchange("/before"));
        w.in("GET / HTTP/1.1\r\n");
        const std::string filler = "X-Filler: " + std::string(1000, 'f') + "\r\n";
        for (int i = 0; i < 70; i++) w.in(filler);
        CHECK(w.c().invalid_frames >= 1);
        CHECK(w.take().empty());
        CHECK(w.exchange("/after"));
    }
    SECTION("an oversized head on a fresh connection gives it up") {
        Wire w;
        w.in("GET / HTTP/1.1\r\n");
        const std::string filler = "X-Filler: " + std::string(1000, 'f') + "\r\n";
        for (int i = 0; i < 70; i++) w.in(filler);
        CHECK(w.c().invalid_frames >= 1);
        CHECK(w.conn.non_http());
        CHECK(w.take().empty());
    }
    SECTION("the stream cap holds") {
        ConnectionLimits lim;
        lim.stream_capacity = 4096;
        Wire w(Role::kServer, lim);
        CHECK(w.exchange("/before"));
        w.in("GET / HTTP/1.1\r\n");
        for (int i = 0; i < 20; i++) w.in("X-Filler: " + std::string(500, 'f') + "\r\n");
        CHECK(w.c().overflow_bytes > 0);
        CHECK(w.take().empty());
        w.in("\r\n");
        CHECK(w.exchange("/after"));
    }
    SECTION("a response stream with no requests stays bounded") {
        ConnectionLimits lim;
        lim.max_pending = 8;
        Wire w(Role::kServer, lim);
        for (int i = 0; i < 50; i++) w.out("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        CHECK(w.c().dropped == 42);
        w.conn.close(1);
        CHECK(w.c().unmatched == 8);
    }
}
