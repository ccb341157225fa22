// The capability probe on fake machines: file trees under tests/data/caps plus a mock kernel.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <zlib.h>

#include "caps/capabilities.h"
#include "caps_mock_ops.h"

using namespace beyla;
using beyla::test::MockKernelOps;
namespace fs = std::filesystem;

namespace {

const std::string kData = std::string(BEYLA_TEST_DATA) + "/caps/";

CapsOptions tree(const std::string &name) {
    CapsOptions o;
    std::string root = kData + name;
    o.proc_root = root + "/proc";
    o.sys_root = root + "/sys";
    o.boot_root = root + "/boot";
    o.etc_root = root + "/etc";
    return o;
}

const CapItem &item(Capabilities &caps, const std::string &name) {
    const CapItem *it = caps.find(name);
    INFO("item " << name);
    REQUIRE(it);
    return *it;
}

bool contains(const std::string &hay, const std::string &needle) {
    return hay.find(needle) != std::string::npos;
}

// A scratch directory removed at the end of the test.
struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/beyla-caps-test-XXXXXX";
        REQUIRE(mkdtemp(tmpl));
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string write(const std::string &rel, const std::string &text) const {
        fs::path p = path / rel;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p.string();
    }
};

void write_gz(const std::string &path, const std::string &text) {
    fs::create_directories(fs::path(path).parent_path());
    gzFile gz = gzopen(path.c_str(), "wb");
    REQUIRE(gz);
    REQUIRE(gzwrite(gz, text.data(), static_cast<unsigned>(text.size())) == static_cast<int>(text.size()));
    REQUIRE(gzclose(gz) == Z_OK);
}

} // namespace

TEST_CASE("RHEL 8: 4.18 with backports, no BTF, no ring buffer", "[caps]") {
    MockKernelOps ops;
    ops.map_err[BPF_MAP_TYPE_RINGBUF] = EINVAL;
    ops.helper_err[BPF_FUNC_loop] = EINVAL;
    ops.helper_log[BPF_FUNC_loop] = "unknown func bpf_loop#181";
    Capabilities caps(tree("rhel8"), ops);
    const CapsSummary &s = caps.summary();

    CHECK(item(caps, "kernel.release").value == "4.18.0-348.el8.x86_64");
    CHECK(item(caps, "kernel.version").value == "4.18.0");
    CHECK((s.kernel_major == 4 && s.kernel_minor == 18 && s.kernel_patch == 0));
    CHECK(contains(item(caps, "kernel.distro").value, "Red Hat Enterprise Linux 8.5"));
    CHECK(contains(item(caps, "kernel.distro").reason, "ID=rhel"));

    const CapItem &rhel = item(caps, "kernel.rhel_backport");
    CHECK(rhel.state == Tri::yes);
    CHECK(contains(rhel.reason, "backport"));
    CHECK(contains(rhel.reason, "probed, not assumed from the version"));
    CHECK(s.rhel_backport == Tri::yes);

    // No BTF anywhere: the probe tried the usual places and says so.
    const CapItem &btf = item(caps, "bpf.btf");
    CHECK(btf.state == Tri::no);
    CHECK(contains(btf.reason, "/sys/kernel/btf/vmlinux (absent)"));
    CHECK(contains(btf.reason, "/boot/vmlinux-4.18.0-348.el8.x86_64"));
    CHECK(contains(btf.reason, "/usr/lib/debug/lib/modules/4.18.0-348.el8.x86_64/vmlinux"));
    CHECK(contains(btf.reason, "kernel built without CONFIG_DEBUG_INFO_BTF"));
    CHECK(contains(btf.degraded, "CO-RE"));
    CHECK(ops.btf_parsed.empty());
    CHECK(s.btf == Tri::no);

    const CapItem &rb = item(caps, "bpf.ringbuf");
    CHECK(rb.state == Tri::no);
    CHECK(contains(rb.reason, "EINVAL"));
    CHECK(contains(rb.reason, "RHEL"));
    CHECK_FALSE(rb.degraded.empty());
    CHECK(item(caps, "bpf.perfbuf").state == Tri::yes);
    CHECK(s.ringbuf == Tri::no);
    CHECK(s.perfbuf == Tri::yes);

    CHECK(s.transport == "perfbuf");
    CHECK(item(caps, "plan.transport").value == "perfbuf");
    CHECK(s.capture_path == "syscall_tracepoints");
    CHECK(ops.tracepoint_ids == std::vector<int>{1234});
    CHECK_FALSE(s.can_trace); // no BTF
    CHECK(contains(item(caps, "plan.btf").degraded, "capture is disabled"));
    CHECK(s.bpf_loop == Tri::no);

    // The tree's securityfs says integrity; memlock comes from the tree's limits.
    CHECK(s.lockdown == "integrity");
    CHECK(s.memlock_limit == 65536);
    CHECK(contains(item(caps, "security.memlock").reason, "64 KiB"));
    CHECK_FALSE(item(caps, "security.memlock").degraded.empty()); // 4.18 charges maps to it

    CHECK(item(caps, "config.CONFIG_DEBUG_INFO_BTF").state == Tri::no);
    CHECK(item(caps, "config.CONFIG_NET_CLS_BPF").value == "m");
    CHECK(contains(item(caps, "config.CONFIG_BPF").reason, "/boot/config-4.18.0-348.el8.x86_64"));

    const std::string &plan = caps.plan_text();
    CHECK(contains(plan, "transport: perfbuf"));
    CHECK(contains(plan, "can trace: no"));
    CHECK(contains(plan, "BTF: not available"));
}

TEST_CASE("arm64 with 16K pages: sizes are 16K multiples", "[caps]") {
    MockKernelOps ops;
    ops.uname_info = {0, "6.1.0-asahi-16k", "aarch64"};
    ops.page = 4096; // the tree's page size wins: that is the machine being described
    Capabilities caps(tree("arm64_16k"), ops);
    const CapsSummary &s = caps.summary();

    CHECK(s.page_size == 16384);
    const CapItem &ps = item(caps, "kernel.page_size");
    CHECK(ps.value == "16384");
    CHECK(contains(ps.reason, "test hook"));
    const CapItem &ring = item(caps, "kernel.ring_size");
    uint64_t ring_size = std::stoull(ring.value);
    CHECK(ring_size % 16384 == 0);
    CHECK(ring_size == 8ull << 20);
    CHECK(contains(ring.reason, "512 pages"));
    CHECK(item(caps, "kernel.arch").value == "aarch64");

    // The ring buffer attempt uses one page of this machine.
    CHECK(ops.ringbuf_sizes == std::vector<uint32_t>{16384});
    CHECK(s.ringbuf == Tri::yes);
    CHECK(s.transport == "ringbuf");
    CHECK(s.btf == Tri::yes);
    CHECK(s.btf_source == kData + "arm64_16k/sys/kernel/btf/vmlinux");
    CHECK(s.memlock_limit == UINT64_MAX);
    CHECK(item(caps, "security.memlock").value == "unlimited");
    CHECK(s.lockdown == "none");
    CHECK(s.can_trace);
    CHECK(s.rhel_backport == Tri::no);
    CHECK(contains(item(caps, "plan.transport").reason, "8 MiB at 16384-byte pages"));
}

TEST_CASE("64K pages round the default ring too", "[caps]") {
    TempDir t;
    t.write("sys/kernel/mm/page_size", "65536\n");
    t.write("proc/sys/kernel/osrelease", "6.6.0\n");
    CapsOptions o;
    o.proc_root = (t.path / "proc").string();
    o.sys_root = (t.path / "sys").string();
    o.boot_root = (t.path / "boot").string();
    o.etc_root = (t.path / "etc").string();
    o.no_mount_tracefs = true;
    MockKernelOps ops;
    Capabilities caps(o, ops);
    CHECK(caps.summary().page_size == 65536);
    CHECK(contains(item(caps, "kernel.ring_size").reason, "128 pages"));
    CHECK(ops.ringbuf_sizes == std::vector<uint32_t>{65536});
}

TEST_CASE("no tracefs and mount refused: syscall tracepoints no, no capture plan", "[caps]") {
    MockKernelOps ops;
    ops.uname_info = {0, "5.15.0-91-generic", "x86_64"};
    ops.mount_err = EPERM;
    ops.map_err[BPF_MAP_TYPE_RINGBUF] = 0;
    Capabilities caps(tree("no_tracefs"), ops);
    const CapsSummary &s = caps.summary();

    // It tried to mount tracefs where it belongs, and says why that failed.
    CHECK(std::find(ops.mounts.begin(), ops.mounts.end(),
                    "tracefs on " + kData + "no_tracefs/sys/kernel/tracing") != ops.mounts.end());
    const CapItem &tp = item(caps, "hook.syscall_tracepoints");
    CHECK(tp.state == Tri::no);
    CHECK(contains(tp.reason, "mounting it on"));
    CHECK(contains(tp.reason, "EPERM"));
    CHECK(contains(tp.reason, "CAP_SYS_ADMIN"));
    CHECK_FALSE(ops.called("attach_tracepoint"));
    CHECK(item(caps, "kernel.tracefs").state == Tri::no);

    // Raw tracepoints work, but no capture path is built on them: the plan says so.
    CHECK(s.raw_tracepoints == Tri::yes);
    CHECK(s.capture_path == "none");
    CHECK_FALSE(s.can_trace);
    CHECK(item(caps, "plan.capture").value == "none");
    CHECK(contains(item(caps, "plan.capture").reason, "no capture path built on them"));
    CHECK(contains(tp.degraded, "no capture path"));

    // No kprobe PMU, no tracefs, config says so: a definitive no, with the config named.
    const CapItem &kp = item(caps, "hook.kprobe");
    CHECK(kp.state == Tri::no);
    CHECK(contains(kp.reason, "kernel built without CONFIG_KPROBES"));
    CHECK(contains(kp.reason, "no kprobe PMU"));
    CHECK_FALSE(ops.called("attach_kprobe"));
    CHECK(contains(caps.plan_text(), "kprobes: not used (kernel built without CONFIG_KPROBES)"));

    // This tree's process has no capabilities at all.
    CHECK(item(caps, "security.cap_bpf").state == Tri::no);
    CHECK(contains(item(caps, "security.cap_bpf").degraded, "CAP_BPF"));
    CHECK(item(caps, "security.cap_sys_admin").state == Tri::no);
    CHECK(item(caps, "security.perf_event_paranoid").value == "4");
    // securityfs is absent, mounting refused: lockdown is inferred from the command line.
    CHECK(s.lockdown == "confidentiality");
    CHECK(contains(item(caps, "security.lockdown").reason,
                   "lockdown=confidentiality on the kernel command line"));
}

TEST_CASE("neither tracepoint kind: capture none, cannot trace", "[caps]") {
    MockKernelOps ops;
    ops.mount_err = EPERM;
    ops.raw_err = EPERM;
    CapsOptions o = tree("no_tracefs");
    Capabilities caps(o, ops);
    const CapsSummary &s = caps.summary();
    CHECK(s.capture_path == "none");
    CHECK_FALSE(s.can_trace);
    const CapItem &raw = item(caps, "hook.raw_tracepoints");
    CHECK(raw.state == Tri::no);
    // No capabilities in this tree: the reason names what is missing.
    CHECK(contains(raw.reason, "lacks CAP_BPF and CAP_PERFMON"));
    CHECK(contains(item(caps, "plan.capture").degraded, "no spans"));
}

TEST_CASE("no_mount_tracefs: nothing is mounted", "[caps]") {
    MockKernelOps ops;
    CapsOptions o = tree("no_tracefs");
    o.no_mount_tracefs = true;
    Capabilities caps(o, ops);
    CHECK(ops.mounts.empty());
    CHECK(contains(item(caps, "hook.syscall_tracepoints").reason, "not allowed (no_mount_tracefs)"));
}

TEST_CASE("tracefs mounted by the probe is used and reported", "[caps]") {
    TempDir t;
    t.write("proc/sys/kernel/osrelease", "6.8.0-45-generic\n");
    t.write("proc/mounts", "");
    fs::create_directories(t.path / "sys/kernel/tracing");
    CapsOptions o;
    o.proc_root = (t.path / "proc").string();
    o.sys_root = (t.path / "sys").string();
    o.boot_root = (t.path / "boot").string();
    o.etc_root = (t.path / "etc").string();
    MockKernelOps ops;
    ops.on_mount = [&](const std::string &fstype, const std::string &target) {
        if (fstype == "tracefs") {
            fs::create_directories(target + "/events/syscalls/sys_enter_getpid");
            std::ofstream(target + "/events/syscalls/sys_enter_getpid/id") << "77\n";
        }
    };
    Capabilities caps(o, ops);
    const CapItem &tp = item(caps, "hook.syscall_tracepoints");
    CHECK(tp.state == Tri::yes);
    CHECK(contains(tp.reason, "tracefs was not mounted; mounted it on"));
    CHECK(ops.tracepoint_ids == std::vector<int>{77});
    CHECK(caps.summary().capture_path == "syscall_tracepoints");
}

TEST_CASE("kernel config from config.gz, preferred over /boot", "[caps]") {
    TempDir t;
    t.write("proc/sys/kernel/osrelease", "6.1.0-test\n");
    write_gz((t.path / "proc/config.gz").string(),
             "CONFIG_BPF=y\nCONFIG_BPF_SYSCALL=y\n# CONFIG_KPROBES is not set\n"
             "CONFIG_UPROBES=y\nCONFIG_DEBUG_INFO_BTF=y\nCONFIG_NET_CLS_BPF=m\n");
    t.write("boot/config-6.1.0-test", "CONFIG_KPROBES=y\n");
    CapsOptions o;
    o.proc_root = (t.path / "proc").string();
    o.sys_root = (t.path / "sys").string();
    o.boot_root = (t.path / "boot").string();
    o.etc_root = (t.path / "etc").string();
    o.files_only = true;
    MockKernelOps ops;
    Capabilities caps(o, ops);
    CHECK(item(caps, "config.CONFIG_BPF").state == Tri::yes);
    CHECK(contains(item(caps, "config.CONFIG_BPF").reason, "config.gz"));
    CHECK(item(caps, "config.CONFIG_KPROBES").state == Tri::no);
    CHECK(item(caps, "config.CONFIG_KPROBES").value == "not set");
    CHECK(item(caps, "config.CONFIG_NET_CLS_BPF").value == "m");
    CHECK(item(caps, "config.CONFIG_FTRACE_SYSCALLS").value == "absent");

    // Without config.gz, /boot/config-<release> is read.
    fs::remove(t.path / "proc/config.gz");
    MockKernelOps ops2;
    Capabilities caps2(o, ops2);
    CHECK(item(caps2, "config.CONFIG_KPROBES").state == Tri::yes);
    CHECK(contains(item(caps2, "config.CONFIG_KPROBES").reason, "boot/config-6.1.0-test"));

    // Neither: unknown, with what was tried.
    fs::remove(t.path / "boot/config-6.1.0-test");
    MockKernelOps ops3;
    Capabilities caps3(o, ops3);
    CHECK(item(caps3, "config.CONFIG_BPF").state == Tri::unknown);
    CHECK(contains(item(caps3, "config.CONFIG_BPF").reason, "no kernel config: tried"));
}

TEST_CASE("files_only never asks the kernel to load, attach or mount", "[caps]") {
    MockKernelOps ops;
    CapsOptions o = tree("rhel8");
    o.files_only = true;
    Capabilities caps(o, ops);
    for (const auto &c : ops.calls) {
        INFO(c);
        CHECK((c == "uname" || c == "page_size" || c == "memlock_limit"));
    }
    CHECK(caps.summary().ringbuf == Tri::unknown);
    CHECK(item(caps, "hook.syscall_tracepoints").state == Tri::unknown);
    CHECK(contains(item(caps, "hook.syscall_tracepoints").reason, "id 1234"));
    // Lockdown integrity rules out the write helper without trying.
    CHECK(caps.summary().probe_write_user == Tri::no);
}

TEST_CASE("lockdown: securityfs mounted on a temporary directory, or inferred", "[caps]") {
    TempDir t;
    t.write("proc/sys/kernel/osrelease", "6.18.0\n");
    t.write("proc/cmdline", "ro quiet\n");
    write_gz((t.path / "proc/config.gz").string(),
             "CONFIG_SECURITY_LOCKDOWN_LSM=y\nCONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY=y\n");
    CapsOptions o;
    o.proc_root = (t.path / "proc").string();
    o.sys_root = (t.path / "sys").string();
    o.boot_root = (t.path / "boot").string();
    o.etc_root = (t.path / "etc").string();

    SECTION("mounted and read") {
        MockKernelOps ops;
        std::string mounted_on;
        ops.on_mount = [&](const std::string &fstype, const std::string &target) {
            if (fstype != "securityfs") return;
            mounted_on = target;
            std::ofstream(target + "/lockdown") << "[none] integrity confidentiality\n";
        };
        ops.on_umount = [&](const std::string &target) { fs::remove(target + "/lockdown"); };
        Capabilities caps(o, ops);
        // The file says none: what was read wins over what the config suggests.
        CHECK(caps.summary().lockdown == "none");
        CHECK(contains(item(caps, "security.lockdown").reason, "temporary directory"));
        REQUIRE_FALSE(mounted_on.empty());
        CHECK(ops.called("umount " + mounted_on));
        CHECK_FALSE(fs::exists(mounted_on)); // the temporary mount point is gone
    }
    SECTION("mount refused: inferred from the config") {
        MockKernelOps ops;
        ops.mount_err = EPERM;
        Capabilities caps(o, ops);
        CHECK(caps.summary().lockdown == "integrity");
        const CapItem &ld = item(caps, "security.lockdown");
        CHECK(contains(ld.reason, "CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY=y"));
        CHECK(contains(ld.reason, "at least integrity"));
    }
    SECTION("the command line raises it") {
        t.write("proc/cmdline", "ro lockdown=confidentiality\n");
        MockKernelOps ops;
        o.no_mount_tracefs = true;
        Capabilities caps(o, ops);
        CHECK(ops.mounts.empty());
        CHECK(caps.summary().lockdown == "confidentiality");
    }
    SECTION("no lockdown LSM") {
        write_gz((t.path / "proc/config.gz").string(), "# CONFIG_SECURITY_LOCKDOWN_LSM is not set\n");
        MockKernelOps ops;
        o.no_mount_tracefs = true;
        Capabilities caps(o, ops);
        CHECK(caps.summary().lockdown == "none");
    }
}

TEST_CASE("probe_write_user under lockdown names lockdown", "[caps]") {
    MockKernelOps ops;
    ops.helper_err[BPF_FUNC_probe_write_user] = EINVAL;
    ops.helper_log[BPF_FUNC_probe_write_user] =
        "program of this type cannot use helper bpf_probe_write_user#36";
    Capabilities caps(tree("rhel8"), ops);
    const CapItem &pw = item(caps, "helper.probe_write_user");
    CHECK(pw.state == Tri::no);
    CHECK(contains(pw.reason, "lockdown=integrity"));
    CHECK(contains(pw.reason, "cannot use helper"));
    CHECK(contains(caps.plan_text(), "probe_write_user: not available (lockdown=integrity)"));
}

TEST_CASE("CapEff decides the hints in failure reasons", "[caps]") {
    MockKernelOps ops;
    ops.map_err[BPF_MAP_TYPE_RINGBUF] = EPERM;
    ops.map_err[BPF_MAP_TYPE_PERF_EVENT_ARRAY] = EPERM;
    ops.mount_err = EPERM;
    Capabilities caps(tree("no_tracefs"), ops); // CapEff=0
    const CapItem &rb = item(caps, "bpf.ringbuf");
    CHECK(rb.state == Tri::no);
    CHECK(contains(rb.reason, "Operation not permitted"));
    CHECK(contains(rb.reason, "needs CAP_BPF or CAP_SYS_ADMIN"));
    CHECK(contains(rb.reason, "unprivileged_bpf_disabled=2"));
    CHECK(caps.summary().transport == "none");
    CHECK(contains(item(caps, "plan.transport").degraded, "user space"));

    // The same failure with every capability held blames policy, not capabilities.
    MockKernelOps ops2;
    ops2.map_err[BPF_MAP_TYPE_RINGBUF] = EPERM;
    Capabilities caps2(tree("arm64_16k"), ops2);
    const CapItem &rb2 = item(caps2, "bpf.ringbuf");
    CHECK(contains(rb2.reason, "capabilities it needs are held"));
    CHECK_FALSE(contains(rb2.reason, "lacks"));
    CHECK(caps2.summary().transport == "perfbuf");
}

TEST_CASE("fentry failures report the errno", "[caps]") {
    MockKernelOps ops;
    ops.fentry_err = EPERM;
    Capabilities caps(tree("arm64_16k"), ops);
    const CapItem &fe = item(caps, "hook.fentry");
    CHECK(fe.state == Tri::no);
    CHECK(contains(fe.reason, "EPERM"));
    CHECK(contains(fe.reason, "no verifier log"));
    CHECK(contains(fe.degraded, "syscall tracepoints cover socket I/O"));

    // No kernel BTF: fentry is ruled out without a load.
    MockKernelOps ops2;
    Capabilities caps2(tree("rhel8"), ops2);
    CHECK(item(caps2, "hook.fentry").state == Tri::no);
    CHECK(contains(item(caps2, "hook.fentry").reason, "kernel's own BTF"));
    CHECK_FALSE(ops2.called("attach_fentry"));
}

TEST_CASE("the report: stable names, categories in order, JSON holds every item", "[caps]") {
    MockKernelOps ops;
    Capabilities caps(tree("arm64_16k"), ops);
    const auto &items = caps.items();
    std::set<std::string> names;
    int last_rank = -1;
    for (const auto &it : items) {
        INFO(it.name);
        CHECK(names.insert(it.name).second); // unique
        CHECK_FALSE(it.reason.empty());
        CHECK_FALSE(it.value.empty());
        int rank = 0;
        for (const char *c : kCapCategories) {
            if (it.category == c) break;
            rank++;
        }
        CHECK(rank < static_cast<int>(std::size(kCapCategories)));
        CHECK(rank >= last_rank);
        last_rank = rank;
        CHECK(contains(caps.json(), "{\"name\":\"" + it.name + "\",\"category\":\"" + it.category + "\""));
    }
    for (const char *n : {"kernel.release",
                          "kernel.page_size",
                          "kernel.ring_size",
                          "bpf.btf",
                          "bpf.ringbuf",
                          "bpf.perfbuf",
                          "hook.syscall_tracepoints",
                          "hook.raw_tracepoints",
                          "hook.kprobe",
                          "hook.fentry",
                          "hook.uprobe",
                          "hook.tc",
                          "hook.cgroup_skb",
                          "hook.socket_filter",
                          "helper.bpf_loop",
                          "helper.probe_write_user",
                          "security.lockdown",
                          "security.cap_bpf",
                          "security.cap_perfmon",
                          "security.cap_sys_admin",
                          "security.cap_sys_ptrace",
                          "security.cap_dac_read_search",
                          "security.cap_net_admin",
                          "security.cap_sys_resource",
                          "security.cap_checkpoint_restore",
                          "security.perf_event_paranoid",
                          "security.unprivileged_bpf_disabled",
                          "security.memlock",
                          "config.CONFIG_KPROBES",
                          "config.CONFIG_FUNCTION_TRACER",
                          "plan.capture",
                          "plan.transport",
                          "plan.tls",
                          "plan.btf"})
        CHECK(names.count(n) == 1);
    const std::string &j = caps.json();
    CHECK(j.front() == '{');
    CHECK(j.back() == '}');
    CHECK(contains(j, "\"summary\":{\"kernel_major\":6,\"kernel_minor\":1,"));
    CHECK(contains(j, "\"can_trace\":true"));
    CHECK(contains(j, "\"plan\":{\"capture\":\"syscall_tracepoints\",\"transport\":\"ringbuf\""));

    // Asking again does not probe again.
    size_t calls = ops.calls.size();
    caps.items();
    caps.json();
    CHECK(ops.calls.size() == calls);
}

TEST_CASE("two probes in one process are independent", "[caps]") {
    MockKernelOps a, b;
    b.map_err[BPF_MAP_TYPE_RINGBUF] = EINVAL;
    Capabilities ca(tree("arm64_16k"), a), cb(tree("rhel8"), b);
    CHECK(cb.summary().transport == "perfbuf");
    CHECK(ca.summary().transport == "ringbuf");
    CHECK(ca.summary().page_size == 16384);
    CHECK(cb.summary().page_size == 4096);
}
