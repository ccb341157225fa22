// Internal error type. Core code throws beyla::Error; capi/ catches everything and turns
// it into -errno plus the handle's last-error string, so no exception crosses the C ABI.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace beyla {

class Error : public std::runtime_error {
  public:
    Error(int err, const std::string &msg) : std::runtime_error(msg), err_(err < 0 ? -err : err) {}
    // Positive errno value.
    int code() const noexcept { return err_; }

  private:
    int err_;
};

template <typename... Args>
[[noreturn]] void fail(int err, fmt::format_string<Args...> f, Args &&...args) {
    throw Error(err, fmt::format(f, std::forward<Args>(args)...));
}

// strerror without the thread-safety trap.
std::string errno_str(int err);

} // namespace beyla
