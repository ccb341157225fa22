// gRPC over HTTP/2: unary and streaming calls, statuses, Trailers-Only, late joins, and
// the http2 / grpc selection.
#include <catch2/catch.hpp>

#include "http2_harness.h"
#include "protocols/grpc/grpc.h"

using namespace beyla;
using namespace beyla::test::h2;
using protocols::Role;

namespace {

std::string msg(const std::string &body, bool compressed = false) {
    return std::string(1, compressed ? '\1' : '\0') + u32(static_cast<uint32_t>(body.size())) + body;
}

std::string grpc_request(const std::string &path) {
    return indexed(3) + indexed(6) + literal_idx(4, path) + literal_idx(1, "localhost:50051") +
           literal_inc_idx(31, "application/grpc") + literal_inc("te", "trailers");
}
std::string grpc_response_headers() {
    return indexed(8) + literal_inc_idx(31, "application/grpc");
}
std::string trailers(int status, const std::string &message = "") {
    std::string b = literal("grpc-status", std::to_string(status));
    if (!message.empty()) b += literal("grpc-message", message);
    return b;
}

} // namespace

TEST_CASE("grpc: helpers", "[http2][grpc]") {
    CHECK(grpc::is_grpc_content_type("application/grpc"));
    CHECK(grpc::is_grpc_content_type("application/grpc+proto"));
    CHECK(grpc::is_grpc_content_type("Application/GRPC;charset=utf-8"));
    CHECK_FALSE(grpc::is_grpc_content_type("application/grpc-web"));
    CHECK_FALSE(grpc::is_grpc_content_type("application/json"));
    std::string_view s, m;
    CHECK(grpc::split_path("/helloworld.Greeter/SayHello", &s, &m));
    CHECK(s == "helloworld.Greeter");
    CHECK(m == "SayHello");
    CHECK_FALSE(grpc::split_path("/index.html", &s, &m));
    CHECK_FALSE(grpc::split_path("/a/b/c", &s, &m));
    CHECK(grpc::status_name(0) == "OK");
    CHECK(grpc::status_name(14) == "UNAVAILABLE");
    CHECK(grpc::status_name(16) == "UNAUTHENTICATED");
    CHECK(grpc::status_name(99) == "UNKNOWN");
    const std::string m1 = msg("hello");
    CHECK(grpc::looks_like_message({reinterpret_cast<const uint8_t *>(m1.data()), m1.size()}, m1.size()));
    CHECK_FALSE(
        grpc::looks_like_message({reinterpret_cast<const uint8_t *>(m1.data()), m1.size()}, m1.size() + 1));
}

TEST_CASE("grpc: a unary call", "[http2][grpc]") {
    Harness h;
    start_server(h);
    const uint64_t t0 = h.ts;
    h.in(headers(1, grpc_request("/helloworld.Greeter/SayHello")) + data(1, msg("\x0a\x05world"), true));
    h.eg(headers(1, grpc_response_headers()) + data(1, msg("\x0a\x0bhello world")));
    CHECK(h.out.empty());
    h.eg(headers(1, trailers(0), true));
    REQUIRE(h.out.size() == 1);
    const Ex &e = h.out[0];
    CHECK(e.protocol == BEYLA_PROTO_GRPC);
    CHECK(e.version == "2");
    CHECK(e.method.empty());
    CHECK(e.path.empty());
    CHECK(e.status == -1);
    CHECK(e.req_body == -1);
    CHECK(e.attrs.at("rpc.system") == "grpc");
    CHECK(e.attrs.at("rpc.service") == "helloworld.Greeter");
    CHECK(e.attrs.at("rpc.method") == "SayHello");
    CHECK(e.attrs.at("rpc.grpc.status_code") == "0");
    CHECK(e.error.empty());
    CHECK_FALSE(e.has("beyla.http2.missing"));
    CHECK(e.ts_begin == t0);
    // The second call on the connection uses the dynamic table entries of the first.
    h.in(headers(3, indexed(3) + indexed(6) + literal_idx(4, "/helloworld.Greeter/SayBye") + indexed(63) +
                        indexed(62)) +
         data(3, msg("x"), true));
    h.eg(headers(3, indexed(8) + indexed(62)) + data(3, msg("y")) + headers(3, trailers(0), true));
    REQUIRE(h.out.size() == 2);
    CHECK(h.out[1].protocol == BEYLA_PROTO_GRPC);
    CHECK(h.out[1].attrs.at("rpc.method") == "SayBye");
}

TEST_CASE("grpc: server streaming and bidirectional calls are one span each", "[http2][grpc]") {
    Harness h;
    start_server(h);
    h.in(headers(1, grpc_request("/route.Guide/ListFeatures")) + data(1, msg("rect"), true));
    h.in(headers(3, grpc_request("/route.Guide/RouteChat")) + data(3, msg("n1")));
    h.eg(headers(1, grpc_response_headers()) + headers(3, grpc_response_headers()));
    for (int i = 0; i < 50; i++) {
        h.eg(data(1, msg("feature" + std::to_string(i))));
        h.in(data(3, msg("note" + std::to_string(i))));
        h.eg(data(3, msg("echo" + std::to_string(i))));
    }
    h.eg(headers(1, trailers(0), true));
    CHECK(h.out.size() == 1);
    h.in(data(3, "", true));
    h.eg(headers(3, trailers(0), true));
    REQUIRE(h.out.size() == 2);
    CHECK(h.out[0].attrs.at("rpc.method") == "ListFeatures");
    CHECK(h.out[1].attrs.at("rpc.method") == "RouteChat");
    CHECK(h.out[1].attrs.at("rpc.grpc.status_code") == "0");
}

TEST_CASE("grpc: an error status", "[http2][grpc]") {
    Harness h;
    start_server(h);
    h.in(headers(1, grpc_request("/svc.S/M")) + data(1, msg(""), true));
    h.eg(headers(1, grpc_response_headers()) + headers(1, trailers(14, "backend down"), true));
    REQUIRE(h.out.size() == 1);
    CHECK(h.out[0].attrs.at("rpc.grpc.status_code") == "14");
    CHECK(h.out[0].error == "UNAVAILABLE");
    CHECK_FALSE(h.out[0].incomplete);
}

TEST_CASE("grpc: Trailers-Only answers", "[http2][grpc]") {
    Harness h;
    start_server(h);
    h.in(headers(1, grpc_request("/svc.S/Missing")) + data(1, msg(""), true));
    h.eg(headers(1, grpc_response_headers() + trailers(12, "unknown method"), true));
    REQUIRE(h.out.size() == 1);
    CHECK(h.out[0].protocol == BEYLA_PROTO_GRPC);
    CHECK(h.out[0].attrs.at("rpc.grpc.status_code") == "12");
    CHECK(h.out[0].error == "UNIMPLEMENTED");
    CHECK(h.out[0].attrs.at("rpc.method") == "Missing");
}

TEST_CASE("grpc: a cancelled call", "[http2][grpc]") {
    Harness h;
    start_server(h);
    h.in(headers(1, grpc_request("/svc.S/Slow")) + data(1, msg("q"), true));
    h.eg(headers(1, grpc_response_headers()));
    h.in(rst(1, 8));
    REQUIRE(h.out.size() == 1);
    CHECK(h.out[0].protocol == BEYLA_PROTO_GRPC);
    CHECK(h.out[0].error == "CANCEL");
    CHECK(h.out[0].incomplete);
    CHECK_FALSE(h.out[0].has("rpc.grpc.status_code"));
}

TEST_CASE("grpc: joined late", "[http2][grpc][late]") {
    SECTION("content-type and :path unknown, the status in the trailers") {
        Harness h;
        // :path and content-type are references to entries inserted before the join.
        h.in(headers(41, indexed(3) + indexed(6) + indexed(64) + indexed(63) + indexed(62)) +
             data(41, msg("q"), true));
        h.eg(headers(41, indexed(8) + indexed(63)) + data(41, msg("r")) + headers(41, trailers(5), true));
        REQUIRE(h.out.size() == 1);
        const Ex &e = h.out[0];
        CHECK(e.protocol == BEYLA_PROTO_GRPC);
        CHECK(e.attrs.at("rpc.grpc.status_code") == "5");
        CHECK(e.error == "NOT_FOUND");
        CHECK_FALSE(e.has("rpc.method"));
        CHECK(e.attrs.at("beyla.http2.missing") == "path");
        CHECK(h.conn.counters().fields_unknown == 4);
    }
    SECTION("everything unknown but the message framing") {
        Harness h;
        h.in(headers(41, indexed(3) + indexed(66) + indexed(65)) + data(41, msg("query"), true));
        h.eg(headers(41, indexed(8) + indexed(63)) + data(41, msg("answer")) +
             headers(41, indexed(62), true));
        REQUIRE(h.out.size() == 1);
        CHECK(h.out[0].protocol == BEYLA_PROTO_GRPC);
        CHECK_FALSE(h.out[0].has("rpc.grpc.status_code"));
        CHECK(h.out[0].attrs.at("beyla.http2.missing") == "path,grpc-status");
    }
    SECTION("the :path known, content-type not") {
        Harness h;
        h.in(headers(41, indexed(3) + literal_idx(4, "/a.B/C") + indexed(62)) + data(41, msg("q"), true));
        h.eg(headers(41, indexed(8)) + headers(41, trailers(0), true));
        REQUIRE(h.out.size() == 1);
        CHECK(h.out[0].protocol == BEYLA_PROTO_GRPC);
        CHECK(h.out[0].attrs.at("rpc.method") == "C");
        CHECK(h.out[0].attrs.at("rpc.service") == "a.B");
    }
}

TEST_CASE("grpc: the selection", "[http2][grpc]") {
    auto run = [](bool http2, bool grpc) {
        http2::ConnectionLimits lim;
        lim.report_http2 = http2;
        lim.report_grpc = grpc;
        Harness h(Role::kServer, lim);
        start_server(h);
        h.in(headers(1, grpc_request("/svc.S/M")) + data(1, msg(""), true));
        h.eg(headers(1, grpc_response_headers()) + headers(1, trailers(0), true));
        h.in(headers(3, request_block("GET", "/plain"), true));
        h.eg(headers(3, status_block(200), true));
        return h.out;
    };
    auto both = run(true, true);
    REQUIRE(both.size() == 2);
    CHECK(both[0].protocol == BEYLA_PROTO_GRPC);
    CHECK(both[1].protocol == BEYLA_PROTO_HTTP2);
    auto only_grpc = run(false, true);
    REQUIRE(only_grpc.size() == 1);
    CHECK(only_grpc[0].protocol == BEYLA_PROTO_GRPC);
    auto only_http2 = run(true, false);
    REQUIRE(only_http2.size() == 2);
    CHECK(only_http2[0].protocol == BEYLA_PROTO_HTTP2);
    CHECK(only_http2[0].method == "POST");
    CHECK(only_http2[0].path == "/svc.S/M");
    CHECK(only_http2[0].status == 200);
    CHECK_FALSE(only_http2[0].has("rpc.system"));
}
