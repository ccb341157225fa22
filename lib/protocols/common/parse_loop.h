// The protocol-independent frame loop: repeatedly asks a protocol to parse one frame at
// the head of a DataStream, and after an invalid frame skips ahead to a chunk boundary
// where a frame can plausibly start (syscalls usually carry whole messages, so a chunk
// start is the best resync point when framing is lost).
//
// A protocol plugs in through two functions found by argument-dependent lookup in the
// namespace of its Frame type:
//
//   ParseState ParseFrame(MessageType, DataStream &, Frame *);            // stateless
//   ParseState ParseFrame(MessageType, DataStream &, Frame *, State *);   // with state
//   bool FindFrameBoundary(FrameTag<Frame>, MessageType, std::span<const uint8_t> head);
//
// ParseFrame contract:
//   kSuccess       a frame was written to *frame and its bytes consumed;
//   kIgnored       bytes were consumed without producing a frame (e.g. an interim reply);
//   kNeedsMoreData nothing more can be done until more bytes arrive. A stateful parser
//                  may have consumed bytes it has accounted for in its State (body
//                  bytes); a stateless one must consume nothing;
//   kInvalid       the bytes do not frame. The parser resets its partial-frame state;
//                  it may have consumed some bytes (the loop skips the rest);
//   kEndOfStream   the stream no longer carries this protocol; stop.
// A State that consumes frames incrementally exposes `uint64_t frame_start` (stream
// position of the frame in progress) so that all of a failed frame's bytes are counted.
//
// FindFrameBoundary: whether a frame may begin at head[0]. head can be short (answer
// true when a prefix is still plausible) or empty (a gap: answer false).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <span>
#include <type_traits>
#include <utility>

#include "protocols/common/data_stream.h"

namespace beyla::protocols {

enum class MessageType : uint8_t { kRequest, kResponse };

enum class ParseState : uint8_t { kNeedsMoreData, kInvalid, kIgnored, kSuccess, kEndOfStream };

struct ParseStats {
    uint64_t frames = 0;        // frames produced
    uint64_t invalid = 0;       // invalid frames met
    uint64_t ignored = 0;       // kIgnored results
    uint64_t bytes_skipped = 0; // bytes thrown away because they did not frame
};

// Selects a protocol's FindFrameBoundary by its Frame type.
template <class Frame> struct FrameTag {};

namespace detail {

struct NoState {};

template <class Frame, class State>
ParseState call_parse_frame(MessageType type, DataStream &s, Frame *frame, State *state) {
    if constexpr (std::is_same_v<State, NoState>)
        return ParseFrame(type, s, frame);
    else
        return ParseFrame(type, s, frame, state);
}

template <class Frame> bool frame_can_start(MessageType type, const DataStream &s) {
    if (s.empty()) return false;
    const auto head = s.head();
    return !head.empty() && FindFrameBoundary(FrameTag<Frame>{}, type, head);
}

// After an invalid frame that began at frame_start: moves to the next chunk boundary
// where a frame can start, or to the end. Returns the bytes skipped.
template <class Frame> uint64_t resync(MessageType type, DataStream &s, uint64_t frame_start) {
    // The failed frame may have been consumed right up to a chunk that starts a new one.
    if (s.position() > frame_start && s.at_chunk_boundary() && frame_can_start<Frame>(type, s)) return 0;
    uint64_t skipped = 0;
    while (!s.empty()) {
        const uint64_t n = s.next_chunk_boundary() - s.position();
        s.consume(n);
        skipped += n;
        if (frame_can_start<Frame>(type, s)) break;
    }
    return skipped;
}

template <class Frame, class State>
ParseState parse_frames_impl(MessageType type, DataStream &s, std::deque<Frame> *out, ParseStats *stats,
                             State *state) {
    ParseState result = ParseState::kNeedsMoreData;
    while (!s.empty()) {
        const uint64_t before = s.position();
        Frame frame{};
        result = call_parse_frame(type, s, &frame, state);
        switch (result) {
        case ParseState::kSuccess:
            out->push_back(std::move(frame));
            stats->frames++;
            break;
        case ParseState::kIgnored:
            stats->ignored++;
            break;
        case ParseState::kNeedsMoreData:
        case ParseState::kEndOfStream:
            return result;
        case ParseState::kInvalid: {
            uint64_t start = before;
            if constexpr (requires { state->frame_start; }) start = std::min(start, state->frame_start);
            stats->invalid++;
            stats->bytes_skipped += s.position() - start;
            stats->bytes_skipped += resync<Frame>(type, s, start);
            continue;
        }
        }
        // A parser that reports progress without consuming would spin forever.
        if (s.position() == before) return result;
    }
    return result;
}

} // namespace detail

// Parses as many frames as the stream holds into *out. Returns the last ParseFrame
// result: kNeedsMoreData or kEndOfStream when the parser stopped the loop, otherwise
// whatever came last before the stream ran dry.
template <class Frame>
ParseState parse_frames(MessageType type, DataStream &s, std::deque<Frame> *out, ParseStats *stats) {
    detail::NoState none;
    return detail::parse_frames_impl(type, s, out, stats, &none);
}

template <class Frame, class State>
ParseState parse_frames(MessageType type, DataStream &s, std::deque<Frame> *out, ParseStats *stats,
                        State *state) {
    return detail::parse_frames_impl(type, s, out, stats, state);
}

} // namespace beyla::protocols
