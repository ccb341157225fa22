// What the BPF subsystem offers the tracer: a BTF for CO-RE, the ring and perf buffer maps, and
// the helpers bpf_loop and bpf_probe_write_user, each found by a real parse, map or load.
#include <cerrno>
#include <cstdint>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "caps/capabilities.h"
#include "caps/probe_common.h"
#include "common/error.h"

namespace beyla {

using namespace caps;

namespace {

bool mentions_missing_helper(const std::string &verifier) {
    return verifier.find("unknown func") != std::string::npos ||
           verifier.find("invalid func") != std::string::npos ||
           verifier.find("cannot use helper") != std::string::npos;
}

} // namespace

void Capabilities::probe_btf() {
    if (!opts_.btf_path.empty()) {
        probe_given_btf();
        return;
    }
    std::vector<std::string> candidates{opts_.sys_root + "/kernel/btf/vmlinux"};
    if (!release_.empty()) {
        const std::string &r = release_;
        candidates.push_back(opts_.boot_root + "/vmlinux-" + r);
        candidates.push_back("/lib/modules/" + r + "/vmlinux-" + r);
        candidates.push_back("/lib/modules/" + r + "/build/vmlinux");
        candidates.push_back("/usr/lib/modules/" + r + "/kernel/vmlinux");
        candidates.push_back("/usr/lib/debug/boot/vmlinux-" + r);
        candidates.push_back("/usr/lib/debug/lib/modules/" + r + "/vmlinux");
    }

    std::vector<std::string> tried;
    for (const auto &path : candidates) {
        int err = 0;
        if (access(path.c_str(), R_OK) != 0) {
            err = errno;
            // Absent fallbacks are the normal case; list them briefly.
            tried.push_back(err == ENOENT ? path + " (absent)"
                                          : fmt::format("{} ({})", path, errno_str(err)));
            continue;
        }
        std::string before = tried.empty() ? "" : "; tried first: " + join(tried, ", ");
        if (opts_.files_only) {
            btf_file_ = path;
            add("bpf.btf", "bpf", Tri::yes, path, "found " + path + " (not parsed: files_only)" + before);
            return;
        }
        Attempt a = ops_.btf_parse(path);
        if (a.ok()) {
            btf_file_ = path;
            add("bpf.btf", "bpf", Tri::yes, path,
                fmt::format("{} parses with libbpf{}{}", path, a.detail.empty() ? "" : " (" + a.detail + ")",
                            before));
            return;
        }
        tried.push_back(fmt::format("{} (does not parse: {})", path, errno_text(a.err)));
    }
    std::string cfg = config_note("CONFIG_DEBUG_INFO_BTF");
    std::string why = config_off(cfg) ? cfg : "no BTF found";
    std::string reason = "no usable BTF: tried " + join(tried, ", ");
    if (!cfg.empty()) reason += "; " + cfg;
    add("bpf.btf", "bpf", Tri::no, "none", reason,
        "no BTF: the socket tracer cannot resolve sockets with CO-RE; capture is disabled")
        .why = why;
}

// A given file replaces the kernel's BTF for CO-RE (libbpf's btf_custom_path, as the tracer's
// btf_path does): it alone decides, since a tracer given a file that does not parse fails to start
// rather than fall back to the kernel's.
void Capabilities::probe_given_btf() {
    const std::string &path = opts_.btf_path;
    const char *lost = "the given BTF file cannot be used: a tracer given it as btf_path fails to start";
    std::string kernel = opts_.sys_root + "/kernel/btf/vmlinux";
    std::string instead = exists(kernel) ? "CO-RE uses it instead of the kernel's own " + kernel
                                         : "the kernel has no " + kernel + " of its own";
    std::string problem; // why the file cannot be used at all
    struct stat st;
    if (stat(path.c_str(), &st) != 0)
        problem = errno_text(errno);
    else if (!S_ISREG(st.st_mode))
        problem = "it is not a regular file";
    else if (st.st_size == 0)
        problem = "it is empty";
    else if (access(path.c_str(), R_OK) != 0)
        problem = errno_text(errno);
    if (!problem.empty()) {
        add("bpf.btf", "bpf", Tri::no, "none",
            fmt::format("the BTF file given for CO-RE, {}, cannot be used: {}", path, problem), lost)
            .why = "given BTF file " + path + " unusable";
        return;
    }
    if (opts_.files_only) {
        btf_file_ = path;
        add("bpf.btf", "bpf", Tri::yes, path,
            fmt::format("found {}, given for CO-RE (not parsed: files_only); {}", path, instead));
        return;
    }
    Attempt a = ops_.btf_parse(path);
    if (!a.ok()) {
        add("bpf.btf", "bpf", Tri::no, "none",
            fmt::format("the BTF file given for CO-RE, {}, does not parse: {}", path, errno_text(a.err)),
            lost)
            .why = "given BTF file " + path + " does not parse";
        return;
    }
    btf_file_ = path;
    add("bpf.btf", "bpf", Tri::yes, path,
        fmt::format("{}, given for CO-RE, parses with libbpf{}; {}", path,
                    a.detail.empty() ? "" : " (" + a.detail + ")", instead));
}

void Capabilities::probe_maps() {
    uint32_t page = page_size_ > 0 ? static_cast<uint32_t>(page_size_) : 4096;
    if (opts_.files_only) {
        std::string hint =
            kver_code_ ? (kver_code_ >= (5u << 16 | 8u << 8) ? "; the kernel version (5.8+) suggests yes"
                          : rhel_ ? "; the version says no but RHEL may have backported it"
                                  : "; the kernel version (before 5.8) suggests no")
                       : "";
        add("bpf.ringbuf", "bpf", Tri::unknown, "unknown", "not tried (files_only)" + hint);
        add("bpf.perfbuf", "bpf", Tri::unknown, "unknown", "not tried (files_only)");
        return;
    }
    Attempt a = ops_.map_create(BPF_MAP_TYPE_RINGBUF, 0, 0, page);
    std::string what = fmt::format("a BPF_MAP_TYPE_RINGBUF map of one page ({} bytes)", page);
    if (a.ok()) {
        add("bpf.ringbuf", "bpf", Tri::yes, "yes",
            "created " + what + " with bpf(BPF_MAP_CREATE) and closed it");
    } else {
        a.step = "bpf(BPF_MAP_CREATE) of " + what;
        std::string reason = failure_text(a, Need::bpf);
        if (a.err == EINVAL)
            reason += rhel_
                          ? "; the kernel does not know this map type (this RHEL kernel did not backport it)"
                          : "; the kernel does not know this map type (ring buffers arrived in 5.8)";
        add("bpf.ringbuf", "bpf", Tri::no, "no", reason,
            "no ring buffer: events go through per-CPU perf buffers (more memory; order across CPUs is "
            "restored in user space)")
            .why = "BPF_MAP_TYPE_RINGBUF refused with " + errno_name(a.err);
    }

    Attempt p = ops_.map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 1);
    if (p.ok()) {
        add("bpf.perfbuf", "bpf", Tri::yes, "yes",
            "created a BPF_MAP_TYPE_PERF_EVENT_ARRAY map and closed it");
    } else {
        p.step = "bpf(BPF_MAP_CREATE) of a BPF_MAP_TYPE_PERF_EVENT_ARRAY map";
        add("bpf.perfbuf", "bpf", Tri::no, "no", failure_text(p, Need::bpf)).why =
            "BPF_MAP_TYPE_PERF_EVENT_ARRAY refused with " + errno_name(p.err);
    }
}

void Capabilities::probe_helpers() {
    // bpf_loop: load a program that calls it; a verifier that does not know the helper says
    // so before it looks at the (deliberately unset) arguments.
    if (opts_.files_only) {
        add("helper.bpf_loop", "helper", Tri::unknown, "unknown", "not tried (files_only)");
    } else {
        ProgSpec spec;
        spec.type = BPF_PROG_TYPE_KPROBE;
        spec.kern_version = kver_code_;
        spec.insns = {insn::call(BPF_FUNC_loop), insn::mov64_imm(0, 0), insn::exit()};
        Attempt a = ops_.prog_load(spec);
        std::string verifier = a.detail.empty() ? "" : " (verifier: \"" + a.detail + "\")";
        bool past_helper_check =
            (a.err == EINVAL || a.err == EACCES) && !a.detail.empty() && !mentions_missing_helper(a.detail);
        if (a.ok() || past_helper_check) {
            add("helper.bpf_loop", "helper", Tri::yes, "yes",
                "the verifier knows bpf_loop (helper 181): a kprobe program calling it got past the helper "
                "check" +
                    verifier);
        } else if (mentions_missing_helper(a.detail)) {
            add("helper.bpf_loop", "helper", Tri::no, "no",
                "the verifier does not offer bpf_loop (helper 181) to kprobe programs" + verifier +
                    "; it arrived in 5.17",
                "no bpf_loop: readv/writev/recvmsg/sendmsg payloads come from their first 16 iovecs "
                "only, and executable globs are matched in user space after the exec (a process that "
                "exits within milliseconds can be missed)")
                .why = "helper unknown to the verifier";
        } else {
            a.step = "bpf(BPF_PROG_LOAD) of a kprobe program calling bpf_loop";
            add("helper.bpf_loop", "helper", Tri::unknown, "unknown", failure_text(a, Need::tracing));
        }
    }

    // bpf_probe_write_user: needs CAP_SYS_ADMIN, and lockdown (integrity and up) removes it.
    const CapItem *ld = get("security.lockdown");
    std::string lockdown = ld && ld->state == Tri::yes ? ld->value : "";
    bool locked = lockdown == "integrity" || lockdown == "confidentiality";
    const char *lost = "writing into traced processes' memory (some context propagation) is unavailable; "
                       "libbeyla does not use it";
    if (opts_.files_only) {
        if (locked) {
            add("helper.probe_write_user", "helper", Tri::no, "no",
                "lockdown=" + lockdown +
                    " forbids bpf_probe_write_user (LOCKDOWN_BPF_WRITE_USER); not tried "
                    "(files_only)",
                lost)
                .why = "lockdown=" + lockdown;
        } else {
            add("helper.probe_write_user", "helper", Tri::unknown, "unknown", "not tried (files_only)");
        }
        return;
    }
    ProgSpec spec;
    spec.type = BPF_PROG_TYPE_KPROBE;
    spec.kern_version = kver_code_;
    // *(u64 *)(fp - 8) = 0; bpf_probe_write_user(NULL, fp - 8, 8): valid arguments, so only the
    // helper's availability decides.
    spec.insns = {insn::st_dw(BPF_REG_10, -8, 0),         insn::mov64_imm(BPF_REG_1, 0),
                  insn::mov64_reg(BPF_REG_2, BPF_REG_10), insn::add64_imm(BPF_REG_2, -8),
                  insn::mov64_imm(BPF_REG_3, 8),          insn::call(BPF_FUNC_probe_write_user),
                  insn::mov64_imm(BPF_REG_0, 0),          insn::exit()};
    Attempt a = ops_.prog_load(spec);
    if (a.ok()) {
        add("helper.probe_write_user", "helper", Tri::yes, "yes",
            "loaded a kprobe program calling bpf_probe_write_user (helper 36)" +
                (lockdown.empty() ? "" : "; lockdown=" + lockdown));
        return;
    }
    std::string verifier = a.detail.empty() ? "" : "the verifier said \"" + a.detail + "\"";
    std::string because, why;
    if (mentions_missing_helper(a.detail) || a.err == EINVAL) {
        if (locked) {
            because = "lockdown=" + lockdown + " removes it (LOCKDOWN_BPF_WRITE_USER)";
            why = "lockdown=" + lockdown;
        } else if (cap_eff_ && !has_cap(kCapSysAdmin)) {
            because = "it needs CAP_SYS_ADMIN, which this process lacks";
            why = "CAP_SYS_ADMIN missing";
        } else if (lockdown.empty()) {
            because = "the lockdown level is unknown; lockdown or a missing CAP_SYS_ADMIN would explain it";
            why = "helper refused";
        } else {
            because = "neither lockdown nor capabilities explain it";
            why = "helper refused";
        }
        add("helper.probe_write_user", "helper", Tri::no, "no",
            fmt::format("loading a kprobe program calling bpf_probe_write_user (helper 36) failed: {}{}; {}",
                        errno_text(a.err), verifier.empty() ? "" : " (" + verifier + ")", because),
            lost)
            .why = why;
        return;
    }
    a.step = "bpf(BPF_PROG_LOAD) of a kprobe program calling bpf_probe_write_user";
    add("helper.probe_write_user", "helper", Tri::no, "no", failure_text(a, Need::tracing), lost).why =
        a.step + " failed with " + errno_name(a.err);
}

} // namespace beyla
