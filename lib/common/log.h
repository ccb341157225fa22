// Per-handle logging. Every handle (tracer, capability probe) owns a Logger; libbpf's
// process-wide print hook is routed to the Logger of the handle that is calling libbpf
// on the current thread (LibbpfLogScope), so two tracers never mix their messages.
#pragma once

#include <string>

#include <fmt/format.h>

#include "beyla/beyla.h"

namespace beyla {

class Logger {
  public:
    Logger() = default;
    Logger(beyla_log_fn fn, void *ctx, beyla_log_level max_level = BEYLA_LOG_INFO)
        : fn_(fn), ctx_(ctx), max_(max_level) {}

    void set(beyla_log_fn fn, void *ctx) { fn_ = fn, ctx_ = ctx; }
    void set_level(beyla_log_level lvl) { max_ = lvl; }
    bool enabled(beyla_log_level lvl) const { return fn_ && lvl <= max_; }
    void log(beyla_log_level lvl, const std::string &msg) const;

    template <typename... Args> void error(fmt::format_string<Args...> f, Args &&...a) const {
        emit(BEYLA_LOG_ERROR, f, std::forward<Args>(a)...);
    }
    template <typename... Args> void warn(fmt::format_string<Args...> f, Args &&...a) const {
        emit(BEYLA_LOG_WARN, f, std::forward<Args>(a)...);
    }
    template <typename... Args> void info(fmt::format_string<Args...> f, Args &&...a) const {
        emit(BEYLA_LOG_INFO, f, std::forward<Args>(a)...);
    }
    template <typename... Args> void debug(fmt::format_string<Args...> f, Args &&...a) const {
        emit(BEYLA_LOG_DEBUG, f, std::forward<Args>(a)...);
    }

  private:
    template <typename... Args>
    void emit(beyla_log_level lvl, fmt::format_string<Args...> f, Args &&...a) const {
        if (enabled(lvl)) log(lvl, fmt::format(f, std::forward<Args>(a)...));
    }
    beyla_log_fn fn_ = nullptr;
    void *ctx_ = nullptr;
    beyla_log_level max_ = BEYLA_LOG_INFO;
};

// While alive, libbpf messages printed on this thread go to `logger`. Nests.
class LibbpfLogScope {
  public:
    explicit LibbpfLogScope(const Logger *logger);
    ~LibbpfLogScope();
    LibbpfLogScope(const LibbpfLogScope &) = delete;
    LibbpfLogScope &operator=(const LibbpfLogScope &) = delete;

  private:
    const Logger *prev_;
};

} // namespace beyla
