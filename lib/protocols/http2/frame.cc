#include "protocols/http2/frame.h"

namespace beyla::http2 {

FrameHeader read_frame_header(const uint8_t *p) {
    FrameHeader h;
    h.length = (uint32_t(p[0]) << 16) | (uint32_t(p[1]) << 8) | p[2];
    h.type = p[3];
    h.flags = p[4];
    const uint32_t sid = read_u32(p + 5);
    h.reserved = (sid >> 31) != 0;
    h.stream_id = sid & 0x7fffffffu;
    return h;
}

bool plausible_frame(const FrameHeader &h, uint32_t max_length) {
    if (h.reserved || h.type > kLastKnownType || h.length > max_length) return false;
    const bool on_stream = h.stream_id != 0;
    switch (h.kind()) {
    case FrameType::kData:
        return on_stream && (h.flags & ~(flags::kEndStream | flags::kPadded)) == 0;
    case FrameType::kHeaders:
        return on_stream &&
               (h.flags & ~(flags::kEndStream | flags::kEndHeaders | flags::kPadded | flags::kPriority)) == 0;
    case FrameType::kPriority:
        return on_stream && h.length == 5 && h.flags == 0;
    case FrameType::kRstStream:
        return on_stream && h.length == 4 && h.flags == 0;
    case FrameType::kSettings:
        return !on_stream && (h.flags & ~flags::kAck) == 0 && h.length % 6 == 0 &&
               (!h.has(flags::kAck) || h.length == 0);
    case FrameType::kPushPromise:
        return on_stream && (h.flags & ~(flags::kEndHeaders | flags::kPadded)) == 0 && h.length >= 4;
    case FrameType::kPing:
        return !on_stream && h.length == 8 && (h.flags & ~flags::kAck) == 0;
    case FrameType::kGoaway:
        return !on_stream && h.length >= 8 && h.flags == 0;
    case FrameType::kWindowUpdate:
        return h.length == 4 && h.flags == 0;
    case FrameType::kContinuation:
        return on_stream && (h.flags & ~flags::kEndHeaders) == 0;
    }
    return false;
}

namespace {

// A header prefix shorter than kFrameHeaderSize: the fields it holds must be plausible.
bool plausible_prefix(std::span<const uint8_t> p) {
    if (p.size() >= 4 && p[3] > kLastKnownType) return false;
    if (p.size() >= 6 && (p[5] & 0x80)) return false;
    return true;
}

} // namespace

Plausibility plausible_frames(std::span<const uint8_t> head, uint32_t max_length) {
    if (head.size() < kFrameHeaderSize)
        return plausible_prefix(head) ? Plausibility::kMaybe : Plausibility::kNo;
    const FrameHeader h = read_frame_header(head.data());
    if (!plausible_frame(h, max_length)) return Plausibility::kNo;
    const uint64_t end = kFrameHeaderSize + uint64_t(h.length);
    if (end == head.size()) return Plausibility::kYes;
    if (end > head.size()) return Plausibility::kMaybe; // the next header is not here yet
    const auto next = head.subspan(static_cast<size_t>(end));
    if (next.size() < kFrameHeaderSize)
        return plausible_prefix(next) ? Plausibility::kMaybe : Plausibility::kNo;
    return plausible_frame(read_frame_header(next.data()), max_length) ? Plausibility::kYes
                                                                       : Plausibility::kNo;
}

} // namespace beyla::http2
