// Reads structured values off a fuzz input; past the end every read yields zeros, so a
// target never needs to check lengths before it decides what to do.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace beyla::fuzz {

class Input {
  public:
    Input(const uint8_t *data, size_t size) : p_(data), n_(size) {}

    bool empty() const { return i_ >= n_; }
    size_t left() const { return n_ - i_; }

    template <class T> T take() {
        T v{};
        const size_t k = std::min(sizeof(T), left());
        if (k) std::memcpy(&v, p_ + i_, k);
        i_ += k;
        return v;
    }
    // Up to n bytes (fewer at the end).
    std::span<const uint8_t> bytes(size_t n) {
        n = std::min(n, left());
        std::span<const uint8_t> s(p_ + i_, n);
        i_ += n;
        return s;
    }
    std::span<const uint8_t> rest() { return bytes(left()); }

  private:
    const uint8_t *p_;
    size_t n_;
    size_t i_ = 0;
};

} // namespace beyla::fuzz
