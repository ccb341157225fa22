// RED metrics aggregated from spans inside the tracer: each span is recorded into the
// histograms of its metric group (metric_table.h), in the series of its low-cardinality
// attribute values. The series is found by a hash of those values: the steady state
// allocates nothing. At most max_series series per group; a span that would need more goes
// to one overflow series with otel.metric.overflow=true, and is counted.
//
// record() runs on the tracer's poll thread; snapshot() may run on any thread at the same
// time (one mutex, uncontended on the hot path).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "beyla/beyla.h"
#include "metrics/histogram.h"
#include "metrics/metric_table.h"
#include "metrics/routes.h"
#include "metrics/service.h"
#include "metrics/snapshot.h"
#include "protocols/common/protocol.h"

namespace beyla::metrics {

struct MetricsConfig {
    // Explicit bucket bounds, ascending; empty: the defaults below.
    std::vector<double> duration_bounds; // seconds
    std::vector<double> size_bounds;     // bytes
    bool exponential = false;            // base-2 exponential histograms instead
    uint32_t exp_max_buckets = ExponentialHistogram::kDefaultMaxBuckets;
    RouteConfig routes;
    uint32_t max_series = 2000;  // per metric group
    uint32_t optional_attrs = 0; // OptionalAttr bits
    std::string proc_root = "/proc";
    std::string host_name;    // "" = gethostname()
    std::string service_name; // "" = each process's own (see service.h)

    static constexpr size_t kMaxBounds = 256;
    static constexpr uint32_t kMaxSeriesLimit = 1u << 20;
};

// OpenTelemetry's default duration buckets, and powers of ten up to 10 MB for sizes.
std::vector<double> default_duration_bounds();
std::vector<double> default_size_bounds();

class Aggregator {
  public:
    // Throws beyla::Error(EINVAL) on bad bounds or patterns. counters (optional) receives
    // "metrics.overflow" (spans recorded into an overflow series) and
    // "metrics.resources_refused"; its slots are taken here.
    explicit Aggregator(MetricsConfig cfg, protocols::NamedCounters *counters = nullptr);

    void record(const beyla_span &span);
    Snapshot snapshot(uint64_t now_unix_ns) const;

    uint64_t overflowed() const { return overflowed_; }
    size_t series_count() const; // all groups, overflow series included

  private:
    struct Value {
        uint8_t type = 0; // 0 absent, Attr::kString, Attr::kInt, Attr::kBool
        std::string_view str;
        int64_t num = 0;
    };
    using Values = std::array<Value, kMaxSeriesAttrs>;
    struct Hist {
        std::optional<ExplicitHistogram> fixed;
        std::optional<ExponentialHistogram> exp;
    };
    struct Series {
        uint64_t hash = 0;
        uint32_t resource = kNoResource;
        std::array<uint8_t, kMaxSeriesAttrs> types{};
        std::array<std::string, kMaxSeriesAttrs> strs;
        std::array<int64_t, kMaxSeriesAttrs> nums{};
        uint64_t start_ns = 0;
        std::vector<Hist> hists; // one per metric of the group, empty until its first value
        bool overflow = false;
    };
    struct Group {
        const GroupSpec *spec = nullptr;
        std::vector<int8_t> slot_used; // per attr of the spec: 1 when enabled
        std::vector<Series> series;
        std::unordered_map<uint64_t, uint32_t> index; // hash → series
        int32_t overflow = -1;
        int8_t method_slot = -1, route_slot = -1; // slots the aggregator rewrites
    };
    // Per attribute key pointer (span keys have static storage): its slot in each family.
    // What a key means to record() beyond its slot (a value rather than an attribute).
    enum class KeyRole : uint8_t { kNone, kRequestBody, kResponseBody, kUrlPath };
    struct KeyCacheEntry {
        const char *key = nullptr;
        int8_t slot[3] = {-1, -1, -1};
        KeyRole role = KeyRole::kNone;
    };

    const RowSpec *row_for(const beyla_span &s) const;
    // Direct-mapped by pointer: span attribute keys are literals (static storage).
    const KeyCacheEntry &key_entry(const char *key) {
        KeyCacheEntry &e = keys_[(reinterpret_cast<uintptr_t>(key) >> 3) % keys_.size()];
        if (e.key != key) fill_key(e, key);
        return e;
    }
    void fill_key(KeyCacheEntry &e, const char *key);
    Series &series_for(Group &g, uint32_t resource, const Values &v, uint64_t start_ns);
    void add(Group &g, Series &s, const beyla_span &span);
    Hist make_hist(BucketsOf b) const;

    MetricsConfig cfg_;
    std::vector<Group> groups_;
    RouteMatcher routes_;
    ServiceResolver services_;
    std::array<KeyCacheEntry, 128> keys_{};
    uint64_t overflowed_ = 0;
    uint64_t *overflow_counter_ = nullptr;
    uint64_t *refused_counter_ = nullptr;
    mutable std::mutex mu_;
};

} // namespace beyla::metrics
