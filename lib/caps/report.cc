// The report in its two forms: the plan as text, and everything as JSON.
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "caps/capabilities.h"
#include "common/json.h"

namespace beyla {

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
