// The HPACK static table (RFC 7541 Appendix A): indices 1..61.
#pragma once

#include <cstddef>
#include <string_view>

namespace beyla::http2::hpack {

struct StaticEntry {
    std::string_view name;
    std::string_view value;
};

inline constexpr size_t kStaticEntries = 61;

// Entry at 1-based index i (1 <= i <= kStaticEntries).
const StaticEntry &static_entry(size_t i);

} // namespace beyla::http2::hpack
