// The 9-byte HTTP/2 frame header, and how plausible a byte sequence is as one: used by
// inference (a connection joined mid-way) and by resynchronisation after framing was lost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "protocols/http2/types.h"

namespace beyla::http2 {

struct FrameHeader {
    uint32_t length = 0;
    uint8_t type = 0;
    uint8_t flags = 0;
    uint32_t stream_id = 0; // reserved bit cleared
    bool reserved = false;  // the reserved bit was set (peers must not)

    FrameType kind() const { return static_cast<FrameType>(type); }
    bool has(uint8_t f) const { return (flags & f) != 0; }
};

// Reads a frame header from at least kFrameHeaderSize bytes.
FrameHeader read_frame_header(const uint8_t *p);

// Whether h can be a frame a conforming peer sends: a known type, no flags outside the
// type's set, the stream-id rule of the type and its fixed payload length, if any.
// max_length bounds the payload (SETTINGS_MAX_FRAME_SIZE may raise it up to 2^24 - 1).
bool plausible_frame(const FrameHeader &h, uint32_t max_length = kMaxFrameLength);

enum class Plausibility : uint8_t { kNo, kYes, kMaybe };

// Whether head starts a chain of frames: the first header is plausible and either its
// frame ends exactly at the end of head or the next frame's header is plausible too.
// kMaybe: a prefix that is still plausible but too short to tell (never kYes on fewer
// than kFrameHeaderSize bytes).
Plausibility plausible_frames(std::span<const uint8_t> head, uint32_t max_length = kMaxFrameLength);

// Big-endian reads.
inline uint32_t read_u32(const uint8_t *p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
inline uint16_t read_u16(const uint8_t *p) {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

} // namespace beyla::http2
