// HTTP/2 through the whole user-side pipeline (events → tracer → inference → spans).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "core/tracer.h"
#include "event_builder.h"
#include "http2_frames.h"
#include "source/recording.h"

using namespace beyla;
using namespace beyla::test;
using namespace beyla::test::h2;

namespace {

struct Span {
    int protocol = 0, kind = 0, status = -1;
    std::string method, path;
    std::map<std::string, std::string> attrs;
};

std::vector<Span> replay(const std::vector<std::vector<uint8_t>> &events,
                         std::vector<std::string> protos = {}, beyla_stats *stats = nullptr,
                         protocols::NamedCounters *named = nullptr) {
    const std::string path = "/tmp/beyla-unit-h2-" + std::to_string(getpid()) + ".rec";
    {
        RecordingWriter w(path, 0);
        for (auto &e : events) w.write(e.data(), e.size());
    }
    std::vector<Span> out;
    TracerOptions o;
    o.replay_path = path;
    o.protocols = std::move(protos);
    o.on_span = [&](const beyla_span &s) {
        Span x;
        x.protocol = s.protocol;
        x.kind = s.kind;
        x.status = s.status;
        x.method = s.method ? s.method : "";
        x.path = s.path ? s.path : "";
        for (size_t i = 0; i < s.attr_count; i++)
            x.attrs[s.attrs[i].key] = s.attrs[i].type == BEYLA_ATTR_INT ? std::to_string(s.attrs[i].num)
                                                                        : std::string(s.attrs[i].str);
        out.push_back(x);
    };
    Tracer t(std::move(o));
    t.start();
    while (t.poll(0) != -ENODATA) {
    }
    t.stop();
    if (stats) *stats = t.stats();
    if (named)
        for (size_t i = 0; i < t.protocol_counters().size(); i++)
            named->at(t.protocol_counters()[i].first) = t.protocol_counters()[i].second;
    unlink(path.c_str());
    return out;
}

std::vector<uint8_t> in(uint64_t ts, const std::string &b) {
    return data_event(100, 7, 0xabc, BEYLA_DIR_INGRESS, ts, b);
}
std::vector<uint8_t> eg(uint64_t ts, const std::string &b) {
    return data_event(100, 7, 0xabc, BEYLA_DIR_EGRESS, ts, b);
}

} // namespace

TEST_CASE("replay: h2c with prior knowledge", "[http2][replay]") {
    beyla_stats st{};
    auto spans = replay({conn_event(BEYLA_EV_CONN_OPEN, 100, 7, 0xabc, 1000),
                         in(2000, preface() + settings()), eg(2100, settings() + settings_ack()),
                         in(2200, settings_ack() + headers(1, request_block("GET", "/a?x=1"), true)),
                         in(2300, headers(3, request_block("POST", "/b")) + data(3, "12345", true)),
                         eg(3000, headers(3, status_block(201)) + data(3, "ok", true)),
                         eg(3100, headers(1, status_block(404), true)),
                         conn_event(BEYLA_EV_CONN_CLOSE, 100, 7, 0xabc, 9000)},
                        {}, &st);
    REQUIRE(spans.size() == 2);
    CHECK(spans[0].path == "/b");
    CHECK(spans[0].method == "POST");
    CHECK(spans[0].status == 201);
    CHECK(spans[0].attrs["network.protocol.version"] == "2");
    CHECK(spans[0].attrs["http.request.body.size"] == "5");
    CHECK(spans[0].attrs["http.response.body.size"] == "2");
    CHECK(spans[0].protocol == BEYLA_PROTO_HTTP2);
    CHECK(spans[0].kind == BEYLA_SPAN_SERVER);
    CHECK(spans[1].path == "/a");
    CHECK(spans[1].status == 404);
    CHECK(st.parse_errors == 0);
    CHECK(st.unknown_protocol == 0);
    CHECK(st.unmatched == 0);
}

TEST_CASE("replay: h2c upgrade from HTTP/1.1", "[http2][replay][upgrade]") {
    beyla_stats st{};
    const std::string req =
        "GET /upgrade HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\n"
        "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n";
    const std::string sw = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
    auto spans = replay(
        {conn_event(BEYLA_EV_CONN_OPEN, 100, 7, 0xabc, 1000), in(2000, req),
         // The 101 and the server's first frames in one write.
         eg(3000, sw + settings({{0x3, 100}})), in(3500, preface() + settings() + settings_ack()),
         eg(4000, settings_ack() + headers(1, status_block(200) + literal("server", "h2")) +
                      data(1, "upgraded!", true)),
         in(5000, headers(3, request_block("GET", "/after"), true)),
         eg(6000, headers(3, status_block(204), true)), conn_event(BEYLA_EV_CONN_CLOSE, 100, 7, 0xabc, 9000)},
        {}, &st);
    REQUIRE(spans.size() == 2);
    CHECK(spans[0].method == "GET");
    CHECK(spans[0].path == "/upgrade");
    CHECK(spans[0].status == 200);
    CHECK(spans[0].attrs["network.protocol.version"] == "2");
    CHECK(spans[0].attrs["http.response.body.size"] == "9");
    CHECK(spans[0].protocol == BEYLA_PROTO_HTTP2);
    CHECK(spans[1].path == "/after");
    CHECK(spans[1].status == 204);
    CHECK(st.parse_errors == 0);
    CHECK(st.unknown_protocol == 0);
}

TEST_CASE("replay: a connection joined late is claimed from plausible frames", "[http2][replay][late]") {
    beyla_stats st{};
    protocols::NamedCounters named;
    // No accept, no preface: the server's reads start with a request on stream 21 whose
    // :path is a dynamic reference.
    auto spans =
        replay({in(2000, headers(21, indexed(2) + indexed(7) + indexed(62) + literal("a", "b"), true) +
                             window_update(0, 100)),
                eg(3000, headers(21, status_block(200)) + data(21, "abc", true))},
               {}, &st, &named);
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].method == "GET");
    CHECK(spans[0].path.empty());
    CHECK(spans[0].status == 200);
    CHECK(spans[0].kind == BEYLA_SPAN_SERVER);
    CHECK(spans[0].attrs["beyla.http2.missing"] == "path");
    CHECK(named.get("http2.fields_unknown") == 1);
}

TEST_CASE("replay: inference says no to HTTP/1 and yes to HTTP/2", "[http2][replay]") {
    auto spans = replay({in(2000, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
                         eg(3000, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")});
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].protocol == BEYLA_PROTO_HTTP1);
}

namespace {

std::vector<std::vector<uint8_t>> grpc_and_plain() {
    const std::string req = indexed(3) + indexed(6) + literal_idx(4, "/helloworld.Greeter/SayHello") +
                            literal_idx(31, "application/grpc");
    const std::string m = std::string("\0\0\0\0\2hi", 7);
    return {conn_event(BEYLA_EV_CONN_OPEN, 100, 7, 0xabc, 1000),
            in(2000, preface() + settings() + headers(1, req) + data(1, m, true)),
            eg(3000, settings() + headers(1, indexed(8) + literal_idx(31, "application/grpc")) + data(1, m) +
                         headers(1, literal("grpc-status", "14"), true)),
            in(4000, headers(3, request_block("GET", "/plain"), true)),
            eg(5000, headers(3, status_block(200), true))};
}

} // namespace

TEST_CASE("replay: gRPC spans, and the http2 / grpc selection", "[http2][replay][grpc]") {
    auto all = replay(grpc_and_plain());
    REQUIRE(all.size() == 2);
    CHECK(all[0].protocol == BEYLA_PROTO_GRPC);
    CHECK(all[0].method.empty());
    CHECK(all[0].path.empty());
    CHECK(all[0].status == -1);
    CHECK(all[0].attrs["rpc.system"] == "grpc");
    CHECK(all[0].attrs["rpc.service"] == "helloworld.Greeter");
    CHECK(all[0].attrs["rpc.method"] == "SayHello");
    CHECK(all[0].attrs["rpc.grpc.status_code"] == "14");
    CHECK(all[0].attrs["error.type"] == "UNAVAILABLE");
    CHECK(all[0].attrs.count("url.path") == 0);
    CHECK(all[0].attrs.count("http.response.status_code") == 0);
    CHECK(all[1].protocol == BEYLA_PROTO_HTTP2);
    auto grpc = replay(grpc_and_plain(), {"grpc"});
    REQUIRE(grpc.size() == 1);
    CHECK(grpc[0].protocol == BEYLA_PROTO_GRPC);
    auto h2 = replay(grpc_and_plain(), {"http2"});
    REQUIRE(h2.size() == 2);
    CHECK(h2[0].protocol == BEYLA_PROTO_HTTP2);
    CHECK(h2[0].path == "/helloworld.Greeter/SayHello");
    CHECK(h2[0].status == 200);
    // HTTP/1 alone leaves the connection undecoded.
    beyla_stats st{};
    auto h1 = replay(grpc_and_plain(), {"http"}, &st);
    CHECK(h1.empty());
}

TEST_CASE("replay: a gRPC connection joined late", "[http2][replay][grpc][late]") {
    // The server's reads start mid-connection: :path and content-type are dynamic
    // references; the answer's trailers carry grpc-status as a literal.
    const std::string m = std::string("\0\0\0\0\2hi", 7);
    auto spans = replay(
        {in(2000, headers(41, indexed(3) + indexed(6) + indexed(64) + indexed(63)) + data(41, m, true)),
         eg(3000, headers(41, indexed(8) + indexed(62)) + data(41, m) +
                      headers(41, literal("grpc-status", "7"), true))});
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].protocol == BEYLA_PROTO_GRPC);
    CHECK(spans[0].attrs["rpc.grpc.status_code"] == "7");
    CHECK(spans[0].attrs["error.type"] == "PERMISSION_DENIED");
    CHECK(spans[0].attrs.count("rpc.method") == 0);
    CHECK(spans[0].attrs["beyla.http2.missing"] == "path");
}
