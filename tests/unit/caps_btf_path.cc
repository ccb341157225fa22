// The capability probe with a BTF file given for CO-RE (btf_path): the report names the file CO-RE
// relocates against, and says when a tracer given it could not start.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "caps/capabilities.h"
#include "caps_mock_ops.h"

using namespace beyla;
using beyla::test::MockKernelOps;
namespace fs = std::filesystem;

namespace {

const std::string kData = std::string(BEYLA_TEST_DATA) + "/caps/";

// A machine with its own BTF at <sys>/kernel/btf/vmlinux, plus a scratch directory for the
// files given.
struct Machine {
    fs::path scratch;
    CapsOptions opts;
    Machine() {
        char tmpl[] = "/tmp/beyla-caps-btf-XXXXXX";
        REQUIRE(mkdtemp(tmpl));
        scratch = tmpl;
        std::string root = kData + "arm64_16k";
        opts.proc_root = root + "/proc";
        opts.sys_root = root + "/sys";
        opts.boot_root = root + "/boot";
        opts.etc_root = root + "/etc";
    }
    ~Machine() {
        std::error_code ec;
        fs::remove_all(scratch, ec);
    }
    std::string file(const std::string &name, const std::string &bytes) const {
        std::string p = (scratch / name).string();
        std::ofstream(p, std::ios::binary) << bytes;
        return p;
    }
};

const CapItem &item(Capabilities &caps, const std::string &name) {
    const CapItem *it = caps.find(name);
    INFO("item " << name);
    REQUIRE(it);
    return *it;
}

bool contains(const std::string &hay, const std::string &needle) {
    return hay.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("btf_path: CO-RE relocates against the given file, not the kernel's", "[caps][btf]") {
    Machine m;
    m.opts.btf_path = m.file("given.btf", "raw BTF stands here");
    MockKernelOps ops;
    Capabilities caps(m.opts, ops);

    const CapItem &btf = item(caps, "bpf.btf");
    // Only the given file is parsed: the kernel's own is not what CO-RE would use.
    CHECK(ops.btf_parsed == std::vector<std::string>{m.opts.btf_path});
    CHECK(btf.state == Tri::yes);
    CHECK(btf.value == m.opts.btf_path);
    CHECK(contains(btf.reason, "given for CO-RE"));
    CHECK(contains(btf.reason, "instead of the kernel's own " + m.opts.sys_root + "/kernel/btf/vmlinux"));
    const CapItem &plan = item(caps, "plan.btf");
    CHECK(plan.value == m.opts.btf_path);
    CHECK(plan.reason == "CO-RE relocates the socket tracer against " + m.opts.btf_path +
                             " (given as btf_path, instead of the kernel's own BTF)");
    const CapsSummary &s = caps.summary();
    CHECK(s.btf == Tri::yes);
    CHECK(s.btf_source == m.opts.btf_path);
    CHECK(s.can_trace);
    CHECK(contains(caps.plan_text(), "btf:       " + m.opts.btf_path + "\n"));
    CHECK(contains(caps.json(), "\"btf_source\":\"" + m.opts.btf_path + "\""));
}

TEST_CASE("btf_path: a kernel without BTF of its own says so", "[caps][btf]") {
    Machine m;
    m.opts.sys_root = (m.scratch / "sys").string(); // no kernel/btf/vmlinux there
    m.opts.btf_path = m.file("given.btf", "raw BTF stands here");
    MockKernelOps ops;
    Capabilities caps(m.opts, ops);
    const CapItem &btf = item(caps, "bpf.btf");
    CHECK(btf.state == Tri::yes);
    CHECK(contains(btf.reason, "the kernel has no " + m.opts.sys_root + "/kernel/btf/vmlinux of its own"));
    CHECK(caps.summary().btf_source == m.opts.btf_path);
}

TEST_CASE("btf_path: a given file that cannot be used is no BTF, and no fallback", "[caps][btf]") {
    Machine m;
    MockKernelOps ops;
    std::string expect;
    SECTION("missing") {
        m.opts.btf_path = (m.scratch / "absent.btf").string();
        expect = "cannot be used: No such file or directory (ENOENT)";
    }
    SECTION("a directory") {
        m.opts.btf_path = m.scratch.string();
        expect = "cannot be used: it is not a regular file";
    }
    SECTION("empty") {
        m.opts.btf_path = m.file("empty.btf", "");
        expect = "cannot be used: it is empty";
    }
    SECTION("does not parse") {
        m.opts.btf_path = m.file("bad.btf", "not BTF");
        ops.btf_err = EINVAL;
        expect = "does not parse: Invalid argument (EINVAL)";
    }
    Capabilities caps(m.opts, ops);
    const CapItem &btf = item(caps, "bpf.btf");
    INFO(btf.reason);
    CHECK(btf.state == Tri::no);
    CHECK(contains(btf.reason, "the BTF file given for CO-RE, " + m.opts.btf_path + ", " + expect));
    CHECK(contains(btf.degraded, "fails to start"));
    // The kernel's own BTF is never tried in its place: the tracer would not either.
    for (const auto &p : ops.btf_parsed) CHECK(p == m.opts.btf_path);
    const CapsSummary &s = caps.summary();
    CHECK(s.btf == Tri::no);
    CHECK(s.btf_source.empty());
    CHECK_FALSE(s.can_trace);
    CHECK(contains(item(caps, "plan.btf").degraded, "a tracer given it as btf_path fails to start"));
    CHECK(contains(caps.plan_text(), "BTF: not available (given BTF file " + m.opts.btf_path));
}

TEST_CASE("btf_path with files_only: found, not parsed", "[caps][btf]") {
    Machine m;
    m.opts.btf_path = m.file("given.btf", "raw BTF stands here");
    m.opts.files_only = true;
    MockKernelOps ops;
    Capabilities caps(m.opts, ops);
    const CapItem &btf = item(caps, "bpf.btf");
    CHECK(btf.state == Tri::yes);
    CHECK(contains(btf.reason, "not parsed: files_only"));
    CHECK(ops.btf_parsed.empty());
    CHECK(caps.summary().btf_source == m.opts.btf_path);
}
