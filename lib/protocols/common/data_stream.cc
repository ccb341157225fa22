#include "protocols/common/data_stream.h"

#include <algorithm>

namespace beyla::protocols {

namespace {
// Storage above this is handed back once a stream drains, so one large burst does not
// pin memory for the rest of a long-lived connection.
constexpr size_t kKeepStorage = 256 * 1024;
// Consumed bytes at the front of the buffer are moved out only once they are worth it.
constexpr size_t kCompactBytes = 16 * 1024;
constexpr size_t kCompactChunks = 64;
} // namespace

DataStream::DataStream(size_t capacity) : cap_(capacity ? capacity : 1) {}

bool DataStream::append(const DataChunk &chunk) {
    uint64_t captured = chunk.captured.size();
    captured = std::min(captured, kMaxChunkTotal);
    const uint64_t total = std::min(std::max<uint64_t>(chunk.total, captured), kMaxChunkTotal);
    if (total == 0) return true;

    captured = std::min<uint64_t>(captured, cap_);
    bool kept = true;
    if (buffered() + captured > cap_ || chunks_.size() - first_ >= kMaxChunks) {
        counters_.overflows++;
        counters_.dropped_bytes += buffered();
        clear();
        kept = false;
    }

    // gap_ == size() means no gap so far; it stays on an earlier gap chunk otherwise.
    const bool at_end = gap_ == chunks_.size();
    chunks_.push_back(Chunk{end_, total, base_ + buf_.size(), captured, chunk.ts_begin, chunk.ts_end});
    if (at_end && captured == total) gap_ = chunks_.size();
    buf_.insert(buf_.end(), chunk.captured.data(), chunk.captured.data() + captured);
    end_ += total;
    counters_.chunks++;
    counters_.bytes += total;
    counters_.captured += captured;
    return kept;
}

uint64_t DataStream::live_data() const {
    if (empty()) return base_ + buf_.size();
    const Chunk &c = chunks_[first_];
    return c.data + std::min(pos_ - c.start, c.captured);
}

size_t DataStream::buffered() const {
    return base_ + buf_.size() - live_data();
}

std::span<const uint8_t> DataStream::head() const {
    if (empty()) return {};
    const Chunk &c = chunks_[first_];
    const uint64_t off = pos_ - c.start;
    if (off >= c.captured) return {};
    // Chunks captured in full are followed directly by the next chunk's bytes, so the
    // span runs through the first chunk with a gap (or the last chunk).
    const Chunk &last = chunks_[std::min(gap_, chunks_.size() - 1)];
    const uint64_t from = c.data + off;
    return {buf_.data() + (from - base_), static_cast<size_t>(last.data + last.captured - from)};
}

void DataStream::consume(uint64_t n) {
    pos_ += std::min(n, available());
    while (first_ < chunks_.size() && chunks_[first_].start + chunks_[first_].total <= pos_) first_++;
    if (gap_ < first_) {
        // Each chunk is looked at once here as the position moves on: O(1) amortised.
        gap_ = first_;
        while (gap_ < chunks_.size() && chunks_[gap_].captured == chunks_[gap_].total) gap_++;
    }
    compact();
}

void DataStream::compact() {
    if (first_ == chunks_.size()) {
        // Drained: the common case, and free.
        chunks_.clear();
        first_ = 0;
        gap_ = 0;
        base_ += buf_.size();
        buf_.clear();
        if (buf_.capacity() > kKeepStorage) std::vector<uint8_t>().swap(buf_);
        return;
    }
    if (first_ >= kCompactChunks && first_ * 2 >= chunks_.size()) {
        chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<ptrdiff_t>(first_));
        gap_ -= first_;
        first_ = 0;
    }
    const uint64_t dead = live_data() - base_;
    if (dead >= kCompactBytes && dead * 2 >= buf_.size()) {
        buf_.erase(buf_.begin(), buf_.begin() + static_cast<ptrdiff_t>(dead));
        base_ += dead;
    }
}

void DataStream::clear() {
    pos_ = end_;
    first_ = chunks_.size();
    compact();
}

void DataStream::release() {
    clear();
    gap_ = 0;
    std::vector<Chunk>().swap(chunks_);
    std::vector<uint8_t>().swap(buf_);
}

bool DataStream::at_chunk_boundary() const {
    return empty() || pos_ == chunks_[first_].start;
}

uint64_t DataStream::next_chunk_boundary() const {
    if (empty() || first_ + 1 >= chunks_.size()) return end_;
    return chunks_[first_ + 1].start;
}

ChunkTimes DataStream::times_at(uint64_t pos) const {
    if (first_ >= chunks_.size()) return {};
    auto begin = chunks_.begin() + static_cast<ptrdiff_t>(first_);
    auto it =
        std::upper_bound(begin, chunks_.end(), pos, [](uint64_t p, const Chunk &c) { return p < c.start; });
    if (it != begin) --it;
    return {it->ts_begin, it->ts_end};
}

} // namespace beyla::protocols
