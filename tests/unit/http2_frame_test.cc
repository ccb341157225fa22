// HTTP/2 frame headers, their plausibility, and inference from a connection's first bytes.
#include <catch2/catch.hpp>

#include <algorithm>

#include "http2_frames.h"
#include "protocols/http2/frame.h"
#include "protocols/http2/inference.h"
#include "protocols/http2/protocol.h"
#include "protocols/registry.h"

using namespace beyla;
using namespace beyla::http2;
using namespace beyla::test::h2;
using protocols::Inference;

namespace {

std::span<const uint8_t> sp(const std::string &s) {
    return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}

} // namespace

TEST_CASE("http2: frame header fields", "[http2][frame]") {
    const std::string f = frame(0x1, 0x25, 0x80000003, "abc");
    const FrameHeader h = read_frame_header(sp(f).data());
    CHECK(h.length == 3);
    CHECK(h.kind() == FrameType::kHeaders);
    CHECK(h.has(flags::kEndHeaders));
    CHECK(h.has(flags::kPriority));
    CHECK(h.has(flags::kEndStream));
    CHECK(h.stream_id == 3);
    CHECK(h.reserved);
    CHECK_FALSE(plausible_frame(h));
}

TEST_CASE("http2: plausible frames by type", "[http2][frame]") {
    auto ok = [](const std::string &f) { return plausible_frame(read_frame_header(sp(f).data())); };
    CHECK(ok(settings({{1, 4096}})));
    CHECK(ok(settings_ack()));
    CHECK_FALSE(ok(frame(0x4, 0x1, 0, "123456"))); // ACK with a payload
    CHECK_FALSE(ok(frame(0x4, 0, 1, "")));         // SETTINGS on a stream
    CHECK_FALSE(ok(frame(0x4, 0, 0, "12345")));    // not a multiple of 6
    CHECK(ok(ping()));
    CHECK_FALSE(ok(frame(0x6, 0, 0, "1234")));
    CHECK(ok(goaway(1, 0)));
    CHECK_FALSE(ok(frame(0x7, 0, 3, u32(1) + u32(0))));
    CHECK(ok(data(1, "x")));
    CHECK_FALSE(ok(data(0, "x")));
    CHECK_FALSE(ok(frame(0x0, 0x4, 1, "x"))); // END_HEADERS on DATA
    CHECK(ok(headers(1, "x")));
    CHECK_FALSE(ok(headers(0, "x")));
    CHECK(ok(rst(1, 8)));
    CHECK_FALSE(ok(frame(0x3, 0, 1, "123")));
    CHECK(ok(priority(3)));
    CHECK(ok(window_update(0, 1)));
    CHECK(ok(frame(0x9, 0x4, 1, "x")));
    CHECK(ok(push_promise(1, 2, "x")));
    CHECK_FALSE(ok(frame(0x0a, 0, 0, "")));
}

TEST_CASE("http2: inference", "[http2][inference]") {
    const std::string pre = preface();
    CHECK(infer(sp(pre)) == Inference::kYes);
    CHECK(infer(sp(pre + settings())) == Inference::kYes);
    for (size_t n = 1; n < pre.size(); n++) CHECK(infer(sp(pre.substr(0, n))) == Inference::kNeedMore);
    // A server's first bytes.
    CHECK(infer(sp(settings({{3, 100}}))) == Inference::kYes);
    CHECK(infer(sp(settings() + window_update(0, 1000))) == Inference::kYes);
    // Joined late: a chain of frames, or one that ends the capture exactly.
    CHECK(infer(sp(headers(5, "abc") + data(5, "x"))) == Inference::kYes);
    CHECK(infer(sp(data(5, "hello", true))) == Inference::kYes);
    // A frame whose payload runs past the head: the next header cannot be checked yet.
    CHECK(infer(sp(data(5, std::string(100, 'x')).substr(0, 50))) == Inference::kNeedMore);
    // Never from one byte, or a short head.
    CHECK(infer(sp(std::string(1, '\0'))) == Inference::kNeedMore);
    CHECK(infer(sp(std::string(8, '\0'))) == Inference::kNeedMore);
    // HTTP/1, TLS, random bytes.
    CHECK(infer(sp("GET / HTTP/1.1\r\nHost: a\r\n\r\n")) == Inference::kNo);
    CHECK(infer(sp("HTTP/1.1 200 OK\r\n\r\n")) == Inference::kNo);
    CHECK(infer(sp("PRI * HTTP/1.1\r\n")) == Inference::kNo);
    CHECK(infer(sp(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11))) == Inference::kNo);
    CHECK(infer(sp(std::string("\x17\x03\x03\x00\x40xxxxxxxxxxxx", 17))) == Inference::kNo);
    CHECK(infer(sp(headers(5, "abc") + "garbage-after-it")) == Inference::kNo);
    uint32_t x = 12345;
    int yes = 0;
    for (int round = 0; round < 10000; round++) {
        std::string r;
        for (int i = 0; i < 64; i++) {
            x = x * 1103515245 + 12345;
            r += static_cast<char>(x >> 16);
        }
        yes += infer(sp(r)) == Inference::kYes;
    }
    CHECK(yes == 0);
}

TEST_CASE("http2: registry entry", "[http2][inference]") {
    const protocols::Protocol &p = http2::protocol();
    CHECK(p.name() == "http2");
    REQUIRE(p.also_serves().size() == 1);
    CHECK(p.also_serves()[0] == "grpc");
    auto names = protocols::registry_names();
    REQUIRE(names.size() >= 3);
    CHECK(names[0] == "http2");
    CHECK(names[1] == "grpc");
    CHECK(std::find(names.begin(), names.end(), "http") != names.end());
    CHECK(protocols::registry()[0] == &p);
    CHECK(protocols::find_protocol("http2") == &p);
    CHECK(protocols::protocol_enabled(p, protocols::ProtocolSet({"grpc"})));
    CHECK_FALSE(protocols::protocol_enabled(p, protocols::ProtocolSet({"http"})));
}
