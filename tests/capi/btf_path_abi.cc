// btf_path through the shared library: old callers' options go without it, bad values are
// refused with errors that name the file, and caps reports the file CO-RE relocates against.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <string>

#include <beyla/beyla.h>

#include "recording_file.h"

namespace {

const std::string kData = std::string(BEYLA_TEST_DATA) + "/caps/";

} // namespace

TEST_CASE("btf_path: a struct that ends before it means the kernel's BTF", "[capi][tracer][btf]") {
    std::string rec = write_recording("btf_old.rec", {});
    beyla_tracer_opts old{};
    old.sz = offsetof(beyla_tracer_opts, btf_path); // compiled before btf_path existed
    old.replay_path = rec.c_str();
    beyla_tracer *t = beyla_tracer_new(&old);
    REQUIRE(t);
    CHECK(beyla_tracer_start(t) == 0);
    beyla_tracer_free(t);
    unlink(rec.c_str());
}

TEST_CASE("btf_path: an empty string is refused", "[capi][tracer][btf]") {
    std::string rec = write_recording("btf_empty.rec", {});
    beyla_tracer_opts o{};
    o.sz = sizeof(o);
    o.replay_path = rec.c_str();
    o.btf_path = "";
    errno = 0;
    CHECK(beyla_tracer_new(&o) == nullptr);
    CHECK(errno == EINVAL);
    unlink(rec.c_str());
}

TEST_CASE("btf_path: a missing file fails start with -ENOENT naming it", "[capi][tracer][btf]") {
    if (geteuid() != 0) {
        WARN("skipped: needs root (the privilege check comes before the BTF file's)");
        return;
    }
    const char *path = "/nonexistent/beyla-test.btf";
    int32_t me = static_cast<int32_t>(getpid());
    beyla_tracer_opts o{};
    o.sz = sizeof(o);
    o.pids = &me;
    o.pid_count = 1;
    o.btf_path = path;
    beyla_tracer *t = beyla_tracer_new(&o);
    REQUIRE(t);
    CHECK(beyla_tracer_start(t) == -ENOENT);
    INFO(beyla_tracer_last_error(t));
    CHECK(std::string(beyla_tracer_last_error(t)).find(path) != std::string::npos);
    beyla_tracer_free(t);
}

TEST_CASE("caps: btf_path is what CO-RE relocates against", "[capi][caps][btf]") {
    char path[] = "/tmp/beyla-capi-btf-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, "BTF", 3) == 3); // files_only: found, not parsed
    close(fd);
    std::string proc = kData + "arm64_16k/proc", sys = kData + "arm64_16k/sys";
    beyla_caps_opts o{};
    o.sz = sizeof(o);
    o.proc_root = proc.c_str();
    o.sys_root = sys.c_str();
    o.btf_path = path;
    o.files_only = true;
    beyla_caps *caps = beyla_caps_probe(&o);
    REQUIRE(caps);
    beyla_caps_summary s{};
    s.sz = sizeof(s);
    REQUIRE(beyla_caps_get_summary(caps, &s) == 0);
    CHECK(s.btf == BEYLA_YES);
    CHECK(std::string(s.btf_source) == path);
    beyla_cap_item it{};
    it.sz = sizeof(it);
    REQUIRE(beyla_caps_find(caps, "plan.btf", &it) == 0);
    CHECK(std::string(it.reason).find(std::string("against ") + path + " (given as btf_path") !=
          std::string::npos);
    beyla_caps_free(caps);
    unlink(path);
}
