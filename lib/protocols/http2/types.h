// HTTP/2 wire constants (RFC 9113) shared by the frame parser, the connection and the tests.
#pragma once

#include <cstdint>
#include <string_view>

namespace beyla::http2 {

// The client connection preface (RFC 9113 §3.4).
inline constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
inline constexpr size_t kFrameHeaderSize = 9;
// The largest length a frame header can carry (2^24 - 1).
inline constexpr uint32_t kMaxFrameLength = (1u << 24) - 1;
inline constexpr uint32_t kDefaultHeaderTableSize = 4096;

enum class FrameType : uint8_t {
    kData = 0x0,
    kHeaders = 0x1,
    kPriority = 0x2,
    kRstStream = 0x3,
    kSettings = 0x4,
    kPushPromise = 0x5,
    kPing = 0x6,
    kGoaway = 0x7,
    kWindowUpdate = 0x8,
    kContinuation = 0x9,
};
inline constexpr uint8_t kLastKnownType = 0x9;

namespace flags {
inline constexpr uint8_t kEndStream = 0x1;  // DATA, HEADERS
inline constexpr uint8_t kAck = 0x1;        // SETTINGS, PING
inline constexpr uint8_t kEndHeaders = 0x4; // HEADERS, PUSH_PROMISE, CONTINUATION
inline constexpr uint8_t kPadded = 0x8;     // DATA, HEADERS, PUSH_PROMISE
inline constexpr uint8_t kPriority = 0x20;  // HEADERS
} // namespace flags

enum class Setting : uint16_t {
    kHeaderTableSize = 0x1,
    kEnablePush = 0x2,
    kMaxConcurrentStreams = 0x3,
    kInitialWindowSize = 0x4,
    kMaxFrameSize = 0x5,
    kMaxHeaderListSize = 0x6,
};

// RST_STREAM / GOAWAY error codes (RFC 9113 §7); names as the RFC spells them.
inline std::string_view error_code_name(uint32_t code) {
    static constexpr std::string_view kNames[] = {
        "NO_ERROR",
        "PROTOCOL_ERROR",
        "INTERNAL_ERROR",
        "FLOW_CONTROL_ERROR",
        "SETTINGS_TIMEOUT",
        "STREAM_CLOSED",
        "FRAME_SIZE_ERROR",
        "REFUSED_STREAM",
        "CANCEL",
        "COMPRESSION_ERROR",
        "CONNECT_ERROR",
        "ENHANCE_YOUR_CALM",
        "INADEQUATE_SECURITY",
        "HTTP_1_1_REQUIRED",
    };
    // Unknown codes must not widen error.type's cardinality.
    return code < std::size(kNames) ? kNames[code] : "UNKNOWN_ERROR";
}

} // namespace beyla::http2
