// beyla_tracer_tls_library(): argument checks, and nothing to list without TLS probes.
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>

#include <beyla/beyla.h>

#include "recording_file.h"

TEST_CASE("tls_library: bad arguments and a tracer without TLS probes", "[capi][tracer][tls]") {
    beyla_tls_library lib{};
    lib.sz = sizeof(lib);
    CHECK(beyla_tracer_tls_library(nullptr, 0, &lib) == -EINVAL);

    std::string rec = write_recording("tls_abi.rec", {});
    beyla_tracer_opts o{};
    o.sz = sizeof(o);
    o.replay_path = rec.c_str();
    beyla_tracer *t = beyla_tracer_new(&o);
    REQUIRE(t);
    CHECK(beyla_tracer_tls_library(t, 0, nullptr) == -EINVAL);
    beyla_tls_library short_out{};
    short_out.sz = 1;
    CHECK(beyla_tracer_tls_library(t, 0, &short_out) == -EINVAL);
    REQUIRE(beyla_tracer_start(t) == 0);
    // A recording probes no library.
    CHECK(beyla_tracer_tls_library(t, 0, &lib) == -ENOENT);
    CHECK(lib.kind == nullptr);
    beyla_tracer_free(t);
}
