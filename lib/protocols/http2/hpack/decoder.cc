#include "protocols/http2/hpack/decoder.h"

#include <algorithm>
#include <cstring>

#include "protocols/http2/hpack/huffman.h"
#include "protocols/http2/hpack/static_table.h"
#include "protocols/http2/types.h"

namespace beyla::http2::hpack {

namespace {

constexpr size_t kEntryOverhead = 32; // RFC 7541 §4.1

// Reads an integer with an n-bit prefix (RFC 7541 §5.1). False when truncated or when it
// would exceed 2^32 (no field of a sane block is that large).
bool read_int(const uint8_t *&p, const uint8_t *end, unsigned prefix_bits, uint64_t *out) {
    const uint8_t mask = static_cast<uint8_t>((1u << prefix_bits) - 1);
    uint64_t v = *p++ & mask;
    if (v < mask) {
        *out = v;
        return true;
    }
    for (unsigned shift = 0; shift <= 28; shift += 7) {
        if (p == end) return false;
        const uint8_t b = *p++;
        v += uint64_t(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return v <= UINT32_MAX;
        }
    }
    return false;
}

} // namespace

Decoder::Decoder(size_t max_memory, uint32_t table_size)
    : cap_(std::max<size_t>(max_memory, kEntryOverhead)), limit_(table_size), max_(table_size) {}

void Decoder::set_limit(uint32_t bytes) {
    // The encoder adopts a new limit with a size update of its own: the table is left as is.
    limit_ = bytes;
    limit_known_ = true;
}

void Decoder::set_joined_late() {
    set_unknown();
    limit_known_ = false;
}

void Decoder::set_unknown() {
    count_ = 0;
    first_ = 0;
    ring_.clear();
    size_ = 0;
    arena_end_ = 0;
    unknown_tail_ = true;
    max_known_ = false;
}

Field Decoder::entry(size_t i) const {
    const Entry &e = at(i);
    Field f;
    f.name = std::string_view(arena_.data() + e.off, e.name_len);
    f.value = std::string_view(arena_.data() + e.off + e.name_len, e.value_len);
    f.name_known = e.name_known;
    return f;
}

bool Decoder::lookup(uint64_t index, Field *f) const {
    if (index == 0) return false;
    if (index <= kStaticEntries) {
        const StaticEntry &s = static_entry(static_cast<size_t>(index));
        *f = Field{s.name, s.value, true, true};
        return true;
    }
    const uint64_t d = index - kStaticEntries - 1;
    if (d < count_) {
        *f = entry(static_cast<size_t>(d));
        return true;
    }
    if (!unknown_tail_) return false; // past the end of a table known in full
    *f = Field{{}, {}, false, false};
    return true;
}

void Decoder::evict_to(size_t bound) {
    while (size_ > bound && count_) {
        const Entry &e = ring_[first_];
        size_ -= std::min(size_, size_t(e.name_len) + e.value_len + kEntryOverhead);
        first_++;
        count_--;
    }
    if (!count_) {
        size_ = 0;
        arena_end_ = 0;
        first_ = 0;
        ring_.clear();
    }
}

void Decoder::check_complete() {
    // The known entries fill the encoder's table: nothing older can still be in it
    // (placeholder sizes are under-estimates, so this holds for them too).
    if (unknown_tail_ && max_known_ && max_ <= cap_ && size_ + kEntryOverhead > max_) unknown_tail_ = false;
    if (unknown_tail_ && max_known_ && max_ == 0) unknown_tail_ = false;
}

void Decoder::set_max(uint32_t max) {
    max_ = max;
    max_known_ = true;
    const size_t bound = std::min<size_t>(max_, cap_);
    evict_to(bound);
    check_complete();
}

void Decoder::insert(std::string_view name, bool name_known, std::string_view value) {
    const size_t need = name.size() + value.size() + kEntryOverhead;
    const size_t bound = max_known_ ? std::min<size_t>(max_, cap_) : cap_;
    // Evictions that the encoder (with a larger maximum) may not make: older entries may
    // then exist that this table lost.
    const bool encoder_keeps_more = !max_known_ || max_ > cap_;
    if (need > bound) {
        // Larger than the table: it empties, the entry is not added (RFC 7541 §4.4).
        if (encoder_keeps_more) unknown_tail_ = true;
        evict_to(0);
        return;
    }
    if (size_ + need > bound && encoder_keeps_more) unknown_tail_ = true;
    evict_to(bound - need);
    const size_t bytes = name.size() + value.size();
    if (arena_end_ + bytes > arena_.size()) {
        // Move the live bytes down, then keep twice what is live so that the next move is
        // as many insertions away: storage grows with the table, not to its bound at once.
        const size_t base = count_ ? ring_[first_].off : arena_end_;
        const size_t live = arena_end_ - base;
        if (base) {
            std::memmove(arena_.data(), arena_.data() + base, live);
            for (size_t i = first_; i < ring_.size(); i++) ring_[i].off -= static_cast<uint32_t>(base);
            arena_end_ = live;
        }
        if (arena_.size() < 2 * (live + bytes)) arena_.resize(std::max<size_t>(256, 2 * (live + bytes)));
    }
    if (first_ > 64 && first_ * 2 > ring_.size()) {
        // Evicted entries at the front are dropped once they are half of the ring.
        ring_.erase(ring_.begin(), ring_.begin() + static_cast<ptrdiff_t>(first_));
        first_ = 0;
    }
    char *w = arena_.data() + arena_end_;
    if (!name.empty()) std::memcpy(w, name.data(), name.size());
    if (!value.empty()) std::memcpy(w + name.size(), value.data(), value.size());
    ring_.push_back(Entry{static_cast<uint32_t>(arena_end_), static_cast<uint32_t>(name.size()),
                          static_cast<uint32_t>(value.size()), name_known});
    count_++;
    arena_end_ += bytes;
    size_ += need;
    check_complete();
}

DecodeResult Decoder::decode(std::span<const uint8_t> block, const FieldSink &sink) {
    const uint8_t *p = block.data();
    const uint8_t *const end = p + block.size();
    bool any_field = false;

    // A string literal (RFC 7541 §5.2) into *out: a view of the block, or of buf once
    // Huffman-decoded. *known is false for strings over kMaxString (skipped).
    auto read_string = [&](std::string &buf, std::string_view *out, bool *known) -> bool {
        if (p == end) return false;
        const bool huff = (*p & 0x80) != 0;
        uint64_t len;
        if (!read_int(p, end, 7, &len) || len > uint64_t(end - p)) return false;
        const std::span<const uint8_t> raw(p, static_cast<size_t>(len));
        p += len;
        *known = true;
        if (len > kMaxString) {
            *known = false;
            *out = {};
            return true;
        }
        if (!huff) {
            *out = std::string_view(reinterpret_cast<const char *>(raw.data()), raw.size());
            return true;
        }
        buf.clear();
        if (!huffman_decode(raw, &buf)) return false;
        *out = buf;
        return true;
    };

    auto fail = [&]() {
        errors_++;
        set_unknown();
        return DecodeResult::kError;
    };

    while (p < end) {
        const uint8_t b = *p;
        Field f;
        if (b & 0x80) { // indexed field
            uint64_t idx;
            if (!read_int(p, end, 7, &idx) || !lookup(idx, &f)) return fail();
        } else if ((b & 0xe0) == 0x20) { // dynamic table size update
            uint64_t sz;
            if (any_field || !read_int(p, end, 5, &sz)) return fail();
            // Over the decoder's limit is an error when that limit is known.
            if (limit_known_ && sz > limit_) return fail();
            set_max(static_cast<uint32_t>(sz));
            continue;
        } else { // a literal: with incremental indexing (01), without (0000) or never (0001)
            const bool indexing = (b & 0xc0) == 0x40;
            uint64_t idx;
            if (!read_int(p, end, indexing ? 6 : 4, &idx)) return fail();
            if (idx) {
                if (!lookup(idx, &f)) return fail();
                if (f.name_known && idx > kStaticEntries) {
                    // Evicting on insertion may free the entry the name is read from.
                    name_buf_.assign(f.name);
                    f.name = name_buf_;
                }
                f.value_known = true;
                f.value = {};
            } else {
                bool known;
                if (!read_string(name_buf_, &f.name, &known)) return fail();
                f.name_known = known;
            }
            bool vknown;
            if (!read_string(value_buf_, &f.value, &vknown)) return fail();
            f.value_known = vknown;
            if (indexing) {
                if (!f.value_known) {
                    // Its size is unknown to the table: what follows cannot be placed.
                    set_unknown();
                } else {
                    insert(f.name_known ? f.name : std::string_view(), f.name_known, f.value);
                }
            }
        }
        any_field = true;
        if (!f.known()) unknown_fields_++;
        sink(f);
    }
    return DecodeResult::kOk;
}

} // namespace beyla::http2::hpack
