#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "protocols/http1/stitcher.h"

using namespace beyla::http1;

namespace {

// Feeds a connection with chunks whose timestamps advance by 10 per chunk, so that every
// byte's chunk can be told from its timestamps.
struct Wire {
    Connection conn;
    uint64_t t = 1000;
    explicit Wire(Role role = Role::kServer, const ConnectionLimits &limits = {}) : conn(role, limits) {}

    uint64_t send(Direction d, std::string_view s, uint64_t total = 0) {
        const uint64_t ts = t;
        t += 10;
        conn.add(d, DataChunk{ts,
                              ts + 5,
                              {reinterpret_cast<const uint8_t *>(s.data()), s.size()},
                              total ? total : s.size()});
        return ts;
    }
    uint64_t in(std::string_view s, uint64_t total = 0) { return send(Direction::kIngress, s, total); }
    uint64_t out(std::string_view s, uint64_t total = 0) { return send(Direction::kEgress, s, total); }
    std::vector<Record> take() { return conn.take(); }
    const ConnectionCounters &c() const { return conn.counters(); }
};

} // namespace

TEST_CASE("http1 GET with query pairs with its response", "[http1]") {
    Wire w;
    const uint64_t t_req = w.in("GET /search?q=beyla&page=2 HTTP/1.1\r\nHost: example.com\r\n\r\n");
    CHECK(w.conn.ready() == 0);
    CHECK(w.conn.pending_requests() == 1);
    const uint64_t t_resp =
        w.out("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
    auto recs = w.take();
    REQUIRE(recs.size() == 1);
    const Record &r = recs[0];
    CHECK(r.req.method == "GET");
    CHECK(r.req.path == "/search");
    CHECK(r.req.query == "q=beyla&page=2");
    CHECK(r.req.body_size == 0);
    CHECK(r.req.headers.get("host") == "example.com");
    CHECK(r.resp.status == 200);
    CHECK(r.resp.reason == "OK");
    CHECK(r.resp.body_size == 5);
    CHECK(r.resp.headers.get("content-type") == "text/plain");
    CHECK(r.ts_begin() == t_req);
    CHECK(r.ts_end() == t_resp + 5);
    CHECK(r.req.ts_end == t_req + 5);
    CHECK(r.resp.ts_begin == t_resp);
    CHECK(w.c().records == 1);
    CHECK(w.c().parse_errors == 0);
    CHECK(w.c().unmatched == 0);
    CHECK(w.conn.pending_requests() == 0);
}

TEST_CASE("http1 without kept header fields: same framing, no fields", "[http1]") {
    ConnectionLimits limits;
    limits.keep_headers = false;
    Wire w(Role::kServer, limits);
    w.in("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    w.out("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
    w.in("GET /b HTTP/1.1\r\nBad Field: x\r\n\r\n"); // still checked: not a field name
    auto recs = w.take();
    REQUIRE(recs.size() == 1);
    CHECK(recs[0].req.body_size == 3);
    CHECK(recs[0].resp.body_size == 2);
    CHECK(recs[0].req.headers.empty());
    CHECK(recs[0].resp.headers.empty());
    CHECK(w.c().parse_errors > 0);
}

TEST_CASE("http1 POST with content-length across chunks", "[http1]") {
    Wire w;
    const uint64_t t0 =
        w.in("POST /api/items HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 26\r\n\r\n");
    w.in("{\"name\":\"widget\",");
    const uint64_t t2 = w.in("\"qty\":10}");
    w.out("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    auto recs = w.take();
    REQUIRE(recs.size() == 1);
    CHECK(recs[0].req.method == "POST");
    CHECK(recs[0].req.body_size == 26);
    CHECK(recs[0].req.ts_begin == t0);
    CHECK(recs[0].req.ts_end == t2 + 5);
    CHECK(recs[0].resp.status == 201);
    CHECK(recs[0].resp.body_size == 0);
}

TEST_CASE("http1 chunked request and response with extensions and trailers", "[http1]") {
    Wire w;
    w.in("PUT /files/a.txt HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n");
    w.in("7;chunk-name=first\r\npayload\r\n");
    w.in("3\r\nabc\r\n0\r\nX-Sum: 1234\r\n\r\n");
    w.out("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext\r\ndone\r\n0\r\nServer-Timing: "
          "db;dur=53\r\n\r\n");
    auto recs = w.take();
    REQUIRE(recs.size() == 1);
    CHECK(recs[0].req.chunked);
    CHECK(recs[0].req.body_size == 10);
    CHECK(recs[0].resp.chunked);
    CHECK(recs[0].resp.body_size == 4);
    CHECK(w.c().parse_errors == 0);
}

TEST_CASE("http1 HEAD response carries a length but no body", "[http1]") {
    Wire w;
    w.in("HEAD /big.iso HTTP/1.1\r\nHost: a\r\n\r\n");
    w.out("HTTP/1.1 200 OK\r\nContent-Length: 4700000000\r\n\r\n");
    w.in("GET /small HTTP/1.1\r\nHost: a\r\n\r\n");
    w.out("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
    auto recs = w.take();
    REQUIRE(recs.size() == 2);
    CHECK(recs[0].req.method == "HEAD");
    CHECK(recs[0].resp.content_length == 4700000000);
    CHECK(recs[0].resp.body_size == 0);
    CHECK(recs[1].req.path == "/small");
    CHECK(recs[1].resp.body_size == 3);
}

TEST_CASE("http1 HEAD pipelined with GET", "[http1]") {
    Wire w;
    w.in("HEAD /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
    w.out("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    auto recs = w.take();
    REQUIRE(recs.size() == 2);
    CHECK(recs[0].resp.body_size == 0);
    CHECK(recs[1].resp.body_size == 2);
}

TEST_CASE("http1 204 and 304 have no body", "[http1]") {
    Wire w;
    w.in("DELETE /items/7 HTTP/1.1\r\n\r\n");
    w.out("HTTP/1.1 204 No Content\r\n\r\n");
    w.in("GET /style.css HTTP/1.1\r\nIf-None-Match: \"abc\"\r\n\r\n");
    w.out("HTTP/1.1 304 Not Modified\r\nETag: \"abc\"\r\nContent-Length: 5120\r\n\r\n");
    w.in("GET /next HTTP/1.1\r\n\r\n");
    w.out("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext");
    auto recs = w.take();
    REQUIRE(recs.size() == 3);
    CHECK(recs[0].resp.status == 204);
    CHECK(recs[0].resp.body_size == 0);
    CHECK(recs[1].resp.status == 304);
    CHECK(recs[1].resp.body_size == 0);
    CHECK(recs[2].req.path == "/next");
    CHECK(recs[2].resp.body_size == 4);
}

TEST_CASE("http1 100-continue flow pairs the final response", "[http1]") {
    Wire w;
    const uint64_t t_req = w.in("PUT /upload HTTP/1.1\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n");
    w.out("HTTP/1.1 100 Continue\r\n\r\n");
    CHECK(w.conn.ready() == 0);
    const uint64_t t_body = w.in("0123456789");
    const uint64_t t_resp = w.out("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    auto recs = w.take();
    REQUIRE(recs.size() == 1);
    CHECK(recs[0].req.body_size == 10);
    CHECK(recs[0].req.ts_begin == t_req);
    CHECK(recs[0].req.ts_end == t_body + 5);
    CHECK(recs[0].resp.status == 200);
    CHECK(recs[0].resp.ts_begin == t_resp);
    CHECK(w.c().interim == 1);
    CHECK(w.c().unmatched == 0);
    CHECK(w.c().records == 1);
}

TEST_CASE("http1 101 upgrade stops HTTP parsing without errors", "[http1]") {
    Wire w;
    w.in("GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    w.out(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello");
    w.in(std::string("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
    w.out(std::string("\x88\x02\x03\xe8", 4));
    w.in("GET /not-http-anymore HTTP/1.1\r\n\r\n");
    auto recs = w.take();
    REQUIRE(recs.size() == 1);
    CHECK(recs[0].req.path == "/chat");
    CHECK(recs[0].resp.status == 101);
    CHECK(w.conn.upgraded());
    CHECK(w.c().upgraded == 1);
    CHECK(w.c().parse_errors == 0);
    CHECK(w.c().invalid_frames == 0);
    CHECK(w.c().unmatched == 0);
    CHECK(w.c().ignored_bytes > 0);
    CHECK_FALSE(w.conn.non_http());
    w.conn.close(99999);
    CHECK(w.take().empty());
    CHECK(w.c().unmatched == 0);
}

TEST_CASE("http1 declined upgrade carries on as HTTP", "[http1]") {
    Wire w;
    // The request after the upgrade request must wait: had the server switched, it
    // would not be HTTP.
    w.in("GET / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: "
         "AAMAAABkAAQAAP__\r\n\r\n"
         "GET /two HTTP/1.1\r\n\r\n");
    CHECK(w.conn.pending_requests() == 1);
    w.out("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na");
    w.out("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb");
    auto recs = w.take();
    REQUIRE(recs.size() == 2);
    CHECK(recs[0].req.path == "/");
    CHECK(recs[1].req.path == "/two");
    CHECK_FALSE(w.conn.upgraded());
}

TEST_CASE("http1 CONNECT tunnel", "[http1]") {
    Wire w(Role::kClient);
    w.out("CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n");
    w.in("HTTP/1.1 200 Connection established\r\n\r\n");
    w.out("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03");
    w.in("\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03");
    auto recs = w.take();
    REQUIRE(recs.size() == 1);
    CHECK(recs[0].req.method == "CONNECT");
    CHECK(recs[0].req.target == "api.example.com:443");
    CHECK(recs[0].resp.status == 200);
    CHECK(w.conn.upgraded());
    CHECK(w.c().parse_errors == 0);
    CHECK_FALSE(w.conn.non_http());
}

TEST_CASE("http1 Connection: close response ends at close", "[http1]") {
    Wire w;
    w.in("GET /stream HTTP/1.1\r\nConnection: close\r\n\r\n");
    w.out("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n");
    w.out("first part, ");
    const uint64_t t_last = w.out("second part");
    CHECK(w.conn.ready() == 0);
    w.conn.close(t_last + 100);
    CHECK(w.conn.closed());
    auto recs = w.take();
    REQUIRE(recs.size() == 1);
    CHECK(recs[0].resp.body_size == 23);
    CHECK(recs[0].resp.ts_end == t_last + 5); // the last byte, not the close
    CHECK(w.c().unmatched == 0);
    // Bytes after close are ignored.
    w.in("GET / HTTP/1.1\r\n\r\n");
    CHECK(w.take().empty());
    CHECK(w.c().ignored_bytes > 0);
}

TEST_CASE("http1 pipelining pairs in order", "[http1]") {
    Wire w;
    const uint64_t t_req = w.in("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
                                "POST /3 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
    CHECK(w.conn.pending_requests() == 3);
    const uint64_t t_resp =
        w.out("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1"
              "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n22"
              "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n333\r\n0\r\n\r\n");
    auto recs = w.take();
    REQUIRE(recs.size() == 3);
    CHECK(recs[0].req.path == "/1");
    CHECK(recs[0].resp.status == 200);
    CHECK(recs[1].req.path == "/2");
    CHECK(recs[1].resp.status == 404);
    CHECK(recs[2].req.path == "/3");
    CHECK(recs[2].req.body_size == 3);
    CHECK(recs[2].resp.status == 201);
    CHECK(recs[2].resp.body_size == 3);
    for (const auto &r : recs) {
        CHECK(r.ts_begin() == t_req);
        CHECK(r.ts_end() == t_resp + 5);
    }
}

TEST_CASE("http1 keep-alive sequence", "[http1]") {
    Wire w;
    for (int i = 0; i < 50; i++) {
        const std::string path = "/item/" + std::to_string(i);
        const uint64_t t_req = w.in("GET " + path + " HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n");
        const std::string body(static_cast<size_t>(i), 'x');
        const uint64_t t_resp =
            w.out("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
        auto recs = w.take();
        REQUIRE(recs.size() == 1);
        CHECK(recs[0].req.path == path);
        CHECK(recs[0].resp.body_size == i);
        CHECK(recs[0].ts_begin() == t_req);
        CHECK(recs[0].ts_end() == t_resp + 5);
    }
    CHECK(w.c().records == 50);
    CHECK(w.c().parse_errors == 0);
}

TEST_CASE("http1 HTTP/1.0", "[http1]") {
    SECTION("with content-length") {
        Wire w;
        w.in("GET /old HTTP/1.0\r\nUser-Agent: ancient\r\n\r\n");
        w.out("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
        auto recs = w.take();
        REQUIRE(recs.size() == 1);
        CHECK(recs[0].req.minor_version == 0);
        CHECK(recs[0].resp.minor_version == 0);
        CHECK(recs[0].resp.body_size == 2);
    }
    SECTION("body until close") {
        Wire w;
        w.in("GET /old HTTP/1.0\r\n\r\n");
        w.out("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>");
        w.out("</html>");
        CHECK(w.take().empty());
        w.conn.close(5000);
        auto recs = w.take();
        REQUIRE(recs.size() == 1);
        CHECK(recs[0].resp.body_size == 13);
    }
}

TEST_CASE("http1 role inference", "[http1]") {
    SECTION("request read: server") {
        Wire w(Role::kUnknown);
        w.in("GET / HTTP/1.1\r\n\r\n");
        CHECK(w.conn.role() == Role::kServer);
        w.out("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        CHECK(w.take().size() == 1);
    }
    SECTION("request written: client") {
        Wire w(Role::kUnknown);
        w.out("GET / HTTP/1.1\r\n\r\n");
        CHECK(w.conn.role() == Role::kClient);
        w.in("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        auto recs = w.take();
        REQUIRE(recs.size() == 1);
        CHECK(recs[0].req.type == MessageType::kRequest);
        CHECK(recs[0].resp.type == MessageType::kResponse);
    }
    SECTION("undecided on a short prefix") {
        Wire w(Role::kUnknown);
        w.in("GE");
        CHECK(w.conn.role() == Role::kUnknown);
        w.in("T /x HTTP/1.1\r\n\r\n");
        CHECK(w.conn.role() == Role::kServer);
        w.out("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        auto recs = w.take();
        REQUIRE(recs.size() == 1);
        CHECK(recs[0].req.path == "/x");
    }
    SECTION("set late") {
        Wire w(Role::kUnknown);
        w.conn.set_role(Role::kClient);
        CHECK(w.conn.role() == Role::kClient);
        w.conn.set_role(Role::kServer); // a known role stays
        CHECK(w.conn.role() == Role::kClient);
    }
    SECTION("given role wins over the bytes") {
        // A server whose first ingress bytes look like a response: they are not requests.
        Wire w(Role::kServer);
        w.in("HTTP/1.1 200 OK\r\n\r\n");
        CHECK(w.c().invalid_frames == 1);
        CHECK(w.conn.role() == Role::kServer);
    }
}

TEST_CASE("http1 unmatched messages are counted", "[http1]") {
    SECTION("response without request") {
        Wire w;
        w.out("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        w.in("GET / HTTP/1.1\r\n\r\n"); // began after that response ended
        CHECK(w.c().unmatched == 1);
        w.out("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        CHECK(w.take().size() == 1);
    }
    SECTION("requests left at close are failed exchanges") {
        Wire w;
        w.in("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
        w.in("POST /c HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial");
        w.out("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        w.conn.close(5000);
        auto recs = w.take();
        REQUIRE(recs.size() == 2);
        CHECK(recs[0].error_type() == nullptr);
        CHECK(recs[1].req.path == "/b");
        CHECK(recs[1].resp.status == -1);
        CHECK(std::string(recs[1].error_type()) == "no_response");
        CHECK(recs[1].ts_end() == 5000);
        CHECK(w.c().incomplete == 1);
        CHECK(w.c().unmatched == 1); // /c never fully arrived
    }
    SECTION("a response cut by the close keeps its status") {
        Wire w;
        w.in("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
        const uint64_t t_head = w.out("HTTP/1.1 200 OK\r\nContent-Length: 627\r\n\r\n<html>");
        w.conn.close(9000);
        auto recs = w.take();
        REQUIRE(recs.size() == 2);
        CHECK(recs[0].req.path == "/a");
        CHECK(recs[0].resp.status == 200);
        CHECK(recs[0].resp.body_size == 6);
        CHECK(std::string(recs[0].error_type()) == "response_incomplete");
        CHECK(recs[0].ts_end() == t_head + 5); // the last byte that did move
        CHECK(std::string(recs[1].error_type()) == "no_response");
        CHECK(w.c().incomplete == 2);
        CHECK(w.c().unmatched == 0);
    }
    SECTION("client side: the server hung up before answering") {
        Wire w(Role::kClient);
        w.out("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        w.conn.close(7000);
        auto recs = w.take();
        REQUIRE(recs.size() == 1);
        CHECK(std::string(recs[0].error_type()) == "no_response");
    }
    SECTION("abandoned (tracer stop, eviction): unanswered requests are only counted") {
        Wire w;
        w.in("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
        w.out("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345");
        w.conn.abandon(5000);
        CHECK(w.take().empty());
        CHECK(w.c().incomplete == 0);
        CHECK(w.c().unmatched == 3); // /a and /b queued, the response to /a in progress
    }
    SECTION("queue bound") {
        ConnectionLimits lim;
        lim.max_pending = 4;
        Wire w(Role::kServer, lim);
        for (int i = 0; i < 10; i++) w.in("GET /" + std::to_string(i) + " HTTP/1.1\r\n\r\n");
        CHECK(w.conn.pending_requests() == 4);
        CHECK(w.c().dropped == 6);
    }
}

TEST_CASE("http1 drain hands records over once", "[http1]") {
    Wire w;
    w.in("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
    w.out("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n");
    std::vector<std::string> seen;
    w.conn.drain([&](Record &&r) { seen.push_back(r.req.path + " " + std::to_string(r.resp.status)); });
    CHECK(seen == std::vector<std::string>{"/a 200", "/b 500"});
    w.conn.drain([&](const Record &) { FAIL("drained twice"); });
    CHECK(w.conn.ready() == 0);
}
