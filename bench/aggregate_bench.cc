// Cost of RED metrics aggregation per span (Aggregator::record), alone: spans shaped like
// the span builder's HTTP server spans (13 attributes), over a mix of methods, statuses and
// paths with identifiers (so routes, the series lookup and three histograms all work), fed
// round-robin from a prepared set. Prints one JSON line: ns per span on the thread's CPU
// clock, best of --rounds.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "metrics/aggregator.h"

namespace {

double thread_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Prepared {
    std::vector<std::string> strs; // storage for the attribute strings
    std::vector<beyla_attr> attrs;
    beyla_span span{};
};

} // namespace

int main(int argc, char **argv) {
    size_t spans = 2'000'000, distinct = 4096, rounds = 5;
    const char *mode = "heuristic";
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--spans")
            spans = strtoull(argv[i + 1], nullptr, 10);
        else if (a == "--distinct")
            distinct = strtoull(argv[i + 1], nullptr, 10);
        else if (a == "--rounds")
            rounds = strtoull(argv[i + 1], nullptr, 10);
        else if (a == "--route-mode")
            mode = argv[i + 1];
        else {
            fprintf(stderr, "usage: beyla_aggregate_bench [--spans N] [--distinct N] [--rounds N] "
                            "[--route-mode heuristic|low-cardinality|patterns-only]\n");
            return 2;
        }
    }
    if (!spans || !distinct || !rounds) return 2;
    static const char *methods[] = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
    static const int statuses[] = {200, 200, 200, 200, 201, 204, 404, 500};
    static const char *bases[] = {"/api/users/", "/api/orders/", "/static/img/", "/v1/items/", "/health"};
    std::vector<Prepared> set(distinct);
    for (size_t i = 0; i < distinct; i++) {
        Prepared &p = set[i];
        const char *base = bases[i % 5];
        std::string path = base;
        if (i % 5 != 4) path += std::to_string(1000 + i * 7919 % 100000) + (i % 3 ? "/detail" : "");
        p.strs = {methods[i % 6], path, "http", "10.0.0.1", "10.0.0.2", "1.1"};
        const int status = statuses[i % 8];
        p.attrs = {
            {"http.request.method", BEYLA_ATTR_STRING, nullptr, 0},
            {"url.path", BEYLA_ATTR_STRING, nullptr, 0},
            {"url.scheme", BEYLA_ATTR_STRING, nullptr, 0},
            {"http.response.status_code", BEYLA_ATTR_INT, nullptr, status},
            {"server.address", BEYLA_ATTR_STRING, nullptr, 0},
            {"server.port", BEYLA_ATTR_INT, nullptr, 8080},
            {"client.address", BEYLA_ATTR_STRING, nullptr, 0},
            {"client.port", BEYLA_ATTR_INT, nullptr, static_cast<int64_t>(40000 + i % 20000)},
            {"network.protocol.version", BEYLA_ATTR_STRING, nullptr, 0},
            {"http.request.body.size", BEYLA_ATTR_INT, nullptr, static_cast<int64_t>(i % 4 ? 0 : 512)},
            {"http.response.body.size", BEYLA_ATTR_INT, nullptr, static_cast<int64_t>(100 + i % 5000)},
        };
        const size_t str_of[] = {0, 1, 2, SIZE_MAX, 3, SIZE_MAX, 4, SIZE_MAX, 5, SIZE_MAX, SIZE_MAX};
        for (size_t k = 0; k < p.attrs.size(); k++)
            if (str_of[k] != SIZE_MAX) p.attrs[k].str = p.strs[str_of[k]].c_str();
        beyla_span &s = p.span;
        s.sz = sizeof s;
        s.kind = BEYLA_SPAN_SERVER;
        s.protocol = BEYLA_PROTO_HTTP1;
        s.pid = 4242;
        s.tid = 4242;
        s.exe = "nginx";
        s.start_time_unix_nano = 1'700'000'000'000'000'000ull + i * 1000;
        s.end_time_unix_nano = s.start_time_unix_nano + 200'000 + (i * 104729) % 50'000'000;
        s.method = p.strs[0].c_str();
        s.path = p.strs[1].c_str();
        s.status = status;
        s.attr_count = p.attrs.size();
        s.attrs = p.attrs.data();
    }
    double best = 1e30;
    size_t series = 0;
    for (size_t r = 0; r < rounds; r++) {
        beyla::metrics::MetricsConfig cfg;
        cfg.host_name = "bench";
        cfg.service_name = "bench"; // no /proc lookups
        std::string m = mode;
        cfg.routes.mode = m == "low-cardinality" ? beyla::metrics::RouteMode::kLowCardinality
                          : m == "patterns-only" ? beyla::metrics::RouteMode::kPatternsOnly
                                                 : beyla::metrics::RouteMode::kHeuristic;
        beyla::metrics::Aggregator agg(cfg);
        // Warm: every series exists, as in a steady state.
        for (const Prepared &p : set) agg.record(p.span);
        const double t0 = thread_cpu_s();
        for (size_t i = 0; i < spans; i++) agg.record(set[i % distinct].span);
        const double ns = (thread_cpu_s() - t0) * 1e9 / static_cast<double>(spans);
        if (ns < best) best = ns;
        series = agg.series_count();
    }
    printf(
        "{\"ns_per_span\": %.1f, \"spans\": %zu, \"distinct_spans\": %zu, \"series\": %zu, \"route_mode\": "
        "\"%s\"}\n",
        best, spans, distinct, series, mode);
    return 0;
}
