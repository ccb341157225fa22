// The C ABI boundary: every entry point runs its body through these, so no C++ exception
// ever reaches a C caller; it becomes -errno and the handle's last-error string.
#pragma once

#include <cerrno>
#include <new>
#include <string>

#include "common/error.h"

namespace beyla::capi {

template <typename F> int guard(std::string *last_error, F &&body) noexcept {
    try {
        return body();
    } catch (const beyla::Error &e) {
        if (last_error) *last_error = e.what();
        return -e.code();
    } catch (const std::bad_alloc &) {
        if (last_error) *last_error = "out of memory";
        return -ENOMEM;
    } catch (const std::exception &e) {
        if (last_error) *last_error = e.what();
        return -EIO;
    } catch (...) {
        if (last_error) *last_error = "unknown internal error";
        return -EIO;
    }
}

} // namespace beyla::capi
