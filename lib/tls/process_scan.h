// Which TLS libraries a process uses, as the tracer would find and probe them (capture_tls),
// without attaching anything: for the capability report's per-process listing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tls/tls_library.h"

namespace beyla::tls {

struct ProcessTarget {
    Kind kind;
    std::string path;   // as the process names it
    bool probeable = false;
    std::string detail; // the functions found, or why it cannot be probed
};

// Reads <proc_root>/<pid>/maps and /exe. Throws beyla::Error (ESRCH) when the process is
// not there; a file that cannot be read becomes a target that is not probeable.
std::vector<ProcessTarget> scan_process(const std::string &proc_root, uint32_t pid);

} // namespace beyla::tls
