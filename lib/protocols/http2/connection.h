// One TCP connection seen as HTTP/2: both directions' byte streams in, one finished
// exchange per stream out.
//
// Each direction is framed on its own (frame.h) and its header blocks decoded by its own
// HPACK decoder. A stream's two halves (what each direction sent on it) are gathered by
// stream id; the request half is the client's, the answer's END_STREAM (or a reset) ends
// the exchange. Framing is kept across uncaptured bytes whenever the frame lengths cover
// them (large DATA payloads); a frame header that falls where bytes were lost loses the
// framing of that direction: the connection resyncs at a chunk that starts with plausible
// frames, forgets that direction's HPACK table (set_unknown) and marks the streams then
// open as lost, so none is reported with sizes or fields it may have missed.
//
// The decoded-frame entry points (headers(), data(), reset()) are public so that sources
// which deliver HTTP/2 already decoded (e.g. uprobes in a Go server's http2 framer) can
// feed the same stream stitching.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "protocols/common/data_stream.h"
#include "protocols/common/protocol.h"
#include "protocols/http2/frame.h"
#include "protocols/http2/hpack/decoder.h"

namespace beyla::http2 {

using protocols::ChunkTimes;
using protocols::DataChunk;
using protocols::DataStream;
using protocols::Direction;
using protocols::Role;

struct ConnectionLimits {
    size_t stream_capacity = DataStream::kDefaultCapacity; // captured bytes buffered per direction
    size_t max_streams = 1024;                             // open streams tracked
    size_t max_block = 64 * 1024; // header block bytes buffered (HEADERS + CONTINUATION)
    size_t table_memory = hpack::Decoder::kDefaultMemory; // HPACK dynamic table per direction
    size_t max_done = 4096;                               // finished exchanges awaiting drain
    bool report_http2 = true;                             // plain HTTP/2 streams are reported
    bool report_grpc = true; // gRPC streams are reported as gRPC (else as HTTP/2, when report_http2)
};

struct ConnectionCounters {
    uint64_t frames = 0;           // frames framed
    uint64_t exchanges = 0;        // exchanges produced
    uint64_t parse_errors = 0;     // bytes skipped because they did not frame
    uint64_t unmatched = 0;        // streams that ended without a request or an answer seen
    uint64_t frames_lost = 0;      // times framing was lost (header in a gap, implausible header)
    uint64_t fields_unknown = 0;   // header fields naming dynamic-table entries never seen
    uint64_t blocks_lost = 0;      // header blocks not decoded (bytes lost, over max_block)
    uint64_t hpack_errors = 0;     // header blocks that did not decode
    uint64_t streams_overflow = 0; // streams not tracked: max_streams open
    uint64_t push_promise = 0;     // PUSH_PROMISE frames (pushed streams are not reported)
    uint64_t dropped = 0;          // exchanges dropped by max_done, or filtered out
    uint64_t resets = 0;           // RST_STREAM frames
    uint64_t goaway = 0;           // GOAWAY frames
};

// What a stream carried in one direction.
struct Half {
    bool headers = false;        // a header block came (or its frame header did)
    bool ended = false;          // END_STREAM
    bool lost = false;           // bytes of this direction were lost while the stream was open
    bool fields_unknown = false; // some field of its blocks is unknown
    bool saw_method = false;     // request pseudo-headers: the client's half
    bool saw_status = false;     // :status: the server's half
    bool grpc_framing = false;   // a DATA payload framed as one gRPC message
    int status = -1;             // :status (the last one: the final answer after any 1xx)
    int grpc_status = -1;
    int64_t body = 0; // DATA payload bytes, padding excluded
    uint64_t ts_begin = 0, ts_end = 0;
};

struct Stream {
    uint32_t id = 0;
    Half half[2]; // by Direction
    std::string method, path, query;
    bool has_query = false;
    bool grpc_content_type = false;
    bool reset = false;
    uint32_t error_code = 0;
    bool goaway = false; // refused by a GOAWAY (id above its last stream id)
    uint64_t ts_reset = 0;
    // Set when finished: why it failed (static storage), "" when it did not.
    std::string_view error;
    bool incomplete = false;
    int protocol = 0;      // enum beyla_protocol it is reported as
    int resp_dir = -1;     // Direction of the answer
    uint64_t ts_close = 0; // when a close cut it
    void clear();
};

// A finished stream in exchange form; views point into the connection's storage until
// the next non-const call.
struct Record {
    protocols::Exchange ex;
    std::array<protocols::ExchangeAttr, 6> attrs{};
};

class Connection {
  public:
    Connection(Role role, const ConnectionLimits &limits = {}, protocols::NamedCounters *named = nullptr);

    void set_role(Role role);
    Role role() const { return role_; }
    void add(Direction dir, const DataChunk &chunk);
    void lost(Direction dir, uint64_t bytes, uint64_t ts);
    void close(uint64_t ts);
    void abandon(uint64_t ts);
    // Continues an HTTP/1.1 connection upgraded to h2c: the upgrade request is stream 1's.
    void upgraded(const protocols::Handoff &h);

    // Decoded-frame entry points. fields: one header block, in order.
    void headers(Direction dir, uint32_t stream_id, std::span<const hpack::Field> fields, bool end_stream,
                 uint64_t ts_begin, uint64_t ts_end);
    void data(Direction dir, uint32_t stream_id, uint64_t bytes, bool end_stream, uint64_t ts);
    void reset(uint32_t stream_id, uint32_t error_code, uint64_t ts);

    // Hands each finished exchange to fn(const protocols::Exchange &), oldest first.
    template <class F> void drain(F &&fn) {
        for (size_t i = 0; i < ndone_; i++) {
            Record r;
            to_exchange(done_[i], &r);
            fn(static_cast<const protocols::Exchange &>(r.ex));
        }
        ndone_ = 0;
    }
    size_t ready() const { return ndone_; }
    size_t open_streams() const { return nstreams_; }
    const Stream *find_stream(uint32_t id) const;

    bool closed() const { return closed_; }
    bool given_up() const { return given_up_; }
    bool parsed_any() const { return counters_.frames > 0; }
    const ConnectionCounters &counters() const { return counters_; }
    // The HPACK decoder of one direction (the header blocks that direction carries).
    const hpack::Decoder &decoder(Direction d) const { return side(d).decoder; }

  private:
    // One direction's framing state.
    struct Side {
        explicit Side(const ConnectionLimits &l) : stream(l.stream_capacity), decoder(l.table_memory) {}
        DataStream stream;
        hpack::Decoder decoder;
        bool start_checked = false; // the first bytes were looked at (preface, late join)
        bool synced = false;        // positioned at a frame start
        // Payload bytes still to pass over (a DATA payload or a frame not looked into).
        uint64_t skip_left = 0;
        uint32_t data_sid = 0; // DATA frame in progress (0: none)
        bool data_end_stream = false;
        // Header block in progress (HEADERS or PUSH_PROMISE, then CONTINUATION).
        bool block_active = false;
        bool block_lost = false;
        bool block_push = false;
        bool block_end_stream = false;
        uint32_t block_sid = 0;
        uint64_t block_ts_begin = 0;
        std::vector<uint8_t> block;
        uint64_t probes = 0; // chunk boundaries tried by resync since the last frame
    };
    Side &side(Direction d) { return sides_[static_cast<size_t>(d)]; }
    const Side &side(Direction d) const { return sides_[static_cast<size_t>(d)]; }

    void process(Direction dir);
    bool check_start(Direction dir); // false: wait for more bytes
    bool resync(Direction dir);      // false: wait for more bytes
    void lose_framing(Direction dir);
    // Handles one frame whose first `have` payload bytes are at p (have < length when the
    // frame is only looked into, or its bytes were lost: `lost`).
    void frame(Direction dir, const FrameHeader &h, std::span<const uint8_t> payload, uint64_t need,
               uint64_t frame_start, bool lost);
    void headers_frame(Direction dir, const FrameHeader &h, const uint8_t *p, uint64_t frame_start,
                       bool lost);
    void continuation(Direction dir, const FrameHeader &h, const uint8_t *p, uint64_t frame_start, bool lost);
    void finish_block(Direction dir, uint64_t ts_end);
    void settings(Direction dir, const FrameHeader &h, const uint8_t *p);
    void goaway(Direction dir, uint32_t last_id, uint32_t code, uint64_t ts);

    // Block-level stream handling shared by the frame parser and headers().
    Stream *begin_headers(Direction dir, uint32_t sid, uint64_t ts_begin);
    void field(Stream *s, Direction dir, const hpack::Field &f);
    void end_headers(Stream *s, Direction dir, bool end_stream, uint64_t ts_end, bool fields_lost);

    Stream *find(uint32_t id);
    int index_of(uint32_t id) const;
    void infer_role_from(Direction dir, bool request);
    // The direction answers travel in, by role or by what the stream showed.
    int response_dir(const Stream &s) const;
    void check_done(Stream *s);
    void check_all();
    void finish(size_t i, bool failed, std::string_view why);
    void remove(size_t i);
    void to_exchange(const Stream &s, Record *r);
    void finish_open(uint64_t ts, bool closed);
    void bump(uint64_t ConnectionCounters::*field, uint64_t *slot, uint64_t n = 1);

    ConnectionLimits limits_;
    Role role_;
    Side sides_[2];
    std::vector<Stream> streams_; // [0, nstreams_) open; the rest kept for their storage
    size_t nstreams_ = 0;
    size_t last_found_ = 0;
    std::vector<Stream> done_; // [0, ndone_) finished, awaiting drain
    size_t ndone_ = 0;
    uint32_t max_client_id_ = 0; // highest client stream id seen opened
    bool role_changed_ = false;  // streams wait on a role that became known
    bool goaway_error_ = false;  // a GOAWAY with an error code came
    uint32_t goaway_code_ = 0;
    bool closed_ = false;
    bool given_up_ = false;
    ConnectionCounters counters_;
    // Slots in the tracer's named counters (or in own_ without a tracer).
    std::unique_ptr<protocols::NamedCounters> own_;
    uint64_t *n_frames_lost_, *n_fields_unknown_, *n_blocks_lost_, *n_hpack_errors_, *n_streams_overflow_,
        *n_push_promise_;
    // Drain-time storage: the missing-fields text of the exchange being handed out.
    std::string missing_;
    // Per-field sink context while a block decodes.
    Stream *cur_stream_ = nullptr;
    Direction cur_dir_ = Direction::kIngress;
};

} // namespace beyla::http2
