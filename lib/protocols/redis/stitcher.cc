#include "protocols/redis/stitcher.h"

#include <algorithm>

#include "protocols/common/db_attrs.h"

namespace beyla::redis {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != b[i]) return false;
    }
    return true;
}

enum class PubSub : uint8_t { kNone, kMessage, kConfirm };

// What a reply is in pub/sub terms: a message delivered to a subscriber, a subscription
// confirmation, or neither.
PubSub pubsub_kind(const Value &v) {
    if (v.strs.empty() || (v.type != '*' && v.type != '>')) return PubSub::kNone;
    const std::string_view k = v.strs[0];
    for (std::string_view m : {"message", "pmessage", "smessage"})
        if (iequals(k, m)) return PubSub::kMessage;
    for (std::string_view m :
         {"subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe"})
        if (iequals(k, m)) return PubSub::kConfirm;
    return PubSub::kNone;
}

} // namespace

Connection::Connection(Role role, const ConnectionLimits &limits)
    : limits_(limits),
      role_(role), streams_{DataStream(limits.stream_capacity), DataStream(limits.stream_capacity)} {}

void Connection::set_role(Role role) {
    if (role_ != Role::kUnknown || role == Role::kUnknown || closed_ || given_up_) return;
    role_ = role;
    process();
}

void Connection::add(Direction dir, const DataChunk &chunk) {
    if (closed_ || given_up_) return;
    DataStream &s = stream(dir);
    const uint64_t dropped = s.counters().dropped_bytes;
    if (!s.append(chunk)) {
        counters_.overflow_bytes += s.counters().dropped_bytes - dropped;
        if (role_ != Role::kUnknown) (dir == request_dir() ? req_reader_ : resp_reader_).reset();
        resynced_ = true;
    }
    process();
}

void Connection::lost(Direction dir, uint64_t bytes, uint64_t ts) {
    if (closed_ || given_up_) return;
    counters_.lost++;
    DataStream &s = stream(dir);
    bool reset = bytes == 0;
    if (!reset) {
        // A bulk payload runs over a loss of known size exactly; a line inside it resyncs.
        reset = !s.append(DataChunk{ts, ts, {}, bytes});
    } else {
        s.clear();
    }
    if (reset && role_ != Role::kUnknown) (dir == request_dir() ? req_reader_ : resp_reader_).reset();
    resynced_ = true;
    process();
}

void Connection::process() {
    if (role_ == Role::kUnknown) infer_role();
    if (role_ != Role::kUnknown) {
        parse(MessageType::kRequest);
        parse(MessageType::kResponse);
    }
    check_give_up();
}

void Connection::infer_role() {
    // Commands are arrays of bulk strings naming a command, or inline lines; a direction
    // that opens with another RESP type carries replies.
    for (Direction d : {Direction::kIngress, Direction::kEgress}) {
        const DataStream &s = stream(d);
        if (s.empty()) continue;
        const auto head = s.head();
        const bool ingress = d == Direction::kIngress;
        if (classify_start(head) == Start::kCommand) {
            role_ = ingress ? Role::kServer : Role::kClient;
            return;
        }
        if (!head.empty() && head[0] != '*' && frame_can_start(false, head)) {
            role_ = ingress ? Role::kClient : Role::kServer;
            return;
        }
    }
}

void Connection::parse(MessageType type) {
    const bool req = type == MessageType::kRequest;
    DataStream &s = stream(req ? request_dir() : response_dir());
    RespReader &rd = req ? req_reader_ : resp_reader_;
    Value v;
    while (!s.empty()) {
        const uint64_t before = rd.in_progress() ? rd.frame_start() : s.position();
        const ParseState r = rd.next(s, &v);
        if (r == ParseState::kSuccess) {
            parsed_any_ = true;
            consecutive_invalid_ = 0;
            if (req)
                on_command(v);
            else
                on_reply(v);
            continue;
        }
        if (r == ParseState::kIgnored) continue;
        if (r != ParseState::kInvalid) break;
        // Resync at the next chunk that may start a value.
        counters_.invalid++;
        consecutive_invalid_++;
        if (!req) resynced_ = true;
        uint64_t skipped = s.position() - std::min(before, s.position());
        while (!s.empty()) {
            const uint64_t n = s.next_chunk_boundary() - s.position();
            s.consume(n);
            skipped += n;
            if (frame_can_start(req, s.head())) break;
        }
        counters_.parse_errors += skipped;
        if (consecutive_invalid_ >= (parsed_any_ ? limits_.give_up_after_parsed : limits_.give_up_after))
            return;
    }
}

void Connection::on_command(Value &v) {
    Command c;
    make_command(v, limits_.raw, &c);
    if (c.op.empty()) return;
    c.args = std::max<int64_t>(v.count, static_cast<int64_t>(v.strs.size())) - 1;
    if (c.op.find(' ') != std::string::npos) c.args--;
    if (c.op == "SELECT" && v.strs.size() > 1) ns_ = v.strs[1].substr(0, 16);
    if (c.subscribe) subscribed_ = true;
    c.ns = ns_;
    c.ts_begin = v.ts_begin;
    c.ts_end = v.ts_end;
    cmds_.push_back(std::move(c));
    while (cmds_.size() > limits_.max_pending) {
        cmds_.pop_front();
        counters_.dropped++;
    }
}

void Connection::on_reply(Value &v) {
    const PubSub ps = (subscribed_ || v.type == '>') ? pubsub_kind(v) : PubSub::kNone;
    if (ps == PubSub::kMessage || (v.type == '>' && ps == PubSub::kNone)) {
        counters_.pushes++;
        return;
    }
    if (ps == PubSub::kConfirm && (confirms_left_ > 0 || cmds_.empty() || !cmds_.front().subscribe)) {
        // Another channel of a command already answered (or an UNSUBSCRIBE of all).
        confirms_left_ = std::max<int64_t>(0, confirms_left_ - 1);
        counters_.confirmations++;
        return;
    }
    confirms_left_ = 0;
    // A reply that ended before the oldest command began answers nothing seen.
    if (cmds_.empty() || cmds_.front().ts_begin > v.ts_end) {
        counters_.unmatched++;
        return;
    }
    if (resynced_) {
        // Replies were lost: the command answered is the latest that began before it.
        while (cmds_.size() > 1 && cmds_[1].ts_begin <= v.ts_begin) {
            cmds_.pop_front();
            counters_.unmatched++;
        }
        resynced_ = false;
    }
    Record r;
    r.cmd = std::move(cmds_.front());
    cmds_.pop_front();
    if (ps == PubSub::kConfirm && r.cmd.args > 1) confirms_left_ = r.cmd.args - 1;
    r.reply.ts_begin = v.ts_begin;
    r.reply.ts_end = v.ts_end;
    if (v.type == '-' || v.type == '!') {
        r.reply.error = true;
        std::string_view msg = v.line;
        if (v.type == '!') msg = v.strs.empty() ? std::string_view() : std::string_view(v.strs[0]);
        r.reply.prefix = protocols::db::error_prefix(msg);
        if (r.reply.prefix.empty()) r.reply.prefix = "ERR";
    }
    done_.push_back(std::move(r));
    counters_.records++;
}

void Connection::check_give_up() {
    if (given_up_) return;
    const uint64_t limit = parsed_any_ ? limits_.give_up_after_parsed : limits_.give_up_after;
    if (consecutive_invalid_ < limit) return;
    given_up_ = true;
    stop();
}

void Connection::stop() {
    for (DataStream &s : streams_) s.release();
    counters_.unmatched += cmds_.size();
    cmds_.clear();
    req_reader_.reset();
    resp_reader_.reset();
}

void Connection::close(uint64_t ts) {
    finish(ts, true);
}

void Connection::abandon(uint64_t ts) {
    finish(ts, false);
}

void Connection::finish(uint64_t ts, bool closed) {
    if (closed_) return;
    closed_ = true;
    if (closed && !given_up_) {
        while (!cmds_.empty()) {
            Record r;
            r.cmd = std::move(cmds_.front());
            cmds_.pop_front();
            r.reply.ts_begin = r.reply.ts_end = std::max(ts, r.cmd.ts_end);
            r.fail = "no_response";
            done_.push_back(std::move(r));
            counters_.records++;
        }
    }
    stop();
}

} // namespace beyla::redis
