// The tracer handle behind struct beyla_tracer, shared by the C ABI's source files.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "beyla/beyla.h"
#include "core/tracer.h"

struct beyla_tracer {
    std::unique_ptr<beyla::Tracer> impl;
    std::string last_error;
    std::vector<beyla::tls::LibraryReport> tls_view; // what beyla_tracer_tls_library() points into
};

namespace beyla::capi {

// beyla_metrics_opts → MetricsConfig; throws beyla::Error(EINVAL) naming a bad field.
void metrics_config_from(const beyla_metrics_opts *opts, metrics::MetricsConfig &cfg);

} // namespace beyla::capi
