// C ABI: metrics options, snapshots and their Prometheus text.
#include <climits>
#include <ctime>
#include <memory>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "beyla/beyla.h"
#include "capi/guard.h"
#include "capi/tracer_handle.h"
#include "common/error.h"
#include "common/opts.h"
#include "export/prometheus.h"
#include "metrics/snapshot.h"

// The snapshot, and the C views of its attributes built once (pointers into the snapshot's
// strings, which never change after it was taken).
struct beyla_metrics {
    beyla::metrics::Snapshot snap;
    std::vector<std::vector<beyla_attr>> resources;
    std::vector<std::vector<std::vector<beyla_attr>>> point_attrs; // [metric][point]
};

namespace beyla::capi {

void metrics_config_from(const beyla_metrics_opts *o, metrics::MetricsConfig &cfg) {
    if (!BEYLA_OPTS_VALID(o, beyla_metrics_opts))
        fail(EINVAL, "metrics options: sz {} is invalid or its unknown tail is not zero", opts_sz(o));
    auto bounds = [](const double *b, size_t n, const char *what, std::vector<double> &out) {
        if (n && !b) fail(EINVAL, "metrics options: {}_bound_count is set but {}_bounds is NULL", what, what);
        if (n > metrics::MetricsConfig::kMaxBounds)
            fail(EINVAL, "metrics options: {} {} bounds, at most {}", n, what, metrics::MetricsConfig::kMaxBounds);
        out.assign(b, b + n);
    };
    bounds(BEYLA_OPTS_GET(o, duration_bounds, nullptr), BEYLA_OPTS_GET(o, duration_bound_count, 0), "duration",
           cfg.duration_bounds);
    bounds(BEYLA_OPTS_GET(o, size_bounds, nullptr), BEYLA_OPTS_GET(o, size_bound_count, 0), "size",
           cfg.size_bounds);
    cfg.exponential = BEYLA_OPTS_GET(o, exponential, false);
    cfg.exp_max_buckets = BEYLA_OPTS_GET(o, exp_max_buckets, 0u);
    const char *const *pats = BEYLA_OPTS_GET(o, route_patterns, nullptr);
    size_t npats = BEYLA_OPTS_GET(o, route_pattern_count, 0);
    if (npats && !pats) fail(EINVAL, "metrics options: route_pattern_count is set but route_patterns is NULL");
    for (size_t i = 0; i < npats; i++) {
        if (!pats[i] || pats[i][0] != '/')
            fail(EINVAL, "route pattern {} '{}' does not start with '/'", i, pats[i] ? pats[i] : "(null)");
        cfg.routes.patterns.emplace_back(pats[i]);
    }
    int mode = BEYLA_OPTS_GET(o, route_mode, 0);
    if (mode < BEYLA_ROUTE_HEURISTIC || mode > BEYLA_ROUTE_PATTERNS_ONLY)
        fail(EINVAL, "metrics options: unknown route_mode {}", mode);
    cfg.routes.mode = static_cast<metrics::RouteMode>(mode);
    if (uint32_t c = BEYLA_OPTS_GET(o, route_segment_cardinality, 0u)) cfg.routes.segment_cardinality = c;
    cfg.max_series = BEYLA_OPTS_GET(o, max_series, 0u);
    uint32_t attrs = BEYLA_OPTS_GET(o, optional_attrs, 0u);
    constexpr uint32_t kKnown =
        BEYLA_METRIC_ATTR_URL_PATH | BEYLA_METRIC_ATTR_SERVER_ADDRESS | BEYLA_METRIC_ATTR_CLIENT_ADDRESS;
    if (attrs & ~kKnown) fail(EINVAL, "metrics options: unknown optional_attrs bits {:#x}", attrs & ~kKnown);
    cfg.optional_attrs = attrs;
    if (const char *s = BEYLA_OPTS_GET(o, service_name, nullptr)) {
        if (!*s) fail(EINVAL, "metrics options: service_name is an empty string (NULL: each process's own)");
        cfg.service_name = s;
    }
}

namespace {

std::vector<beyla_attr> c_attrs(const std::vector<metrics::Attr> &in) {
    std::vector<beyla_attr> out;
    out.reserve(in.size());
    for (const metrics::Attr &a : in) {
        beyla_attr c{};
        c.key = a.key.c_str();
        c.type = a.type;
        if (a.type == metrics::Attr::kString)
            c.str = a.str.c_str();
        else
            c.num = a.num;
        out.push_back(c);
    }
    return out;
}

bool known_format(int f) { return f == BEYLA_PROM_TEXT_0_0_4 || f == BEYLA_PROM_OPENMETRICS; }

} // namespace
} // namespace beyla::capi

using beyla::capi::guard;

extern "C" {

BEYLA_API struct beyla_metrics *beyla_tracer_metrics(const struct beyla_tracer *t) {
    if (!t) {
        errno = EINVAL;
        return nullptr;
    }
    const beyla::metrics::Aggregator *agg = t->impl->metrics();
    if (!agg) {
        errno = ENOTSUP;
        return nullptr;
    }
    beyla_metrics *m = nullptr;
    // Not the handle's last error: this may run beside a poll on another thread.
    int err = guard(nullptr, [&] {
        auto h = std::make_unique<beyla_metrics>();
        timespec ts{};
        clock_gettime(CLOCK_REALTIME, &ts);
        h->snap = agg->snapshot(static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec);
        for (const auto &r : h->snap.resources) h->resources.push_back(beyla::capi::c_attrs(r));
        for (const auto &met : h->snap.metrics) {
            auto &pts = h->point_attrs.emplace_back();
            for (const auto &p : met.points) pts.push_back(beyla::capi::c_attrs(p.attrs));
        }
        m = h.release();
        return 0;
    });
    if (err) {
        errno = -err;
        return nullptr;
    }
    return m;
}

BEYLA_API void beyla_metrics_free(struct beyla_metrics *m) { delete m; }

BEYLA_API uint64_t beyla_metrics_time(const struct beyla_metrics *m) { return m ? m->snap.time_unix_nano : 0; }

BEYLA_API size_t beyla_metrics_count(const struct beyla_metrics *m) { return m ? m->snap.metrics.size() : 0; }

BEYLA_API int beyla_metrics_metric(const struct beyla_metrics *m, size_t idx, struct beyla_metric *out) {
    if (!m || !out || out->sz < sizeof(size_t)) return -EINVAL;
    if (idx >= m->snap.metrics.size()) return -ENOENT;
    const auto &met = m->snap.metrics[idx];
    beyla_metric c{};
    c.sz = sizeof(c);
    c.name = met.name.c_str();
    c.unit = met.unit.c_str();
    c.description = met.description.c_str();
    c.kind = static_cast<int>(met.kind);
    c.bound_count = met.bounds.size();
    c.bounds = met.bounds.empty() ? nullptr : met.bounds.data();
    c.point_count = met.points.size();
    return beyla::copy_out(out, c);
}

BEYLA_API int beyla_metrics_point(const struct beyla_metrics *m, size_t mi, size_t pi, struct beyla_metric_point *out) {
    if (!m || !out || out->sz < sizeof(size_t)) return -EINVAL;
    if (mi >= m->snap.metrics.size() || pi >= m->snap.metrics[mi].points.size()) return -ENOENT;
    const auto &p = m->snap.metrics[mi].points[pi];
    const auto &attrs = m->point_attrs[mi][pi];
    beyla_metric_point c{};
    c.sz = sizeof(c);
    c.attr_count = attrs.size();
    c.attrs = attrs.empty() ? nullptr : attrs.data();
    if (p.resource < m->resources.size()) {
        c.resource_attr_count = m->resources[p.resource].size();
        c.resource_attrs = m->resources[p.resource].data();
    }
    c.start_time_unix_nano = p.start_time_unix_nano;
    c.time_unix_nano = p.time_unix_nano;
    c.count = p.count;
    c.sum = p.sum, c.min = p.min, c.max = p.max;
    c.bucket_count = p.bucket_counts.size();
    c.bucket_counts = p.bucket_counts.empty() ? nullptr : p.bucket_counts.data();
    c.scale = p.scale;
    c.offset = p.offset;
    c.zero_count = p.zero_count;
    c.positive_count = p.positive.size();
    c.positive = p.positive.empty() ? nullptr : p.positive.data();
    return beyla::copy_out(out, c);
}

BEYLA_API int beyla_metrics_prometheus(const struct beyla_metrics *m, int format, char *buf, size_t size) {
    if (!m || (!buf && size) || !beyla::capi::known_format(format)) return -EINVAL;
    std::string out;
    int err = guard(nullptr, [&] {
        beyla::exporter::to_prometheus(m->snap, static_cast<beyla::exporter::PromFormat>(format), out);
        return 0;
    });
    if (err) return err;
    if (out.size() > static_cast<size_t>(INT_MAX)) return -E2BIG;
    if (size) {
        size_t n = std::min(out.size(), size - 1);
        memcpy(buf, out.data(), n);
        buf[n] = 0;
    }
    return static_cast<int>(out.size());
}

BEYLA_API char *beyla_metrics_prometheus_dup(const struct beyla_metrics *m, int format, size_t *len) {
    if (!m || !beyla::capi::known_format(format)) {
        errno = EINVAL;
        return nullptr;
    }
    std::string out;
    int err = guard(nullptr, [&] {
        beyla::exporter::to_prometheus(m->snap, static_cast<beyla::exporter::PromFormat>(format), out);
        return 0;
    });
    if (err) {
        errno = -err;
        return nullptr;
    }
    auto *s = static_cast<char *>(malloc(out.size() + 1));
    if (!s) {
        errno = ENOMEM;
        return nullptr;
    }
    memcpy(s, out.data(), out.size());
    s[out.size()] = 0;
    if (len) *len = out.size();
    return s;
}

BEYLA_API void beyla_metrics_text_free(char *text) { free(text); }

BEYLA_API const char *beyla_prom_content_type(int format) {
    if (format == BEYLA_PROM_TEXT_0_0_4) return beyla::exporter::kPromText004ContentType;
    if (format == BEYLA_PROM_OPENMETRICS) return beyla::exporter::kOpenMetricsContentType;
    return nullptr;
}

} // extern "C"
