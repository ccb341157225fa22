// HTTP/1.0 and HTTP/1.1 messages as decoded from socket bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "protocols/common/data_chunk.h"
#include "protocols/common/parse_loop.h"

namespace beyla::http1 {

using protocols::DataChunk;
using protocols::Direction;
using protocols::MessageType;
using protocols::Role;

// A bounded header list. Names are stored lowercased. Field records and text share one
// allocation, so a message's headers cost a single allocation however many there are.
class Headers {
  public:
    static constexpr size_t kMaxCount = 64;
    static constexpr size_t kMaxNameLen = 8192;
    static constexpr size_t kMaxValueLen = 8192;

    struct Field {
        std::string_view name; // lowercased
        std::string_view value;
    };

    Headers() = default;
    Headers(const Headers &o) { *this = o; }
    Headers(Headers &&o) noexcept { *this = std::move(o); }
    Headers &operator=(const Headers &o);
    Headers &operator=(Headers &&o) noexcept;
    ~Headers() = default;

    // Keeps the first kMaxCount fields; name and value are cut to their bounds.
    void add(std::string_view name, std::string_view value);
    // Value of the first field called `name` (matched case-insensitively), "" if none.
    std::string_view get(std::string_view name) const;
    bool contains(std::string_view name) const;

    size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    Field operator[](size_t i) const {
        const Ref &r = refs()[i];
        return {{text() + r.off, r.name_len}, {text() + r.off + r.name_len, r.value_len}};
    }
    uint32_t omitted() const { return omitted_; } // fields past kMaxCount, not kept
    void clear() { count_ = size_ = omitted_ = 0; }
    // Room for this many fields and text bytes, in one allocation.
    void reserve(size_t fields, size_t text);

    class const_iterator {
      public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = Field;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = Field;
        const_iterator() = default;
        const_iterator(const Headers *h, size_t i) : h_(h), i_(i) {}
        Field operator*() const { return (*h_)[i_]; }
        const_iterator &operator++() {
            ++i_;
            return *this;
        }
        const_iterator operator++(int) {
            auto t = *this;
            ++i_;
            return t;
        }
        bool operator==(const const_iterator &o) const { return i_ == o.i_; }

      private:
        const Headers *h_ = nullptr;
        size_t i_ = 0;
    };
    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, count_}; }

  private:
    struct Ref {
        uint32_t off;       // name starts here in the text; the value follows it directly
        uint16_t name_len;  // <= kMaxNameLen
        uint16_t value_len; // <= kMaxValueLen
    };
    // The block holds ref_cap_ Refs, then text_cap_ bytes of text.
    const Ref *refs() const { return reinterpret_cast<const Ref *>(block_.get()); }
    Ref *refs() { return reinterpret_cast<Ref *>(block_.get()); }
    const char *text() const { return block_.get() + ref_cap_ * sizeof(Ref); }
    char *text() { return block_.get() + ref_cap_ * sizeof(Ref); }
    void regrow(size_t fields, size_t text);

    std::unique_ptr<char[]> block_;
    uint32_t ref_cap_ = 0;
    uint32_t text_cap_ = 0;
    uint32_t count_ = 0;
    uint32_t size_ = 0; // text bytes used
    uint32_t omitted_ = 0;
};

struct Message {
    MessageType type = MessageType::kRequest;
    // Request line.
    std::string method;
    std::string target; // raw request-target
    std::string path;   // target without query (origin-form), or its path (absolute-form)
    std::string query;  // after '?', without it; "" when none
    // Both.
    int minor_version = -1; // 0 or 1
    // Status line.
    int status = -1;
    std::string reason;

    Headers headers;
    int64_t content_length = -1; // as declared, -1 when absent
    int64_t body_size = -1;      // bytes of body (decoded size when chunked), -1 unknown
    bool chunked = false;        // body used chunked transfer coding
    bool body_truncated = false; // some body bytes passed uncaptured (a gap)
    uint64_t ts_begin = 0;       // ts_begin of the chunk holding the first byte
    uint64_t ts_end = 0;         // ts_end of the chunk holding the last byte
    uint64_t header_bytes = 0;   // start line + header fields + empty line
    // The connection closed before the message ended; on a response with status -1
    // nothing of it was parsed (see Record::error_type).
    bool incomplete = false;
    // A request offering to switch to HTTP/2 (Upgrade: h2c).
    bool upgrade_h2c = false;
};

// A request and the final response that answered it.
struct Record {
    Message req;
    Message resp;
    uint64_t ts_begin() const { return req.ts_begin; } // the span starts here
    uint64_t ts_end() const { return resp.ts_end; }    // and ends here
    // Why the exchange failed at the connection level, or nullptr: the response was cut
    // by the close, or none came before it. Low-cardinality values for OTel error.type.
    const char *error_type() const {
        if (!resp.incomplete) return nullptr;
        return resp.status >= 0 ? "response_incomplete" : "no_response";
    }
};

} // namespace beyla::http1
