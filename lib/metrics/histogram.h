// The two histogram aggregations of a metric series, as OpenTelemetry defines them:
// explicit bucket bounds (bucket i counts values in (bounds[i-1], bounds[i]], so a value
// exactly on a bound falls in the bucket that bound closes), and base-2 exponential
// (bucket i of scale s covers (2^(i/2^s), 2^((i+1)/2^s)]; the scale drops when the values
// would need more than max_buckets). Both allocate when the series is created only.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace beyla::metrics {

// Counts, sum, min and max common to both kinds.
struct HistogramTotals {
    uint64_t count = 0;
    double sum = 0;
    double min = 0;
    double max = 0;
    void add(double v) {
        if (!count || v < min) min = v;
        if (!count || v > max) max = v;
        count++;
        sum += v;
    }
};

class ExplicitHistogram {
  public:
    // bounds: strictly increasing; shared by every series of a metric (not owned).
    explicit ExplicitHistogram(std::span<const double> bounds)
        : bounds_(bounds), counts_(bounds.size() + 1) {}
    void record(double v);
    std::span<const double> bounds() const { return bounds_; }
    const std::vector<uint64_t> &counts() const { return counts_; } // bounds().size() + 1
    const HistogramTotals &totals() const { return totals_; }

  private:
    std::span<const double> bounds_;
    std::vector<uint64_t> counts_;
    HistogramTotals totals_;
};

class ExponentialHistogram {
  public:
    static constexpr int kMaxScale = 20;
    static constexpr int kMinScale = -10;
    static constexpr uint32_t kDefaultMaxBuckets = 160;

    explicit ExponentialHistogram(uint32_t max_buckets = kDefaultMaxBuckets, int max_scale = kMaxScale);
    // Negative values are not durations or sizes: they are counted in the zero bucket's
    // place (clamped to 0), so count stays the number of spans.
    void record(double v);
    int scale() const { return scale_; }
    uint64_t zero_count() const { return zero_count_; }
    // Index of the first positive bucket, and the counts from it (trailing zeros trimmed).
    int32_t offset() const { return static_cast<int32_t>(start_); }
    std::vector<uint64_t> positive() const;
    const HistogramTotals &totals() const { return totals_; }

    // The bucket index of v > 0 at a scale (exposed for tests).
    static int64_t index_of(double v, int scale);
    // Lower bound of bucket idx at a scale: base^idx.
    static double lower_bound(int64_t idx, int scale);

  private:
    void downscale(int by);

    uint32_t max_;
    int scale_;
    uint64_t zero_count_ = 0;
    // counts_[(i - start_) ] for i in [start_, end_]; a ring would save the shifts, but a
    // downscale or a widening to the left are rare once the range settled.
    std::vector<uint64_t> counts_;
    int64_t start_ = 0, end_ = -1; // empty while end_ < start_
    HistogramTotals totals_;
};

} // namespace beyla::metrics
