// `beyla top`: a live RED view (rate, error rate, p50, p99) per service and route, computed
// from the differences of two metrics snapshots. On a terminal the table is redrawn in
// place; otherwise each refresh prints plain lines, so it can be piped or logged.
#include <getopt.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <beyla/beyla.h>

#include "commands.h"
#include "monotonic.h"
#include "metrics_view.h"

namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

void usage(FILE *f) {
    fprintf(f,
            "usage: beyla top [--pid N]... [--port N]... [--exe GLOB]... [options]\n"
            "  --pid N, --port N, --exe GLOB   what to trace, as for `beyla trace`\n"
            "  --replay F        read a recording instead of tracing the kernel\n"
            "  --routes LIST     http.route patterns, comma-separated\n"
            "  --interval S      refresh every S seconds (default 2)\n"
            "  --duration S      exit after S seconds\n"
            "  --rows N          at most N rows (default: the terminal's height, else 50)\n");
}

std::string fmt_ms(double s) {
    if (s < 0) return "-";
    char b[32];
    snprintf(b, sizeof b, s < 0.01 ? "%.2fms" : s < 1 ? "%.1fms" : "%.0fms", s * 1000);
    return b;
}

struct Line {
    const RedRow *row;
    double rate, err_pct, p50, p99;
    uint64_t delta;
};

void draw(const RedTable &now, const RedTable &before, double dt, bool tty, size_t rows, bool final) {
    std::vector<Line> lines;
    for (const auto &[key, r] : now) {
        auto it = before.find(key);
        const RedRow *b = it == before.end() ? nullptr : &it->second;
        uint64_t dc = r.count - (b && b->count <= r.count ? b->count : 0);
        uint64_t de = r.errors - (b && b->errors <= r.errors ? b->errors : 0);
        lines.push_back({&r, dt > 0 ? dc / dt : 0, dc ? 100.0 * de / dc : 0, quantile_delta(r, b, 0.5),
                         quantile_delta(r, b, 0.99), dc});
    }
    std::sort(lines.begin(), lines.end(), [](const Line &a, const Line &b) {
        return a.rate != b.rate ? a.rate > b.rate : a.row->count > b.row->count;
    });
    std::string out;
    if (tty) out += "\033[H\033[2J";
    char hdr[256];
    time_t wall = time(nullptr);
    char ts[32];
    strftime(ts, sizeof ts, "%H:%M:%S", localtime(&wall));
    snprintf(hdr, sizeof hdr, "beyla top %s  %zu series%s\n", ts, now.size(), final ? "  (final)" : "");
    out += hdr;
    snprintf(hdr, sizeof hdr, "%-20s %-12s %-32s %9s %7s %9s %9s %10s\n", "SERVICE", "KIND", "ROUTE", "REQ/S", "ERR%",
             "P50", "P99", "TOTAL");
    out += hdr;
    size_t n = 0;
    for (const Line &l : lines) {
        if (n++ >= rows) break;
        char b[512];
        snprintf(b, sizeof b, "%-20.20s %-12.12s %-32.32s %9.1f %6.1f%% %9s %9s %10llu\n", l.row->service.c_str(),
                 l.row->kind.c_str(), l.row->route.empty() ? "-" : l.row->route.c_str(), l.rate, l.err_pct,
                 fmt_ms(l.p50).c_str(), fmt_ms(l.p99).c_str(), static_cast<unsigned long long>(l.row->count));
        out += b;
    }
    if (!tty) out += "\n";
    fwrite(out.data(), 1, out.size(), stdout);
    fflush(stdout);
}

} // namespace

int cmd_top(int argc, char **argv) {
    std::vector<int32_t> pids;
    std::vector<uint16_t> ports;
    std::vector<const char *> globs;
    std::vector<std::string> routes;
    const char *replay = nullptr;
    double interval = 2, duration = 0;
    long rows = 0;
    static const option longopts[] = {
        {"pid", required_argument, nullptr, 'p'},      {"port", required_argument, nullptr, 'P'},
        {"exe", required_argument, nullptr, 'e'},      {"replay", required_argument, nullptr, 'L'},
        {"routes", required_argument, nullptr, 'r'},   {"interval", required_argument, nullptr, 'i'},
        {"duration", required_argument, nullptr, 'd'}, {"rows", required_argument, nullptr, 'n'},
        {"help", no_argument, nullptr, 'h'},           {nullptr, 0, nullptr, 0}};
    optind = 1;
    int c;
    auto num = [](const char *s, double lo, double hi, const char *what) {
        char *end = nullptr;
        double v = strtod(s, &end);
        if (!end || *end || !(v >= lo && v <= hi)) {
            fprintf(stderr, "beyla top: invalid %s '%s'\n", what, s);
            exit(2);
        }
        return v;
    };
    while ((c = getopt_long(argc, argv, "h", longopts, nullptr)) != -1) {
        switch (c) {
        case 'p': pids.push_back(static_cast<int32_t>(num(optarg, 1, INT32_MAX, "pid"))); break;
        case 'P': ports.push_back(static_cast<uint16_t>(num(optarg, 1, 65535, "port"))); break;
        case 'e': globs.push_back(optarg); break;
        case 'L': replay = optarg; break;
        case 'r':
            for (char *tok = strtok(optarg, ","); tok; tok = strtok(nullptr, ","))
                if (*tok) routes.emplace_back(tok);
            break;
        case 'i': interval = num(optarg, 0.1, 3600, "interval"); break;
        case 'd': duration = num(optarg, 0, 1e9, "duration"); break;
        case 'n': rows = static_cast<long>(num(optarg, 1, 10000, "rows")); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc || (pids.empty() && ports.empty() && globs.empty() && !replay)) {
        usage(stderr);
        return 2;
    }
    const bool tty = isatty(STDOUT_FILENO);
    if (!rows) {
        winsize ws{};
        rows = tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 4 ? ws.ws_row - 3 : 50;
    }
    std::vector<const char *> pats;
    for (auto &r : routes) pats.push_back(r.c_str());
    BEYLA_OPTS(beyla_metrics_opts, mo);
    mo.route_patterns = pats.data();
    mo.route_pattern_count = pats.size();
    BEYLA_OPTS(beyla_tracer_opts, o);
    o.pids = pids.data();
    o.pid_count = pids.size();
    o.ports = ports.data();
    o.port_count = ports.size();
    o.exe_globs = globs.data();
    o.exe_glob_count = globs.size();
    o.replay_path = replay;
    o.metrics = &mo;
    beyla_tracer *t = beyla_tracer_new(&o);
    if (!t) {
        char msg[128];
        beyla_strerror(errno, msg, sizeof msg);
        fprintf(stderr, "beyla top: cannot create tracer: %s\n", msg);
        return 1;
    }
    if (beyla_tracer_start(t) != 0) {
        fprintf(stderr, "beyla top: %s\n", beyla_tracer_last_error(t));
        beyla_tracer_free(t);
        return 1;
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    RedTable before;
    double start = monotonic_s(), last = start, next = start + interval;
    int rc = 0;
    bool ended = false;
    while (!g_stop && (duration <= 0 || monotonic_s() - start < duration)) {
        int n = beyla_tracer_poll(t, 100);
        if (n == -ENODATA) {
            ended = true;
            break;
        }
        if (n < 0 && n != -EINTR) {
            fprintf(stderr, "beyla top: poll: %s\n", beyla_tracer_last_error(t));
            rc = 1;
            break;
        }
        double now = monotonic_s();
        if (now < next) continue;
        next = now + interval;
        beyla_metrics *m = beyla_tracer_metrics(t);
        if (!m) continue;
        RedTable cur = red_rows(m);
        beyla_metrics_free(m);
        draw(cur, before, now - last, tty, static_cast<size_t>(rows), false);
        before = std::move(cur);
        last = now;
    }
    beyla_tracer_stop(t);
    // The last interval (or, for a recording, all of it) once more, complete.
    if (beyla_metrics *m = beyla_tracer_metrics(t)) {
        RedTable cur = red_rows(m);
        beyla_metrics_free(m);
        double now = monotonic_s();
        draw(cur, ended && before.empty() ? RedTable{} : before, std::max(now - last, 1e-3), false,
             static_cast<size_t>(rows), true);
    }
    beyla_tracer_free(t);
    return rc;
}
