// The capture plan that follows from the probes: which capture path, transport, TLS hooks and BTF
// the tracer uses, and what each missing capability costs given that plan.
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "caps/capabilities.h"
#include "caps/parsers.h"
#include "caps/ring_size.h"

namespace beyla {

namespace {

// What the plan is, as the degradation texts need it.
struct PlanFacts {
    std::string transport; // "ringbuf", "perfbuf" or "none"
    std::string covered;   // what covers for a kernel function hook that is missing
};

// How a missing item shows in the plan: "<label>: <verb> (<why>); <tail>", the tail being what is
// lost, or for hooks the tracer can do without, what covers for them. Items not listed here show
// under their own name with the loss their probe gave, if any.
struct Degradation {
    enum class Tail { lost, cover };
    const char *item;
    const char *label;
    const char *verb = "not available";
    std::string (*lost)(const PlanFacts &) = nullptr; // nullptr: the loss the probe gave
    Tail tail = Tail::lost;
    bool listed_without_loss = false; // shown even when nothing is lost
};

const Degradation kDegradations[] = {
    {.item = "hook.syscall_tracepoints",
     .label = "syscall tracepoints",
     .lost = [](const PlanFacts &) -> std::string { return "no capture path: no spans can be produced"; }},
    // Nothing is built on raw tracepoints: their absence costs nothing.
    {.item = "hook.raw_tracepoints",
     .label = "raw tracepoints",
     .lost = [](const PlanFacts &) -> std::string { return ""; }},
    {.item = "hook.kprobe",
     .label = "kprobes",
     .verb = "not used",
     .lost = [](const PlanFacts &f) { return "kernel function probes are not used; " + f.covered; },
     .tail = Degradation::Tail::cover},
    {.item = "hook.fentry",
     .label = "fentry",
     .verb = "not used",
     .lost =
         [](const PlanFacts &f) {
             return "fentry (the cheapest kernel function hook) is not used; " + f.covered;
         },
     .tail = Degradation::Tail::cover},
    {.item = "hook.uprobe",
     .label = "uprobes",
     .lost = [](const PlanFacts &) -> std::string {
         return "TLS libraries cannot be instrumented; encrypted traffic is not traced";
     }},
    {.item = "bpf.ringbuf",
     .label = "ring buffer",
     .lost = [](const PlanFacts &f) -> std::string {
         return f.transport == "perfbuf"
                    ? "events go through per-CPU perf buffers (more memory; order across "
                      "CPUs is restored in user space)"
                    : "no ring buffer, and no perf buffer either: no transport";
     }},
    {.item = "bpf.perfbuf",
     .label = "perf buffer",
     .lost = [](const PlanFacts &f) -> std::string {
         return f.transport == "ringbuf" ? "" : "no perf buffer fallback";
     }},
    {.item = "bpf.btf", .label = "BTF", .listed_without_loss = true},
};

const Degradation *degradation_of(const std::string &item) {
    for (const auto &d : kDegradations)
        if (item == d.item) return &d;
    return nullptr;
}

} // namespace

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

    bool given = !opts_.btf_path.empty();
    if (btf) {
        add("plan.btf", "plan", Tri::yes, btf_file_,
            "CO-RE relocates the socket tracer against " + btf_file_ +
                (given ? " (given as btf_path, instead of the kernel's own BTF)" : ""));
    } else {
        add("plan.btf", "plan", Tri::no, "none", "no BTF (" + why_of("bpf.btf") + ")",
            given ? "the given BTF file cannot be used: a tracer given it as btf_path fails to start"
                  : "no BTF: the socket tracer cannot resolve sockets with CO-RE; capture is disabled");
    }

    // Degradations named by what they are to a user, with what covers for them.
    const PlanFacts facts{transport, covered};
    for (auto &it : items_) {
        if (it.state == Tri::yes || it.category == "tls") continue; // tls items carry their own
        std::string why = it.why.empty() ? (it.state == Tri::unknown ? "not probed" : "missing") : it.why;
        const Degradation *d = degradation_of(it.name);
        if (d) {
            if (d->lost) it.degraded = d->lost(facts);
            const std::string &tail = d->tail == Degradation::Tail::cover ? facts.covered : it.degraded;
            it.why = it.degraded.empty() && !d->listed_without_loss
                         ? ""
                         : fmt::format("{}: {} ({}); {}", d->label, d->verb, why, tail);
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

} // namespace beyla
