// The tracer's C ABI through the shared library: options semantics, misuse, spans, copies,
// and two tracers in one process.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <beyla/beyla.h>

#include "../unit/event_builder.h"
#include "recording_file.h"

namespace {

std::vector<std::vector<uint8_t>> one_exchange(uint32_t pid, const char *path) {
    using namespace beyla::test;
    std::string req = std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    return {data_event(pid, 5, 0x10, BEYLA_DIR_INGRESS, 1000, req),
            data_event(pid, 5, 0x10, BEYLA_DIR_EGRESS, 2000, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")};
}

struct Collect {
    std::vector<beyla_span *> copies;
    std::vector<std::string> json;
    ~Collect() {
        for (auto *s : copies) beyla_span_free(s);
    }
};

void on_span(const beyla_span *s, void *ctx) {
    auto *c = static_cast<Collect *>(ctx);
    c->copies.push_back(beyla_span_copy(s));
    char buf[2048];
    int n = beyla_span_to_json(s, buf, sizeof(buf));
    REQUIRE(n > 0);
    REQUIRE(n < static_cast<int>(sizeof(buf)));
    c->json.emplace_back(buf);
}

} // namespace

TEST_CASE("tracer_new rejects NULL, short and unknown-tail options", "[capi][tracer]") {
    errno = 0;
    CHECK(beyla_tracer_new(nullptr) == nullptr);
    CHECK(errno == EINVAL);

    beyla_tracer_opts o{};
    o.sz = 4; // shorter than sz itself
    errno = 0;
    CHECK(beyla_tracer_new(&o) == nullptr);
    CHECK(errno == EINVAL);

    // A newer caller's larger struct: a zero tail is accepted, a non-zero one refused.
    struct {
        beyla_tracer_opts o;
        uint64_t future;
    } big{};
    std::string rec = write_recording("tail.rec", {});
    big.o.replay_path = rec.c_str();
    big.o.sz = sizeof(big);
    beyla_tracer *t = beyla_tracer_new(&big.o);
    CHECK(t != nullptr);
    beyla_tracer_free(t);
    big.future = 1;
    errno = 0;
    CHECK(beyla_tracer_new(&big.o) == nullptr);
    CHECK(errno == EINVAL);
    unlink(rec.c_str());

    // An older caller's struct that ends before replay_path: nothing selected → EINVAL.
    beyla_tracer_opts old{};
    old.sz = offsetof(beyla_tracer_opts, on_span);
    errno = 0;
    CHECK(beyla_tracer_new(&old) == nullptr);
    CHECK(errno == EINVAL);

    // Counts without arrays.
    beyla_tracer_opts bad{};
    bad.sz = sizeof(bad);
    bad.pid_count = 2;
    errno = 0;
    CHECK(beyla_tracer_new(&bad) == nullptr);
    CHECK(errno == EINVAL);
}

TEST_CASE("NULL handles give -EINVAL, never a crash", "[capi][tracer]") {
    CHECK(beyla_tracer_start(nullptr) == -EINVAL);
    CHECK(beyla_tracer_poll(nullptr, 0) == -EINVAL);
    CHECK(beyla_tracer_stop(nullptr) == -EINVAL);
    CHECK(beyla_tracer_fd(nullptr) == -EINVAL);
    CHECK(beyla_tracer_stats(nullptr, nullptr) == -EINVAL);
    CHECK(beyla_tracer_last_error(nullptr) != nullptr);
    beyla_tracer_free(nullptr);
    CHECK(beyla_span_copy(nullptr) == nullptr);
    CHECK(beyla_span_attr(nullptr, "x") == nullptr);
    CHECK(beyla_span_to_json(nullptr, nullptr, 0) == -EINVAL);
    beyla_span_free(nullptr);
}

TEST_CASE("replay through the C ABI: spans, copies, JSON, stats, misuse order", "[capi][tracer][replay]") {
    std::string rec = write_recording("abi.rec", one_exchange(4242, "/items"));
    Collect col;
    beyla_tracer_opts o{};
    o.sz = sizeof(o);
    o.replay_path = rec.c_str();
    o.on_span = on_span;
    o.span_ctx = &col;
    beyla_tracer *t = beyla_tracer_new(&o);
    REQUIRE(t);
    CHECK(beyla_tracer_poll(t, 0) == -EINVAL); // not started
    CHECK(std::string(beyla_tracer_last_error(t)).find("not started") != std::string::npos);
    REQUIRE(beyla_tracer_start(t) == 0);
    CHECK(beyla_tracer_start(t) == -EALREADY);
    int total = 0, n;
    while ((n = beyla_tracer_poll(t, 0)) != -ENODATA) {
        REQUIRE(n >= 0);
        total += n;
    }
    CHECK(total == 1);
    CHECK(beyla_tracer_stop(t) == 0);
    CHECK(beyla_tracer_stop(t) == 0); // idempotent

    REQUIRE(col.copies.size() == 1);
    beyla_span *s = col.copies[0];
    REQUIRE(s);
    CHECK(std::string(s->method) == "GET");
    CHECK(std::string(s->path) == "/items");
    CHECK(s->status == 201);
    CHECK(s->pid == 4242);
    const beyla_attr *a = beyla_span_attr(s, "http.response.status_code");
    REQUIRE(a);
    CHECK(a->type == BEYLA_ATTR_INT);
    CHECK(a->num == 201);
    CHECK(beyla_span_attr(s, "no.such.key") == nullptr);
    CHECK(col.json[0].find("\"kind\":\"server\"") != std::string::npos);
    CHECK(col.json[0].find("\"url.path\":\"/items\"") != std::string::npos);
    CHECK(col.json[0].find("\"process.pid\":4242") != std::string::npos);
    // snprintf-like sizing.
    char tiny[8];
    int need = beyla_span_to_json(s, tiny, sizeof(tiny));
    CHECK(need == static_cast<int>(col.json[0].size()));
    CHECK(strlen(tiny) == 7);

    // A short stats struct: only its part is written.
    struct {
        beyla_stats st;
        uint64_t canary;
    } shortst;
    memset(&shortst, 0xab, sizeof(shortst));
    shortst.st.sz = offsetof(beyla_stats, spans) + sizeof(uint64_t);
    REQUIRE(beyla_tracer_stats(t, &shortst.st) == 0);
    CHECK(shortst.st.spans == 1);
    uint64_t pattern;
    memset(&pattern, 0xab, sizeof(pattern));
    CHECK(shortst.st.parse_errors == pattern); // beyond sz: untouched
    CHECK(shortst.canary == pattern);
    beyla_tracer_free(t); // no stop needed first
    unlink(rec.c_str());
}

TEST_CASE("two tracers in one process are independent", "[capi][tracer][replay]") {
    std::string r1 = write_recording("one.rec", one_exchange(1, "/one"));
    std::string r2 = write_recording("two.rec", one_exchange(2, "/two"));
    Collect c1, c2;
    beyla_tracer_opts o1{}, o2{};
    o1.sz = o2.sz = sizeof(beyla_tracer_opts);
    o1.replay_path = r1.c_str();
    o2.replay_path = r2.c_str();
    o1.on_span = o2.on_span = on_span;
    o1.span_ctx = &c1;
    o2.span_ctx = &c2;
    beyla_tracer *t1 = beyla_tracer_new(&o1), *t2 = beyla_tracer_new(&o2);
    REQUIRE(t1);
    REQUIRE(t2);
    REQUIRE(beyla_tracer_start(t1) == 0);
    REQUIRE(beyla_tracer_start(t2) == 0);
    for (int i = 0; i < 3; i++) {
        beyla_tracer_poll(t2, 0);
        beyla_tracer_poll(t1, 0);
    }
    beyla_tracer_free(t1);
    beyla_tracer_free(t2);
    REQUIRE(c1.copies.size() == 1);
    REQUIRE(c2.copies.size() == 1);
    CHECK(std::string(c1.copies[0]->path) == "/one");
    CHECK(std::string(c2.copies[0]->path) == "/two");
    unlink(r1.c_str());
    unlink(r2.c_str());
}

TEST_CASE("a missing recording is an error with a message", "[capi][tracer]") {
    beyla_tracer_opts o{};
    o.sz = sizeof(o);
    o.replay_path = "/nonexistent/recording";
    beyla_tracer *t = beyla_tracer_new(&o);
    REQUIRE(t);
    CHECK(beyla_tracer_start(t) == -ENOENT);
    CHECK(std::string(beyla_tracer_last_error(t)).find("/nonexistent/recording") != std::string::npos);
    beyla_tracer_free(t);
}
