// Reasons for failed attempts: the errno by name, and which privilege or kernel feature the
// failure points at.
#include <cerrno>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "caps/capabilities.h"
#include "caps/probe_common.h"

namespace beyla {

using namespace caps;

std::string errno_name(int err) {
    if (err < 0) err = -err;
    // 524 is the kernel-internal ENOTSUPP, which bpf() does return.
    static const std::pair<int, const char *> names[] = {
        {EPERM, "EPERM"},   {ENOENT, "ENOENT"},   {ESRCH, "ESRCH"},     {EIO, "EIO"},
        {E2BIG, "E2BIG"},   {EBADF, "EBADF"},     {EAGAIN, "EAGAIN"},   {ENOMEM, "ENOMEM"},
        {EACCES, "EACCES"}, {EFAULT, "EFAULT"},   {EBUSY, "EBUSY"},     {EEXIST, "EEXIST"},
        {ENODEV, "ENODEV"}, {ENOTDIR, "ENOTDIR"}, {EINVAL, "EINVAL"},   {ENOSPC, "ENOSPC"},
        {ERANGE, "ERANGE"}, {ENOSYS, "ENOSYS"},   {ENODATA, "ENODATA"}, {EOPNOTSUPP, "EOPNOTSUPP"},
        {524, "ENOTSUPP"},
    };
    for (const auto &[num, name] : names)
        if (num == err) return name;
    return fmt::format("errno {}", err);
}

std::string Capabilities::need_hint(int err, Need need) const {
    if (err == ENOSYS) return " (no bpf() syscall: kernel built without CONFIG_BPF_SYSCALL)";
    if (err != EPERM && err != EACCES) return "";
    if (need == Need::none) return "";
    if (need == Need::mount)
        return cap_eff_ && !has_cap(kCapSysAdmin) ? " (needs CAP_SYS_ADMIN, which this process lacks)"
                                                  : " (needs CAP_SYS_ADMIN)";
    bool admin = has_cap(kCapSysAdmin);
    bool bpf = has_cap(kCapBpf) || admin;
    bool perfmon = has_cap(kCapPerfmon) || admin;
    bool net = has_cap(kCapNetAdmin) || admin;
    std::vector<std::string> missing;
    const char *needs = "";
    switch (need) {
    case Need::bpf:
        needs = "needs CAP_BPF or CAP_SYS_ADMIN";
        if (!bpf) missing.push_back("CAP_BPF");
        break;
    case Need::tracing:
        needs = "needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN";
        if (!bpf) missing.push_back("CAP_BPF");
        if (!perfmon) missing.push_back("CAP_PERFMON");
        break;
    case Need::net_admin:
        needs = "needs CAP_BPF and CAP_NET_ADMIN, or CAP_SYS_ADMIN";
        if (!bpf) missing.push_back("CAP_BPF");
        if (!net) missing.push_back("CAP_NET_ADMIN");
        break;
    case Need::perf_event:
        needs = "needs CAP_PERFMON or CAP_SYS_ADMIN";
        if (!perfmon) missing.push_back("CAP_PERFMON");
        break;
    default:
        break;
    }
    if (!cap_eff_) return fmt::format(" ({})", needs);
    if (!missing.empty()) {
        std::string extra;
        if (!unpriv_bpf_.empty() && unpriv_bpf_ != "0") extra += "; unprivileged_bpf_disabled=" + unpriv_bpf_;
        if (!paranoid_.empty() && need != Need::bpf && need != Need::net_admin)
            extra += "; perf_event_paranoid=" + paranoid_;
        return fmt::format(" ({}; this process lacks {}{})", needs, join(missing, " and "), extra);
    }
    bool old = kver_code_ && kver_code_ < (5u << 16 | 11u << 8);
    return fmt::format(" (the capabilities it needs are held: a kernel policy such as an LSM refused it{})",
                       old ? ", or RLIMIT_MEMLOCK is too low" : "");
}

std::string Capabilities::failure_text(const Attempt &a, Need need) const {
    std::string out = fmt::format("{} failed: {}{}", a.step.empty() ? "the attempt" : a.step,
                                  errno_text(a.err), need_hint(a.err, need));
    if (!a.detail.empty())
        out += "; " + a.detail;
    else if (a.err == EPERM && a.step.find("BPF_PROG_LOAD") != std::string::npos)
        out += "; no verifier log: the kernel refused before verification";
    return out;
}

} // namespace beyla
