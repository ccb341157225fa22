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
    char buf[1024];
    int n = vsnprintf(buf, sizeof(buf), fmt, args);
    if (n < 0) return n;
    size_t len = strnlen(buf, sizeof(buf));
    while (len && buf[len - 1] == '\n') buf[--len] = 0;
    // libbpf's messages already start with "libbpf: ".
    lg->log(lvl, buf);
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
