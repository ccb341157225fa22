// The BPF source's TLS library probes: which files to probe (the system's libraries,
// what traced processes map, also later, and executables with TLS linked in), and the
// uprobes on each.
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>

#include <bpf/libbpf.h>

#include "common/error.h"
#include "socket_trace.skel.h"
#include "source/bpf_source.h"
#include "tls/elf_symbols.h"

namespace beyla {

namespace {

// Processes listed per library in the report; more are probed, not listed.
constexpr size_t kMaxReportedPids = 4096;
// Processes waiting for a second look at their mappings.
constexpr size_t kMaxRescans = 4096;
// The second look: the mapping announced by sys_enter_mmap is in place by then.
constexpr auto kRescanDelay = std::chrono::milliseconds(200);

std::string read_link(const std::string &path) {
    char buf[4096];
    ssize_t n = readlink(path.c_str(), buf, sizeof(buf) - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : path;
}

} // namespace

void BpfSource::attach_system_tls_libraries() {
    // The system's libraries cover processes that load them later (exec, fork, port
    // pick-ups) without a rescan; processes selected so far may map other copies.
    for (const char *dir : {"/usr/lib/*-linux-gnu/", "/lib/*-linux-gnu/", "/usr/lib64/", "/usr/lib/"}) {
        for (const char *lib : {"libssl.so.*", "libgnutls.so.*"}) {
            std::string pattern = std::string(dir) + lib;
            glob_t g{};
            if (glob(pattern.c_str(), 0, nullptr, &g) == 0)
                for (size_t i = 0; i < g.gl_pathc; i++)
                    if (auto kind = tls::kind_of_library(g.gl_pathv[i]))
                        attach_tls_file(g.gl_pathv[i], g.gl_pathv[i], *kind, 0);
            globfree(&g);
        }
    }
}

int BpfSource::attach_tls_file(const std::string &file, const std::string &shown, tls::Kind kind,
                               uint32_t tgid) {
    struct stat st {};
    if (stat(file.c_str(), &st) != 0) return -1;
    std::pair<uint64_t, uint64_t> key{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
    std::lock_guard lk(tls_mu_);
    int idx;
    if (auto it = tls_files_.find(key); it != tls_files_.end()) {
        idx = it->second;
    } else {
        idx = -1;
        auto funcs = tls::functions_of(kind);
        std::set<std::string> names;
        for (const auto &f : funcs) names.insert(f.symbol);
        tls::ElfFunctions ef = tls::find_functions(file, names);
        bool complete = true;
        for (const auto &f : funcs)
            if (f.required && !ef.offsets.count(f.symbol)) complete = false;
        int probed = 0;
        if (!complete) {
            // An executable is looked at for every process: most have no TLS linked in.
            if (kind == tls::Kind::OpensslStatic && !ef.has_symbols)
                log().info("TLS: {} has no symbol table: a TLS library linked into it cannot be probed",
                           shown);
            else if (kind == tls::Kind::OpensslStatic)
                log().debug("TLS: no OpenSSL in executable {}", shown);
            else
                log().warn("TLS: {} is not probed: {}", shown,
                           ef.error.empty() ? "its read/write functions are missing" : ef.error);
        } else {
            for (const auto &f : funcs) {
                auto off = ef.offsets.find(f.symbol);
                if (off == ef.offsets.end()) continue;
                bpf_program *entry = bpf_object__find_program_by_name(skel_->obj, f.entry_prog);
                bpf_program *ret = bpf_object__find_program_by_name(skel_->obj, f.return_prog);
                if (!entry || !ret) break;
                LIBBPF_OPTS(bpf_uprobe_opts, eo, .retprobe = false);
                bpf_link *in = bpf_program__attach_uprobe_opts(entry, -1, file.c_str(), off->second, &eo);
                if (!in) {
                    int err = errno;
                    log().warn("TLS: probing {} in {} failed: {}", f.symbol, shown, errno_str(err));
                    continue;
                }
                LIBBPF_OPTS(bpf_uprobe_opts, ro, .retprobe = true);
                bpf_link *out = bpf_program__attach_uprobe_opts(ret, -1, file.c_str(), off->second, &ro);
                if (!out) {
                    int err = errno;
                    bpf_link__destroy(in);
                    log().warn("TLS: probing the return of {} in {} failed: {}", f.symbol, shown,
                               errno_str(err));
                    continue;
                }
                tls_links_.push_back(in);
                tls_links_.push_back(out);
                probed++;
            }
        }
        if (probed) {
            idx = static_cast<int>(tls_reports_.size());
            tls_reports_.push_back({kind, shown, probed, {}});
            log().info("TLS: {} {} probed ({} functions)", tls::kind_name(kind), shown, probed);
        }
        tls_files_.emplace(key, idx);
    }
    if (idx >= 0 && tgid) {
        auto &pids = tls_reports_[static_cast<size_t>(idx)].pids;
        auto at = std::lower_bound(pids.begin(), pids.end(), tgid);
        if ((at == pids.end() || *at != tgid) && pids.size() < kMaxReportedPids) {
            pids.insert(at, tgid);
            log().info("TLS: process {} uses {} {}", tgid,
                       tls::kind_name(tls_reports_[static_cast<size_t>(idx)].kind),
                       tls_reports_[static_cast<size_t>(idx)].path);
        }
    }
    return idx;
}

void BpfSource::scan_tls_executable(uint32_t tgid) {
    // /proc/PID/exe opens the executable itself, whatever mount namespace it is in.
    std::string exe = fmt::format("{}/{}/exe", opts_.proc_root, tgid);
    attach_go_executable(tgid);
    attach_tls_file(exe, read_link(exe), tls::Kind::OpensslStatic, tgid);
}

void BpfSource::scan_tls_libraries(uint32_t tgid) {
    scan_tls_executable(tgid);
    std::string base = fmt::format("{}/{}", opts_.proc_root, tgid);
    std::ifstream maps(base + "/maps");
    // Through the process's root: its own mount namespace (containers) may differ.
    for (const auto &lib : tls::tls_libraries_in_maps(maps))
        attach_tls_file(base + "/root" + lib.path, lib.path, lib.kind, tgid);
}

bool BpfSource::tls_watch(const void *data, size_t size) {
    beyla_event_header h;
    if (size < sizeof(h)) return false;
    memcpy(&h, data, sizeof(h));
    if (h.type != BEYLA_EV_LIB_MAP && h.type != BEYLA_EV_PROC_EXEC) return false;
    std::lock_guard lk(tls_mu_);
    auto it = tls_rescans_.find(h.tgid);
    if (it != tls_rescans_.end())
        it->second.more = it->second.more || it->second.done > 0; // at most one look per delay
    else if (tls_rescans_.size() < kMaxRescans)
        tls_rescans_.emplace(h.tgid, TlsRescan{});
    else
        log().debug("TLS: too many processes waiting for a library rescan: {} skipped", h.tgid);
    // Library mappings are the source's own business; an exec goes on to the tracer.
    return h.type == BEYLA_EV_LIB_MAP;
}

void BpfSource::run_tls_rescans() {
    auto now = std::chrono::steady_clock::now();
    std::vector<uint32_t> due;
    {
        std::lock_guard lk(tls_mu_);
        for (auto it = tls_rescans_.begin(); it != tls_rescans_.end();) {
            TlsRescan &r = it->second;
            if (r.done == 0 || now - r.at >= kRescanDelay) {
                due.push_back(it->first);
                r.done++;
                r.at = now;
            }
            if (r.done >= 2 && r.more) {
                r.done = 1;
                r.more = false;
            }
            if (r.done >= 2)
                it = tls_rescans_.erase(it);
            else
                ++it;
        }
    }
    for (uint32_t tgid : due)
        if (is_traced(tgid)) scan_tls_libraries(tgid);
}

std::vector<tls::LibraryReport> BpfSource::tls_libraries() const {
    std::lock_guard lk(tls_mu_);
    return tls_reports_;
}

} // namespace beyla
