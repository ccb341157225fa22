#include "protocols/http1/stitcher.h"

#include <algorithm>

namespace beyla::http1 {

Connection::Connection(Role role, const ConnectionLimits &limits)
    : limits_(limits),
      role_(role), streams_{DataStream(limits.stream_capacity), DataStream(limits.stream_capacity)} {
    req_state_.keep_headers = resp_state_.keep_headers = limits.keep_headers;
}

void Connection::set_role(Role role) {
    if (role_ != Role::kUnknown || role == Role::kUnknown || closed_ || non_http_ || upgraded_) return;
    role_ = role;
    dirty_[0] = dirty_[1] = true;
    process();
}

void Connection::add(Direction dir, const DataChunk &chunk) {
    if (closed_ || non_http_ || upgraded_) {
        counters_.ignored_bytes += std::max<uint64_t>(chunk.total, chunk.captured.size());
        return;
    }
    DataStream &s = stream(dir);
    const uint64_t dropped = s.counters().dropped_bytes;
    if (!s.append(chunk)) {
        counters_.overflow_bytes += s.counters().dropped_bytes - dropped;
        // The message being parsed in this direction lost its bytes.
        if (role_ != Role::kUnknown) {
            ParserState &st = dir == request_dir() ? req_state_ : resp_state_;
            st.reset_frame();
            if (dir == response_dir()) resp_resynced_ = true;
        }
    }
    dirty_[static_cast<size_t>(dir)] = true;
    process();
}

void Connection::lost(Direction dir, uint64_t bytes, uint64_t ts) {
    if (closed_ || non_http_ || upgraded_) return;
    counters_.lost++;
    counters_.lost_bytes += bytes;
    DataStream &s = stream(dir);
    bool reset = bytes == 0;
    if (!reset) {
        // The lost bytes become a gap of their exact size.
        const uint64_t dropped = s.counters().dropped_bytes;
        reset = !s.append(DataChunk{ts, ts, {}, bytes});
        counters_.overflow_bytes += s.counters().dropped_bytes - dropped;
    } else {
        // Where the stream continues is unknown: nothing buffered can be continued.
        counters_.ignored_bytes += s.available();
        s.clear();
    }
    if (role_ != Role::kUnknown && reset) (dir == request_dir() ? req_state_ : resp_state_).reset_frame();
    // With the role still unknown this may be the response side.
    if (role_ == Role::kUnknown || dir == response_dir()) resp_resynced_ = true;
    dirty_[static_cast<size_t>(dir)] = true;
    process();
}

void Connection::process() {
    if (role_ == Role::kUnknown) {
        infer_role();
        if (role_ != Role::kUnknown) dirty_[0] = dirty_[1] = true;
    }
    if (role_ != Role::kUnknown) {
        do {
            if (dirty_[static_cast<size_t>(request_dir())]) parse(MessageType::kRequest);
            if (dirty_[static_cast<size_t>(response_dir())]) parse(MessageType::kResponse);
        } while (pair());
    }
    check_non_http();
}

void Connection::infer_role() {
    for (Direction d : {Direction::kIngress, Direction::kEgress}) {
        DataStream &s = stream(d);
        while (!s.empty()) {
            const auto head = s.head();
            StartKind k = head.empty() ? StartKind::kNotHttp : classify_start(head);
            if (k == StartKind::kMaybe && head.size() < s.available())
                k = StartKind::kNotHttp; // cut by a gap
            if (k == StartKind::kRequest) {
                role_ = d == Direction::kIngress ? Role::kServer : Role::kClient;
                return;
            }
            if (k == StartKind::kResponse) {
                role_ = d == Direction::kIngress ? Role::kClient : Role::kServer;
                return;
            }
            if (k == StartKind::kMaybe) break;
            // Not a message start: skip to the next chunk, as the parse loop would.
            const uint64_t n = s.next_chunk_boundary() - s.position();
            s.consume(n);
            counters_.parse_errors += n;
            counters_.invalid_frames++;
            consecutive_invalid_++;
        }
    }
}

void Connection::parse(MessageType type) {
    const bool is_req = type == MessageType::kRequest;
    const Direction dir = is_req ? request_dir() : response_dir();
    ParserState &st = is_req ? req_state_ : resp_state_;
    std::deque<Message> &q = is_req ? reqs_ : resps_;
    dirty_[static_cast<size_t>(dir)] = false;
    if (!is_req) {
        st.requests = &reqs_;
        st.next_request = resps_.size();
    }

    protocols::ParseStats stats;
    protocols::parse_frames(type, stream(dir), &q, &stats, &st);
    counters_.parse_errors += stats.bytes_skipped;
    counters_.invalid_frames += stats.invalid;
    if (!is_req) {
        counters_.interim += stats.ignored;
        if (stats.invalid) resp_resynced_ = true;
    }
    if (stats.frames) {
        parsed_any_ = true;
        consecutive_invalid_ = 0;
    }
    consecutive_invalid_ += stats.invalid;
    while (q.size() > limits_.max_pending) {
        q.pop_front();
        counters_.dropped++;
    }
}

bool Connection::pair() {
    bool resumed = false;
    while (!reqs_.empty() && !resps_.empty()) {
        Message &resp = resps_.front();
        if (resp.ts_end < reqs_.front().ts_begin) {
            resps_.pop_front();
            counters_.unmatched++;
            continue;
        }
        if (resp_resynced_) {
            // Responses were lost: the requests they answered are older than the latest
            // request that began before this response.
            while (reqs_.size() > 1 && reqs_[1].ts_begin <= resp.ts_begin) {
                reqs_.pop_front();
                counters_.unmatched++;
            }
            resp_resynced_ = false;
        }
        if (limits_.hand_off_h2c && resp.status == 101 && reqs_.front().upgrade_h2c) {
            // The request is answered on HTTP/2's stream 1: the next protocol takes it over
            // with the bytes that follow the switch.
            hand_off(reqs_.front());
            reqs_.pop_front();
            resps_.pop_front();
            counters_.upgraded = 1;
            upgraded_ = true;
            stop();
            return false;
        }
        done_.push_back(
            Record{std::move(reqs_.front()), std::move(resp)}); // clang 14: no paren aggregate init
        reqs_.pop_front();
        resps_.pop_front();
        counters_.records++;
        const Record &r = done_.back();
        if (r.resp.status == 101 || (r.req.method == "CONNECT" && r.resp.status / 100 == 2)) {
            counters_.upgraded = 1;
            upgraded_ = true;
            stop();
            return false;
        }
        if (req_state_.paused && reqs_.empty()) {
            // The request that might have switched protocols did not: carry on as HTTP.
            req_state_.paused = false;
            dirty_[static_cast<size_t>(request_dir())] = true;
            resumed = true;
        }
    }
    return resumed;
}

void Connection::hand_off(const Message &req) {
    auto h = std::make_unique<protocols::Handoff>();
    h->protocol = "http2";
    h->token = "h2c";
    h->request.method = req.method;
    h->request.path = req.path;
    h->request.query = req.query;
    h->request.has_query = !req.query.empty();
    h->request.ts_begin = req.ts_begin;
    h->request.ts_end = req.ts_end;
    h->request.body = req.body_size;
    for (Direction d : {Direction::kIngress, Direction::kEgress}) {
        DataStream &s = stream(d);
        auto &rest = h->rest[static_cast<size_t>(d)];
        const auto head = s.head();
        rest.bytes.assign(head.begin(), head.end());
        rest.total = s.available();
        const protocols::ChunkTimes t = s.times_at(s.position());
        rest.ts_begin = t.ts_begin;
        rest.ts_end = t.ts_end;
        s.consume(s.available()); // handed over, not ignored
    }
    handoff_ = std::move(h);
}

void Connection::check_non_http() {
    const uint64_t limit = parsed_any_ ? limits_.non_http_after_parsed : limits_.non_http_after;
    if (consecutive_invalid_ < limit) return;
    non_http_ = true;
    counters_.non_http = 1;
    stop();
}

void Connection::stop() {
    for (DataStream &s : streams_) {
        counters_.ignored_bytes += s.available();
        s.release();
    }
    counters_.unmatched += reqs_.size() + resps_.size();
    reqs_.clear();
    resps_.clear();
    req_state_.reset_frame();
    resp_state_.reset_frame();
}

void Connection::close(uint64_t ts) {
    finish(ts, true);
}

void Connection::abandon(uint64_t ts) {
    finish(ts, false);
}

void Connection::finish(uint64_t ts, bool closed) {
    if (closed_) return;
    if (!non_http_ && !upgraded_ && role_ != Role::kUnknown) {
        resp_state_.requests = &reqs_;
        resp_state_.next_request = resps_.size();
        Message m;
        if (finish_at_close(&resp_state_, &m)) {
            if (m.ts_end == 0) m.ts_end = ts; // no timing known for its bytes
            resps_.push_back(std::move(m));
        }
        while (pair()) {
            parse(MessageType::kRequest);
            parse(MessageType::kResponse);
        }
        if (closed && !upgraded_) fail_unanswered(ts);
    }
    counters_.unmatched += req_state_.in_progress() + resp_state_.in_progress();
    closed_ = true;
    stop();
}

void Connection::fail_unanswered(uint64_t ts) {
    // pair() left requests or responses, not both. The oldest request owns whatever
    // response bytes the close cut; the rest got none.
    bool first = true;
    while (!reqs_.empty()) {
        Message resp;
        if (first && resp_state_.in_progress()) {
            resp = std::move(resp_state_.msg); // head parsed: status known, body cut
            resp_state_.reset_frame();
        } else {
            resp.type = MessageType::kResponse;
        }
        first = false;
        resp.incomplete = true;
        if (resp.ts_end == 0) resp.ts_end = ts;
        done_.push_back(Record{std::move(reqs_.front()), std::move(resp)});
        reqs_.pop_front();
        counters_.records++;
        counters_.incomplete++;
    }
}

} // namespace beyla::http1
