// `beyla`: the command line face of libbeyla. It uses only the public C ABI.
#include <cstdio>
#include <cstring>

#include <beyla/beyla.h>

#include "commands.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: beyla <command> [options]\n"
            "\n"
            "commands:\n"
            "  caps   [--json]       what this kernel can do, and the capture plan\n"
            "  trace  [options]      trace request spans of selected processes (trace --help)\n"
            "  run    [--config F]   the long-running agent: YAML config, Prometheus endpoint (run --help)\n"
            "  top    [options]      live RED view per service and route (top --help)\n"
            "  version               print the library version\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "caps")) return cmd_caps(argc - 1, argv + 1);
    if (!strcmp(cmd, "trace")) return cmd_trace(argc - 1, argv + 1);
    if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "top")) return cmd_top(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("beyla %s\n", beyla_version_string());
        return 0;
    }
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "beyla: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
