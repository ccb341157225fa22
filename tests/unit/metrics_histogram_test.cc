// Histogram aggregations: explicit bucket boundaries and base-2 exponential scales.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "metrics/histogram.h"

using namespace beyla::metrics;

TEST_CASE("explicit buckets: a value on a bound falls in the bucket that bound closes",
          "[metrics][histogram]") {
    const std::vector<double> bounds = {0, 0.005, 0.01, 1};
    ExplicitHistogram h(bounds);
    h.record(0);     // (-inf, 0]
    h.record(0.005); // (0, 0.005]
    h.record(0.0051);
    h.record(1);   // (0.01, 1]
    h.record(1.5); // (1, +inf)
    h.record(-1);  // (-inf, 0]
    REQUIRE(h.counts().size() == 5);
    CHECK(h.counts() == std::vector<uint64_t>{2, 1, 1, 1, 1});
    CHECK(h.totals().count == 6);
    CHECK(h.totals().sum == Approx(0 + 0.005 + 0.0051 + 1 + 1.5 - 1));
    CHECK(h.totals().min == -1);
    CHECK(h.totals().max == 1.5);
}

TEST_CASE("exponential: bucket index at positive and negative scales", "[metrics][histogram][exp]") {
    // Scale 0: bucket i is (2^i, 2^(i+1)]; powers of two close their bucket.
    CHECK(ExponentialHistogram::index_of(1.0, 0) == -1);
    CHECK(ExponentialHistogram::index_of(2.0, 0) == 0);
    CHECK(ExponentialHistogram::index_of(3.0, 0) == 1);
    CHECK(ExponentialHistogram::index_of(4.0, 0) == 1);
    CHECK(ExponentialHistogram::index_of(4.5, 0) == 2);
    // Scale -1: base 4.
    CHECK(ExponentialHistogram::index_of(4.0, -1) == 0);
    CHECK(ExponentialHistogram::index_of(5.0, -1) == 1);
    // Scale 1: base sqrt(2).
    CHECK(ExponentialHistogram::index_of(2.0, 1) == 1);
    CHECK(ExponentialHistogram::index_of(std::sqrt(2.0) * 1.0001, 1) == 1);
    CHECK(ExponentialHistogram::index_of(1.0001, 1) == 0);
    // Every value lies in (lower(idx), lower(idx+1)] at several scales.
    for (int scale : {-3, 0, 3, 8, 20}) {
        for (double v : {1e-9, 0.001, 0.0123, 0.5, 1.0, 3.3, 1000.0, 123456.0}) {
            int64_t i = ExponentialHistogram::index_of(v, scale);
            CHECK(ExponentialHistogram::lower_bound(i, scale) < v * (1 + 1e-12));
            CHECK(ExponentialHistogram::lower_bound(i + 1, scale) >= v * (1 - 1e-12));
        }
    }
}

TEST_CASE("exponential: the scale drops when the range needs more than max buckets",
          "[metrics][histogram][exp]") {
    ExponentialHistogram h(160);
    CHECK(h.scale() == 20);
    h.record(1.5);
    CHECK(h.scale() == 20); // one value: the highest scale
    h.record(3.0);          // a factor 2 needs 2^20 buckets at scale 20: downscale to fit 160
    CHECK(h.scale() <= 7);
    CHECK(h.positive().size() <= 160);
    int before = h.scale();
    h.record(1e6); // six more decades
    CHECK(h.scale() < before);
    CHECK(h.positive().size() <= 160);
    h.record(0);
    CHECK(h.zero_count() == 1);
    uint64_t total = h.zero_count();
    for (auto c : h.positive()) total += c;
    CHECK(total == 4);
    CHECK(h.totals().count == 4);
    // Each value is inside its bucket at the final scale.
    for (double v : {1.5, 3.0, 1e6}) {
        int64_t i = ExponentialHistogram::index_of(v, h.scale());
        REQUIRE(i >= h.offset());
        REQUIRE(i < h.offset() + int64_t(h.positive().size()));
        CHECK(h.positive()[size_t(i - h.offset())] >= 1);
    }
}

TEST_CASE("exponential: small max buckets and values to the left", "[metrics][histogram][exp]") {
    ExponentialHistogram h(4);
    for (double v : {100.0, 50.0, 10.0, 1.0, 0.01, 1000.0}) h.record(v);
    CHECK(h.positive().size() <= 4);
    uint64_t n = 0;
    for (auto c : h.positive()) n += c;
    CHECK(n == 6);
}
