#include "source/ring_size.h"

#include <bit>

namespace beyla {

uint64_t perf_pages_per_cpu(uint64_t total, uint64_t ncpus, uint64_t page_size) {
    if (!std::has_single_bit(page_size)) return 0;
    if (ncpus == 0) ncpus = 1;
    uint64_t pages = total / ncpus / page_size;
    return pages ? std::bit_floor(pages) : 1;
}

} // namespace beyla
