// Turns a finished request/response pair into a beyla_span: the attribute names are
// OpenTelemetry's semantic conventions. Storage is reused from span to span so the
// steady state allocates nothing.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "beyla/beyla.h"
#include "bpf/socket_trace.h"
#include "common/prng.h"
#include "protocols/common/protocol.h"

namespace beyla {

struct SpanInput {
    int kind = 0; // beyla_span_kind
    uint64_t start_unix_ns = 0;
    uint64_t end_unix_ns = 0;
    uint32_t pid = 0;
    uint32_t tid = 0;
    std::string_view exe;
    const beyla_sockaddr *addr = nullptr;    // local/remote of the traced process's socket
    const protocols::Exchange *ex = nullptr; // what the protocol decoded
    std::string_view scheme;                 // "" unless known (https over TLS probes); only for URLs
    std::string_view unix_path;              // a unix socket's path (addr->family AF_UNIX), "" unknown
};

class SpanBuilder {
  public:
    explicit SpanBuilder(bool with_query) : with_query_(with_query) {}
    // The span stays valid until the next build().
    const beyla_span &build(const SpanInput &in);

  private:
    void add_str(const char *key, std::string &store, std::string_view v);
    void add_int(const char *key, int64_t v);
    // The text of an address, formatted only when it differs from the previous span's in
    // this slot: inet_ntop was a fifth of the decode time, and the server address rarely changes.
    struct AddrSlot {
        uint8_t addr[16] = {};
        uint16_t family = 0;
        bool valid = false;
        std::string text;
    };
    void add_addr(const char *key, AddrSlot &slot, const uint8_t addr[16], uint16_t family);

    bool with_query_;
    // Fixed slots: attrs point into them, so they are never resized while a span lives.
    std::string method_, path_, query_, exe_, version_, scheme_, error_, unix_path_;
    // One per protocol-specific string attribute, reused span to span (a deque: growing it
    // never moves the strings earlier attrs point into).
    std::deque<std::string> extra_;
    AddrSlot server_addr_, client_addr_;
    std::vector<beyla_attr> attrs_;
    beyla_span span_{};
    Prng ids_; // trace and span ids, per builder (per tracer)
};

// "1.2.3.4" for v4-mapped addresses, else the IPv6 text form.
std::string format_addr(const uint8_t addr[16], uint16_t family);

} // namespace beyla
