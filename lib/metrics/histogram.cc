#include "metrics/histogram.h"

#include <algorithm>
#include <cmath>

namespace beyla::metrics {

void ExplicitHistogram::record(double v) {
    // First bound >= v: a value on a bound belongs to the bucket that bound closes.
    size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
    counts_[i]++;
    totals_.add(v);
}

ExponentialHistogram::ExponentialHistogram(uint32_t max_buckets, int max_scale)
    : max_(std::max<uint32_t>(max_buckets, 2)), scale_(std::clamp(max_scale, kMinScale, kMaxScale)) {
    counts_.reserve(max_);
}

int64_t ExponentialHistogram::index_of(double v, int scale) {
    int exp = 0;
    const double frac = std::frexp(v, &exp); // v = frac * 2^exp, frac in [0.5, 1)
    if (scale <= 0) {
        // Exact powers of two close their bucket (upper-inclusive): 2^e is in bucket e-1.
        int64_t e = frac == 0.5 ? exp - 2 : exp - 1;
        return e >> -scale;
    }
    if (frac == 0.5) return (static_cast<int64_t>(exp - 1) << scale) - 1;
    const double factor = std::ldexp(1.0 / std::log(2.0), scale);
    int64_t idx = static_cast<int64_t>(std::ceil(std::log(v) * factor)) - 1;
    // log() rounding near a boundary: keep v inside (lower(idx), lower(idx+1)].
    if (lower_bound(idx, scale) >= v)
        idx--;
    else if (lower_bound(idx + 1, scale) < v)
        idx++;
    return idx;
}

double ExponentialHistogram::lower_bound(int64_t idx, int scale) {
    if (scale <= 0) return std::ldexp(1.0, static_cast<int>(idx << -scale));
    return std::exp2(std::ldexp(static_cast<double>(idx), -scale));
}

void ExponentialHistogram::downscale(int by) {
    if (by <= 0) return;
    if (end_ >= start_) {
        const int64_t ns = start_ >> by, ne = end_ >> by;
        std::vector<uint64_t> merged(static_cast<size_t>(ne - ns + 1));
        for (int64_t i = start_; i <= end_; i++)
            merged[static_cast<size_t>((i >> by) - ns)] += counts_[i - start_];
        // Same storage: no allocation beyond the series' reserved max_.
        counts_.assign(merged.begin(), merged.end());
        start_ = ns, end_ = ne;
    }
    scale_ -= by;
}

void ExponentialHistogram::record(double v) {
    if (!(v > 0)) { // 0, negatives (clamped) and NaN
        zero_count_++;
        totals_.add(v > 0 || v == 0 ? v : 0.0);
        return;
    }
    totals_.add(v);
    int64_t idx = index_of(v, scale_);
    if (end_ < start_) {
        counts_.assign(1, 1);
        start_ = end_ = idx;
        return;
    }
    if (idx < start_ || idx > end_) {
        const int64_t lo = std::min(start_, idx), hi = std::max(end_, idx);
        int by = 0;
        while (scale_ - by > kMinScale && (hi >> by) - (lo >> by) + 1 > static_cast<int64_t>(max_)) by++;
        downscale(by);
        idx = index_of(v, scale_);
        if (idx < start_) {
            counts_.insert(counts_.begin(), static_cast<size_t>(start_ - idx), 0);
            start_ = idx;
        } else if (idx > end_) {
            counts_.resize(static_cast<size_t>(idx - start_ + 1), 0);
            end_ = idx;
        }
    }
    counts_[static_cast<size_t>(idx - start_)]++;
}

std::vector<uint64_t> ExponentialHistogram::positive() const {
    if (end_ < start_) return {};
    return counts_;
}

} // namespace beyla::metrics
