// One connection seen as memcached's text protocol: requests and responses in, records
// out. memcached answers in order; a request with "noreply" (or quit) gets no answer and
// is a record at once; a quiet meta request ("q" flag) is answered only when its answer
// is not the usual one, so an answer that it could not have is taken as the next
// request's, and "mn" ends every quiet request before it. After bytes were lost,
// responses pair by time, never by count. A binary-protocol connection is given up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "protocols/common/data_stream.h"
#include "protocols/memcached/parse.h"
#include "protocols/memcached/types.h"

namespace beyla::memcached {

struct ConnectionLimits {
    size_t stream_capacity = DataStream::kDefaultCapacity;
    size_t max_pending = 1024;
    uint32_t give_up_after = 3;
    uint32_t give_up_after_parsed = 64;
};

struct ConnectionCounters {
    uint64_t records = 0;
    uint64_t parse_errors = 0;
    uint64_t invalid = 0;
    uint64_t unmatched = 0;
    uint64_t dropped = 0;
    uint64_t lost = 0;
    uint64_t binary = 0; // 1 once the connection was seen to speak the binary protocol
};

class Connection {
  public:
    explicit Connection(Role role = Role::kUnknown, const ConnectionLimits &limits = {});

    void set_role(Role role);
    void add(Direction dir, const DataChunk &chunk);
    void lost(Direction dir, uint64_t bytes, uint64_t ts);
    void close(uint64_t ts);
    void abandon(uint64_t ts);

    template <class F> void drain(F &&fn) {
        scratch_.swap(done_);
        for (Record &r : scratch_) fn(r);
        scratch_.clear();
    }
    size_t ready() const { return done_.size(); }
    Role role() const { return role_; }
    bool given_up() const { return given_up_; }
    bool parsed_any() const { return parsed_any_; }
    size_t pending() const { return reqs_.size(); }
    const ConnectionCounters &counters() const { return counters_; }

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
    void on_request(Request &r);
    void on_response(Response &r);
    void complete_unanswered(); // the quiet request at the front: its usual answer was left out
    void give_up();
    void finish(uint64_t ts, bool closed);

    ConnectionLimits limits_;
    Role role_;
    DataStream streams_[2];
    RequestReader req_reader_;
    ResponseReader resp_reader_;
    std::deque<Request> reqs_;
    std::vector<Record> done_, scratch_;
    ConnectionCounters counters_;
    uint64_t consecutive_invalid_ = 0;
    bool resynced_ = false;
    bool parsed_any_ = false;
    bool given_up_ = false;
    bool closed_ = false;
};

} // namespace beyla::memcached
