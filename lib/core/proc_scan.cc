#include "core/proc_scan.h"

#include "core/unix_paths.h"

#include <dirent.h>
#include <fnmatch.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace beyla {

namespace {

bool all_digits(const char *s) {
    if (!*s) return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

std::string basename_of(const std::string &p) {
    auto slash = p.rfind('/');
    return slash == std::string::npos ? p : p.substr(slash + 1);
}

} // namespace

bool exe_matches(const std::vector<std::string> &globs, const std::string &path) {
    if (path.empty()) return false;
    std::string base = basename_of(path);
    for (const auto &g : globs) {
        if (fnmatch(g.c_str(), path.c_str(), 0) == 0) return true;
        if (fnmatch(g.c_str(), base.c_str(), 0) == 0) return true;
    }
    return false;
}

std::vector<std::pair<uint32_t, uint32_t>> ProcScanner::list() const {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    DIR *d = opendir(root_.c_str());
    if (!d) return out;
    while (dirent *e = readdir(d)) {
        if (!all_digits(e->d_name)) continue;
        std::ifstream st(root_ + "/" + e->d_name + "/stat");
        std::string line;
        if (!std::getline(st, line)) continue;
        // comm may hold spaces and parentheses: the state follows the last ')'.
        auto rp = line.rfind(')');
        if (rp == std::string::npos) continue;
        std::istringstream rest(line.substr(rp + 1));
        std::string state;
        uint32_t ppid = 0;
        rest >> state >> ppid;
        out.emplace_back(static_cast<uint32_t>(strtoul(e->d_name, nullptr, 10)), ppid);
    }
    closedir(d);
    return out;
}

std::string ProcScanner::exe_path(uint32_t pid) const {
    char buf[PATH_MAX];
    std::string link = root_ + "/" + std::to_string(pid) + "/exe";
    ssize_t n = readlink(link.c_str(), buf, sizeof(buf) - 1);
    if (n <= 0) return {};
    std::string p(buf, static_cast<size_t>(n));
    // A replaced binary reads "/usr/sbin/nginx (deleted)".
    const std::string deleted = " (deleted)";
    if (p.size() > deleted.size() && p.compare(p.size() - deleted.size(), deleted.size(), deleted) == 0)
        p.resize(p.size() - deleted.size());
    return p;
}

std::string ProcScanner::exe_name(uint32_t pid) const {
    std::string p = exe_path(pid);
    if (!p.empty()) return basename_of(p);
    std::ifstream c(root_ + "/" + std::to_string(pid) + "/comm");
    std::string comm;
    std::getline(c, comm);
    return comm;
}

std::set<uint64_t> ProcScanner::listening_inodes(const std::vector<uint16_t> &ports) const {
    std::set<uint64_t> inodes;
    for (const char *f : {"/net/tcp", "/net/tcp6"}) {
        std::ifstream in(root_ + f);
        std::string line;
        std::getline(in, line); // header
        while (std::getline(in, line)) {
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            std::istringstream ls(line);
            std::string sl, local, remote, st, txrx, trwhen, retr, uid, timeout;
            uint64_t inode = 0;
            ls >> sl >> local >> remote >> st >> txrx >> trwhen >> retr >> uid >> timeout >> inode;
            if (st != "0A") continue; // TCP_LISTEN
            auto colon = local.rfind(':');
            if (colon == std::string::npos) continue;
            auto port = static_cast<uint16_t>(strtoul(local.c_str() + colon + 1, nullptr, 16));
            for (auto p : ports)
                if (p == port) inodes.insert(inode);
        }
    }
    return inodes;
}

std::set<uint64_t> ProcScanner::listening_unix_inodes(const std::vector<std::string> &paths) const {
    std::set<uint64_t> inodes;
    for (const UnixSocketEntry &e : read_proc_net_unix(root_ + "/net/unix")) {
        if (!e.listening || e.type != 1 /* SOCK_STREAM */) continue;
        for (const auto &p : paths)
            if (p == e.path) inodes.insert(e.inode);
    }
    return inodes;
}

bool ProcScanner::holds_socket(uint32_t pid, const std::set<uint64_t> &inodes) const {
    std::string dir = root_ + "/" + std::to_string(pid) + "/fd";
    DIR *d = opendir(dir.c_str());
    if (!d) return false;
    bool found = false;
    char buf[64];
    while (dirent *e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        ssize_t n = readlink((dir + "/" + e->d_name).c_str(), buf, sizeof(buf) - 1);
        if (n <= 0) continue;
        buf[n] = 0;
        unsigned long long ino = 0;
        if (sscanf(buf, "socket:[%llu]", &ino) == 1 && inodes.count(ino)) {
            found = true;
            break;
        }
    }
    closedir(d);
    return found;
}

std::set<uint32_t> ProcScanner::select(const Selection &sel) const {
    std::set<uint32_t> chosen;
    auto procs = list();
    std::set<uint64_t> inodes;
    if (!sel.ports.empty()) inodes = listening_inodes(sel.ports);
    if (!sel.unix_paths.empty()) inodes.merge(listening_unix_inodes(sel.unix_paths));
    for (auto [pid, ppid] : procs) {
        (void)ppid;
        bool match = false;
        for (auto p : sel.pids)
            if (p > 0 && static_cast<uint32_t>(p) == pid) match = true;
        if (!match && !sel.exe_globs.empty()) match = exe_matches(sel.exe_globs, exe_path(pid));
        if (!match && !inodes.empty()) match = holds_socket(pid, inodes);
        if (match) chosen.insert(pid);
    }
    // Descendants forked before we started (nginx workers of a selected master).
    std::multimap<uint32_t, uint32_t> children;
    for (auto [pid, ppid] : procs) children.emplace(ppid, pid);
    std::vector<uint32_t> work(chosen.begin(), chosen.end());
    while (!work.empty()) {
        uint32_t p = work.back();
        work.pop_back();
        auto [b, e] = children.equal_range(p);
        for (auto it = b; it != e; ++it)
            if (chosen.insert(it->second).second) work.push_back(it->second);
    }
    return chosen;
}

} // namespace beyla
