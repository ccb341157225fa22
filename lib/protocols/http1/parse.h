// HTTP/1.x framing (RFC 9112): start line, header fields, and the body length rules.
//
// Bodies are consumed as they arrive rather than buffered, so a large body costs no
// memory and may run through bytes that were never captured (gaps). Chunk-size lines and
// trailers must be captured: a gap there loses the framing. A head may run into a gap (its
// fields beyond the payload prefix were not copied): once its start line was captured the
// message still comes out, framed by what the captured fields and the true byte counts
// tell (see ParserState::cut_tail).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string_view>

#include "protocols/common/data_stream.h"
#include "protocols/common/parse_loop.h"
#include "protocols/http1/types.h"

namespace beyla::http1 {

using protocols::DataStream;
using protocols::ParseState;

inline constexpr size_t kMaxHeadBytes = 64 * 1024; // start line + fields + empty line
inline constexpr size_t kMaxChunkLine = 4096;      // chunk size + extensions
inline constexpr size_t kMaxMethodLen = 24;

// What the first bytes of a message could be.
enum class StartKind : uint8_t {
    kNotHttp,  // cannot start an HTTP/1 message
    kMaybe,    // a plausible prefix; more bytes needed to tell
    kRequest,  // "METHOD target..."
    kResponse, // "HTTP/1.x NNN..."
};
StartKind classify_start(std::span<const uint8_t> head);

// Body framing as declared by the header fields.
struct Framing {
    int64_t content_length = -1;
    bool transfer_encoding = false; // Transfer-Encoding present
    bool chunked = false;           // ... with chunked as its final coding
    bool upgrade = false;           // Upgrade present
    bool upgrade_h2c = false;       // ... offering h2c (HTTP/2 over cleartext)
};

// Parses the start line and header fields at the front of buf into *m and *f (both
// reset first). kSuccess sets *head_len to the bytes up to and including the empty line;
// kNeedsMoreData means no empty line yet and nothing invalid so far; kInvalid means it
// is not an HTTP/1 message of this type, or its head exceeds kMaxHeadBytes.
ParseState parse_head(MessageType type, std::string_view buf, Message *m, Framing *f, size_t *head_len);

// Parser state of one direction of a connection.
struct ParserState {
    // Set by the stitcher on the response stream: the requests the coming responses
    // answer, in order, the next one at index next_request. A response to HEAD has no
    // body whatever its headers say, and a 2xx to CONNECT opens a tunnel.
    const std::deque<Message> *requests = nullptr;
    size_t next_request = 0;
    // Parsing is stopped (ParseFrame returns kEndOfStream): on the request stream after
    // a request that may switch protocols (Upgrade, CONNECT) until its response shows
    // whether it did, and for good on the response stream after a switch.
    bool paused = false;

    // The message in progress.
    enum class Phase : uint8_t { kHead, kLength, kChunkSize, kChunkData, kChunkEnd, kTrailers, kUntilClose };
    Phase phase = Phase::kHead;
    uint64_t frame_start = 0; // stream position of its first byte
    uint64_t remaining = 0;   // body (kLength) or chunk (kChunkData) bytes still to come
    uint64_t trailer_bytes = 0;
    // A head arriving in small pieces: bytes at scan_pos already known not to end it, so
    // each new piece costs only its own bytes rather than a re-parse of the whole head.
    uint64_t scan_pos = 0;
    size_t scanned = 0;
    bool switches = false; // once complete, it stops the stream
    // After a message whose head ran into a gap, taken to end with the read that held the
    // gap: bytes that may still be its own (the rest of its head, a body that read did
    // not hold). They are skipped up to the first chunk where a message of this type
    // starts, and at most this many (kUnknownLength: no Content-Length was captured).
    // Not part of the frame: reset_frame() keeps it.
    static constexpr uint64_t kUnknownLength = ~uint64_t{0};
    uint64_t cut_tail = 0;
    // Whether msg.headers keeps the fields. Off, they are still checked and framing still
    // read from them: the tracer's spans use nothing else.
    bool keep_headers = true;
    Message msg;

    bool in_progress() const { return phase != Phase::kHead; }
    bool until_close() const { return phase == Phase::kUntilClose; }
    void reset_frame();
};

// Parses or continues one message at the head of s. Interim 1xx responses (not 101)
// are consumed and reported as kIgnored so they never pair with a request.
ParseState ParseFrame(MessageType type, DataStream &s, Message *out, ParserState *st);

// Whether an HTTP/1 message of this type may start at head[0].
bool FindFrameBoundary(protocols::FrameTag<Message>, MessageType type, std::span<const uint8_t> head);

// At connection close: completes a response whose body runs until the close. Returns
// false when no such response is in progress.
bool finish_at_close(ParserState *st, Message *out);

} // namespace beyla::http1
