// The capability probe's frame: the items, the order the probes run in, and the answers cached
// after the first question. Each family of probes has its own file.
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

} // namespace beyla
