// The tracer: one EventSource feeding connection tracking, protocol parsing and span
// building, all on the thread that calls poll(). Every piece of state lives here, so two
// tracers in one process are independent.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "beyla/beyla.h"
#include "bpf/socket_trace.h"
#include "common/log.h"
#include "core/proc_scan.h"
#include "core/reorder_buffer.h"
#include "core/span_builder.h"
#include "core/unix_paths.h"
#include "metrics/aggregator.h"
#include "protocols/common/protocol.h"
#include "source/event_source.h"
#include "source/recording.h"

namespace beyla {

struct TracerOptions {
    Selection selection;
    int transport = BEYLA_TRANSPORT_AUTO;
    uint32_t payload_prefix = BEYLA_DEFAULT_PAYLOAD;
    uint32_t ring_size = 0; // 0: the source's default
    bool capture_url_query = false;
    // db.query.text with its literals (off: masked).
    bool capture_db_query_raw = false;
    // Decrypted TLS through uprobes on TLS libraries (OpenSSL shared or linked in, GnuTLS);
    // spans get url.scheme=https.
    bool capture_tls = false;
    // Registry names of the protocols to decode ("http", "http2", "grpc"...); empty: all.
    std::vector<std::string> protocols;
    std::string replay_path;
    // BTF file for CO-RE relocations instead of the kernel's own; "" for the kernel's.
    std::string btf_path;
    std::string record_path;
    std::string proc_root = "/proc";
    std::string sys_root = "/sys";
    size_t max_connections = 65536;
    uint64_t conn_idle_ns = 300ull * 1000 * 1000 * 1000;
    Logger logger;
    std::function<void(const beyla_span &)> on_span;
    // RED metrics aggregated from the spans (metrics()); off unless asked for.
    bool metrics = false;
    metrics::MetricsConfig metrics_cfg;
    // For tests: a source to use instead of the kernel or a replay.
    std::function<std::unique_ptr<EventSource>()> source_factory;
    // For tests: protocols asked after the registry's (not subject to `protocols`).
    std::vector<const protocols::Protocol *> extra_protocols;
};

struct TracerStats {
    uint64_t events = 0, bytes = 0, spans = 0, parse_errors = 0, malformed = 0;
    uint64_t drop_conn_limit = 0, unmatched = 0, connections = 0, unknown_protocol = 0, incomplete = 0;
    uint64_t tls_undecoded = 0;
    uint64_t evicted = 0, gaps = 0, gap_bytes = 0;
};

struct ConnState; // defined in tracer.cc

class Tracer {
  public:
    explicit Tracer(TracerOptions opts);
    ~Tracer();
    Tracer(const Tracer &) = delete;
    Tracer &operator=(const Tracer &) = delete;

    void start();
    int poll(int timeout_ms); // spans delivered, or -errno
    void stop();
    int fd() const { return source_ ? source_->fd() : -1; }
    std::vector<tls::LibraryReport> tls_libraries() const {
        return source_ ? source_->tls_libraries() : std::vector<tls::LibraryReport>{};
    }
    bool started() const { return started_; }
    beyla_stats stats() const;
    size_t traced_processes() const { return traced_.size(); }
    size_t open_connections() const { return conns_.size(); }
    // Protocol-specific counters by name ("http2.fields_unknown"...).
    const protocols::NamedCounters &protocol_counters() const { return counters_; }
    const Logger &logger() const { return opts_.logger; }
    // Null unless TracerOptions::metrics; its snapshot() may run on any thread.
    const metrics::Aggregator *metrics() const { return metrics_.get(); }

  private:
    struct ConnKey {
        uint32_t tgid;
        int32_t fd;
        bool operator==(const ConnKey &o) const { return tgid == o.tgid && fd == o.fd; }
    };
    struct ConnKeyHash {
        size_t operator()(const ConnKey &k) const { return (uint64_t(k.tgid) << 32) ^ uint32_t(k.fd); }
    };

    void handle(const void *data, size_t size);
    void on_data(const beyla_data_event &ev, size_t size);
    void on_conn_open(const beyla_conn_event &ev);
    void on_conn_close(const beyla_event_header &hdr);
    void on_proc(const beyla_proc_event &ev);
    // A header field from an in-process probe: to the connection's protocol state.
    void on_fields(const beyla_h2_header_event &ev);
    // Compares an event's stream position with where the last one ended.
    void check_pos(ConnState &c, uint8_t dir, uint64_t pos, uint64_t bytes, uint64_t ts);
    // Asks the enabled protocols about a connection no protocol claimed yet; true when one
    // claimed it with this chunk (already fed to it).
    bool infer(ConnState &c, protocols::Direction dir, const protocols::DataChunk &chunk);
    // Forgets the connection's protocol state and what it was counted as (TLS found).
    void restart(ConnState &c);
    void fold_counters(ConnState &c);
    void emit(ConnState &c, const protocols::Exchange &ex);
    void resolve_unix(ConnState &c, uint64_t ts); // server.address of a unix socket
    void hand_off(ConnState &c, const protocols::Handoff &h);
    // Asks the kernel to copy more of each syscall on c when its protocol needs it.
    void widen(ConnState &c, const protocols::Protocol &p);
    ConnState *conn_for(const beyla_event_header &hdr, const beyla_sockaddr &addr, int role);
    // closed: the connection really ended (close, fd reuse, exit); false when the tracer
    // only lets go of it (stop, idle eviction).
    void close_conn(ConnKey key, uint64_t ts, bool closed = true);
    void deliver(ConnState &c);
    void sweep(uint64_t now_mono);
    void give_back_memory();
    void trace_process(uint32_t tgid);
    const std::string &exe_name(uint32_t tgid, const char *comm);
    uint64_t to_unix(uint64_t mono) const { return mono + static_cast<uint64_t>(mono_to_unix_); }

    TracerOptions opts_;
    std::unique_ptr<EventSource> source_;
    std::unique_ptr<RecordingWriter> recorder_;
    ProcScanner procs_;
    SpanBuilder spans_;
    UnixPaths unix_paths_; // server.address of unix-socket spans
    std::unique_ptr<metrics::Aggregator> metrics_;
    std::vector<const protocols::Protocol *> protocols_; // enabled, in inference order
    protocols::NamedCounters counters_;
    protocols::ProtocolConfig proto_cfg_;
    std::unordered_map<ConnKey, std::unique_ptr<ConnState>, ConnKeyHash> conns_;
    std::set<uint32_t> traced_;
    std::unordered_map<uint32_t, std::string> exe_names_;
    TracerStats st_;
    int64_t mono_to_unix_ = 0;
    uint64_t last_sweep_ = 0;
    uint64_t latest_ts_ = 0;
    uint64_t released_ = 0;  // connections let go since the last give_back_memory()
    uint64_t last_trim_ = 0; // mono_now_ns() of it
    int delivered_ = 0;
    bool started_ = false;
    bool stopped_ = false;
    bool sort_batches_ = false;
    ReorderBuffer reorder_;
};

// Connections released (closed, evicted) before the tracer hands freed heap back to the
// system: a few MiB worth, so that ordinary churn never pays for a trim.
inline constexpr uint64_t kTrimAfterReleases = 4096;

// Bytes of a connection looked at, and chunks held, before it is set aside as no known
// protocol (unknown_protocol): enough for a late join to meet a message start.
inline constexpr uint64_t kInferBytes = 64 * 1024;
inline constexpr size_t kInferChunks = 16;

// How long perf buffer events are held for reordering (see ReorderBuffer).
inline constexpr uint64_t kReorderWindowNs = 20'000'000;

uint64_t mono_now_ns();
// CLOCK_REALTIME - CLOCK_MONOTONIC now.
int64_t mono_to_unix_offset();

} // namespace beyla
