#include <catch2/catch.hpp>

#include <deque>
#include <string>
#include <string_view>

#include "protocols/common/parse_loop.h"

using beyla::protocols::DataChunk;
using beyla::protocols::DataStream;
using beyla::protocols::FrameTag;
using beyla::protocols::MessageType;
using beyla::protocols::ParseState;
using beyla::protocols::ParseStats;

// A toy protocol for the loop: "<digit>:<that many bytes>". "0:" is a keep-alive that
// is consumed but produces no frame.
namespace toy {

struct Frame {
    std::string payload;
};

ParseState ParseFrame(MessageType, DataStream &s, Frame *f) {
    auto h = s.head();
    if (h.empty()) return ParseState::kInvalid;
    if (h[0] < '0' || h[0] > '9') return ParseState::kInvalid;
    if (h.size() < 2) return ParseState::kNeedsMoreData;
    if (h[1] != ':') return ParseState::kInvalid;
    const size_t n = static_cast<size_t>(h[0] - '0');
    if (h.size() < 2 + n) return ParseState::kNeedsMoreData;
    if (n == 0) {
        s.consume(2);
        return ParseState::kIgnored;
    }
    f->payload.assign(reinterpret_cast<const char *>(h.data()) + 2, n);
    s.consume(2 + n);
    return ParseState::kSuccess;
}

bool FindFrameBoundary(FrameTag<Frame>, MessageType, std::span<const uint8_t> head) {
    return !head.empty() && ((head[0] >= '0' && head[0] <= '9') || head[0] == '#');
}

// Stateful variant: "S" stops the stream; a frame consumed in pieces reports frame_start.
struct State {
    uint64_t frame_start = 0;
    uint64_t pending = 0; // bytes still to skip of a "#<digit>" frame
    int calls = 0;
};

ParseState ParseFrame(MessageType, DataStream &s, Frame *f, State *st) {
    st->calls++;
    if (st->pending == 0) {
        auto h = s.head();
        if (h.empty()) return ParseState::kInvalid;
        if (h[0] == 'S') return ParseState::kEndOfStream;
        if (h[0] != '#') return ParseState::kInvalid;
        if (h.size() < 2) return ParseState::kNeedsMoreData;
        if (h[1] < '1' || h[1] > '9') return ParseState::kInvalid;
        st->frame_start = s.position();
        st->pending = static_cast<uint64_t>(h[1] - '0');
        s.consume(2);
    }
    // Payload bytes are consumed as they come; 'X' or '#' inside one is a framing error.
    while (st->pending && !s.empty()) {
        auto h = s.head();
        if (h.empty() || h[0] == 'X' || h[0] == '#') {
            st->pending = 0;
            return ParseState::kInvalid;
        }
        f->payload.push_back(static_cast<char>(h[0]));
        s.consume(1);
        st->pending--;
    }
    if (st->pending) return ParseState::kNeedsMoreData;
    f->payload = "done";
    return ParseState::kSuccess;
}

} // namespace toy

namespace {

DataChunk chunk(std::string_view s) {
    return DataChunk{0, 0, {reinterpret_cast<const uint8_t *>(s.data()), s.size()}, s.size()};
}

} // namespace

TEST_CASE("parse loop reads every frame in a chunk", "[parse_loop]") {
    DataStream s;
    s.append(chunk("3:abc1:x0:2:yz"));
    std::deque<toy::Frame> out;
    ParseStats st;
    auto r = beyla::protocols::parse_frames(MessageType::kRequest, s, &out, &st);
    CHECK(r == ParseState::kSuccess); // the last result before the stream ran dry
    REQUIRE(out.size() == 3);
    CHECK(out[0].payload == "abc");
    CHECK(out[1].payload == "x");
    CHECK(out[2].payload == "yz");
    CHECK(st.frames == 3);
    CHECK(st.ignored == 1);
    CHECK(st.invalid == 0);
    CHECK(s.empty());
}

TEST_CASE("parse loop waits on a partial frame", "[parse_loop]") {
    DataStream s;
    std::deque<toy::Frame> out;
    ParseStats st;
    s.append(chunk("5:ab"));
    CHECK(beyla::protocols::parse_frames(MessageType::kRequest, s, &out, &st) == ParseState::kNeedsMoreData);
    CHECK(out.empty());
    CHECK(s.available() == 4); // nothing consumed
    s.append(chunk("cde"));
    beyla::protocols::parse_frames(MessageType::kRequest, s, &out, &st);
    REQUIRE(out.size() == 1);
    CHECK(out[0].payload == "abcde");
}

TEST_CASE("parse loop resyncs at the next chunk where a frame can start", "[parse_loop]") {
    DataStream s;
    s.append(chunk("1:a??garbage")); // valid frame, then junk in the same chunk
    s.append(chunk("more junk"));    // a chunk that cannot start a frame
    s.append(chunk("2:ok"));
    std::deque<toy::Frame> out;
    ParseStats st;
    beyla::protocols::parse_frames(MessageType::kRequest, s, &out, &st);
    REQUIRE(out.size() == 2);
    CHECK(out[0].payload == "a");
    CHECK(out[1].payload == "ok");
    CHECK(st.invalid == 1);
    CHECK(st.bytes_skipped == std::string_view("??garbage").size() + std::string_view("more junk").size());
    CHECK(s.empty());
}

TEST_CASE("parse loop drops everything when no boundary follows", "[parse_loop]") {
    DataStream s;
    s.append(chunk("zzz"));
    std::deque<toy::Frame> out;
    ParseStats st;
    beyla::protocols::parse_frames(MessageType::kRequest, s, &out, &st);
    CHECK(out.empty());
    CHECK(st.invalid == 1);
    CHECK(st.bytes_skipped == 3);
    CHECK(s.empty());
    // The next chunk starts clean.
    s.append(chunk("1:q"));
    beyla::protocols::parse_frames(MessageType::kRequest, s, &out, &st);
    REQUIRE(out.size() == 1);
    CHECK(out[0].payload == "q");
}

TEST_CASE("parse loop skips gap-only chunks while resyncing", "[parse_loop]") {
    DataStream s;
    s.append(chunk("x"));
    s.append(DataChunk{0, 0, {}, 100});
    s.append(chunk("1:z"));
    std::deque<toy::Frame> out;
    ParseStats st;
    beyla::protocols::parse_frames(MessageType::kRequest, s, &out, &st);
    REQUIRE(out.size() == 1);
    CHECK(out[0].payload == "z");
    CHECK(st.bytes_skipped == 101);
}

TEST_CASE("parse loop with state counts a failed frame from its start", "[parse_loop]") {
    DataStream s;
    toy::State state;
    std::deque<toy::Frame> out;
    ParseStats st;
    s.append(chunk("#5ab"));
    CHECK(beyla::protocols::parse_frames(MessageType::kRequest, s, &out, &st, &state) ==
          ParseState::kNeedsMoreData);
    CHECK(s.empty()); // consumed into the state
    s.append(chunk("cXe"));
    s.append(chunk("#2hi"));
    beyla::protocols::parse_frames(MessageType::kRequest, s, &out, &st, &state);
    REQUIRE(out.size() == 1);
    CHECK(out[0].payload == "done");
    CHECK(st.invalid == 1);
    // "#5abc" consumed before the failure plus "Xe" skipped to the next chunk.
    CHECK(st.bytes_skipped == 7);
}

TEST_CASE("parse loop resumes right at a boundary reached by a failed frame", "[parse_loop]") {
    DataStream s;
    toy::State state;
    std::deque<toy::Frame> out;
    ParseStats st;
    s.append(chunk("#3a"));
    s.append(chunk("#1z")); // the first frame is cut short by a chunk that starts a new one
    beyla::protocols::parse_frames(MessageType::kRequest, s, &out, &st, &state);
    REQUIRE(out.size() == 1);
    CHECK(out[0].payload == "done");
    CHECK(st.invalid == 1);
    CHECK(st.bytes_skipped == 3); // "#3a" only
    CHECK(s.empty());
}

TEST_CASE("parse loop stops at end of stream", "[parse_loop]") {
    DataStream s;
    toy::State state;
    std::deque<toy::Frame> out;
    ParseStats st;
    s.append(chunk("#1aS#1b"));
    CHECK(beyla::protocols::parse_frames(MessageType::kRequest, s, &out, &st, &state) ==
          ParseState::kEndOfStream);
    CHECK(out.size() == 1);
    CHECK(s.available() == 4);
    CHECK(st.invalid == 0);
}
