#include "caps/ring_size.h"

#include <bit>

namespace beyla {

uint64_t ring_size_for_page(uint64_t requested, uint64_t page_size) {
    if (!std::has_single_bit(page_size)) return 0; // also rejects 0
    if (requested <= page_size) return page_size;
    if (requested > (1ull << 63)) return 0;
    return std::bit_ceil(requested);
}

} // namespace beyla
