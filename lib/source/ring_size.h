// Buffer sizes the kernel accepts. ring_size_for_page() (BPF ring buffers: a power-of-two
// multiple of the page size) has its one definition in caps/ring_size.cc; this adds the
// perf buffer's rule.
#pragma once

#include <cstdint>

#include "caps/ring_size.h"

namespace beyla {

// Pages per CPU for a perf buffer of about `total` bytes over `ncpus` CPUs: a power of two,
// rounded down so the total stays within the request, at least 1. 0 for a page_size that
// is not a power of two.
uint64_t perf_pages_per_cpu(uint64_t total, uint64_t ncpus, uint64_t page_size);

} // namespace beyla
