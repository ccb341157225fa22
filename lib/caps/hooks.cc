// The hook types: syscall and raw tracepoints, kprobes, fentry, uprobes, and the network program
// types, each attached (or loaded, where attaching needs a target) for real.
#include <cerrno>
#include <iterator>

#include <fmt/format.h>

#include "caps/capabilities.h"
#include "caps/parsers.h"
#include "caps/probe_common.h"
#include "common/error.h"
#include "common/tracefs.h"

namespace beyla {

using namespace caps;

namespace {

const char *kFentryTargets[] = {"do_nanosleep", "security_file_open", "vfs_read"};

} // namespace

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
                .why = config_off(cfg) ? cfg : "no syscall tracepoints in tracefs";
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
    bool cfg_off = config_off(cfg);
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
    bool ftrace_off = config_off(ftrace);
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
        bool cfg_off = config_off(cfg);
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
            if (config_off(cfg)) reason += "; " + cfg;
            add(h.name, "hook", Tri::no, "no", reason, h.lost).why =
                a.step + " failed with " + errno_name(a.err);
        }
    }
}

} // namespace beyla
