// What this process may do: its effective capabilities, the perf and BPF sysctls, RLIMIT_MEMLOCK
// and the kernel lockdown level.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <unistd.h>

#include <fmt/format.h>

#include "caps/capabilities.h"
#include "caps/parsers.h"
#include "caps/probe_common.h"
#include "caps/ring_size.h"
#include "common/error.h"

namespace beyla {

using namespace caps;

namespace {

struct CapInfo {
    const char *name;
    int bit;
    const char *lost; // what is lost without it
};

const CapInfo kCaps[] = {
    {"cap_bpf", kCapBpf, "creating BPF maps and loading programs needs CAP_BPF (or CAP_SYS_ADMIN)"},
    {"cap_perfmon", kCapPerfmon,
     "attaching tracing programs (tracepoints, uprobes) needs CAP_PERFMON (or CAP_SYS_ADMIN)"},
    {"cap_sys_admin", kCapSysAdmin,
     "mounting tracefs, bpf_probe_write_user, and BPF on kernels before 5.8 (no CAP_BPF) need CAP_SYS_ADMIN"},
    {"cap_sys_ptrace", kCapSysPtrace,
     "reading other users' /proc/<pid>/exe and maps (process discovery) needs CAP_SYS_PTRACE"},
    {"cap_dac_read_search", kCapDacReadSearch,
     "reading other users' binaries and /proc entries needs CAP_DAC_READ_SEARCH"},
    {"cap_net_admin", kCapNetAdmin, "loading tc programs needs CAP_NET_ADMIN"},
    {"cap_sys_resource", kCapSysResource,
     "raising RLIMIT_MEMLOCK above its hard limit (kernels before 5.11 charge BPF maps to it) needs "
     "CAP_SYS_RESOURCE"},
    {"cap_checkpoint_restore", kCapCheckpointRestore,
     "opening other processes' mapped files through /proc/<pid>/map_files needs CAP_CHECKPOINT_RESTORE"},
};

// What each perf_event_paranoid level means, for its reason.
std::string paranoid_meaning(int level) {
    if (level <= -1) return "no restrictions";
    if (level == 0) return "unprivileged users may not use raw tracepoint data";
    if (level == 1) return "unprivileged users may not profile the kernel";
    if (level == 2) return "unprivileged users may only profile their own user space";
    return "unprivileged perf_event_open is disabled (distribution patch)";
}

} // namespace

bool Capabilities::has_cap(int cap) const {
    return cap_eff_ && (*cap_eff_ >> cap & 1);
}

void Capabilities::probe_security() {
    std::string status_path = opts_.proc_root + "/self/status";
    int err = 0;
    auto status = read_text_file(status_path, &err);
    if (status) cap_eff_ = parse_cap_eff(*status);
    std::string cap_src = cap_eff_ ? fmt::format("CapEff={:016x} in {}", *cap_eff_, status_path)
                          : status ? "no CapEff line in " + status_path
                                   : fmt::format("{}: {}", status_path, errno_str(err));
    for (const auto &c : kCaps) {
        std::string name = std::string("security.") + c.name;
        std::string upper = "CAP_" + std::string(c.name + 4);
        std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
        if (!cap_eff_) {
            add(name, "security", Tri::unknown, "unknown", "effective capabilities unknown: " + cap_src);
            continue;
        }
        bool has = has_cap(c.bit);
        std::string degraded;
        std::string reason =
            fmt::format("{} (bit {}) is {} in {}", upper, c.bit, has ? "set" : "clear", cap_src);
        if (!has) {
            // CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON (and is all old kernels know).
            bool covered = (c.bit == kCapBpf || c.bit == kCapPerfmon) && has_cap(kCapSysAdmin);
            // Since 5.11 BPF memory is charged to the memory cgroup, not RLIMIT_MEMLOCK.
            bool unneeded = c.bit == kCapSysResource && kver_code_ >= (5u << 16 | 11u << 8) && !rhel_;
            if (covered)
                reason += "; CAP_SYS_ADMIN covers it";
            else if (unneeded)
                reason += "; not needed: this kernel charges BPF memory to the memory cgroup";
            else
                degraded = c.lost;
        }
        add(name, "security", has ? Tri::yes : Tri::no, has ? "yes" : "no", reason, degraded).why =
            upper + " missing";
    }

    std::string par_path = opts_.proc_root + "/sys/kernel/perf_event_paranoid";
    if (auto p = read_line_file(par_path, &err); p && !p->empty()) {
        paranoid_ = *p;
        int level = atoi(p->c_str());
        bool priv = has_cap(kCapPerfmon) || has_cap(kCapSysAdmin);
        std::string degraded;
        if (level >= 2 && !priv && cap_eff_)
            degraded = "without CAP_PERFMON, perf events for tracepoints, kprobes and uprobes are refused";
        add("security.perf_event_paranoid", "security", Tri::yes, paranoid_,
            fmt::format("{} from {}: {}; CAP_PERFMON (or CAP_SYS_ADMIN) bypasses it{}", paranoid_, par_path,
                        paranoid_meaning(level),
                        cap_eff_ ? (priv ? ", and this process has it" : ", and this process lacks it") : ""),
            degraded);
    } else {
        add("security.perf_event_paranoid", "security", Tri::unknown, "unknown",
            fmt::format("{}: {}", par_path, errno_str(err)));
    }

    std::string ub_path = opts_.proc_root + "/sys/kernel/unprivileged_bpf_disabled";
    if (auto u = read_line_file(ub_path, &err); u && !u->empty()) {
        unpriv_bpf_ = *u;
        const char *meaning = *u == "0"   ? "unprivileged users may load some program types"
                              : *u == "1" ? "bpf() needs privileges, and this cannot be undone until reboot"
                              : *u == "2" ? "bpf() needs privileges (an administrator may set it back to 0)"
                                          : "unrecognised value";
        bool priv = has_cap(kCapBpf) || has_cap(kCapSysAdmin);
        add("security.unprivileged_bpf_disabled", "security", Tri::yes, *u,
            fmt::format("{} from {}: {}", *u, ub_path, meaning),
            *u != "0" && cap_eff_ && !priv ? "this process lacks CAP_BPF and CAP_SYS_ADMIN: bpf() refuses it"
                                           : "");
    } else {
        add("security.unprivileged_bpf_disabled", "security", Tri::unknown, "unknown",
            fmt::format("{}: {}", ub_path, errno_str(err)));
    }

    // RLIMIT_MEMLOCK: our own limit, or the one a test tree describes.
    std::optional<uint64_t> memlock;
    std::string ml_src;
    if (opts_.proc_root != "/proc") {
        std::string lim_path = opts_.proc_root + "/self/limits";
        if (auto text = read_text_file(lim_path)) {
            memlock = parse_memlock_limit(*text);
            if (memlock) ml_src = "\"Max locked memory\" in " + lim_path;
        }
    }
    if (!memlock) {
        uint64_t cur = 0;
        int rc = ops_.memlock_limit(&cur);
        if (rc == 0) {
            memlock = cur;
            ml_src = "getrlimit(RLIMIT_MEMLOCK)";
        } else {
            ml_src = "getrlimit(RLIMIT_MEMLOCK) failed: " + errno_str(-rc);
        }
    }
    if (memlock) {
        summary_.memlock_limit = *memlock;
        bool memcg = kver_code_ >= (5u << 16 | 11u << 8) && !rhel_;
        std::string note =
            memcg ? "kernels since 5.11 charge BPF memory to the memory cgroup, so this limit does not apply"
                  : "kernels before 5.11 (and possibly this one) charge BPF maps to this limit; libbpf "
                    "raises it "
                    "when it can";
        std::string degraded;
        if (!memcg && *memlock != UINT64_MAX && *memlock < 2 * kDefaultRingSize)
            degraded =
                "maps larger than the limit fail with EPERM unless it is raised (needs CAP_SYS_RESOURCE "
                "above the hard limit)";
        add("security.memlock", "security", Tri::yes,
            *memlock == UINT64_MAX ? "unlimited" : std::to_string(*memlock),
            fmt::format("{} soft limit from {}; {}", human_bytes(*memlock), ml_src, note), degraded);
    } else {
        add("security.memlock", "security", Tri::unknown, "unknown", ml_src);
    }
}

void Capabilities::probe_lockdown() {
    std::string path = opts_.sys_root + "/kernel/security/lockdown";
    int err = 0;
    std::vector<std::string> tried;
    if (auto text = read_text_file(path, &err)) {
        std::string level = parse_lockdown(*text);
        if (!level.empty()) {
            add("security.lockdown", "security", Tri::yes, level,
                fmt::format("read \"{}\" from {}", trim(*text), path));
            return;
        }
        tried.push_back(fmt::format("{} holds no bracketed level (\"{}\")", path, trim(*text)));
    } else {
        tried.push_back(fmt::format("{}: {}", path, errno_str(err)));
    }

    // securityfs is often not mounted. Mount it on a private temporary directory, read,
    // unmount: the answer without leaving a mount behind.
    bool may_mount = !opts_.files_only && !opts_.no_mount_tracefs;
    if (err == ENOENT && may_mount) {
        char dir[] = "/tmp/beyla-securityfs-XXXXXX";
        if (mkdtemp(dir)) {
            Attempt m = ops_.mount("securityfs", dir);
            if (m.ok()) {
                int rerr = 0;
                auto text = read_text_file(std::string(dir) + "/lockdown", &rerr);
                ops_.umount(dir);
                rmdir(dir);
                std::string level = text ? parse_lockdown(*text) : "";
                if (!level.empty()) {
                    add("security.lockdown", "security", Tri::yes, level,
                        fmt::format("{}; securityfs is not mounted there, so it was mounted on a temporary "
                                    "directory, read (\"{}\") and unmounted",
                                    tried.front(), trim(*text)));
                    return;
                }
                tried.push_back(text ? "securityfs has a lockdown file without a bracketed level"
                                     : "securityfs has no lockdown file (" + errno_str(rerr) +
                                           "): the lockdown LSM is not active");
                if (!text && rerr == ENOENT) {
                    add("security.lockdown", "security", Tri::yes, "none", join(tried, "; "));
                    return;
                }
            } else {
                rmdir(dir);
                tried.push_back("mounting securityfs on a temporary directory failed: " + errno_text(m.err) +
                                (m.err == EPERM ? " (needs CAP_SYS_ADMIN)" : ""));
            }
        } else {
            tried.push_back("no temporary directory to mount securityfs on: " + errno_text(errno));
        }
    } else if (err == ENOENT) {
        tried.push_back("securityfs was not mounted for the check (mounting not allowed)");
    }

    // Last resort: what the kernel was built to enforce, raised by lockdown= on the command line.
    auto lsm = config("CONFIG_SECURITY_LOCKDOWN_LSM");
    if (lsm && (*lsm == "n" || lsm->empty())) {
        add("security.lockdown", "security", Tri::yes, "none",
            join(tried, "; ") + "; kernel built without CONFIG_SECURITY_LOCKDOWN_LSM: no lockdown");
        return;
    }
    auto rank = [](const std::string &l) { return l == "confidentiality" ? 2 : l == "integrity" ? 1 : 0; };
    std::string level, basis;
    if (config("CONFIG_LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY").value_or("") == "y")
        level = "confidentiality", basis = "CONFIG_LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY=y";
    else if (config("CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY").value_or("") == "y")
        level = "integrity", basis = "CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY=y";
    else if (lsm)
        level = "none", basis = "no CONFIG_LOCK_DOWN_KERNEL_FORCE_* option";
    std::string cmd_path = opts_.proc_root + "/cmdline";
    if (auto cmdline = read_text_file(cmd_path)) {
        std::string c = parse_cmdline_lockdown(*cmdline);
        if (!c.empty() && rank(c) >= rank(level)) {
            level = c;
            basis = join({basis, "lockdown=" + c + " on the kernel command line"}, " and ");
        } else if (c.empty() && !level.empty()) {
            basis += " and no lockdown= on the kernel command line";
        }
    }
    if (level.empty()) {
        add("security.lockdown", "security", Tri::unknown, "unknown",
            join(tried, "; ") + "; no kernel config or command line to infer it from");
        return;
    }
    add("security.lockdown", "security", Tri::yes, level,
        fmt::format("{}; inferred from {}: at least {} (it can only be raised at run time)",
                    join(tried, "; "), basis, level));
}

} // namespace beyla
