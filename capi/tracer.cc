// C ABI: tracer handles, statistics and spans.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "beyla/beyla.h"
#include "capi/guard.h"
#include "capi/tracer_handle.h"
#include "common/opts.h"
#include "core/span_json.h"
#include "core/tracer.h"
#include "protocols/registry.h"

using beyla::capi::guard;

extern "C" {

BEYLA_API struct beyla_tracer *beyla_tracer_new(const struct beyla_tracer_opts *opts) {
    if (!opts || !BEYLA_OPTS_VALID(opts, beyla_tracer_opts)) {
        errno = EINVAL;
        return nullptr;
    }
    auto *t = new (std::nothrow) beyla_tracer;
    if (!t) {
        errno = ENOMEM;
        return nullptr;
    }
    int err = guard(&t->last_error, [&] {
        beyla::TracerOptions o;
        const int32_t *pids = BEYLA_OPTS_GET(opts, pids, nullptr);
        size_t npids = BEYLA_OPTS_GET(opts, pid_count, 0);
        const uint16_t *ports = BEYLA_OPTS_GET(opts, ports, nullptr);
        size_t nports = BEYLA_OPTS_GET(opts, port_count, 0);
        const char *const *globs = BEYLA_OPTS_GET(opts, exe_globs, nullptr);
        size_t nglobs = BEYLA_OPTS_GET(opts, exe_glob_count, 0);
        if ((npids && !pids) || (nports && !ports) || (nglobs && !globs))
            beyla::fail(EINVAL, "a selector count is set but its array is NULL");
        for (size_t i = 0; i < npids; i++) {
            if (pids[i] <= 0) beyla::fail(EINVAL, "invalid pid {}", pids[i]);
            o.selection.pids.push_back(pids[i]);
        }
        for (size_t i = 0; i < nports; i++) {
            if (!ports[i]) beyla::fail(EINVAL, "port 0 cannot be selected");
            o.selection.ports.push_back(ports[i]);
        }
        for (size_t i = 0; i < nglobs; i++) {
            if (!globs[i] || !*globs[i]) beyla::fail(EINVAL, "empty executable glob");
            o.selection.exe_globs.emplace_back(globs[i]);
        }
        const char *const *unix_paths = BEYLA_OPTS_GET(opts, unix_paths, nullptr);
        size_t nunix = BEYLA_OPTS_GET(opts, unix_path_count, 0);
        if (nunix && !unix_paths) beyla::fail(EINVAL, "unix_path_count is set but unix_paths is NULL");
        for (size_t i = 0; i < nunix; i++) {
            if (!unix_paths[i] || !*unix_paths[i]) beyla::fail(EINVAL, "empty unix socket path");
            o.selection.unix_paths.emplace_back(unix_paths[i]);
        }
        beyla_span_fn fn = BEYLA_OPTS_GET(opts, on_span, nullptr);
        void *ctx = BEYLA_OPTS_GET(opts, span_ctx, nullptr);
        if (fn) o.on_span = [fn, ctx](const beyla_span &s) { fn(&s, ctx); };
        o.logger.set(BEYLA_OPTS_GET(opts, log_fn, nullptr), BEYLA_OPTS_GET(opts, log_ctx, nullptr));
        o.transport = BEYLA_OPTS_GET(opts, transport, 0);
        uint32_t prefix = BEYLA_OPTS_GET(opts, payload_prefix, 0u);
        o.payload_prefix = prefix ? prefix : BEYLA_DEFAULT_PAYLOAD;
        o.ring_size = BEYLA_OPTS_GET(opts, ring_size, 0u);
        o.capture_url_query = BEYLA_OPTS_GET(opts, capture_url_query, false);
        o.capture_db_query_raw = BEYLA_OPTS_GET(opts, capture_db_query_raw, false);
        if (const char *p = BEYLA_OPTS_GET(opts, replay_path, nullptr)) o.replay_path = p;
        if (const char *p = BEYLA_OPTS_GET(opts, record_path, nullptr)) o.record_path = p;
        if (const char *p = BEYLA_OPTS_GET(opts, proc_root, nullptr)) o.proc_root = p;
        // TLS capture became the default with no_tls: a caller whose struct ends before
        // it was built when capture_tls alone decided, and keeps that meaning.
        const bool capture_tls = BEYLA_OPTS_GET(opts, capture_tls, false);
        if (BEYLA_OPTS_HAS(opts, no_tls)) {
            const bool no_tls = BEYLA_OPTS_GET(opts, no_tls, false);
            if (no_tls && capture_tls) beyla::fail(EINVAL, "capture_tls and no_tls are both set");
            o.capture_tls = !no_tls;
        } else {
            o.capture_tls = capture_tls;
        }
        const char *const *protos = BEYLA_OPTS_GET(opts, protocols, nullptr);
        size_t nprotos = BEYLA_OPTS_GET(opts, protocol_count, 0);
        if (nprotos && !protos) beyla::fail(EINVAL, "protocol_count is set but protocols is NULL");
        for (size_t i = 0; i < nprotos; i++) {
            if (!protos[i] || !*protos[i]) beyla::fail(EINVAL, "empty protocol name");
            o.protocols.emplace_back(protos[i]);
        }
        if (const char *p = BEYLA_OPTS_GET(opts, btf_path, nullptr)) {
            // "" would silently mean the kernel's BTF: the caller meant some file.
            if (!*p) beyla::fail(EINVAL, "btf_path is an empty string (NULL uses the kernel's BTF)");
            o.btf_path = p;
        }
        if (const beyla_metrics_opts *m = BEYLA_OPTS_GET(opts, metrics, nullptr)) {
            beyla::capi::metrics_config_from(m, o.metrics_cfg);
            o.metrics = true;
        }
        t->impl = std::make_unique<beyla::Tracer>(std::move(o));
        return 0;
    });
    if (err) {
        delete t;
        errno = -err;
        return nullptr;
    }
    return t;
}

BEYLA_API int beyla_tracer_start(struct beyla_tracer *t) {
    if (!t) return -EINVAL;
    return guard(&t->last_error, [&] {
        t->impl->start();
        return 0;
    });
}

BEYLA_API int beyla_tracer_poll(struct beyla_tracer *t, int timeout_ms) {
    if (!t) return -EINVAL;
    return guard(&t->last_error, [&] {
        int n = t->impl->poll(timeout_ms);
        if (n == -EINVAL && !t->impl->started()) t->last_error = "tracer is not started";
        return n;
    });
}

BEYLA_API int beyla_tracer_stop(struct beyla_tracer *t) {
    if (!t) return -EINVAL;
    return guard(&t->last_error, [&] {
        t->impl->stop();
        return 0;
    });
}

BEYLA_API void beyla_tracer_free(struct beyla_tracer *t) {
    if (!t) return;
    std::string ignored;
    guard(&ignored, [&] {
        t->impl.reset();
        return 0;
    });
    delete t;
}

BEYLA_API const char *beyla_tracer_last_error(const struct beyla_tracer *t) {
    return t ? t->last_error.c_str() : "NULL tracer";
}

BEYLA_API int beyla_tracer_fd(const struct beyla_tracer *t) {
    if (!t) return -EINVAL;
    if (!t->impl->started()) return -EINVAL;
    int fd = t->impl->fd();
    return fd >= 0 ? fd : -ENOTSUP;
}

BEYLA_API int beyla_tracer_stats(const struct beyla_tracer *t, struct beyla_stats *out) {
    if (!t || !out) return -EINVAL;
    beyla_stats s = t->impl->stats();
    return beyla::copy_out(out, s);
}

BEYLA_API int beyla_tracer_counter(const struct beyla_tracer *t, size_t idx, const char **name,
                                   uint64_t *value) {
    if (!t || !name || !value) return -EINVAL;
    const auto &c = t->impl->protocol_counters();
    if (idx >= c.size()) return -ENOENT;
    *name = c[idx].first.c_str();
    *value = c[idx].second;
    return 0;
}

BEYLA_API const char *beyla_protocol_name(int protocol) {
    return beyla::protocol_name(protocol);
}

BEYLA_API const char *beyla_protocol_list(size_t idx) {
    // Registry names are string literals: NUL-terminated views.
    const auto names = beyla::protocols::registry_names();
    return idx < names.size() ? names[idx].data() : nullptr;
}

BEYLA_API int beyla_tracer_tls_library(struct beyla_tracer *t, size_t idx, struct beyla_tls_library *out) {
    if (!t || !out || out->sz < sizeof(size_t)) return -EINVAL;
    return guard(&t->last_error, [&] {
        t->tls_view = t->impl->tls_libraries();
        if (idx >= t->tls_view.size()) return -ENOENT;
        const auto &r = t->tls_view[idx];
        beyla_tls_library l{};
        l.sz = sizeof(l);
        l.kind = beyla::tls::kind_name(r.kind);
        l.path = r.path.c_str();
        l.functions = static_cast<uint32_t>(r.functions);
        l.pid_count = static_cast<uint32_t>(r.pids.size());
        l.pids = r.pids.empty() ? nullptr : r.pids.data();
        return beyla::copy_out(out, l);
    });
}

// A span copy is one block: the struct, then the attributes, then the strings.
BEYLA_API struct beyla_span *beyla_span_copy(const struct beyla_span *s) {
    if (!s || s->sz < sizeof(size_t) || (s->attr_count && !s->attrs)) {
        errno = EINVAL;
        return nullptr;
    }
    beyla_span src{};
    src.sz = sizeof(src);
    memcpy(reinterpret_cast<char *>(&src) + sizeof(size_t),
           reinterpret_cast<const char *>(s) + sizeof(size_t), std::min(s->sz, sizeof(src)) - sizeof(size_t));
    auto slen = [](const char *p) { return p ? strlen(p) + 1 : 0; };
    size_t size = sizeof(beyla_span) + src.attr_count * sizeof(beyla_attr);
    size += slen(src.exe) + slen(src.method) + slen(src.path);
    for (size_t i = 0; i < src.attr_count; i++) size += slen(src.attrs[i].key) + slen(src.attrs[i].str);
    auto *block = static_cast<char *>(calloc(1, size));
    if (!block) {
        errno = ENOMEM;
        return nullptr;
    }
    auto *dst = reinterpret_cast<beyla_span *>(block);
    *dst = src;
    auto *attrs = reinterpret_cast<beyla_attr *>(block + sizeof(beyla_span));
    char *strs = reinterpret_cast<char *>(attrs + src.attr_count);
    auto dup = [&](const char *p) -> const char * {
        if (!p) return nullptr;
        size_t n = strlen(p) + 1;
        memcpy(strs, p, n);
        const char *r = strs;
        strs += n;
        return r;
    };
    dst->exe = dup(src.exe);
    dst->method = dup(src.method);
    dst->path = dup(src.path);
    for (size_t i = 0; i < src.attr_count; i++) {
        attrs[i] = src.attrs[i];
        attrs[i].key = dup(src.attrs[i].key);
        attrs[i].str = dup(src.attrs[i].str);
    }
    dst->attrs = src.attr_count ? attrs : nullptr;
    return dst;
}

BEYLA_API void beyla_span_free(struct beyla_span *s) {
    free(s);
}

BEYLA_API const struct beyla_attr *beyla_span_attr(const struct beyla_span *s, const char *key) {
    if (!s || !key || !s->attrs) return nullptr;
    for (size_t i = 0; i < s->attr_count; i++)
        if (s->attrs[i].key && !strcmp(s->attrs[i].key, key)) return &s->attrs[i];
    return nullptr;
}

BEYLA_API int beyla_span_to_json(const struct beyla_span *s, char *buf, size_t size) {
    if (!s || (!buf && size)) return -EINVAL;
    std::string out;
    int err = guard(nullptr, [&] {
        out.reserve(size > 256 ? size : 512); // one allocation, no regrowth, for a usual span
        beyla::span_to_json(*s, out);
        return 0;
    });
    if (err) return err;
    if (size) {
        size_t n = std::min(out.size(), size - 1);
        memcpy(buf, out.data(), n);
        buf[n] = 0;
    }
    return static_cast<int>(out.size());
}

} // extern "C"
