#include "caps/capabilities.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <new>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "caps/parsers.h"
#include "caps/ring_size.h"
#include "common/error.h"
#include "common/json.h"
#include "common/tracefs.h"
#include "tls/process_scan.h"

namespace beyla {

namespace {

bool exists(const std::string &path, int *err = nullptr) {
    if (effective_access(path, F_OK) == 0) return true;
    if (err) *err = errno;
    return false;
}

std::string join(const std::vector<std::string> &parts, const char *sep) {
    std::string out;
    for (const auto &p : parts) {
        if (p.empty()) continue;
        if (!out.empty()) out += sep;
        out += p;
    }
    return out;
}

// "EINVAL" style plus the message: "Invalid argument (EINVAL)".
std::string errno_text(int err) {
    return fmt::format("{} ({})", errno_str(err), errno_name(err));
}

bool mentions_missing_helper(const std::string &verifier) {
    return verifier.find("unknown func") != std::string::npos ||
           verifier.find("invalid func") != std::string::npos ||
           verifier.find("cannot use helper") != std::string::npos;
}

int category_rank(const std::string &cat) {
    int i = 0;
    for (const char *c : kCapCategories) {
        if (cat == c) return i;
        i++;
    }
    return i;
}

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

struct ConfigInfo {
    const char *opt;
    const char *used_for;
};

const ConfigInfo kConfigs[] = {
    {"CONFIG_BPF", "BPF at all"},
    {"CONFIG_BPF_SYSCALL", "the bpf() syscall"},
    {"CONFIG_BPF_JIT", "JIT-compiled programs (and fentry trampolines)"},
    {"CONFIG_DEBUG_INFO_BTF", "kernel BTF at /sys/kernel/btf/vmlinux (CO-RE, fentry)"},
    {"CONFIG_KPROBES", "hook.kprobe"},
    {"CONFIG_UPROBES", "hook.uprobe"},
    {"CONFIG_UPROBE_EVENTS", "the uprobe PMU and uprobe_events (hook.uprobe)"},
    {"CONFIG_KPROBE_EVENTS", "the kprobe PMU and kprobe_events (hook.kprobe)"},
    {"CONFIG_FTRACE_SYSCALLS", "syscall tracepoints (hook.syscall_tracepoints)"},
    {"CONFIG_BPF_EVENTS", "attaching BPF to tracepoints, kprobes and uprobes"},
    {"CONFIG_NET_CLS_BPF", "tc classifier programs (hook.tc)"},
    {"CONFIG_CGROUP_BPF", "cgroup programs (hook.cgroup_skb)"},
    {"CONFIG_SECURITY_LOCKDOWN_LSM", "kernel lockdown (security.lockdown)"},
    {"CONFIG_FUNCTION_TRACER", "fentry trampolines (hook.fentry)"},
};

const char *kFentryTargets[] = {"do_nanosleep", "security_file_open", "vfs_read"};

// How capabilities and sysctls gate each kind of operation, for the hints in reasons.
std::string paranoid_meaning(int level) {
    if (level <= -1) return "no restrictions";
    if (level == 0) return "unprivileged users may not use raw tracepoint data";
    if (level == 1) return "unprivileged users may not profile the kernel";
    if (level == 2) return "unprivileged users may only profile their own user space";
    return "unprivileged perf_event_open is disabled (distribution patch)";
}

} // namespace

const char *tri_name(Tri t) {
    switch (t) {
    case Tri::yes:
        return "yes";
    case Tri::no:
        return "no";
    default:
        return "unknown";
    }
}

std::string errno_name(int err) {
    if (err < 0) err = -err;
    // 524 is the kernel-internal ENOTSUPP, which bpf() does return.
    static const std::pair<int, const char *> names[] = {
        {EPERM, "EPERM"},   {ENOENT, "ENOENT"},   {ESRCH, "ESRCH"},     {EIO, "EIO"},
        {E2BIG, "E2BIG"},   {EBADF, "EBADF"},     {EAGAIN, "EAGAIN"},   {ENOMEM, "ENOMEM"},
        {EACCES, "EACCES"}, {EFAULT, "EFAULT"},   {EBUSY, "EBUSY"},     {EEXIST, "EEXIST"},
        {ENODEV, "ENODEV"}, {ENOTDIR, "ENOTDIR"}, {EINVAL, "EINVAL"},   {ENOSPC, "ENOSPC"},
        {ERANGE, "ERANGE"}, {ENOSYS, "ENOSYS"},   {ENODATA, "ENODATA"}, {EOPNOTSUPP, "EOPNOTSUPP"},
        {524, "ENOTSUPP"},
    };
    for (const auto &[num, name] : names)
        if (num == err) return name;
    return fmt::format("errno {}", err);
}

Capabilities::Capabilities(CapsOptions opts, KernelOps &ops, Logger logger)
    : opts_(std::move(opts)), ops_(ops), log_(logger) {
    // Empty roots mean the defaults, so callers can pass unset strings through.
    if (opts_.proc_root.empty()) opts_.proc_root = "/proc";
    if (opts_.sys_root.empty()) opts_.sys_root = "/sys";
    if (opts_.boot_root.empty()) opts_.boot_root = "/boot";
    if (opts_.etc_root.empty()) opts_.etc_root = "/etc";
}

const std::vector<CapItem> &Capabilities::items() {
    if (!probed_) probe();
    return items_;
}

const CapItem *Capabilities::find(std::string_view name) {
    items();
    return get(name);
}

const CapsSummary &Capabilities::summary() {
    items();
    return summary_;
}

const std::string &Capabilities::plan_text() {
    items();
    return plan_text_;
}

const std::string &Capabilities::json() {
    items();
    return json_;
}

CapItem &Capabilities::add(std::string name, std::string category, Tri state, std::string value,
                           std::string reason, std::string degraded) {
    log_.debug("caps: {} = {} ({})", name, value, reason);
    items_.push_back(CapItem{std::move(name),
                             std::move(category),
                             state,
                             std::move(value),
                             std::move(reason),
                             std::move(degraded),
                             {}});
    return items_.back();
}

const CapItem *Capabilities::get(std::string_view name) const {
    for (const auto &it : items_)
        if (it.name == name) return &it;
    return nullptr;
}

Tri Capabilities::state_of(std::string_view name) const {
    const CapItem *it = get(name);
    return it ? it->state : Tri::unknown;
}

template <typename F> void Capabilities::step(const char *name, const char *category, F &&fn) {
    try {
        fn();
    } catch (const std::bad_alloc &) {
        throw;
    } catch (const std::exception &e) {
        // A probe step that breaks must not take the whole report with it.
        log_.warn("caps: probing {} failed: {}", name, e.what());
        if (!get(name))
            add(name, category, Tri::unknown, "unknown", std::string("probing failed: ") + e.what());
    }
}

void Capabilities::probe() {
    probed_ = true;
    LibbpfLogScope scope(&log_);
    log_.info("probing kernel capabilities (proc={}, sys={}, boot={}, etc={}{})", opts_.proc_root,
              opts_.sys_root, opts_.boot_root, opts_.etc_root, opts_.files_only ? ", files only" : "");
    step("kernel", "kernel", [&] { probe_kernel(); });
    step("config", "config", [&] { probe_config(); });
    step("security", "security", [&] { probe_security(); });
    step("security.lockdown", "security", [&] { probe_lockdown(); });
    step("kernel.tracefs", "kernel", [&] { probe_tracefs(); });
    step("bpf.btf", "bpf", [&] { probe_btf(); });
    step("bpf.maps", "bpf", [&] { probe_maps(); });
    step("hook.syscall_tracepoints", "hook", [&] { probe_syscall_hooks(); });
    step("hook.kprobe", "hook", [&] { probe_kprobe(); });
    step("hook.fentry", "hook", [&] { probe_fentry(); });
    step("hook.uprobe", "hook", [&] { probe_uprobe(); });
    step("hook.net", "hook", [&] { probe_net_hooks(); });
    step("helper", "helper", [&] { probe_helpers(); });
    if (!opts_.tls_pids.empty()) step("tls", "tls", [&] { probe_tls_processes(); });
    step("plan", "plan", [&] { build_plan(); });
    std::stable_sort(items_.begin(), items_.end(), [](const CapItem &a, const CapItem &b) {
        return category_rank(a.category) < category_rank(b.category);
    });
    build_summary();
    build_plan_text();
    build_json();
}

// ---------------------------------------------------------------- tls

void Capabilities::probe_tls_processes() {
    for (uint32_t pid : opts_.tls_pids) {
        std::vector<tls::ProcessTarget> targets;
        try {
            targets = tls::scan_process(opts_.proc_root, pid);
        } catch (const std::exception &e) {
            add(fmt::format("tls.{}", pid), "tls", Tri::unknown, "unknown", e.what());
            continue;
        }
        if (targets.empty())
            add(fmt::format("tls.{}", pid), "tls", Tri::no, "none",
                "no TLS library, OpenSSL linked in, or Go crypto/tls found: its HTTPS (if any) is not decoded");
        int i = 0;
        for (const auto &t : targets) {
            auto &it = add(fmt::format("tls.{}.{}", pid, i++), "tls", t.probeable ? Tri::yes : Tri::no,
                           fmt::format("{} {}", tls::kind_name(t.kind), t.path), t.detail);
            if (!t.probeable) {
                it.degraded = "its HTTPS is not decoded";
                it.why = fmt::format("process {}: {} {} cannot be probed ({}): its HTTPS is not decoded", pid,
                                     tls::kind_name(t.kind), t.path, t.detail);
            }
        }
    }
}

// ---------------------------------------------------------------- kernel

void Capabilities::probe_kernel() {
    const std::string &proc = opts_.proc_root;
    UnameInfo un = ops_.uname();

    int err = 0;
    std::string rel_path = proc + "/sys/kernel/osrelease";
    auto rel = read_line_file(rel_path, &err);
    std::string src;
    if (rel && !rel->empty()) {
        release_ = *rel;
        src = "read from " + rel_path;
    } else if (!un.err && !un.release.empty()) {
        release_ = un.release;
        src = fmt::format("from uname(2) ({}: {})", rel_path, errno_str(err ? err : ENODATA));
    }
    if (release_.empty()) {
        add("kernel.release", "kernel", Tri::unknown, "unknown",
            fmt::format("neither {} ({}) nor uname(2) ({}) gave the release", rel_path, errno_str(err),
                        errno_str(un.err)));
    } else {
        add("kernel.release", "kernel", Tri::yes, release_, src);
    }

    KernelVersion v = parse_kernel_release(release_);
    if (v.ok) {
        kver_code_ = kernel_version_code(v);
        summary_.kernel_major = v.major, summary_.kernel_minor = v.minor, summary_.kernel_patch = v.patch;
        add("kernel.version", "kernel", Tri::yes, fmt::format("{}.{}.{}", v.major, v.minor, v.patch),
            "parsed from the release \"" + release_ + "\"");
    } else {
        add("kernel.version", "kernel", Tri::unknown, "unknown",
            "could not parse a version from the release \"" + release_ + "\"");
    }

    std::string arch_path = proc + "/sys/kernel/arch";
    if (auto arch = read_line_file(arch_path); arch && !arch->empty()) {
        add("kernel.arch", "kernel", Tri::yes, *arch, "read from " + arch_path);
    } else if (!un.err && !un.machine.empty()) {
        add("kernel.arch", "kernel", Tri::yes, un.machine, "from uname(2)");
    } else {
        add("kernel.arch", "kernel", Tri::unknown, "unknown",
            "neither " + arch_path + " nor uname(2) gave it");
    }

    std::vector<std::string> os_paths{opts_.etc_root + "/os-release"};
    if (opts_.etc_root == "/etc") os_paths.push_back("/usr/lib/os-release");
    OsRelease os;
    std::vector<std::string> tried;
    std::string os_src;
    for (const auto &p : os_paths) {
        int e = 0;
        auto text = read_text_file(p, &e);
        if (!text) {
            tried.push_back(fmt::format("{} ({})", p, errno_str(e)));
            continue;
        }
        os = parse_os_release(*text);
        os_src = p;
        break;
    }
    if (os.found) {
        std::string value = !os.pretty_name.empty() ? os.pretty_name : os.id;
        add("kernel.distro", "kernel", Tri::yes, value,
            fmt::format("ID={} VERSION_ID={} ID_LIKE=\"{}\" PRETTY_NAME=\"{}\" from {}", os.id, os.version_id,
                        os.id_like, os.pretty_name, os_src));
    } else {
        add("kernel.distro", "kernel", Tri::unknown, "unknown",
            os_src.empty() ? "no os-release: tried " + join(tried, ", ") : os_src + " names no distribution");
    }

    std::string why;
    rhel_ = is_rhel_backport(v, release_, os, &why);
    if (rhel_) {
        add("kernel.rhel_backport", "kernel", Tri::yes, "yes",
            why + ": Red Hat backports BPF features into its 4.18 kernels, so every feature here is probed, "
                  "not assumed from the version");
    } else if (v.ok) {
        add("kernel.rhel_backport", "kernel", Tri::no, "no",
            why + "; features are probed anyway, the version is only a hint");
    } else {
        add("kernel.rhel_backport", "kernel", Tri::unknown, "unknown", "the kernel version is unknown");
    }

    // Page size. <sys>/kernel/mm/page_size does not exist in real sysfs: it is a hook that
    // lets a test tree play a 16K or 64K-page machine.
    std::string hook = opts_.sys_root + "/kernel/mm/page_size";
    std::string page_src;
    if (auto s = read_line_file(hook); s && !s->empty()) {
        char *end = nullptr;
        long ps = strtol(s->c_str(), &end, 0);
        if (end && !*end && ps > 0) {
            page_size_ = ps;
            page_src = "read from " + hook + " (a test hook; real sysfs has no such file)";
        }
    }
    if (!page_size_) {
        page_size_ = ops_.page_size();
        page_src = "sysconf(_SC_PAGESIZE)";
    }
    if (page_size_ > 0) {
        summary_.page_size = static_cast<uint32_t>(page_size_);
        add("kernel.page_size", "kernel", Tri::yes, std::to_string(page_size_),
            fmt::format("{}: {}; ring and perf buffer sizes must be power-of-two multiples of it", page_src,
                        human_bytes(static_cast<uint64_t>(page_size_))));
        uint64_t ring = ring_size_for_page(kDefaultRingSize, static_cast<uint64_t>(page_size_));
        if (ring) {
            add("kernel.ring_size", "kernel", Tri::yes, std::to_string(ring),
                fmt::format("the default {} ring rounded to a power-of-two multiple of the {}-byte page: {} "
                            "({} pages)",
                            human_bytes(kDefaultRingSize), page_size_, human_bytes(ring),
                            ring / static_cast<uint64_t>(page_size_)));
        } else {
            add("kernel.ring_size", "kernel", Tri::no, "0",
                fmt::format("page size {} is not a power of two: no ring size fits", page_size_),
                "ring and perf buffers cannot be sized for this page size");
        }
    } else {
        page_size_ = 0;
        add("kernel.page_size", "kernel", Tri::unknown, "unknown", page_src + " failed");
        add("kernel.ring_size", "kernel", Tri::unknown, "unknown", "the page size is unknown");
    }
}

// ---------------------------------------------------------------- config

void Capabilities::probe_config() {
    std::vector<std::string> tried;
    std::string gz = opts_.proc_root + "/config.gz";
    int err = 0;
    if (auto text = read_gz_file(gz, &err)) {
        config_ = parse_kernel_config(*text);
        config_found_ = !config_.empty();
        config_source_ = gz;
        if (!config_found_) tried.push_back(gz + " (no CONFIG_ lines)");
    } else {
        tried.push_back(fmt::format("{} ({})", gz, errno_str(err)));
    }
    if (!config_found_ && !release_.empty()) {
        std::string boot = opts_.boot_root + "/config-" + release_;
        err = 0;
        if (auto text = read_gz_file(boot, &err)) {
            config_ = parse_kernel_config(*text);
            config_found_ = !config_.empty();
            config_source_ = boot;
            if (!config_found_) tried.push_back(boot + " (no CONFIG_ lines)");
        } else {
            tried.push_back(fmt::format("{} ({})", boot, errno_str(err)));
        }
    }
    std::string tried_text = "no kernel config: tried " + join(tried, ", ");
    for (const auto &c : kConfigs) {
        std::string name = std::string("config.") + c.opt;
        auto v = config(c.opt);
        if (!v) {
            add(name, "config", Tri::unknown, "unknown", tried_text + "; matters for " + c.used_for);
        } else if (*v == "n") {
            add(name, "config", Tri::no, "not set",
                fmt::format("{} says \"# {} is not set\"; matters for {}", config_source_, c.opt,
                            c.used_for));
        } else if (v->empty()) {
            add(name, "config", Tri::no, "absent",
                fmt::format("{} is not in {} (it does not exist for this kernel or architecture, or what it "
                            "depends on is off); matters for {}",
                            c.opt, config_source_, c.used_for));
        } else {
            add(name, "config", Tri::yes, *v,
                fmt::format("{}={} in {}; matters for {}", c.opt, *v, config_source_, c.used_for));
        }
    }
}

std::optional<std::string> Capabilities::config(const std::string &opt) const {
    if (!config_found_) return std::nullopt;
    auto it = config_.find(opt);
    return it == config_.end() ? std::string() : it->second;
}

std::string Capabilities::config_note(const std::string &opt) const {
    auto v = config(opt);
    if (!v) return "";
    if (*v == "n" || v->empty()) return "kernel built without " + opt;
    return opt + "=" + *v;
}

// ---------------------------------------------------------------- security

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

// ---------------------------------------------------------------- tracefs, BTF, maps

void Capabilities::probe_tracefs() {
    TracefsResult r = find_tracefs(opts_.sys_root, opts_.proc_root, false);
    std::string reason = r.reason;
    std::string why = "tracefs not mounted";
    if (r.path.empty()) {
        std::string target = opts_.sys_root + "/kernel/tracing";
        int err = 0;
        bool denied = !exists(target + "/events", &err) && err == EACCES;
        if (denied) {
            reason = fmt::format("tracefs at {} is not accessible: {} (its directory is closed to this user)",
                                 target, errno_text(err));
            why = "tracefs not accessible to this user";
        } else if (opts_.files_only || opts_.no_mount_tracefs) {
            reason = fmt::format("tracefs is not mounted and mounting it was not allowed ({})",
                                 opts_.files_only ? "files_only" : "no_mount_tracefs");
            why = "tracefs not mounted, mounting not allowed";
        } else {
            Attempt m = ops_.mount("tracefs", target);
            if (m.ok()) {
                r = find_tracefs(opts_.sys_root, opts_.proc_root, false);
                reason = r.path.empty() ? "mounted tracefs on " + target + " but it has no events/ directory"
                                        : "tracefs was not mounted; mounted it on " + target;
                if (!r.path.empty()) log_.info("mounted tracefs on {}", target);
            } else {
                reason = fmt::format("tracefs is not mounted, and mounting it on {} failed: {}{}", target,
                                     errno_text(m.err), need_hint(m.err, Need::mount));
                why = "tracefs not mounted, mount failed with " + errno_name(m.err);
            }
        }
    }
    tracefs_ = r.path;
    tracefs_reason_ = reason;
    if (!tracefs_.empty()) {
        add("kernel.tracefs", "kernel", Tri::yes, tracefs_, reason);
    } else {
        add("kernel.tracefs", "kernel", Tri::no, "none", reason,
            "no tracefs: syscall tracepoint ids cannot be looked up, so syscall tracepoints cannot be "
            "attached")
            .why = why;
    }
}

void Capabilities::probe_btf() {
    std::vector<std::string> candidates{opts_.sys_root + "/kernel/btf/vmlinux"};
    if (!release_.empty()) {
        const std::string &r = release_;
        candidates.push_back(opts_.boot_root + "/vmlinux-" + r);
        candidates.push_back("/lib/modules/" + r + "/vmlinux-" + r);
        candidates.push_back("/lib/modules/" + r + "/build/vmlinux");
        candidates.push_back("/usr/lib/modules/" + r + "/kernel/vmlinux");
        candidates.push_back("/usr/lib/debug/boot/vmlinux-" + r);
        candidates.push_back("/usr/lib/debug/lib/modules/" + r + "/vmlinux");
    }
    if (!opts_.btf_path.empty()) candidates.push_back(opts_.btf_path);

    std::vector<std::string> tried;
    for (const auto &path : candidates) {
        int err = 0;
        if (access(path.c_str(), R_OK) != 0) {
            err = errno;
            // Absent fallbacks are the normal case; list them briefly.
            tried.push_back(err == ENOENT ? path + " (absent)"
                                          : fmt::format("{} ({})", path, errno_str(err)));
            continue;
        }
        std::string before = tried.empty() ? "" : "; tried first: " + join(tried, ", ");
        if (opts_.files_only) {
            btf_file_ = path;
            add("bpf.btf", "bpf", Tri::yes, path, "found " + path + " (not parsed: files_only)" + before);
            return;
        }
        Attempt a = ops_.btf_parse(path);
        if (a.ok()) {
            btf_file_ = path;
            add("bpf.btf", "bpf", Tri::yes, path,
                fmt::format("{} parses with libbpf{}{}", path, a.detail.empty() ? "" : " (" + a.detail + ")",
                            before));
            return;
        }
        tried.push_back(fmt::format("{} (does not parse: {})", path, errno_text(a.err)));
    }
    std::string cfg = config_note("CONFIG_DEBUG_INFO_BTF");
    std::string why = cfg.starts_with("kernel built without") ? cfg : "no BTF found";
    std::string reason = "no usable BTF: tried " + join(tried, ", ");
    if (!cfg.empty()) reason += "; " + cfg;
    add("bpf.btf", "bpf", Tri::no, "none", reason,
        "no BTF: the socket tracer cannot resolve sockets with CO-RE; capture is disabled")
        .why = why;
}

void Capabilities::probe_maps() {
    uint32_t page = page_size_ > 0 ? static_cast<uint32_t>(page_size_) : 4096;
    if (opts_.files_only) {
        std::string hint =
            kver_code_ ? (kver_code_ >= (5u << 16 | 8u << 8) ? "; the kernel version (5.8+) suggests yes"
                          : rhel_ ? "; the version says no but RHEL may have backported it"
                                  : "; the kernel version (before 5.8) suggests no")
                       : "";
        add("bpf.ringbuf", "bpf", Tri::unknown, "unknown", "not tried (files_only)" + hint);
        add("bpf.perfbuf", "bpf", Tri::unknown, "unknown", "not tried (files_only)");
        return;
    }
    Attempt a = ops_.map_create(BPF_MAP_TYPE_RINGBUF, 0, 0, page);
    std::string what = fmt::format("a BPF_MAP_TYPE_RINGBUF map of one page ({} bytes)", page);
    if (a.ok()) {
        add("bpf.ringbuf", "bpf", Tri::yes, "yes",
            "created " + what + " with bpf(BPF_MAP_CREATE) and closed it");
    } else {
        a.step = "bpf(BPF_MAP_CREATE) of " + what;
        std::string reason = failure_text(a, Need::bpf);
        if (a.err == EINVAL)
            reason += rhel_
                          ? "; the kernel does not know this map type (this RHEL kernel did not backport it)"
                          : "; the kernel does not know this map type (ring buffers arrived in 5.8)";
        add("bpf.ringbuf", "bpf", Tri::no, "no", reason,
            "no ring buffer: events go through per-CPU perf buffers (more memory; order across CPUs is "
            "restored in user space)")
            .why = "BPF_MAP_TYPE_RINGBUF refused with " + errno_name(a.err);
    }

    Attempt p = ops_.map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 1);
    if (p.ok()) {
        add("bpf.perfbuf", "bpf", Tri::yes, "yes",
            "created a BPF_MAP_TYPE_PERF_EVENT_ARRAY map and closed it");
    } else {
        p.step = "bpf(BPF_MAP_CREATE) of a BPF_MAP_TYPE_PERF_EVENT_ARRAY map";
        add("bpf.perfbuf", "bpf", Tri::no, "no", failure_text(p, Need::bpf)).why =
            "BPF_MAP_TYPE_PERF_EVENT_ARRAY refused with " + errno_name(p.err);
    }
}

// ---------------------------------------------------------------- hooks

void Capabilities::probe_syscall_hooks() {
    const char *tp = "syscalls/sys_enter_getpid";
    if (tracefs_.empty()) {
        const CapItem *tf = get("kernel.tracefs");
        add("hook.syscall_tracepoints", "hook", Tri::no, "no", "no tracefs: " + tracefs_reason_).why =
            tf && !tf->why.empty() ? tf->why : "no tracefs";
    } else {
        int id = tracepoint_id(tracefs_, "syscalls", "sys_enter_getpid");
        if (id < 0) {
            std::string cfg = config_note("CONFIG_FTRACE_SYSCALLS");
            add("hook.syscall_tracepoints", "hook", Tri::no, "no",
                fmt::format("{}; no {} tracepoint id under {}/events: {}{}", tracefs_reason_, tp, tracefs_,
                            errno_text(-id), cfg.empty() ? "" : " (" + cfg + ")"))
                .why = cfg.starts_with("kernel built without") ? cfg : "no syscall tracepoints in tracefs";
        } else if (opts_.files_only) {
            add("hook.syscall_tracepoints", "hook", Tri::unknown, "unknown",
                fmt::format("{}; tracepoint {} exists (id {}), not attached (files_only)", tracefs_reason_,
                            tp, id));
        } else {
            Attempt a = ops_.attach_tracepoint(id, tp);
            if (a.ok()) {
                add("hook.syscall_tracepoints", "hook", Tri::yes, "yes", tracefs_reason_ + "; " + a.detail);
            } else {
                add("hook.syscall_tracepoints", "hook", Tri::no, "no",
                    tracefs_reason_ + "; " + failure_text(a, Need::tracing))
                    .why = a.step + " failed with " + errno_name(a.err);
            }
        }
    }

    if (opts_.files_only) {
        add("hook.raw_tracepoints", "hook", Tri::unknown, "unknown", "not tried (files_only)");
        return;
    }
    Attempt a = ops_.attach_raw_tracepoint("sys_enter");
    if (a.ok()) {
        add("hook.raw_tracepoints", "hook", Tri::yes, "yes", a.detail);
    } else {
        add("hook.raw_tracepoints", "hook", Tri::no, "no", failure_text(a, Need::tracing)).why =
            a.step + " failed with " + errno_name(a.err);
    }
}

void Capabilities::probe_kprobe() {
    std::string pmu_dir = opts_.sys_root + "/bus/event_source/devices/kprobe";
    auto pmu = read_line_file(pmu_dir + "/type");
    bool events = !tracefs_.empty() && exists(tracefs_ + "/kprobe_events");
    std::string cfg = config_note("CONFIG_KPROBES");
    bool cfg_off = cfg.starts_with("kernel built without");
    std::string pmu_text =
        pmu ? fmt::format("kprobe PMU present (type {})", *pmu) : "no kprobe PMU (" + pmu_dir + " absent)";
    std::string ev_text = tracefs_.empty() ? "kprobe_events not checked (no tracefs)"
                          : events         ? "kprobe_events present in " + tracefs_
                                           : "no kprobe_events in " + tracefs_;
    if (!pmu && !events) {
        // The PMU exists since 4.17 whenever kprobes do; with tracefs we also know there is
        // no legacy interface.
        bool definitive = !tracefs_.empty() || kver_code_ >= (4u << 16 | 17u << 8) || cfg_off;
        std::string reason =
            cfg_off
                ? "kprobe attach failed: kernel built without CONFIG_KPROBES (no kprobe PMU, "
                  "no kprobe_events); " +
                      pmu_text + ", " + ev_text
                : "kprobes unavailable: " + pmu_text + ", " + ev_text + (cfg.empty() ? "" : " (" + cfg + ")");
        add("hook.kprobe", "hook", definitive ? Tri::no : Tri::unknown, definitive ? "no" : "unknown", reason)
            .why = cfg_off ? "kernel built without CONFIG_KPROBES" : "no kprobe PMU or kprobe_events";
        return;
    }
    if (opts_.files_only) {
        add("hook.kprobe", "hook", Tri::unknown, "unknown",
            pmu_text + ", " + ev_text + "; attaching was not tried (files_only)");
        return;
    }
    Attempt a = ops_.attach_kprobe("vfs_read");
    if (a.ok()) {
        add("hook.kprobe", "hook", Tri::yes, "yes", pmu_text + "; " + a.detail);
    } else {
        add("hook.kprobe", "hook", Tri::no, "no",
            pmu_text + ", " + ev_text + "; " + failure_text(a, Need::tracing))
            .why = a.step + " failed with " + errno_name(a.err);
    }
}

void Capabilities::probe_fentry() {
    std::string kbtf = opts_.sys_root + "/kernel/btf/vmlinux";
    std::string ftrace = config_note("CONFIG_FUNCTION_TRACER");
    bool ftrace_off = ftrace.starts_with("kernel built without");
    int err = 0;
    if (!exists(kbtf, &err)) {
        std::string cfg = config_note("CONFIG_DEBUG_INFO_BTF");
        add("hook.fentry", "hook", Tri::no, "no",
            fmt::format("fentry programs are typed against the kernel's own BTF, and {} is absent ({}){}",
                        kbtf, errno_str(err), cfg.empty() ? "" : "; " + cfg))
            .why = "no kernel BTF";
        return;
    }
    if (opts_.files_only) {
        add("hook.fentry", "hook", Tri::unknown, "unknown",
            "kernel BTF present; loading was not tried (files_only)" + (ftrace.empty() ? "" : "; " + ftrace));
        return;
    }
    std::vector<std::string> targets(std::begin(kFentryTargets), std::end(kFentryTargets));
    Attempt a = ops_.attach_fentry(kbtf, targets);
    if (a.ok()) {
        add("hook.fentry", "hook", Tri::yes, "yes", a.detail);
        return;
    }
    std::string reason = failure_text(a, Need::tracing);
    if (ftrace_off) reason += "; " + ftrace + " (fentry trampolines need it)";
    std::string stage = a.step.find("BPF_PROG_LOAD") != std::string::npos ? "loading a fentry program"
                        : a.step.starts_with("attaching")                 ? "attaching a fentry program"
                                                                          : a.step;
    add("hook.fentry", "hook", Tri::no, "no", reason).why =
        ftrace_off ? ftrace : stage + " failed with " + errno_name(a.err);
}

void Capabilities::probe_uprobe() {
    std::string pmu_dir = opts_.sys_root + "/bus/event_source/devices/uprobe";
    auto pmu = read_line_file(pmu_dir + "/type");
    bool events = !tracefs_.empty() && exists(tracefs_ + "/uprobe_events");
    std::string pmu_text =
        pmu ? fmt::format("uprobe PMU present (type {})", *pmu) : "no uprobe PMU (" + pmu_dir + " absent)";
    if (!pmu && !events) {
        std::string cfg = config_note("CONFIG_UPROBE_EVENTS");
        bool cfg_off = cfg.starts_with("kernel built without");
        bool definitive = !tracefs_.empty() || kver_code_ >= (4u << 16 | 17u << 8) || cfg_off;
        add("hook.uprobe", "hook", definitive ? Tri::no : Tri::unknown, definitive ? "no" : "unknown",
            pmu_text +
                (tracefs_.empty() ? ", uprobe_events not checked (no tracefs)"
                                  : ", no uprobe_events in " + tracefs_) +
                (cfg.empty() ? "" : "; " + cfg))
            .why = cfg_off ? cfg : "no uprobe PMU or uprobe_events";
        return;
    }
    if (opts_.files_only) {
        add("hook.uprobe", "hook", Tri::unknown, "unknown",
            pmu_text + "; attaching was not tried (files_only)");
        return;
    }
    Attempt a = ops_.attach_uprobe();
    if (a.ok()) {
        add("hook.uprobe", "hook", Tri::yes, "yes", pmu_text + "; " + a.detail);
    } else {
        add("hook.uprobe", "hook", Tri::no, "no", pmu_text + "; " + failure_text(a, Need::tracing)).why =
            a.step + " failed with " + errno_name(a.err);
    }
}

void Capabilities::probe_net_hooks() {
    struct NetHook {
        const char *name, *type_name, *config, *lost;
        bpf_prog_type type;
        int ret;
        Need need;
    };
    const NetHook hooks[] = {
        {"hook.tc", "BPF_PROG_TYPE_SCHED_CLS", "CONFIG_NET_CLS_BPF",
         "no tc programs: no packet-level hooks on network devices (syscall capture is unaffected)",
         BPF_PROG_TYPE_SCHED_CLS, 0, Need::net_admin},
        {"hook.cgroup_skb", "BPF_PROG_TYPE_CGROUP_SKB", "CONFIG_CGROUP_BPF",
         "no cgroup_skb programs: no per-cgroup packet hooks (syscall capture is unaffected)",
         BPF_PROG_TYPE_CGROUP_SKB, 1, Need::bpf},
        {"hook.socket_filter", "BPF_PROG_TYPE_SOCKET_FILTER", nullptr,
         "no socket filters: no packet inspection on raw sockets (syscall capture is unaffected)",
         BPF_PROG_TYPE_SOCKET_FILTER, 0, Need::bpf},
    };
    for (const auto &h : hooks) {
        std::string cfg = h.config ? config_note(h.config) : "";
        if (opts_.files_only) {
            add(h.name, "hook", Tri::unknown, "unknown",
                "loading was not tried (files_only)" + (cfg.empty() ? "" : "; " + cfg));
            continue;
        }
        ProgSpec spec;
        spec.type = h.type;
        spec.insns = {insn::mov64_imm(0, h.ret), insn::exit()};
        Attempt a = ops_.prog_load(spec);
        if (a.ok()) {
            add(h.name, "hook", Tri::yes, "yes",
                fmt::format("loaded a two-instruction {} program and closed it (attaching needs a target and "
                            "was not tried)",
                            h.type_name));
        } else {
            a.step = fmt::format("bpf(BPF_PROG_LOAD) of a {} program", h.type_name);
            std::string reason = failure_text(a, h.need);
            if (cfg.starts_with("kernel built without")) reason += "; " + cfg;
            add(h.name, "hook", Tri::no, "no", reason, h.lost).why =
                a.step + " failed with " + errno_name(a.err);
        }
    }
}

void Capabilities::probe_helpers() {
    // bpf_loop: load a program that calls it; a verifier that does not know the helper says
    // so before it looks at the (deliberately unset) arguments.
    if (opts_.files_only) {
        add("helper.bpf_loop", "helper", Tri::unknown, "unknown", "not tried (files_only)");
    } else {
        ProgSpec spec;
        spec.type = BPF_PROG_TYPE_KPROBE;
        spec.kern_version = kver_code_;
        spec.insns = {insn::call(BPF_FUNC_loop), insn::mov64_imm(0, 0), insn::exit()};
        Attempt a = ops_.prog_load(spec);
        std::string verifier = a.detail.empty() ? "" : " (verifier: \"" + a.detail + "\")";
        bool past_helper_check =
            (a.err == EINVAL || a.err == EACCES) && !a.detail.empty() && !mentions_missing_helper(a.detail);
        if (a.ok() || past_helper_check) {
            add("helper.bpf_loop", "helper", Tri::yes, "yes",
                "the verifier knows bpf_loop (helper 181): a kprobe program calling it got past the helper "
                "check" +
                    verifier);
        } else if (mentions_missing_helper(a.detail)) {
            add("helper.bpf_loop", "helper", Tri::no, "no",
                "the verifier does not offer bpf_loop (helper 181) to kprobe programs" + verifier +
                    "; it arrived in 5.17",
                "no bpf_loop: readv/writev/recvmsg/sendmsg payloads come from their first 16 iovecs "
                "only, and executable globs are matched in user space after the exec (a process that "
                "exits within milliseconds can be missed)")
                .why = "helper unknown to the verifier";
        } else {
            a.step = "bpf(BPF_PROG_LOAD) of a kprobe program calling bpf_loop";
            add("helper.bpf_loop", "helper", Tri::unknown, "unknown", failure_text(a, Need::tracing));
        }
    }

    // bpf_probe_write_user: needs CAP_SYS_ADMIN, and lockdown (integrity and up) removes it.
    const CapItem *ld = get("security.lockdown");
    std::string lockdown = ld && ld->state == Tri::yes ? ld->value : "";
    bool locked = lockdown == "integrity" || lockdown == "confidentiality";
    const char *lost = "writing into traced processes' memory (some context propagation) is unavailable; "
                       "libbeyla does not use it";
    if (opts_.files_only) {
        if (locked) {
            add("helper.probe_write_user", "helper", Tri::no, "no",
                "lockdown=" + lockdown +
                    " forbids bpf_probe_write_user (LOCKDOWN_BPF_WRITE_USER); not tried "
                    "(files_only)",
                lost)
                .why = "lockdown=" + lockdown;
        } else {
            add("helper.probe_write_user", "helper", Tri::unknown, "unknown", "not tried (files_only)");
        }
        return;
    }
    ProgSpec spec;
    spec.type = BPF_PROG_TYPE_KPROBE;
    spec.kern_version = kver_code_;
    // *(u64 *)(fp - 8) = 0; bpf_probe_write_user(NULL, fp - 8, 8): valid arguments, so only the
    // helper's availability decides.
    spec.insns = {insn::st_dw(BPF_REG_10, -8, 0),         insn::mov64_imm(BPF_REG_1, 0),
                  insn::mov64_reg(BPF_REG_2, BPF_REG_10), insn::add64_imm(BPF_REG_2, -8),
                  insn::mov64_imm(BPF_REG_3, 8),          insn::call(BPF_FUNC_probe_write_user),
                  insn::mov64_imm(BPF_REG_0, 0),          insn::exit()};
    Attempt a = ops_.prog_load(spec);
    if (a.ok()) {
        add("helper.probe_write_user", "helper", Tri::yes, "yes",
            "loaded a kprobe program calling bpf_probe_write_user (helper 36)" +
                (lockdown.empty() ? "" : "; lockdown=" + lockdown));
        return;
    }
    std::string verifier = a.detail.empty() ? "" : "the verifier said \"" + a.detail + "\"";
    std::string because, why;
    if (mentions_missing_helper(a.detail) || a.err == EINVAL) {
        if (locked) {
            because = "lockdown=" + lockdown + " removes it (LOCKDOWN_BPF_WRITE_USER)";
            why = "lockdown=" + lockdown;
        } else if (cap_eff_ && !has_cap(kCapSysAdmin)) {
            because = "it needs CAP_SYS_ADMIN, which this process lacks";
            why = "CAP_SYS_ADMIN missing";
        } else if (lockdown.empty()) {
            because = "the lockdown level is unknown; lockdown or a missing CAP_SYS_ADMIN would explain it";
            why = "helper refused";
        } else {
            because = "neither lockdown nor capabilities explain it";
            why = "helper refused";
        }
        add("helper.probe_write_user", "helper", Tri::no, "no",
            fmt::format("loading a kprobe program calling bpf_probe_write_user (helper 36) failed: {}{}; {}",
                        errno_text(a.err), verifier.empty() ? "" : " (" + verifier + ")", because),
            lost)
            .why = why;
        return;
    }
    a.step = "bpf(BPF_PROG_LOAD) of a kprobe program calling bpf_probe_write_user";
    add("helper.probe_write_user", "helper", Tri::no, "no", failure_text(a, Need::tracing), lost).why =
        a.step + " failed with " + errno_name(a.err);
}

// ---------------------------------------------------------------- reasons

std::string Capabilities::need_hint(int err, Need need) const {
    if (err == ENOSYS) return " (no bpf() syscall: kernel built without CONFIG_BPF_SYSCALL)";
    if (err != EPERM && err != EACCES) return "";
    if (need == Need::none) return "";
    if (need == Need::mount)
        return cap_eff_ && !has_cap(kCapSysAdmin) ? " (needs CAP_SYS_ADMIN, which this process lacks)"
                                                  : " (needs CAP_SYS_ADMIN)";
    bool admin = has_cap(kCapSysAdmin);
    bool bpf = has_cap(kCapBpf) || admin;
    bool perfmon = has_cap(kCapPerfmon) || admin;
    bool net = has_cap(kCapNetAdmin) || admin;
    std::vector<std::string> missing;
    const char *needs = "";
    switch (need) {
    case Need::bpf:
        needs = "needs CAP_BPF or CAP_SYS_ADMIN";
        if (!bpf) missing.push_back("CAP_BPF");
        break;
    case Need::tracing:
        needs = "needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN";
        if (!bpf) missing.push_back("CAP_BPF");
        if (!perfmon) missing.push_back("CAP_PERFMON");
        break;
    case Need::net_admin:
        needs = "needs CAP_BPF and CAP_NET_ADMIN, or CAP_SYS_ADMIN";
        if (!bpf) missing.push_back("CAP_BPF");
        if (!net) missing.push_back("CAP_NET_ADMIN");
        break;
    case Need::perf_event:
        needs = "needs CAP_PERFMON or CAP_SYS_ADMIN";
        if (!perfmon) missing.push_back("CAP_PERFMON");
        break;
    default:
        break;
    }
    if (!cap_eff_) return fmt::format(" ({})", needs);
    if (!missing.empty()) {
        std::string extra;
        if (!unpriv_bpf_.empty() && unpriv_bpf_ != "0") extra += "; unprivileged_bpf_disabled=" + unpriv_bpf_;
        if (!paranoid_.empty() && need != Need::bpf && need != Need::net_admin)
            extra += "; perf_event_paranoid=" + paranoid_;
        return fmt::format(" ({}; this process lacks {}{})", needs, join(missing, " and "), extra);
    }
    bool old = kver_code_ && kver_code_ < (5u << 16 | 11u << 8);
    return fmt::format(" (the capabilities it needs are held: a kernel policy such as an LSM refused it{})",
                       old ? ", or RLIMIT_MEMLOCK is too low" : "");
}

std::string Capabilities::failure_text(const Attempt &a, Need need) const {
    std::string out = fmt::format("{} failed: {}{}", a.step.empty() ? "the attempt" : a.step,
                                  errno_text(a.err), need_hint(a.err, need));
    if (!a.detail.empty())
        out += "; " + a.detail;
    else if (a.err == EPERM && a.step.find("BPF_PROG_LOAD") != std::string::npos)
        out += "; no verifier log: the kernel refused before verification";
    return out;
}

// ---------------------------------------------------------------- plan

void Capabilities::build_plan() {
    auto why_of = [&](const char *name) {
        const CapItem *it = get(name);
        if (!it) return std::string("not probed");
        if (!it->why.empty()) return it->why;
        return it->state == Tri::unknown ? std::string("not probed") : it->value;
    };
    Tri sys = state_of("hook.syscall_tracepoints"), raw = state_of("hook.raw_tracepoints");
    // Only capture paths the tracer implements are planned: raw tracepoints are reported,
    // but socket capture through raw sys_enter/sys_exit is not built.
    std::string capture = sys == Tri::yes ? "syscall_tracepoints" : "none";
    std::string transport = state_of("bpf.ringbuf") == Tri::yes   ? "ringbuf"
                            : state_of("bpf.perfbuf") == Tri::yes ? "perfbuf"
                                                                  : "none";
    std::string tls = state_of("hook.uprobe") == Tri::yes ? "uprobes" : "none";
    bool btf = state_of("bpf.btf") == Tri::yes;
    summary_.capture_path = capture;
    summary_.transport = transport;
    summary_.tls = tls;
    summary_.can_trace = capture != "none" && transport != "none" && btf;

    std::string covered = capture == "syscall_tracepoints" ? "syscall tracepoints cover socket I/O"
                                                           : "nothing else covers socket I/O either";

    if (capture == "syscall_tracepoints") {
        add("plan.capture", "plan", Tri::yes, capture,
            "syscall tracepoints attach: socket I/O is captured at syscalls/sys_enter_* and sys_exit_*");
    } else {
        add("plan.capture", "plan", Tri::no, capture,
            "syscall tracepoints cannot be attached (" + why_of("hook.syscall_tracepoints") + ")" +
                (raw == Tri::yes ? "; raw tracepoints work, but libbeyla has no capture path built on them"
                                 : "; raw tracepoints cannot be attached either (" +
                                       why_of("hook.raw_tracepoints") + ")"),
            "no capture path: no spans can be produced");
    }

    uint64_t ring =
        page_size_ > 0 ? ring_size_for_page(kDefaultRingSize, static_cast<uint64_t>(page_size_)) : 0;
    if (transport == "ringbuf") {
        add("plan.transport", "plan", Tri::yes, transport,
            fmt::format("BPF ring buffer: one buffer shared by all CPUs, in order; {} at {}-byte pages",
                        ring ? human_bytes(ring) : "default size", page_size_));
    } else if (transport == "perfbuf") {
        add("plan.transport", "plan", Tri::yes, transport,
            "no ring buffer (" + why_of("bpf.ringbuf") + "); per-CPU perf buffers carry the events",
            "per-CPU perf buffers: more memory, and events are re-ordered across CPUs in user space");
    } else {
        add("plan.transport", "plan", Tri::no, transport,
            "neither a ring buffer (" + why_of("bpf.ringbuf") + ") nor a perf buffer (" +
                why_of("bpf.perfbuf") + ") can be created",
            "no way to bring events to user space");
    }

    if (tls == "uprobes") {
        add("plan.tls", "plan", Tri::yes, tls,
            "uprobes attach: user-space TLS libraries can be instrumented");
    } else {
        add("plan.tls", "plan", Tri::no, tls, "uprobes are unavailable (" + why_of("hook.uprobe") + ")",
            "TLS-encrypted payloads cannot be read before encryption; encrypted traffic is not traced");
    }

    if (btf) {
        add("plan.btf", "plan", Tri::yes, btf_file_,
            "CO-RE relocates the socket tracer against " + btf_file_);
    } else {
        add("plan.btf", "plan", Tri::no, "none", "no BTF (" + why_of("bpf.btf") + ")",
            "no BTF: the socket tracer cannot resolve sockets with CO-RE; capture is disabled");
    }

    // Degradations named by what they are to a user, with what covers for them.
    for (auto &it : items_) {
        if (it.state == Tri::yes || it.category == "tls") continue; // tls items carry their own
        std::string why = it.why.empty() ? (it.state == Tri::unknown ? "not probed" : "missing") : it.why;
        if (it.name == "hook.kprobe") {
            it.degraded = "kernel function probes are not used; " + covered;
            it.why = "kprobes: not used (" + why + "); " + covered;
        } else if (it.name == "hook.fentry") {
            it.degraded = "fentry (the cheapest kernel function hook) is not used; " + covered;
            it.why = "fentry: not used (" + why + "); " + covered;
        } else if (it.name == "hook.syscall_tracepoints") {
            it.degraded = "no capture path: no spans can be produced";
            it.why = "syscall tracepoints: not available (" + why + "); " + it.degraded;
        } else if (it.name == "hook.raw_tracepoints") {
            it.degraded = "";
            it.why =
                it.degraded.empty() ? "" : "raw tracepoints: not available (" + why + "); " + it.degraded;
        } else if (it.name == "hook.uprobe") {
            it.degraded = "TLS libraries cannot be instrumented; encrypted traffic is not traced";
            it.why = "uprobes: not available (" + why + "); " + it.degraded;
        } else if (it.name == "bpf.ringbuf") {
            it.degraded = transport == "perfbuf"
                              ? "events go through per-CPU perf buffers (more memory; order across CPUs is "
                                "restored in user space)"
                              : "no ring buffer, and no perf buffer either: no transport";
            it.why = "ring buffer: not available (" + why + "); " + it.degraded;
        } else if (it.name == "bpf.perfbuf") {
            it.degraded = transport == "ringbuf" ? "" : "no perf buffer fallback";
            it.why = it.degraded.empty() ? "" : "perf buffer: not available (" + why + "); " + it.degraded;
        } else if (it.name == "bpf.btf") {
            it.why = "BTF: not available (" + why + "); " + it.degraded;
        } else if (!it.degraded.empty() && it.category != "plan" && it.category != "config") {
            std::string label = it.name.substr(it.name.find('.') + 1);
            it.why = label + ": " + (it.state == Tri::no ? "not available" : "unknown") + " (" + why + "); " +
                     it.degraded;
        } else {
            it.why.clear();
        }
    }
}

void Capabilities::build_summary() {
    CapsSummary &s = summary_;
    s.btf = state_of("bpf.btf");
    s.ringbuf = state_of("bpf.ringbuf");
    s.perfbuf = state_of("bpf.perfbuf");
    s.syscall_tracepoints = state_of("hook.syscall_tracepoints");
    s.raw_tracepoints = state_of("hook.raw_tracepoints");
    s.kprobes = state_of("hook.kprobe");
    s.fentry = state_of("hook.fentry");
    s.uprobes = state_of("hook.uprobe");
    s.tc = state_of("hook.tc");
    s.cgroup_skb = state_of("hook.cgroup_skb");
    s.socket_filter = state_of("hook.socket_filter");
    s.bpf_loop = state_of("helper.bpf_loop");
    s.probe_write_user = state_of("helper.probe_write_user");
    s.rhel_backport = state_of("kernel.rhel_backport");
    const CapItem *ld = get("security.lockdown");
    s.lockdown = ld && ld->state == Tri::yes ? ld->value : "unknown";
    s.btf_source = s.btf == Tri::yes ? btf_file_ : "";
}

void Capabilities::build_plan_text() {
    const CapsSummary &s = summary_;
    std::string out;
    auto reason_of = [&](const char *name) {
        const CapItem *it = get(name);
        return it ? it->reason : std::string();
    };
    out += fmt::format("capture:   {} ({})\n", s.capture_path, reason_of("plan.capture"));
    out += fmt::format("transport: {} ({})\n", s.transport, reason_of("plan.transport"));
    out += fmt::format("btf:       {}\n",
                       s.btf == Tri::yes ? s.btf_source : "none (" + reason_of("plan.btf") + ")");
    out += fmt::format("tls:       {}\n", s.tls);
    for (const auto &it : items_)
        if (it.category == "tls")
            out += fmt::format("  {}: {} ({})\n", it.name, it.value,
                               it.state == Tri::no ? "not probed: " + it.reason : it.reason);
    out += fmt::format("can trace: {}\n", s.can_trace ? "yes" : "no");
    std::vector<std::string> lines;
    for (const auto &it : items_)
        if (it.state != Tri::yes && !it.why.empty() && it.category != "plan" && it.category != "config")
            lines.push_back(it.why);
    if (!lines.empty()) {
        out += "degraded:\n";
        for (const auto &l : lines) out += "  " + l + "\n";
    }
    plan_text_ = std::move(out);
}

void Capabilities::build_json() {
    const CapsSummary &s = summary_;
    JsonWriter w;
    w.begin_object();
    w.field("version", BEYLA_VERSION_STRING);
    w.key("items").begin_array();
    for (const auto &it : items_) {
        w.begin_object()
            .field("name", it.name)
            .field("category", it.category)
            .field("state", tri_name(it.state))
            .field("value", it.value)
            .field("reason", it.reason)
            .field("degraded", it.degraded)
            .end_object();
    }
    w.end_array();
    w.key("summary").begin_object();
    w.field("kernel_major", s.kernel_major)
        .field("kernel_minor", s.kernel_minor)
        .field("kernel_patch", s.kernel_patch);
    w.field("page_size", s.page_size);
    const std::pair<const char *, Tri> tris[] = {
        {"btf", s.btf},
        {"ringbuf", s.ringbuf},
        {"perfbuf", s.perfbuf},
        {"syscall_tracepoints", s.syscall_tracepoints},
        {"raw_tracepoints", s.raw_tracepoints},
        {"kprobes", s.kprobes},
        {"fentry", s.fentry},
        {"uprobes", s.uprobes},
        {"tc", s.tc},
        {"cgroup_skb", s.cgroup_skb},
        {"socket_filter", s.socket_filter},
        {"bpf_loop", s.bpf_loop},
        {"probe_write_user", s.probe_write_user},
        {"rhel_backport", s.rhel_backport},
    };
    for (const auto &[k, v] : tris) w.field(k, tri_name(v));
    w.field("can_trace", s.can_trace);
    w.key("memlock_limit");
    if (s.memlock_limit)
        w.value(s.memlock_limit);
    else
        w.null();
    w.field("lockdown", s.lockdown).field("btf_source", s.btf_source);
    w.field("capture_path", s.capture_path).field("transport", s.transport);
    w.end_object();
    w.key("plan").begin_object();
    w.field("capture", s.capture_path).field("transport", s.transport).field("tls", s.tls);
    w.field("btf", s.btf == Tri::yes ? s.btf_source : std::string("none"));
    w.field("can_trace", s.can_trace).field("text", plan_text_);
    w.end_object();
    w.end_object();
    json_ = w.str();
}

} // namespace beyla
