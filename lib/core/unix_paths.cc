#include "core/unix_paths.h"

#include <dirent.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <set>
#include <fstream>
#include <sstream>

namespace beyla {

namespace {

bool hex(std::string_view t, uint64_t *v) {
    auto r = std::from_chars(t.data(), t.data() + t.size(), *v, 16);
    return r.ec == std::errc() && r.ptr == t.data() + t.size();
}

} // namespace

std::vector<UnixSocketEntry> parse_proc_net_unix(std::string_view text) {
    std::vector<UnixSocketEntry> out;
    size_t pos = text.find('\n'); // the header
    while (pos != std::string_view::npos && pos < text.size()) {
        const size_t b = pos + 1;
        pos = text.find('\n', b);
        std::string_view line =
            text.substr(b, pos == std::string_view::npos ? std::string_view::npos : pos - b);
        // Num: RefCount Protocol Flags Type St Inode [Path]; the path may hold spaces.
        std::string_view f[7];
        size_t i = 0, k = 0;
        while (k < 7) {
            while (i < line.size() && line[i] == ' ') i++;
            const size_t s = i;
            while (i < line.size() && line[i] != ' ') i++;
            if (i == s) break;
            f[k++] = line.substr(s, i - s);
        }
        if (k < 7) continue;
        uint64_t flags = 0, type = 0, inode = 0;
        if (!hex(f[3], &flags) || !hex(f[4], &type)) continue;
        auto r = std::from_chars(f[6].data(), f[6].data() + f[6].size(), inode);
        if (r.ec != std::errc() || r.ptr != f[6].data() + f[6].size()) continue;
        UnixSocketEntry e;
        e.inode = inode;
        e.type = static_cast<int>(type);
        e.listening = (flags & 0x10000) != 0;
        if (i < line.size()) e.path.assign(line.substr(i + 1));
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<UnixSocketEntry> read_proc_net_unix(const std::string &file) {
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_proc_net_unix(ss.str());
}

std::string_view UnixPaths::path(uint64_t inode, uint64_t now_ns) {
    if (!inode) return {};
    auto it = paths_.find(inode);
    if (it != paths_.end()) return it->second;
    if (read_once_ && now_ns - last_read_ < 5'000'000ull) return {};
    read_once_ = true;
    last_read_ = now_ns;
    auto entries = read_proc_net_unix(file_);
    if (paths_.size() + entries.size() > kMaxEntries) paths_.clear();
    for (auto &e : entries)
        if (!e.path.empty()) paths_[e.inode] = std::move(e.path);
    it = paths_.find(inode);
    return it == paths_.end() ? std::string_view() : std::string_view(it->second);
}

std::string_view UnixPaths::listener_path(uint32_t tgid, uint64_t now_ns) {
    Listener &l = listeners_[tgid];
    if (l.checked && now_ns - l.checked < 1'000'000'000ull) return l.path;
    if (listeners_.size() > kMaxEntries) {
        listeners_.clear();
        return {};
    }
    l.checked = now_ns ? now_ns : 1;
    l.path.clear();
    std::set<uint64_t> held;
    const std::string dir = root_ + "/" + std::to_string(tgid) + "/fd";
    if (DIR *d = opendir(dir.c_str())) {
        char buf[64];
        while (dirent *e = readdir(d)) {
            if (e->d_name[0] == '.') continue;
            const ssize_t n = readlink((dir + "/" + e->d_name).c_str(), buf, sizeof(buf) - 1);
            if (n <= 0) continue;
            buf[n] = 0;
            unsigned long long ino = 0;
            if (sscanf(buf, "socket:[%llu]", &ino) == 1) held.insert(ino);
        }
        closedir(d);
    }
    bool several = false;
    for (const UnixSocketEntry &e : read_proc_net_unix(file_)) {
        if (!e.listening || e.type != 1 || e.path.empty() || !held.count(e.inode)) continue;
        if (!l.path.empty() && l.path != e.path) several = true;
        l.path = e.path;
    }
    if (several) l.path.clear();
    return l.path;
}

} // namespace beyla
