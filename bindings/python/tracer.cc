// pybeyla.Tracer: a thin layer over beyla_tracer_*. Spans are copied (beyla_span_copy)
// in the C callback while the GIL is released, and turned into dicts once poll returns.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include <beyla/beyla.h>

#include "bindings.h"

namespace py = pybind11;

namespace {

const char *kind_name(int k) {
    return k == BEYLA_SPAN_SERVER ? "server" : k == BEYLA_SPAN_CLIENT ? "client" : "unknown";
}

py::dict span_dict(const beyla_span *s) {
    py::dict d;
    d["kind"] = kind_name(s->kind);
    d["protocol"] = beyla_protocol_name(s->protocol);
    static constexpr char kHex[] = "0123456789abcdef";
    auto hex = [](const uint8_t *b, size_t n) {
        std::string out;
        for (size_t i = 0; i < n; i++) out += {kHex[b[i] >> 4], kHex[b[i] & 15]};
        return out;
    };
    d["trace_id"] = hex(s->trace_id, sizeof(s->trace_id));
    d["span_id"] = hex(s->span_id, sizeof(s->span_id));
    d["start_time_unix_nano"] = s->start_time_unix_nano;
    d["end_time_unix_nano"] = s->end_time_unix_nano;
    d["duration_ns"] = s->end_time_unix_nano >= s->start_time_unix_nano
                           ? s->end_time_unix_nano - s->start_time_unix_nano
                           : 0;
    d["process.pid"] = s->pid;
    d["thread.id"] = s->tid;
    d["process.executable.name"] = s->exe ? s->exe : "";
    for (size_t i = 0; i < s->attr_count; i++) {
        const beyla_attr &a = s->attrs[i];
        if (!a.key) continue;
        if (a.type == BEYLA_ATTR_INT)
            d[a.key] = a.num;
        else
            d[a.key] = a.str ? a.str : "";
    }
    return d;
}

std::string err_text(int err) {
    char buf[256];
    beyla_strerror(err, buf, sizeof(buf));
    return buf;
}

[[noreturn]] void raise_errno(int err, const std::string &what) {
    err = err < 0 ? -err : err;
    PyErr_SetObject(PyExc_OSError, py::make_tuple(err, what).ptr());
    throw py::error_already_set();
}

void log_to_python(beyla_log_level level, const char *msg, void *) {
    // Called from poll()/start() with the GIL released.
    py::gil_scoped_acquire gil;
    try {
        static const char *names[] = {"ERROR", "WARNING", "INFO", "DEBUG"};
        py::module_::import("logging").attr("getLogger")("pybeyla").attr("log")(
            py::module_::import("logging").attr(names[level]), msg);
    } catch (py::error_already_set &e) {
        e.discard_as_unraisable("pybeyla log");
    }
}

py::dict attrs_dict(const beyla_attr *a, size_t n) {
    py::dict d;
    for (size_t i = 0; i < n; i++) {
        if (a[i].type == BEYLA_ATTR_STRING)
            d[a[i].key] = a[i].str ? a[i].str : "";
        else if (a[i].type == BEYLA_ATTR_BOOL)
            d[a[i].key] = a[i].num != 0;
        else
            d[a[i].key] = a[i].num;
    }
    return d;
}

// metrics=True, or a dict of beyla_metrics_opts fields by name; routes: patterns.
struct MetricsArgs {
    bool on = false;
    std::vector<double> duration, size;
    std::vector<std::string> routes;
    std::vector<const char *> route_ptrs;
    std::string service_name;
    beyla_metrics_opts opts{};

    MetricsArgs(const py::object &metrics, std::vector<std::string> route_patterns)
        : routes(std::move(route_patterns)) {
        opts.sz = sizeof(opts);
        if (metrics.is_none() || (py::isinstance<py::bool_>(metrics) && !metrics.cast<bool>())) {
            on = !routes.empty();
        } else if (py::isinstance<py::bool_>(metrics)) {
            on = true;
        } else if (py::isinstance<py::dict>(metrics)) {
            on = true;
            for (auto [k, v] : metrics.cast<py::dict>()) {
                std::string key = py::str(k);
                if (key == "duration_buckets")
                    duration = v.cast<std::vector<double>>();
                else if (key == "size_buckets")
                    size = v.cast<std::vector<double>>();
                else if (key == "exponential")
                    opts.exponential = v.cast<bool>();
                else if (key == "exp_max_buckets")
                    opts.exp_max_buckets = v.cast<uint32_t>();
                else if (key == "max_series")
                    opts.max_series = v.cast<uint32_t>();
                else if (key == "segment_cardinality")
                    opts.route_segment_cardinality = v.cast<uint32_t>();
                else if (key == "service_name")
                    service_name = v.cast<std::string>();
                else if (key == "route_mode") {
                    std::string m = v.cast<std::string>();
                    if (m == "heuristic")
                        opts.route_mode = BEYLA_ROUTE_HEURISTIC;
                    else if (m == "low-cardinality")
                        opts.route_mode = BEYLA_ROUTE_LOW_CARDINALITY;
                    else if (m == "patterns-only")
                        opts.route_mode = BEYLA_ROUTE_PATTERNS_ONLY;
                    else
                        throw py::value_error(
                            "route_mode must be 'heuristic', 'low-cardinality' or 'patterns-only'");
                } else if (key == "attributes") {
                    for (auto &a : v.cast<std::vector<std::string>>()) {
                        if (a == "url.path")
                            opts.optional_attrs |= BEYLA_METRIC_ATTR_URL_PATH;
                        else if (a == "server.address")
                            opts.optional_attrs |= BEYLA_METRIC_ATTR_SERVER_ADDRESS;
                        else if (a == "client.address")
                            opts.optional_attrs |= BEYLA_METRIC_ATTR_CLIENT_ADDRESS;
                        else
                            throw py::value_error("unknown metric attribute '" + a +
                                                  "' (url.path, server.address, client.address)");
                    }
                } else {
                    throw py::value_error("unknown metrics option '" + key + "'");
                }
            }
        } else {
            throw py::type_error("metrics must be a bool or a dict of options");
        }
        for (auto &r : routes) route_ptrs.push_back(r.c_str());
        opts.duration_bounds = duration.data();
        opts.duration_bound_count = duration.size();
        opts.size_bounds = size.data();
        opts.size_bound_count = size.size();
        opts.route_patterns = route_ptrs.data();
        opts.route_pattern_count = route_ptrs.size();
        opts.service_name = service_name.empty() ? nullptr : service_name.c_str();
    }
};

class Tracer {
  public:
    Tracer(std::vector<int32_t> pids, std::vector<uint16_t> ports, std::vector<std::string> exe,
           std::string transport, uint32_t payload_prefix, uint32_t ring_size, bool url_query,
           std::optional<std::string> replay, std::optional<std::string> record, py::object on_span, bool log,
           bool tls, std::vector<std::string> protocols, std::optional<std::string> btf_path,
           py::object metrics, std::vector<std::string> routes, bool db_query_raw,
           std::vector<std::string> unix)
        : pids_(std::move(pids)), ports_(std::move(ports)), exe_(std::move(exe)), unix_(std::move(unix)),
          protocols_(std::move(protocols)), on_span_(std::move(on_span)) {
        MetricsArgs margs(metrics, std::move(routes));
        for (auto &g : exe_) globs_.push_back(g.c_str());
        for (auto &p : protocols_) protocol_names_.push_back(p.c_str());
        for (auto &u : unix_) unix_paths_.push_back(u.c_str());
        beyla_tracer_opts o{};
        o.sz = sizeof(o);
        o.pids = pids_.data();
        o.pid_count = pids_.size();
        o.ports = ports_.data();
        o.port_count = ports_.size();
        o.exe_globs = globs_.data();
        o.exe_glob_count = globs_.size();
        o.unix_paths = unix_paths_.data();
        o.unix_path_count = unix_paths_.size();
        o.on_span = &Tracer::collect;
        o.span_ctx = this;
        if (log) o.log_fn = log_to_python;
        if (transport == "auto")
            o.transport = BEYLA_TRANSPORT_AUTO;
        else if (transport == "ringbuf")
            o.transport = BEYLA_TRANSPORT_RINGBUF;
        else if (transport == "perfbuf")
            o.transport = BEYLA_TRANSPORT_PERFBUF;
        else
            throw py::value_error("transport must be 'auto', 'ringbuf' or 'perfbuf'");
        o.payload_prefix = payload_prefix;
        o.ring_size = ring_size;
        o.capture_url_query = url_query;
        o.capture_db_query_raw = db_query_raw;
        o.no_tls = !tls; // TLS capture is the C ABI's default too
        o.protocols = protocol_names_.data();
        o.protocol_count = protocol_names_.size();
        if (replay) replay_ = *replay, o.replay_path = replay_.c_str();
        if (record) record_ = *record, o.record_path = record_.c_str();
        if (btf_path) {
            if (btf_path->empty())
                throw py::value_error("btf_path must name a file (None: the kernel's BTF)");
            btf_path_ = *btf_path, o.btf_path = btf_path_.c_str();
        }
        if (margs.on) o.metrics = &margs.opts;
        t_ = beyla_tracer_new(&o);
        if (!t_) raise_errno(errno, "cannot create tracer: " + err_text(errno));
    }
    ~Tracer() {
        py::gil_scoped_release nogil;
        beyla_tracer_free(t_);
        for (auto *s : pending_) beyla_span_free(s);
    }

    void start() {
        int err;
        {
            py::gil_scoped_release nogil;
            err = beyla_tracer_start(t_);
        }
        if (err) raise_errno(err, beyla_tracer_last_error(t_));
    }

    // Polls once; hands spans to on_span (if given) and returns them as a list.
    py::list poll(int timeout_ms) {
        int n;
        {
            py::gil_scoped_release nogil;
            n = beyla_tracer_poll(t_, timeout_ms);
        }
        py::list out = take();
        if (n < 0 && n != -ENODATA && n != -EINTR) raise_errno(n, beyla_tracer_last_error(t_));
        if (n == -ENODATA) done_ = true;
        return out;
    }

    void stop() {
        int err;
        {
            py::gil_scoped_release nogil;
            err = beyla_tracer_stop(t_);
        }
        if (err) raise_errno(err, beyla_tracer_last_error(t_));
    }

    py::list take() {
        py::list out;
        std::vector<beyla_span *> spans;
        spans.swap(pending_);
        for (auto *s : spans) {
            py::dict d = span_dict(s);
            beyla_span_free(s);
            if (!on_span_.is_none()) on_span_(d);
            out.append(d);
        }
        return out;
    }

    bool done() const { return done_; }

    // [{"kind", "path", "functions", "pids"}] for each TLS library probed so far.
    py::list tls_libraries() {
        py::list out;
        for (size_t i = 0;; i++) {
            beyla_tls_library l{};
            l.sz = sizeof(l);
            int err = beyla_tracer_tls_library(t_, i, &l);
            if (err == -ENOENT) break;
            if (err) raise_errno(err, "tls_libraries");
            py::dict d;
            d["kind"] = l.kind;
            d["path"] = l.path;
            d["functions"] = l.functions;
            py::list pids;
            for (uint32_t j = 0; j < l.pid_count; j++) pids.append(l.pids[j]);
            d["pids"] = pids;
            out.append(d);
        }
        return out;
    }

    // The metrics snapshot as a list of dicts, one per metric, each with its points.
    py::list metrics() const {
        beyla_metrics *m;
        {
            py::gil_scoped_release nogil;
            m = beyla_tracer_metrics(t_);
        }
        if (!m)
            raise_errno(errno,
                        errno == ENOTSUP ? "metrics are off (Tracer(metrics=True))" : "metrics snapshot");
        std::unique_ptr<beyla_metrics, void (*)(beyla_metrics *)> hold(m, beyla_metrics_free);
        py::list out;
        for (size_t i = 0; i < beyla_metrics_count(m); i++) {
            beyla_metric met{};
            met.sz = sizeof(met);
            if (beyla_metrics_metric(m, i, &met) != 0) break;
            py::dict d;
            d["name"] = met.name;
            d["unit"] = met.unit;
            d["description"] = met.description;
            const bool exp = met.kind == BEYLA_METRIC_EXPONENTIAL_HISTOGRAM;
            d["kind"] = exp ? "exponential_histogram" : "histogram";
            if (!exp) d["bounds"] = std::vector<double>(met.bounds, met.bounds + met.bound_count);
            py::list points;
            for (size_t p = 0; p < met.point_count; p++) {
                beyla_metric_point pt{};
                pt.sz = sizeof(pt);
                if (beyla_metrics_point(m, i, p, &pt) != 0) break;
                py::dict pd;
                pd["attributes"] = attrs_dict(pt.attrs, pt.attr_count);
                pd["resource"] = attrs_dict(pt.resource_attrs, pt.resource_attr_count);
                pd["start_time_unix_nano"] = pt.start_time_unix_nano;
                pd["time_unix_nano"] = pt.time_unix_nano;
                pd["count"] = pt.count;
                pd["sum"] = pt.sum;
                pd["min"] = pt.min;
                pd["max"] = pt.max;
                if (exp) {
                    pd["scale"] = pt.scale;
                    pd["offset"] = pt.offset;
                    pd["zero_count"] = pt.zero_count;
                    pd["positive"] = std::vector<uint64_t>(pt.positive, pt.positive + pt.positive_count);
                } else {
                    pd["bucket_counts"] =
                        std::vector<uint64_t>(pt.bucket_counts, pt.bucket_counts + pt.bucket_count);
                }
                points.append(pd);
            }
            d["points"] = points;
            out.append(d);
        }
        return out;
    }

    // The snapshot in the Prometheus text format (OpenMetrics 1.0 when asked).
    std::string prometheus(bool openmetrics) const {
        char *text = nullptr;
        size_t len = 0;
        int err = 0;
        {
            py::gil_scoped_release nogil;
            beyla_metrics *m = beyla_tracer_metrics(t_);
            if (m)
                text = beyla_metrics_prometheus_dup(
                    m, openmetrics ? BEYLA_PROM_OPENMETRICS : BEYLA_PROM_TEXT_0_0_4, &len);
            err = errno;
            beyla_metrics_free(m);
        }
        if (!text) raise_errno(err, err == ENOTSUP ? "metrics are off (Tracer(metrics=True))" : "prometheus");
        std::string s(text, len);
        beyla_metrics_text_free(text);
        return s;
    }

    py::dict stats() const {
        beyla_stats s{};
        s.sz = sizeof(s);
        int err = beyla_tracer_stats(t_, &s);
        if (err) raise_errno(err, "stats");
        py::dict d;
        d["events"] = s.events;
        d["bytes"] = s.bytes;
        d["spans"] = s.spans;
        d["parse_errors"] = s.parse_errors;
        d["drop_ring_full"] = s.drop_ring_full;
        d["drop_perf_lost"] = s.drop_perf_lost;
        d["drop_read_fault"] = s.drop_read_fault;
        d["drop_conn_limit"] = s.drop_conn_limit;
        d["truncated"] = s.truncated;
        d["unmatched"] = s.unmatched;
        d["connections"] = s.connections;
        d["non_http"] = s.non_http;
        d["processes"] = s.processes;
        d["malformed"] = s.malformed;
        d["incomplete"] = s.incomplete;
        d["tls_undecoded"] = s.tls_undecoded;
        d["gaps"] = s.gaps;
        d["gap_bytes"] = s.gap_bytes;
        d["unknown_protocol"] = s.unknown_protocol;
        // Protocol-specific counters ("http2.fields_unknown"...), by name.
        for (size_t i = 0;; i++) {
            const char *name = nullptr;
            uint64_t value = 0;
            if (beyla_tracer_counter(t_, i, &name, &value) != 0) break;
            d[name] = value;
        }
        return d;
    }

  private:
    static void collect(const beyla_span *s, void *ctx) {
        // No GIL here: copy now, convert after poll returns.
        auto *self = static_cast<Tracer *>(ctx);
        if (beyla_span *c = beyla_span_copy(s)) self->pending_.push_back(c);
    }

    beyla_tracer *t_ = nullptr;
    std::vector<int32_t> pids_;
    std::vector<uint16_t> ports_;
    std::vector<std::string> exe_;
    std::vector<std::string> unix_;
    std::vector<const char *> unix_paths_;
    std::vector<const char *> globs_;
    std::vector<std::string> protocols_;
    std::vector<const char *> protocol_names_;
    std::string replay_, record_, btf_path_;
    py::object on_span_;
    std::vector<beyla_span *> pending_;
    bool done_ = false;
};

// Yields spans as they arrive until the deadline passes.
class SpanIterator {
  public:
    SpanIterator(Tracer &t, std::chrono::steady_clock::time_point deadline) : t_(t), deadline_(deadline) {}
    py::object next() {
        while (buf_.empty()) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline_ - std::chrono::steady_clock::now());
            if (t_.done() || left.count() <= 0) throw py::stop_iteration();
            py::list got = t_.poll(static_cast<int>(std::min<long long>(left.count(), 100)));
            for (auto s : got) buf_.push_back(py::reinterpret_borrow<py::object>(s));
            if (PyErr_CheckSignals() != 0) throw py::error_already_set();
        }
        py::object s = buf_.front();
        buf_.pop_front();
        return s;
    }

  private:
    Tracer &t_;
    std::chrono::steady_clock::time_point deadline_;
    std::deque<py::object> buf_;
};

} // namespace

void bind_tracer(py::module_ &m) {
    py::class_<SpanIterator>(m, "SpanIterator")
        .def(
            "__iter__", [](SpanIterator &it) -> SpanIterator & { return it; },
            py::return_value_policy::reference)
        .def("__next__", &SpanIterator::next);
    py::class_<Tracer>(m, "Tracer", R"doc(
Traces request spans of selected processes.

    with pybeyla.Tracer(pids=[1234], ports=[8080], exe=["nginx"]) as t:
        for span in t.spans(timeout=5.0):
            print(span["http.request.method"], span["url.path"])

Spans are dicts keyed like `beyla trace --format jsonl`. With on_span=callable the
callable receives each span during poll()/spans(). The GIL is released while waiting.
btf_path="file.btf" makes the probes' CO-RE relocations use that BTF file instead of
the kernel's own (start() raises OSError naming it when it is missing or not BTF).
metrics=True (or a dict of options: duration_buckets, size_buckets, exponential,
max_series, route_mode, segment_cardinality, attributes, service_name) aggregates RED
metrics from the spans; routes=["/users/{id}"] gives http.route patterns (and turns
metrics on). metrics() and prometheus() read them, from any thread. unix=["/run/app.sock"]
selects the processes listening on those unix socket paths at start.
)doc")
        .def(py::init<std::vector<int32_t>, std::vector<uint16_t>, std::vector<std::string>, std::string,
                      uint32_t, uint32_t, bool, std::optional<std::string>, std::optional<std::string>,
                      py::object, bool, bool, std::vector<std::string>, std::optional<std::string>,
                      py::object, std::vector<std::string>, bool, std::vector<std::string>>(),
             py::kw_only(), py::arg("pids") = std::vector<int32_t>{},
             py::arg("ports") = std::vector<uint16_t>{}, py::arg("exe") = std::vector<std::string>{},
             py::arg("transport") = "auto", py::arg("payload_prefix") = 0, py::arg("ring_size") = 0,
             py::arg("url_query") = false, py::arg("replay") = py::none(), py::arg("record") = py::none(),
             py::arg("on_span") = py::none(), py::arg("log") = false, py::arg("tls") = true,
             py::arg("protocols") = std::vector<std::string>{}, py::arg("btf_path") = py::none(),
             py::arg("metrics") = false, py::arg("routes") = std::vector<std::string>{},
             py::arg("db_query_raw") = false, py::arg("unix") = std::vector<std::string>{})
        .def("start", &Tracer::start)
        .def("stop", &Tracer::stop)
        .def("poll", &Tracer::poll, py::arg("timeout_ms") = 100,
             "Wait up to timeout_ms; return the spans decoded.")
        .def("stats", &Tracer::stats)
        .def("metrics", &Tracer::metrics,
             "The RED metrics so far (cumulative): a list of metrics, each with its points.")
        .def("prometheus", &Tracer::prometheus, py::arg("openmetrics") = false,
             "The metrics in the Prometheus text format 0.0.4 (OpenMetrics 1.0 with openmetrics=True).")
        .def("tls_libraries", &Tracer::tls_libraries,
             "TLS libraries probed so far (unless tls=False): kind, path, functions, pids.")
        .def(
            "spans",
            [](Tracer &t, double timeout) {
                return SpanIterator(t, std::chrono::steady_clock::now() +
                                           std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                               std::chrono::duration<double>(timeout)));
            },
            py::arg("timeout") = 1.0, py::keep_alive<0, 1>(),
            "Iterate over spans as they are decoded, for `timeout` seconds (or until a replay ends).")
        .def(
            "__enter__",
            [](Tracer &t) -> Tracer & {
                t.start();
                return t;
            },
            py::return_value_policy::reference)
        .def("__exit__", [](Tracer &t, py::object, py::object, py::object) {
            t.stop();
            return false;
        });
}
