#include "core/tracer.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <sys/socket.h>
#include <unistd.h>

#include "caps/parsers.h"
#include "common/error.h"
#include "core/source_factory.h"
#include "protocols/registry.h"
#include "protocols/tls/record.h"
#include "source/replay_source.h"

namespace beyla {

using protocols::Direction;
using protocols::Inference;
using protocols::Role;

// One traced connection: the identity of its kernel socket, its addresses and the
// protocol state. An fd reused by another socket gets a new ConnState (sock_id differs).
struct ConnState {
    uint64_t sock_id = 0;
    beyla_sockaddr addr{};
    uint32_t tgid = 0;
    uint32_t last_tid[2] = {0, 0}; // by direction
    uint64_t last_seen = 0;
    Role role = Role::kUnknown; // as accept/connect said
    // The protocol that claimed the connection; null while inference goes on.
    std::unique_ptr<protocols::ProtocolConnection> proto;
    // Chunks held while some protocol needs more bytes to decide (bounded by kInferBytes).
    struct Held {
        Direction dir;
        std::vector<uint8_t> bytes;
        uint64_t total, ts_begin, ts_end;
    };
    std::vector<Held> held;
    uint64_t infer_bytes = 0; // bytes looked at without a claim
    // Counters of `proto` already added to the tracer's totals.
    uint64_t seen_errors = 0, seen_unmatched = 0;
    // No protocol claimed it, or its protocol gave up: later bytes are not parsed.
    bool unknown = false;
    // Plaintext came from TLS probes: the socket's own bytes are ciphertext.
    bool tls = false;
    // The socket's bytes are TLS records and no probe gives their plaintext: skipped.
    bool undecoded = false;
    // Some bytes went to inference or to `proto`: a TLS restart has something to undo.
    bool fed = false;
    // By direction: the stream position the next event should start at (BEYLA_DATA_F_POS).
    uint64_t next_pos[2] = {0, 0};
    bool pos_known[2] = {false, false};
    // A unix socket's path (server.address), found once while the socket is listed.
    std::string unix_path;
};

namespace {

// One clear error before any load fails half-way: which capabilities are missing.
void check_privileges(const std::string &proc_root) {
    std::ifstream f(proc_root + "/self/status");
    std::string status((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto eff = parse_cap_eff(status);
    if (!eff) return; // unknown: let the kernel answer
    auto has = [&](int bit) { return (*eff >> bit) & 1; };
    constexpr int kSysAdmin = 21, kPerfmon = 38, kBpf = 39;
    if (has(kSysAdmin)) return;
    std::string missing;
    if (!has(kBpf)) missing += "CAP_BPF ";
    if (!has(kPerfmon)) missing += "CAP_PERFMON ";
    if (missing.empty()) return;
    missing.pop_back();
    fail(EPERM,
         "tracing needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN); this process lacks {} "
         "(run as root, or grant them, e.g. setcap cap_bpf,cap_perfmon,cap_dac_read_search+ep)",
         missing);
}

} // namespace

uint64_t mono_now_ns() {
    timespec mono{};
    clock_gettime(CLOCK_MONOTONIC, &mono);
    return uint64_t(mono.tv_sec) * 1000000000ULL + uint64_t(mono.tv_nsec);
}

int64_t mono_to_unix_offset() {
    timespec rt{}, mono{};
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    return (int64_t(rt.tv_sec) - int64_t(mono.tv_sec)) * 1000000000LL +
           (int64_t(rt.tv_nsec) - int64_t(mono.tv_nsec));
}

Tracer::Tracer(TracerOptions opts)
    : opts_(std::move(opts)), procs_(opts_.proc_root), spans_(opts_.capture_url_query),
      unix_paths_(opts_.proc_root) {
    if (opts_.payload_prefix == 0) opts_.payload_prefix = BEYLA_DEFAULT_PAYLOAD;
    if (opts_.payload_prefix > BEYLA_MAX_PAYLOAD)
        fail(EINVAL, "payload_prefix {} is over the maximum of {}", opts_.payload_prefix, BEYLA_MAX_PAYLOAD);
    if (opts_.transport < BEYLA_TRANSPORT_AUTO || opts_.transport > BEYLA_TRANSPORT_PERFBUF)
        fail(EINVAL, "unknown transport {}", opts_.transport);
    if (opts_.replay_path.empty() && !opts_.source_factory && opts_.selection.empty())
        fail(EINVAL, "no process selected: give pids, ports or executable globs");
    for (const auto &name : opts_.protocols) {
        bool known = false;
        for (auto n : protocols::registry_names()) known = known || n == name;
        if (!known) {
            std::string all;
            for (auto n : protocols::registry_names()) all += (all.empty() ? "" : ", ") + std::string(n);
            fail(EINVAL, "unknown protocol '{}' (known: {})", name, all);
        }
    }
    if (opts_.metrics) {
        if (opts_.metrics_cfg.proc_root.empty() || opts_.metrics_cfg.proc_root == "/proc")
            opts_.metrics_cfg.proc_root = opts_.proc_root;
        metrics_ = std::make_unique<metrics::Aggregator>(opts_.metrics_cfg, &counters_);
    }
    proto_cfg_.enabled = protocols::ProtocolSet(opts_.protocols);
    proto_cfg_.counters = &counters_;
    proto_cfg_.db_query_raw = opts_.capture_db_query_raw;
    for (const protocols::Protocol *p : protocols::registry())
        if (protocols::protocol_enabled(*p, proto_cfg_.enabled)) protocols_.push_back(p);
    for (const protocols::Protocol *p : opts_.extra_protocols) protocols_.push_back(p);
}

Tracer::~Tracer() {
    try {
        stop();
    } catch (...) {
        // Destruction must not throw; stop() already logged.
    }
}

void Tracer::start() {
    if (started_) fail(EALREADY, "tracer already started");
    if (stopped_) fail(EINVAL, "a stopped tracer cannot be started again");
    mono_to_unix_ = mono_to_unix_offset();
    if (opts_.source_factory) {
        source_ = opts_.source_factory();
        source_->start();
    } else if (!opts_.replay_path.empty()) {
        auto replay = std::make_unique<ReplaySource>(opts_.replay_path);
        replay->start();
        mono_to_unix_ = replay->mono_to_unix_ns();
        source_ = std::move(replay);
    } else {
        SourceConfig sc;
        sc.transport = opts_.transport;
        sc.payload_prefix = opts_.payload_prefix;
        sc.ring_size = opts_.ring_size;
        sc.proc_root = opts_.proc_root;
        sc.sys_root = opts_.sys_root;
        sc.logger = &opts_.logger;
        sc.tls = opts_.capture_tls;
        sc.btf_path = opts_.btf_path;
        sc.exe_globs = opts_.selection.exe_globs;
        check_privileges(opts_.proc_root);
        source_ = make_bpf_source(sc);
        source_->start();
        sort_batches_ = source_needs_sort(*source_);
    }
    if (!opts_.record_path.empty())
        recorder_ = std::make_unique<RecordingWriter>(opts_.record_path, mono_to_unix_);

    // Select what runs now; later processes come from exec/fork events and accept().
    for (auto port : opts_.selection.ports) source_->trace_port(port);
    if (opts_.replay_path.empty() && !opts_.selection.empty()) {
        // Not ourselves unless asked by pid: found as a descendant (the shell that started us
        // was selected) we would trace our own output when it goes to a socket.
        auto self = static_cast<uint32_t>(getpid());
        bool self_asked = std::find(opts_.selection.pids.begin(), opts_.selection.pids.end(),
                                    static_cast<int32_t>(self)) != opts_.selection.pids.end();
        for (uint32_t tgid : procs_.select(opts_.selection))
            if (tgid != self || self_asked) trace_process(tgid);
        opts_.logger.info("tracing {} process(es) via {}", traced_.size(), source_->describe());
    }
    started_ = true;
}

void Tracer::trace_process(uint32_t tgid) {
    if (traced_.insert(tgid).second) source_->trace_pid(tgid, BEYLA_PROC_F_FOLLOW_CHILDREN);
}

int Tracer::poll(int timeout_ms) {
    if (!started_) return -EINVAL;
    delivered_ = 0;
    auto fn = [this](const void *data, size_t size) {
        if (recorder_) recorder_->write(data, size);
        if (!sort_batches_ || size < sizeof(beyla_event_header)) return handle(data, size);
        beyla_event_header h;
        memcpy(&h, data, sizeof(h));
        reorder_.push(data, size, h.ts_exit);
    };
    // Measured before the drain: an event not read by this drain landed in its CPU's queue
    // after that queue was read, so after this instant. Measuring after the drain instead
    // would let a drain that was descheduled half-way release events a late one precedes.
    uint64_t drain_start = mono_now_ns();
    int n = source_->poll(timeout_ms, fn);
    if (sort_batches_) {
        uint64_t cutoff =
            stopped_ ? UINT64_MAX : (drain_start > kReorderWindowNs ? drain_start - kReorderWindowNs : 0);
        reorder_.release(cutoff, [this](const void *d, size_t sz) { handle(d, sz); });
    }
    if (recorder_) recorder_->flush();
    if (latest_ts_ && latest_ts_ - last_sweep_ > 1000000000ULL) sweep(latest_ts_);
    if (released_ >= kTrimAfterReleases) give_back_memory();
    if (n < 0 && delivered_ == 0) return n;
    return delivered_;
}

void Tracer::stop() {
    if (!started_ || stopped_) return;
    stopped_ = true;
    source_->stop();
    // Drain what the kernel queued before the detach.
    for (int i = 0; i < 64; i++) {
        int n = poll(0);
        if (n <= 0) break;
    }
    reorder_.release(UINT64_MAX, [this](const void *d, size_t sz) { handle(d, sz); });
    // Flush connections: bodies delimited by close finish here; the rest count as unmatched.
    std::vector<ConnKey> keys;
    keys.reserve(conns_.size());
    for (auto &[k, c] : conns_) keys.push_back(k);
    for (auto k : keys) close_conn(k, latest_ts_, false);
    if (recorder_) recorder_->flush();
}

void Tracer::handle(const void *data, size_t size) {
    st_.events++;
    if (size < sizeof(beyla_event_header)) {
        st_.malformed++;
        return;
    }
    beyla_event_header hdr;
    memcpy(&hdr, data, sizeof(hdr));
    if (hdr.ts_exit > latest_ts_) latest_ts_ = hdr.ts_exit;
    switch (hdr.type) {
    case BEYLA_EV_DATA:
        if (size < sizeof(beyla_data_event)) break;
        return on_data(*static_cast<const beyla_data_event *>(data), size);
    case BEYLA_EV_CONN_OPEN:
        if (size < sizeof(beyla_conn_event)) break;
        return on_conn_open(*static_cast<const beyla_conn_event *>(data));
    case BEYLA_EV_CONN_CLOSE:
        return on_conn_close(hdr);
    case BEYLA_EV_PROC_EXEC:
    case BEYLA_EV_PROC_EXIT:
    case BEYLA_EV_PROC_FORK:
        if (size < sizeof(beyla_proc_event)) break;
        return on_proc(*static_cast<const beyla_proc_event *>(data));
    case BEYLA_EV_HTTP2_HEADER:
        if (size < sizeof(beyla_h2_header_event)) break;
        return on_fields(*static_cast<const beyla_h2_header_event *>(data));
    default:
        break;
    }
    st_.malformed++;
}

ConnState *Tracer::conn_for(const beyla_event_header &hdr, const beyla_sockaddr &addr, int role) {
    ConnKey key{hdr.tgid, hdr.fd};
    auto it = conns_.find(key);
    if (it != conns_.end()) {
        if (it->second->sock_id == hdr.sock_id) return it->second.get();
        // The fd now names another socket: the old connection ended without us seeing close.
        close_conn(key, hdr.ts_enter);
    }
    if (conns_.size() >= opts_.max_connections) {
        st_.drop_conn_limit++;
        return nullptr;
    }
    auto c = std::make_unique<ConnState>();
    c->sock_id = hdr.sock_id;
    c->addr = addr;
    c->tgid = hdr.tgid;
    c->last_seen = hdr.ts_exit;
    if (role == BEYLA_ROLE_SERVER || role == BEYLA_ROLE_CLIENT) c->role = static_cast<Role>(role);
    st_.connections++;
    auto *raw = c.get();
    conns_[key] = std::move(c);
    return raw;
}

void Tracer::on_conn_open(const beyla_conn_event &ev) {
    ConnKey key{ev.hdr.tgid, ev.hdr.fd};
    if (conns_.count(key)) close_conn(key, ev.hdr.ts_enter);
    if (ConnState *c = conn_for(ev.hdr, ev.addr, ev.role)) resolve_unix(*c, ev.hdr.ts_exit);
}

void Tracer::resolve_unix(ConnState &c, uint64_t ts) {
    if (c.addr.family != AF_UNIX || !c.unix_path.empty()) return;
    // The server's own socket, or the client's peer, is listed with the listener's path;
    // a socket of unknown role may be either.
    uint64_t own = 0, peer = 0;
    memcpy(&own, c.addr.laddr, sizeof(own));
    memcpy(&peer, c.addr.raddr, sizeof(peer));
    const Role role = c.proto && c.proto->role() != Role::kUnknown ? c.proto->role() : c.role;
    if (role != Role::kClient) c.unix_path = unix_paths_.path(own, ts);
    if (c.unix_path.empty() && role != Role::kServer) c.unix_path = unix_paths_.path(peer, ts);
    // Gone already (a short connection): a server's socket has its listener's path.
    if (c.unix_path.empty() && role == Role::kServer) c.unix_path = unix_paths_.listener_path(c.tgid, ts);
}

void Tracer::on_conn_close(const beyla_event_header &hdr) {
    ConnKey key{hdr.tgid, hdr.fd};
    auto it = conns_.find(key);
    if (it == conns_.end() || (hdr.sock_id && it->second->sock_id != hdr.sock_id)) return;
    close_conn(key, hdr.ts_enter);
}

void Tracer::on_data(const beyla_data_event &ev, size_t size) {
    size_t room = size - sizeof(beyla_data_event);
    if (ev.captured > room || ev.captured > ev.bytes || ev.direction > BEYLA_DIR_EGRESS) {
        st_.malformed++;
        return;
    }
    ConnState *c = conn_for(ev.hdr, ev.addr, ev.role);
    if (!c) return;
    st_.bytes += ev.bytes;
    c->last_seen = ev.hdr.ts_exit;
    c->last_tid[ev.direction] = ev.hdr.tid;
    if (!c->addr.family && ev.addr.family) c->addr = ev.addr;
    // A unix client's peer has no inode until the server accepts it (connect sees the
    // embryo socket): later events bring it.
    static constexpr uint8_t kNoInode[8] = {};
    if (c->addr.family == AF_UNIX && ev.addr.family == AF_UNIX && !memcmp(c->addr.raddr, kNoInode, 8))
        memcpy(c->addr.raddr, ev.addr.raddr, 8);
    resolve_unix(*c, ev.hdr.ts_exit);
    if (c->role == Role::kUnknown && (ev.role == BEYLA_ROLE_SERVER || ev.role == BEYLA_ROLE_CLIENT)) {
        c->role = static_cast<Role>(ev.role);
        if (c->proto) c->proto->set_role(c->role);
    }
    if (ev.flags & BEYLA_DATA_F_ENCRYPTED) return; // its plaintext comes from the TLS probe
    const bool parsed_any = c->proto && c->proto->parsed_any();
    if (ev.flags & BEYLA_DATA_F_TLS) {
        if (!c->tls) {
            // Until now the socket's bytes (ciphertext) went to inference or a parser:
            // start over, and take back what they were counted as.
            c->tls = true;
            if (c->undecoded) {
                c->undecoded = false;
                st_.tls_undecoded -= std::min<uint64_t>(st_.tls_undecoded, 1);
            }
            // A state made for probed header fields alone saw no ciphertext: it stays.
            if (c->fed || !c->proto) restart(*c);
        }
    } else if (c->tls || c->undecoded) {
        return; // ciphertext outside a probed call (handshake, shutdown), or never decrypted
    } else if (!parsed_any && tls::looks_like_record(ev.payload, ev.captured)) {
        c->undecoded = true;
        st_.tls_undecoded++;
        restart(*c);
        return;
    }
    if (c->unknown) return;
    protocols::DataChunk chunk;
    // Bytes read arrive when read() returns; bytes written leave from write()'s start.
    chunk.ts_begin = ev.direction == BEYLA_DIR_INGRESS ? ev.hdr.ts_exit : ev.hdr.ts_enter;
    chunk.ts_end = ev.hdr.ts_exit;
    chunk.captured = std::span<const uint8_t>(ev.payload, ev.captured);
    chunk.total = ev.bytes;
    if (ev.flags & BEYLA_DATA_F_POS) check_pos(*c, ev.direction, ev.pos, ev.bytes, chunk.ts_begin);
    const auto dir = static_cast<Direction>(ev.direction);
    c->fed = true;
    if (!c->proto) {
        if (!infer(*c, dir, chunk)) return;
    } else {
        c->proto->add(dir, chunk);
    }
    if (!exe_names_.count(ev.hdr.tgid)) exe_name(ev.hdr.tgid, ev.comm);
    deliver(*c);
}

void Tracer::restart(ConnState &c) {
    if (c.proto) fold_counters(c);
    // What the discarded bytes were counted as is taken back: they were ciphertext.
    st_.parse_errors -= std::min(st_.parse_errors, c.seen_errors);
    st_.unmatched -= std::min(st_.unmatched, c.seen_unmatched);
    if (c.unknown) st_.unknown_protocol -= std::min<uint64_t>(st_.unknown_protocol, 1);
    c.proto.reset();
    c.held.clear();
    c.infer_bytes = 0;
    c.unknown = false;
    c.fed = false;
    c.seen_errors = c.seen_unmatched = 0;
    c.pos_known[0] = c.pos_known[1] = false; // plaintext has its own positions
}

bool Tracer::infer(ConnState &c, Direction dir, const protocols::DataChunk &chunk) {
    // The head of this direction: the bytes held for it (while contiguous) and this chunk's.
    std::span<const uint8_t> head = chunk.captured;
    std::vector<uint8_t> joined;
    bool contiguous = false;
    for (const auto &h : c.held) {
        if (h.dir != dir) continue;
        if (!contiguous) joined.clear();
        joined.insert(joined.end(), h.bytes.begin(), h.bytes.end());
        contiguous = h.bytes.size() == h.total; // a gap after it: what follows is not its continuation
    }
    if (contiguous && !joined.empty()) {
        joined.insert(joined.end(), chunk.captured.begin(), chunk.captured.end());
        head = joined;
    }
    const protocols::Protocol *claimed = nullptr;
    bool need_more = false;
    for (const protocols::Protocol *p : protocols_) {
        const Inference r = p->infer(dir, head, c.role);
        if (r == Inference::kYes) {
            claimed = p;
            break;
        }
        need_more = need_more || r == Inference::kNeedMore;
    }
    c.infer_bytes += chunk.total;
    if (!claimed) {
        if (!need_more) {
            // Not the start of any message in this direction: what was held for it neither.
            std::erase_if(c.held, [dir](const ConnState::Held &h) { return h.dir == dir; });
        } else {
            c.held.push_back({dir,
                              {chunk.captured.begin(), chunk.captured.end()},
                              chunk.total,
                              chunk.ts_begin,
                              chunk.ts_end});
        }
        if (c.infer_bytes > kInferBytes || c.held.size() > kInferChunks) {
            c.unknown = true;
            c.held.clear();
            c.held.shrink_to_fit();
            st_.unknown_protocol++;
        }
        return false;
    }
    c.proto = claimed->make(c.role, proto_cfg_);
    widen(c, *claimed);
    for (const auto &h : c.held)
        c.proto->add(h.dir, protocols::DataChunk{h.ts_begin, h.ts_end, h.bytes, h.total});
    c.held.clear();
    c.held.shrink_to_fit();
    c.proto->add(dir, chunk);
    return true;
}

void Tracer::widen(ConnState &c, const protocols::Protocol &p) {
    const uint32_t want = p.capture_bytes();
    if (want <= opts_.payload_prefix || !source_ || !source_->can_widen()) return;
    // Counted by outcome: a refusal (full map, a replay) leaves the ordinary prefix, and the
    // parser counts what it then misses.
    counters_.at(source_->widen_capture(c.sock_id, want) ? "capture.widened" : "capture.widen_refused")++;
}

void Tracer::check_pos(ConnState &c, uint8_t dir, uint64_t pos, uint64_t bytes, uint64_t ts) {
    if (c.pos_known[dir] && pos != c.next_pos[dir]) {
        // Events between the last one and this were lost (ring full): the parser must not
        // run on as if the stream were whole. Behind the expected position means the
        // kernel's counter restarted (LRU eviction): a loss of unknown size.
        const uint64_t gap = pos > c.next_pos[dir] ? pos - c.next_pos[dir] : 0;
        st_.gaps++;
        st_.gap_bytes += gap;
        if (c.proto) {
            c.proto->lost(static_cast<Direction>(dir), gap, ts);
        } else {
            // Held bytes of that direction no longer run on into what comes next.
            std::erase_if(c.held, [dir](const ConnState::Held &h) { return uint8_t(h.dir) == dir; });
        }
    }
    c.next_pos[dir] = pos + bytes;
    c.pos_known[dir] = true;
}

void Tracer::on_fields(const beyla_h2_header_event &ev) {
    if (ev.direction > BEYLA_DIR_EGRESS || ev.name_captured > BEYLA_H2_NAME_MAX ||
        ev.value_captured > BEYLA_H2_VALUE_MAX || ev.name_captured > ev.name_len ||
        ev.value_captured > ev.value_len ||
        (!(ev.flags & BEYLA_H2_F_FIELD) && (ev.name_captured || ev.value_captured))) {
        st_.malformed++;
        return;
    }
    const beyla_sockaddr no_addr{}; // the socket's data events bring them
    ConnState *c = conn_for(ev.hdr, no_addr, ev.role);
    if (!c) return;
    c->last_seen = ev.hdr.ts_exit;
    if (c->role == Role::kUnknown && (ev.role == BEYLA_ROLE_SERVER || ev.role == BEYLA_ROLE_CLIENT)) {
        c->role = static_cast<Role>(ev.role);
        if (c->proto) c->proto->set_role(c->role);
    }
    if (!c->proto) {
        // The process's own HTTP/2 code says what the connection speaks: no need to wait for
        // inference, which a connection joined late may never get through.
        const protocols::Protocol *p = nullptr;
        for (const protocols::Protocol *q : protocols_)
            if (q->accepts_fields()) {
                p = q;
                break;
            }
        if (!p) {
            counters_.at("fields.unclaimed")++;
            return;
        }
        if (c->unknown) {
            c->unknown = false;
            st_.unknown_protocol -= std::min<uint64_t>(st_.unknown_protocol, 1);
        }
        c->proto = p->make(c->role, proto_cfg_);
        for (const auto &h : c->held)
            c->proto->add(h.dir, protocols::DataChunk{h.ts_begin, h.ts_end, h.bytes, h.total});
        c->held.clear();
        c->held.shrink_to_fit();
    }
    protocols::HeaderField f;
    const bool has = ev.flags & BEYLA_H2_F_FIELD;
    if (has) {
        f.name = std::string_view(ev.name, ev.name_captured);
        f.value = std::string_view(ev.value, ev.value_captured);
        f.cut = ev.name_captured < ev.name_len || ev.value_captured < ev.value_len;
    }
    counters_.at("fields.events")++;
    c->proto->add_fields(static_cast<Direction>(ev.direction), ev.stream_id,
                         std::span<const protocols::HeaderField>(&f, has ? 1 : 0), ev.flags & BEYLA_H2_F_END,
                         ev.flags & BEYLA_H2_F_END_STREAM, ev.hdr.ts_exit);
    if (!exe_names_.count(ev.hdr.tgid)) exe_name(ev.hdr.tgid, nullptr);
    deliver(*c);
}

const std::string &Tracer::exe_name(uint32_t tgid, const char *comm) {
    auto it = exe_names_.find(tgid);
    if (it != exe_names_.end()) return it->second;
    std::string name = opts_.replay_path.empty() ? procs_.exe_name(tgid) : std::string();
    if (name.empty() && comm) name.assign(comm, strnlen(comm, BEYLA_COMM_LEN));
    return exe_names_[tgid] = name;
}

void Tracer::fold_counters(ConnState &c) {
    const protocols::ConnectionCounters k = c.proto->counters();
    st_.parse_errors += k.parse_errors - c.seen_errors;
    st_.unmatched += k.unmatched - c.seen_unmatched;
    c.seen_errors = k.parse_errors, c.seen_unmatched = k.unmatched;
}

void Tracer::deliver(ConnState &c) {
    if (!c.proto) return;
    fold_counters(c);
    if (c.proto->given_up() && !c.unknown) {
        c.unknown = true;
        st_.unknown_protocol++;
    }
    struct Ctx {
        Tracer *t;
        ConnState *c;
    } ctx{this, &c};
    c.proto->drain({[](void *p, const protocols::Exchange &ex) {
                        auto *x = static_cast<Ctx *>(p);
                        x->t->emit(*x->c, ex);
                    },
                    &ctx});
    if (auto h = c.proto->take_handoff()) hand_off(c, *h);
}

void Tracer::hand_off(ConnState &c, const protocols::Handoff &h) {
    // An in-band switch (HTTP/1.1 Upgrade): the protocol named carries on with the bytes
    // that followed, when it runs in this tracer; otherwise the rest is set aside.
    const protocols::Protocol *next = protocols::find_protocol(h.protocol);
    const Role role = c.proto->role() != Role::kUnknown ? c.proto->role() : c.role;
    std::unique_ptr<protocols::ProtocolConnection> np;
    if (next && std::find(protocols_.begin(), protocols_.end(), next) != protocols_.end())
        np = next->make_from(h, role, proto_cfg_);
    c.proto.reset();
    c.seen_errors = c.seen_unmatched = 0;
    if (!np) {
        c.unknown = true;
        st_.unknown_protocol++;
        return;
    }
    c.proto = std::move(np);
    widen(c, *next);
    deliver(c);
}

void Tracer::emit(ConnState &c, const protocols::Exchange &ex) {
    const bool server = c.proto->role() == Role::kServer;
    SpanInput in;
    in.kind = server ? BEYLA_SPAN_SERVER : BEYLA_SPAN_CLIENT;
    in.ex = &ex;
    in.start_unix_ns = to_unix(ex.ts_begin);
    in.end_unix_ns = to_unix(std::max(ex.ts_end, ex.ts_begin));
    in.pid = c.tgid;
    // The thread that handled the request: the reader for servers, the writer for clients.
    in.tid = c.last_tid[server ? BEYLA_DIR_INGRESS : BEYLA_DIR_EGRESS];
    in.exe = exe_name(c.tgid, nullptr);
    in.addr = &c.addr;
    if (c.addr.family == AF_UNIX) {
        resolve_unix(c, ex.ts_end);
        in.unix_path = c.unix_path;
    }
    if (c.tls) in.scheme = "https";
    if (ex.incomplete) st_.incomplete++;
    const beyla_span &span = spans_.build(in);
    if (metrics_) metrics_->record(span);
    st_.spans++;
    delivered_++;
    if (opts_.on_span) opts_.on_span(span);
}

void Tracer::close_conn(ConnKey key, uint64_t ts, bool closed) {
    auto it = conns_.find(key);
    if (it == conns_.end()) return;
    std::unique_ptr<ConnState> c = std::move(it->second);
    conns_.erase(it);
    released_++;
    if (!c->proto) return;
    if (closed)
        c->proto->close(ts);
    else
        c->proto->abandon(ts);
    deliver(*c);
}

void Tracer::give_back_memory() {
    // A wave of closes frees thousands of small blocks that glibc keeps for reuse: the host
    // would carry the peak's RSS for good. At most once a second: trimming walks the heap.
    uint64_t now = mono_now_ns();
    if (last_trim_ && now - last_trim_ < 1'000'000'000ULL) return;
    last_trim_ = now;
    released_ = 0;
    // The table's bucket array keeps its peak size through erases.
    if (conns_.bucket_count() > 4 * (conns_.size() + 1024)) conns_.rehash(0);
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

void Tracer::sweep(uint64_t now) {
    last_sweep_ = now;
    std::vector<ConnKey> idle;
    for (auto &[k, c] : conns_)
        if (now > c->last_seen && now - c->last_seen > opts_.conn_idle_ns) idle.push_back(k);
    for (auto k : idle) {
        close_conn(k, now, false);
        st_.evicted++;
    }
}

void Tracer::on_proc(const beyla_proc_event &ev) {
    uint32_t tgid = ev.hdr.tgid;
    switch (ev.hdr.type) {
    case BEYLA_EV_PROC_FORK:
        // The kernel already traces the child; remember it for stats and exit handling.
        traced_.insert(tgid);
        break;
    case BEYLA_EV_PROC_EXEC: {
        std::string file(ev.filename, strnlen(ev.filename, sizeof(ev.filename)));
        bool traced = traced_.count(tgid) > 0;
        if (traced) {
            exe_names_.erase(tgid); // a new program: a new executable name
        } else if (ev.flags & BEYLA_PROC_EV_F_SELECTED) {
            // The kernel matched it at exec and traces it already: no map update, which
            // would bring back the entry of a process that has exited since.
            traced_.insert(tgid);
            opts_.logger.info("tracing pid {} ({}): executable matches (in the kernel)", tgid, file);
        } else if (!opts_.selection.exe_globs.empty() &&
                   (exe_matches(opts_.selection.exe_globs, file) ||
                    (opts_.replay_path.empty() &&
                     exe_matches(opts_.selection.exe_globs, procs_.exe_path(tgid))))) {
            trace_process(tgid);
            opts_.logger.info("tracing pid {} ({}): executable matches", tgid, file);
        }
        break;
    }
    case BEYLA_EV_PROC_EXIT: {
        traced_.erase(tgid);
        exe_names_.erase(tgid);
        std::vector<ConnKey> keys;
        for (auto &[k, c] : conns_)
            if (k.tgid == tgid) keys.push_back(k);
        for (auto k : keys) close_conn(k, ev.hdr.ts_exit ? ev.hdr.ts_exit : ev.hdr.ts_enter);
        break;
    }
    }
}

beyla_stats Tracer::stats() const {
    beyla_stats s{};
    s.sz = sizeof(s);
    SourceCounters sc = source_ ? source_->counters() : SourceCounters{};
    s.events = st_.events;
    s.bytes = st_.bytes;
    s.spans = st_.spans;
    s.parse_errors = st_.parse_errors;
    s.drop_ring_full = sc.ring_full;
    s.drop_perf_lost = sc.perf_lost;
    s.drop_read_fault = sc.read_fault;
    s.drop_conn_limit = st_.drop_conn_limit;
    s.truncated = sc.truncated;
    s.unmatched = st_.unmatched;
    s.connections = st_.connections;
    s.non_http = st_.unknown_protocol;
    s.unknown_protocol = st_.unknown_protocol;
    s.processes = traced_.size();
    s.malformed = st_.malformed;
    s.incomplete = st_.incomplete;
    s.tls_undecoded = st_.tls_undecoded;
    s.gaps = st_.gaps;
    s.gap_bytes = st_.gap_bytes;
    return s;
}

} // namespace beyla
