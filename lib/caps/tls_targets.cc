// The TLS libraries (and Go crypto/tls) of the processes named in tls_pids, as the tracer would
// find and probe them.
#include <exception>
#include <vector>

#include <fmt/format.h>

#include "caps/capabilities.h"
#include "tls/process_scan.h"

namespace beyla {

void Capabilities::probe_tls_processes() {
    for (uint32_t pid : opts_.tls_pids) {
        std::vector<tls::ProcessTarget> targets;
        try {
            targets = tls::scan_process(opts_.proc_root, pid);
        } catch (const std::exception &e) {
            add(fmt::format("tls.{}", pid), "tls", Tri::unknown, "unknown", e.what());
            continue;
        }
        if (targets.empty())
            add(fmt::format("tls.{}", pid), "tls", Tri::no, "none",
                "no TLS library, OpenSSL linked in, or Go crypto/tls found: its HTTPS (if any) is not "
                "decoded");
        int i = 0;
        for (const auto &t : targets) {
            auto &it = add(fmt::format("tls.{}.{}", pid, i++), "tls", t.probeable ? Tri::yes : Tri::no,
                           fmt::format("{} {}", tls::kind_name(t.kind), t.path), t.detail);
            if (!t.probeable) {
                it.degraded = "its HTTPS is not decoded";
                it.why = fmt::format("process {}: {} {} cannot be probed ({}): its HTTPS is not decoded", pid,
                                     tls::kind_name(t.kind), t.path, t.detail);
            }
        }
    }
}

} // namespace beyla
