// libbpf's OPTS_VALID / OPTS_GET semantics for our sized structs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace beyla {

// True when every byte of [from, to) in p is zero.
inline bool tail_is_zero(const void *p, size_t from, size_t to) {
    const auto *b = static_cast<const uint8_t *>(p);
    for (size_t i = from; i < to; i++)
        if (b[i]) return false;
    return true;
}

// A struct from a caller is valid when it is NULL, or at least holds `sz`, and any part
// beyond what this build knows (`known` = offsetof(last field) + its size) is zero.
inline bool opts_valid(const void *opts, size_t known) {
    if (!opts) return true;
    size_t sz = *static_cast<const size_t *>(opts);
    if (sz < sizeof(size_t)) return false;
    if (sz > known) return tail_is_zero(opts, known, sz);
    return true;
}

inline size_t opts_sz(const void *opts) { return opts ? *static_cast<const size_t *>(opts) : 0; }

} // namespace beyla

// End offset of the last field this build knows.
#define BEYLA_OPTS_KNOWN(type) (offsetof(struct type, type##__last_field) + sizeof(((struct type *)0)->type##__last_field))
#define BEYLA_OPTS_HAS(opts, field) ((opts) && ::beyla::opts_sz(opts) >= offsetofend_(decltype(*(opts)), field))
#define offsetofend_(T, field) (offsetof(std::remove_cvref_t<T>, field) + sizeof(((std::remove_cvref_t<T> *)0)->field))
#define BEYLA_OPTS_GET(opts, field, fallback) (BEYLA_OPTS_HAS(opts, field) ? (opts)->field : (fallback))
#define BEYLA_OPTS_VALID(opts, type) (::beyla::opts_valid((opts), BEYLA_OPTS_KNOWN(type)))

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace beyla {

// Writes `full` into a caller's sized output struct: only the part the caller's `sz`
// covers, so an older caller's smaller struct is never overrun.
template <typename T> int copy_out(T *out, const T &full) {
    if (!out || out->sz < sizeof(size_t)) return -EINVAL;
    size_t n = std::min(out->sz, sizeof(T));
    memcpy(reinterpret_cast<char *>(out) + sizeof(size_t), reinterpret_cast<const char *>(&full) + sizeof(size_t),
           n - sizeof(size_t));
    return 0;
}

} // namespace beyla
