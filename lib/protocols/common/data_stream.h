// Per-connection, per-direction byte stream assembled from DataChunks.
//
// Positions are absolute byte offsets since the stream began, counting every byte the
// syscalls moved, captured or not. Bytes that were not captured (the tail of a syscall
// beyond its copied prefix) form a gap: they can be consumed (a body of known length
// simply advances over them) but never looked at. Captured bytes are stored contiguously
// so that a parser sees one span across chunk boundaries, as long as no gap intervenes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "protocols/common/data_chunk.h"

namespace beyla::protocols {

struct ChunkTimes {
    uint64_t ts_begin = 0;
    uint64_t ts_end = 0;
};

struct DataStreamCounters {
    uint64_t chunks = 0;        // chunks appended
    uint64_t bytes = 0;         // bytes moved (captured + gap)
    uint64_t captured = 0;      // bytes captured
    uint64_t overflows = 0;     // times the cap forced buffered data to be dropped
    uint64_t dropped_bytes = 0; // captured bytes thrown away by those drops
};

class DataStream {
  public:
    static constexpr size_t kDefaultCapacity = size_t{1} << 20;
    // Gap-only chunks hold no bytes, so the byte cap alone would not bound them.
    static constexpr size_t kMaxChunks = 16384;
    // A syscall moves at most ~2 GiB (recvmmsg: a few times that); a larger count comes from
    // a corrupt event and would wrap the stream positions, so it is clamped.
    static constexpr uint64_t kMaxChunkTotal = uint64_t{1} << 36;

    explicit DataStream(size_t capacity = kDefaultCapacity);

    // Appends one chunk. If the captured bytes already buffered plus this chunk's would
    // exceed the cap, everything buffered is dropped first (counted) and false is
    // returned: the caller must forget any partial parse. A chunk whose own capture is
    // larger than the cap keeps only a cap-sized prefix; the rest becomes gap.
    bool append(const DataChunk &chunk);

    uint64_t position() const { return pos_; }
    uint64_t end() const { return end_; }
    uint64_t available() const { return end_ - pos_; } // captured + gap bytes ahead
    bool empty() const { return pos_ == end_; }

    // Captured bytes from the current position up to the first gap or the end. Empty
    // when the position is inside a gap. Valid until the next non-const call.
    std::span<const uint8_t> head() const;

    // Advances by n bytes (clamped to available()); gap bytes may be consumed freely.
    void consume(uint64_t n);
    // Skips everything buffered; storage is kept for reuse.
    void clear();
    // Skips everything buffered and releases storage (for connections that are given up).
    void release();

    bool at_chunk_boundary() const;
    // Start of the first chunk after the current position, or end() when none.
    uint64_t next_chunk_boundary() const;
    // Timestamps of the chunk holding stream position pos (clamped to what is buffered).
    ChunkTimes times_at(uint64_t pos) const;

    size_t buffered() const; // captured bytes held from the current position on
    size_t capacity() const { return cap_; }
    size_t storage_bytes() const { return buf_.capacity(); }
    const DataStreamCounters &counters() const { return counters_; }

  private:
    struct Chunk {
        uint64_t start;    // stream position of the first byte
        uint64_t total;    // bytes moved
        uint64_t data;     // captured-byte offset of the first captured byte
        uint64_t captured; // bytes captured (a prefix of the chunk)
        uint64_t ts_begin;
        uint64_t ts_end;
    };

    uint64_t live_data() const; // captured-byte offset at the current position
    void compact();

    std::vector<Chunk> chunks_; // chunks_[first_] holds pos_ unless empty()
    size_t first_ = 0;
    // Index of the first chunk at or after first_ that was not captured in full, or
    // chunks_.size() when none: where head()'s contiguous span ends, found in O(1).
    size_t gap_ = 0;
    std::vector<uint8_t> buf_; // captured bytes; buf_[0] has captured-byte offset base_
    uint64_t base_ = 0;
    uint64_t pos_ = 0;
    uint64_t end_ = 0;
    size_t cap_;
    DataStreamCounters counters_;
};

} // namespace beyla::protocols
