// Offline decode throughput. Hidden: run with `beyla_unit_tests '[.bench]'` on a
// release build.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

#include "protocols/http1/stitcher.h"

using namespace beyla::http1;

namespace {

// CPU time of this thread: other work on the machine does not count against us.
double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

DataChunk chunk(std::string_view s, uint64_t ts) {
    return DataChunk{ts, ts + 1, {reinterpret_cast<const uint8_t *>(s.data()), s.size()}, s.size()};
}

} // namespace

TEST_CASE("http1 decode throughput", "[.bench][http1]") {
    const std::string req = "GET /api/v1/orders/12345?expand=items&currency=EUR HTTP/1.1\r\n"
                            "Host: orders.internal.example.com:8080\r\n"
                            "User-Agent: Go-http-client/1.1\r\n"
                            "Accept: application/json\r\n"
                            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abcdefghijklmnop\r\n"
                            "X-Request-Id: 7f8e9d0c-1b2a-3c4d-5e6f-708192a3b4c5\r\n"
                            "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n"
                            "Accept-Encoding: gzip\r\n\r\n";
    const std::string resp = "HTTP/1.1 200 OK\r\n"
                             "Content-Type: application/json\r\n"
                             "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
                             "Content-Length: 64\r\n\r\n" +
                             std::string(64, 'j');
    constexpr int kSpans = 1000000;
    Connection conn(Role::kServer);
    uint64_t spans = 0, ts = 1;
    int64_t body = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = thread_cpu_seconds();
    for (int i = 0; i < kSpans; i++) {
        conn.add(Direction::kIngress, chunk(req, ts));
        conn.add(Direction::kEgress, chunk(resp, ts + 10));
        ts += 20;
        conn.drain([&](Record &&r) {
            spans++;
            body += r.resp.body_size;
        });
    }
    const double cpu = thread_cpu_seconds() - c0;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE(spans == kSpans);
    CHECK(body == int64_t{64} * kSpans);
    std::printf("http1: %d spans, %.3f s cpu (%.3f s wall) = %.2f M spans/s/core (%.0f ns/span, %.0f MB/s)\n",
                kSpans, cpu, secs, kSpans / cpu / 1e6, cpu * 1e9 / kSpans,
                kSpans * double(req.size() + resp.size()) / cpu / 1e6);
}
