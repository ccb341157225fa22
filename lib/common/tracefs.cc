#include "common/tracefs.h"

#include <cerrno>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/mount.h>
#include <unistd.h>

#include "common/error.h"

namespace beyla {

namespace {

bool has_events(const std::string &dir) { return effective_access(dir + "/events", F_OK) == 0; }

} // namespace

int effective_access(const std::string &path, int mode) {
    return faccessat(AT_FDCWD, path.c_str(), mode, AT_EACCESS);
}

TracefsResult find_tracefs(const std::string &sys_root, const std::string &proc_root, bool allow_mount) {
    TracefsResult r;
    for (const char *rel : {"/kernel/tracing", "/kernel/debug/tracing"}) {
        std::string p = sys_root + rel;
        if (has_events(p)) {
            r.path = p;
            r.reason = "tracefs found at " + p;
            return r;
        }
    }
    // Mounted somewhere unusual.
    std::ifstream mounts(proc_root + "/mounts");
    std::string line;
    while (std::getline(mounts, line)) {
        std::istringstream ls(line);
        std::string dev, dir, type;
        ls >> dev >> dir >> type;
        if (type == "tracefs" && has_events(dir)) {
            r.path = dir;
            r.reason = "tracefs found at " + dir + " (from " + proc_root + "/mounts)";
            return r;
        }
    }
    std::string target = sys_root + "/kernel/tracing";
    // Mounted but closed to us (tracefs is root-only by default): mounting again won't help.
    for (const char *rel : {"/kernel/tracing", "/kernel/debug/tracing"}) {
        std::string p = sys_root + rel;
        if (effective_access(p, F_OK) == 0 && effective_access(p + "/events", F_OK) != 0 && errno == EACCES) {
            r.reason = "tracefs at " + p + " is not accessible: " + errno_str(EACCES) +
                       " (needs root or CAP_DAC_READ_SEARCH)";
            return r;
        }
    }
    if (!allow_mount) {
        r.reason = "tracefs is not mounted and mounting it was not allowed";
        return r;
    }
    if (mount("tracefs", target.c_str(), "tracefs", 0, nullptr) != 0) {
        int err = errno;
        r.reason = "tracefs is not mounted and mounting it on " + target + " failed: " + errno_str(err) +
                   (err == EPERM ? " (needs CAP_SYS_ADMIN)" : "");
        return r;
    }
    if (!has_events(target)) {
        r.reason = "mounted tracefs on " + target + " but it has no events/ directory";
        return r;
    }
    r.path = target;
    r.mounted = true;
    r.reason = "tracefs was not mounted; mounted it on " + target;
    return r;
}

int tracepoint_id(const std::string &tracefs, const std::string &category, const std::string &name) {
    std::ifstream f(tracefs + "/events/" + category + "/" + name + "/id");
    if (!f) return -ENOENT;
    int id = -1;
    f >> id;
    return f && id >= 0 ? id : -EINVAL;
}

} // namespace beyla
