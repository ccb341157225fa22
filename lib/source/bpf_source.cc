#include "source/bpf_source.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <map>
#include <set>

#include <fstream>
#include <glob.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "common/tracefs.h"
#include "socket_trace.skel.h"
#include "socket_trace_btf.skel.h"
#include "source/exe_dfa.h"
#include "source/ring_size.h"

namespace beyla {

struct BpfSource::Program {
    bpf_program *prog = nullptr;
    bool raw = false;     // raw tracepoint, attached by name
    bool uprobe = false;  // TLS library probe, attached per library file
    std::string category; // tracepoint category ("syscalls")
    std::string name;     // tracepoint name ("sys_enter_read")
    std::string group;    // syscall the program belongs to ("read"); enter and exit go together
    int tp_id = -1;
    bool enabled = true;
    std::string label() const { return raw ? "raw:" + name : category + "/" + name; }
};

namespace {

// Without these the capture is not worth running; the rest (vectored I/O, sendfile, the
// mmsg calls, plain accept) is skipped where a kernel lacks it.
const std::set<std::string> kRequiredSyscalls = {"read", "write", "close", "connect", "accept4"};

std::string human_bytes(uint64_t n) {
    if (n >= (1ull << 20) && n % (1ull << 20) == 0) return fmt::format("{} MiB", n >> 20);
    if (n >= (1ull << 10) && n % (1ull << 10) == 0) return fmt::format("{} KiB", n >> 10);
    return fmt::format("{} B", n);
}

std::string syscall_group(const std::string &tp) {
    for (const char *p : {"sys_enter_", "sys_exit_"})
        if (tp.rfind(p, 0) == 0) return tp.substr(strlen(p));
    return tp;
}

[[noreturn]] void fail_load(int err) {
    if (err == EPERM)
        fail(err, "loading BPF programs needs CAP_BPF+CAP_PERFMON (or CAP_SYS_ADMIN): {}", errno_str(err));
    if (err == EACCES || err == EINVAL || err == E2BIG)
        fail(err,
             "loading the BPF programs failed: {} (the kernel's verifier log was sent to the logger "
             "at warn level)",
             errno_str(err));
    fail(err, "loading the BPF programs failed: {}", errno_str(err));
}

// A BTF file given for CO-RE, checked before anything is loaded: libbpf would only say that
// the load failed, not that the file was the problem.
void check_btf_file(const std::string &path) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
        int err = errno;
        fail(err, "the BTF file {} (btf_path) cannot be used: {}", path, errno_str(err));
    }
    if (!S_ISREG(st.st_mode)) fail(EINVAL, "the BTF file {} (btf_path) is not a regular file", path);
    if (st.st_size == 0) fail(EINVAL, "the BTF file {} (btf_path) is empty", path);
    btf *b = btf__parse(path.c_str(), nullptr);
    if (!b) {
        int err = errno;
        char msg[128];
        libbpf_strerror(err, msg, sizeof(msg));
        // Unreadable stays what it is; anything else means the contents are not BTF.
        if (err == EACCES || err == EPERM || err == ENOMEM)
            fail(err, "the BTF file {} (btf_path) cannot be read: {}", path, msg);
        fail(EINVAL, "the BTF file {} (btf_path) does not parse as BTF (raw, or an ELF file with .BTF): {}",
             path, msg);
    }
    btf__free(b);
}

} // namespace

size_t event_true_size(const void *data, size_t size) {
    if (size < sizeof(uint32_t)) return size;
    uint32_t type;
    memcpy(&type, data, sizeof(type));
    size_t want = size;
    switch (type) {
    case BEYLA_EV_DATA:
        if (size >= sizeof(beyla_data_event)) {
            uint32_t captured;
            memcpy(&captured, static_cast<const char *>(data) + offsetof(beyla_data_event, captured),
                   sizeof(captured));
            want = sizeof(beyla_data_event) + captured;
        }
        break;
    case BEYLA_EV_CONN_OPEN:
    case BEYLA_EV_CONN_CLOSE:
        want = sizeof(beyla_conn_event);
        break;
    case BEYLA_EV_PROC_EXEC:
    case BEYLA_EV_PROC_EXIT:
    case BEYLA_EV_PROC_FORK:
        want = sizeof(beyla_proc_event);
        break;
    case BEYLA_EV_HTTP2_HEADER:
        want = sizeof(beyla_h2_header_event);
        break;
    }
    return std::min(size, want);
}

// libbpf's C callbacks: they reach the source through ctx.
struct BufferCallbacks {
    static int ring_sample(void *ctx, void *data, size_t size) {
        auto *self = static_cast<BpfSource *>(ctx);
        self->deliver(data, size);
        // The sample is consumed either way; a negative value ends this round.
        return self->cb_error_ ? -ECANCELED : 0;
    }
    static bpf_perf_event_ret perf_event(void *ctx, int, perf_event_header *ev) {
        auto *self = static_cast<BpfSource *>(ctx);
        self->on_perf_record(ev);
        return self->cb_error_ ? LIBBPF_PERF_EVENT_ERROR : LIBBPF_PERF_EVENT_CONT;
    }
};

BpfSource::BpfSource(BpfSourceOptions opts) : opts_(std::move(opts)) {}

BpfSource::~BpfSource() {
    teardown();
}

void BpfSource::start() {
    if (skel_) fail(EALREADY, "the BPF source was already started");
    LibbpfLogScope scope(&log());

    if (opts_.payload_prefix == 0 || opts_.payload_prefix > BEYLA_MAX_PAYLOAD)
        fail(EINVAL, "payload prefix {} is outside 1..{}", opts_.payload_prefix, BEYLA_MAX_PAYLOAD);
    if (!opts_.btf_path.empty()) {
        check_btf_file(opts_.btf_path);
        log().info("CO-RE relocations use the BTF file {} instead of the kernel's", opts_.btf_path);
    }
    long page = sysconf(_SC_PAGESIZE);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    ncpus_ = online > 0 ? static_cast<unsigned>(online) : 1;

    bool have_ringbuf;
    if (opts_.ringbuf_supported) {
        have_ringbuf = *opts_.ringbuf_supported;
    } else {
        int r = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr);
        // An error (no permission) says nothing about the kernel: loading will tell.
        have_ringbuf = r != 0;
        log().debug("ring buffer probe: {}", r > 0 ? "yes" : r == 0 ? "no" : "error " + errno_str(-r));
    }
    switch (opts_.transport) {
    case BpfTransport::RingBuf:
        if (!have_ringbuf)
            fail(ENOTSUP, "the ring buffer transport was asked for but this kernel has none (5.8+)");
        use_ringbuf_ = true;
        break;
    case BpfTransport::PerfBuf:
        use_ringbuf_ = false;
        break;
    case BpfTransport::Auto:
        use_ringbuf_ = have_ringbuf;
        break;
    }
    // The typed-pointer walk hands type ids relocated against the BTF to the kernel, which reads
    // them in its own BTF: right only when the two are the same file. A given BTF file gets the
    // CO-RE reads, right for any file that describes this kernel.
    task_btf_ = opts_.task_btf.value_or(opts_.btf_path.empty());
    if (opts_.bpf_loop) {
        bpf_loop_ = *opts_.bpf_loop;
    } else {
        int r = libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_loop, nullptr);
        bpf_loop_ = r > 0;
        log().debug("bpf_loop probe: {}", r > 0 ? "yes" : r == 0 ? "no" : "error " + errno_str(-r));
    }
    if (use_ringbuf_) {
        buffer_bytes_ = ring_size_for_page(opts_.ring_size, static_cast<uint64_t>(page));
        if (!buffer_bytes_)
            fail(EINVAL, "ring size {} cannot be rounded for page size {}", opts_.ring_size, page);
        if (buffer_bytes_ > UINT32_MAX) fail(E2BIG, "ring size {} is too large", human_bytes(buffer_bytes_));
    } else {
        perf_pages_ = perf_pages_per_cpu(opts_.ring_size, ncpus_, static_cast<uint64_t>(page));
        if (!perf_pages_) fail(EINVAL, "page size {} is not a power of two", page);
        buffer_bytes_ = perf_pages_ * static_cast<uint64_t>(page) * ncpus_;
    }

    TracefsResult tfs = find_tracefs(opts_.sys_root, opts_.proc_root, opts_.allow_mount_tracefs);
    if (tfs.path.empty()) {
        // find_tracefs() takes a directory it may not search for an absent one.
        for (const char *rel : {"/kernel/tracing", "/kernel/debug"}) {
            std::string dir = opts_.sys_root + rel;
            if (effective_access(dir, X_OK) != 0 && errno == EACCES)
                fail(EACCES,
                     "syscall tracepoints need tracefs, and {} is not accessible: {} (needs root or "
                     "CAP_DAC_READ_SEARCH)",
                     dir, errno_str(EACCES));
        }
        fail(ENOENT, "syscall tracepoints need tracefs: {}", tfs.reason);
    }
    log().debug("{}", tfs.reason);
    // Unreadable tracepoint ids would otherwise look like a kernel without them.
    if (effective_access(tfs.path + "/events", R_OK | X_OK) != 0) {
        int err = errno;
        fail(err, "reading tracepoint ids under {}/events failed: {}{}", tfs.path, errno_str(err),
             err == EACCES ? " (needs root or CAP_DAC_READ_SEARCH)" : "");
    }

    try {
        load(tfs.path);
        // Reader first: a perf event array slot without its perf event refuses output, so
        // anything a probe emitted before the buffer existed would be lost.
        open_buffer();
        attach();
    } catch (...) {
        teardown();
        throw;
    }
    started_ = true;
    log().info("BPF source started: {}", describe());
}

namespace {
// The two builds of bpf/socket_trace.bpf.c differ in code only (bpf/sock.bpf.h): the same
// maps, programs and globals, so one skeleton type serves both.
static_assert(sizeof(socket_trace_bpf::socket_trace_bpf__rodata) ==
              sizeof(socket_trace_btf_bpf::socket_trace_btf_bpf__rodata));
static_assert(sizeof(socket_trace_bpf::maps) == sizeof(socket_trace_btf_bpf::maps));
static_assert(sizeof(socket_trace_bpf::progs) == sizeof(socket_trace_btf_bpf::progs));

// btf_path: "" for the kernel's own BTF.
socket_trace_bpf *open_socket_trace(bool task_btf, const std::string &btf_path) {
    auto *obj = static_cast<socket_trace_bpf *>(calloc(1, sizeof(socket_trace_bpf)));
    if (!obj) {
        errno = ENOMEM;
        return nullptr;
    }
    int err = socket_trace_bpf__create_skeleton(obj);
    if (!err && task_btf)
        obj->skeleton->data = const_cast<void *>(socket_trace_btf_bpf__elf_bytes(&obj->skeleton->data_sz));
    bpf_object_open_opts oo{};
    oo.sz = sizeof(oo);
    oo.btf_custom_path = btf_path.empty() ? nullptr : btf_path.c_str();
    if (!err) err = bpf_object__open_skeleton(obj->skeleton, &oo);
    if (err) {
        socket_trace_bpf__destroy(obj);
        errno = -err;
        return nullptr;
    }
    return obj;
}
} // namespace

void BpfSource::load(const std::string &tracefs) {
    skel_ = open_socket_trace(task_btf_, opts_.btf_path);
    if (!skel_) {
        int err = errno;
        fail(err, "opening the BPF object failed: {}", errno_str(err));
    }
    auto *ro = skel_->rodata;
    ro->payload_prefix = opts_.payload_prefix;
    ro->use_ringbuf = use_ringbuf_;
    // Never more than half the ring, or a reader would only ever be woken by its timer.
    ro->wakeup_threshold = use_ringbuf_ ? std::min<uint64_t>(opts_.wakeup_bytes, buffer_bytes_ / 2) : 0;
    ro->report_all_execs = opts_.report_all_execs;
    ro->tls_enabled = opts_.tls;
    ExeDfa dfa;
    kernel_globs_.clear();
    if (bpf_loop_ && !opts_.exe_globs.empty()) {
        dfa = compile_exe_globs(opts_.exe_globs);
        for (size_t i = 0; i < dfa.left.size(); i++)
            log().info("executable glob '{}' is matched in user space only ({}): a process it selects is "
                       "traced from when the tracer reads its exec, not from its start",
                       dfa.left[i], dfa.why[i]);
        kernel_globs_ = dfa.compiled;
    } else if (!opts_.exe_globs.empty()) {
        log().info("executable globs are matched in user space only (no bpf_loop): a process is traced from "
                   "when the tracer reads its exec, not from its start");
    }
    ro->exe_match = !kernel_globs_.empty();

    bpf_map *events = skel_->maps.events;
    int err = 0;
    if (use_ringbuf_) {
        err = bpf_map__set_max_entries(events, static_cast<uint32_t>(buffer_bytes_));
    } else {
        // max_entries 0: libbpf sizes a perf event array to the number of possible CPUs.
        err = bpf_map__set_type(events, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
        if (!err) err = bpf_map__set_key_size(events, sizeof(uint32_t));
        if (!err) err = bpf_map__set_value_size(events, sizeof(uint32_t));
        if (!err) err = bpf_map__set_max_entries(events, 0);
    }
    if (err) fail(-err, "configuring the event map failed: {}", errno_str(-err));
    int possible = libbpf_num_possible_cpus();
    if (possible <= 0) fail(-possible, "counting the possible CPUs failed: {}", errno_str(-possible));
    err = bpf_map__set_max_entries(skel_->maps.data_scratch, static_cast<uint32_t>(possible));
    if (err) fail(-err, "sizing the scratch map failed: {}", errno_str(-err));
    if (!opts_.tls) {
        // Never used without TLS: not worth preallocating (LRU maps fill at creation, which
        // was a tenth of start()).
        for (bpf_map *m : {skel_->maps.tls_sessions, skel_->maps.go_tls_calls, skel_->maps.go_h2_encoding,
                           skel_->maps.go_h2_probes}) {
            err = bpf_map__set_max_entries(m, 1);
            if (err) fail(-err, "sizing the map {} failed: {}", bpf_map__name(m), errno_str(-err));
        }
    }

    // Every program names its hook in its section; resolve the syscall tracepoint ids
    // now, so that programs for tracepoints this kernel lacks are not even loaded.
    programs_.clear();
    std::map<std::string, bool> group_ok;
    bpf_program *prog;
    bpf_object__for_each_program(prog, skel_->obj) {
        Program p;
        p.prog = prog;
        std::string sec = bpf_program__section_name(prog);
        // "X_bpfloop" replaces X where the kernel has bpf_loop: one of the two is loaded.
        std::string pname = bpf_program__name(prog);
        bool loop_build = pname.ends_with("_bpfloop");
        bool has_loop_build =
            !loop_build && bpf_object__find_program_by_name(skel_->obj, (pname + "_bpfloop").c_str());
        if ((loop_build && !bpf_loop_) || (has_loop_build && bpf_loop_)) {
            p.enabled = false;
            p.raw = sec.rfind("raw_tracepoint/", 0) == 0;
            p.name = pname;
            bpf_program__set_autoload(prog, false);
            programs_.push_back(std::move(p));
            continue;
        }
        if (sec.rfind("raw_tracepoint/", 0) == 0) {
            p.raw = true;
            p.name = sec.substr(strlen("raw_tracepoint/"));
        } else if (sec.rfind("tracepoint/", 0) == 0) {
            std::string rest = sec.substr(strlen("tracepoint/"));
            size_t slash = rest.find('/');
            if (slash == std::string::npos) fail(EINVAL, "BPF program section '{}' names no tracepoint", sec);
            p.category = rest.substr(0, slash);
            p.name = rest.substr(slash + 1);
            p.group = syscall_group(p.name);
            p.tp_id = tracepoint_id(tracefs, p.category, p.name);
            // "tls_*" tracepoint programs serve the TLS probes only.
            if (!opts_.tls && std::string(bpf_program__name(prog)).rfind("tls_", 0) == 0) {
                p.enabled = false;
                bpf_program__set_autoload(prog, false);
                programs_.push_back(std::move(p));
                continue;
            }
            auto [it, fresh] = group_ok.try_emplace(p.group, true);
            it->second = it->second && p.tp_id >= 0;
        } else if (sec == "uprobe" || sec == "uretprobe") {
            p.uprobe = true;
            p.name = bpf_program__name(prog);
            if (!opts_.tls) {
                p.enabled = false;
                bpf_program__set_autoload(prog, false);
            }
        } else {
            fail(EINVAL, "BPF program section '{}' is not a tracepoint", sec);
        }
        programs_.push_back(std::move(p));
    }
    for (const auto &p : programs_)
        if (!p.raw && p.tp_id < 0 && kRequiredSyscalls.count(p.group))
            fail(ENOTSUP,
                 "tracepoint {} is not under {}/events: syscall tracepoints "
                 "(CONFIG_FTRACE_SYSCALLS) are needed",
                 p.label(), tracefs);
    attached_.clear();
    skipped_.clear();
    for (auto &p : programs_) {
        if (p.raw || p.uprobe || !p.enabled || group_ok[p.group]) continue;
        p.enabled = false;
        bpf_program__set_autoload(p.prog, false);
        skipped_.push_back(p.label());
        log().debug("tracepoint {} is absent or unpaired on this kernel: {} is not captured", p.label(),
                    p.group);
    }

    go_tls_prepare();
    err = task_btf_ && opts_.refuse_task_btf ? -EINVAL : socket_trace_bpf__load(skel_);
    if (err && task_btf_ && !opts_.task_btf) {
        // Kernels before 6.2, or without kernel BTF: libbpf names the missing piece above.
        log().info("the fd -> socket walk through typed kernel pointers did not load ({}): using CO-RE "
                   "reads, ~70 ns more per syscall",
                   errno_str(-err));
        socket_trace_bpf__destroy(skel_);
        skel_ = nullptr;
        task_btf_ = false;
        load(tracefs);
        return;
    }
    if (err) fail_load(-err);

    if (!kernel_globs_.empty()) {
        uint32_t zero = 0;
        map_update(bpf_map__fd(skel_->maps.exe_dfa), &zero, dfa.table.get(), "executable glob table");
    }

    // Selections made before start(), in place before any probe fires.
    std::lock_guard lk(pending_mu_);
    loaded_ = true;
    for (auto [tgid, flags] : pending_pids_) {
        beyla_proc_info info{flags, 0};
        map_update(bpf_map__fd(skel_->maps.traced_pids), &tgid, &info, "traced process");
    }
    for (uint16_t port : pending_ports_) {
        uint8_t one = 1;
        uint16_t gate = 0;
        map_update(bpf_map__fd(skel_->maps.traced_ports), &port, &one, "traced port");
        map_update(bpf_map__fd(skel_->maps.traced_ports), &gate, &one, "traced port");
    }
    pending_pids_.clear();
    pending_ports_.clear();
}

void BpfSource::attach() {
    for (auto &p : programs_) {
        if (!p.enabled || p.uprobe) continue;
        bpf_link *link = nullptr;
        if (p.raw) {
            link = bpf_program__attach_raw_tracepoint(p.prog, p.name.c_str());
            if (!link) {
                int err = errno;
                fail(err, "attaching to raw tracepoint {} failed: {}", p.name, errno_str(err));
            }
        } else {
            // By id, with our own perf event: libbpf would look for tracefs by itself,
            // and it may not be where libbpf looks (or mounted at all before we did).
            perf_event_attr attr{};
            attr.type = PERF_TYPE_TRACEPOINT;
            attr.size = sizeof(attr);
            attr.config = static_cast<uint64_t>(p.tp_id);
            int pfd = static_cast<int>(syscall(__NR_perf_event_open, &attr, -1 /* any pid */, 0 /* cpu */, -1,
                                               PERF_FLAG_FD_CLOEXEC));
            if (pfd < 0) {
                int err = errno;
                if (err == EPERM || err == EACCES)
                    fail(err, "opening tracepoint {} needs CAP_PERFMON (or CAP_SYS_ADMIN): {}", p.label(),
                         errno_str(err));
                fail(err, "opening tracepoint {} failed: {}", p.label(), errno_str(err));
            }
            link = bpf_program__attach_perf_event(p.prog, pfd);
            if (!link) {
                int err = errno;
                close(pfd); // the link owns it only on success
                fail(err, "attaching to tracepoint {} failed: {}", p.label(), errno_str(err));
            }
        }
        links_.push_back(link);
        attached_.push_back(p.label());
    }
    if (!opts_.tls) return;
    attach_system_tls_libraries();
    int map_fd = bpf_map__fd(skel_->maps.traced_pids);
    uint32_t key = 0, next = 0;
    std::vector<uint32_t> pids;
    for (uint32_t *prev = nullptr; bpf_map_get_next_key(map_fd, prev, &next) == 0; prev = &key) {
        pids.push_back(next);
        key = next;
    }
    for (uint32_t tgid : pids) scan_tls_libraries(tgid);
}

void BpfSource::open_buffer() {
    int map_fd = bpf_map__fd(skel_->maps.events);
    if (use_ringbuf_) {
        rb_ = ring_buffer__new(map_fd, &BufferCallbacks::ring_sample, this, nullptr);
        if (!rb_) {
            int err = errno;
            fail(err, "opening the ring buffer failed: {}", errno_str(err));
        }
        return;
    }
    perf_event_attr attr{};
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_BPF_OUTPUT;
    attr.size = sizeof(attr);
    attr.sample_type = PERF_SAMPLE_RAW;
    attr.sample_period = 1;
    uint64_t per_cpu = buffer_bytes_ / ncpus_;
    if (opts_.wakeup_bytes) {
        // Batched wakeups, as the ring buffer's threshold; at most half a CPU's buffer.
        attr.watermark = 1;
        attr.wakeup_watermark = static_cast<uint32_t>(std::min<uint64_t>(opts_.wakeup_bytes, per_cpu / 2));
    } else {
        attr.wakeup_events = 1;
    }
    pb_ = perf_buffer__new_raw(map_fd, perf_pages_, &attr, &BufferCallbacks::perf_event, this, nullptr);
    if (!pb_) {
        int err = errno;
        fail(err, "opening the perf buffer failed: {}", errno_str(err));
    }
}

void BpfSource::stop() {
    for (bpf_link *l : links_) bpf_link__destroy(l);
    links_.clear();
    {
        std::lock_guard lk(tls_mu_);
        for (bpf_link *l : tls_links_) bpf_link__destroy(l);
        tls_links_.clear();
    }
    if (started_) log().debug("BPF source stopped: probes detached");
    started_ = false;
}

void BpfSource::teardown() {
    stop();
    if (rb_) ring_buffer__free(rb_);
    if (pb_) perf_buffer__free(pb_);
    rb_ = nullptr;
    pb_ = nullptr;
    {
        std::lock_guard lk(pending_mu_);
        loaded_ = false;
    }
    programs_.clear(); // their bpf_program pointers die with the skeleton
    if (skel_) socket_trace_bpf__destroy(skel_);
    skel_ = nullptr;
}

void BpfSource::deliver(const void *data, size_t size) {
    if (cb_error_ || !cur_fn_) return;
    if (opts_.tls) go_tls_on_event(data, size);
    try {
        if (opts_.tls && tls_watch(data, size)) return;
        (*cur_fn_)(data, event_true_size(data, size));
        handed_++;
    } catch (...) {
        // Exceptions must not unwind through libbpf's C frames: kept and rethrown by poll().
        cb_error_ = std::current_exception();
    }
}

void BpfSource::on_perf_record(const perf_event_header *ev) {
    if (ev->type == PERF_RECORD_SAMPLE) {
        struct sample {
            perf_event_header header;
            uint32_t size;
            char data[];
        };
        auto *s = reinterpret_cast<const sample *>(ev);
        deliver(s->data, s->size);
    } else if (ev->type == PERF_RECORD_LOST) {
        struct lost {
            perf_event_header header;
            uint64_t id;
            uint64_t lost;
        };
        perf_lost_ += reinterpret_cast<const lost *>(ev)->lost;
    }
}

int BpfSource::drain() {
    int r = rb_ ? ring_buffer__consume(rb_) : perf_buffer__consume(pb_);
    if (cb_error_) {
        auto e = std::exchange(cb_error_, nullptr);
        std::rethrow_exception(e);
    }
    if (r < 0 && r != -EINTR) fail(-r, "reading the event buffer failed: {}", errno_str(-r));
    return r;
}

int BpfSource::poll(int timeout_ms, const RawEventFn &fn) {
    if (!rb_ && !pb_) fail(EINVAL, "poll() before start()");
    LibbpfLogScope scope(&log());
    struct Current {
        BpfSource *s;
        ~Current() { s->cur_fn_ = nullptr; }
    } current{this};
    cur_fn_ = &fn;
    handed_ = 0;
    cb_error_ = nullptr;

    using clock = std::chrono::steady_clock;
    auto deadline = clock::now() + std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : 0);
    // Events below the wakeup threshold never make the fd readable: look first, and
    // again after every wait, readable or not.
    drain();
    int interval = std::max(1, opts_.drain_interval_ms);
    while (handed_ == 0 && timeout_ms != 0) {
        int wait = interval;
        if (timeout_ms > 0) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
            if (left <= 0) break;
            wait = static_cast<int>(std::min<long long>(wait, left));
        }
        int r = rb_ ? ring_buffer__poll(rb_, wait) : perf_buffer__poll(pb_, wait);
        if (cb_error_) {
            auto e = std::exchange(cb_error_, nullptr);
            std::rethrow_exception(e);
        }
        if (r < 0 && r != -EINTR) fail(-r, "waiting for events failed: {}", errno_str(-r));
        // Drain every CPU, not just the ones whose wakeup fired: a quiet CPU's events must
        // not lag behind a busy one's, or one connection's events come out of order.
        drain();
    }
    if (opts_.tls) run_tls_rescans();
    return handed_;
}

int BpfSource::fd() const {
    if (rb_) return ring_buffer__epoll_fd(rb_);
    if (pb_) return perf_buffer__epoll_fd(pb_);
    return -1;
}

SourceCounters BpfSource::counters() const {
    SourceCounters c;
    c.perf_lost = perf_lost_.load();
    {
        std::lock_guard lk(pending_mu_);
        if (!loaded_) return c;
    }
    int fd = bpf_map__fd(skel_->maps.counters);
    int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0) return c;
    std::vector<uint64_t> vals(static_cast<size_t>(ncpu));
    uint64_t sum[BEYLA_CNT_MAX] = {};
    for (uint32_t k = 0; k < BEYLA_CNT_MAX; k++) {
        if (bpf_map_lookup_elem(fd, &k, vals.data()) != 0) continue;
        for (uint64_t v : vals) sum[k] += v;
    }
    c.ring_full = sum[BEYLA_CNT_RING_FULL];
    c.read_fault = sum[BEYLA_CNT_READ_FAULT];
    c.truncated = sum[BEYLA_CNT_TRUNCATED];
    c.args_missing = sum[BEYLA_CNT_ARGS_MISSING];
    c.kernel_events = sum[BEYLA_CNT_EVENTS];
    return c;
}

void BpfSource::map_update(int map_fd, const void *key, const void *value, const char *what) {
    if (bpf_map_update_elem(map_fd, key, value, BPF_ANY) == 0) return;
    int err = errno;
    if (err == E2BIG || err == ENOMEM) fail(err, "adding a {} failed: the kernel map is full", what);
    fail(err, "adding a {} failed: {}", what, errno_str(err));
}

void BpfSource::trace_pid(uint32_t tgid, uint32_t flags) {
    std::lock_guard lk(pending_mu_);
    if (!loaded_) {
        std::erase_if(pending_pids_, [&](auto &p) { return p.first == tgid; });
        pending_pids_.emplace_back(tgid, flags);
        return;
    }
    beyla_proc_info info{flags, 0};
    map_update(bpf_map__fd(skel_->maps.traced_pids), &tgid, &info, "traced process");
    if (opts_.tls && started_) scan_tls_libraries(tgid);
}

void BpfSource::untrace_pid(uint32_t tgid) {
    std::lock_guard lk(pending_mu_);
    if (!loaded_) {
        std::erase_if(pending_pids_, [&](auto &p) { return p.first == tgid; });
        return;
    }
    if (bpf_map_delete_elem(bpf_map__fd(skel_->maps.traced_pids), &tgid) != 0 && errno != ENOENT) {
        int err = errno;
        fail(err, "removing traced process {} failed: {}", tgid, errno_str(err));
    }
}

void BpfSource::trace_port(uint16_t port) {
    if (port == 0) fail(EINVAL, "port 0 cannot be traced");
    std::lock_guard lk(pending_mu_);
    if (!loaded_) {
        pending_ports_.push_back(port);
        return;
    }
    uint8_t one = 1;
    uint16_t gate = 0; // tells the kernel side that port selection is on
    map_update(bpf_map__fd(skel_->maps.traced_ports), &port, &one, "traced port");
    map_update(bpf_map__fd(skel_->maps.traced_ports), &gate, &one, "traced port");
}

bool BpfSource::widen_capture(uint64_t sock_id, uint32_t bytes) {
    std::lock_guard lk(pending_mu_);
    if (!loaded_) return false;
    // Full map (4096 sockets): that connection keeps the ordinary prefix; its parser counts
    // what it then misses.
    if (bpf_map_update_elem(bpf_map__fd(skel_->maps.wide_sockets), &sock_id, &bytes, BPF_ANY) != 0)
        return false;
    if (!wide_gate_open_) {
        uint32_t zero = 0, one = 1;
        map_update(bpf_map__fd(skel_->maps.wide_gate), &zero, &one, "wide capture gate");
        wide_gate_open_ = true;
    }
    return true;
}

bool BpfSource::is_traced(uint32_t tgid) const {
    std::lock_guard lk(pending_mu_);
    if (!loaded_) return false;
    beyla_proc_info info{};
    return bpf_map_lookup_elem(bpf_map__fd(skel_->maps.traced_pids), &tgid, &info) == 0;
}

std::string BpfSource::describe() const {
    if (!skel_) return "BPF syscall tracepoints (not started)";
    std::string transport =
        use_ringbuf_ ? fmt::format("ringbuf {}", human_bytes(buffer_bytes_))
                     : fmt::format("perfbuf {} CPUs x {}", ncpus_, human_bytes(buffer_bytes_ / ncpus_));
    std::string s = fmt::format("{}, syscall tracepoints ({} attached", transport, attached_.size());
    if (!skipped_.empty()) s += fmt::format(", {} absent", skipped_.size());
    s += fmt::format("), fd walk {}, payload prefix {} B from {}", task_btf_ ? "typed pointers" : "CO-RE reads",
                     opts_.payload_prefix,
                     bpf_loop_ ? "every iovec (bpf_loop)" : fmt::format("the first {} iovecs", BEYLA_MAX_IOV));
    if (!opts_.btf_path.empty()) s += ", CO-RE against " + opts_.btf_path;
    if (!opts_.exe_globs.empty())
        s += fmt::format(", {} of {} executable globs matched at exec in the kernel", kernel_globs_.size(),
                         opts_.exe_globs.size());
    if (opts_.tls) {
        std::lock_guard lk(tls_mu_);
        s += fmt::format(", TLS uprobes on {} librar{}", tls_reports_.size(),
                         tls_reports_.size() == 1 ? "y" : "ies");
        const char *sep = " (";
        for (const auto &r : tls_reports_) {
            s += fmt::format("{}{} {}", sep, tls::kind_name(r.kind), r.path);
            sep = "; ";
        }
        if (!tls_reports_.empty()) s += ")";
        if (!go_paths_.empty())
            s += fmt::format(", Go crypto/tls in {} executable{}", go_paths_.size(),
                             go_paths_.size() == 1 ? "" : "s");
    }
    if (!started_) s += ", stopped";
    return s;
}

} // namespace beyla
