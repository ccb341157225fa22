// The kernel's build configuration (/proc/config.gz, or /boot/config-<release>): the options that
// decide what BPF can do, reported one by one, and looked up by the other probes for their reasons.
#include <cerrno>

#include <fmt/format.h>

#include "caps/capabilities.h"
#include "caps/parsers.h"
#include "caps/probe_common.h"
#include "common/error.h"

namespace beyla {

using namespace caps;

namespace {

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

} // namespace

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

} // namespace beyla
