// `beyla caps`: what this kernel can do, why, what is lost without it, and the capture plan.
#include <getopt.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <beyla/beyla.h>

#include "commands.h"

namespace {

void caps_usage(FILE *f) {
    fprintf(f, "usage: beyla caps [--json] [options]\n"
               "  --json             print the report as JSON\n"
               "  --proc-root DIR    read DIR instead of /proc\n"
               "  --sys-root DIR     read DIR instead of /sys\n"
               "  --boot-root DIR    read DIR instead of /boot\n"
               "  --etc-root DIR     read DIR instead of /etc\n"
               "  --btf PATH         report CO-RE against this BTF file, as trace --btf PATH\n"
               "  --no-mount         do not mount tracefs (or securityfs) when they are absent\n"
               "  --files-only       only read files: no BPF loads, attaches or mounts\n"
               "  --pid PID          list the TLS libraries (and Go crypto/tls) of PID as `beyla trace`\n"
               "                     would probe them (repeatable)\n"
               "  -v, --verbose      log what is tried to stderr (twice: libbpf's debug output too)\n");
}

void caps_log(beyla_log_level level, const char *msg, void *ctx) {
    int verbosity = *static_cast<int *>(ctx);
    if (static_cast<int>(level) > verbosity) return;
    static const char *names[] = {"error", "warn", "info", "debug"};
    fprintf(stderr, "beyla: %s: %s\n", names[level], msg);
}

const char *const kCategories[] = {"kernel", "bpf", "hook", "helper", "security", "config", "plan"};

void print_table(const beyla_caps *caps) {
    size_t n = beyla_caps_count(caps);
    std::vector<beyla_cap_item> items(n);
    size_t name_w = 4, value_w = 5;
    for (size_t i = 0; i < n; i++) {
        items[i].sz = sizeof(items[i]);
        if (beyla_caps_item(caps, i, &items[i]) != 0) items[i] = beyla_cap_item{};
        if (!items[i].name) continue;
        name_w = std::max(name_w, strlen(items[i].name));
        value_w = std::max(value_w, std::min<size_t>(strlen(items[i].value), 24));
    }
    int nw = static_cast<int>(name_w), vw = static_cast<int>(value_w);
    printf("%-*s  %-*s  %s\n", nw + 2, "NAME", vw, "VALUE", "REASON");
    // Categories in report order; anything unexpected goes last, under its own heading.
    std::vector<std::string> cats(std::begin(kCategories), std::end(kCategories));
    for (const auto &it : items)
        if (it.category && std::find(cats.begin(), cats.end(), it.category) == cats.end())
            cats.push_back(it.category);
    for (const auto &cat : cats) {
        bool header = false;
        for (const auto &it : items) {
            if (!it.name || cat != it.category) continue;
            if (!header) {
                printf("\n%s\n", cat.c_str());
                header = true;
            }
            printf("  %-*s  %-*s  %s\n", nw, it.name, vw, it.value, it.reason);
            if (it.degraded && *it.degraded)
                printf("  %-*s  %-*s  degraded: %s\n", nw, "", vw, "", it.degraded);
        }
    }
    const char *plan = beyla_caps_plan_text(caps);
    printf("\ncapture plan\n");
    // Indent the plan's lines under the heading.
    for (const char *p = plan ? plan : ""; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? static_cast<size_t>(nl - p) : strlen(p);
        printf("  %.*s\n", static_cast<int>(len), p);
        p += len + (nl ? 1 : 0);
    }
}

} // namespace

int cmd_caps(int argc, char **argv) {
    static const option long_opts[] = {
        {"json", no_argument, nullptr, 'j'},
        {"proc-root", required_argument, nullptr, 'p'},
        {"sys-root", required_argument, nullptr, 's'},
        {"boot-root", required_argument, nullptr, 'b'},
        {"etc-root", required_argument, nullptr, 'e'},
        {"btf", required_argument, nullptr, 'B'},
        {"no-mount", no_argument, nullptr, 'n'},
        {"files-only", no_argument, nullptr, 'f'},
        {"pid", required_argument, nullptr, 'P'},
        {"verbose", no_argument, nullptr, 'v'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    struct beyla_caps_opts opts {};
    opts.sz = sizeof(opts);
    bool json = false;
    // Quiet by default: the report itself says what failed and why.
    int verbosity = BEYLA_LOG_ERROR;
    bool verbose = false;
    std::vector<int32_t> tls_pids;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "vh", long_opts, nullptr)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'p':
            opts.proc_root = optarg;
            break;
        case 's':
            opts.sys_root = optarg;
            break;
        case 'b':
            opts.boot_root = optarg;
            break;
        case 'e':
            opts.etc_root = optarg;
            break;
        case 'B':
            opts.btf_path = optarg;
            break;
        case 'n':
            opts.no_mount_tracefs = true;
            break;
        case 'f':
            opts.files_only = true;
            break;
        case 'P': {
            char *end = nullptr;
            long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v <= 0 || v > INT32_MAX) {
                fprintf(stderr, "beyla caps: invalid pid '%s'\n", optarg);
                return 2;
            }
            tls_pids.push_back(static_cast<int32_t>(v));
            break;
        }
        case 'v':
            verbosity = verbose ? BEYLA_LOG_DEBUG : BEYLA_LOG_INFO;
            verbose = true;
            break;
        case 'h':
            caps_usage(stdout);
            return 0;
        default:
            caps_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "beyla caps: unexpected argument '%s'\n", argv[optind]);
        caps_usage(stderr);
        return 2;
    }
    opts.tls_pids = tls_pids.data();
    opts.tls_pid_count = tls_pids.size();
    opts.log_fn = caps_log;
    opts.log_ctx = &verbosity;

    struct beyla_caps *caps = beyla_caps_probe(&opts);
    if (!caps) {
        int err = errno;
        char msg[128];
        beyla_strerror(err, msg, sizeof(msg));
        fprintf(stderr, "beyla caps: probing failed: %s\n", msg);
        return 1;
    }
    if (json)
        printf("%s\n", beyla_caps_json(caps));
    else
        print_table(caps);
    beyla_caps_free(caps);
    return 0;
}
