// Which metrics a span feeds, as data: a row maps a span's protocol and kind to a group of
// metrics sharing one set of attributes (http server, rpc client...). A new protocol is a
// new row; a database protocol's spans feed db.client.operation.duration by the family row
// (kAnyDatabase: any client span carrying db.system.name) until it has a row of its own.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace beyla::metrics {

enum class Family : uint8_t { kHttp, kRpc, kDb };
enum class ValueOf : uint8_t { kDuration, kRequestBody, kResponseBody };
enum class BucketsOf : uint8_t { kDuration, kSize };

// Optional attributes (off by default: unbounded values). Bits match BEYLA_METRIC_ATTR_*.
enum OptionalAttr : uint32_t {
    kAttrUrlPath = 1u << 0,
    kAttrServerAddress = 1u << 1, // server.address and server.port
    kAttrClientAddress = 1u << 2,
};

struct MetricSpec {
    const char *name; // OpenTelemetry semantic-convention name
    const char *unit; // UCUM: "s", "By"
    const char *description;
    ValueOf value;
    BucketsOf buckets;
};

struct AttrSpec {
    const char *key;
    uint32_t needs = 0; // an OptionalAttr bit, 0 when always on
};

struct GroupSpec {
    Family family;
    std::span<const MetricSpec> metrics;
    std::span<const AttrSpec> attrs;
};

inline constexpr int kAnyDatabase = -1; // row protocol: a client span with db.system.name

struct RowSpec {
    int protocol; // enum beyla_protocol, or kAnyDatabase
    int kind;     // enum beyla_span_kind
    uint8_t group;
};

std::span<const GroupSpec> metric_groups();
std::span<const RowSpec> metric_rows();

// Attribute slots of one series: the longest group's attribute list fits.
inline constexpr size_t kMaxSeriesAttrs = 12;

} // namespace beyla::metrics
