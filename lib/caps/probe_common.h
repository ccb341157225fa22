// Small helpers the capability probe's files share: file presence and pieces of reason text.
#pragma once

#include <cerrno>
#include <string>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>

#include "caps/capabilities.h"
#include "common/error.h"
#include "common/tracefs.h"

namespace beyla::caps {

inline bool exists(const std::string &path, int *err = nullptr) {
    if (effective_access(path, F_OK) == 0) return true;
    if (err) *err = errno;
    return false;
}

// The non-empty parts joined with sep.
inline std::string join(const std::vector<std::string> &parts, const char *sep) {
    std::string out;
    for (const auto &p : parts) {
        if (p.empty()) continue;
        if (!out.empty()) out += sep;
        out += p;
    }
    return out;
}

// "EINVAL" style plus the message: "Invalid argument (EINVAL)".
inline std::string errno_text(int err) {
    return fmt::format("{} ({})", errno_str(err), errno_name(err));
}

// Where "kernel built without CONFIG_X" came back from config_note(): the option is off.
inline bool config_off(const std::string &note) {
    return note.starts_with("kernel built without");
}

} // namespace beyla::caps
