// Perf buffer sizing: a power of two pages per CPU, within the requested total.
#include <catch2/catch.hpp>

#include "source/ring_size.h"

using beyla::perf_pages_per_cpu;

TEST_CASE("perf buffer pages per CPU", "[ring_size]") {
    // 8 MiB over 2 CPUs of 4 KiB pages: 4 MiB each.
    CHECK(perf_pages_per_cpu(8ull << 20, 2, 4096) == 1024);
    // Not a power of two per CPU: rounded down, so the total stays within the request.
    CHECK(perf_pages_per_cpu(8ull << 20, 3, 4096) == 512);
    CHECK(perf_pages_per_cpu(8ull << 20, 6, 4096) == 256);
    // 64 KiB pages.
    CHECK(perf_pages_per_cpu(8ull << 20, 2, 65536) == 64);
    // At least one page, whatever the request.
    CHECK(perf_pages_per_cpu(0, 4, 4096) == 1);
    CHECK(perf_pages_per_cpu(4096, 64, 4096) == 1);
    // No CPUs counted: treated as one.
    CHECK(perf_pages_per_cpu(16384, 0, 4096) == 4);
    // A page size that is not a power of two.
    CHECK(perf_pages_per_cpu(8ull << 20, 2, 0) == 0);
    CHECK(perf_pages_per_cpu(8ull << 20, 2, 3000) == 0);
}

TEST_CASE("ring buffer size for the page size, as the source uses it", "[ring_size]") {
    CHECK(beyla::ring_size_for_page(8ull << 20, 4096) == (8ull << 20));
    CHECK(beyla::ring_size_for_page(5000000, 4096) == (8ull << 20));
    CHECK(beyla::ring_size_for_page(1, 65536) == 65536);
    CHECK(beyla::ring_size_for_page(1, 3000) == 0);
}
