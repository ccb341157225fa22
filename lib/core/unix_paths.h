// Paths of unix-domain sockets, by inode: the kernel side reports a unix stream socket by
// its own and its peer's inode numbers (it has no addresses of the kind TCP's have), and
// /proc/net/unix lists a bound socket's path, and an accepted socket's (the listener's), by
// inode. server.address of a unix socket span is that path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace beyla {

struct UnixSocketEntry {
    uint64_t inode = 0;
    int type = 0;           // SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5
    bool listening = false; // __SO_ACCEPTCON
    std::string path;       // "" when unbound; abstract names start with '@'
};

// Parses /proc/net/unix's text: "Num RefCount Protocol Flags Type St Inode Path".
std::vector<UnixSocketEntry> parse_proc_net_unix(std::string_view text);
std::vector<UnixSocketEntry> read_proc_net_unix(const std::string &file);

// inode → path, read again from /proc/net/unix when an inode is not known, at most once
// per 5 ms of the caller's clock (a socket gone before it was looked up stays unknown).
class UnixPaths {
  public:
    explicit UnixPaths(std::string proc_root = "/proc")
        : root_(proc_root), file_(std::move(proc_root) + "/net/unix") {}
    // "" when unknown or unbound. Valid until the next call.
    std::string_view path(uint64_t inode, uint64_t now_ns);
    // The path process tgid listens on, when it listens on exactly one (a server socket that
    // closed before it was looked up had its listener's path); "" otherwise. Looked at once a
    // second per process.
    std::string_view listener_path(uint32_t tgid, uint64_t now_ns);

  private:
    struct Listener {
        uint64_t checked = 0;
        std::string path;
    };
    std::string root_;
    std::unordered_map<uint32_t, Listener> listeners_;
    static constexpr size_t kMaxEntries = 65536;
    std::string file_;
    std::unordered_map<uint64_t, std::string> paths_;
    uint64_t last_read_ = 0;
    bool read_once_ = false;
};

} // namespace beyla
