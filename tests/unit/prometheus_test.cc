// Prometheus exposition: names by OpenTelemetry's compatibility rules, label escaping, and
// whole expositions against golden files (tests/data/prometheus/).
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>

#include "export/prometheus.h"
#include "metrics/aggregator.h"
#include "metrics_span_util.h"

using namespace beyla;
using namespace beyla::exporter;
using namespace beyla::test;

namespace {

std::string read_file(const std::string &path) {
    std::ifstream f(path);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// Compares with the golden file; BEYLA_UPDATE_GOLDEN=1 rewrites it instead.
void check_golden(const std::string &got, const char *name) {
    std::string path = std::string(BEYLA_TEST_DATA) + "/prometheus/" + name;
    if (getenv("BEYLA_UPDATE_GOLDEN")) std::ofstream(path) << got;
    CHECK(got == read_file(path));
}

metrics::Snapshot sample(bool exponential) {
    metrics::MetricsConfig c;
    c.host_name = "host1";
    c.proc_root = "/nonexistent";
    c.exponential = exponential;
    c.exp_max_buckets = 8;
    c.max_series = 3;
    metrics::Aggregator a(c);
    const uint64_t t0 = 1'700'000'000'000'000'000ULL;
    auto rec = [&](HandSpan s) { a.record(s.get()); };
    rec(http_server(10, "GET", "/users/1", 200, 5'000'000, 612, t0));
    rec(http_server(10, "GET", "/users/2", 200, 120'000'000, 612, t0));
    rec(http_server(10, "POST", "/say \"hi\"\\now", 500, 2'500'000'000, 0, t0));
    rec(http_server(11, "GET", "/a", 404, 1'000, 10, t0));
    rec(http_server(11, "GET", "/b", 404, 1'000, 10, t0)); // the cap: overflow
    HandSpan g(BEYLA_PROTO_GRPC, BEYLA_SPAN_CLIENT, 12, "client", t0, t0 + 30'000'000);
    g.str("rpc.system", "grpc")
        .str("rpc.service", "svc.Echo")
        .str("rpc.method", "Echo")
        .num("rpc.grpc.status_code", 14);
    g.str("error.type", "14");
    rec(std::move(g));
    return a.snapshot(t0 + 10'000'000'000ULL);
}

} // namespace

TEST_CASE("prometheus names: units as suffixes, _total for counters, invalid characters",
          "[export][prometheus]") {
    CHECK(prometheus_metric_name("http.server.request.duration", "s") ==
          "http_server_request_duration_seconds");
    CHECK(prometheus_metric_name("http.server.request.body.size", "By") ==
          "http_server_request_body_size_bytes");
    CHECK(prometheus_metric_name("rpc.server.duration_seconds", "s") == "rpc_server_duration_seconds");
    CHECK(prometheus_metric_name("http.server.requests", "{request}", true) == "http_server_requests_total");
    CHECK(prometheus_metric_name("system.cpu.utilization", "1") == "system_cpu_utilization");
    CHECK(prometheus_metric_name("net.io", "By/s") == "net_io_bytes_per_second");
    CHECK(prometheus_metric_name("a..b-c", "") == "a_b_c");
    CHECK(prometheus_label_name("http.request.method") == "http_request_method");
    CHECK(prometheus_label_name("0day") == "_0day");
    std::string v;
    append_label_value(v, "a\"b\\c\nd");
    CHECK(v == "a\\\"b\\\\c\\nd");
}

TEST_CASE("prometheus text 0.0.4 exposition (golden)", "[export][prometheus]") {
    std::string out;
    to_prometheus(sample(false), PromFormat::kText004, out);
    check_golden(out, "explicit.prom");
}

TEST_CASE("OpenMetrics 1.0 exposition (golden)", "[export][prometheus]") {
    std::string out;
    to_prometheus(sample(false), PromFormat::kOpenMetrics1, out);
    CHECK(out.size() > 6);
    CHECK(out.substr(out.size() - 6) == "# EOF\n");
    check_golden(out, "explicit.om.txt");
}

TEST_CASE("exponential histograms as classic buckets (golden)", "[export][prometheus]") {
    std::string out;
    to_prometheus(sample(true), PromFormat::kText004, out);
    check_golden(out, "exponential.prom");
}
