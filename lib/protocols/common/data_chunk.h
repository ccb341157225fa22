// One socket syscall's worth of payload, as the kernel side hands it over, and which way
// it went. Shared by every protocol parser.
#pragma once

#include <cstdint>
#include <span>

namespace beyla::protocols {

// Numeric values match enum beyla_direction / beyla_role in bpf/socket_trace.h, so the
// tracer core can cast the kernel's byte straight across.
enum class Direction : uint8_t {
    kIngress = 0, // the traced process read these bytes
    kEgress = 1,  // the traced process wrote these bytes
};

enum class Role : uint8_t {
    kUnknown = 0,
    kServer = 1, // accepted: requests are ingress, responses egress
    kClient = 2, // connected: requests are egress, responses ingress
};

struct DataChunk {
    uint64_t ts_begin = 0;             // when the first byte of the chunk moved (ns, monotonic)
    uint64_t ts_end = 0;               // when its last byte moved
    std::span<const uint8_t> captured; // the payload prefix the kernel copied
    uint64_t total = 0;                // true byte count of the syscall (>= captured.size())
};

} // namespace beyla::protocols
