// Events from the kernel: loads bpf/socket_trace.bpf.c, attaches it to the syscall
// tracepoints (by id, from tracefs) and the sched raw tracepoints, and reads the ring
// buffer or, where the kernel has none, the perf buffer.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/log.h"
#include "socket_trace.h"
#include "source/event_source.h"
#include "tls/go_binary.h"
#include "tls/tls_library.h"

struct socket_trace_bpf;
struct ring_buffer;
struct perf_buffer;
struct bpf_link;
struct perf_event_header;

namespace beyla {

enum class BpfTransport {
    Auto,    // ring buffer where the kernel has one, else perf buffer
    RingBuf, // fails on kernels without ring buffers
    PerfBuf,
};

struct BpfSourceOptions {
    BpfTransport transport = BpfTransport::Auto;
    // Total buffer bytes. Ring buffer: rounded up to a power-of-two multiple of the page
    // size. Perf buffer: split over the online CPUs, a power of two pages each.
    uint64_t ring_size = 8ull << 20;
    // Payload bytes copied per syscall, 1..BEYLA_MAX_PAYLOAD.
    uint32_t payload_prefix = BEYLA_DEFAULT_PAYLOAD;
    // The reader is woken only once this many bytes wait (0: at every event); poll()
    // drains every drain_interval_ms regardless, which bounds the added latency. Each
    // wakeup costs the reader its caches: at 8.6k req/s nginx, 64 KiB took 3.1-3.8 µs of
    // tracer CPU per request, 256 KiB 2.4-2.6 (1 MiB no better: the timer rules there).
    uint32_t wakeup_bytes = 256 * 1024;
    int drain_interval_ms = 50;
    // PROC_EXEC for every exec on the machine (needed to match executable globs), or
    // only for traced processes.
    bool report_all_execs = true;
    std::string sys_root = "/sys";
    std::string proc_root = "/proc";
    bool allow_mount_tracefs = true;
    const Logger *logger = nullptr; // must outlive the source; nullptr: silent
    // Whether the kernel has BPF ring buffers; unset: probed at start().
    std::optional<bool> ringbuf_supported;
    // The fd -> socket walk (bpf/sock.bpf.h): through typed kernel pointers (6.2+, kernel
    // BTF; cheaper) or CO-RE reads (any BTF). Unset: the first, falling back to the second
    // when the kernel refuses it, or the second alone with a btf_path; set: that one only.
    std::optional<bool> task_btf;
    // Tests: act as if the kernel refused the typed-pointer build (the fallback's path).
    bool refuse_task_btf = false;
    // bpf_loop (5.17+) builds: readv/writev/recvmsg/sendmsg copy the payload prefix from
    // every iovec, and executable globs are matched in the kernel at exec. Unset: where the
    // kernel has the helper; false: the bounded walk of BEYLA_MAX_IOV iovecs and matching
    // in user space only (what older kernels get; tests force it).
    std::optional<bool> bpf_loop;
    // The selection's executable globs, matched at exec by the kernel where they compile
    // (source/exe_dfa.h): such a process is traced from its first syscall. The tracer
    // matches every exec too; this only removes its delay.
    std::vector<std::string> exe_globs;
    // Decrypted TLS: uprobes on the TLS libraries (OpenSSL's libssl.so.*, GnuTLS, OpenSSL
    // linked into an executable) that traced processes map, also later (dlopen), and on
    // the system's own. Off: those programs are not even loaded.
    bool tls = false;
    // BTF file the CO-RE relocations use instead of the kernel's own (libbpf's
    // btf_custom_path), e.g. one extracted for a kernel without CONFIG_DEBUG_INFO_BTF. It must
    // describe the running kernel: the verifier still checks typed pointers against the
    // kernel's own BTF. "": the kernel's.
    std::string btf_path;
};

class BpfSource final : public EventSource {
  public:
    explicit BpfSource(BpfSourceOptions opts = {});
    ~BpfSource() override;
    BpfSource(const BpfSource &) = delete;
    BpfSource &operator=(const BpfSource &) = delete;

    // Loads and attaches. Throws beyla::Error. Process and port selections made before
    // start() are applied before the probes are attached.
    void start() override;
    // Waits up to timeout_ms (-1: until something arrives) and hands every waiting event
    // to fn. Exceptions thrown by fn propagate, after the event is consumed.
    int poll(int timeout_ms, const RawEventFn &fn) override;
    // Detaches the probes; the buffer and maps stay until destruction so that a last
    // poll() drains what is queued.
    void stop() override;
    // Readable once wakeup_bytes wait: an external event loop must also call poll(fd
    // ready or not) at least every drain_interval_ms.
    int fd() const override;
    SourceCounters counters() const override;
    void trace_pid(uint32_t tgid, uint32_t flags) override;
    void untrace_pid(uint32_t tgid) override;
    void trace_port(uint16_t port) override;
    bool can_widen() const override { return true; }
    bool widen_capture(uint64_t sock_id, uint32_t bytes) override;
    std::string describe() const override;

    // After start().
    bool is_traced(uint32_t tgid) const; // in the kernel's traced-process map
    bool using_ringbuf() const { return use_ringbuf_; }
    bool using_task_btf() const { return task_btf_; } // after start()
    bool using_bpf_loop() const { return bpf_loop_; } // after start()
    // Globs the kernel matches at exec (after start()).
    const std::vector<std::string> &kernel_exe_globs() const { return kernel_globs_; }
    uint64_t buffer_bytes() const { return buffer_bytes_; } // total over CPUs
    // "syscalls/sys_enter_read", "raw:sched_process_fork"...: attached, and absent here.
    const std::vector<std::string> &attached() const { return attached_; }
    const std::vector<std::string> &skipped() const { return skipped_; }
    // TLS libraries probed so far: kind, path as first found, the traced processes seen
    // mapping each.
    std::vector<tls::LibraryReport> tls_libraries() const override;
    // Go executables whose crypto/tls is probed so far (bpf_source_go.cc).
    std::vector<std::string> go_tls_executables() const;
    // Go executables whose HTTP/2 header fields are probed so far, with the probe points.
    std::vector<std::string> go_http2_executables() const;

  private:
    struct Program;
    const Logger &log() const { return opts_.logger ? *opts_.logger : null_logger_; }
    void load(const std::string &tracefs);
    void attach();
    void open_buffer();
    // TLS (bpf_source_tls.cc).
    void attach_system_tls_libraries();
    int attach_tls_file(const std::string &file, const std::string &shown, tls::Kind kind, uint32_t tgid);
    void scan_tls_executable(uint32_t tgid);
    void scan_tls_libraries(uint32_t tgid);
    // Go crypto/tls, in bpf_source_go.cc: which programs this kernel can load (before
    // load), the executable of a traced process, and the exec of a traced process.
    void go_tls_prepare();
    void attach_go_executable(uint32_t tgid);
    void go_tls_on_event(const void *data, size_t size);
    // Attaches the HTTP/2 header probes of one executable; false when they failed (logged).
    bool attach_go_http2(const std::string &exe, const std::string &shown, const tls::GoBinary &bin,
                         std::vector<bpf_link *> *links);
    bool tls_watch(const void *data, size_t size); // true: the event was the source's own
    void run_tls_rescans();
    void teardown();
    void map_update(int map_fd, const void *key, const void *value, const char *what);
    void deliver(const void *data, size_t size);
    int drain();
    void on_perf_record(const perf_event_header *ev);
    friend struct BufferCallbacks; // libbpf's C callbacks, in the .cc

    BpfSourceOptions opts_;
    Logger null_logger_;
    socket_trace_bpf *skel_ = nullptr;
    ring_buffer *rb_ = nullptr;
    perf_buffer *pb_ = nullptr;
    std::vector<bpf_link *> links_;
    std::vector<Program> programs_;
    std::vector<std::string> attached_, skipped_;
    bool use_ringbuf_ = false;
    bool task_btf_ = false;
    bool bpf_loop_ = false;
    std::vector<std::string> kernel_globs_;
    uint64_t buffer_bytes_ = 0;
    uint64_t perf_pages_ = 0;
    unsigned ncpus_ = 0;
    bool loaded_ = false;
    bool wide_gate_open_ = false; // wide_gate[0] set: the kernel consults wide_sockets
    bool started_ = false;

    // Selections made before the maps exist, applied at load.
    mutable std::mutex pending_mu_;
    std::vector<std::pair<uint32_t, uint32_t>> pending_pids_;
    std::vector<uint16_t> pending_ports_;

    // TLS library files looked at, by (dev, inode): uprobes are per file, so one attachment
    // covers every process mapping it. Value: index in tls_reports_, -1 when not probed.
    mutable std::mutex tls_mu_;
    std::map<std::pair<uint64_t, uint64_t>, int> tls_files_;
    std::vector<tls::LibraryReport> tls_reports_;
    std::vector<bpf_link *> tls_links_;
    // Executables looked at for Go crypto/tls (probed or not), by (dev, inode), and the
    // ones probed. Their links are in tls_links_. Non-empty: why no Go executable is.
    std::map<std::pair<uint64_t, uint64_t>, int>
        go_files_; // value: index in tls_reports_, -1 when not probed
    std::vector<std::string> go_paths_;
    std::vector<std::string> go_h2_paths_;
    // Slots of go_h2_probes handed out (one per entry probe, never reused: bounded by
    // BEYLA_GO_H2_PROBES).
    uint32_t go_h2_slots_ = 0;
    std::string go_tls_unavailable_;
    // Processes to look at again for libraries mapped later: once at once, and once more
    // later, since the mapping may come after the event that announced it.
    struct TlsRescan {
        int done = 0;
        bool more = false; // mapped again since the first look: one more delayed look
        std::chrono::steady_clock::time_point at;
    };
    std::map<uint32_t, TlsRescan> tls_rescans_;

    // The poll() in progress: where the buffer callbacks deliver.
    const RawEventFn *cur_fn_ = nullptr;
    int handed_ = 0;
    std::exception_ptr cb_error_;
    std::atomic<uint64_t> perf_lost_{0};
};

// The size of the event at data, from its own fields, when at most `size` bytes are
// available. Perf buffer samples are padded to 8 bytes: this trims the padding so that
// both transports hand the same sizes.
size_t event_true_size(const void *data, size_t size);

} // namespace beyla
