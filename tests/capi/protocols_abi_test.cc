// The protocol selection and protocol names through the C ABI (version node LIBBEYLA_0.2),
// and callers compiled against the 0.1 options struct.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <beyla/beyla.h>

#include "../unit/event_builder.h"
#include "recording_file.h"

namespace {

std::vector<std::vector<uint8_t>> http1_exchange() {
    using namespace beyla::test;
    return {data_event(77, 5, 0x10, BEYLA_DIR_INGRESS, 1000, "GET /p HTTP/1.1\r\nHost: x\r\n\r\n"),
            data_event(77, 5, 0x10, BEYLA_DIR_EGRESS, 2000, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")};
}

void count_span(const beyla_span *, void *ctx) { ++*static_cast<int *>(ctx); }

int replay_spans(beyla_tracer_opts &o, beyla_stats *st) {
    int spans = 0;
    o.on_span = count_span;
    o.span_ctx = &spans;
    beyla_tracer *t = beyla_tracer_new(&o);
    REQUIRE(t);
    REQUIRE(beyla_tracer_start(t) == 0);
    while (beyla_tracer_poll(t, 0) != -ENODATA) {
    }
    beyla_tracer_stop(t);
    st->sz = sizeof(*st);
    REQUIRE(beyla_tracer_stats(t, st) == 0);
    beyla_tracer_free(t);
    return spans;
}

} // namespace

TEST_CASE("protocol names: each listed once, spans' protocols named", "[capi][protocols]") {
    std::set<std::string> names;
    for (size_t i = 0; const char *n = beyla_protocol_list(i); i++) CHECK(names.insert(n).second);
    CHECK(names.count("http") == 1);
    CHECK(std::string(beyla_protocol_name(BEYLA_PROTO_HTTP1)) == "http");
    CHECK(std::string(beyla_protocol_name(BEYLA_PROTO_HTTP2)) == "http");
    CHECK(std::string(beyla_protocol_name(BEYLA_PROTO_GRPC)) == "grpc");
    CHECK(std::string(beyla_protocol_name(12345)) == "unknown");
    CHECK(beyla_protocol_list(100000) == nullptr);
}

TEST_CASE("protocol selection: by name, unknown names refused", "[capi][protocols]") {
    std::string rec = write_recording("protos.rec", http1_exchange());
    beyla_tracer_opts o{};
    o.sz = sizeof(o);
    o.replay_path = rec.c_str();
    beyla_stats st{};
    CHECK(replay_spans(o, &st) == 1); // default: every protocol

    const char *http[] = {"http"};
    o.protocols = http;
    o.protocol_count = 1;
    CHECK(replay_spans(o, &st) == 1);

    const char *bad[] = {"http", "gopher"};
    o.protocols = bad;
    o.protocol_count = 2;
    errno = 0;
    CHECK(beyla_tracer_new(&o) == nullptr);
    CHECK(errno == EINVAL);

    o.protocols = nullptr; // a count without its array
    errno = 0;
    CHECK(beyla_tracer_new(&o) == nullptr);
    CHECK(errno == EINVAL);

    const char *empty[] = {""};
    o.protocols = empty;
    o.protocol_count = 1;
    CHECK(beyla_tracer_new(&o) == nullptr);
    unlink(rec.c_str());
}

TEST_CASE("a caller built against the 0.1 options and stats structs keeps working", "[capi][protocols]") {
    std::string rec = write_recording("old.rec", http1_exchange());
    // 0.1's beyla_tracer_opts ended with capture_tls: its sz stops before protocols.
    std::vector<unsigned char> buf(sizeof(beyla_tracer_opts), 0xAB); // garbage past the old end
    auto *o = reinterpret_cast<beyla_tracer_opts *>(buf.data());
    memset(o, 0, offsetof(beyla_tracer_opts, protocols));
    o->sz = offsetof(beyla_tracer_opts, protocols);
    o->replay_path = rec.c_str();
    int spans = 0;
    o->on_span = count_span;
    o->span_ctx = &spans;
    beyla_tracer *t = beyla_tracer_new(o);
    REQUIRE(t);
    REQUIRE(beyla_tracer_start(t) == 0);
    while (beyla_tracer_poll(t, 0) != -ENODATA) {
    }
    beyla_tracer_stop(t);
    CHECK(spans == 1); // every protocol, as before
    // 0.1's beyla_stats ended with gap_bytes: nothing is written past it.
    std::vector<unsigned char> sbuf(sizeof(beyla_stats) + 16, 0xCD);
    auto *st = reinterpret_cast<beyla_stats *>(sbuf.data());
    st->sz = offsetof(beyla_stats, unknown_protocol);
    REQUIRE(beyla_tracer_stats(t, st) == 0);
    CHECK(st->spans == 1);
    for (size_t i = offsetof(beyla_stats, unknown_protocol); i < sbuf.size(); i++) CHECK(sbuf[i] == 0xCD);

    const char *name = nullptr;
    uint64_t value = 0;
    CHECK(beyla_tracer_counter(nullptr, 0, &name, &value) == -EINVAL);
    CHECK(beyla_tracer_counter(t, 0, nullptr, &value) == -EINVAL);
    CHECK(beyla_tracer_counter(t, 100000, &name, &value) == -ENOENT);
    beyla_tracer_free(t);
    unlink(rec.c_str());
}
