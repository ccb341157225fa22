// Finding (or mounting) tracefs: syscall tracepoints are attached by the ids under
// <tracefs>/events/, and on many machines tracefs is not mounted at boot.
#pragma once

#include <string>

namespace beyla {

struct TracefsResult {
    std::string path;   // usable tracefs root ("" when none)
    bool mounted = false; // we mounted it
    std::string reason; // what was found or tried
};

// Looks for tracefs under sys_root (".../kernel/tracing", ".../kernel/debug/tracing", then
// /proc/mounts). When absent and allow_mount, mounts it on <sys_root>/kernel/tracing.
TracefsResult find_tracefs(const std::string &sys_root, const std::string &proc_root, bool allow_mount);

// access(2) as open(2) will judge it: with the effective ids and capabilities. Plain
// access() drops capabilities when the real uid is not 0, so a tracer holding
// CAP_DAC_READ_SEARCH would be refused tracefs. Returns 0 or -1 with errno.
int effective_access(const std::string &path, int mode);

// Tracepoint id of <category>/<name>, or -errno.
int tracepoint_id(const std::string &tracefs, const std::string &category, const std::string &name);

} // namespace beyla
