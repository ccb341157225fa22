// `beyla run`: the long-running agent. Configuration from a YAML file and Beyla's
// environment variables (agent_config.h); SIGTERM or SIGINT flush and exit 0, SIGHUP
// re-reads the configuration and applies a changed selection.
#include <getopt.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "agent.h"
#include "agent_config.h"
#include "commands.h"
#include "monotonic.h"

namespace {

volatile sig_atomic_t g_stop = 0, g_reload = 0;
void on_stop(int) { g_stop = 1; }
void on_hup(int) { g_reload = 1; }

void usage(FILE *f) {
    fprintf(f,
            "usage: beyla run [--config FILE] [--stats-interval S] [--duration S]\n"
            "  --config FILE       YAML configuration (default: $BEYLA_CONFIG_PATH); see README\n"
            "  --stats-interval S  print statistics to stderr every S seconds\n"
            "  --duration S        exit after S seconds (default: until SIGTERM/SIGINT)\n"
            "environment (wins over the file): BEYLA_OPEN_PORT, BEYLA_AUTO_TARGET_EXE,\n"
            "  BEYLA_PROMETHEUS_PORT, BEYLA_PROMETHEUS_PATH, BEYLA_TRACE_PRINTER, BEYLA_LOG_LEVEL,\n"
            "  OTEL_SERVICE_NAME, BEYLA_CONFIG_PATH\n"
            "signals: SIGTERM/SIGINT flush and exit 0; SIGHUP reloads the selection\n");
}

bool positive(const char *s, double &out) {
    char *end = nullptr;
    out = strtod(s, &end);
    return end && !*end && out >= 0 && out < 1e9;
}

} // namespace

int cmd_run(int argc, char **argv) {
    std::string config_path;
    if (const char *p = getenv("BEYLA_CONFIG_PATH")) config_path = p;
    double stats_interval = -1, duration = 0;
    static const option longopts[] = {{"config", required_argument, nullptr, 'c'},
                                      {"stats-interval", required_argument, nullptr, 's'},
                                      {"duration", required_argument, nullptr, 'd'},
                                      {"help", no_argument, nullptr, 'h'},
                                      {nullptr, 0, nullptr, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, nullptr)) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 's':
            if (!positive(optarg, stats_interval)) {
                fprintf(stderr, "beyla run: invalid --stats-interval '%s'\n", optarg);
                return 2;
            }
            break;
        case 'd':
            if (!positive(optarg, duration)) {
                fprintf(stderr, "beyla run: invalid --duration '%s'\n", optarg);
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "beyla run: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    AgentConfig cfg;
    try {
        cfg = load_agent_config(config_path, agent_environment());
    } catch (const ConfigError &e) {
        fprintf(stderr, "beyla run: configuration: %s\n", e.what());
        return 2;
    }
    if (stats_interval >= 0) cfg.stats_interval = stats_interval;

    struct sigaction sa {};
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, nullptr);

    Agent agent(cfg);
    add_configured_sinks(agent);
    if (std::string e = agent.start(); !e.empty()) {
        fprintf(stderr, "beyla run: %s\n", e.c_str());
        return 1;
    }
    // One poll first: processes already running are found, and counted, by then.
    int rc = 0;
    if (agent.poll(50) < 0) {
        fprintf(stderr, "beyla run: poll: %s\n", beyla_tracer_last_error(agent.tracer()));
        agent.finish();
        return 1;
    }
    fprintf(stderr, "beyla: %s\n", agent.attached_text().c_str());
    fprintf(stderr, "beyla: running (pid %d); SIGTERM to stop, SIGHUP to reload the selection\n", getpid());
    double start = monotonic_s(), next_stats = cfg.stats_interval > 0 ? start + cfg.stats_interval : 0;
    while (!g_stop && (duration <= 0 || monotonic_s() - start < duration)) {
        if (g_reload) {
            g_reload = 0;
            try {
                AgentConfig next = load_agent_config(config_path, agent_environment());
                if (next.same_selection(agent.config())) {
                    agent.log(BEYLA_LOG_INFO, "reload: selection unchanged");
                } else if (std::string e = agent.reload(next); !e.empty()) {
                    agent.log(BEYLA_LOG_ERROR, "reload failed, keeping " + agent.config().selection_text() + ": " + e);
                } else {
                    agent.poll(50);
                    agent.log(BEYLA_LOG_INFO, "reload: " + agent.attached_text());
                }
            } catch (const ConfigError &e) {
                agent.log(BEYLA_LOG_ERROR, std::string("reload failed, configuration kept: ") + e.what());
            }
        }
        int n = agent.poll(100);
        if (n == -ENODATA) break;
        if (n < 0) {
            fprintf(stderr, "beyla run: poll: %s\n", beyla_tracer_last_error(agent.tracer()));
            rc = 1;
            break;
        }
        if (next_stats && monotonic_s() >= next_stats) {
            next_stats += cfg.stats_interval;
            fprintf(stderr, "beyla: %s\n", agent.stats_line().c_str());
        }
    }
    agent.finish();
    fprintf(stderr, "beyla: %s\n", agent.stats_line().c_str());
    return rc;
}
