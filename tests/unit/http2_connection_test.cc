// HTTP/2 framing and stream stitching from byte vectors: every frame type, split points,
// interleaved streams, gaps, late joins, resets.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "http2_harness.h"

using namespace beyla;
using namespace beyla::test::h2;
using protocols::Direction;
using protocols::Role;

TEST_CASE("http2: a GET over prior knowledge", "[http2]") {
    Harness h;
    start_server(h);
    const uint64_t t_req = h.ts;
    h.in(headers(1, request_block("GET", "/index.html?q=1"), true));
    CHECK(h.conn.open_streams() == 1);
    h.eg(headers(1, status_block(200)));
    h.eg(data(1, "hello"));
    const uint64_t t_end = h.ts;
    h.eg(data(1, " world", true));
    REQUIRE(h.out.size() == 1);
    const Ex &e = h.out[0];
    CHECK(e.protocol == BEYLA_PROTO_HTTP2);
    CHECK(e.version == "2");
    CHECK(e.method == "GET");
    CHECK(e.path == "/index.html");
    CHECK(e.query == "q=1");
    CHECK(e.has_query);
    CHECK(e.status == 200);
    CHECK(e.req_body == 0);
    CHECK(e.resp_body == 11);
    CHECK(e.ts_begin == t_req);
    CHECK(e.ts_end == t_end + 10);
    CHECK(e.error.empty());
    CHECK_FALSE(e.incomplete);
    CHECK(e.attrs.empty());
    CHECK(h.conn.counters().parse_errors == 0);
    CHECK(h.conn.decoder(Direction::kIngress).complete());
}

TEST_CASE("http2: every frame type", "[http2]") {
    Harness h;
    start_server(h);
    h.in(ping() + priority(1) + window_update(0, 1000) + frame(0x42, 0xff, 7, "extension"));
    h.in(headers_padded_priority(1, request_block("POST", "/up"), 7));
    h.in(data_padded(1, "abcdef", 10) + data(1, "", true));
    h.eg(ping(true) + window_update(1, 6));
    h.eg(push_promise(1, 2, request_block("GET", "/pushed.css")));
    h.eg(headers(2, status_block(200))); // the pushed stream: not reported
    h.eg(headers(1, status_block(201)) + data(1, "ok", true));
    h.eg(data(2, "body", true) + goaway(1, 0, "bye"));
    REQUIRE(h.out.size() == 1);
    CHECK(h.out[0].method == "POST");
    CHECK(h.out[0].path == "/up");
    CHECK(h.out[0].status == 201);
    CHECK(h.out[0].req_body == 6);
    CHECK(h.out[0].resp_body == 2);
    CHECK(h.conn.counters().push_promise == 1);
    CHECK(h.conn.counters().goaway == 1);
    CHECK(h.conn.counters().frames_lost == 0);
    CHECK(h.conn.counters().parse_errors == 0);
    h.in(rst(3, 8)); // a reset of a stream never seen: nothing
    CHECK(h.conn.counters().resets == 1);
    h.close();
    CHECK(h.out.size() == 1);
}

namespace {

// The client's bytes and the server's of one exchange whose request block runs over
// HEADERS + CONTINUATION frames.
std::string client_bytes() {
    std::string block = request_block("GET", "/a/long/path/for/splitting") +
                        literal("user-agent", "test/1.0") + literal_inc("x-trace", "abc123");
    return preface() + settings() + headers_split(1, block, 7, true);
}
std::string server_bytes() {
    // Padding and priority fields split like everything else.
    return settings() + headers_padded_priority(1, status_block(404) + literal("server", "s"), 3) +
           data_padded(1, "no", 2) + data(1, "pe", true);
}

void check_one(const Harness &h) {
    REQUIRE(h.out.size() == 1);
    CHECK(h.out[0].path == "/a/long/path/for/splitting");
    CHECK(h.out[0].method == "GET");
    CHECK(h.out[0].status == 404);
    CHECK(h.out[0].resp_body == 4);
    CHECK(h.conn.counters().parse_errors == 0);
    CHECK(h.conn.counters().blocks_lost == 0);
}

} // namespace

TEST_CASE("http2: every split point of the request and the response", "[http2][split]") {
    const std::string c = client_bytes(), s = server_bytes();
    for (size_t cut = 1; cut < c.size(); cut++) {
        Harness h;
        h.in(c.substr(0, cut));
        h.in(c.substr(cut));
        h.eg(s);
        check_one(h);
    }
    for (size_t cut = 1; cut < s.size(); cut++) {
        Harness h;
        h.in(c);
        h.eg(s.substr(0, cut));
        h.eg(s.substr(cut));
        check_one(h);
    }
}

TEST_CASE("http2: one byte per chunk, and three-way splits", "[http2][split]") {
    const std::string c = client_bytes(), s = server_bytes();
    {
        Harness h;
        for (char b : c) h.in(std::string(1, b));
        for (char b : s) h.eg(std::string(1, b));
        check_one(h);
    }
    const size_t start = preface().size() + 9; // the HEADERS and CONTINUATION frames
    for (size_t a = start; a < c.size(); a += 3) {
        for (size_t b = a + 1; b < c.size(); b += 5) {
            Harness h;
            h.in(c.substr(0, a));
            h.in(c.substr(a, b - a));
            h.in(c.substr(b));
            h.eg(s);
            check_one(h);
        }
    }
}

TEST_CASE("http2: 150 interleaved streams on one connection", "[http2][streams]") {
    Harness h;
    start_server(h);
    std::vector<uint32_t> ids;
    for (uint32_t i = 0; i < 150; i++) ids.push_back(1 + 2 * i);
    std::string reqs;
    for (uint32_t id : ids)
        reqs += headers(id, request_block("POST", "/s" + std::to_string(id))) + data(id, "x");
    h.in(reqs);
    // Request bodies end later, in another order.
    std::mt19937 rng(7);
    std::shuffle(ids.begin(), ids.end(), rng);
    for (uint32_t id : ids) h.in(data(id, std::string(id % 7, 'y'), true));
    CHECK(h.conn.open_streams() == 150);
    // Answers interleaved frame by frame, in yet another order.
    std::shuffle(ids.begin(), ids.end(), rng);
    std::string resp;
    for (uint32_t id : ids) resp += headers(id, status_block(id % 3 ? 200 : 500));
    for (uint32_t id : ids) resp += data(id, std::string(id % 11, 'z'));
    std::shuffle(ids.begin(), ids.end(), rng);
    for (uint32_t id : ids) resp += data(id, "", true);
    for (size_t off = 0; off < resp.size(); off += 1000) h.eg(resp.substr(off, 1000));
    REQUIRE(h.out.size() == 150);
    for (size_t i = 0; i < h.out.size(); i++) {
        const Ex &e = h.out[i];
        const uint32_t id = static_cast<uint32_t>(std::stoul(e.path.substr(2)));
        CHECK(id == ids[i]); // ended in the order the END_STREAMs came
        CHECK(e.status == (id % 3 ? 200 : 500));
        CHECK(e.req_body == 1 + id % 7);
        CHECK(e.resp_body == id % 11);
    }
    CHECK(h.conn.open_streams() == 0);
}

TEST_CASE("http2: the stream table is bounded", "[http2][streams]") {
    http2::ConnectionLimits lim;
    lim.max_streams = 8;
    Harness h(Role::kServer, lim);
    start_server(h);
    for (uint32_t i = 0; i < 10; i++) h.in(headers(1 + 2 * i, request_block("GET", "/"), true));
    CHECK(h.conn.open_streams() == 8);
    CHECK(h.conn.counters().streams_overflow == 2);
    for (uint32_t i = 0; i < 10; i++) h.eg(headers(1 + 2 * i, status_block(200), true));
    CHECK(h.out.size() == 8);
}

TEST_CASE("http2: a DATA payload in a gap is framed over", "[http2][gap]") {
    Harness h;
    start_server(h);
    h.in(headers(1, request_block("GET", "/big"), true));
    h.eg(headers(1, status_block(200)));
    // A 16 KiB DATA frame with END_STREAM of which the kernel copied 4096 bytes.
    const std::string big = data(1, std::string(16384, 'b'), true);
    h.eg(big.substr(0, 4096), big.size());
    REQUIRE(h.out.size() == 1);
    CHECK(h.out[0].status == 200);
    CHECK(h.out[0].resp_body == 16384);
    CHECK(h.conn.counters().frames_lost == 0);
    // The next write is framed as usual.
    h.in(headers(3, request_block("GET", "/next"), true));
    h.eg(headers(3, status_block(200), true));
    CHECK(h.out.size() == 2);
}

TEST_CASE("http2: DATA payloads in gaps keep the framing", "[http2][gap]") {
    Harness h;
    start_server(h);
    h.in(headers(1, request_block("GET", "/big"), true));
    h.eg(headers(1, status_block(200)));
    const std::string big = data(1, std::string(16384, 'b'));
    h.eg(big.substr(0, 4096), big.size()); // the payload's tail is a gap
    h.eg(data(1, std::string(100, 'c')));
    h.conn.lost(Direction::kEgress, 0, h.ts); // nothing: the count below is known
    CHECK(h.conn.counters().frames_lost == 1);
    // Lost with an exact size inside a payload keeps framing.
    Harness g;
    start_server(g);
    g.in(headers(1, request_block("GET", "/big"), true));
    g.eg(headers(1, status_block(200)));
    const std::string d = data(1, std::string(30000, 'b'));
    g.eg(d.substr(0, 4096));
    g.conn.lost(Direction::kEgress, d.size() - 4096 - 100, g.ts);
    g.eg(d.substr(d.size() - 100));
    g.eg(data(1, "end", true));
    REQUIRE(g.out.size() == 1);
    CHECK(g.out[0].resp_body == 30003);
    CHECK(g.conn.counters().frames_lost == 0);
}

TEST_CASE("http2: a frame header in a gap loses framing, then it resyncs", "[http2][gap]") {
    Harness h;
    start_server(h);
    h.in(headers(1, request_block("GET", "/one"), true));
    h.in(headers(3, request_block("GET", "/two"), true));
    h.eg(headers(1, status_block(200)));
    // One write: stream 1's DATA then stream 3's HEADERS, captured only in part.
    const std::string w = data(1, std::string(5000, 'a'), true) + headers(3, status_block(500), true);
    h.eg(w.substr(0, 4096), w.size());
    // The next write starts with a frame: framing is found again there.
    h.in(headers(5, request_block("GET", "/three"), true));
    h.eg(headers(5, status_block(204) + literal_inc("x-new", "1"), true));
    CHECK(h.conn.counters().frames_lost == 1);
    // Stream 1 ended in the gap: its END_STREAM came first in the DATA frame (framed over).
    // Stream 3's answer was lost: it is left open, never given stream 5's answer.
    bool three = false, five = false;
    for (const Ex &e : h.out) {
        if (e.path == "/two") three = true;
        if (e.path == "/three") {
            five = true;
            CHECK(e.status == 204);
        }
    }
    CHECK_FALSE(three);
    CHECK(five);
    // The HPACK table of that direction is forgotten: dynamic references after it are unknown.
    CHECK_FALSE(h.conn.decoder(Direction::kEgress).complete());
    h.close();
    // At close, stream 3 lost bytes: counted unmatched rather than failed.
    for (const Ex &e : h.out) CHECK(e.path != "/two");
    CHECK(h.conn.counters().unmatched >= 1);
}

TEST_CASE("http2: a lost frame header at an unknown count resyncs at the next chunk", "[http2][gap]") {
    Harness h;
    start_server(h);
    h.in(headers(1, request_block("GET", "/one"), true));
    h.conn.lost(Direction::kIngress, 0, h.ts);
    h.in(std::string("\x00\x10", 2)); // the tail of something: not a frame start
    h.in(headers(3, request_block("GET", "/two"), true));
    h.eg(headers(1, status_block(200), true) + headers(3, status_block(200), true));
    REQUIRE(h.out.size() == 2);
    CHECK(h.out[1].path == "/two");
    CHECK(h.conn.counters().frames_lost == 1);
}

TEST_CASE("http2: joined late, unknown dynamic references are absent and counted", "[http2][late]") {
    protocols::NamedCounters named;
    http2::Connection conn(Role::kServer, {}, &named);
    Harness h;
    // No preface: the first bytes are a request whose :path and a header are dynamic
    // references inserted before the join (indices 62, 63).
    h.in(headers(7, indexed(3) + indexed(6) + indexed(62) + indexed(63) + literal_inc("x-id", "1"), true));
    h.eg(headers(7, status_block(200) + indexed(64)) + data(7, "abc", true));
    REQUIRE(h.out.size() == 1);
    const Ex &e = h.out[0];
    CHECK(e.method == "POST");
    CHECK(e.path.empty());
    CHECK(e.status == 200);
    CHECK(e.resp_body == 3);
    CHECK(e.attrs.at("beyla.http2.missing") == "path");
    CHECK(h.conn.counters().fields_unknown == 3);
    // What was inserted after the join is known: index 62 is now x-id.
    h.in(headers(9, indexed(2) + indexed(6) + literal_idx(4, "/known") + indexed(62), true));
    h.eg(headers(9, hex("88"), true));
    REQUIRE(h.out.size() == 2);
    CHECK(h.out[1].path == "/known");
    CHECK(!h.out[1].has("beyla.http2.missing"));
    CHECK(h.conn.counters().fields_unknown == 3);
    // The named counter slot of a tracer sees them.
    Harness t;
    (void)conn;
    (void)t;
    CHECK(named.get("http2.fields_unknown") == 0);
}

TEST_CASE("http2: named counters take the tracer's slots", "[http2][late]") {
    protocols::NamedCounters named;
    http2::Connection c(Role::kServer, {}, &named);
    const std::string b = headers(7, indexed(2) + indexed(62), true);
    c.add(Direction::kIngress, {1, 2, {reinterpret_cast<const uint8_t *>(b.data()), b.size()}, b.size()});
    CHECK(named.get("http2.fields_unknown") == 1);
}

TEST_CASE("http2: role from the bytes", "[http2][role]") {
    SECTION("the preface") {
        Harness h(Role::kUnknown);
        h.eg(preface() + settings() + headers(1, request_block("GET", "/c"), true));
        CHECK(h.conn.role() == Role::kClient);
        h.in(settings() + headers(1, status_block(200), true));
        REQUIRE(h.out.size() == 1);
        CHECK(h.out[0].path == "/c");
    }
    SECTION("joined late: request pseudo-headers") {
        Harness h(Role::kUnknown);
        h.in(headers(11, request_block("GET", "/late"), true));
        CHECK(h.conn.role() == Role::kServer);
        h.eg(headers(11, status_block(200), true));
        REQUIRE(h.out.size() == 1);
    }
    SECTION("joined late: an answer first") {
        Harness h(Role::kUnknown);
        h.eg(headers(11, status_block(200), true));
        CHECK(h.conn.role() == Role::kServer);
        CHECK(h.out.empty());
        CHECK(h.conn.counters().unmatched == 1);
    }
}

TEST_CASE("http2: RST_STREAM and GOAWAY end streams with an error", "[http2][reset]") {
    Harness h;
    start_server(h);
    h.in(headers(1, request_block("GET", "/a"), true));
    h.in(headers(3, request_block("GET", "/b"), true));
    h.in(headers(5, request_block("GET", "/c"), true));
    h.in(rst(1, 8)); // the client cancels
    REQUIRE(h.out.size() == 1);
    CHECK(h.out[0].path == "/a");
    CHECK(h.out[0].error == "CANCEL");
    CHECK(h.out[0].incomplete);
    // The server answers 3, then refuses what is above it.
    h.eg(headers(3, status_block(200), true) + rst(3, 0));
    h.eg(goaway(3, 0));
    REQUIRE(h.out.size() == 3);
    CHECK(h.out[1].path == "/b");
    CHECK(h.out[1].error.empty());
    CHECK(h.out[2].path == "/c");
    CHECK(h.out[2].error == "GOAWAY");
    CHECK(h.out[2].incomplete);
}

TEST_CASE("http2: close fails open streams, abandon only counts them", "[http2][close]") {
    Harness h;
    start_server(h);
    h.in(headers(1, request_block("GET", "/none"), true));
    h.in(headers(3, request_block("GET", "/cut"), true));
    h.eg(headers(3, status_block(200)) + data(3, "par"));
    h.close();
    REQUIRE(h.out.size() == 2);
    std::map<std::string, Ex> by;
    for (auto &e : h.out) by[e.path] = e;
    CHECK(by["/none"].error == "no_response");
    CHECK(by["/cut"].error == "response_incomplete");
    CHECK(by["/cut"].status == 200);
    CHECK(by["/cut"].incomplete);
    Harness a;
    start_server(a);
    a.in(headers(1, request_block("GET", "/none"), true));
    a.conn.abandon(a.ts);
    a.collect();
    CHECK(a.out.empty());
    CHECK(a.conn.counters().unmatched == 1);
}

TEST_CASE("http2: informational answers before the final one", "[http2]") {
    Harness h;
    start_server(h);
    h.in(headers(1, request_block("POST", "/c") + literal("expect", "100-continue")));
    h.eg(headers(1, status_block(100)));
    h.in(data(1, "body", true));
    h.eg(headers(1, status_block(200), true));
    REQUIRE(h.out.size() == 1);
    CHECK(h.out[0].status == 200);
}

TEST_CASE("http2: HPACK state carries across streams; size limits from SETTINGS", "[http2]") {
    Harness h;
    h.in(preface() + settings());
    h.eg(settings({{0x1, 256}})); // the server's decoder: client blocks use at most 256
    h.in(headers(1, request_block("GET", "/") + literal_inc("x-session", "s1"), true));
    h.eg(headers(1, status_block(200) + literal_inc("x-srv", "v"), true));
    h.in(headers(3, indexed(2) + indexed(6) + indexed(4) + indexed(62), true));
    h.eg(headers(3, indexed(8) + indexed(62), true));
    REQUIRE(h.out.size() == 2);
    CHECK(h.out[1].path == "/");
    CHECK(h.conn.counters().fields_unknown == 0);
    // An update above the limit the server announced is an HPACK error.
    h.in(headers(5, size_update(1000) + indexed(2), true));
    CHECK(h.conn.counters().hpack_errors == 1);
}

TEST_CASE("http2: h2c upgrade continues stream 1", "[http2][upgrade]") {
    Harness h(Role::kServer);
    protocols::Handoff ho;
    ho.protocol = "http2";
    ho.token = "h2c";
    ho.request.method = "GET";
    ho.request.path = "/up";
    ho.request.ts_begin = 500;
    ho.request.ts_end = 600;
    ho.request.body = 0;
    const std::string srv = settings() + headers(1, status_block(200)) + data(1, "upgraded", true);
    ho.rest[1].bytes.assign(srv.begin(), srv.end());
    ho.rest[1].total = srv.size();
    ho.rest[1].ts_begin = 700;
    ho.rest[1].ts_end = 710;
    h.conn.upgraded(ho);
    h.collect();
    REQUIRE(h.out.size() == 1);
    CHECK(h.out[0].method == "GET");
    CHECK(h.out[0].path == "/up");
    CHECK(h.out[0].status == 200);
    CHECK(h.out[0].version == "2");
    CHECK(h.out[0].ts_begin == 500);
    CHECK(h.out[0].ts_end == 710);
    h.in(preface() + settings() + headers(3, request_block("GET", "/next"), true));
    h.eg(headers(3, status_block(200), true));
    REQUIRE(h.out.size() == 2);
    // The client's side of the same upgrade: the answer is read.
    Harness c(Role::kClient);
    std::swap(ho.rest[0], ho.rest[1]);
    c.conn.upgraded(ho);
    c.collect();
    REQUIRE(c.out.size() == 1);
    CHECK(c.out[0].path == "/up");
    CHECK(c.out[0].status == 200);
}

TEST_CASE("http2: random bytes never crash and stay bounded", "[http2][random]") {
    std::mt19937 rng(1);
    for (int round = 0; round < 300; round++) {
        Harness h(static_cast<Role>(round % 3));
        std::string base = client_bytes() + server_bytes();
        for (int k = 0; k < 40; k++) {
            std::string chunk;
            const size_t n = rng() % 64;
            for (size_t i = 0; i < n; i++)
                chunk += static_cast<char>(rng() % 4 ? base[rng() % base.size()] : rng());
            const uint64_t total = rng() % 5 == 0 ? chunk.size() + rng() % 5000 : 0;
            h.feed(rng() % 2 ? Direction::kIngress : Direction::kEgress, chunk, total);
        }
        h.close();
        CHECK(h.conn.open_streams() == 0);
    }
}

TEST_CASE("http2: a header block whose CONTINUATION payload was not captured", "[http2][gap][late]") {
    Harness h;
    start_server(h);
    // The first request inserts x-a; its CONTINUATION (which inserts x-b) is lost.
    h.in(frame(0x1, 0x1, 1, request_block("GET", "/first") + literal_inc("x-a", "1")));
    const std::string cont = frame(0x9, 0x4, 1, literal_inc("x-b", "2") + literal_idx(4, "/ignored"));
    h.in(cont.substr(0, 9), cont.size());
    CHECK(h.conn.counters().blocks_lost == 1);
    h.eg(headers(1, status_block(200), true));
    REQUIRE(h.out.size() == 1);
    CHECK(h.out[0].path.empty()); // :path was in the block that was not decoded
    CHECK(h.out[0].status == 200);
    CHECK(h.out[0].attrs.at("beyla.http2.missing") == "method,path");
    // Index 62 would be x-b now, 63 x-a: neither may be guessed.
    h.in(headers(3, indexed(2) + indexed(6) + literal_idx(4, "/second") + indexed(62) + indexed(63), true));
    h.eg(headers(3, status_block(200), true));
    REQUIRE(h.out.size() == 2);
    CHECK(h.out[1].path == "/second");
    CHECK(h.conn.counters().fields_unknown == 2);
    CHECK_FALSE(h.conn.decoder(Direction::kIngress).complete());
}

TEST_CASE("http2: a loss marks only the streams still sending that way", "[http2][gap]") {
    Harness h;
    start_server(h);
    h.in(headers(1, request_block("GET", "/done"), true));
    h.in(headers(3, request_block("POST", "/sending")) + data(3, "part"));
    h.conn.lost(Direction::kIngress, 0, h.ts); // unknown amount: framing lost
    h.eg(headers(1, status_block(200), true) + headers(3, status_block(200), true));
    REQUIRE(h.out.size() == 2);
    CHECK(h.out[0].path == "/done");
    CHECK(h.out[0].req_body == 0);
    CHECK_FALSE(h.out[0].has("beyla.http2.missing"));
    CHECK(h.out[1].path == "/sending");
    CHECK(h.out[1].req_body == -1); // some of its body may have gone
    CHECK(h.out[1].resp_body == 0);
}
