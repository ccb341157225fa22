#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/reorder_buffer.h"

using beyla::ReorderBuffer;

namespace {
std::vector<std::string> release(ReorderBuffer &rb, uint64_t cutoff) {
    std::vector<std::string> out;
    rb.release(cutoff, [&](const void *d, size_t n) { out.emplace_back(static_cast<const char *>(d), n); });
    return out;
}
} // namespace

TEST_CASE("reorder buffer releases in time order up to the cutoff", "[reorder]") {
    ReorderBuffer rb;
    rb.push("c", 1, 30);
    rb.push("a", 1, 10);
    rb.push("late", 4, 100);
    rb.push("b", 1, 20);
    CHECK(release(rb, 30) == std::vector<std::string>{"a", "b", "c"});
    CHECK(rb.size() == 1);
    // An event that arrives later but happened earlier than what is held goes first.
    rb.push("early", 5, 50);
    CHECK(release(rb, 60) == std::vector<std::string>{"early"});
    CHECK(release(rb, UINT64_MAX) == std::vector<std::string>{"late"});
    CHECK(rb.size() == 0);
}

TEST_CASE("reorder buffer keeps arrival order for equal timestamps", "[reorder]") {
    ReorderBuffer rb;
    for (char c = 'a'; c <= 'e'; c++) rb.push(&c, 1, 7);
    CHECK(release(rb, 7) == std::vector<std::string>{"a", "b", "c", "d", "e"});
}
