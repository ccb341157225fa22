#include "protocols/http2/connection.h"

#include <algorithm>
#include <cstring>

#include "beyla/beyla.h"
#include "protocols/grpc/grpc.h"

namespace beyla::http2 {

namespace {

constexpr size_t kDir(Direction d) {
    return static_cast<size_t>(d);
}
constexpr Direction other(Direction d) {
    return d == Direction::kIngress ? Direction::kEgress : Direction::kIngress;
}

// SETTINGS frames longer than this are not looked into (a peer sends a handful).
constexpr uint32_t kMaxSettingsLength = 6 * 64;
// Chunk boundaries tried without meeting a frame, on a connection where none ever framed,
// before it is given up as not HTTP/2.
constexpr uint64_t kGiveUpProbes = 64;

bool parse_status3(std::string_view v, int *out) {
    if (v.size() != 3) return false;
    int n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + (c - '0');
    }
    *out = n;
    return true;
}

} // namespace

void Stream::clear() {
    id = 0;
    half[0] = half[1] = Half{};
    method.clear();
    path.clear();
    query.clear();
    has_query = false;
    grpc_content_type = false;
    reset = false;
    error_code = 0;
    goaway = false;
    ts_reset = 0;
    error = {};
    incomplete = false;
    protocol = 0;
    resp_dir = -1;
    ts_close = 0;
}

Connection::Connection(Role role, const ConnectionLimits &limits, protocols::NamedCounters *named)
    : limits_(limits), role_(role), sides_{Side(limits), Side(limits)} {
    if (!named) {
        own_ = std::make_unique<protocols::NamedCounters>();
        named = own_.get();
    }
    n_frames_lost_ = &named->at("http2.frames_lost");
    n_fields_unknown_ = &named->at("http2.fields_unknown");
    n_blocks_lost_ = &named->at("http2.blocks_lost");
    n_hpack_errors_ = &named->at("http2.hpack_errors");
    n_streams_overflow_ = &named->at("http2.streams_overflow");
    n_push_promise_ = &named->at("http2.push_promise");
}

void Connection::bump(uint64_t ConnectionCounters::*field, uint64_t *slot, uint64_t n) {
    counters_.*field += n;
    if (slot) *slot += n;
}

void Connection::set_role(Role role) {
    if (role_ != Role::kUnknown || role == Role::kUnknown || closed_) return;
    role_ = role;
    check_all();
}

void Connection::infer_role_from(Direction dir, bool request) {
    if (role_ != Role::kUnknown) return;
    // The client writes requests; the server writes answers.
    const bool we_write = dir == Direction::kEgress;
    role_ = (request == we_write) ? Role::kClient : Role::kServer;
    role_changed_ = true;
}

void Connection::add(Direction dir, const DataChunk &chunk) {
    if (closed_ || given_up_) return;
    Side &sd = side(dir);
    if (!sd.stream.append(chunk) && sd.start_checked) {
        // The cap dropped what was buffered: the frame in progress lost its bytes.
        lose_framing(dir);
    }
    process(dir);
}

void Connection::lost(Direction dir, uint64_t bytes, uint64_t ts) {
    if (closed_ || given_up_) return;
    Side &sd = side(dir);
    if (bytes == 0) {
        // Where the stream continues is unknown: nothing buffered can be continued.
        counters_.parse_errors += sd.stream.available();
        sd.stream.clear();
        if (!sd.start_checked) {
            sd.start_checked = true;
            sd.decoder.set_joined_late();
        }
        lose_framing(dir);
        return;
    }
    // The lost bytes become a gap of their exact size: framing may run over it.
    if (!sd.stream.append(DataChunk{ts, ts, {}, bytes}) && sd.start_checked) lose_framing(dir);
    process(dir);
}

bool Connection::check_start(Direction dir) {
    Side &sd = side(dir);
    DataStream &ds = sd.stream;
    if (ds.empty()) return false;
    const auto head = ds.head();
    auto late = [&](bool synced) {
        sd.start_checked = true;
        sd.synced = synced;
        sd.decoder.set_joined_late();
        return true;
    };
    if (head.empty()) return late(false);
    const size_t n = std::min(head.size(), kPreface.size());
    if (std::memcmp(head.data(), kPreface.data(), n) == 0) {
        if (n < kPreface.size()) {
            if (head.size() == ds.available()) return false; // the rest of it is still to come
            return late(false);
        }
        // The connection's start: this side's table starts empty and known.
        ds.consume(kPreface.size());
        sd.start_checked = true;
        sd.synced = true;
        infer_role_from(dir, true);
        return true;
    }
    if (head.size() < kFrameHeaderSize) {
        if (head.size() == ds.available()) return false;
        return late(false);
    }
    const FrameHeader h = read_frame_header(head.data());
    if (!plausible_frame(h) || plausible_frames(head) == Plausibility::kNo) return late(false);
    // A server's first frame is its SETTINGS: a connection seen from the start.
    if (h.kind() == FrameType::kSettings && !h.has(flags::kAck)) {
        sd.start_checked = true;
        sd.synced = true;
        return true;
    }
    return late(true);
}

void Connection::lose_framing(Direction dir) {
    Side &sd = side(dir);
    bump(&ConnectionCounters::frames_lost, n_frames_lost_);
    sd.synced = false;
    sd.skip_left = 0;
    sd.data_sid = 0;
    if (sd.block_active) {
        sd.block_active = false;
        bump(&ConnectionCounters::blocks_lost, n_blocks_lost_);
    }
    // Header blocks may have gone by: the table's positions are no longer known.
    sd.decoder.set_unknown();
    // Streams still sending this way may have lost frames; ended halves lost nothing.
    for (size_t i = 0; i < nstreams_; i++) {
        Half &h = streams_[i].half[kDir(dir)];
        if (!h.ended) h.lost = true;
    }
}

bool Connection::resync(Direction dir) {
    Side &sd = side(dir);
    DataStream &ds = sd.stream;
    while (!ds.empty()) {
        if (ds.at_chunk_boundary()) {
            const auto head = ds.head();
            if (head.size() >= kFrameHeaderSize) {
                if (plausible_frame(read_frame_header(head.data())) &&
                    plausible_frames(head) != Plausibility::kNo) {
                    sd.synced = true;
                    return true;
                }
            } else if (!head.empty() && head.size() == ds.available()) {
                return false; // too short to tell yet
            }
        }
        const uint64_t n = ds.next_chunk_boundary() - ds.position();
        ds.consume(n);
        counters_.parse_errors += n;
        if (++sd.probes > kGiveUpProbes && counters_.frames == 0) {
            given_up_ = true;
            for (Side &s : sides_) s.stream.release();
            return false;
        }
    }
    return false;
}

void Connection::process(Direction dir) {
    Side &sd = side(dir);
    DataStream &ds = sd.stream;
    while (!closed_ && !given_up_) {
        if (!sd.start_checked) {
            if (!check_start(dir)) break;
            continue;
        }
        if (!sd.synced) {
            if (!resync(dir)) break;
            continue;
        }
        if (sd.skip_left) {
            const uint64_t avail = ds.available();
            if (avail == 0) break;
            if (avail < sd.skip_left) {
                ds.consume(avail);
                sd.skip_left -= avail;
                break;
            }
            const uint64_t ts = ds.times_at(ds.position() + sd.skip_left - 1).ts_end;
            ds.consume(sd.skip_left);
            sd.skip_left = 0;
            if (sd.data_sid) {
                const uint32_t sid = sd.data_sid;
                sd.data_sid = 0;
                data(dir, sid, 0, true, ts);
            }
            continue;
        }
        if (ds.empty()) break;
        const auto head = ds.head();
        if (head.size() < kFrameHeaderSize) {
            if (ds.available() < kFrameHeaderSize) break; // the header is still to come
            lose_framing(dir);                            // it lies (partly) in bytes not captured
            continue;
        }
        const FrameHeader h = read_frame_header(head.data());
        if (h.type > kLastKnownType && !h.reserved) {
            // Unknown frame types are ignored (RFC 9113 §4.1), extensions included.
            counters_.frames++;
            sd.probes = 0;
            ds.consume(kFrameHeaderSize);
            sd.skip_left = h.length;
            continue;
        }
        if (!plausible_frame(h)) {
            lose_framing(dir);
            continue;
        }
        // Payload bytes needed to act on the frame; the rest is passed over.
        uint64_t need = 0;
        switch (h.kind()) {
        case FrameType::kData:
            need = h.has(flags::kPadded) ? 1 : 0;
            break;
        case FrameType::kHeaders:
        case FrameType::kContinuation:
        case FrameType::kPushPromise:
            need = h.length <= limits_.max_block ? h.length : 0;
            break;
        case FrameType::kSettings:
            need = h.length <= kMaxSettingsLength ? h.length : 0;
            break;
        case FrameType::kRstStream:
            need = 4;
            break;
        case FrameType::kGoaway:
            need = 8;
            break;
        default:
            break;
        }
        need = std::min<uint64_t>(need, h.length);
        bool lost = false;
        if (head.size() < kFrameHeaderSize + need) {
            if (ds.available() < kFrameHeaderSize + need) break; // wait for the payload
            lost = true;                                         // it lies in bytes not captured
        }
        const uint64_t start = ds.position();
        counters_.frames++;
        sd.probes = 0;
        frame(dir, h, lost ? std::span<const uint8_t>() : head.subspan(kFrameHeaderSize), need, start, lost);
        if (closed_ || given_up_) break;
        const uint64_t end_ts = ds.times_at(start + kFrameHeaderSize + need - 1).ts_end;
        ds.consume(kFrameHeaderSize + need);
        sd.skip_left += h.length - need;
        if (!sd.skip_left && sd.data_sid) {
            const uint32_t sid = sd.data_sid;
            sd.data_sid = 0;
            data(dir, sid, 0, true, end_ts);
        }
    }
    if (role_changed_) {
        role_changed_ = false;
        check_all();
    }
}

void Connection::frame(Direction dir, const FrameHeader &h, std::span<const uint8_t> payload, uint64_t need,
                       uint64_t start, bool lost) {
    Side &sd = side(dir);
    DataStream &ds = sd.stream;
    const uint8_t *p = payload.data();
    if (sd.block_active && h.kind() != FrameType::kContinuation) {
        // A header block must run on in CONTINUATION frames: this one is broken.
        sd.block_active = false;
        bump(&ConnectionCounters::blocks_lost, n_blocks_lost_);
        sd.decoder.set_unknown();
        if (Stream *s = find(sd.block_sid)) s->half[kDir(dir)].fields_unknown = true;
    }
    switch (h.kind()) {
    case FrameType::kData: {
        uint64_t pad = 0;
        size_t off = 0;
        if (h.has(flags::kPadded)) {
            off = 1;
            if (!lost && h.length) pad = p[0]; // lost: unknown, counted as payload
        }
        const uint64_t body = h.length >= off + pad ? h.length - off - pad : 0;
        if (Stream *s = find(h.stream_id)) {
            Half &half = s->half[kDir(dir)];
            half.body += static_cast<int64_t>(body);
            if (!lost && payload.size() >= off + 5 && grpc::looks_like_message(payload.subspan(off), body))
                half.grpc_framing = true;
        }
        if (h.has(flags::kEndStream)) sd.data_sid = h.stream_id;
        break;
    }
    case FrameType::kHeaders:
    case FrameType::kPushPromise:
        headers_frame(dir, h, lost || need < h.length ? nullptr : p, start, lost);
        break;
    case FrameType::kContinuation:
        continuation(dir, h, lost || need < h.length ? nullptr : p, start, lost);
        break;
    case FrameType::kSettings:
        if (!lost && need == h.length) settings(dir, h, p);
        break;
    case FrameType::kRstStream:
        counters_.resets++;
        if (!lost)
            reset(h.stream_id, read_u32(p), ds.times_at(start).ts_end);
        else if (Stream *s = find(h.stream_id))
            reset(s->id, UINT32_MAX /* its code was not captured */, ds.times_at(start).ts_end);
        break;
    case FrameType::kGoaway:
        counters_.goaway++;
        if (!lost) goaway(dir, read_u32(p) & 0x7fffffffu, read_u32(p + 4), ds.times_at(start).ts_end);
        break;
    default:
        break; // PING, PRIORITY, WINDOW_UPDATE: nothing a span needs
    }
}

void Connection::headers_frame(Direction dir, const FrameHeader &h, const uint8_t *p, uint64_t start,
                               bool lost) {
    Side &sd = side(dir);
    const bool push = h.kind() == FrameType::kPushPromise;
    if (push) bump(&ConnectionCounters::push_promise, n_push_promise_);
    sd.block_active = true;
    sd.block_sid = h.stream_id;
    sd.block_push = push;
    sd.block_end_stream = !push && h.has(flags::kEndStream);
    sd.block_lost = lost || !p;
    sd.block_ts_begin = sd.stream.times_at(start).ts_begin;
    sd.block.clear();
    if (p) {
        size_t off = 0, pad = 0;
        if (h.has(flags::kPadded)) {
            off = 1;
            pad = h.length ? p[0] : 0;
        }
        if (!push && h.has(flags::kPriority)) off += 5;
        if (push) off += 4;
        if (off + pad > h.length) {
            sd.block_lost = true; // padding longer than the frame: a protocol error
        } else {
            sd.block.insert(sd.block.end(), p + off, p + h.length - pad);
        }
    }
    if (h.has(flags::kEndHeaders))
        finish_block(dir, sd.stream.times_at(start + kFrameHeaderSize + h.length - 1).ts_end);
}

void Connection::continuation(Direction dir, const FrameHeader &h, const uint8_t *p, uint64_t start,
                              bool lost) {
    Side &sd = side(dir);
    if (!sd.block_active || h.stream_id != sd.block_sid) return; // its block began before a loss
    if (lost || !p || sd.block.size() + h.length > limits_.max_block) {
        sd.block_lost = true;
    } else if (!sd.block_lost) {
        sd.block.insert(sd.block.end(), p, p + h.length);
    }
    if (h.has(flags::kEndHeaders))
        finish_block(dir, sd.stream.times_at(start + kFrameHeaderSize + h.length - 1).ts_end);
}

void Connection::finish_block(Direction dir, uint64_t ts_end) {
    Side &sd = side(dir);
    sd.block_active = false;
    Stream *s = sd.block_push ? nullptr : begin_headers(dir, sd.block_sid, sd.block_ts_begin);
    if (sd.block_lost) {
        bump(&ConnectionCounters::blocks_lost, n_blocks_lost_);
        // Its insertions were not seen: later indices cannot be trusted.
        sd.decoder.set_unknown();
        end_headers(s, dir, sd.block_end_stream, ts_end, true);
        return;
    }
    cur_stream_ = s;
    cur_dir_ = dir;
    const hpack::FieldSink sink{[](void *ctx, const hpack::Field &f) {
                                    auto *c = static_cast<Connection *>(ctx);
                                    c->field(c->cur_stream_, c->cur_dir_, f);
                                },
                                this};
    const hpack::DecodeResult r = sd.decoder.decode(sd.block, sink);
    cur_stream_ = nullptr;
    if (r == hpack::DecodeResult::kError) bump(&ConnectionCounters::hpack_errors, n_hpack_errors_);
    end_headers(s, dir, sd.block_end_stream, ts_end, r == hpack::DecodeResult::kError);
}

void Connection::settings(Direction dir, const FrameHeader &h, const uint8_t *p) {
    if (h.has(flags::kAck)) return;
    for (uint32_t i = 0; i + 6 <= h.length; i += 6) {
        if (read_u16(p + i) == static_cast<uint16_t>(Setting::kHeaderTableSize)) {
            // The sender's decoder limit binds the blocks flowing towards it.
            side(other(dir)).decoder.set_limit(read_u32(p + i + 2));
        }
    }
}

void Connection::goaway(Direction dir, uint32_t last_id, uint32_t code, uint64_t ts) {
    if (code != 0) {
        goaway_error_ = true;
        goaway_code_ = code;
    }
    // Only a server's GOAWAY speaks of the client's streams (a client's names pushes).
    const bool from_server = (role_ == Role::kServer && dir == Direction::kEgress) ||
                             (role_ == Role::kClient && dir == Direction::kIngress);
    if (!from_server) return;
    for (size_t i = nstreams_; i-- > 0;) {
        Stream &s = streams_[i];
        if (s.id <= last_id) continue;
        s.goaway = true;
        s.ts_reset = ts;
        finish(i, true, code ? error_code_name(code) : std::string_view("GOAWAY"));
    }
}

int Connection::index_of(uint32_t id) const {
    if (last_found_ < nstreams_ && streams_[last_found_].id == id) return static_cast<int>(last_found_);
    for (size_t i = 0; i < nstreams_; i++)
        if (streams_[i].id == id) return static_cast<int>(i);
    return -1;
}

Stream *Connection::find(uint32_t id) {
    const int i = index_of(id);
    if (i < 0) return nullptr;
    last_found_ = static_cast<size_t>(i);
    return &streams_[static_cast<size_t>(i)];
}

const Stream *Connection::find_stream(uint32_t id) const {
    const int i = index_of(id);
    return i < 0 ? nullptr : &streams_[static_cast<size_t>(i)];
}

Stream *Connection::begin_headers(Direction dir, uint32_t sid, uint64_t ts_begin) {
    if (sid == 0) return nullptr;
    if (Stream *s = find(sid)) {
        Half &h = s->half[kDir(dir)];
        if (!h.headers) {
            h.headers = true;
            h.ts_begin = ts_begin;
        }
        return s;
    }
    // Even ids are pushed streams; ids at or below the highest opened one belong to
    // streams already finished (late trailers).
    if ((sid & 1) == 0 || sid <= max_client_id_) return nullptr;
    max_client_id_ = sid;
    const bool answer = (role_ == Role::kServer && dir == Direction::kEgress) ||
                        (role_ == Role::kClient && dir == Direction::kIngress);
    if (answer) {
        counters_.unmatched++; // its request came before the bytes seen
        return nullptr;
    }
    if (nstreams_ >= limits_.max_streams) {
        bump(&ConnectionCounters::streams_overflow, n_streams_overflow_);
        return nullptr;
    }
    if (nstreams_ == streams_.size()) streams_.emplace_back();
    Stream &s = streams_[nstreams_++];
    s.clear();
    s.id = sid;
    Half &h = s.half[kDir(dir)];
    h.headers = true;
    h.ts_begin = ts_begin;
    last_found_ = nstreams_ - 1;
    return &s;
}

void Connection::field(Stream *s, Direction dir, const hpack::Field &f) {
    if (!f.known()) bump(&ConnectionCounters::fields_unknown, n_fields_unknown_);
    if (!s) return;
    Half &h = s->half[kDir(dir)];
    if (!f.name_known) {
        h.fields_unknown = true; // it may have been any of them
        return;
    }
    const std::string_view name = f.name;
    const std::string_view v = f.value;
    if (!name.empty() && name[0] == ':') {
        if (name == ":method") {
            h.saw_method = true;
            infer_role_from(dir, true);
            if (f.value_known) s->method.assign(v);
        } else if (name == ":path") {
            h.saw_method = true;
            if (f.value_known) {
                const size_t q = v.find('?');
                s->path.assign(v.substr(0, q));
                if (q != std::string_view::npos) {
                    s->query.assign(v.substr(q + 1));
                    s->has_query = true;
                }
            }
        } else if (name == ":status") {
            h.saw_status = true;
            infer_role_from(dir, false);
            int st;
            if (f.value_known && parse_status3(v, &st)) h.status = st;
        } else {
            return;
        }
        if (!f.value_known) h.fields_unknown = true;
        return;
    }
    if (name == "content-type") {
        if (f.value_known)
            s->grpc_content_type = s->grpc_content_type || grpc::is_grpc_content_type(v);
        else
            h.fields_unknown = true;
    } else if (name == "grpc-status") {
        int st;
        if (f.value_known && grpc::parse_status(v, &st))
            h.grpc_status = st;
        else
            h.fields_unknown = true;
    }
}

void Connection::end_headers(Stream *s, Direction dir, bool end_stream, uint64_t ts_end, bool fields_lost) {
    if (s) {
        Half &h = s->half[kDir(dir)];
        if (fields_lost) h.fields_unknown = true;
        if (end_stream) {
            h.ended = true;
            h.ts_end = ts_end;
        }
        check_done(s);
    }
    if (role_changed_) {
        role_changed_ = false;
        check_all();
    }
}

void Connection::headers(Direction dir, uint32_t stream_id, std::span<const hpack::Field> fields,
                         bool end_stream, uint64_t ts_begin, uint64_t ts_end) {
    if (closed_) return;
    Stream *s = begin_headers(dir, stream_id, ts_begin);
    for (const hpack::Field &f : fields) field(s, dir, f);
    end_headers(s, dir, end_stream, ts_end, false);
}

void Connection::data(Direction dir, uint32_t stream_id, uint64_t bytes, bool end_stream, uint64_t ts) {
    Stream *s = find(stream_id);
    if (!s) return;
    Half &h = s->half[kDir(dir)];
    h.body += static_cast<int64_t>(bytes);
    if (end_stream) {
        h.ended = true;
        h.ts_end = ts;
        check_done(s);
    }
}

void Connection::reset(uint32_t stream_id, uint32_t error_code, uint64_t ts) {
    Stream *s = find(stream_id);
    if (!s) return;
    s->reset = true;
    s->error_code = error_code;
    s->ts_reset = ts;
    check_done(s);
}

int Connection::response_dir(const Stream &s) const {
    if (role_ == Role::kServer) return static_cast<int>(Direction::kEgress);
    if (role_ == Role::kClient) return static_cast<int>(Direction::kIngress);
    for (int d = 0; d < 2; d++) {
        if (s.half[d].saw_status) return d;
        if (s.half[d].saw_method) return 1 - d;
    }
    return -1;
}

void Connection::check_done(Stream *s) {
    const int rd = response_dir(*s);
    const bool done = s->reset || (rd >= 0 && s->half[rd].ended) || (s->half[0].ended && s->half[1].ended);
    if (done) finish(static_cast<size_t>(s - streams_.data()), false, {});
}

void Connection::check_all() {
    for (size_t i = nstreams_; i-- > 0;) check_done(&streams_[i]);
}

void Connection::remove(size_t i) {
    if (i + 1 != nstreams_) std::swap(streams_[i], streams_[nstreams_ - 1]);
    nstreams_--;
}

void Connection::finish(size_t i, bool failed, std::string_view why) {
    Stream &s = streams_[i];
    const int rd = response_dir(s);
    if (rd < 0 || !s.half[1 - rd].headers) {
        // Which half asked is unknown, or the request came before the bytes seen.
        counters_.unmatched++;
        remove(i);
        return;
    }
    const Half &req = s.half[1 - rd];
    const Half &resp = s.half[rd];
    s.resp_dir = rd;
    if (failed) {
        s.error = why;
        s.incomplete = true;
    } else if (s.reset && !resp.ended) {
        s.error = error_code_name(s.error_code);
        s.incomplete = true;
    }
    const bool grpc = s.grpc_content_type || resp.grpc_status >= 0 ||
                      ((req.fields_unknown || req.lost) && (req.grpc_framing || resp.grpc_framing));
    if (grpc && limits_.report_grpc)
        s.protocol = BEYLA_PROTO_GRPC;
    else if (limits_.report_http2)
        s.protocol = BEYLA_PROTO_HTTP2;
    else
        s.protocol = 0;
    if (!s.protocol || ndone_ >= limits_.max_done) {
        counters_.dropped++;
        remove(i);
        return;
    }
    if (ndone_ == done_.size()) done_.emplace_back();
    std::swap(done_[ndone_++], s);
    counters_.exchanges++;
    remove(i);
}

void Connection::to_exchange(const Stream &s, Record *r) {
    protocols::Exchange &ex = r->ex;
    const Half &req = s.half[1 - s.resp_dir];
    const Half &resp = s.half[s.resp_dir];
    ex.protocol = s.protocol;
    ex.version = "2";
    ex.ts_begin = req.ts_begin;
    ex.ts_end = resp.ended ? resp.ts_end : (s.ts_reset ? s.ts_reset : s.ts_close);
    ex.ts_end = std::max(ex.ts_end, ex.ts_begin);
    ex.error_type = s.error;
    ex.incomplete = s.incomplete;
    const bool req_unknown = req.fields_unknown || req.lost;
    const bool resp_unknown = resp.fields_unknown || resp.lost;
    size_t n = 0;
    missing_.clear();
    auto miss = [&](const char *what) {
        if (!missing_.empty()) missing_ += ',';
        missing_ += what;
    };
    if (s.protocol == BEYLA_PROTO_GRPC) {
        r->attrs[n++] = {"rpc.system", false, "grpc", 0};
        std::string_view service, method;
        if (grpc::split_path(s.path, &service, &method)) {
            r->attrs[n++] = {"rpc.service", false, service, 0};
            r->attrs[n++] = {"rpc.method", false, method, 0};
        }
        const int st = resp.grpc_status;
        if (st >= 0) {
            r->attrs[n++] = {"rpc.grpc.status_code", true, {}, st};
            if (st != 0 && ex.error_type.empty()) ex.error_type = grpc::status_name(st);
        }
        if (req_unknown && s.path.empty()) miss("path");
        if (resp_unknown && st < 0) miss("grpc-status");
    } else {
        ex.method = s.method;
        ex.path = s.path;
        ex.query = s.query;
        ex.has_query = s.has_query;
        ex.status = resp.status;
        ex.req_body = req.lost ? -1 : req.body;
        ex.resp_body = resp.headers && !resp.lost ? resp.body : -1;
        if (req_unknown && s.method.empty()) miss("method");
        if (req_unknown && s.path.empty()) miss("path");
        if (resp_unknown && resp.status < 0) miss("status");
    }
    if (!missing_.empty()) r->attrs[n++] = {"beyla.http2.missing", false, missing_, 0};
    ex.attrs = std::span<const protocols::ExchangeAttr>(r->attrs.data(), n);
}

void Connection::finish_open(uint64_t ts, bool closed) {
    if (closed_) return;
    for (size_t i = nstreams_; i-- > 0;) {
        Stream &s = streams_[i];
        const int rd = response_dir(s);
        const bool lost = s.half[0].lost || s.half[1].lost;
        if (!closed || rd < 0 || lost) {
            // Its answer may yet come (abandon), or what it lacks is not known.
            counters_.unmatched++;
            remove(i);
            continue;
        }
        s.ts_close = ts;
        const std::string_view why = goaway_error_        ? error_code_name(goaway_code_)
                                     : s.half[rd].headers ? std::string_view("response_incomplete")
                                                          : std::string_view("no_response");
        finish(i, true, why);
    }
    closed_ = true;
    for (Side &sd : sides_) sd.stream.release();
}

void Connection::close(uint64_t ts) {
    finish_open(ts, true);
}

void Connection::abandon(uint64_t ts) {
    finish_open(ts, false);
}

void Connection::upgraded(const protocols::Handoff &h) {
    // Stream 1 is the upgrade request, already complete on the client's side.
    const Direction req_dir = role_ == Role::kClient ? Direction::kEgress : Direction::kIngress;
    if (nstreams_ == streams_.size()) streams_.emplace_back();
    Stream &s = streams_[nstreams_++];
    s.clear();
    s.id = 1;
    max_client_id_ = 1;
    Half &q = s.half[kDir(req_dir)];
    q.headers = q.ended = q.saw_method = true;
    q.ts_begin = h.request.ts_begin;
    q.ts_end = h.request.ts_end;
    q.body = std::max<int64_t>(h.request.body, 0);
    s.method = h.request.method;
    s.path = h.request.path;
    s.query = h.request.query;
    s.has_query = h.request.has_query;
    for (Direction d : {Direction::kIngress, Direction::kEgress}) {
        const auto &rest = h.rest[kDir(d)];
        if (rest.total == 0) continue;
        add(d, DataChunk{rest.ts_begin, rest.ts_end, rest.bytes, rest.total});
    }
}

} // namespace beyla::http2
