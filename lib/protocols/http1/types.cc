#include "protocols/http1/types.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace beyla::http1 {

namespace {

constexpr std::array<char, 256> kLower = [] {
    std::array<char, 256> t{};
    for (int c = 0; c < 256; c++)
        t[static_cast<size_t>(c)] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return t;
}();

char lower(char c) {
    return kLower[static_cast<uint8_t>(c)];
}

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighs = 0x8080808080808080ull;

// Lowercases ASCII eight bytes at a time. Short field names make a byte loop (or a memcpy
// the compiler expands inline as `rep movs`) the slowest part of storing a field.
void copy_lower(char *dst, const char *src, size_t n) {
    for (; n >= 8; src += 8, dst += 8, n -= 8) {
        uint64_t x;
        memcpy(&x, src, 8);
        const uint64_t low7 = x & ~kHighs;
        const uint64_t ge_a = low7 + kOnes * (0x80 - 'A'); // high bit: byte >= 'A'
        const uint64_t gt_z = low7 + kOnes * (0x7f - 'Z'); // high bit: byte > 'Z'
        const uint64_t upper = (ge_a ^ gt_z) & ~x & kHighs;
        x |= upper >> 2; // 0x80 >> 2 == 0x20, the case bit
        memcpy(dst, &x, 8);
    }
    for (; n; n--) *dst++ = lower(*src++);
}

void copy_bytes(char *dst, const char *src, size_t n) {
    for (; n >= 8; src += 8, dst += 8, n -= 8) {
        uint64_t x;
        memcpy(&x, src, 8);
        memcpy(dst, &x, 8);
    }
    for (; n; n--) *dst++ = *src++;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); i++)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

} // namespace

Headers &Headers::operator=(const Headers &o) {
    if (this == &o) return *this;
    clear();
    if (o.count_) {
        if (ref_cap_ < o.count_ || text_cap_ < o.size_) regrow(o.count_, o.size_);
        memcpy(refs(), o.refs(), o.count_ * sizeof(Ref));
        memcpy(text(), o.text(), o.size_);
    }
    count_ = o.count_;
    size_ = o.size_;
    omitted_ = o.omitted_;
    return *this;
}

Headers &Headers::operator=(Headers &&o) noexcept {
    if (this == &o) return *this;
    block_ = std::move(o.block_);
    ref_cap_ = std::exchange(o.ref_cap_, 0);
    text_cap_ = std::exchange(o.text_cap_, 0);
    count_ = std::exchange(o.count_, 0);
    size_ = std::exchange(o.size_, 0);
    omitted_ = std::exchange(o.omitted_, 0);
    return *this;
}

void Headers::regrow(size_t fields, size_t text_bytes) {
    fields = std::min(std::max<size_t>(fields, count_), kMaxCount);
    text_bytes = std::max<size_t>(text_bytes, size_);
    std::unique_ptr<char[]> block(new char[fields * sizeof(Ref) + text_bytes]);
    if (count_) memcpy(block.get(), refs(), count_ * sizeof(Ref));
    if (size_) memcpy(block.get() + fields * sizeof(Ref), text(), size_);
    block_ = std::move(block);
    ref_cap_ = static_cast<uint32_t>(fields);
    text_cap_ = static_cast<uint32_t>(text_bytes);
}

void Headers::reserve(size_t fields, size_t text_bytes) {
    fields = std::min(fields, kMaxCount);
    if (fields > ref_cap_ || text_bytes > text_cap_)
        regrow(std::max<size_t>(fields, ref_cap_), std::max<size_t>(text_bytes, text_cap_));
}

void Headers::add(std::string_view name, std::string_view value) {
    if (count_ >= kMaxCount) {
        omitted_++;
        return;
    }
    name = name.substr(0, kMaxNameLen);
    value = value.substr(0, kMaxValueLen);
    const size_t n = name.size(), v = value.size();
    if (count_ == ref_cap_ || size_ + n + v > text_cap_)
        regrow(count_ == ref_cap_ ? std::max<size_t>(8, ref_cap_ * 2) : ref_cap_,
               std::max<size_t>(size_ + n + v, std::max<size_t>(256, size_t{text_cap_} * 2)));
    char *d = text() + size_;
    copy_lower(d, name.data(), n);
    copy_bytes(d + n, value.data(), v);
    refs()[count_++] = Ref{size_, static_cast<uint16_t>(n), static_cast<uint16_t>(v)};
    size_ += static_cast<uint32_t>(n + v);
}

std::string_view Headers::get(std::string_view name) const {
    for (size_t i = 0; i < count_; i++) {
        const Field f = (*this)[i];
        if (iequals(f.name, name)) return f.value;
    }
    return {};
}

bool Headers::contains(std::string_view name) const {
    for (size_t i = 0; i < count_; i++)
        if (iequals((*this)[i].name, name)) return true;
    return false;
}

} // namespace beyla::http1
