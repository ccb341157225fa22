// Where raw events come from: the kernel (BpfSource) or a recording (ReplaySource).
// Both hand the same bytes (structs of bpf/socket_trace.h) to the same callback, so the
// whole user-side pipeline is testable without a kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tls/tls_library.h"

namespace beyla {

// Kernel-side counters, summed over CPUs, plus what the transport reports lost.
struct SourceCounters {
    uint64_t ring_full = 0;     // BEYLA_CNT_RING_FULL
    uint64_t read_fault = 0;    // BEYLA_CNT_READ_FAULT
    uint64_t truncated = 0;     // BEYLA_CNT_TRUNCATED
    uint64_t args_missing = 0;  // BEYLA_CNT_ARGS_MISSING
    uint64_t kernel_events = 0; // BEYLA_CNT_EVENTS
    uint64_t perf_lost = 0;     // perf buffer lost-sample records
};

// Called once per raw event; `data` points at a struct from bpf/socket_trace.h and is
// valid only during the call.
using RawEventFn = std::function<void(const void *data, size_t size)>;

class EventSource {
  public:
    virtual ~EventSource() = default;
    virtual void start() = 0; // throws beyla::Error
    // Waits up to timeout_ms for events and hands each to fn. Returns the number handed,
    // or -ENODATA when a finite source is exhausted.
    virtual int poll(int timeout_ms, const RawEventFn &fn) = 0;
    virtual void stop() = 0;    // idempotent; events still queued are drained by the next poll
    virtual int fd() const = 0; // readable when events wait, -1 if none
    virtual SourceCounters counters() const = 0;
    // Process selection, applied in the kernel: events come only from these tgids.
    virtual void trace_pid(uint32_t tgid, uint32_t flags) = 0;
    virtual void untrace_pid(uint32_t tgid) = 0;
    // Processes that accept() on a socket bound to one of these local ports start being traced.
    virtual void trace_port(uint16_t port) = 0;
    virtual std::string describe() const = 0; // e.g. "ringbuf 8 MiB, syscall tracepoints"
    // From now on, copy up to `bytes` of each syscall on this socket (a protocol that must
    // see more than the prefix, up to BEYLA_MAX_PAYLOAD). False when it could not (its
    // table is full); sources that copy nothing (recordings) say so with can_widen().
    virtual bool can_widen() const { return false; }
    virtual bool widen_capture(uint64_t sock_id, uint32_t bytes) {
        (void)sock_id, (void)bytes;
        return false;
    }
    // TLS libraries probed so far (sources that probe none: empty).
    virtual std::vector<tls::LibraryReport> tls_libraries() const { return {}; }
};

// A source whose events were selected before they reached us (a recording, a buffer in
// memory): nothing to attach, no fd to wait on, and selection calls have nothing to do.
class OfflineSource : public EventSource {
  public:
    void start() override {}
    void stop() override {}
    int fd() const override { return -1; }
    SourceCounters counters() const override { return {}; }
    void trace_pid(uint32_t, uint32_t) override {}
    void untrace_pid(uint32_t) override {}
    void trace_port(uint16_t) override {}
};

} // namespace beyla
