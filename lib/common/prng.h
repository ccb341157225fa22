// A fast per-owner PRNG (xoshiro256++) seeded from getrandom(2): span and trace ids need
// to be unpredictable enough not to collide across processes, not cryptographic. Each
// owner (a tracer's span builder) keeps its own state: no global generator, no lock.
#pragma once

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace beyla {

class Prng {
  public:
    Prng() {
        uint64_t seed[4] = {};
        if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) != static_cast<ssize_t>(sizeof(seed))) {
            // No entropy pool yet (early boot): time and pid still separate two tracers.
            timespec ts{};
            clock_gettime(CLOCK_REALTIME, &ts);
            seed[0] ^= static_cast<uint64_t>(ts.tv_nsec) ^ (static_cast<uint64_t>(ts.tv_sec) << 30);
            seed[1] ^= static_cast<uint64_t>(getpid()) << 17;
            seed[2] ^= reinterpret_cast<uintptr_t>(this);
        }
        uint64_t sm = seed[0] ^ seed[1] ^ seed[2] ^ seed[3];
        for (auto &s : s_) s = splitmix(sm);
        for (int i = 0; i < 4; i++) s_[i] ^= seed[i];
        if (!(s_[0] | s_[1] | s_[2] | s_[3])) s_[0] = 1; // the all-zero state is a fixed point
    }

    uint64_t next() {
        const uint64_t r = rotl(s_[0] + s_[3], 23) + s_[0];
        const uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return r;
    }

    // n random bytes, never all zero (W3C: an all-zero trace or span id is invalid).
    void fill_id(uint8_t *out, size_t n) {
        for (size_t i = 0; i < n; i += 8) {
            uint64_t v = next();
            memcpy(out + i, &v, n - i < 8 ? n - i : 8);
        }
        for (size_t i = 0; i < n; i++)
            if (out[i]) return;
        out[n - 1] = 1;
    }

  private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static uint64_t splitmix(uint64_t &x) {
        uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    uint64_t s_[4];
};

} // namespace beyla
