// `beyla trace`: spans of selected processes, as JSON lines or text, until a duration
// passes or SIGINT/SIGTERM; statistics go to stderr at the end. With --prometheus the RED
// metrics aggregated from the spans are served at /metrics while it runs; --metrics-out
// writes their final snapshot as JSON.
#include <getopt.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <beyla/beyla.h>

#include "commands.h"
#include "monotonic.h"
#include "http_server.h"
#include "metrics_view.h"

namespace {

volatile sig_atomic_t g_stop = 0; // set by the signal handler only
void on_signal(int) {
    g_stop = 1;
}

struct TraceCtx {
    FILE *out = stdout;
    bool jsonl = true;
    std::vector<char> buf = std::vector<char>(4096);
};

void print_span(const beyla_span *s, void *p) {
    auto *ctx = static_cast<TraceCtx *>(p);
    if (ctx->jsonl) {
        int n = beyla_span_to_json(s, ctx->buf.data(), ctx->buf.size());
        if (n >= static_cast<int>(ctx->buf.size())) {
            ctx->buf.resize(n + 1);
            n = beyla_span_to_json(s, ctx->buf.data(), ctx->buf.size());
        }
        if (n >= 0) {
            ctx->buf[n] = '\n'; // the NUL: the line goes out whole, without a format pass
            fwrite(ctx->buf.data(), 1, static_cast<size_t>(n) + 1, ctx->out);
        }
        return;
    }
    const beyla_attr *sa = beyla_span_attr(s, "server.address"), *sp = beyla_span_attr(s, "server.port");
    const beyla_attr *ca = beyla_span_attr(s, "client.address"), *cp = beyla_span_attr(s, "client.port");
    double ms = (s->end_time_unix_nano - s->start_time_unix_nano) / 1e6;
    fprintf(ctx->out, "%-6s %s[%u] %s %s %d %.3fms %s:%" PRId64 " -> %s:%" PRId64 "\n",
            s->kind == BEYLA_SPAN_SERVER ? "server" : "client", s->exe ? s->exe : "?", s->pid,
            s->method ? s->method : "-", s->path ? s->path : "-", s->status, ms,
            ca && ca->str ? ca->str : "?", cp ? cp->num : 0, sa && sa->str ? sa->str : "?", sp ? sp->num : 0);
}

void print_log(beyla_log_level level, const char *msg, void *ctx) {
    int verbosity = *static_cast<int *>(ctx);
    if (static_cast<int>(level) > verbosity) return;
    static const char *names[] = {"error", "warn", "info", "debug"};
    fprintf(stderr, "beyla: %s: %s\n", names[level], msg);
}

std::string known_protocols() {
    std::string s;
    for (size_t i = 0; const char *p = beyla_protocol_list(i); i++) s += (i ? "," : "") + std::string(p);
    return s;
}

void usage(FILE *f) {
    fprintf(f,
            "usage: beyla trace [--pid N]... [--port N]... [--unix PATH]... [--exe GLOB]... [options]\n"
            "  --pid N           trace process N and the children it forks\n"
            "  --port N          trace processes listening on TCP port N (now or later)\n"
            "  --unix PATH       trace processes listening on the unix socket PATH (now)\n"
            "  --exe GLOB        trace executables matching GLOB (path or base name; now or later)\n"
            "  --duration S      stop after S seconds (default: until SIGINT/SIGTERM; with\n"
            "                    --replay and --prometheus, serve until then after the replay)\n"
            "  --format F        jsonl (default) or text\n"
            "  --output F        write spans to F instead of stdout\n"
            "  --transport T     auto (default), ringbuf or perfbuf\n"
            "  --payload N       bytes of payload copied per syscall (default 4096)\n"
            "  --ring-size N     event buffer bytes (rounded for the page size)\n"
            "  --url-query       include url.query (off by default: it may hold secrets)\n"
            "  --db-query-raw    db.query.text with its literals (off: strings and numbers become ?)\n"
            "  --no-tls          do not probe TLS libraries (by default HTTPS is decrypted through\n"
            "                    uprobes on OpenSSL, shared or in the executable, GnuTLS and Go's\n"
            "                    crypto/tls; --tls is accepted and changes nothing)\n"
            "  --protocols LIST  decode only these protocols, comma-separated (default all):\n"
            "                    %s\n"
            "  --btf PATH        CO-RE relocations against the BTF file PATH instead of the\n"
            "                    kernel's own (e.g. for a kernel without /sys/kernel/btf/vmlinux)\n"
            "  --record F        also write the raw events to F\n"
            "  --replay F        decode a recording instead of tracing the kernel\n"
            "  --prometheus A:P  serve RED metrics at http://A:P/metrics while tracing (port 0: any\n"
            "                    free one, printed on stderr); ':P' listens on every address\n"
            "  --routes LIST     http.route patterns for metrics, comma-separated: /users/{id},...\n"
            "  --route-mode M    unmatched paths: heuristic (default: ids become *),\n"
            "                    low-cardinality, or patterns-only (/**)\n"
            "  --max-series N    metric series per group before the overflow series (default 2000)\n"
            "  --metrics-out F   write the final metrics snapshot to F as one JSON object\n"
            "  --no-spans        print no spans (metrics only)\n"
            "  -v, --verbose     more log output (repeat for debug)\n",
            known_protocols().c_str());
}

} // namespace

int cmd_trace(int argc, char **argv) {
    std::vector<int32_t> pids;
    std::vector<uint16_t> ports;
    std::vector<const char *> globs;
    std::vector<const char *> unix_paths;
    std::vector<const char *> protocols;
    double duration = 0;
    const char *output = nullptr, *replay = nullptr, *record = nullptr;
    int verbosity = BEYLA_LOG_WARN;
    TraceCtx ctx;
    BEYLA_OPTS(beyla_tracer_opts, opts);
    BEYLA_OPTS(beyla_metrics_opts, mopts);
    bool want_metrics = false, no_spans = false;
    const char *prometheus = nullptr, *metrics_out = nullptr;
    std::vector<std::string> routes;
    std::vector<const char *> route_ptrs;

    static const option longopts[] = {{"pid", required_argument, nullptr, 'p'},
                                      {"port", required_argument, nullptr, 'P'},
                                      {"unix", required_argument, nullptr, 'U'},
                                      {"exe", required_argument, nullptr, 'e'},
                                      {"duration", required_argument, nullptr, 'd'},
                                      {"format", required_argument, nullptr, 'f'},
                                      {"output", required_argument, nullptr, 'o'},
                                      {"transport", required_argument, nullptr, 't'},
                                      {"payload", required_argument, nullptr, 'b'},
                                      {"ring-size", required_argument, nullptr, 'r'},
                                      {"url-query", no_argument, nullptr, 'q'},
                                      {"db-query-raw", no_argument, nullptr, 'Q'},
                                      {"tls", no_argument, nullptr, 'T'},
                                      {"no-tls", no_argument, nullptr, 'N'},
                                      {"protocols", required_argument, nullptr, 'X'},
                                      {"btf", required_argument, nullptr, 'B'},
                                      {"record", required_argument, nullptr, 'R'},
                                      {"replay", required_argument, nullptr, 'L'},
                                      {"verbose", no_argument, nullptr, 'v'},
                                      {"help", no_argument, nullptr, 'h'},
                                      {"prometheus", required_argument, nullptr, 1},
                                      {"routes", required_argument, nullptr, 2},
                                      {"route-mode", required_argument, nullptr, 3},
                                      {"max-series", required_argument, nullptr, 4},
                                      {"metrics-out", required_argument, nullptr, 5},
                                      {"no-spans", no_argument, nullptr, 6},
                                      {nullptr, 0, nullptr, 0}};
    optind = 1;
    int c;
    auto number = [](const char *s, long long lo, long long hi, const char *what) -> long long {
        char *end = nullptr;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || !end || *end || v < lo || v > hi) {
            fprintf(stderr, "beyla trace: invalid %s '%s'\n", what, s);
            exit(2);
        }
        return v;
    };
    while ((c = getopt_long(argc, argv, "vh", longopts, nullptr)) != -1) {
        switch (c) {
        case 'p':
            pids.push_back(static_cast<int32_t>(number(optarg, 1, INT32_MAX, "pid")));
            break;
        case 'P':
            ports.push_back(static_cast<uint16_t>(number(optarg, 1, 65535, "port")));
            break;
        case 'e':
            globs.push_back(optarg);
            break;
        case 'U':
            unix_paths.push_back(optarg);
            break;
        case 'd': {
            char *end = nullptr;
            duration = strtod(optarg, &end);
            if (!end || *end || duration < 0) {
                fprintf(stderr, "beyla trace: invalid duration '%s'\n", optarg);
                return 2;
            }
            break;
        }
        case 'f':
            if (!strcmp(optarg, "jsonl"))
                ctx.jsonl = true;
            else if (!strcmp(optarg, "text"))
                ctx.jsonl = false;
            else {
                fprintf(stderr, "beyla trace: unknown format '%s' (jsonl or text)\n", optarg);
                return 2;
            }
            break;
        case 'o':
            output = optarg;
            break;
        case 't':
            if (!strcmp(optarg, "auto"))
                opts.transport = BEYLA_TRANSPORT_AUTO;
            else if (!strcmp(optarg, "ringbuf"))
                opts.transport = BEYLA_TRANSPORT_RINGBUF;
            else if (!strcmp(optarg, "perfbuf"))
                opts.transport = BEYLA_TRANSPORT_PERFBUF;
            else {
                fprintf(stderr, "beyla trace: unknown transport '%s'\n", optarg);
                return 2;
            }
            break;
        case 'b':
            opts.payload_prefix = static_cast<uint32_t>(number(optarg, 1, 1 << 20, "payload size"));
            break;
        case 'r':
            opts.ring_size = static_cast<uint32_t>(number(optarg, 1, 1LL << 31, "ring size"));
            break;
        case 'q':
            opts.capture_url_query = true;
            break;
        case 'Q':
            opts.capture_db_query_raw = true;
            break;
        case 'T':
            break; // the default now; accepted for command lines that name it
        case 'N':
            opts.no_tls = true;
            break;
        case 'X':
            // Comma-separated registry names; the library rejects unknown ones by name.
            for (char *tok = strtok(optarg, ","); tok; tok = strtok(nullptr, ","))
                if (*tok) protocols.push_back(tok);
            if (protocols.empty()) {
                fprintf(stderr, "beyla trace: --protocols needs at least one name\n");
                return 2;
            }
            break;
        case 'B':
            if (!*optarg) {
                fprintf(stderr, "beyla trace: --btf needs a file name\n");
                return 2;
            }
            opts.btf_path = optarg;
            break;
        case 'R':
            record = optarg;
            break;
        case 'L':
            replay = optarg;
            break;
        case 'v':
            verbosity++;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 1:
            prometheus = optarg, want_metrics = true;
            break;
        case 2:
            for (char *tok = strtok(optarg, ","); tok; tok = strtok(nullptr, ","))
                if (*tok) routes.emplace_back(tok);
            want_metrics = true;
            break;
        case 3:
            if (!strcmp(optarg, "heuristic"))
                mopts.route_mode = BEYLA_ROUTE_HEURISTIC;
            else if (!strcmp(optarg, "low-cardinality"))
                mopts.route_mode = BEYLA_ROUTE_LOW_CARDINALITY;
            else if (!strcmp(optarg, "patterns-only"))
                mopts.route_mode = BEYLA_ROUTE_PATTERNS_ONLY;
            else {
                fprintf(stderr, "beyla trace: unknown route mode '%s'\n", optarg);
                return 2;
            }
            want_metrics = true;
            break;
        case 4:
            mopts.max_series = static_cast<uint32_t>(number(optarg, 1, 1 << 20, "max series"));
            want_metrics = true;
            break;
        case 5:
            metrics_out = optarg, want_metrics = true;
            break;
        case 6:
            no_spans = true;
            break;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "beyla trace: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (pids.empty() && ports.empty() && globs.empty() && unix_paths.empty() && !replay) {
        fprintf(stderr, "beyla trace: select something to trace with --pid, --port, --unix or --exe\n");
        usage(stderr);
        return 2;
    }
    if (output && !(ctx.out = fopen(output, "w"))) {
        fprintf(stderr, "beyla trace: cannot open %s: %s\n", output, strerror(errno));
        return 1;
    }
    // Spans leave in one write per poll (flushed below), not one per 4 KiB; a terminal
    // keeps its line buffering.
    if (!isatty(fileno(ctx.out))) setvbuf(ctx.out, nullptr, _IOFBF, 1 << 20);
    opts.pids = pids.data();
    opts.pid_count = pids.size();
    opts.ports = ports.data();
    opts.port_count = ports.size();
    opts.exe_globs = globs.data();
    opts.exe_glob_count = globs.size();
    opts.unix_paths = unix_paths.data();
    opts.unix_path_count = unix_paths.size();
    if (!no_spans) {
        opts.on_span = print_span;
        opts.span_ctx = &ctx;
    }
    for (auto &r : routes) route_ptrs.push_back(r.c_str());
    mopts.route_patterns = route_ptrs.data();
    mopts.route_pattern_count = route_ptrs.size();
    if (want_metrics) opts.metrics = &mopts;
    opts.log_fn = print_log;
    opts.log_ctx = &verbosity;
    opts.replay_path = replay;
    opts.record_path = record;
    opts.protocols = protocols.data();
    opts.protocol_count = protocols.size();

    beyla_tracer *t = beyla_tracer_new(&opts);
    if (!t) {
        char msg[128];
        beyla_strerror(errno, msg, sizeof(msg));
        fprintf(stderr, "beyla trace: cannot create tracer: %s\n", msg);
        return 1;
    }
    HttpServer server;
    if (prometheus) {
        std::string e = server.start(prometheus, "/metrics",
                                     [t](bool om) { return prometheus_reply(beyla_tracer_metrics(t), om); });
        if (!e.empty()) {
            fprintf(stderr, "beyla trace: --prometheus: %s\n", e.c_str());
            beyla_tracer_free(t);
            return 1;
        }
        fprintf(stderr, "beyla: metrics at http://%s/metrics\n", server.address().c_str());
    }
    int err = beyla_tracer_start(t);
    if (err) {
        fprintf(stderr, "beyla trace: %s\n", beyla_tracer_last_error(t));
        server.stop();
        beyla_tracer_free(t);
        return 1;
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    fprintf(stderr, "beyla: tracing; Ctrl-C to stop\n");

    double deadline = duration > 0 ? monotonic_s() + duration : 0;
    int rc = 0;
    while (!g_stop && (!deadline || monotonic_s() < deadline)) {
        int n = beyla_tracer_poll(t, 100);
        if (n == -ENODATA) {
            // A finished replay keeps its metrics served until --duration ends.
            if (prometheus && deadline) {
                usleep(100 * 1000);
                continue;
            }
            break; // replay finished
        }
        if (n == -EINTR) continue;
        if (n < 0) {
            fprintf(stderr, "beyla trace: poll: %s\n", beyla_tracer_last_error(t));
            rc = 1;
            break;
        }
        fflush(ctx.out);
    }
    beyla_tracer_stop(t);
    fflush(ctx.out);
    server.stop();
    if (metrics_out && !write_metrics_json(t, metrics_out)) rc = 1;
    BEYLA_OPTS(beyla_stats, st);
    if (beyla_tracer_stats(t, &st) == 0) {
        fprintf(stderr,
                "beyla: events=%" PRIu64 " bytes=%" PRIu64 " spans=%" PRIu64 " connections=%" PRIu64
                " processes=%" PRIu64 "\n"
                "beyla: drops: ring_full=%" PRIu64 " perf_lost=%" PRIu64 " read_fault=%" PRIu64
                " conn_limit=%" PRIu64 "\n"
                "beyla: truncated=%" PRIu64 " parse_errors=%" PRIu64 " unmatched=%" PRIu64
                " unknown_protocol=%" PRIu64 " malformed=%" PRIu64 " incomplete=%" PRIu64
                " tls_undecoded=%" PRIu64 " gaps=%" PRIu64 " gap_bytes=%" PRIu64 "\n",
                st.events, st.bytes, st.spans, st.connections, st.processes, st.drop_ring_full,
                st.drop_perf_lost, st.drop_read_fault, st.drop_conn_limit, st.truncated, st.parse_errors,
                st.unmatched, st.unknown_protocol, st.malformed, st.incomplete, st.tls_undecoded, st.gaps,
                st.gap_bytes);
    }
    // Protocol-specific counters, one line when there are any.
    std::string counters;
    for (size_t i = 0;; i++) {
        const char *name = nullptr;
        uint64_t value = 0;
        if (beyla_tracer_counter(t, i, &name, &value) != 0) break;
        counters += " " + std::string(name) + "=" + std::to_string(value);
    }
    if (!counters.empty()) fprintf(stderr, "beyla: protocols:%s\n", counters.c_str());
    // Which TLS libraries were probed, and for which processes.
    for (size_t i = 0;; i++) {
        BEYLA_OPTS(beyla_tls_library, lib);
        if (beyla_tracer_tls_library(t, i, &lib) != 0) break;
        fprintf(stderr, "beyla: tls library %s %s (%u functions), processes:", lib.kind, lib.path,
                lib.functions);
        for (uint32_t j = 0; j < lib.pid_count; j++) fprintf(stderr, " %u", lib.pids[j]);
        fputc('\n', stderr);
    }
    beyla_tracer_free(t);
    if (output) fclose(ctx.out);
    return rc;
}
