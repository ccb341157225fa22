// Builds the kernel event source, keeping the tracer independent of BpfSource's options.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/log.h"
#include "source/event_source.h"

namespace beyla {

struct SourceConfig {
    int transport = 0; // beyla_transport
    uint32_t payload_prefix = 0;
    uint32_t ring_size = 0;
    std::string proc_root = "/proc";
    std::string sys_root = "/sys";
    const Logger *logger = nullptr;
    bool tls = false;     // TLS library uprobes
    std::string btf_path; // CO-RE against this BTF file; "" for the kernel's
    std::vector<std::string> exe_globs; // matched in the kernel at exec where they compile
};

std::unique_ptr<EventSource> make_bpf_source(const SourceConfig &cfg);
// True when the source can hand out events of one connection out of time order.
bool source_needs_sort(const EventSource &src);

} // namespace beyla
