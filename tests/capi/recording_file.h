// Recordings for the C ABI tests, written in the documented format without the core's
// (hidden) writer: header, then u32 length + event.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace {

std::string write_recording(const char *name, const std::vector<std::vector<uint8_t>> &events) {
    std::string path = std::string("/tmp/beyla-capi-") + std::to_string(getpid()) + "-" + name;
    FILE *f = fopen(path.c_str(), "wb");
    REQUIRE(f);
    struct {
        char magic[8];
        uint32_t version, reserved;
        int64_t offset;
    } h = {{'B', 'E', 'Y', 'L', 'A', 'R', 'E', 'C'}, 2, 0, 0}; // 2: events in today's layout
    fwrite(&h, sizeof(h), 1, f);
    for (auto &e : events) {
        uint32_t len = static_cast<uint32_t>(e.size());
        fwrite(&len, sizeof(len), 1, f);
        fwrite(e.data(), 1, e.size(), f);
    }
    fclose(f);
    return path;
}

} // namespace
