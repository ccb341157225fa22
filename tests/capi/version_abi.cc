// Version, error strings and ring sizing through the shared library.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include <beyla/beyla.h>

TEST_CASE("version: numbers match the header and the string", "[version]") {
    CHECK(beyla_version_major() == BEYLA_VERSION_MAJOR);
    CHECK(beyla_version_minor() == BEYLA_VERSION_MINOR);
    CHECK(beyla_version_patch() == BEYLA_VERSION_PATCH);
    std::string expect = std::to_string(beyla_version_major()) + "." + std::to_string(beyla_version_minor()) +
                         "." + std::to_string(beyla_version_patch());
    REQUIRE(beyla_version_string());
    CHECK(std::string(beyla_version_string()) == expect);
}

TEST_CASE("strerror: either sign, bad arguments, truncation", "[version]") {
    char a[128], b[128];
    REQUIRE(beyla_strerror(EPERM, a, sizeof(a)) == 0);
    REQUIRE(beyla_strerror(-EPERM, b, sizeof(b)) == 0);
    CHECK(std::string(a) == b);
    CHECK(std::string(a) == strerror(EPERM));
    REQUIRE(beyla_strerror(-ENOENT, a, sizeof(a)) == 0);
    CHECK(std::string(a) == strerror(ENOENT));
    REQUIRE(beyla_strerror(0, a, sizeof(a)) == 0);
    CHECK(strlen(a) > 0);

    CHECK(beyla_strerror(EPERM, nullptr, 16) == -EINVAL);
    CHECK(beyla_strerror(EPERM, a, 0) == -EINVAL);

    char tiny[5];
    memset(tiny, 'x', sizeof(tiny));
    REQUIRE(beyla_strerror(EPERM, tiny, sizeof(tiny)) == 0);
    CHECK(tiny[4] == '\0');
    CHECK(std::string(tiny) == std::string(strerror(EPERM)).substr(0, 4));
}

TEST_CASE("ring sizes for 4K, 16K and 64K pages", "[version][ring]") {
    // 4K pages.
    CHECK(beyla_ring_size_for_page(0, 4096) == 4096);
    CHECK(beyla_ring_size_for_page(1, 4096) == 4096);
    CHECK(beyla_ring_size_for_page(4096, 4096) == 4096);
    CHECK(beyla_ring_size_for_page(4097, 4096) == 8192);
    CHECK(beyla_ring_size_for_page(8u << 20, 4096) == 8u << 20);
    CHECK(beyla_ring_size_for_page(3000000, 4096) == 4194304);
    // 16K pages: a 4K request is one 16K page.
    CHECK(beyla_ring_size_for_page(0, 16384) == 16384);
    CHECK(beyla_ring_size_for_page(4096, 16384) == 16384);
    CHECK(beyla_ring_size_for_page(16385, 16384) == 32768);
    CHECK(beyla_ring_size_for_page(100000, 16384) == 131072);
    CHECK(beyla_ring_size_for_page(8u << 20, 16384) == 8u << 20);
    // 64K pages.
    CHECK(beyla_ring_size_for_page(0, 65536) == 65536);
    CHECK(beyla_ring_size_for_page(4096, 65536) == 65536);
    CHECK(beyla_ring_size_for_page(65537, 65536) == 131072);
    CHECK(beyla_ring_size_for_page((8u << 20) - 1, 65536) == 8u << 20);
    // Huge values and bad page sizes.
    CHECK(beyla_ring_size_for_page(UINT64_C(1) << 63, 4096) == UINT64_C(1) << 63);
    CHECK(beyla_ring_size_for_page((UINT64_C(1) << 63) + 1, 4096) == 0);
    CHECK(beyla_ring_size_for_page(UINT64_MAX, 65536) == 0);
    CHECK(beyla_ring_size_for_page(4096, 0) == 0);
    CHECK(beyla_ring_size_for_page(4096, 12288) == 0);
    CHECK(beyla_ring_size_for_page(4096, UINT64_C(1) << 63) == UINT64_C(1) << 63);
}
