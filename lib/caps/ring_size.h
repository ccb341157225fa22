// Ring buffer sizes the kernel accepts: BPF_MAP_TYPE_RINGBUF wants a power of two that is a
// multiple of the page size, and so does a perf buffer's per-CPU mapping. Pages are 4 KiB on
// x86_64 but 16 KiB or 64 KiB on some arm64 and ppc64 kernels, so a size that works on one
// machine can be refused on another.
#pragma once

#include <cstdint>

namespace beyla {

// The default ring size the tracer asks for.
inline constexpr uint64_t kDefaultRingSize = 8ull << 20;

// Smallest power of two >= requested that is also >= page_size (hence a multiple of it).
// 0 when page_size is not a power of two or the result does not fit in 64 bits.
uint64_t ring_size_for_page(uint64_t requested, uint64_t page_size);

} // namespace beyla
