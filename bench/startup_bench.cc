// Start-up: time spent in beyla_tracer_start() and from that call to the first event and
// the first span of a process that is already under load (bench/run.py keeps it busy).
#include <time.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <beyla/beyla.h>

namespace {

double now_s() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

void count_span(const beyla_span *, void *ctx) { ++*static_cast<unsigned long *>(ctx); }

} // namespace

int main(int argc, char **argv) {
    std::vector<int32_t> pids;
    int transport = BEYLA_TRANSPORT_AUTO;
    double timeout = 10;
    bool no_tls = false; // TLS capture is the default: --no-tls measures without it
    for (int i = 1; i < argc; i++) {
        const bool has_value = i + 1 < argc;
        if (!strcmp(argv[i], "--no-tls"))
            no_tls = true;
        else if (has_value && !strcmp(argv[i], "--pid"))
            pids.push_back(atoi(argv[++i]));
        else if (has_value && !strcmp(argv[i], "--transport"))
            transport = !strcmp(argv[++i], "perfbuf") ? BEYLA_TRANSPORT_PERFBUF : BEYLA_TRANSPORT_RINGBUF;
        else if (has_value && !strcmp(argv[i], "--timeout"))
            timeout = atof(argv[++i]);
    }
    if (pids.empty()) {
        fprintf(
            stderr,
            "usage: beyla_startup_bench --pid N [--transport ringbuf|perfbuf] [--timeout S] [--no-tls]\n");
        return 2;
    }
    unsigned long spans = 0;
    beyla_tracer_opts opts{};
    opts.sz = sizeof(opts);
    opts.pids = pids.data();
    opts.pid_count = pids.size();
    opts.on_span = count_span;
    opts.span_ctx = &spans;
    opts.transport = transport;
    opts.no_tls = no_tls;
    double t_new = now_s();
    beyla_tracer *t = beyla_tracer_new(&opts);
    if (!t) {
        fprintf(stderr, "beyla_tracer_new: %s\n", strerror(errno));
        return 1;
    }
    double t0 = now_s();
    int err = beyla_tracer_start(t);
    double t_started = now_s();
    if (err) {
        fprintf(stderr, "start: %s\n", beyla_tracer_last_error(t));
        return 1;
    }
    double t_event = 0, t_span = 0;
    beyla_stats st{};
    st.sz = sizeof(st);
    // Short polls: the first event is seen at most ~1 ms after the source can hand it over.
    while ((!t_event || !t_span) && now_s() - t0 < timeout) {
        beyla_tracer_poll(t, 1);
        if (!t_event && beyla_tracer_stats(t, &st) == 0 && st.events) t_event = now_s();
        if (!t_span && spans) t_span = now_s();
    }
    beyla_tracer_free(t);
    printf("{\"new_ms\": %.3f, \"start_ms\": %.3f, \"first_event_ms\": %.3f, \"first_span_ms\": %.3f}\n",
           (t0 - t_new) * 1e3, (t_started - t0) * 1e3, t_event ? (t_event - t0) * 1e3 : -1.0,
           t_span ? (t_span - t0) * 1e3 : -1.0);
    return t_event ? 0 : 1;
}
