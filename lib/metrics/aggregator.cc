#include "metrics/aggregator.h"

#include "metrics/fast_hash.h"

#include <cmath>
#include <cstring>

#include "common/error.h"

namespace beyla::metrics {

std::vector<double> default_duration_bounds() {
    return {0, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10};
}

std::vector<double> default_size_bounds() {
    return {0, 100, 1e3, 1e4, 1e5, 1e6, 1e7};
}

namespace {

void check_bounds(const std::vector<double> &b, const char *what) {
    if (b.size() > MetricsConfig::kMaxBounds)
        fail(EINVAL, "{} buckets: {} bounds, at most {}", what, b.size(), MetricsConfig::kMaxBounds);
    for (size_t i = 0; i < b.size(); i++) {
        if (!std::isfinite(b[i])) fail(EINVAL, "{} buckets: bound {} is not a finite number", what, i);
        if (i && !(b[i] > b[i - 1]))
            fail(EINVAL, "{} buckets: bounds must increase ({} after {})", what, b[i], b[i - 1]);
    }
}

// HTTP methods outside the registered set become "_OTHER" (OpenTelemetry): a method is
// whatever a client sends, so it must not open a series per token.
std::string_view normalize_method(std::string_view m) {
    static constexpr std::string_view kKnown[] = {"GET",     "HEAD",    "POST",  "PUT",   "DELETE",
                                                  "CONNECT", "OPTIONS", "TRACE", "PATCH", "QUERY"};
    for (auto k : kKnown)
        if (k == m) return m;
    return "_OTHER";
}

int family_index(Family f) {
    return static_cast<int>(f);
}

} // namespace

Aggregator::Aggregator(MetricsConfig cfg, protocols::NamedCounters *counters)
    : cfg_(std::move(cfg)), routes_(cfg_.routes),
      services_(cfg_.proc_root, cfg_.host_name, cfg_.service_name) {
    if (cfg_.duration_bounds.empty()) cfg_.duration_bounds = default_duration_bounds();
    if (cfg_.size_bounds.empty()) cfg_.size_bounds = default_size_bounds();
    check_bounds(cfg_.duration_bounds, "duration");
    check_bounds(cfg_.size_bounds, "size");
    if (cfg_.max_series == 0) cfg_.max_series = 2000;
    if (cfg_.max_series > MetricsConfig::kMaxSeriesLimit)
        fail(EINVAL, "max_series {} is over the limit of {}", cfg_.max_series,
             MetricsConfig::kMaxSeriesLimit);
    if (cfg_.exp_max_buckets == 0) cfg_.exp_max_buckets = ExponentialHistogram::kDefaultMaxBuckets;
    if (cfg_.exp_max_buckets < 2 || cfg_.exp_max_buckets > 16384)
        fail(EINVAL, "exponential histogram max buckets {} is not in [2, 16384]", cfg_.exp_max_buckets);
    for (const GroupSpec &gs : metric_groups()) {
        Group g;
        g.spec = &gs;
        for (size_t i = 0; i < gs.attrs.size(); i++) {
            const AttrSpec &a = gs.attrs[i];
            g.slot_used.push_back(!a.needs || (cfg_.optional_attrs & a.needs));
            if (!strcmp(a.key, "http.request.method")) g.method_slot = static_cast<int8_t>(i);
            if (!strcmp(a.key, "http.route")) g.route_slot = static_cast<int8_t>(i);
        }
        groups_.push_back(std::move(g));
    }
    if (counters) {
        overflow_counter_ = &counters->at("metrics.overflow");
        refused_counter_ = &counters->at("metrics.resources_refused");
    }
}

const RowSpec *Aggregator::row_for(const beyla_span &s) const {
    for (const RowSpec &r : metric_rows())
        if (r.protocol == s.protocol && r.kind == s.kind) return &r;
    if (s.kind != BEYLA_SPAN_CLIENT) return nullptr;
    for (size_t i = 0; i < s.attr_count; i++)
        if (s.attrs[i].key && !strcmp(s.attrs[i].key, "db.system.name"))
            for (const RowSpec &r : metric_rows())
                if (r.protocol == kAnyDatabase) return &r;
    return nullptr;
}

void Aggregator::fill_key(KeyCacheEntry &e, const char *key) {
    e.key = key;
    for (int8_t &s : e.slot) s = -1;
    for (const GroupSpec &gs : metric_groups()) {
        int8_t &slot = e.slot[family_index(gs.family)];
        for (size_t i = 0; i < gs.attrs.size(); i++)
            if (!strcmp(gs.attrs[i].key, key)) slot = static_cast<int8_t>(i);
    }
    e.role = !strcmp(key, "http.request.body.size")    ? KeyRole::kRequestBody
             : !strcmp(key, "http.response.body.size") ? KeyRole::kResponseBody
             : !strcmp(key, "url.path")                ? KeyRole::kUrlPath
                                                       : KeyRole::kNone;
}

Aggregator::Hist Aggregator::make_hist(BucketsOf b) const {
    Hist h;
    if (cfg_.exponential)
        h.exp.emplace(cfg_.exp_max_buckets);
    else
        h.fixed.emplace(b == BucketsOf::kDuration ? cfg_.duration_bounds : cfg_.size_bounds);
    return h;
}

Aggregator::Series &Aggregator::series_for(Group &g, uint32_t resource, const Values &v, uint64_t start_ns) {
    FastHash f; // collisions are resolved by comparing, below
    f.mix(resource);
    for (size_t i = 0; i < v.size(); i++) {
        const Value &x = v[i];
        if (!x.type) continue;
        f.mix(i << 8 | x.type);
        if (x.type == Attr::kString)
            f.str(x.str);
        else if (x.type)
            f.mix(static_cast<uint64_t>(x.num));
    }
    uint64_t h = f.h;
    for (auto it = g.index.find(h); it != g.index.end(); it = g.index.find(++h)) {
        Series &s = g.series[it->second];
        bool same = s.resource == resource;
        for (size_t i = 0; same && i < v.size(); i++) {
            same = s.types[i] == v[i].type;
            if (same && v[i].type == Attr::kString)
                same = s.strs[i] == v[i].str;
            else if (same && v[i].type)
                same = s.nums[i] == v[i].num;
        }
        if (same) return s;
        // A collision: the next hash value is this series' probe.
    }
    const size_t regular = g.series.size() - (g.overflow >= 0 ? 1 : 0);
    if (regular >= cfg_.max_series) {
        overflowed_++;
        if (overflow_counter_) ++*overflow_counter_;
        if (g.overflow < 0) {
            Series o;
            o.overflow = true;
            o.start_ns = start_ns;
            o.hists.resize(g.spec->metrics.size());
            g.overflow = static_cast<int32_t>(g.series.size());
            g.series.push_back(std::move(o));
        }
        return g.series[static_cast<size_t>(g.overflow)];
    }
    Series s;
    s.hash = h;
    s.resource = resource;
    for (size_t i = 0; i < v.size(); i++) {
        s.types[i] = v[i].type;
        if (v[i].type == Attr::kString)
            s.strs[i] = v[i].str;
        else
            s.nums[i] = v[i].num;
    }
    s.start_ns = start_ns;
    s.hists.resize(g.spec->metrics.size());
    g.index.emplace(h, static_cast<uint32_t>(g.series.size()));
    g.series.push_back(std::move(s));
    return g.series.back();
}

void Aggregator::record(const beyla_span &span) {
    const RowSpec *row = row_for(span);
    if (!row) return;
    std::lock_guard lock(mu_);
    Group &g = groups_[row->group];
    const Family fam = g.spec->family;
    Values v{};
    std::string_view path;
    int64_t req_body = -1, resp_body = -1;
    for (size_t i = 0; i < span.attr_count; i++) {
        const beyla_attr &a = span.attrs[i];
        if (!a.key) continue;
        const KeyCacheEntry &key = key_entry(a.key);
        if (a.type == BEYLA_ATTR_INT) {
            // Body sizes are values, not attributes.
            if (key.role == KeyRole::kRequestBody)
                req_body = a.num;
            else if (key.role == KeyRole::kResponseBody)
                resp_body = a.num;
        } else if (key.role == KeyRole::kUrlPath && a.str) {
            path = a.str;
        }
        const int8_t slot = key.slot[family_index(fam)];
        if (slot < 0 || !g.slot_used[static_cast<size_t>(slot)]) continue;
        Value &x = v[static_cast<size_t>(slot)];
        if (a.type == BEYLA_ATTR_INT) {
            x.type = Attr::kInt;
            x.num = a.num;
        } else if (a.type == BEYLA_ATTR_STRING && a.str) {
            x.type = Attr::kString;
            x.str = a.str;
        }
    }
    if (g.method_slot >= 0 && v[g.method_slot].type == Attr::kString)
        v[g.method_slot].str = normalize_method(v[g.method_slot].str);
    if (g.route_slot >= 0 && !path.empty()) {
        v[g.route_slot].type = Attr::kString;
        v[g.route_slot].str = routes_.route(path);
    }
    const uint32_t resource = services_.resource_for(span.pid, span.exe ? span.exe : "");
    if (resource == kNoResource && refused_counter_) *refused_counter_ = services_.refused();
    Series &s = series_for(g, resource, v, span.start_time_unix_nano);
    const double duration_s =
        span.end_time_unix_nano > span.start_time_unix_nano
            ? static_cast<double>(span.end_time_unix_nano - span.start_time_unix_nano) * 1e-9
            : 0.0;
    for (size_t m = 0; m < g.spec->metrics.size(); m++) {
        const MetricSpec &ms = g.spec->metrics[m];
        double value;
        switch (ms.value) {
        case ValueOf::kDuration:
            value = duration_s;
            break;
        case ValueOf::kRequestBody:
            if (req_body < 0) continue;
            value = static_cast<double>(req_body);
            break;
        case ValueOf::kResponseBody:
            if (resp_body < 0) continue;
            value = static_cast<double>(resp_body);
            break;
        default:
            continue;
        }
        Hist &h = s.hists[m];
        if (!h.fixed && !h.exp) h = make_hist(ms.buckets);
        if (h.fixed)
            h.fixed->record(value);
        else
            h.exp->record(value);
    }
}

size_t Aggregator::series_count() const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const Group &g : groups_) n += g.series.size();
    return n;
}

Snapshot Aggregator::snapshot(uint64_t now) const {
    std::lock_guard lock(mu_);
    Snapshot out;
    out.time_unix_nano = now;
    for (const Resource &r : services_.resources()) {
        std::vector<Attr> a;
        a.push_back({"service.name", Attr::kString, r.service_name, 0});
        a.push_back({"service.instance.id", Attr::kString, r.instance_id, 0});
        a.push_back({"host.name", Attr::kString, r.host_name, 0});
        a.push_back({"process.pid", Attr::kInt, {}, r.pid});
        a.push_back({"process.executable.name", Attr::kString, r.exe, 0});
        out.resources.push_back(std::move(a));
    }
    for (const Group &g : groups_) {
        for (size_t m = 0; m < g.spec->metrics.size(); m++) {
            const MetricSpec &ms = g.spec->metrics[m];
            Metric met;
            met.name = ms.name;
            met.unit = ms.unit;
            met.description = ms.description;
            met.kind = cfg_.exponential ? MetricKind::kExponentialHistogram : MetricKind::kHistogram;
            if (!cfg_.exponential)
                met.bounds = ms.buckets == BucketsOf::kDuration ? cfg_.duration_bounds : cfg_.size_bounds;
            for (const Series &s : g.series) {
                const Hist &h = s.hists[m];
                if (!h.fixed && !h.exp) continue;
                Point p;
                p.resource = s.resource;
                if (s.overflow) {
                    p.attrs.push_back({"otel.metric.overflow", Attr::kBool, {}, 1});
                } else {
                    for (size_t i = 0; i < g.spec->attrs.size(); i++) {
                        if (!s.types[i]) continue;
                        Attr a{g.spec->attrs[i].key, static_cast<Attr::Type>(s.types[i]), {}, 0};
                        if (a.type == Attr::kString)
                            a.str = s.strs[i];
                        else
                            a.num = s.nums[i];
                        p.attrs.push_back(std::move(a));
                    }
                }
                p.start_time_unix_nano = s.start_ns;
                p.time_unix_nano = now;
                const HistogramTotals &t = h.fixed ? h.fixed->totals() : h.exp->totals();
                p.count = t.count, p.sum = t.sum, p.min = t.min, p.max = t.max;
                if (h.fixed) {
                    p.bucket_counts = h.fixed->counts();
                } else {
                    p.scale = h.exp->scale();
                    p.zero_count = h.exp->zero_count();
                    p.offset = h.exp->offset();
                    p.positive = h.exp->positive();
                }
                met.points.push_back(std::move(p));
            }
            if (!met.points.empty()) out.metrics.push_back(std::move(met));
        }
    }
    return out;
}

} // namespace beyla::metrics
