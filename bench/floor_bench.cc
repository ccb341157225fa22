// Attaches bench/floor.bpf.c (programs that return at once, on the tracer's hooks) until
// SIGINT/SIGTERM: bench/run.py's "floor" phases, the cost of the hooks themselves.
#include <bpf/libbpf.h>
#include <csignal>
#include <cstdio>
#include <unistd.h>

#include "common/tracefs.h"
#include "floor.skel.h"

namespace {
volatile std::sig_atomic_t g_stop = 0; // signal handler state only
void on_signal(int) { g_stop = 1; }
} // namespace

int main() {
    auto tfs = beyla::find_tracefs("/sys", "/proc", true);
    if (tfs.path.empty()) {
        std::fprintf(stderr, "floor: no tracefs: %s\n", tfs.reason.c_str());
        return 1;
    }
    floor_bpf *skel = floor_bpf__open_and_load();
    if (!skel) {
        std::perror("floor: load");
        return 1;
    }
    int n = 0;
    bpf_program *prog;
    bpf_object__for_each_program(prog, skel->obj) {
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
    std::printf("floor: %d hooks attached\n", n);
    std::fflush(stdout);
    while (!g_stop)
        pause();
    floor_bpf__destroy(skel);
    return 0;
}
