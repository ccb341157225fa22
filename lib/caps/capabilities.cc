// The capability probe's frame: the items, the order the probes run in, and the answers cached
// after the first question. Each family of probes has its own file (see the table in probe()).
#include "caps/capabilities.h"

#include <algorithm>
#include <exception>
#include <new>

namespace beyla {

namespace {

int category_rank(const std::string &cat) {
    int i = 0;
    for (const char *c : kCapCategories) {
        if (cat == c) return i;
        i++;
    }
    return i;
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
    // In this order: later probes use what earlier ones found (the release names the config
    // file, the config and the capabilities explain failures, tracefs holds the tracepoints).
    struct Probe {
        const char *name, *category; // the item reported when the probe itself breaks
        void (Capabilities::*run)();
    };
    static constexpr Probe kProbes[] = {
        {"kernel", "kernel", &Capabilities::probe_kernel},                        // kernel_facts.cc
        {"config", "config", &Capabilities::probe_config},                        // kernel_config.cc
        {"security", "security", &Capabilities::probe_security},                  // security.cc
        {"security.lockdown", "security", &Capabilities::probe_lockdown},         // security.cc
        {"kernel.tracefs", "kernel", &Capabilities::probe_tracefs},               // kernel_facts.cc
        {"bpf.btf", "bpf", &Capabilities::probe_btf},                             // bpf_features.cc
        {"bpf.maps", "bpf", &Capabilities::probe_maps},                           // bpf_features.cc
        {"hook.syscall_tracepoints", "hook", &Capabilities::probe_syscall_hooks}, // hooks.cc
        {"hook.kprobe", "hook", &Capabilities::probe_kprobe},                     // hooks.cc
        {"hook.fentry", "hook", &Capabilities::probe_fentry},                     // hooks.cc
        {"hook.uprobe", "hook", &Capabilities::probe_uprobe},                     // hooks.cc
        {"hook.net", "hook", &Capabilities::probe_net_hooks},                     // hooks.cc
        {"helper", "helper", &Capabilities::probe_helpers},                       // bpf_features.cc
    };
    for (const Probe &p : kProbes) step(p.name, p.category, [&] { (this->*p.run)(); });
    if (!opts_.tls_pids.empty()) step("tls", "tls", [&] { probe_tls_processes(); }); // tls_targets.cc
    step("plan", "plan", [&] { build_plan(); });                                     // plan.cc
    std::stable_sort(items_.begin(), items_.end(), [](const CapItem &a, const CapItem &b) {
        return category_rank(a.category) < category_rank(b.category);
    });
    build_summary();   // plan.cc
    build_plan_text(); // report.cc
    build_json();      // report.cc
}

} // namespace beyla
