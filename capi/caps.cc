// C ABI: the kernel capability probe.
#include <cerrno>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "beyla/beyla.h"
#include "capi/guard.h"
#include "caps/capabilities.h"
#include "common/opts.h"

struct beyla_caps {
    std::unique_ptr<beyla::KernelOps> ops;
    std::unique_ptr<beyla::Capabilities> impl;
    std::vector<beyla_cap_item> items; // views into impl's strings, which never change after probing
    beyla_caps_summary summary{};
    mutable std::string last_error;
};

namespace {

std::string opt_str(const char *s) {
    return s ? s : "";
}

int invalid(const beyla_caps *caps, const char *what) {
    if (caps) caps->last_error = what;
    return -EINVAL;
}

} // namespace

using beyla::capi::guard;

extern "C" {

BEYLA_API struct beyla_caps *beyla_caps_probe(const struct beyla_caps_opts *opts) {
    if (!BEYLA_OPTS_VALID(opts, beyla_caps_opts)) {
        errno = EINVAL;
        return nullptr;
    }
    auto *c = new (std::nothrow) beyla_caps;
    if (!c) {
        errno = ENOMEM;
        return nullptr;
    }
    int err = guard(&c->last_error, [&] {
        beyla::CapsOptions o;
        o.proc_root = opt_str(BEYLA_OPTS_GET(opts, proc_root, nullptr));
        o.sys_root = opt_str(BEYLA_OPTS_GET(opts, sys_root, nullptr));
        o.boot_root = opt_str(BEYLA_OPTS_GET(opts, boot_root, nullptr));
        o.etc_root = opt_str(BEYLA_OPTS_GET(opts, etc_root, nullptr));
        o.btf_path = opt_str(BEYLA_OPTS_GET(opts, btf_path, nullptr));
        o.no_mount_tracefs = BEYLA_OPTS_GET(opts, no_mount_tracefs, false);
        o.files_only = BEYLA_OPTS_GET(opts, files_only, false);
        const int32_t *tls_pids = BEYLA_OPTS_GET(opts, tls_pids, nullptr);
        size_t n_tls = BEYLA_OPTS_GET(opts, tls_pid_count, 0);
        if (n_tls && !tls_pids) beyla::fail(EINVAL, "tls_pid_count is set but tls_pids is NULL");
        for (size_t i = 0; i < n_tls; i++) {
            if (tls_pids[i] <= 0) beyla::fail(EINVAL, "invalid pid {}", tls_pids[i]);
            o.tls_pids.push_back(static_cast<uint32_t>(tls_pids[i]));
        }
        // Everything goes to the callback, which filters: a one-off probe is cheap to log in full.
        beyla::Logger logger(BEYLA_OPTS_GET(opts, log_fn, nullptr), BEYLA_OPTS_GET(opts, log_ctx, nullptr),
                             BEYLA_LOG_DEBUG);
        c->ops = beyla::make_real_kernel_ops();
        c->impl = std::make_unique<beyla::Capabilities>(std::move(o), *c->ops, logger);

        // Probe now, while the caller's log callback is expected to fire; the getters then
        // only read.
        const auto &items = c->impl->items();
        c->items.reserve(items.size());
        for (const auto &it : items) {
            beyla_cap_item v{};
            v.sz = sizeof(v);
            v.name = it.name.c_str();
            v.category = it.category.c_str();
            v.state = static_cast<int>(it.state);
            v.value = it.value.c_str();
            v.reason = it.reason.c_str();
            v.degraded = it.degraded.c_str();
            c->items.push_back(v);
        }
        const beyla::CapsSummary &s = c->impl->summary();
        beyla_caps_summary &out = c->summary;
        out.sz = sizeof(out);
        out.kernel_major = s.kernel_major;
        out.kernel_minor = s.kernel_minor;
        out.kernel_patch = s.kernel_patch;
        out.page_size = s.page_size;
        out.btf = static_cast<int>(s.btf);
        out.ringbuf = static_cast<int>(s.ringbuf);
        out.perfbuf = static_cast<int>(s.perfbuf);
        out.syscall_tracepoints = static_cast<int>(s.syscall_tracepoints);
        out.raw_tracepoints = static_cast<int>(s.raw_tracepoints);
        out.kprobes = static_cast<int>(s.kprobes);
        out.fentry = static_cast<int>(s.fentry);
        out.uprobes = static_cast<int>(s.uprobes);
        out.tc = static_cast<int>(s.tc);
        out.cgroup_skb = static_cast<int>(s.cgroup_skb);
        out.socket_filter = static_cast<int>(s.socket_filter);
        out.bpf_loop = static_cast<int>(s.bpf_loop);
        out.probe_write_user = static_cast<int>(s.probe_write_user);
        out.rhel_backport = static_cast<int>(s.rhel_backport);
        out.can_trace = s.can_trace ? BEYLA_YES : BEYLA_NO;
        out.memlock_limit = s.memlock_limit;
        out.lockdown = s.lockdown.c_str();
        out.btf_source = s.btf_source.c_str();
        out.capture_path = s.capture_path.c_str();
        out.transport = s.transport.c_str();
        c->impl->plan_text();
        c->impl->json();
        return 0;
    });
    if (err) {
        delete c;
        errno = -err;
        return nullptr;
    }
    return c;
}

BEYLA_API void beyla_caps_free(struct beyla_caps *caps) {
    delete caps;
}

BEYLA_API int beyla_caps_get_summary(const struct beyla_caps *caps, struct beyla_caps_summary *out) {
    if (!caps) return -EINVAL;
    if (!out || out->sz < sizeof(size_t))
        return invalid(caps, "beyla_caps_get_summary: NULL or unsized output");
    return beyla::copy_out(out, caps->summary);
}

BEYLA_API size_t beyla_caps_count(const struct beyla_caps *caps) {
    return caps ? caps->items.size() : 0;
}

BEYLA_API int beyla_caps_item(const struct beyla_caps *caps, size_t idx, struct beyla_cap_item *out) {
    if (!caps) return -EINVAL;
    if (!out || out->sz < sizeof(size_t)) return invalid(caps, "beyla_caps_item: NULL or unsized output");
    if (idx >= caps->items.size()) {
        caps->last_error = "beyla_caps_item: index " + std::to_string(idx) + " out of range (" +
                           std::to_string(caps->items.size()) + " items)";
        return -ENOENT;
    }
    return beyla::copy_out(out, caps->items[idx]);
}

BEYLA_API int beyla_caps_find(const struct beyla_caps *caps, const char *name, struct beyla_cap_item *out) {
    if (!caps) return -EINVAL;
    if (!name) return invalid(caps, "beyla_caps_find: NULL name");
    if (!out || out->sz < sizeof(size_t)) return invalid(caps, "beyla_caps_find: NULL or unsized output");
    for (const auto &it : caps->items)
        if (!strcmp(it.name, name)) return beyla::copy_out(out, it);
    return guard(&caps->last_error, [&]() -> int {
        caps->last_error = std::string("no capability item named \"") + name + "\"";
        return -ENOENT;
    });
}

BEYLA_API const char *beyla_caps_plan_text(const struct beyla_caps *caps) {
    if (!caps) {
        errno = EINVAL;
        return nullptr;
    }
    return caps->impl->plan_text().c_str();
}

BEYLA_API const char *beyla_caps_json(const struct beyla_caps *caps) {
    if (!caps) {
        errno = EINVAL;
        return nullptr;
    }
    return caps->impl->json().c_str();
}

BEYLA_API const char *beyla_caps_last_error(const struct beyla_caps *caps) {
    if (!caps) return "invalid argument: NULL capability handle";
    return caps->last_error.c_str();
}

} // extern "C"
