// Puts events back in time order when the transport cannot: a perf buffer is one queue per
// CPU, so a thread that migrates between CPUs can have its later event drained before its
// earlier one (the earlier CPU's queue was read just before the event landed in it). Events
// are held until they are older than a window, then released in timestamp order.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace beyla {

class ReorderBuffer {
  public:
    void push(const void *data, size_t size, uint64_t ts) {
        size_t off = arena_.size();
        arena_.resize(off + size);
        memcpy(arena_.data() + off, data, size);
        index_.push_back(Entry{ts, off, size, seq_++});
    }

    // Hands every event with ts <= cutoff to fn(data, size), oldest first (ties keep
    // arrival order), and keeps the others for a later call.
    template <typename F> void release(uint64_t cutoff, F &&fn) {
        if (index_.empty()) return;
        sort();
        size_t n = 0;
        while (n < index_.size() && index_[n].ts <= cutoff) n++;
        for (size_t i = 0; i < n; i++) fn(arena_.data() + index_[i].off, index_[i].size);
        if (n == index_.size()) {
            index_.clear();
            arena_.clear();
            return;
        }
        // Compact what is held: it is small (a window's worth).
        std::vector<uint8_t> kept;
        std::vector<Entry> kept_index;
        for (size_t i = n; i < index_.size(); i++) {
            Entry e = index_[i];
            size_t off = kept.size();
            kept.insert(kept.end(), arena_.begin() + e.off, arena_.begin() + e.off + e.size);
            e.off = off;
            kept_index.push_back(e);
        }
        arena_.swap(kept);
        index_.swap(kept_index);
    }

    size_t size() const { return index_.size(); }

  private:
    struct Entry {
        uint64_t ts;
        size_t off, size;
        uint64_t seq;
    };
    void sort();
    std::vector<uint8_t> arena_;
    std::vector<Entry> index_;
    uint64_t seq_ = 0;
};

} // namespace beyla
