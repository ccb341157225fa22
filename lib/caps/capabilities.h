// The kernel capability probe: what this kernel can do for the tracer, found by real attempts
// where an attempt is possible and by definitive file checks otherwise, each answer with the
// reason behind it and what is lost without it; then the capture plan that follows.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "caps/kernel_ops.h"
#include "common/log.h"

namespace beyla {

enum class Tri : int { unknown = -1, no = 0, yes = 1 };

const char *tri_name(Tri t); // "yes", "no", "unknown"

struct CapItem {
    std::string name;     // stable key, "hook.kprobe"
    std::string category; // "kernel", "bpf", "hook", "helper", "security", "config", "plan"
    Tri state = Tri::unknown;
    std::string value;    // human value
    std::string reason;   // what was tried and what happened
    std::string degraded; // what is lost when missing, or ""
    std::string why;      // a few words for the plan ("kernel built without CONFIG_KPROBES")
};

struct CapsOptions {
    std::string proc_root = "/proc";
    std::string sys_root = "/sys";
    std::string boot_root = "/boot";
    std::string etc_root = "/etc";
    // CO-RE relocates against this BTF file instead of the kernel's own, as with the tracer's
    // btf_path; "": the kernel's, where libbpf looks for it.
    std::string btf_path;
    bool no_mount_tracefs = false;
    bool files_only = false;
    // Processes whose TLS libraries are listed (category "tls"), as the tracer would probe them.
    std::vector<uint32_t> tls_pids;
};

struct CapsSummary {
    uint32_t kernel_major = 0, kernel_minor = 0, kernel_patch = 0;
    uint32_t page_size = 0;
    Tri btf = Tri::unknown, ringbuf = Tri::unknown, perfbuf = Tri::unknown;
    Tri syscall_tracepoints = Tri::unknown, raw_tracepoints = Tri::unknown;
    Tri kprobes = Tri::unknown, fentry = Tri::unknown, uprobes = Tri::unknown;
    Tri tc = Tri::unknown, cgroup_skb = Tri::unknown, socket_filter = Tri::unknown;
    Tri bpf_loop = Tri::unknown, probe_write_user = Tri::unknown;
    Tri rhel_backport = Tri::unknown;
    bool can_trace = false;
    uint64_t memlock_limit = 0; // UINT64_MAX unlimited, 0 unknown
    std::string lockdown = "unknown";
    std::string btf_source;
    std::string capture_path = "none";
    std::string transport = "none";
    std::string tls = "none";
};

// Report order of the categories.
inline const char *const kCapCategories[] = {"kernel",   "bpf",    "hook", "helper",
                                             "security", "config", "tls",  "plan"};

class Capabilities {
  public:
    // ops must outlive this object. Nothing is probed until the first question.
    Capabilities(CapsOptions opts, KernelOps &ops, Logger logger = {});

    // Runs the probe once; later calls return the cached answers.
    const std::vector<CapItem> &items();
    const CapItem *find(std::string_view name);
    const CapsSummary &summary();
    const std::string &plan_text();
    const std::string &json();

  private:
    void probe();
    CapItem &add(std::string name, std::string category, Tri state, std::string value, std::string reason,
                 std::string degraded = {});
    const CapItem *get(std::string_view name) const;
    Tri state_of(std::string_view name) const;
    // Runs one probe step; an unexpected exception becomes an "unknown" item.
    template <typename F> void step(const char *name, const char *category, F &&fn);

    void probe_kernel();
    void probe_tls_processes();
    void probe_config();
    void probe_security();
    void probe_lockdown();
    void probe_tracefs();
    void probe_btf();
    void probe_given_btf();
    void probe_maps();
    void probe_syscall_hooks();
    void probe_kprobe();
    void probe_fentry();
    void probe_uprobe();
    void probe_net_hooks();
    void probe_helpers();
    void probe_config_items();
    void build_plan();
    void build_summary();
    void build_plan_text();
    void build_json();

    // Reason text for a failed attempt, with a hint about what is missing.
    enum class Need { none, bpf, tracing, net_admin, perf_event, mount };
    std::string failure_text(const Attempt &a, Need need) const;
    std::string need_hint(int err, Need need) const;
    bool has_cap(int cap) const;
    // "y", "m", "n" for a config option, nullopt when the config is unknown or lacks it.
    std::optional<std::string> config(const std::string &opt) const;
    std::string config_note(const std::string &opt) const; // "CONFIG_X=y" or "CONFIG_X is not set"

    CapsOptions opts_;
    KernelOps &ops_;
    Logger log_;
    bool probed_ = false;

    std::vector<CapItem> items_;
    CapsSummary summary_;
    std::string plan_text_;
    std::string json_;

    // Facts gathered on the way, used by later steps.
    std::string release_;
    uint32_t kver_code_ = 0;
    bool rhel_ = false;
    long page_size_ = 0;
    std::optional<uint64_t> cap_eff_;
    std::string unpriv_bpf_;
    std::string paranoid_;
    std::map<std::string, std::string> config_;
    bool config_found_ = false;
    std::string config_source_;
    std::string tracefs_;
    std::string tracefs_reason_;
    std::string btf_file_;
};

// Capability bit numbers (linux/capability.h) the probe reports on.
inline constexpr int kCapDacReadSearch = 2;
inline constexpr int kCapNetAdmin = 12;
inline constexpr int kCapSysPtrace = 19;
inline constexpr int kCapSysAdmin = 21;
inline constexpr int kCapSysResource = 24;
inline constexpr int kCapPerfmon = 38;
inline constexpr int kCapBpf = 39;
inline constexpr int kCapCheckpointRestore = 40;

// "EPERM", "EINVAL", ... or "errno N".
std::string errno_name(int err);

} // namespace beyla
