// Reading /proc to pick the processes to trace at start-up: by pid (and descendants),
// by executable glob, by listening TCP port, and by listening unix-socket path. Later
// processes are picked up from exec/fork events and, for ports, by the kernel at accept();
// a unix-socket path selects the processes holding its listener at start-up.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace beyla {

struct Selection {
    std::vector<int32_t> pids;
    std::vector<uint16_t> ports;
    std::vector<std::string> exe_globs;
    std::vector<std::string> unix_paths; // paths of listening unix stream sockets
    bool empty() const { return pids.empty() && ports.empty() && exe_globs.empty() && unix_paths.empty(); }
};

class ProcScanner {
  public:
    explicit ProcScanner(std::string proc_root = "/proc") : root_(std::move(proc_root)) {}

    // Every live tgid with its parent.
    std::vector<std::pair<uint32_t, uint32_t>> list() const;
    // Full path of the executable ("" when unreadable: a kernel thread or no permission).
    std::string exe_path(uint32_t pid) const;
    // The base name used as process.executable.name: exe's base name, else comm.
    std::string exe_name(uint32_t pid) const;
    // Inodes of TCP sockets in LISTEN state on one of the ports (IPv4 and IPv6).
    std::set<uint64_t> listening_inodes(const std::vector<uint16_t> &ports) const;
    // Inodes of unix stream sockets listening on one of the paths (/proc/net/unix).
    std::set<uint64_t> listening_unix_inodes(const std::vector<std::string> &paths) const;
    // Whether pid holds one of the socket inodes.
    bool holds_socket(uint32_t pid, const std::set<uint64_t> &inodes) const;

    // The tgids matching the selection now, with their live descendants.
    std::set<uint32_t> select(const Selection &sel) const;

  private:
    std::string root_;
};

// fnmatch on the full path, then on the base name: "nginx" and "/usr/sbin/ngin*" both match.
bool exe_matches(const std::vector<std::string> &globs, const std::string &path);

} // namespace beyla
