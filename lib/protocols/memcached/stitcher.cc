#include "protocols/memcached/stitcher.h"

#include <algorithm>

namespace beyla::memcached {

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
    if (!s.append(chunk)) {
        if (role_ != Role::kUnknown) {
            if (dir == request_dir())
                req_reader_.reset();
            else
                resp_reader_.reset();
        }
        resynced_ = true;
    }
    process();
}

void Connection::lost(Direction dir, uint64_t bytes, uint64_t ts) {
    if (closed_ || given_up_) return;
    counters_.lost++;
    DataStream &s = stream(dir);
    bool reset = bytes == 0;
    if (!reset)
        reset = !s.append(DataChunk{ts, ts, {}, bytes}); // a data block runs over it exactly
    else
        s.clear();
    if (reset && role_ != Role::kUnknown) {
        if (dir == request_dir())
            req_reader_.reset();
        else
            resp_reader_.reset();
    }
    resynced_ = true;
    process();
}

void Connection::process() {
    if (role_ == Role::kUnknown) infer_role();
    if (role_ != Role::kUnknown) {
        parse(MessageType::kRequest);
        if (!given_up_) parse(MessageType::kResponse);
    }
    if (!given_up_ &&
        consecutive_invalid_ >= (parsed_any_ ? limits_.give_up_after_parsed : limits_.give_up_after))
        give_up();
}

void Connection::infer_role() {
    for (Direction d : {Direction::kIngress, Direction::kEgress}) {
        const DataStream &s = stream(d);
        if (s.empty()) continue;
        const auto head = s.head();
        const Start k = classify_start(head);
        const bool ingress = d == Direction::kIngress;
        if (k == Start::kText || k == Start::kBinary) {
            role_ = ingress ? Role::kServer : Role::kClient;
            return;
        }
        if (frame_can_start(false, head)) {
            role_ = ingress ? Role::kClient : Role::kServer;
            return;
        }
    }
}

void Connection::parse(MessageType type) {
    const bool req = type == MessageType::kRequest;
    DataStream &s = stream(req ? request_dir() : response_dir());
    while (!s.empty() && !given_up_) {
        const uint64_t before = s.position();
        ParseState r;
        if (req) {
            Request q;
            r = req_reader_.next(s, &q);
            if (r == ParseState::kSuccess) on_request(q);
        } else {
            Response p;
            r = resp_reader_.next(s, &p);
            if (r == ParseState::kSuccess) on_response(p);
        }
        if (r == ParseState::kSuccess) {
            parsed_any_ = true;
            consecutive_invalid_ = 0;
            continue;
        }
        if (r == ParseState::kIgnored) continue;
        if (r == ParseState::kEndOfStream) {
            // The binary protocol: counted, not parsed.
            counters_.binary = 1;
            give_up();
            return;
        }
        if (r != ParseState::kInvalid) break;
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

void Connection::on_request(Request &q) {
    if (q.noreply) {
        // No answer comes: the span ends with the request.
        Record r;
        r.req = std::move(q);
        r.resp.ts_begin = r.resp.ts_end = r.req.ts_end;
        done_.push_back(std::move(r));
        counters_.records++;
        return;
    }
    reqs_.push_back(std::move(q));
    while (reqs_.size() > limits_.max_pending) {
        reqs_.pop_front();
        counters_.dropped++;
    }
}

void Connection::complete_unanswered() {
    Record r;
    r.req = std::move(reqs_.front());
    reqs_.pop_front();
    r.resp.ts_begin = r.resp.ts_end = r.req.ts_end;
    done_.push_back(std::move(r));
    counters_.records++;
}

void Connection::on_response(Response &p) {
    // Quiet requests in front that could not have given this answer had their usual one
    // left out; "MN" answers the mn after them.
    while (!reqs_.empty() && reqs_.front().quiet &&
           (p.word == "MN" || !quiet_may_answer(reqs_.front().op, p.word)))
        complete_unanswered();
    if (reqs_.empty() || reqs_.front().ts_begin > p.ts_end) {
        counters_.unmatched++;
        return;
    }
    if (resynced_) {
        while (reqs_.size() > 1 && reqs_[1].ts_begin <= p.ts_begin) {
            reqs_.pop_front();
            counters_.unmatched++;
        }
        resynced_ = false;
    }
    Record r;
    r.req = std::move(reqs_.front());
    reqs_.pop_front();
    r.resp = std::move(p);
    done_.push_back(std::move(r));
    counters_.records++;
}

void Connection::give_up() {
    given_up_ = true;
    for (DataStream &s : streams_) s.release();
    counters_.unmatched += reqs_.size();
    reqs_.clear();
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
        while (!reqs_.empty()) {
            Record r;
            r.req = std::move(reqs_.front());
            reqs_.pop_front();
            r.resp.ts_begin = r.resp.ts_end = std::max(ts, r.req.ts_end);
            // A quiet request's silence is its usual answer, not a failure.
            if (!r.req.quiet) r.fail = "no_response";
            done_.push_back(std::move(r));
            counters_.records++;
        }
    }
    counters_.unmatched += reqs_.size();
    reqs_.clear();
    for (DataStream &s : streams_) s.release();
}

} // namespace beyla::memcached
