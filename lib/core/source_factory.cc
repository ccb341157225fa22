#include "core/source_factory.h"

#include "beyla/beyla.h"
#include "source/bpf_source.h"

namespace beyla {

std::unique_ptr<EventSource> make_bpf_source(const SourceConfig &cfg) {
    BpfSourceOptions o;
    o.transport = cfg.transport == BEYLA_TRANSPORT_RINGBUF   ? BpfTransport::RingBuf
                  : cfg.transport == BEYLA_TRANSPORT_PERFBUF ? BpfTransport::PerfBuf
                                                             : BpfTransport::Auto;
    if (cfg.ring_size) o.ring_size = cfg.ring_size;
    if (cfg.payload_prefix) o.payload_prefix = cfg.payload_prefix;
    o.proc_root = cfg.proc_root;
    o.sys_root = cfg.sys_root;
    o.logger = cfg.logger;
    o.tls = cfg.tls;
    o.btf_path = cfg.btf_path;
    o.exe_globs = cfg.exe_globs;
    return std::make_unique<BpfSource>(o);
}

bool source_needs_sort(const EventSource &src) {
    // Perf buffers are per CPU; the ring buffer is one queue in reservation order.
    auto *bpf = dynamic_cast<const BpfSource *>(&src);
    return bpf && !bpf->using_ringbuf();
}

} // namespace beyla
