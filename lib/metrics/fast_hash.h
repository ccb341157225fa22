// A small, inlined hash for the per-span lookups of the metrics path (series keys, the route
// cache): eight bytes per step, no call. Not for untrusted-collision resistance: every user
// compares the keys on a hash match.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace beyla::metrics {

struct FastHash {
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    void mix(uint64_t v) {
        h = (h ^ v) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    void str(std::string_view s) {
        const char *p = s.data();
        size_t n = s.size();
        for (; n >= 8; p += 8, n -= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            mix(w);
        }
        uint64_t w = 0;
        if (n && s.size() >= 8) {
            memcpy(&w, p + n - 8, 8); // the last eight bytes, overlapping: a fixed-size load
        } else {
            for (size_t i = 0; i < n; i++) w |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
        }
        mix(w ^ (static_cast<uint64_t>(s.size()) << 56)); // the length ends each string
    }
};

} // namespace beyla::metrics
