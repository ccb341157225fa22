// The one interface between the tracer core and a protocol. The core knows protocols only
// through it: it asks each enabled protocol whether a new connection's first bytes are its
// own (inference), gives the claimed connection to that protocol's per-connection state
// (add / lost / close), and turns the finished exchanges it drains into spans.
//
// A new protocol is one folder under lib/protocols/<name>/ implementing Protocol and
// ProtocolConnection, plus one line in lib/protocols/registry.cc.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/data_chunk.h"

namespace beyla::protocols {

// What a protocol says of a connection's first bytes in one direction.
enum class Inference : uint8_t {
    kNo,       // not this protocol
    kYes,      // this protocol: the connection is handed to it
    kNeedMore, // could be: ask again with more bytes (never a guess from one byte)
};

// One attribute of an exchange beyond the common fields. key is an OpenTelemetry
// semantic-convention name with static storage; str points into the connection's
// storage and is valid only while the exchange is being handed over.
struct ExchangeAttr {
    const char *key = nullptr;
    bool is_int = false;
    std::string_view str;
    int64_t num = 0;
};

// A finished exchange (request and its answer), protocol-generic. Every view is valid
// only during the sink call that receives it.
struct Exchange {
    int protocol = 0;         // enum beyla_protocol
    uint64_t ts_begin = 0;    // first byte of the request (monotonic ns)
    uint64_t ts_end = 0;      // last byte of the answer
    std::string_view version; // network.protocol.version ("1.1", "2"), "" when none
    // HTTP semantics; empty / -1 where they do not apply.
    std::string_view method;
    std::string_view path;
    std::string_view query; // without '?'; exported only when the user asks
    bool has_query = false;
    int status = -1;        // http.response.status_code
    int64_t req_body = -1;  // http.request.body.size
    int64_t resp_body = -1; // http.response.body.size
    // Why the exchange failed ("no_response", "RST_STREAM", a gRPC status...), "" if it
    // did not. Low cardinality: it goes into error.type.
    std::string_view error_type;
    // Set when the connection layer cut the exchange short (close, reset): counted as
    // `incomplete` by the core.
    bool incomplete = false;
    std::span<const ExchangeAttr> attrs; // protocol-specific attributes (rpc.*, db.*)
};

// Where a connection hands its finished exchanges. A plain function pointer and context:
// no allocation per drain.
struct ExchangeSink {
    void (*fn)(void *ctx, const Exchange &ex) = nullptr;
    void *ctx = nullptr;
    void operator()(const Exchange &ex) const { fn(ctx, ex); }
};

// Counters a connection keeps; the core folds their growth into the tracer's stats.
struct ConnectionCounters {
    uint64_t parse_errors = 0; // bytes that did not frame as this protocol
    uint64_t unmatched = 0;    // requests or answers left unpaired
};

// Protocol-specific counters of one tracer, by name ("http2.fields_unknown"): a protocol
// connection takes a slot once and adds to it. Slots never move.
class NamedCounters {
  public:
    uint64_t &at(std::string_view name) {
        for (auto &[n, v] : items_)
            if (n == name) return v;
        return items_.emplace_back(std::string(name), 0).second;
    }
    uint64_t get(std::string_view name) const {
        for (const auto &[n, v] : items_)
            if (n == name) return v;
        return 0;
    }
    size_t size() const { return items_.size(); }
    const std::pair<std::string, uint64_t> &operator[](size_t i) const { return items_[i]; }

  private:
    std::deque<std::pair<std::string, uint64_t>> items_;
};

// After an in-band protocol switch (HTTP/1.1 Upgrade answered by 101): what the next
// protocol needs to carry on. The request that asked for the switch is answered on the
// new protocol (h2c: on stream 1).
struct Handoff {
    std::string protocol; // registry name of the protocol that carries on ("http2")
    std::string token;    // the Upgrade token agreed ("h2c")
    struct Request {
        std::string method, path, query;
        bool has_query = false;
        uint64_t ts_begin = 0;
        uint64_t ts_end = 0;
        int64_t body = -1;
    } request;
    // Captured bytes of each direction that came after the switch point in the chunks
    // already seen, with the times of the chunk that held them (indexed by Direction).
    struct Rest {
        std::vector<uint8_t> bytes;
        uint64_t total = 0; // bytes moved after the switch point (>= bytes.size())
        uint64_t ts_begin = 0, ts_end = 0;
    } rest[2];
};

// A header field decoded by the traced process itself (an in-process probe: Go's HTTP/2
// code), not parsed from the wire. Views valid only during the add_fields call.
struct HeaderField {
    std::string_view name, value;
    bool cut = false; // longer than the probe copies: value (or name) is a prefix
};

// Per-connection state of one protocol: takes both directions' bytes, keeps what the
// protocol needs (bounded), and produces finished exchanges.
class ProtocolConnection {
  public:
    virtual ~ProtocolConnection() = default;

    // Sets the role when it was not known (accept/connect seen late); a known role stays.
    virtual void set_role(Role role) = 0;
    // The connection's role as known or inferred from the bytes; kUnknown until then.
    virtual Role role() const = 0;
    // One syscall's bytes. Chunks of each direction come in order.
    virtual void add(Direction dir, const DataChunk &chunk) = 0;
    // Bytes of one direction were lost before the next chunk: `bytes` of them, or an
    // unknown amount when 0. Never pair across a loss by count.
    virtual void lost(Direction dir, uint64_t bytes, uint64_t ts) = 0;
    // The connection really ended at ts: exchanges still waiting come out failed.
    virtual void close(uint64_t ts) = 0;
    // The tracer lets go of a connection that may still be open (stop, idle eviction):
    // what is unanswered is only counted as unmatched.
    virtual void abandon(uint64_t ts) = 0;
    // Hands each finished exchange to sink, oldest first.
    virtual void drain(const ExchangeSink &sink) = 0;
    virtual ConnectionCounters counters() const = 0;
    // The bytes stopped parsing as this protocol: the core sets the connection aside.
    virtual bool given_up() const = 0;
    // Some message of this protocol parsed on the connection.
    virtual bool parsed_any() const = 0;
    // An in-band switch to another protocol happened; returns it once, then nullptr.
    virtual std::unique_ptr<Handoff> take_handoff() { return nullptr; }
    // Decoded header fields from an in-process probe: what the process encoded (kEgress) or
    // decoded (kIngress) on `stream`, whatever the wire's compression state (a connection
    // joined late cannot decode its own header blocks). A block may come in several calls,
    // in order; `end` is set on its last one, with `end_stream` when the block ends the
    // stream. They may come before or after the wire bytes of the same block.
    virtual void add_fields(Direction dir, uint32_t stream, std::span<const HeaderField> fields, bool end,
                            bool end_stream, uint64_t ts) {
        (void)dir, (void)stream, (void)fields, (void)end, (void)end_stream, (void)ts;
    }
};

// Which protocols a tracer runs, by registry name. Empty: all of them.
class ProtocolSet {
  public:
    ProtocolSet() = default;
    explicit ProtocolSet(std::vector<std::string> names) : names_(std::move(names)) {}
    bool all() const { return names_.empty(); }
    bool has(std::string_view name) const {
        if (names_.empty()) return true;
        for (const auto &n : names_)
            if (n == name) return true;
        return false;
    }
    const std::vector<std::string> &names() const { return names_; }

  private:
    std::vector<std::string> names_;
};

// Settings every protocol connection gets from the tracer.
struct ProtocolConfig {
    ProtocolSet enabled;
    // The tracer exports no header; a parser keeps header fields only when needed.
    bool keep_headers = false;
    // Database protocols put statements into db.query.text as sent, literals included;
    // off: string and number literals become "?".
    bool db_query_raw = false;
    // The tracer's protocol-specific counters; never null inside the tracer (tests may
    // leave it null: a protocol then counts into a slot of its own).
    NamedCounters *counters = nullptr;
};

// A protocol: stateless, immutable, shared by every tracer of the process.
class Protocol {
  public:
    virtual ~Protocol() = default;
    // Registry name ("http", "http2"): what --protocols and the C ABI select.
    virtual std::string_view name() const = 0;
    // Further names this protocol answers to in a selection (HTTP/2 also carries "grpc").
    virtual std::span<const std::string_view> also_serves() const { return {}; }
    // Looks at the captured bytes at the start of one direction (head may hold several
    // chunks' bytes, up to the core's inference bound). role: as accept/connect said, or
    // kUnknown.
    virtual Inference infer(Direction dir, std::span<const uint8_t> head, Role role) const = 0;
    virtual std::unique_ptr<ProtocolConnection> make(Role role, const ProtocolConfig &cfg) const = 0;
    // Bytes of each syscall the parser needs copied on its connections, when the tracer's
    // payload prefix would hide what it must see (HTTP/2: frame headers deep in one
    // write); 0: the prefix is enough. The kernel copies at most BEYLA_MAX_PAYLOAD.
    virtual uint32_t capture_bytes() const { return 0; }
    // Its connections take add_fields: the core gives a connection no protocol claimed yet
    // to the first enabled protocol that does when such fields arrive on it.
    virtual bool accepts_fields() const { return false; }
    // A connection continuing after a switch from another protocol (Handoff::protocol
    // names this one); nullptr when this protocol takes no handoff.
    virtual std::unique_ptr<ProtocolConnection> make_from(const Handoff &h, Role role,
                                                          const ProtocolConfig &cfg) const {
        (void)h, (void)role, (void)cfg;
        return nullptr;
    }
};

} // namespace beyla::protocols
