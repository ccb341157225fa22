// KernelOps on the running kernel: raw syscalls for what must be observed exactly (errno of
// one bpf() or perf_event_open() call), libbpf and the probe_min skeleton for the rest.
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <linux/perf_event.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>

#include "caps/kernel_ops.h"
#include "common/error.h"

#include "probe_min.skel.h"

namespace beyla {

namespace {

// Slots of the hits array in bpf/probe_min.bpf.c.
constexpr uint32_t kHitTp = 0, kHitRawTp = 1, kHitUprobe = 2, kHitKprobe = 3;

// The function the uprobe attempt instruments: it lives in this very binary, so the attempt
// needs no other file and can check that the probe fires.
__attribute__((noinline)) int uprobe_target(int x) {
    asm volatile("" : "+r"(x));
    return x + 1;
}

// The verifier's last meaningful line: the one that says why it gave up.
std::string verifier_last_words(const char *log) {
    std::istringstream in(log ? log : "");
    std::string line, last;
    while (std::getline(in, line)) {
        if (line.empty() || line.starts_with("processed ") || line.starts_with("verification time") ||
            line.starts_with("stack depth") || line.starts_with("mark_precise"))
            continue;
        last = line;
    }
    while (!last.empty() && (last.back() == '\n' || last.back() == ' ')) last.pop_back();
    return last;
}

// An opened probe_min skeleton with only one program loaded, so that a program type the
// kernel lacks cannot spoil the attempt at another.
class Skel {
  public:
    ~Skel() {
        if (link_) bpf_link__destroy(link_);
        if (skel_) probe_min_bpf__destroy(skel_);
    }
    // Opens and loads only `prog`. Returns an Attempt describing a failure, or success.
    Attempt load(bpf_program *(*pick)(probe_min_bpf *), const char *what) {
        skel_ = probe_min_bpf__open();
        if (!skel_) return Attempt::failure(errno, "opening the probe_min BPF object");
        prog_ = pick(skel_);
        bpf_program *p;
        bpf_object__for_each_program(p, skel_->obj) bpf_program__set_autoload(p, p == prog_);
        int err = probe_min_bpf__load(skel_);
        if (err) return Attempt::failure(-err, fmt::format("loading the {} program", what));
        return Attempt::success();
    }
    bpf_program *prog() const { return prog_; }
    void set_link(bpf_link *l) { link_ = l; }
    uint64_t hits(uint32_t slot) const {
        uint64_t v = 0;
        if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.hits), &slot, &v) != 0) return 0;
        return v;
    }

  private:
    probe_min_bpf *skel_ = nullptr;
    bpf_program *prog_ = nullptr;
    bpf_link *link_ = nullptr;
};

std::string fired(uint64_t n, const char *trigger) {
    if (n) return fmt::format("it fired {} time{} on {}", n, n == 1 ? "" : "s", trigger);
    return fmt::format("it did not fire on {} (attached, but no hit seen)", trigger);
}

int perf_event_open(perf_event_attr *attr, pid_t pid, int cpu) {
    return static_cast<int>(syscall(__NR_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

// File and file offset of an address of this process, from /proc/self/maps.
bool locate(const void *addr, std::string *path, uint64_t *offset) {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    auto a = reinterpret_cast<uintptr_t>(addr);
    while (std::getline(maps, line)) {
        unsigned long start, end, off;
        char perms[8];
        int pos = 0;
        if (sscanf(line.c_str(), "%lx-%lx %7s %lx %*s %*s %n", &start, &end, perms, &off, &pos) < 4) continue;
        if (a < start || a >= end || !pos) continue;
        *path = line.substr(static_cast<size_t>(pos));
        while (!path->empty() && path->back() == ' ') path->pop_back();
        *offset = a - start + off;
        return !path->empty() && (*path)[0] == '/';
    }
    return false;
}

class RealKernelOps final : public KernelOps {
  public:
    UnameInfo uname() override {
        UnameInfo u;
        struct utsname un {};
        if (::uname(&un) != 0) {
            u.err = errno;
            return u;
        }
        u.release = un.release;
        u.machine = un.machine;
        return u;
    }

    long page_size() override { return sysconf(_SC_PAGESIZE); }

    int memlock_limit(uint64_t *cur) override {
        struct rlimit rl {};
        if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0) return -errno;
        *cur = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(rl.rlim_cur);
        return 0;
    }

    Attempt map_create(bpf_map_type type, uint32_t key_size, uint32_t value_size,
                       uint32_t max_entries) override {
        // No name: map names need 4.15, and an old kernel must fail for the type, not the name.
        int fd = bpf_map_create(type, nullptr, key_size, value_size, max_entries, nullptr);
        if (fd < 0) return Attempt::failure(errno, "bpf(BPF_MAP_CREATE)");
        close(fd);
        return Attempt::success();
    }

    Attempt prog_load(const ProgSpec &spec) override {
        std::string log(64 * 1024, '\0');
        bpf_prog_load_opts o{};
        o.sz = sizeof(o);
        o.expected_attach_type = spec.expected_attach_type;
        o.kern_version = spec.kern_version;
        o.attach_btf_id = spec.attach_btf_id;
        // libbpf retries a failed load with log_level 1 when a buffer is given.
        o.log_size = static_cast<uint32_t>(log.size());
        o.log_buf = log.data();
        int fd = bpf_prog_load(spec.type, nullptr, "GPL", spec.insns.data(), spec.insns.size(), &o);
        if (fd < 0) {
            int err = errno;
            return Attempt::failure(err, "bpf(BPF_PROG_LOAD)", verifier_last_words(log.c_str()));
        }
        close(fd);
        return Attempt::success();
    }

    Attempt btf_parse(const std::string &path) override {
        btf *b = btf__parse(path.c_str(), nullptr);
        if (!b) return Attempt::failure(errno, "btf__parse");
        unsigned n = btf__type_cnt(b);
        btf__free(b);
        return Attempt::success(fmt::format("{} types", n));
    }

    Attempt mount(const std::string &fstype, const std::string &target) override {
        if (::mount(fstype.c_str(), target.c_str(), fstype.c_str(), 0, nullptr) != 0)
            return Attempt::failure(errno, "mount(" + fstype + ")");
        return Attempt::success();
    }

    Attempt umount(const std::string &target) override {
        if (::umount2(target.c_str(), 0) != 0) return Attempt::failure(errno, "umount(" + target + ")");
        return Attempt::success();
    }

    Attempt attach_tracepoint(int tracepoint_id, const std::string &what) override {
        Skel s;
        Attempt a = s.load([](probe_min_bpf *k) { return k->progs.probe_tp; }, "tracepoint");
        if (!a.ok()) return a;
        perf_event_attr attr{};
        attr.size = sizeof(attr);
        attr.type = PERF_TYPE_TRACEPOINT;
        attr.config = static_cast<uint64_t>(tracepoint_id);
        attr.sample_period = 1;
        attr.wakeup_events = 1;
        // A BPF program on a tracepoint runs on every CPU whatever the event's CPU is.
        int pfd = perf_event_open(&attr, -1, 0);
        if (pfd < 0)
            return Attempt::failure(errno, fmt::format("perf_event_open(PERF_TYPE_TRACEPOINT, {})", what));
        bpf_link *l = bpf_program__attach_perf_event(s.prog(), pfd);
        if (!l) {
            int err = errno;
            close(pfd);
            return Attempt::failure(err, "bpf_program__attach_perf_event(" + what + ")");
        }
        s.set_link(l);
        for (int i = 0; i < 3; i++) syscall(SYS_getpid);
        return Attempt::success(
            fmt::format("attached a tracepoint program to {} (id {}) with perf_event_open and "
                        "bpf_program__attach_perf_event; {}",
                        what, tracepoint_id, fired(s.hits(kHitTp), "getpid()")));
    }

    Attempt attach_raw_tracepoint(const std::string &name) override {
        Skel s;
        Attempt a = s.load([](probe_min_bpf *k) { return k->progs.probe_raw_tp; }, "raw tracepoint");
        if (!a.ok()) return a;
        bpf_link *l = bpf_program__attach_raw_tracepoint(s.prog(), name.c_str());
        if (!l) return Attempt::failure(errno, "bpf_program__attach_raw_tracepoint(" + name + ")");
        s.set_link(l);
        for (int i = 0; i < 3; i++) syscall(SYS_getpid);
        return Attempt::success(fmt::format("attached a raw tracepoint program to {}; {}", name,
                                            fired(s.hits(kHitRawTp), "getpid()")));
    }

    Attempt attach_kprobe(const std::string &func) override {
        Skel s;
        Attempt a = s.load([](probe_min_bpf *k) { return k->progs.probe_kprobe; }, "kprobe");
        if (!a.ok()) return a;
        // libbpf uses the kprobe PMU when there is one, else the legacy kprobe_events file.
        bpf_link *l = bpf_program__attach_kprobe(s.prog(), false, func.c_str());
        if (!l) return Attempt::failure(errno, "bpf_program__attach_kprobe(" + func + ")");
        s.set_link(l);
        char buf[64];
        if (FILE *f = fopen("/proc/self/stat", "re")) {
            size_t n = fread(buf, 1, sizeof(buf), f);
            (void)n;
            fclose(f);
        }
        return Attempt::success(
            fmt::format("attached a kprobe program to {}; {}", func, fired(s.hits(kHitKprobe), "a read()")));
    }

    Attempt attach_uprobe() override {
        Skel s;
        Attempt a = s.load([](probe_min_bpf *k) { return k->progs.probe_uprobe; }, "uprobe");
        if (!a.ok()) return a;
        int (*volatile target)(int) = uprobe_target;
        std::string path;
        uint64_t offset = 0;
        if (!locate(reinterpret_cast<const void *>(target), &path, &offset))
            return Attempt::failure(ENOENT, "finding this process's own code in /proc/self/maps");
        // pid 0: this process only, so nothing else on the machine is slowed down.
        bpf_link *l = bpf_program__attach_uprobe(s.prog(), false, 0, path.c_str(), offset);
        if (!l)
            return Attempt::failure(errno,
                                    fmt::format("bpf_program__attach_uprobe({}+0x{:x})", path, offset));
        s.set_link(l);
        int x = 0;
        for (int i = 0; i < 3; i++) x = target(x);
        return Attempt::success(
            fmt::format("attached a uprobe program to a function of this process ({}+0x{:x}); {}", path,
                        offset, fired(s.hits(kHitUprobe), "calls to it")));
    }

    Attempt attach_fentry(const std::string &btf_path, const std::vector<std::string> &funcs) override {
        btf *b = btf__parse(btf_path.c_str(), nullptr);
        if (!b) return Attempt::failure(errno, "btf__parse(" + btf_path + ")");
        std::string func;
        int id = -ENOENT;
        for (const auto &f : funcs) {
            id = btf__find_by_name_kind(b, f.c_str(), BTF_KIND_FUNC);
            if (id > 0) {
                func = f;
                break;
            }
        }
        btf__free(b);
        if (id <= 0) {
            std::string names;
            for (const auto &f : funcs) names += (names.empty() ? "" : ", ") + f;
            return Attempt::failure(ENOENT, "finding a fentry target (" + names + ") in " + btf_path);
        }
        const bpf_insn insns[] = {insn::mov64_imm(0, 0), insn::exit()};
        std::string log(64 * 1024, '\0');
        bpf_prog_load_opts o{};
        o.sz = sizeof(o);
        o.expected_attach_type = BPF_TRACE_FENTRY;
        o.attach_btf_id = static_cast<uint32_t>(id);
        o.log_size = static_cast<uint32_t>(log.size());
        o.log_buf = log.data();
        int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, nullptr, "GPL", insns, 2, &o);
        std::string step =
            fmt::format("bpf(BPF_PROG_LOAD) of a fentry program (BPF_PROG_TYPE_TRACING) on {}", func);
        if (fd < 0) return Attempt::failure(errno, step, verifier_last_words(log.c_str()));
        int lfd = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, nullptr);
        const char *how = "bpf_link_create";
        if (lfd < 0 && (errno == EINVAL || errno == EOPNOTSUPP)) {
            // Before 5.8 tracing programs attach through BPF_RAW_TRACEPOINT_OPEN.
            lfd = bpf_raw_tracepoint_open(nullptr, fd);
            how = "bpf_raw_tracepoint_open";
        }
        if (lfd < 0) {
            int err = errno;
            close(fd);
            return Attempt::failure(err, fmt::format("attaching the fentry program on {} ({})", func, how));
        }
        close(lfd);
        close(fd);
        return Attempt::success(
            fmt::format("loaded a fentry program on {} and attached it with {}", func, how));
    }
};

} // namespace

std::unique_ptr<KernelOps> make_real_kernel_ops() {
    return std::make_unique<RealKernelOps>();
}

} // namespace beyla
