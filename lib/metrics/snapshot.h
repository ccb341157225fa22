// A point-in-time copy of the tracer's metrics, owned by the reader: what the Prometheus
// exposition, the C ABI and (later) an OTLP encoder read. Cumulative temporality; points
// grouped by metric, each naming its resource (the traced process's service).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace beyla::metrics {

struct Attr {
    enum Type : int { kString = 1, kInt = 2, kBool = 3 }; // values of enum beyla_attr_type
    std::string key;
    Type type = kString;
    std::string str;
    int64_t num = 0;
};

enum class MetricKind : int { kHistogram = 1, kExponentialHistogram = 2 }; // enum beyla_metric_kind

struct Point {
    uint32_t resource = UINT32_MAX; // index into Snapshot::resources, UINT32_MAX: none
    std::vector<Attr> attrs;
    uint64_t start_time_unix_nano = 0, time_unix_nano = 0;
    uint64_t count = 0;
    double sum = 0, min = 0, max = 0;
    std::vector<uint64_t> bucket_counts; // explicit: Metric::bounds.size() + 1
    // Exponential: bucket offset+i covers (2^((offset+i)/2^scale), 2^((offset+i+1)/2^scale)].
    int32_t scale = 0;
    uint64_t zero_count = 0;
    int32_t offset = 0;
    std::vector<uint64_t> positive;
};

struct Metric {
    std::string name, unit, description;
    MetricKind kind = MetricKind::kHistogram;
    std::vector<double> bounds; // explicit bucket bounds
    std::vector<Point> points;
};

struct Snapshot {
    uint64_t time_unix_nano = 0;
    std::vector<std::vector<Attr>> resources; // service.name, service.instance.id, host.name, ...
    std::vector<Metric> metrics;              // those with at least one point, in table order
};

} // namespace beyla::metrics
