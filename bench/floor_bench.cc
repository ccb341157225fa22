// Attaches bench/floor.bpf.c on the tracer's hooks until SIGINT/SIGTERM: bench/run.py's floor
// phases.
//   beyla_floor_bench                 programs that return at once (the hooks' own cost)
//   beyla_floor_bench --copy PID...   the least a payload-capturing tracer does, for PID and its
//                                     children, with a reader that drains the ring every 5 ms
//                                     and only counts (the cost before any decoding)
//   beyla_floor_bench --copy-percpu PID...   the same with one ring buffer per CPU
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "common/tracefs.h"
#include "floor.skel.h"

namespace {
volatile std::sig_atomic_t g_stop = 0; // signal handler state only
void on_signal(int) { g_stop = 1; }

// PID and its descendants, from /proc/PID/task/TID/children.
void with_children(int pid, std::vector<int> &out) {
    out.push_back(pid);
    std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
    int child;
    while (f >> child)
        with_children(child, out);
}

struct Counts {
    unsigned long long events = 0, bytes = 0;
};

int on_event(void *ctx, void *, size_t size) {
    auto *c = static_cast<Counts *>(ctx);
    c->events++;
    c->bytes += size;
    return 0;
}

bool is_copy_hook(const char *prog) {
    static const char *const hooks[] = {"read", "write", "recvfrom", "sendto", "readv", "writev", "sendfile64"};
    for (const char *h : hooks)
        for (const char *side : {"enter_", "exit_"})
            if (std::string(prog).ends_with(std::string(side) + h)) return true;
    return false;
}
} // namespace

int main(int argc, char **argv) {
    bool percpu = argc > 1 && std::strcmp(argv[1], "--copy-percpu") == 0;
    bool copy = percpu || (argc > 1 && std::strcmp(argv[1], "--copy") == 0);
    std::vector<int> pids;
    for (int i = 2; copy && i < argc; i++)
        with_children(std::atoi(argv[i]), pids);
    if (copy && pids.empty()) {
        std::fprintf(stderr, "usage: beyla_floor_bench [--copy|--copy-percpu PID...]\n");
        return 2;
    }
    auto tfs = beyla::find_tracefs("/sys", "/proc", true);
    if (tfs.path.empty()) {
        std::fprintf(stderr, "floor: no tracefs: %s\n", tfs.reason.c_str());
        return 1;
    }
    floor_bpf *skel = floor_bpf__open();
    if (!skel) {
        std::perror("floor: open");
        return 1;
    }
    bpf_program *prog;
    bpf_object__for_each_program(prog, skel->obj) {
        const char *name = bpf_program__name(prog);
        bool is_copy = std::strncmp(name, "copy_", 5) == 0;
        // Every hook carries exactly one program: copy_* replaces nop_* on the read/write hooks.
        bool load = copy ? is_copy || !is_copy_hook(name) : !is_copy;
        bpf_program__set_autoload(prog, load);
    }
    int ncpu = libbpf_num_possible_cpus();
    skel->rodata->copy_percpu = percpu;
    if (ncpu <= 0 || bpf_map__set_max_entries(skel->maps.copy_rings, static_cast<uint32_t>(ncpu))) {
        std::fprintf(stderr, "floor: cannot size the per-CPU ring map\n");
        return 1;
    }
    if (floor_bpf__load(skel)) {
        std::perror("floor: load");
        floor_bpf__destroy(skel);
        return 1;
    }
    for (int pid : pids) {
        uint32_t k = static_cast<uint32_t>(pid);
        uint8_t one = 1;
        bpf_map__update_elem(skel->maps.copy_pids, &k, sizeof(k), &one, sizeof(one), BPF_ANY);
    }
    Counts counts;
    ring_buffer *rb = copy ? ring_buffer__new(bpf_map__fd(skel->maps.copy_ring), on_event, &counts, nullptr) : nullptr;
    if (copy && !rb) {
        std::perror("floor: ring buffer");
        floor_bpf__destroy(skel);
        return 1;
    }
    for (int cpu = 0; percpu && cpu < ncpu; cpu++) {
        int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, nullptr, 0, 0, 4u << 20, nullptr);
        uint32_t k = static_cast<uint32_t>(cpu);
        if (fd < 0 || bpf_map_update_elem(bpf_map__fd(skel->maps.copy_rings), &k, &fd, BPF_ANY) ||
            ring_buffer__add(rb, fd, on_event, &counts)) {
            std::perror("floor: per-CPU ring buffer");
            floor_bpf__destroy(skel);
            return 1;
        }
    }
    int n = 0;
    bpf_object__for_each_program(prog, skel->obj) {
        if (!bpf_program__autoload(prog)) continue;
        bpf_link *link = bpf_program__attach(prog);
        if (!link) {
            std::fprintf(stderr, "floor: attach %s failed\n", bpf_program__name(prog));
            floor_bpf__destroy(skel);
            return 1;
        }
        // The skeleton does not own links made outside floor_bpf__attach; keep them alive
        // until exit, when the process's fds go away with it.
        ++n;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::printf("floor: %d hooks attached%s\n", n, copy ? " (copy)" : "");
    std::fflush(stdout);
    while (!g_stop) {
        if (!rb) {
            pause();
            continue;
        }
        usleep(5000); // the programs never wake the reader
        ring_buffer__consume(rb);
    }
    if (rb) {
        ring_buffer__consume(rb);
        std::printf("floor: events=%llu bytes=%llu ring_full=%llu\n", counts.events, counts.bytes,
                    static_cast<unsigned long long>(skel->bss->copy_full));
        ring_buffer__free(rb);
    }
    floor_bpf__destroy(skel);
    return 0;
}
