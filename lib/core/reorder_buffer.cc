#include "core/reorder_buffer.h"

#include <algorithm>

namespace beyla {

void ReorderBuffer::sort() {
    std::sort(index_.begin(), index_.end(),
              [](const Entry &a, const Entry &b) { return a.ts != b.ts ? a.ts < b.ts : a.seq < b.seq; });
}

} // namespace beyla
