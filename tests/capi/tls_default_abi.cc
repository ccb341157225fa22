// TLS capture is on by default since no_tls exists; a caller whose struct ends before no_tls
// keeps the old meaning of capture_tls (off unless set).
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <string>

#include <beyla/beyla.h>

#include "recording_file.h"

namespace {

// Whether a tracer built from o, started on pid, probes a TLS library that pid maps.
int probes_tls(beyla_tracer_opts o, int32_t pid) {
    o.pids = &pid;
    o.pid_count = 1;
    beyla_tracer *t = beyla_tracer_new(&o);
    REQUIRE(t);
    const int err = beyla_tracer_start(t);
    INFO(beyla_tracer_last_error(t));
    REQUIRE(err == 0);
    beyla_tls_library lib{};
    lib.sz = sizeof(lib);
    const int r = beyla_tracer_tls_library(t, 0, &lib);
    beyla_tracer_free(t);
    return r == 0;
}

} // namespace

TEST_CASE("tracer_new: capture_tls and no_tls together are refused", "[capi][tracer][tls]") {
    std::string rec = write_recording("tls_both.rec", {});
    beyla_tracer_opts o{};
    o.sz = sizeof(o);
    o.replay_path = rec.c_str();
    o.capture_tls = true;
    o.no_tls = true;
    errno = 0;
    CHECK(beyla_tracer_new(&o) == nullptr);
    CHECK(errno == EINVAL);
    // An older struct has no no_tls: capture_tls alone is fine there.
    o.sz = offsetof(beyla_tracer_opts, no_tls);
    beyla_tracer *t = beyla_tracer_new(&o);
    CHECK(t != nullptr);
    beyla_tracer_free(t);
    unlink(rec.c_str());
}

TEST_CASE("tracer: TLS libraries are probed by default, not for old structs or no_tls",
          "[capi][tracer][tls]") {
    if (geteuid() != 0) {
        WARN("skipped: needs root to attach probes");
        return;
    }
    // A process with OpenSSL mapped: python's ssl module.
    int out[2];
    REQUIRE(pipe(out) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        dup2(out[1], 1);
        execl("/usr/bin/python3", "python3", "-c",
              "import ssl, time; print('ok', flush=True); time.sleep(60)", nullptr);
        _exit(127);
    }
    close(out[1]);
    char buf[4] = {};
    const bool ready = read(out[0], buf, 3) == 3 && std::string(buf, 2) == "ok";
    close(out[0]);
    if (!ready) {
        kill(child, SIGKILL);
        waitpid(child, nullptr, 0);
        WARN("skipped: python3 with its ssl module did not start");
        return;
    }
    beyla_tracer_opts o{};
    o.sz = sizeof(o);
    CHECK(probes_tls(o, child));
    o.capture_tls = true; // redundant now
    CHECK(probes_tls(o, child));
    o.capture_tls = false;
    o.no_tls = true;
    CHECK_FALSE(probes_tls(o, child));
    // A caller built before no_tls: its struct ends after capture_tls.
    beyla_tracer_opts old{};
    old.sz = offsetof(beyla_tracer_opts, no_tls);
    CHECK_FALSE(probes_tls(old, child));
    old.capture_tls = true;
    CHECK(probes_tls(old, child));
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
}
