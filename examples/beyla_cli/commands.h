// Subcommands of the `beyla` CLI. Each returns the process exit code.
#pragma once

int cmd_caps(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_top(int argc, char **argv);
