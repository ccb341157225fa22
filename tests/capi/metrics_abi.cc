// RED metrics through the C ABI: options (bounds, routes, cap, exponential), snapshots
// with their points, Prometheus text into a buffer or a malloc'd string, older callers'
// shorter structs, and snapshots taken on another thread while the tracer polls.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <beyla/beyla.h>

#include "../unit/event_builder.h"
#include "recording_file.h"

namespace {

struct Req {
    std::string path;
    int status;
};

// Each request on its own fd, so each is one exchange of one connection.
std::string recording(const char *name, const std::vector<Req> &reqs) {
    using namespace beyla::test;
    std::vector<std::vector<uint8_t>> ev;
    uint64_t ts = 1000;
    int fd = 5;
    for (const Req &r : reqs) {
        ev.push_back(data_event(77, fd, 0x10 + fd, BEYLA_DIR_INGRESS, ts += 1000,
                                "GET " + r.path + " HTTP/1.1\r\nHost: x\r\n\r\n"));
        ev.push_back(data_event(77, fd, 0x10 + fd, BEYLA_DIR_EGRESS, ts += 2'000'000,
                                "HTTP/1.1 " + std::to_string(r.status) + " X\r\nContent-Length: 0\r\n\r\n"));
        fd++;
    }
    return write_recording(name, ev);
}

beyla_tracer *replay(const std::string &rec, const beyla_metrics_opts *m) {
    beyla_tracer_opts o{};
    o.sz = sizeof(o);
    o.replay_path = rec.c_str();
    o.metrics = m;
    beyla_tracer *t = beyla_tracer_new(&o);
    REQUIRE(t);
    REQUIRE(beyla_tracer_start(t) == 0);
    while (beyla_tracer_poll(t, 0) != -ENODATA) {
    }
    return t;
}

const beyla_attr *find(const beyla_attr *a, size_t n, const char *key) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(a[i].key, key)) return &a[i];
    return nullptr;
}

// Index of the named metric in a snapshot, -1 when absent.
long metric_index(const beyla_metrics *m, const char *name) {
    for (size_t i = 0; i < beyla_metrics_count(m); i++) {
        beyla_metric met{};
        met.sz = sizeof(met);
        REQUIRE(beyla_metrics_metric(m, i, &met) == 0);
        if (!strcmp(met.name, name)) return static_cast<long>(i);
    }
    return -1;
}

uint64_t counter(beyla_tracer *t, const char *name) {
    for (size_t i = 0;; i++) {
        const char *n = nullptr;
        uint64_t v = 0;
        if (beyla_tracer_counter(t, i, &n, &v) != 0) return 0;
        if (!strcmp(n, name)) return v;
    }
}

} // namespace

TEST_CASE("metrics: points per route and status with the caller's bounds", "[capi][metrics]") {
    std::vector<Req> reqs;
    for (int i = 0; i < 30; i++) reqs.push_back({"/users/" + std::to_string(100 + i), 200});
    for (int i = 0; i < 10; i++) reqs.push_back({"/health", 503});
    std::string rec = recording("metrics-routes.rec", reqs);
    const double bounds[] = {0.001, 0.01, 0.1};
    const char *pats[] = {"/users/{id}"};
    beyla_metrics_opts mo{};
    mo.sz = sizeof(mo);
    mo.duration_bounds = bounds;
    mo.duration_bound_count = 3;
    mo.route_patterns = pats;
    mo.route_pattern_count = 1;
    beyla_tracer *t = replay(rec, &mo);
    unlink(rec.c_str());

    beyla_metrics *m = beyla_tracer_metrics(t);
    REQUIRE(m);
    CHECK(beyla_metrics_time(m) > 0);
    long mi = metric_index(m, "http.server.request.duration");
    REQUIRE(mi >= 0);
    beyla_metric met{};
    met.sz = sizeof(met);
    REQUIRE(beyla_metrics_metric(m, mi, &met) == 0);
    CHECK(std::string(met.unit) == "s");
    CHECK(met.kind == BEYLA_METRIC_HISTOGRAM);
    REQUIRE(met.bound_count == 3);
    CHECK(met.bounds[0] == 0.001);
    CHECK(met.bounds[2] == 0.1);
    std::map<std::string, uint64_t> by_route;
    uint64_t total = 0;
    for (size_t p = 0; p < met.point_count; p++) {
        beyla_metric_point pt{};
        pt.sz = sizeof(pt);
        REQUIRE(beyla_metrics_point(m, mi, p, &pt) == 0);
        const beyla_attr *route = find(pt.attrs, pt.attr_count, "http.route");
        const beyla_attr *status = find(pt.attrs, pt.attr_count, "http.response.status_code");
        REQUIRE(route);
        REQUIRE(status);
        CHECK(status->type == BEYLA_ATTR_INT);
        by_route[std::string(route->str) + " " + std::to_string(status->num)] += pt.count;
        total += pt.count;
        REQUIRE(pt.bucket_count == 4);
        uint64_t in_buckets = 0;
        for (size_t b = 0; b < pt.bucket_count; b++) in_buckets += pt.bucket_counts[b];
        CHECK(in_buckets == pt.count);
        // Every request took 2 ms: all in (0.001, 0.01].
        CHECK(pt.bucket_counts[1] == pt.count);
        CHECK(pt.sum == Approx(pt.count * 0.002).epsilon(0.01));
        CHECK(pt.start_time_unix_nano > 0);
        CHECK(pt.start_time_unix_nano <= pt.time_unix_nano);
        REQUIRE(pt.resource_attr_count > 0);
        const beyla_attr *svc = find(pt.resource_attrs, pt.resource_attr_count, "service.name");
        REQUIRE(svc);
        CHECK(strlen(svc->str) > 0);
    }
    CHECK(total == 40);
    CHECK(by_route["/users/{id} 200"] == 30);
    CHECK(by_route["/health 503"] == 10);
    CHECK(beyla_metrics_metric(m, beyla_metrics_count(m), &met) == -ENOENT);
    CHECK(beyla_metrics_point(m, mi, met.point_count, nullptr) == -EINVAL);
    beyla_metric_point pt{};
    pt.sz = sizeof(pt);
    CHECK(beyla_metrics_point(m, mi, met.point_count, &pt) == -ENOENT);
    beyla_metrics_free(m);
    beyla_tracer_free(t);
}

TEST_CASE("metrics: Prometheus text into a buffer and as a malloc'd string", "[capi][metrics][prometheus]") {
    std::string rec = recording("metrics-prom.rec", {{"/a", 200}, {"/a", 200}, {"/b", 404}});
    beyla_metrics_opts mo{};
    mo.sz = sizeof(mo);
    beyla_tracer *t = replay(rec, &mo);
    unlink(rec.c_str());
    beyla_metrics *m = beyla_tracer_metrics(t);
    REQUIRE(m);
    for (int fmt : {BEYLA_PROM_TEXT_0_0_4, BEYLA_PROM_OPENMETRICS}) {
        int n = beyla_metrics_prometheus(m, fmt, nullptr, 0);
        REQUIRE(n > 0);
        std::string buf(static_cast<size_t>(n) + 1, '\xff');
        REQUIRE(beyla_metrics_prometheus(m, fmt, buf.data(), buf.size()) == n);
        CHECK(buf[n] == 0);
        std::string text(buf.data(), n);
        CHECK(text.find("# TYPE http_server_request_duration_seconds histogram") != std::string::npos);
        CHECK(text.find("http_server_request_duration_seconds_count{") != std::string::npos);
        CHECK(text.find("http_route=\"/a\"") != std::string::npos);
        CHECK((fmt == BEYLA_PROM_OPENMETRICS) == (text.find("# EOF") != std::string::npos));
        size_t len = 0;
        char *dup = beyla_metrics_prometheus_dup(m, fmt, &len);
        REQUIRE(dup);
        CHECK(len == static_cast<size_t>(n));
        CHECK(std::string(dup) == text);
        beyla_metrics_text_free(dup);
        // A small buffer gets a NUL-terminated prefix, and the full length back.
        char small[16];
        memset(small, 'x', sizeof small);
        CHECK(beyla_metrics_prometheus(m, fmt, small, sizeof small) == n);
        CHECK(small[15] == 0);
        CHECK(std::string(small) == text.substr(0, 15));
    }
    CHECK(std::string(beyla_prom_content_type(BEYLA_PROM_TEXT_0_0_4)).find("version=0.0.4") != std::string::npos);
    CHECK(std::string(beyla_prom_content_type(BEYLA_PROM_OPENMETRICS)).find("openmetrics") != std::string::npos);
    CHECK(beyla_prom_content_type(7) == nullptr);
    CHECK(beyla_metrics_prometheus(m, 7, nullptr, 0) == -EINVAL);
    CHECK(beyla_metrics_prometheus(nullptr, 0, nullptr, 0) == -EINVAL);
    char b[4];
    CHECK(beyla_metrics_prometheus(m, 0, nullptr, sizeof b) == -EINVAL);
    errno = 0;
    CHECK(beyla_metrics_prometheus_dup(m, 9, nullptr) == nullptr);
    CHECK(errno == EINVAL);
    beyla_metrics_free(m);
    beyla_tracer_free(t);
}

TEST_CASE("metrics: the series cap keeps random paths to max_series plus overflow", "[capi][metrics][cap]") {
    std::vector<Req> reqs;
    // Words, not identifiers: the heuristic keeps them, so only the cap bounds them.
    for (int i = 0; i < 60; i++) reqs.push_back({"/p" + std::string(1, 'a' + i % 26) + std::string(1, 'a' + i / 26), 200});
    std::string rec = recording("metrics-cap.rec", reqs);
    beyla_metrics_opts mo{};
    mo.sz = sizeof(mo);
    mo.max_series = 8;
    beyla_tracer *t = replay(rec, &mo);
    unlink(rec.c_str());
    beyla_metrics *m = beyla_tracer_metrics(t);
    REQUIRE(m);
    long mi = metric_index(m, "http.server.request.duration");
    REQUIRE(mi >= 0);
    beyla_metric met{};
    met.sz = sizeof(met);
    REQUIRE(beyla_metrics_metric(m, mi, &met) == 0);
    CHECK(met.point_count == 9);
    uint64_t total = 0, overflow = 0;
    for (size_t p = 0; p < met.point_count; p++) {
        beyla_metric_point pt{};
        pt.sz = sizeof(pt);
        REQUIRE(beyla_metrics_point(m, mi, p, &pt) == 0);
        total += pt.count;
        if (const beyla_attr *o = find(pt.attrs, pt.attr_count, "otel.metric.overflow")) {
            CHECK(o->type == BEYLA_ATTR_BOOL);
            CHECK(o->num == 1);
            overflow += pt.count;
        }
    }
    CHECK(total == 60);
    CHECK(overflow == 52);
    CHECK(counter(t, "metrics.overflow") == 52);
    beyla_metrics_free(m);
    beyla_tracer_free(t);
}

TEST_CASE("metrics: exponential histograms", "[capi][metrics][exp]") {
    std::string rec = recording("metrics-exp.rec", {{"/a", 200}, {"/a", 200}, {"/a", 200}});
    beyla_metrics_opts mo{};
    mo.sz = sizeof(mo);
    mo.exponential = true;
    beyla_tracer *t = replay(rec, &mo);
    unlink(rec.c_str());
    beyla_metrics *m = beyla_tracer_metrics(t);
    REQUIRE(m);
    long mi = metric_index(m, "http.server.request.duration");
    REQUIRE(mi >= 0);
    beyla_metric met{};
    met.sz = sizeof(met);
    REQUIRE(beyla_metrics_metric(m, mi, &met) == 0);
    CHECK(met.kind == BEYLA_METRIC_EXPONENTIAL_HISTOGRAM);
    CHECK(met.bound_count == 0);
    REQUIRE(met.point_count == 1);
    beyla_metric_point pt{};
    pt.sz = sizeof(pt);
    REQUIRE(beyla_metrics_point(m, mi, 0, &pt) == 0);
    uint64_t n = pt.zero_count;
    for (size_t i = 0; i < pt.positive_count; i++) n += pt.positive[i];
    CHECK(pt.count == 3);
    CHECK(n == 3);
    CHECK(pt.bucket_count == 0);
    beyla_metrics_free(m);
    beyla_tracer_free(t);
}

TEST_CASE("metrics: bad options fail tracer_new with EINVAL and a message", "[capi][metrics]") {
    auto refuse = [](const beyla_metrics_opts &mo) {
        beyla_tracer_opts o{};
        o.sz = sizeof(o);
        o.replay_path = "/nonexistent";
        o.metrics = &mo;
        errno = 0;
        beyla_tracer *t = beyla_tracer_new(&o);
        CHECK(t == nullptr);
        CHECK(errno == EINVAL);
        beyla_tracer_free(t);
    };
    const double down[] = {1, 0.5};
    beyla_metrics_opts mo{};
    mo.sz = sizeof(mo);
    mo.duration_bounds = down;
    mo.duration_bound_count = 2;
    refuse(mo);
    mo = {};
    mo.sz = sizeof(mo);
    mo.duration_bound_count = 2; // NULL array
    refuse(mo);
    const char *bad[] = {"users/{id}"};
    mo = {};
    mo.sz = sizeof(mo);
    mo.route_patterns = bad;
    mo.route_pattern_count = 1;
    refuse(mo);
    mo = {};
    mo.sz = sizeof(mo);
    mo.route_mode = 9;
    refuse(mo);
    mo = {};
    mo.sz = sizeof(mo);
    mo.optional_attrs = 1u << 20;
    refuse(mo);
    mo = {};
    mo.sz = 4; // smaller than sz itself
    refuse(mo);
    // A caller newer than this build, asking for something it lacks.
    struct {
        beyla_metrics_opts o;
        uint64_t more;
    } newer{};
    newer.o.sz = sizeof(newer);
    newer.more = 1;
    refuse(newer.o);
}

TEST_CASE("metrics: older callers' shorter structs", "[capi][metrics][compat]") {
    std::string rec = recording("metrics-old.rec", {{"/a", 200}});
    // Tracer options from before 0.3: whatever follows them in memory is not read.
    struct {
        beyla_tracer_opts o;
    } buf;
    memset(&buf, 0xAB, sizeof buf);
    memset(&buf.o, 0, offsetof(beyla_tracer_opts, metrics));
    buf.o.sz = offsetof(beyla_tracer_opts, metrics);
    buf.o.replay_path = rec.c_str();
    beyla_tracer *t = beyla_tracer_new(&buf.o);
    REQUIRE(t);
    REQUIRE(beyla_tracer_start(t) == 0);
    while (beyla_tracer_poll(t, 0) != -ENODATA) {
    }
    errno = 0;
    CHECK(beyla_tracer_metrics(t) == nullptr);
    CHECK(errno == ENOTSUP);
    beyla_tracer_free(t);

    // Metrics options ending before `exponential`: the rest take their defaults.
    beyla_metrics_opts mo;
    memset(&mo, 0xAB, sizeof mo);
    mo.sz = offsetof(beyla_metrics_opts, exponential);
    mo.duration_bounds = nullptr;
    mo.duration_bound_count = 0;
    mo.size_bounds = nullptr;
    mo.size_bound_count = 0;
    t = replay(rec, &mo);
    unlink(rec.c_str());
    beyla_metrics *m = beyla_tracer_metrics(t);
    REQUIRE(m);
    long mi = metric_index(m, "http.server.request.duration");
    REQUIRE(mi >= 0);
    beyla_metric met{};
    met.sz = sizeof(met);
    REQUIRE(beyla_metrics_metric(m, mi, &met) == 0);
    CHECK(met.kind == BEYLA_METRIC_HISTOGRAM);
    CHECK(met.bound_count == 15); // OpenTelemetry's defaults

    // A point struct ending after count is written only that far.
    std::vector<unsigned char> raw(sizeof(beyla_metric_point), 0xCD);
    auto *pt = reinterpret_cast<beyla_metric_point *>(raw.data());
    const size_t short_sz = offsetof(beyla_metric_point, sum);
    pt->sz = short_sz;
    REQUIRE(beyla_metrics_point(m, mi, 0, pt) == 0);
    CHECK(pt->count == 1);
    for (size_t i = short_sz; i < raw.size(); i++) REQUIRE(raw[i] == 0xCD);
    beyla_metrics_free(m);
    beyla_tracer_free(t);
}

TEST_CASE("metrics: snapshots on another thread while the tracer polls", "[capi][metrics][threads]") {
    std::vector<Req> reqs;
    for (int i = 0; i < 2000; i++) reqs.push_back({"/r" + std::to_string(i % 7), 200 + (i % 3)});
    std::string rec = recording("metrics-threads.rec", reqs);
    beyla_metrics_opts mo{};
    mo.sz = sizeof(mo);
    beyla_tracer_opts o{};
    o.sz = sizeof(o);
    o.replay_path = rec.c_str();
    o.metrics = &mo;
    beyla_tracer *t = beyla_tracer_new(&o);
    REQUIRE(t);
    REQUIRE(beyla_tracer_start(t) == 0);
    std::atomic<bool> done{false};
    std::atomic<int> snaps{0}, bad{0};
    std::thread reader([&] {
        uint64_t last = 0;
        while (!done.load()) {
            beyla_metrics *m = beyla_tracer_metrics(t);
            if (!m) {
                bad++;
                continue;
            }
            char *text = beyla_metrics_prometheus_dup(m, BEYLA_PROM_TEXT_0_0_4, nullptr);
            if (!text) bad++;
            beyla_metrics_text_free(text);
            uint64_t n = 0;
            long mi = -1;
            for (size_t i = 0; i < beyla_metrics_count(m); i++) {
                beyla_metric met{};
                met.sz = sizeof(met);
                beyla_metrics_metric(m, i, &met);
                if (!strcmp(met.name, "http.server.request.duration")) mi = static_cast<long>(i);
            }
            if (mi >= 0) {
                beyla_metric met{};
                met.sz = sizeof(met);
                beyla_metrics_metric(m, mi, &met);
                for (size_t p = 0; p < met.point_count; p++) {
                    beyla_metric_point pt{};
                    pt.sz = sizeof(pt);
                    beyla_metrics_point(m, mi, p, &pt);
                    n += pt.count;
                }
            }
            if (n < last) bad++; // cumulative: never goes back
            last = n;
            beyla_metrics_free(m);
            snaps++;
        }
    });
    while (beyla_tracer_poll(t, 0) != -ENODATA) {
    }
    done = true;
    reader.join();
    unlink(rec.c_str());
    CHECK(bad == 0);
    CHECK(snaps > 0);
    beyla_metrics *m = beyla_tracer_metrics(t);
    REQUIRE(m);
    char *text = beyla_metrics_prometheus_dup(m, BEYLA_PROM_TEXT_0_0_4, nullptr);
    REQUIRE(text);
    CHECK(std::string(text).find("http_route=\"/r6\"") != std::string::npos);
    beyla_metrics_text_free(text);
    beyla_metrics_free(m);
    beyla_tracer_free(t);
}
