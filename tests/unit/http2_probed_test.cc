// HTTP/2 header blocks from an in-process probe (Connection::probed): on a connection joined
// late they give the fields its wire blocks reference from an unknown dynamic table, whether
// they come before the wire's copy (egress: encoded before the write) or after it (ingress:
// decoded after the read).
#include <catch2/catch.hpp>

#include "http2_harness.h"

using namespace beyla;
using namespace beyla::test::h2;
using protocols::Direction;
using protocols::Role;

namespace {

void probe(Harness &h, Direction d, uint32_t sid, std::vector<http2::hpack::Field> fields, bool end_stream) {
    h.conn.probed(d, sid, fields, true, end_stream, h.ts);
    h.ts += 100;
    h.collect();
}

} // namespace

TEST_CASE("http2 probed: a server joined late gets method, path and status from the probes",
          "[http2][late][probed]") {
    Harness h(Role::kServer);
    // Decoded after the read: the wire's request (all dynamic references) comes first, its
    // END_STREAM waits for the probed copy.
    h.in(headers(7, indexed(62) + indexed(63) + indexed(64), true));
    CHECK(h.out.empty());
    probe(h, Direction::kIngress, 7, {{":method", "GET"}, {":path", "/late?x=1"}, {":scheme", "https"}},
          true);
    // Encoded before the write: the probed response first, then the wire's.
    probe(h, Direction::kEgress, 7, {{":status", "404"}, {"x-served", "yes"}}, false);
    h.eg(headers(7, indexed(65) + indexed(66)) + data(7, "abc", true));
    REQUIRE(h.out.size() == 1);
    const Ex &e = h.out[0];
    CHECK(e.method == "GET");
    CHECK(e.path == "/late");
    CHECK(e.query == "x=1");
    CHECK(e.status == 404);
    CHECK(e.resp_body == 3);
    CHECK_FALSE(e.has("beyla.http2.missing"));
    CHECK_FALSE(e.incomplete);
}

TEST_CASE("http2 probed: gRPC client joined late: path and grpc-status from the probes",
          "[http2][late][probed][grpc]") {
    Harness h(Role::kClient);
    probe(h, Direction::kEgress, 9,
          {{":method", "POST"},
           {":scheme", "http"},
           {":path", "/grpc.health.v1.Health/Check"},
           {"content-type", "application/grpc"}},
          false);
    h.eg(headers(9, indexed(62) + indexed(63) + indexed(64) + indexed(65)) +
         data(9, std::string(5, '\0'), true));
    h.in(headers(9, indexed(66) + indexed(67)));
    probe(h, Direction::kIngress, 9, {{":status", "200"}, {"content-type", "application/grpc"}}, false);
    h.in(data(9, std::string(5, '\0')));
    // Trailers: the wire's copy ends the stream, but its grpc-status is a dynamic reference.
    h.in(headers(9, indexed(68), true));
    CHECK(h.out.empty());
    probe(h, Direction::kIngress, 9, {{"grpc-status", "5"}, {"grpc-message", "unknown service"}}, true);
    REQUIRE(h.out.size() == 1);
    const Ex &e = h.out[0];
    CHECK(e.protocol == BEYLA_PROTO_GRPC);
    CHECK(e.attrs.at("rpc.service") == "grpc.health.v1.Health");
    CHECK(e.attrs.at("rpc.method") == "Check");
    CHECK(e.attrs.at("rpc.grpc.status_code") == "5");
    CHECK_FALSE(e.has("beyla.http2.missing"));
}

TEST_CASE("http2 probed: a client's answer that finishes the stream before the request's probed block ended",
          "[http2][late][probed]") {
    Harness h(Role::kClient);
    // The encoder's fields come before the write; the answer is read before it returns.
    h.conn.probed(Direction::kEgress, 11,
                  std::vector<http2::hpack::Field>{{":method", "GET"}, {":path", "/items/0"}}, false, false,
                  h.ts);
    h.eg(headers(11, indexed(62) + indexed(63), true));
    h.in(headers(11, indexed(64)) + data(11, "ok", true));
    REQUIRE(h.out.size() == 1);
    CHECK(h.out[0].method == "GET");
    CHECK(h.out[0].path == "/items/0");
    h.conn.probed(Direction::kEgress, 11, {}, true, false, h.ts); // the end, too late to matter
    h.collect();
    CHECK(h.out.size() == 1);
    CHECK(h.conn.counters().unmatched == 0);
}

TEST_CASE("http2 probed: blocks the wire decodes are not held; probes alone make exchanges",
          "[http2][probed]") {
    SECTION("wire decodable") {
        Harness h(Role::kServer);
        start_server(h);
        probe(h, Direction::kIngress, 1, {{":method", "GET"}, {":path", "/a"}},
              true); // before the first read
        h.in(headers(1, request_block("GET", "/a"), true));
        h.eg(headers(1, status_block(200), true));
        REQUIRE(h.out.size() == 1);
        CHECK(h.out[0].path == "/a");
        CHECK(h.out[0].status == 200);
    }
    SECTION("probes only (no wire bytes captured)") {
        Harness h(Role::kServer);
        probe(h, Direction::kIngress, 3, {{":method", "PUT"}, {":path", "/p"}}, false);
        probe(h, Direction::kEgress, 3, {{":status", "201"}}, true);
        REQUIRE(h.out.size() == 1);
        CHECK(h.out[0].method == "PUT");
        CHECK(h.out[0].status == 201);
    }
    SECTION("a held end is released by the connection's close") {
        Harness h(Role::kServer);
        probe(h, Direction::kIngress, 1, {{":method", "GET"}, {":path", "/a"}}, true);
        probe(h, Direction::kEgress, 1, {{":status", "200"}}, false);
        h.eg(headers(1, indexed(70), true)); // its probed copy came first: not held
        REQUIRE(h.out.size() == 1);
        h.in(headers(3, indexed(71), true)); // held: no probed copy ever comes
        h.close();
        REQUIRE(h.out.size() == 2);
        CHECK(h.out[1].incomplete);
    }
}
