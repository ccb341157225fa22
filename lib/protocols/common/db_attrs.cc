#include "protocols/common/db_attrs.h"

namespace beyla::protocols::db {

std::string_view error_prefix(std::string_view m) {
    size_t i = 0;
    while (i < m.size() && i < 32) {
        const char c = m[i];
        const bool word =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (!word) break;
        i++;
    }
    // A word cut by the bound is no prefix but the start of free text.
    if (i == 32 && i < m.size() && m[i] != ' ') return {};
    return m.substr(0, i);
}

} // namespace beyla::protocols::db
