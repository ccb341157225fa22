// C ABI misuse beyond NULL handles: calls out of order, output structs too small, spans
// built by the caller. Each gives a documented error, never a crash.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <beyla/beyla.h>

#include "recording_file.h"

TEST_CASE("misuse: stop before start, start after stop, poll after stop", "[capi][misuse]") {
    std::string rec = write_recording("misuse.rec", {});
    beyla_tracer_opts o{};
    o.sz = sizeof(o);
    o.replay_path = rec.c_str();
    beyla_tracer *t = beyla_tracer_new(&o);
    REQUIRE(t);
    CHECK(beyla_tracer_fd(t) < 0);    // not started
    CHECK(beyla_tracer_stop(t) == 0); // nothing to stop
    REQUIRE(beyla_tracer_start(t) == 0);
    CHECK(beyla_tracer_stop(t) == 0);
    CHECK(beyla_tracer_stop(t) == 0);          // twice
    CHECK(beyla_tracer_start(t) == -EALREADY); // a stopped tracer does not restart
    CHECK(std::string(beyla_tracer_last_error(t)).size() > 0);
    int n = beyla_tracer_poll(t, 0); // after stop: nothing more, no crash
    CHECK((n == 0 || n == -ENODATA));
    beyla_tracer_free(t);
    unlink(rec.c_str());
}

TEST_CASE("misuse: destroy a started tracer without stop", "[capi][misuse]") {
    std::string rec = write_recording("misuse.rec", {});
    beyla_tracer_opts o{};
    o.sz = sizeof(o);
    o.replay_path = rec.c_str();
    beyla_tracer *t = beyla_tracer_new(&o);
    REQUIRE(t);
    REQUIRE(beyla_tracer_start(t) == 0);
    beyla_tracer_free(t);
    unlink(rec.c_str());
}

TEST_CASE("misuse: output structs with NULL or too small sz", "[capi][misuse]") {
    std::string rec = write_recording("misuse.rec", {});
    beyla_tracer_opts o{};
    o.sz = sizeof(o);
    o.replay_path = rec.c_str();
    beyla_tracer *t = beyla_tracer_new(&o);
    REQUIRE(t);
    CHECK(beyla_tracer_stats(t, nullptr) == -EINVAL);
    beyla_stats st{};
    st.sz = 0;
    CHECK(beyla_tracer_stats(t, &st) == -EINVAL);
    st.sz = sizeof(size_t); // just the size field: valid, nothing to write
    CHECK(beyla_tracer_stats(t, &st) == 0);
    beyla_tracer_free(t);
    unlink(rec.c_str());
}

TEST_CASE("misuse: spans built by the caller", "[capi][misuse]") {
    beyla_span s{};
    s.sz = sizeof(s);
    s.attr_count = 3; // but no array
    errno = 0;
    CHECK(beyla_span_copy(&s) == nullptr);
    CHECK(errno == EINVAL);
    CHECK(beyla_span_attr(&s, "url.path") == nullptr);
    s.attr_count = 0;
    CHECK(beyla_span_attr(&s, nullptr) == nullptr);
    char buf[4];
    CHECK(beyla_span_to_json(&s, nullptr, 4) == -EINVAL);
    CHECK(beyla_span_to_json(&s, nullptr, 0) > 0); // size query
    CHECK(beyla_span_to_json(&s, buf, sizeof(buf)) > 0);
    CHECK(strlen(buf) == 3);
    s.sz = 1; // shorter than sz itself
    errno = 0;
    CHECK(beyla_span_copy(&s) == nullptr);
    CHECK(errno == EINVAL);
}

TEST_CASE("misuse: caps with NULL and short structs", "[capi][misuse]") {
    CHECK(beyla_caps_count(nullptr) == 0);
    CHECK(beyla_caps_item(nullptr, 0, nullptr) == -EINVAL);
    CHECK(beyla_caps_get_summary(nullptr, nullptr) == -EINVAL);
    beyla_caps_free(nullptr);
    char buf[8];
    CHECK(beyla_strerror(EINVAL, nullptr, 0) == -EINVAL);
    CHECK(beyla_strerror(-EPERM, buf, sizeof(buf)) >= 0);
}
