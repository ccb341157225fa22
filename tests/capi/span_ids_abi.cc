// Trace and span ids through the C ABI: random per span, kept by beyla_span_copy, in JSON
// as lowercase hex, and absent from an older caller's smaller span.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <beyla/beyla.h>

#include "../unit/event_builder.h"
#include "recording_file.h"

namespace {

std::vector<std::vector<uint8_t>> exchanges(uint32_t pid, int n) {
    using namespace beyla::test;
    std::vector<std::vector<uint8_t>> out;
    uint64_t ts = 1000;
    for (int i = 0; i < n; i++) {
        out.push_back(
            data_event(pid, 5, 0x10, BEYLA_DIR_INGRESS, ts += 100, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n"));
        out.push_back(data_event(pid, 5, 0x10, BEYLA_DIR_EGRESS, ts += 100,
                                 "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    }
    return out;
}

std::string hex(const uint8_t *b, size_t n) {
    std::string s;
    char tmp[3];
    for (size_t i = 0; i < n; i++) snprintf(tmp, sizeof tmp, "%02x", b[i]), s += tmp;
    return s;
}

void keep(const beyla_span *s, void *ctx) {
    static_cast<std::vector<beyla_span *> *>(ctx)->push_back(beyla_span_copy(s));
}

} // namespace

TEST_CASE("every span has random W3C-sized trace and span ids", "[capi][span][ids]") {
    std::string rec = write_recording("ids.rec", exchanges(77, 50));
    std::vector<beyla_span *> spans;
    beyla_tracer_opts o{};
    o.sz = sizeof(o);
    o.replay_path = rec.c_str();
    o.on_span = keep;
    o.span_ctx = &spans;
    beyla_tracer *t = beyla_tracer_new(&o);
    REQUIRE(t);
    REQUIRE(beyla_tracer_start(t) == 0);
    while (beyla_tracer_poll(t, 0) != -ENODATA) {
    }
    beyla_tracer_free(t);
    unlink(rec.c_str());
    REQUIRE(spans.size() == 50);
    std::set<std::string> traces, ids;
    for (auto *s : spans) {
        REQUIRE(s);
        traces.insert(hex(s->trace_id, 16));
        ids.insert(hex(s->span_id, 8));
        char buf[2048];
        REQUIRE(beyla_span_to_json(s, buf, sizeof buf) > 0);
        std::string json(buf);
        CHECK(json.find("\"trace_id\":\"" + hex(s->trace_id, 16) + "\"") != std::string::npos);
        CHECK(json.find("\"span_id\":\"" + hex(s->span_id, 8) + "\"") != std::string::npos);
    }
    CHECK(traces.size() == 50);
    CHECK(ids.size() == 50);
    CHECK(traces.count(std::string(32, '0')) == 0);

    // An older caller's span ends before the ids: no keys, and a copy of it has zero ids.
    beyla_span old = *spans[0];
    old.sz = offsetof(beyla_span, trace_id);
    memset(old.trace_id, 0xab, sizeof old.trace_id);
    char buf[2048];
    REQUIRE(beyla_span_to_json(&old, buf, sizeof buf) > 0);
    CHECK(std::string(buf).find("trace_id") == std::string::npos);
    beyla_span *c = beyla_span_copy(&old);
    REQUIRE(c);
    CHECK(hex(c->trace_id, 16) == std::string(32, '0'));
    beyla_span_free(c);
    for (auto *s : spans) beyla_span_free(s);
}
