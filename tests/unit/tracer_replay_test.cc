// The whole user-side pipeline (decode → connections → HTTP/1 → spans) from a recording.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "core/tracer.h"
#include "event_builder.h"
#include "replay_util.h"
#include "source/recording.h"

using namespace beyla;
using namespace beyla::test;

namespace {

struct Captured {
    std::string method, path, exe;
    int status;
    int kind;
    uint64_t start, end;
    uint32_t pid;
    int64_t resp_body = -1;
    std::string server_addr;
    int64_t server_port = -1, client_port = -1;
    bool has_query = false;
    std::string scheme;
    std::string error_type;
};

std::vector<Captured> replay(const std::vector<std::vector<uint8_t>> &events, beyla_stats *stats = nullptr,
                             bool query = false) {
    std::vector<Captured> out;
    TracerOptions o;
    o.capture_url_query = query;
    o.on_span = [&](const beyla_span &s) {
        Captured c{s.method ? s.method : "", s.path ? s.path : "", s.exe ? s.exe : "", s.status, s.kind,
                   s.start_time_unix_nano, s.end_time_unix_nano, s.pid};
        for (size_t i = 0; i < s.attr_count; i++) {
            std::string k = s.attrs[i].key;
            if (k == "http.response.body.size") c.resp_body = s.attrs[i].num;
            if (k == "server.address") c.server_addr = s.attrs[i].str;
            if (k == "server.port") c.server_port = s.attrs[i].num;
            if (k == "client.port") c.client_port = s.attrs[i].num;
            if (k == "url.query") c.has_query = true;
            if (k == "url.scheme") c.scheme = s.attrs[i].str;
            if (k == "error.type") c.error_type = s.attrs[i].str;
        }
        out.push_back(c);
    };
    beyla_stats st = run_replay(events, std::move(o));
    if (stats) *stats = st;
    return out;
}

const std::string kReq = "GET /index.html?x=1 HTTP/1.1\r\nHost: a\r\n\r\n";
const std::string kResp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

} // namespace

TEST_CASE("replay: a server request/response becomes one span", "[tracer][replay]") {
    beyla_stats st{};
    auto spans = replay({conn_event(BEYLA_EV_CONN_OPEN, 100, 7, 0xabc, 1000),
                         data_event(100, 7, 0xabc, BEYLA_DIR_INGRESS, 2000, kReq),
                         data_event(100, 7, 0xabc, BEYLA_DIR_EGRESS, 5000, kResp),
                         conn_event(BEYLA_EV_CONN_CLOSE, 100, 7, 0xabc, 9000)},
                        &st);
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].method == "GET");
    CHECK(spans[0].path == "/index.html");
    CHECK(spans[0].status == 200);
    CHECK(spans[0].kind == BEYLA_SPAN_SERVER);
    CHECK(spans[0].pid == 100);
    CHECK(spans[0].exe == "testsrv"); // from comm: a replay does not read /proc
    CHECK(spans[0].resp_body == 5);
    CHECK(spans[0].server_addr == "127.0.0.1");
    CHECK(spans[0].server_port == 8080);
    CHECK(spans[0].client_port == 40000);
    CHECK_FALSE(spans[0].has_query); // off by default
    // Start: the request's read returned (ts_exit of the ingress event); end: the write's exit.
    const uint64_t base = 1'000'000'000'000'000'000ULL;
    CHECK(spans[0].start == base + 3000);
    CHECK(spans[0].end == base + 6000);
    CHECK(st.spans == 1);
    CHECK(st.connections == 1);
    CHECK(st.parse_errors == 0);
    CHECK(st.events == 4);
}

TEST_CASE("replay: a server's 5xx carries error.type, its 4xx does not", "[tracer][replay]") {
    const std::string r500 = "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n";
    const std::string r404 = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    auto spans = replay({conn_event(BEYLA_EV_CONN_OPEN, 100, 7, 0xabc, 1000),
                         data_event(100, 7, 0xabc, BEYLA_DIR_INGRESS, 2000, kReq),
                         data_event(100, 7, 0xabc, BEYLA_DIR_EGRESS, 5000, r500),
                         data_event(100, 7, 0xabc, BEYLA_DIR_INGRESS, 6000, kReq),
                         data_event(100, 7, 0xabc, BEYLA_DIR_EGRESS, 7000, r404),
                         conn_event(BEYLA_EV_CONN_CLOSE, 100, 7, 0xabc, 9000)});
    REQUIRE(spans.size() == 2);
    CHECK(spans[0].status == 503);
    CHECK(spans[0].error_type == "503");
    CHECK(spans[1].status == 404);
    CHECK(spans[1].error_type.empty());
}

// A data event with extra flags and syscall (the TLS probes' and their nested syscalls').
std::vector<uint8_t> flagged(std::vector<uint8_t> ev, uint8_t flags, uint8_t sys, bool drop_payload = false) {
    auto *d = reinterpret_cast<beyla_data_event *>(ev.data());
    d->flags = flags;
    d->syscall = sys;
    if (drop_payload) {
        d->captured = 0;
        ev.resize(sizeof(beyla_data_event));
    }
    return ev;
}

TEST_CASE("replay: TLS plaintext makes an https span, handshake and ciphertext are not parse errors",
          "[tracer][replay][tls]") {
    beyla_stats st{};
    const std::string hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage-client-hello", 30);
    const std::string cipher("\x17\x03\x03\x00\x40"
                             "ciphertext-bytes-here....",
                             30);
    auto spans = replay({conn_event(BEYLA_EV_CONN_OPEN, 100, 7, 0xabc, 1000),
                         // The handshake, outside any probed call: plain socket bytes.
                         data_event(100, 7, 0xabc, BEYLA_DIR_INGRESS, 1500, hello),
                         data_event(100, 7, 0xabc, BEYLA_DIR_EGRESS, 1600, hello),
                         // SSL_read: its nested read (ciphertext, no payload), then the plaintext.
                         flagged(data_event(100, 7, 0xabc, BEYLA_DIR_INGRESS, 2000, cipher),
                                 BEYLA_DATA_F_ENCRYPTED, BEYLA_SYS_READ, true),
                         flagged(data_event(100, 7, 0xabc, BEYLA_DIR_INGRESS, 2100, kReq), BEYLA_DATA_F_TLS,
                                 BEYLA_SYS_TLS_READ),
                         flagged(data_event(100, 7, 0xabc, BEYLA_DIR_EGRESS, 5000, cipher),
                                 BEYLA_DATA_F_ENCRYPTED, BEYLA_SYS_WRITE, true),
                         flagged(data_event(100, 7, 0xabc, BEYLA_DIR_EGRESS, 5100, kResp), BEYLA_DATA_F_TLS,
                                 BEYLA_SYS_TLS_WRITE),
                         // close_notify after the last SSL_write: ciphertext outside a probed call.
                         data_event(100, 7, 0xabc, BEYLA_DIR_EGRESS, 6000, cipher),
                         conn_event(BEYLA_EV_CONN_CLOSE, 100, 7, 0xabc, 9000)},
                        &st);
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].method == "GET");
    CHECK(spans[0].path == "/index.html");
    CHECK(spans[0].status == 200);
    CHECK(spans[0].kind == BEYLA_SPAN_SERVER);
    CHECK(spans[0].scheme == "https");
    CHECK(st.parse_errors == 0);
    CHECK(st.non_http == 0);
    CHECK(st.unmatched == 0);
    CHECK(st.tls_undecoded == 0); // the handshake was set aside, then the plaintext came
}

TEST_CASE("replay: TLS records with no probe are set aside, not parse errors", "[tracer][replay][tls]") {
    beyla_stats st{};
    const std::string hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage-client-hello", 30);
    const std::string server_hello("\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03random-bytes", 23);
    const std::string cipher("\x17\x03\x03\x00\x40"
                             "ciphertext-bytes-here....",
                             30);
    // A connection seen from its start, and one first seen mid-way (application data).
    std::vector<std::vector<uint8_t>> evs = {conn_event(BEYLA_EV_CONN_OPEN, 100, 7, 0xabc, 1000),
                                             data_event(100, 7, 0xabc, BEYLA_DIR_INGRESS, 1500, hello),
                                             data_event(100, 7, 0xabc, BEYLA_DIR_EGRESS, 1600, server_hello),
                                             data_event(100, 8, 0xdef, BEYLA_DIR_INGRESS, 1700, cipher)};
    for (int i = 0; i < 50; i++) {
        evs.push_back(data_event(100, 7, 0xabc, BEYLA_DIR_INGRESS, 2000 + i * 10, cipher));
        evs.push_back(data_event(100, 7, 0xabc, BEYLA_DIR_EGRESS, 2005 + i * 10, cipher));
        evs.push_back(data_event(100, 8, 0xdef, BEYLA_DIR_EGRESS, 2007 + i * 10, cipher));
    }
    // A plain HTTP connection beside them is untouched.
    evs.push_back(data_event(100, 9, 0x123, BEYLA_DIR_INGRESS, 3000, kReq));
    evs.push_back(data_event(100, 9, 0x123, BEYLA_DIR_EGRESS, 3100, kResp));
    auto spans = replay(evs, &st);
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].scheme.empty());
    CHECK(st.tls_undecoded == 2);
    CHECK(st.parse_errors == 0);
    CHECK(st.non_http == 0);
    CHECK(st.unmatched == 0);
}

TEST_CASE("replay: bytes that only resemble a TLS record are parsed as before", "[tracer][replay][tls]") {
    beyla_stats st{};
    // Version byte 3.9 and a zero length: not records, so plain garbage that no protocol
    // claims (inference looks at it; nothing parses it, so no parse error either).
    auto spans = replay({data_event(100, 7, 0xabc, BEYLA_DIR_INGRESS, 1000, std::string("\x16\x03\x09\x00\x10xxxxxxxx", 13)),
                         data_event(100, 8, 0xabd, BEYLA_DIR_INGRESS, 1000, std::string("\x17\x03\x03\x00\x00xxxxxxxx", 13))},
                        &st);
    CHECK(spans.empty());
    CHECK(st.tls_undecoded == 0);
    CHECK(st.parse_errors == 0);
}

TEST_CASE("replay: plain HTTP spans carry no url.scheme", "[tracer][replay][tls]") {
    auto spans = replay({conn_event(BEYLA_EV_CONN_OPEN, 100, 7, 0xabc, 1000),
                         data_event(100, 7, 0xabc, BEYLA_DIR_INGRESS, 2000, kReq),
                         data_event(100, 7, 0xabc, BEYLA_DIR_EGRESS, 5000, kResp)});
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].scheme.empty());
}

TEST_CASE("replay: url.query only when enabled", "[tracer][replay]") {
    auto spans = replay({data_event(100, 7, 1, BEYLA_DIR_INGRESS, 2000, kReq),
                         data_event(100, 7, 1, BEYLA_DIR_EGRESS, 5000, kResp)},
                        nullptr, true);
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].has_query);
}

TEST_CASE("replay: a reused fd never pairs one connection's request with another's response",
          "[tracer][replay]") {
    beyla_stats st{};
    auto spans = replay({data_event(100, 7, 0x1, BEYLA_DIR_INGRESS, 1000, kReq),
                         // fd 7 now names another socket, and it carries only a response.
                         data_event(100, 7, 0x2, BEYLA_DIR_EGRESS, 2000, kResp),
                         data_event(100, 7, 0x2, BEYLA_DIR_INGRESS, 3000, "GET /second HTTP/1.1\r\n\r\n"),
                         data_event(100, 7, 0x2, BEYLA_DIR_EGRESS, 4000, kResp)},
                        &st);
    REQUIRE(spans.size() == 2);
    CHECK(spans[0].path == "/index.html"); // its connection ended unanswered
    CHECK(spans[0].status == -1);
    CHECK(spans[1].path == "/second");
    CHECK(spans[1].status == 200);
    CHECK(st.connections == 2);
    CHECK(st.incomplete == 1);
    CHECK(st.unmatched == 1); // the response alone on the second socket
}

TEST_CASE("replay: connections of different processes with the same fd stay apart", "[tracer][replay]") {
    auto spans = replay({data_event(100, 7, 0x1, BEYLA_DIR_INGRESS, 1000, "GET /a HTTP/1.1\r\n\r\n"),
                         data_event(200, 7, 0x2, BEYLA_DIR_INGRESS, 1100, "GET /b HTTP/1.1\r\n\r\n"),
                         data_event(200, 7, 0x2, BEYLA_DIR_EGRESS, 1200, kResp),
                         data_event(100, 7, 0x1, BEYLA_DIR_EGRESS, 1300,
                                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")});
    REQUIRE(spans.size() == 2);
    CHECK(spans[0].path == "/b");
    CHECK(spans[0].status == 200);
    CHECK(spans[0].pid == 200);
    CHECK(spans[1].path == "/a");
    CHECK(spans[1].status == 404);
}

TEST_CASE("replay: a process exit closes its connections", "[tracer][replay]") {
    beyla_stats st{};
    auto spans = replay({data_event(100, 7, 0x1, BEYLA_DIR_INGRESS, 1000, kReq),
                         proc_event(BEYLA_EV_PROC_EXIT, 100, 9000)},
                        &st);
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].status == -1);
    CHECK(spans[0].end > spans[0].start); // it ends at the exit
    CHECK(st.incomplete == 1);
    CHECK(st.unmatched == 0);
}

TEST_CASE("replay: malformed events are counted, not decoded", "[tracer][replay]") {
    beyla_stats st{};
    auto bad = data_event(100, 7, 0x1, BEYLA_DIR_INGRESS, 1000, kReq);
    bad.resize(bad.size() - 10); // captured says more than the record holds
    std::vector<uint8_t> tiny = {1, 2, 3};
    auto unknown = proc_event(99, 100, 1000);
    auto spans = replay({bad, tiny, unknown, data_event(100, 8, 0x2, BEYLA_DIR_INGRESS, 1000, kReq),
                         data_event(100, 8, 0x2, BEYLA_DIR_EGRESS, 2000, kResp)},
                        &st);
    CHECK(spans.size() == 1);
    CHECK(st.malformed == 3);
}

TEST_CASE("replay: a truncated recording ends the replay cleanly", "[tracer][replay]") {
    std::string path = temp_path("trunc.rec");
    {
        RecordingWriter w(path, 0);
        auto e = data_event(100, 7, 0x1, BEYLA_DIR_INGRESS, 1000, kReq);
        w.write(e.data(), e.size());
    }
    REQUIRE(truncate(path.c_str(), sizeof(RecordingHeader) + 20) == 0);
    TracerOptions o;
    o.replay_path = path;
    Tracer t(std::move(o));
    t.start();
    CHECK(t.poll(0) == -ENODATA);
    t.stop();
    unlink(path.c_str());
}

TEST_CASE("replay: not a recording is a clear error", "[tracer][replay]") {
    std::string path = temp_path("notrec");
    FILE *f = fopen(path.c_str(), "w");
    fputs("this is not a recording, it is text that goes on for a while", f);
    fclose(f);
    TracerOptions o;
    o.replay_path = path;
    Tracer t(std::move(o));
    CHECK_THROWS_WITH(t.start(), Catch::Contains("not a libbeyla recording"));
    unlink(path.c_str());
}

TEST_CASE("tracer: nothing selected is refused", "[tracer]") {
    TracerOptions o;
    CHECK_THROWS_AS([&] { Tracer t(std::move(o)); }(), beyla::Error);
}
