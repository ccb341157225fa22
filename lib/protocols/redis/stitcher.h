// One connection seen as Redis: both directions' bytes in, command/reply records out.
//
// Redis answers commands in order (pipelines, MULTI/EXEC: a queued command's answer is
// +QUEUED, EXEC's the array of results), so the n-th reply pairs with the n-th command.
// What is not an answer is taken out first: pub/sub messages and other RESP3 pushes
// (counted), and the extra confirmations of a SUBSCRIBE naming several channels. After
// bytes were lost, replies pair by time, never by count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "protocols/common/data_stream.h"
#include "protocols/redis/parse.h"
#include "protocols/redis/types.h"

namespace beyla::redis {

struct ConnectionLimits {
    size_t stream_capacity = DataStream::kDefaultCapacity;
    size_t max_pending = 1024;          // commands awaiting their reply
    uint32_t give_up_after = 3;         // consecutive invalid frames, nothing parsed yet
    uint32_t give_up_after_parsed = 64; // the same once something parsed
    bool raw = false;                   // arguments stay in db.query.text
};

struct ConnectionCounters {
    uint64_t records = 0;
    uint64_t parse_errors = 0;  // bytes skipped because they did not frame
    uint64_t invalid = 0;       // times framing was lost
    uint64_t unmatched = 0;     // replies without a command, commands abandoned unanswered
    uint64_t dropped = 0;       // commands dropped by max_pending
    uint64_t pushes = 0;        // pub/sub messages and other pushes: not answers
    uint64_t confirmations = 0; // subscription confirmations beyond a command's first
    uint64_t lost = 0;
    uint64_t overflow_bytes = 0;
};

class Connection {
  public:
    explicit Connection(Role role = Role::kUnknown, const ConnectionLimits &limits = {});

    void set_role(Role role);
    void add(Direction dir, const DataChunk &chunk);
    void lost(Direction dir, uint64_t bytes, uint64_t ts);
    // Commands still waiting become records that failed ("no_response").
    void close(uint64_t ts);
    // Commands still waiting are only counted unmatched.
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
    size_t pending() const { return cmds_.size(); }
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
    void on_command(Value &v);
    void on_reply(Value &v);
    void check_give_up();
    void stop();
    void finish(uint64_t ts, bool closed);

    ConnectionLimits limits_;
    Role role_;
    DataStream streams_[2];
    RespReader req_reader_{true};
    RespReader resp_reader_{false};
    std::deque<Command> cmds_;
    // Confirmations the front command still expects beyond the one that answered it.
    int64_t confirms_left_ = 0;
    std::vector<Record> done_, scratch_;
    std::string ns_; // db.namespace after SELECT
    ConnectionCounters counters_;
    uint64_t consecutive_invalid_ = 0;
    bool subscribed_ = false; // RESP2: arrays may be pub/sub messages
    bool resynced_ = false;   // bytes were lost since the last pairing
    bool parsed_any_ = false;
    bool given_up_ = false;
    bool closed_ = false;
};

} // namespace beyla::redis
