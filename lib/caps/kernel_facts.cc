// Facts about the running kernel: release, version, architecture, distribution, whether it is a
// RHEL-style backport, the page size and the ring size that follows, and where tracefs is.
#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "caps/capabilities.h"
#include "caps/parsers.h"
#include "caps/probe_common.h"
#include "caps/ring_size.h"
#include "common/error.h"
#include "common/tracefs.h"

namespace beyla {

using namespace caps;

void Capabilities::probe_kernel() {
    const std::string &proc = opts_.proc_root;
    UnameInfo un = ops_.uname();

    int err = 0;
    std::string rel_path = proc + "/sys/kernel/osrelease";
    auto rel = read_line_file(rel_path, &err);
    std::string src;
    if (rel && !rel->empty()) {
        release_ = *rel;
        src = "read from " + rel_path;
    } else if (!un.err && !un.release.empty()) {
        release_ = un.release;
        src = fmt::format("from uname(2) ({}: {})", rel_path, errno_str(err ? err : ENODATA));
    }
    if (release_.empty()) {
        add("kernel.release", "kernel", Tri::unknown, "unknown",
            fmt::format("neither {} ({}) nor uname(2) ({}) gave the release", rel_path, errno_str(err),
                        errno_str(un.err)));
    } else {
        add("kernel.release", "kernel", Tri::yes, release_, src);
    }

    KernelVersion v = parse_kernel_release(release_);
    if (v.ok) {
        kver_code_ = kernel_version_code(v);
        summary_.kernel_major = v.major, summary_.kernel_minor = v.minor, summary_.kernel_patch = v.patch;
        add("kernel.version", "kernel", Tri::yes, fmt::format("{}.{}.{}", v.major, v.minor, v.patch),
            "parsed from the release \"" + release_ + "\"");
    } else {
        add("kernel.version", "kernel", Tri::unknown, "unknown",
            "could not parse a version from the release \"" + release_ + "\"");
    }

    std::string arch_path = proc + "/sys/kernel/arch";
    if (auto arch = read_line_file(arch_path); arch && !arch->empty()) {
        add("kernel.arch", "kernel", Tri::yes, *arch, "read from " + arch_path);
    } else if (!un.err && !un.machine.empty()) {
        add("kernel.arch", "kernel", Tri::yes, un.machine, "from uname(2)");
    } else {
        add("kernel.arch", "kernel", Tri::unknown, "unknown",
            "neither " + arch_path + " nor uname(2) gave it");
    }

    std::vector<std::string> os_paths{opts_.etc_root + "/os-release"};
    if (opts_.etc_root == "/etc") os_paths.push_back("/usr/lib/os-release");
    OsRelease os;
    std::vector<std::string> tried;
    std::string os_src;
    for (const auto &p : os_paths) {
        int e = 0;
        auto text = read_text_file(p, &e);
        if (!text) {
            tried.push_back(fmt::format("{} ({})", p, errno_str(e)));
            continue;
        }
        os = parse_os_release(*text);
        os_src = p;
        break;
    }
    if (os.found) {
        std::string value = !os.pretty_name.empty() ? os.pretty_name : os.id;
        add("kernel.distro", "kernel", Tri::yes, value,
            fmt::format("ID={} VERSION_ID={} ID_LIKE=\"{}\" PRETTY_NAME=\"{}\" from {}", os.id, os.version_id,
                        os.id_like, os.pretty_name, os_src));
    } else {
        add("kernel.distro", "kernel", Tri::unknown, "unknown",
            os_src.empty() ? "no os-release: tried " + join(tried, ", ") : os_src + " names no distribution");
    }

    std::string why;
    rhel_ = is_rhel_backport(v, release_, os, &why);
    if (rhel_) {
        add("kernel.rhel_backport", "kernel", Tri::yes, "yes",
            why + ": Red Hat backports BPF features into its 4.18 kernels, so every feature here is probed, "
                  "not assumed from the version");
    } else if (v.ok) {
        add("kernel.rhel_backport", "kernel", Tri::no, "no",
            why + "; features are probed anyway, the version is only a hint");
    } else {
        add("kernel.rhel_backport", "kernel", Tri::unknown, "unknown", "the kernel version is unknown");
    }

    // Page size. <sys>/kernel/mm/page_size does not exist in real sysfs: it is a hook that
    // lets a test tree play a 16K or 64K-page machine.
    std::string hook = opts_.sys_root + "/kernel/mm/page_size";
    std::string page_src;
    if (auto s = read_line_file(hook); s && !s->empty()) {
        char *end = nullptr;
        long ps = strtol(s->c_str(), &end, 0);
        if (end && !*end && ps > 0) {
            page_size_ = ps;
            page_src = "read from " + hook + " (a test hook; real sysfs has no such file)";
        }
    }
    if (!page_size_) {
        page_size_ = ops_.page_size();
        page_src = "sysconf(_SC_PAGESIZE)";
    }
    if (page_size_ > 0) {
        summary_.page_size = static_cast<uint32_t>(page_size_);
        add("kernel.page_size", "kernel", Tri::yes, std::to_string(page_size_),
            fmt::format("{}: {}; ring and perf buffer sizes must be power-of-two multiples of it", page_src,
                        human_bytes(static_cast<uint64_t>(page_size_))));
        uint64_t ring = ring_size_for_page(kDefaultRingSize, static_cast<uint64_t>(page_size_));
        if (ring) {
            add("kernel.ring_size", "kernel", Tri::yes, std::to_string(ring),
                fmt::format("the default {} ring rounded to a power-of-two multiple of the {}-byte page: {} "
                            "({} pages)",
                            human_bytes(kDefaultRingSize), page_size_, human_bytes(ring),
                            ring / static_cast<uint64_t>(page_size_)));
        } else {
            add("kernel.ring_size", "kernel", Tri::no, "0",
                fmt::format("page size {} is not a power of two: no ring size fits", page_size_),
                "ring and perf buffers cannot be sized for this page size");
        }
    } else {
        page_size_ = 0;
        add("kernel.page_size", "kernel", Tri::unknown, "unknown", page_src + " failed");
        add("kernel.ring_size", "kernel", Tri::unknown, "unknown", "the page size is unknown");
    }
}

void Capabilities::probe_tracefs() {
    TracefsResult r = find_tracefs(opts_.sys_root, opts_.proc_root, false);
    std::string reason = r.reason;
    std::string why = "tracefs not mounted";
    if (r.path.empty()) {
        std::string target = opts_.sys_root + "/kernel/tracing";
        int err = 0;
        bool denied = !exists(target + "/events", &err) && err == EACCES;
        if (denied) {
            reason = fmt::format("tracefs at {} is not accessible: {} (its directory is closed to this user)",
                                 target, errno_text(err));
            why = "tracefs not accessible to this user";
        } else if (opts_.files_only || opts_.no_mount_tracefs) {
            reason = fmt::format("tracefs is not mounted and mounting it was not allowed ({})",
                                 opts_.files_only ? "files_only" : "no_mount_tracefs");
            why = "tracefs not mounted, mounting not allowed";
        } else {
            Attempt m = ops_.mount("tracefs", target);
            if (m.ok()) {
                r = find_tracefs(opts_.sys_root, opts_.proc_root, false);
                reason = r.path.empty() ? "mounted tracefs on " + target + " but it has no events/ directory"
                                        : "tracefs was not mounted; mounted it on " + target;
                if (!r.path.empty()) log_.info("mounted tracefs on {}", target);
            } else {
                reason = fmt::format("tracefs is not mounted, and mounting it on {} failed: {}{}", target,
                                     errno_text(m.err), need_hint(m.err, Need::mount));
                why = "tracefs not mounted, mount failed with " + errno_name(m.err);
            }
        }
    }
    tracefs_ = r.path;
    tracefs_reason_ = reason;
    if (!tracefs_.empty()) {
        add("kernel.tracefs", "kernel", Tri::yes, tracefs_, reason);
    } else {
        add("kernel.tracefs", "kernel", Tri::no, "none", reason,
            "no tracefs: syscall tracepoint ids cannot be looked up, so syscall tracepoints cannot be "
            "attached")
            .why = why;
    }
}

} // namespace beyla
