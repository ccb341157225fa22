#include "agent.h"

#include <time.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "http_server.h"
#include "monotonic.h"
#include "metrics_view.h"

namespace {

int level_of(const std::string &s) {
    if (s == "ERROR") return BEYLA_LOG_ERROR;
    if (s == "WARN") return BEYLA_LOG_WARN;
    if (s == "DEBUG") return BEYLA_LOG_DEBUG;
    return BEYLA_LOG_INFO;
}

// trace_printer: spans on stdout (or trace_output) as text, JSON, or indented JSON.
class TracePrinter : public Sink {
  public:
    explicit TracePrinter(std::string format, std::string path) : format_(std::move(format)), path_(std::move(path)) {}
    ~TracePrinter() override {
        if (out_ && out_ != stdout) fclose(out_);
    }
    const char *name() const override { return "trace_printer"; }
    std::string start(Agent &) override {
        if (path_.empty()) {
            out_ = stdout;
        } else if (!(out_ = fopen(path_.c_str(), "w"))) {
            return "cannot open " + path_ + ": " + strerror(errno);
        }
        return "";
    }
    void span(const beyla_span &s) override {
        if (format_ == "text") {
            double ms = (s.end_time_unix_nano - s.start_time_unix_nano) / 1e6;
            fprintf(out_, "%s %s[%u] %s %s %d %.3fms\n", s.kind == BEYLA_SPAN_SERVER ? "server" : "client",
                    s.exe ? s.exe : "?", s.pid, s.method ? s.method : "-", s.path ? s.path : "-", s.status, ms);
            return;
        }
        int n = beyla_span_to_json(&s, buf_.data(), buf_.size());
        if (n >= static_cast<int>(buf_.size())) {
            buf_.resize(n + 1);
            n = beyla_span_to_json(&s, buf_.data(), buf_.size());
        }
        if (n < 0) return;
        if (format_ == "json") {
            fwrite(buf_.data(), 1, n, out_);
            fputc('\n', out_);
            return;
        }
        // json_indent: one key per line (the span's JSON is flat but for its strings).
        std::string o;
        bool in_str = false;
        for (int i = 0; i < n; i++) {
            char c = buf_[i];
            if (in_str) {
                o += c;
                if (c == '\\' && i + 1 < n) o += buf_[++i];
                else if (c == '"') in_str = false;
                continue;
            }
            if (c == '"') in_str = true, o += c;
            else if (c == '{') o += "{\n  ";
            else if (c == ',') o += ",\n  ";
            else if (c == '}') o += "\n}";
            else if (c == ':') o += ": ";
            else o += c;
        }
        fprintf(out_, "%s\n", o.c_str());
    }
    void tick(Agent &, double) override { fflush(out_); }
    void flush(Agent &) override { fflush(out_); }

  private:
    std::string format_, path_;
    FILE *out_ = nullptr;
    std::vector<char> buf_ = std::vector<char>(4096);
};

// prometheus_export: the scrape endpoint, answered on its own thread from snapshots.
class PrometheusSink : public Sink {
  public:
    const char *name() const override { return "prometheus_export"; }
    std::string start(Agent &a) override {
        const AgentConfig &c = a.config();
        std::string addr = c.prometheus_address.find(':') != std::string::npos ? "[" + c.prometheus_address + "]"
                                                                               : c.prometheus_address;
        addr += ":" + std::to_string(c.prometheus_port);
        std::string e = server_.start(addr, c.prometheus_path,
                                      [&a](bool om) { return prometheus_reply(a.snapshot(), om); });
        if (!e.empty()) return e;
        a.log(BEYLA_LOG_INFO, "metrics at http://" + server_.address() + c.prometheus_path);
        return "";
    }
    void flush(Agent &) override { server_.stop(); }

  private:
    HttpServer server_;
};

} // namespace

void add_configured_sinks(Agent &a) {
    const AgentConfig &c = a.config();
    if (c.trace_printer != "disabled") a.add_sink(std::make_unique<TracePrinter>(c.trace_printer, c.trace_output));
    if (c.prometheus_port > 0) a.add_sink(std::make_unique<PrometheusSink>());
}

Agent::Agent(AgentConfig cfg) : cfg_(std::move(cfg)), verbosity_(level_of(cfg_.log_level)) {}

Agent::~Agent() {
    // Sinks first: a server thread may still read the tracer.
    sinks_.clear();
    beyla_tracer_free(t_);
}

void Agent::log(int level, const std::string &msg) const {
    if (level > verbosity_) return;
    static const char *names[] = {"error", "warn", "info", "debug"};
    fprintf(stderr, "beyla: %s: %s\n", names[level], msg.c_str());
}

void Agent::on_span(const beyla_span *s, void *ctx) {
    for (auto &sink : static_cast<Agent *>(ctx)->sinks_) sink->span(*s);
}

void Agent::on_log(beyla_log_level level, const char *msg, void *ctx) { static_cast<Agent *>(ctx)->log(level, msg); }

beyla_tracer *Agent::make_tracer(const AgentConfig &c, std::string &err) {
    std::vector<const char *> globs, protos, pats;
    for (auto &g : c.exe_globs) globs.push_back(g.c_str());
    for (auto &p : c.protocols) protos.push_back(p.c_str());
    for (auto &p : c.route_patterns) pats.push_back(p.c_str());
    BEYLA_OPTS(beyla_metrics_opts, mo);
    mo.duration_bounds = c.duration_buckets.data();
    mo.duration_bound_count = c.duration_buckets.size();
    mo.size_bounds = c.size_buckets.data();
    mo.size_bound_count = c.size_buckets.size();
    mo.exponential = c.exponential;
    mo.route_patterns = pats.data();
    mo.route_pattern_count = pats.size();
    mo.route_mode = c.route_mode;
    mo.route_segment_cardinality = c.segment_cardinality;
    mo.max_series = c.max_series;
    mo.optional_attrs = c.optional_attrs;
    mo.service_name = c.service_name.empty() ? nullptr : c.service_name.c_str();
    BEYLA_OPTS(beyla_tracer_opts, o);
    o.pids = c.pids.data();
    o.pid_count = c.pids.size();
    o.ports = c.ports.data();
    o.port_count = c.ports.size();
    o.exe_globs = globs.data();
    o.exe_glob_count = globs.size();
    o.on_span = &Agent::on_span;
    o.span_ctx = this;
    o.log_fn = &Agent::on_log;
    o.log_ctx = this;
    o.transport = c.transport == "ringbuf"   ? BEYLA_TRANSPORT_RINGBUF
                  : c.transport == "perfbuf" ? BEYLA_TRANSPORT_PERFBUF
                                             : BEYLA_TRANSPORT_AUTO;
    o.payload_prefix = c.payload;
    o.ring_size = c.ring_size;
    o.capture_url_query = c.url_query;
    o.capture_db_query_raw = c.db_query_raw;
    o.no_tls = !c.tls;
    o.protocols = protos.data();
    o.protocol_count = protos.size();
    o.btf_path = c.btf_path.empty() ? nullptr : c.btf_path.c_str();
    o.metrics = &mo;
    beyla_tracer *t = beyla_tracer_new(&o);
    if (!t) {
        char msg[160];
        beyla_strerror(errno, msg, sizeof msg);
        err = std::string("cannot create tracer: ") + msg;
        return nullptr;
    }
    if (beyla_tracer_start(t) != 0) {
        err = beyla_tracer_last_error(t);
        beyla_tracer_free(t);
        return nullptr;
    }
    return t;
}

std::string Agent::start() {
    if (cfg_.pids.empty() && cfg_.ports.empty() && cfg_.exe_globs.empty())
        return "nothing selected: set discovery (pids, open_ports, exe_paths), open_port, BEYLA_OPEN_PORT or "
               "BEYLA_AUTO_TARGET_EXE";
    std::string err;
    beyla_tracer *t = make_tracer(cfg_, err);
    if (!t) return err;
    {
        std::lock_guard lock(mu_);
        t_ = t;
    }
    for (auto &s : sinks_) {
        std::string e = s->start(*this);
        if (!e.empty()) return std::string(s->name()) + ": " + e;
    }
    last_tick_ = monotonic_s();
    return "";
}

int Agent::poll(int timeout_ms) {
    int n = beyla_tracer_poll(t_, timeout_ms);
    double now = monotonic_s();
    if (now - last_tick_ >= 1.0) {
        last_tick_ = now;
        for (auto &s : sinks_) s->tick(*this, now);
    }
    return n == -EINTR ? 0 : n;
}

std::string Agent::reload(const AgentConfig &cfg) {
    if (cfg.same_selection(cfg_)) return "";
    if (cfg.pids.empty() && cfg.ports.empty() && cfg.exe_globs.empty()) return "the new configuration selects nothing";
    AgentConfig next = cfg_;
    next.pids = cfg.pids, next.ports = cfg.ports, next.exe_globs = cfg.exe_globs;
    std::string err;
    beyla_tracer *t = make_tracer(next, err);
    if (!t) return err;
    beyla_tracer *old;
    {
        std::lock_guard lock(mu_);
        old = t_;
        t_ = t;
    }
    cfg_ = std::move(next);
    beyla_tracer_stop(old); // its last spans still reach the sinks
    beyla_tracer_free(old);
    return "";
}

void Agent::finish() {
    if (t_) beyla_tracer_stop(t_);
    for (auto &s : sinks_) s->flush(*this);
}

beyla_metrics *Agent::snapshot() const {
    std::lock_guard lock(mu_);
    if (!t_) {
        errno = EAGAIN;
        return nullptr;
    }
    return beyla_tracer_metrics(t_);
}

std::string Agent::stats_line() const {
    BEYLA_OPTS(beyla_stats, st);
    if (beyla_tracer_stats(t_, &st) != 0) return "stats unavailable";
    char buf[512];
    snprintf(buf, sizeof buf,
             "stats: processes=%" PRIu64 " connections=%" PRIu64 " spans=%" PRIu64 " events=%" PRIu64
             " bytes=%" PRIu64 " drops(ring_full=%" PRIu64 " perf_lost=%" PRIu64 " conn_limit=%" PRIu64
             ") parse_errors=%" PRIu64 " unknown_protocol=%" PRIu64,
             st.processes, st.connections, st.spans, st.events, st.bytes, st.drop_ring_full, st.drop_perf_lost,
             st.drop_conn_limit, st.parse_errors, st.unknown_protocol);
    std::string s = buf;
    for (size_t i = 0;; i++) {
        const char *name = nullptr;
        uint64_t v = 0;
        if (beyla_tracer_counter(t_, i, &name, &v) != 0) break;
        if (!strncmp(name, "metrics.", 8)) s += " " + std::string(name) + "=" + std::to_string(v);
    }
    return s;
}

std::string Agent::attached_text() {
    BEYLA_OPTS(beyla_stats, st);
    beyla_tracer_stats(t_, &st);
    std::string s = "attached to " + cfg_.selection_text() + ": " + std::to_string(st.processes) +
                    " process" + (st.processes == 1 ? "" : "es") + " traced now";
    for (size_t i = 0;; i++) {
        BEYLA_OPTS(beyla_tls_library, lib);
        if (beyla_tracer_tls_library(t_, i, &lib) != 0) break;
        s += std::string("; TLS ") + lib.kind + " " + lib.path + " (" + std::to_string(lib.pid_count) + " processes)";
    }
    return s;
}
