#include "common/log.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>

#include <bpf/libbpf.h>

#include "common/error.h"

namespace beyla {

namespace {

// The handle calling into libbpf on this thread. libbpf prints synchronously from the
// calling thread, so a thread-local is enough to route its output without global state
// shared between handles.
thread_local const Logger *tls_logger = nullptr;

int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args) {
    const Logger *lg = tls_logger;
    beyla_log_level lvl = level == LIBBPF_WARN ? BEYLA_LOG_WARN
                          : level == LIBBPF_INFO ? BEYLA_LOG_INFO
                                                 : BEYLA_LOG_DEBUG;
    if (!lg || !lg->enabled(lvl)) return 0;
    // Verifier logs run to many kilobytes: size the message instead of cutting it.
    va_list copy;
    va_copy(copy, args);
    int n = vsnprintf(nullptr, 0, fmt, copy);
    va_end(copy);
    if (n < 0) return n;
    std::string msg(static_cast<size_t>(n) + 1, '\0');
    vsnprintf(msg.data(), msg.size(), fmt, args);
    msg.resize(static_cast<size_t>(n));
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    // libbpf's messages already start with "libbpf: ".
    lg->log(lvl, msg);
    return n;
}

void install_libbpf_print() {
    // The hook itself is process-wide in libbpf; installing it once is idempotent and it
    // holds no per-handle state.
    static std::once_flag once;
    std::call_once(once, [] { libbpf_set_print(libbpf_print); });
}

} // namespace

void Logger::log(beyla_log_level lvl, const std::string &msg) const {
    if (enabled(lvl)) fn_(lvl, msg.c_str(), ctx_);
}

LibbpfLogScope::LibbpfLogScope(const Logger *logger) : prev_(tls_logger) {
    install_libbpf_print();
    tls_logger = logger;
}

LibbpfLogScope::~LibbpfLogScope() { tls_logger = prev_; }

std::string errno_str(int err) {
    char buf[256];
    return std::string(strerror_r(err < 0 ? -err : err, buf, sizeof(buf)));
}

} // namespace beyla
