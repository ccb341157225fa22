// An HPACK decoder (RFC 7541) for one direction of one connection: static table, a
// bounded dynamic table, Huffman strings.
//
// Joined late (the connection's first header blocks were never seen) the dynamic table's
// older entries are unknown. The decoder then keeps only what it saw inserted: the
// encoder's table always begins with those same entries (newest first), so an index
// inside them is right whatever the encoder evicted, and an index past them is reported
// as an unknown field, never guessed. Entries whose own name was an unknown reference are
// kept as placeholders (value known, name not); their size is under-estimated, which only
// delays evictions, so no index ever names a wrong entry. The table becomes fully known
// again once the insertions seen fill the encoder's maximum (which a size update tells),
// or after a size update to 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace beyla::http2::hpack {

// One decoded header field. A part that came from a dynamic-table entry the decoder never
// saw is not known (its view is empty). Views are valid only during the sink call.
struct Field {
    std::string_view name;
    std::string_view value;
    bool name_known = true;
    bool value_known = true;
    bool known() const { return name_known && value_known; }
};

struct FieldSink {
    void (*fn)(void *ctx, const Field &f) = nullptr;
    void *ctx = nullptr;
    void operator()(const Field &f) const { fn(ctx, f); }
};

enum class DecodeResult : uint8_t {
    kOk,
    kError, // not a valid header block: the table state is lost (set_unknown)
};

class Decoder {
  public:
    static constexpr size_t kDefaultMemory = 64 * 1024;
    // Strings longer than this are not decoded (values are kept as unknown).
    static constexpr size_t kMaxString = 64 * 1024;

    // max_memory caps the table's RFC size (name + value + 32 per entry); table_size is
    // the maximum both ends start from (SETTINGS_HEADER_TABLE_SIZE, 4096 by default).
    explicit Decoder(size_t max_memory = kDefaultMemory, uint32_t table_size = 4096);

    // SETTINGS_HEADER_TABLE_SIZE announced by this side's decoder (the peer of the
    // encoder): the largest maximum a size update may set.
    void set_limit(uint32_t bytes);
    // Forgets what the table holds: the entries the encoder inserted are no longer known
    // (a late join, a header block lost).
    void set_unknown();
    // As set_unknown(), and the decoder's own limit is not known either (its SETTINGS
    // came before the join).
    void set_joined_late();

    // Decodes one complete header block, calling sink for every field in order.
    DecodeResult decode(std::span<const uint8_t> block, const FieldSink &sink);

    // The dynamic table as known: entry(0) is the newest.
    size_t entries() const { return count_; }
    Field entry(size_t i) const;
    size_t size() const { return size_; }      // RFC size of the known entries
    uint32_t max_size() const { return max_; } // the encoder's current maximum, as known
    bool max_known() const { return max_known_; }
    // False while entries older than the known ones may exist.
    bool complete() const { return !unknown_tail_; }

    uint64_t unknown_fields() const { return unknown_fields_; } // fields with an unknown part
    uint64_t errors() const { return errors_; }

  private:
    struct Entry {
        uint32_t off;
        uint32_t name_len;
        uint32_t value_len;
        bool name_known;
    };

    bool lookup(uint64_t index, Field *f) const;
    void insert(std::string_view name, bool name_known, std::string_view value);
    void evict_to(size_t bound);
    void set_max(uint32_t max);
    void check_complete();
    const Entry &at(size_t i) const { return ring_[first_ + count_ - 1 - i]; }

    size_t cap_;
    uint32_t limit_;
    uint32_t max_;
    bool limit_known_ = true;
    bool max_known_ = true;
    bool unknown_tail_ = false;
    std::vector<Entry> ring_; // circular, count_ entries from first_ (the oldest)
    size_t first_ = 0;
    size_t count_ = 0;
    size_t size_ = 0;
    std::vector<char> arena_; // entry bytes; [arena_begin_, arena_end_) is live
    size_t arena_end_ = 0;
    std::string name_buf_, value_buf_; // Huffman output and copies of evictable names
    uint64_t unknown_fields_ = 0;
    uint64_t errors_ = 0;
};

} // namespace beyla::http2::hpack
