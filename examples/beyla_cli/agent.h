// The agent behind `beyla run`: one tracer built from an AgentConfig, and a list of sinks
// that receive what it produces. A sink gets every span on the agent's thread, a tick about
// once a second, and a flush at the end (after the tracer delivered its last spans), so an
// exporter (Prometheus here; OTLP, files...) plugs in as one more Sink without the loop
// knowing it. Metrics are pulled from snapshot(), which any thread may call.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <beyla/beyla.h>

#include "agent_config.h"

class Agent;

class Sink {
  public:
    virtual ~Sink() = default;
    virtual const char *name() const = 0;
    // Called once the first tracer runs; "" or why the sink cannot work (the agent fails).
    virtual std::string start(Agent &) { return ""; }
    virtual void span(const beyla_span &) {}
    virtual void tick(Agent &, double /*now_s*/) {}
    virtual void flush(Agent &) {}
};

class Agent {
  public:
    explicit Agent(AgentConfig cfg);
    ~Agent();

    void add_sink(std::unique_ptr<Sink> s) { sinks_.push_back(std::move(s)); }
    // Builds and starts the tracer, then the sinks. "" or an error message.
    std::string start();
    // Polls once (up to timeout_ms), ticking the sinks about once a second. <0: -errno.
    int poll(int timeout_ms);
    // Replaces the selection with cfg's when it differs: a new tracer is started first and
    // the old one stopped after, so no moment traces nothing. "" or why not (the old one
    // then goes on).
    std::string reload(const AgentConfig &cfg);
    // Stops the tracer (its last spans reach the sinks), then flushes the sinks.
    void finish();

    // A metrics snapshot of the current tracer; NULL with errno. Any thread.
    beyla_metrics *snapshot() const;
    const AgentConfig &config() const { return cfg_; }
    const beyla_tracer *tracer() const { return t_; }
    // One line of statistics.
    std::string stats_line() const;
    // What it attached to: selection, processes traced, TLS libraries probed.
    std::string attached_text();
    void log(int level, const std::string &msg) const;

  private:
    beyla_tracer *make_tracer(const AgentConfig &cfg, std::string &err);
    static void on_span(const beyla_span *s, void *ctx);
    static void on_log(beyla_log_level level, const char *msg, void *ctx);

    AgentConfig cfg_;
    int verbosity_;
    std::vector<std::unique_ptr<Sink>> sinks_;
    mutable std::mutex mu_; // guards t_ against snapshot() on other threads during a swap
    beyla_tracer *t_ = nullptr;
    double last_tick_ = 0;
};

// The sinks the configuration asks for: the trace printer and the Prometheus endpoint.
void add_configured_sinks(Agent &a);
