// Aggregation of spans into RED metrics: groups by protocol and kind, series by attribute
// values, the series cap and its overflow series, service identity.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "common/error.h"
#include "metrics/aggregator.h"
#include "metrics_span_util.h"
#include "replay_util.h"

using namespace beyla;
using namespace beyla::metrics;
using namespace beyla::test;

namespace {

const Metric *find(const Snapshot &s, const std::string &name) {
    for (const auto &m : s.metrics)
        if (m.name == name) return &m;
    return nullptr;
}

const Attr *attr(const Point &p, const std::string &key) {
    for (const auto &a : p.attrs)
        if (a.key == key) return &a;
    return nullptr;
}

uint64_t total(const Metric &m) {
    uint64_t n = 0;
    for (const auto &p : m.points) n += p.count;
    return n;
}

MetricsConfig test_config() {
    MetricsConfig c;
    c.host_name = "host1";
    c.proc_root = "/nonexistent";
    return c;
}

} // namespace

TEST_CASE("http server spans: one series per route, bucket bounds, body sizes", "[metrics][aggregator]") {
    Aggregator a(test_config());
    for (int i = 1; i <= 3; i++) {
        auto s =
            http_server(100, "GET", "/users/" + std::to_string(i), 200, 5'000'000, 612); // exactly 0.005 s
        a.record(s.get());
    }
    auto other = http_server(100, "BREW", "/pot", 418, 2'000'000'000);
    a.record(other.get());
    Snapshot snap = a.snapshot(42);
    const Metric *d = find(snap, "http.server.request.duration");
    REQUIRE(d);
    CHECK(d->unit == "s");
    CHECK(d->kind == MetricKind::kHistogram);
    REQUIRE(d->points.size() == 2);
    const Point &p = d->points[0];
    CHECK(p.count == 3);
    CHECK(p.sum == Approx(0.015));
    CHECK(p.time_unix_nano == 42);
    REQUIRE(attr(p, "http.route"));
    CHECK(attr(p, "http.route")->str == "/users/*");
    CHECK(attr(p, "http.request.method")->str == "GET");
    CHECK(attr(p, "http.response.status_code")->num == 200);
    CHECK(attr(p, "url.path") == nullptr);       // off by default
    CHECK(attr(p, "server.address") == nullptr); // off by default
    CHECK(attr(p, "client.address") == nullptr);
    // 0.005 is the second bound: its bucket (0, 0.005] holds all three.
    REQUIRE(d->bounds.size() == 15);
    CHECK(d->bounds[1] == 0.005);
    CHECK(p.bucket_counts[1] == 3);
    CHECK(p.bucket_counts[0] == 0);
    CHECK(attr(d->points[1], "http.request.method")->str == "_OTHER");
    const Metric *body = find(snap, "http.server.response.body.size");
    REQUIRE(body);
    CHECK(body->unit == "By");
    REQUIRE(body->points.size() == 1); // the BREW span had no body size
    CHECK(body->points[0].sum == 3 * 612);
    CHECK(find(snap, "http.server.request.body.size") == nullptr);
    // The resource: service.name falls back to the executable.
    REQUIRE(snap.resources.size() == 1);
    CHECK(snap.resources[0][0].key == "service.name");
    CHECK(snap.resources[0][0].str == "nginx");
    CHECK(snap.resources[0][1].str == "host1:100");
    CHECK(p.resource == 0);
}

TEST_CASE("optional attributes: url.path and addresses when asked for", "[metrics][aggregator]") {
    MetricsConfig c = test_config();
    c.optional_attrs = kAttrUrlPath | kAttrServerAddress;
    Aggregator a(c);
    auto s = http_server(1, "GET", "/users/7", 200, 1000);
    a.record(s.get());
    Snapshot snap = a.snapshot(1);
    const Point &p = find(snap, "http.server.request.duration")->points.at(0);
    CHECK(attr(p, "url.path")->str == "/users/7");
    CHECK(attr(p, "server.address")->str == "127.0.0.1");
    CHECK(attr(p, "server.port")->num == 8080);
    CHECK(attr(p, "client.address") == nullptr);
}

TEST_CASE("the series cap sends new series to one overflow series, counted", "[metrics][aggregator][cap]") {
    MetricsConfig c = test_config();
    c.max_series = 5;
    protocols::NamedCounters counters;
    Aggregator a(c, &counters);
    for (int i = 0; i < 20; i++) {
        auto s = http_server(1, "GET", "/p" + std::string(1, char('a' + i)), 200, 1000);
        a.record(s.get());
    }
    // A known series still gets its spans after the cap is reached.
    auto again = http_server(1, "GET", "/pa", 200, 1000);
    a.record(again.get());
    Snapshot snap = a.snapshot(1);
    const Metric *d = find(snap, "http.server.request.duration");
    REQUIRE(d);
    CHECK(d->points.size() == 6);
    CHECK(total(*d) == 21);
    const Point *overflow = nullptr;
    for (const auto &p : d->points)
        if (attr(p, "otel.metric.overflow")) overflow = &p;
    REQUIRE(overflow);
    CHECK(overflow->attrs.size() == 1);
    CHECK(overflow->attrs[0].type == Attr::kBool);
    CHECK(overflow->count == 15);
    CHECK(a.overflowed() == 15);
    CHECK(counters.get("metrics.overflow") == 15);
    CHECK(d->points[0].count == 2);
}

TEST_CASE("service.name from OTEL_SERVICE_NAME in the process's environment", "[metrics][service]") {
    std::string root = temp_path("proc");
    mkdir(root.c_str(), 0755);
    mkdir((root + "/321").c_str(), 0755);
    mkdir((root + "/322").c_str(), 0755);
    {
        FILE *f = fopen((root + "/321/environ").c_str(), "wb");
        const char env[] = "PATH=/bin\0OTEL_SERVICE_NAME=checkout\0HOME=/root";
        fwrite(env, 1, sizeof env, f);
        fclose(f);
        f = fopen((root + "/322/environ").c_str(), "wb");
        const char env2[] = "OTEL_RESOURCE_ATTRIBUTES=deployment.environment=prod,service.name=cart";
        fwrite(env2, 1, sizeof env2, f);
        fclose(f);
    }
    ServiceResolver r(root, "h");
    uint32_t a = r.resource_for(321, "java");
    uint32_t b = r.resource_for(322, "node");
    uint32_t c = r.resource_for(323, "python3");
    CHECK(r.resource_for(321, "java") == a); // cached
    CHECK(r.resources()[a].service_name == "checkout");
    CHECK(r.resources()[b].service_name == "cart");
    CHECK(r.resources()[c].service_name == "python3");
    // An exec (or a reused pid) is another instance.
    uint32_t d = r.resource_for(321, "sh");
    CHECK(d != a);
    CHECK(r.resources()[d].instance_id == "h:321:2");
    CHECK(ServiceResolver::service_from_environ(std::string_view("OTEL_SERVICE_NAME=x\0", 20)) == "x");
    CHECK(ServiceResolver::service_from_environ("") == "");
    // A configured name wins over every process's own.
    ServiceResolver fixed(root, "h", "shop");
    CHECK(fixed.resources().empty());
    CHECK(fixed.resources()[fixed.resource_for(321, "java")].service_name == "shop");
    CHECK(fixed.resources()[fixed.resource_for(323, "python3")].service_name == "shop");
    for (auto p : {"/321/environ", "/322/environ"}) unlink((root + p).c_str());
    rmdir((root + "/321").c_str());
    rmdir((root + "/322").c_str());
    rmdir(root.c_str());
}

TEST_CASE("grpc and database spans feed their own metrics", "[metrics][aggregator]") {
    Aggregator a(test_config());
    HandSpan g(BEYLA_PROTO_GRPC, BEYLA_SPAN_SERVER, 5, "srv", 0, 3'000'000);
    g.str("rpc.system", "grpc").str("rpc.service", "helloworld.Greeter").str("rpc.method", "SayHello");
    g.num("rpc.grpc.status_code", 0).str("url.path", "/helloworld.Greeter/SayHello");
    a.record(g.get());
    HandSpan gc(BEYLA_PROTO_GRPC, BEYLA_SPAN_CLIENT, 5, "srv", 0, 1000);
    gc.str("rpc.system", "grpc");
    a.record(gc.get());
    HandSpan db(99, BEYLA_SPAN_CLIENT, 6, "app", 0, 1000);
    db.str("db.system.name", "postgresql")
        .str("db.operation.name", "SELECT")
        .str("db.collection.name", "users");
    a.record(db.get());
    HandSpan unknown(99, BEYLA_SPAN_SERVER, 6, "app", 0, 1000); // no row: not recorded
    a.record(unknown.get());
    Snapshot snap = a.snapshot(1);
    const Metric *rpc = find(snap, "rpc.server.call.duration");
    REQUIRE(rpc);
    CHECK(attr(rpc->points[0], "rpc.method")->str == "SayHello");
    CHECK(attr(rpc->points[0], "rpc.grpc.status_code")->num == 0);
    CHECK(attr(rpc->points[0], "http.route") == nullptr);
    REQUIRE(find(snap, "rpc.client.call.duration"));
    const Metric *dbm = find(snap, "db.client.operation.duration");
    REQUIRE(dbm);
    CHECK(attr(dbm->points[0], "db.collection.name")->str == "users");
    CHECK(find(snap, "http.server.request.duration") == nullptr);
}

TEST_CASE("exponential histograms on request", "[metrics][aggregator][exp]") {
    MetricsConfig c = test_config();
    c.exponential = true;
    c.exp_max_buckets = 20;
    Aggregator a(c);
    for (uint64_t d : {1000ull, 1'000'000ull, 1'000'000'000ull}) {
        auto s = http_server(1, "GET", "/", 200, d, 0);
        a.record(s.get());
    }
    Snapshot snap = a.snapshot(1);
    const Metric *d = find(snap, "http.server.request.duration");
    REQUIRE(d);
    CHECK(d->kind == MetricKind::kExponentialHistogram);
    const Point &p = d->points[0];
    CHECK(p.count == 3);
    CHECK(p.positive.size() <= 20);
    CHECK(p.scale < 20);
    CHECK(find(snap, "http.server.response.body.size")->points[0].zero_count == 3);
}

TEST_CASE("bad metric options are refused with a message", "[metrics][aggregator]") {
    MetricsConfig c = test_config();
    c.duration_bounds = {0.1, 0.1};
    CHECK_THROWS_WITH(Aggregator(c), Catch::Contains("increase"));
    c.duration_bounds = {0.1, NAN};
    CHECK_THROWS_AS(Aggregator(c), Error);
    c = test_config();
    c.exp_max_buckets = 1;
    CHECK_THROWS_AS(Aggregator(c), Error);
}
