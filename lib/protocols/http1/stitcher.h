// One TCP connection seen as HTTP/1: both directions' byte streams in, request/response
// records out.
//
// HTTP/1 answers requests in order (pipelining included), so the n-th final response
// pairs with the n-th request. Timestamps only guard the pairing after data was lost: a
// response that ended before its candidate request began is unmatched, and after the
// response stream lost framing the response pairs with the latest request that began
// before it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "protocols/common/data_stream.h"
#include "protocols/common/protocol.h"
#include "protocols/http1/parse.h"
#include "protocols/http1/types.h"

namespace beyla::http1 {

struct ConnectionLimits {
    size_t stream_capacity = DataStream::kDefaultCapacity; // captured bytes buffered per direction
    size_t max_pending = 1024;                             // requests (or responses) queued awaiting a pair
    uint32_t non_http_after = 3;                           // consecutive invalid frames, nothing ever parsed
    uint32_t non_http_after_parsed = 64;                   // the same, once some message did parse
    bool keep_headers = true;                              // Message::headers filled
    // An Upgrade: h2c answered 101 is handed over (take_handoff) rather than a span; off
    // when nothing would decode HTTP/2.
    bool hand_off_h2c = false;
};

struct ConnectionCounters {
    uint64_t records = 0;        // request/response pairs produced
    uint64_t parse_errors = 0;   // bytes skipped because they did not frame
    uint64_t invalid_frames = 0; // times framing was lost
    uint64_t unmatched = 0;      // responses without a request, requests abandoned unanswered
    uint64_t incomplete = 0;     // records whose response the close cut or preempted
    uint64_t dropped = 0;        // messages dropped by the max_pending bound
    uint64_t interim = 0;        // 1xx responses skipped
    uint64_t overflow_bytes = 0; // captured bytes dropped by the stream cap
    uint64_t ignored_bytes = 0;  // bytes after an upgrade, after non_http, or after close
    uint64_t non_http = 0;       // 1 once the connection was given up as not HTTP/1
    uint64_t upgraded = 0;       // 1 once it switched protocols (101, CONNECT tunnel)
    uint64_t lost = 0;           // times bytes were lost between two chunks (see lost())
    uint64_t lost_bytes = 0;     // bytes those losses are known to have held
};

class Connection {
  public:
    explicit Connection(Role role = Role::kUnknown, const ConnectionLimits &limits = {});

    // Sets the role when it was not known (accept/connect seen late); a known role stays.
    void set_role(Role role);
    // Feeds one syscall's bytes. Chunks of each direction must come in order.
    void add(Direction dir, const DataChunk &chunk);
    // Bytes of one direction were lost before the next chunk (their events never arrived):
    // `bytes` of them, or an unknown amount when 0. A body of known length runs over a
    // known loss exactly; a message start inside it makes the parser resync. Since whole
    // messages may have gone, the next response is paired by time, never by count.
    void lost(Direction dir, uint64_t bytes, uint64_t ts);
    // The connection closed at ts: completes a response whose body runs until close.
    // Requests still waiting become records too, their response marked incomplete (cut
    // by the close, or never begun): a server that dies mid-request, or a client that
    // hangs up before the answer, is a failed exchange the user wants to see. Later add()
    // calls are ignored.
    void close(uint64_t ts);
    // The tracer lets go of the connection (stop, idle eviction) while it may still be
    // open: what is unanswered is only counted, since its answer may yet come.
    void abandon(uint64_t ts);

    // Hands each completed record to fn, oldest first. fn must not drain this connection.
    template <class F> void drain(F &&fn) {
        scratch_.swap(done_);
        for (Record &r : scratch_) fn(std::move(r));
        scratch_.clear();
    }
    std::vector<Record> take() {
        std::vector<Record> out;
        out.swap(done_);
        return out;
    }
    size_t ready() const { return done_.size(); }
    // After a request with Upgrade: h2c was answered 101: the request and the bytes that
    // followed, for HTTP/2 to carry on with (once; nullptr otherwise).
    std::unique_ptr<protocols::Handoff> take_handoff() { return std::move(handoff_); }

    Role role() const { return role_; }
    bool upgraded() const { return upgraded_; }
    bool non_http() const { return non_http_; }
    bool parsed_any() const { return parsed_any_; }
    bool closed() const { return closed_; }
    size_t pending_requests() const { return reqs_.size(); }
    const ConnectionCounters &counters() const { return counters_; }
    uint64_t records() const { return counters_.records; }
    uint64_t parse_errors() const { return counters_.parse_errors; }
    uint64_t unmatched() const { return counters_.unmatched; }
    uint64_t incomplete() const { return counters_.incomplete; }

  private:
    DataStream &stream(Direction d) { return streams_[static_cast<size_t>(d)]; }
    Direction request_dir() const {
        return role_ == Role::kServer ? Direction::kIngress : Direction::kEgress;
    }
    Direction response_dir() const {
        return role_ == Role::kServer ? Direction::kEgress : Direction::kIngress;
    }

    void process();
    void infer_role();
    void parse(MessageType type);
    bool pair(); // true when the request stream was resumed and needs parsing again
    void check_non_http();
    void hand_off(const Message &req);
    void stop(); // drop all buffered state; further bytes are ignored
    void finish(uint64_t ts, bool closed);
    void fail_unanswered(uint64_t ts);

    ConnectionLimits limits_;
    Role role_;
    DataStream streams_[2];
    bool dirty_[2] = {false, false}; // direction got bytes not yet parsed
    ParserState req_state_;
    ParserState resp_state_;
    std::deque<Message> reqs_;
    std::deque<Message> resps_;
    std::vector<Record> done_;
    std::vector<Record> scratch_;
    std::unique_ptr<protocols::Handoff> handoff_;
    ConnectionCounters counters_;
    uint64_t consecutive_invalid_ = 0;
    bool parsed_any_ = false;
    bool resp_resynced_ = false; // the response stream lost framing since the last pairing
    bool upgraded_ = false;
    bool non_http_ = false;
    bool closed_ = false;
};

} // namespace beyla::http1
