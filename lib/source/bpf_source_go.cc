// Go crypto/tls: uprobes on crypto/tls.(*Conn).Read and Write of the Go executables that
// traced processes run (bpf/go_tls.bpf.h). Go links its TLS statically, so each
// executable file is probed on its own, once per (dev, inode): uprobes are per file and
// cover every process running it; traced_pids filters in the kernel.
#include <algorithm>
#include <cstring>

#include <climits>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/error.h"
#include "socket_trace.skel.h"
#include "source/bpf_source.h"
#include "tls/go_binary.h"

namespace beyla {

namespace {

constexpr const char *kGoReadEntry = "go_tls_read_enter";
constexpr const char *kGoWriteEntry = "go_tls_write_enter";
constexpr const char *kGoReturn = "go_tls_ret";
constexpr const char *kH2Decoded = "go_h2_decoded";
constexpr const char *kH2EncodeEnter = "go_h2_encode_enter";
constexpr const char *kH2WriteField = "go_h2_write_field";
constexpr const char *kH2EncodeRet = "go_h2_encode_ret";

} // namespace

void BpfSource::go_tls_prepare() {
    if (!opts_.tls) return;
    bpf_program *progs[] = {bpf_object__find_program_by_name(skel_->obj, kGoReadEntry),
                            bpf_object__find_program_by_name(skel_->obj, kGoWriteEntry),
                            bpf_object__find_program_by_name(skel_->obj, kGoReturn),
                            bpf_object__find_program_by_name(skel_->obj, kH2Decoded),
                            bpf_object__find_program_by_name(skel_->obj, kH2EncodeEnter),
                            bpf_object__find_program_by_name(skel_->obj, kH2WriteField),
                            bpf_object__find_program_by_name(skel_->obj, kH2EncodeRet)};
    if (std::find(std::begin(progs), std::end(progs), nullptr) != std::end(progs)) {
        go_tls_unavailable_ = "the Go crypto/tls probes exist for x86-64 only";
        return;
    }
    // The entry programs take the itab's distance from their cookie (5.15+): a kernel
    // without the helper would refuse the whole object, OpenSSL's probes with it.
    int r = libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_attach_cookie, nullptr);
    if (r > 0) return;
    go_tls_unavailable_ = r == 0 ? "this kernel has no bpf_get_attach_cookie (5.15+)"
                                 : "probing for bpf_get_attach_cookie failed: " + errno_str(-r);
    for (bpf_program *p : progs) bpf_program__set_autoload(p, false);
    log().info("TLS: Go crypto/tls is not probed: {}", go_tls_unavailable_);
}

void BpfSource::attach_go_executable(uint32_t tgid) {
    if (!opts_.tls || !skel_ || !go_tls_unavailable_.empty()) return;
    // Through /proc: the process's own mount namespace may name the file differently, and
    // the uprobe resolves the link to the file itself.
    std::string exe = fmt::format("{}/{}/exe", opts_.proc_root, tgid);
    struct stat st {};
    if (stat(exe.c_str(), &st) != 0) return; // exited, or a kernel thread
    char target[PATH_MAX];
    ssize_t n = readlink(exe.c_str(), target, sizeof(target) - 1);
    std::string shown = n > 0 ? std::string(target, static_cast<size_t>(n)) : exe;
    const std::pair<uint64_t, uint64_t> key{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
    {
        std::lock_guard lk(tls_mu_);
        auto [it, fresh] = go_files_.emplace(key, -1);
        if (!fresh) {
            // Probed already (one attachment per file): only the report learns the process.
            if (it->second >= 0) {
                auto &pids = tls_reports_[static_cast<size_t>(it->second)].pids;
                auto at = std::lower_bound(pids.begin(), pids.end(), tgid);
                if ((at == pids.end() || *at != tgid) && pids.size() < 4096) pids.insert(at, tgid);
            }
            return;
        }
    }
    tls::GoBinary bin = tls::inspect_go_binary(exe, shown);
    if (bin.status == tls::GoStatus::NotGo) {
        log().debug("TLS: {} (process {})", bin.reason, tgid);
        return;
    }
    std::vector<bpf_link *> links;
    bool h2 = bin.http2.usable() && attach_go_http2(exe, shown, bin, &links);
    if (!bin.http2.reason.empty()) log().info("HTTP/2: {} (process {})", bin.http2.reason, tgid);
    if (bin.status == tls::GoStatus::NoTls) {
        log().info("TLS: {} (process {})", bin.reason, tgid);
        std::lock_guard lk(tls_mu_);
        tls_links_.insert(tls_links_.end(), links.begin(), links.end());
        if (h2) go_h2_paths_.push_back(shown);
        return;
    }
    if (bin.status != tls::GoStatus::Ok) {
        // A Go program whose HTTPS will not be seen although TLS capture was asked for.
        log().warn("TLS: {} (process {})", bin.reason, tgid);
        return;
    }

    bpf_program *ret_prog = bpf_object__find_program_by_name(skel_->obj, kGoReturn);
    const size_t h2_links = links.size();
    int err = 0;
    std::string where;
    auto attach_at = [&](bpf_program *prog, uint64_t offset, uint64_t cookie, const char *what) {
        if (err) return;
        LIBBPF_OPTS(bpf_uprobe_opts, o, .bpf_cookie = cookie, .retprobe = false);
        bpf_link *l = bpf_program__attach_uprobe_opts(prog, -1, exe.c_str(), offset, &o);
        if (!l) {
            err = errno;
            where = fmt::format("{} at file offset {:#x}", what, offset);
            return;
        }
        links.push_back(l);
    };
    size_t returns = 0;
    for (auto [fn, prog, name] : {std::tuple{&bin.read, kGoReadEntry, "crypto/tls.(*Conn).Read"},
                                  std::tuple{&bin.write, kGoWriteEntry, "crypto/tls.(*Conn).Write"}}) {
        // Unsigned wrap-around on purpose: ip + cookie gives the itab back at run time.
        attach_at(bpf_object__find_program_by_name(skel_->obj, prog), fn->offset,
                  bin.tcp_conn_itab - fn->vaddr, name);
        for (uint64_t off : fn->ret_offsets) attach_at(ret_prog, off, 0, name);
        returns += fn->ret_offsets.size();
    }
    if (err) {
        for (size_t i = h2_links; i < links.size(); i++) bpf_link__destroy(links[i]);
        links.resize(h2_links);
        log().warn("TLS: probing Go {} failed: {}: {}", shown, where, errno_str(err));
        std::lock_guard lk(tls_mu_);
        tls_links_.insert(tls_links_.end(), links.begin(), links.end());
        if (h2) go_h2_paths_.push_back(shown);
        return;
    }
    {
        std::lock_guard lk(tls_mu_);
        if (h2) go_h2_paths_.push_back(shown);
        tls_links_.insert(tls_links_.end(), links.begin(), links.end());
        go_paths_.push_back(shown);
        go_files_[key] = static_cast<int>(tls_reports_.size());
        tls_reports_.push_back({tls::Kind::Go, shown, 2, {tgid}});
    }
    log().info("TLS: Go {} ({}) probed: crypto/tls.(*Conn).Read/Write, {} return points (process {})", shown,
               bin.version, returns, tgid);
}

void BpfSource::go_tls_on_event(const void *data, size_t size) {
    // A traced process that exec's keeps being traced by the kernel without user space
    // selecting it again: its new executable is looked at here.
    if (size < sizeof(beyla_event_header)) return;
    beyla_event_header h;
    memcpy(&h, data, sizeof(h));
    if (h.type != BEYLA_EV_PROC_EXEC) return;
    try {
        if (is_traced(h.tgid)) attach_go_executable(h.tgid);
    } catch (const std::exception &e) {
        // Never through libbpf's C frames; the event itself is still delivered.
        log().warn("TLS: looking at the executable of process {} failed: {}", h.tgid, e.what());
    }
}

bool BpfSource::attach_go_http2(const std::string &exe, const std::string &shown, const tls::GoBinary &bin,
                                std::vector<bpf_link *> *links) {
    bpf_program *decoded = bpf_object__find_program_by_name(skel_->obj, kH2Decoded);
    bpf_program *enter = bpf_object__find_program_by_name(skel_->obj, kH2EncodeEnter);
    bpf_program *field = bpf_object__find_program_by_name(skel_->obj, kH2WriteField);
    bpf_program *ret = bpf_object__find_program_by_name(skel_->obj, kH2EncodeRet);
    const size_t first = links->size();
    uint32_t slot;
    {
        std::lock_guard lk(tls_mu_);
        if (go_h2_slots_ + bin.http2.points.size() > BEYLA_GO_H2_PROBES) {
            log().warn("HTTP/2: {} not probed: the {} probe slots are used up", shown, BEYLA_GO_H2_PROBES);
            return false;
        }
        slot = go_h2_slots_;
        go_h2_slots_ += static_cast<uint32_t>(bin.http2.points.size());
    }
    int err = 0;
    std::string where;
    auto attach_at = [&](bpf_program *prog, uint64_t offset, uint64_t cookie, const std::string &what) {
        if (err) return;
        LIBBPF_OPTS(bpf_uprobe_opts, o, .bpf_cookie = cookie, .retprobe = false);
        bpf_link *l = bpf_program__attach_uprobe_opts(prog, -1, exe.c_str(), offset, &o);
        if (!l) {
            err = errno;
            where = fmt::format("{} at file offset {:#x}", what, offset);
            return;
        }
        links->push_back(l);
    };
    int map_fd = bpf_map__fd(skel_->maps.go_h2_probes);
    for (const auto &p : bin.http2.points) {
        // The slot first: a probe that fires before it is set finds kind 0 and does nothing.
        if (bpf_map_update_elem(map_fd, &slot, &p.conf, BPF_ANY) != 0) {
            err = errno;
            where = "the probe map";
            break;
        }
        const bool decodes = p.conf.kind == BEYLA_GO_H2_DECODED;
        attach_at(decodes ? decoded : enter, p.fn.offset, slot, p.symbol);
        for (uint64_t off : p.fn.ret_offsets) attach_at(ret, off, 0, p.symbol);
        slot++;
    }
    for (uint64_t off : bin.http2.write_fields) attach_at(field, off, 0, "hpack.(*Encoder).WriteField");
    if (err) {
        for (size_t i = first; i < links->size(); i++) bpf_link__destroy((*links)[i]);
        links->resize(first);
        log().warn("HTTP/2: probing Go {} failed: {}: {}", shown, where, errno_str(err));
        return false;
    }
    std::string names;
    for (const auto &p : bin.http2.points) names += (names.empty() ? "" : ", ") + p.symbol;
    log().info("HTTP/2: Go {} header fields probed: {}", shown, names);
    return true;
}

std::vector<std::string> BpfSource::go_http2_executables() const {
    std::lock_guard lk(tls_mu_);
    return go_h2_paths_;
}

std::vector<std::string> BpfSource::go_tls_executables() const {
    std::lock_guard lk(tls_mu_);
    return go_paths_;
}

} // namespace beyla
