// pybeyla: a thin Python layer over libbeyla's C ABI.
#include <beyla/beyla.h>

#include "bindings.h"

PYBIND11_MODULE(pybeyla, m) {
    m.doc() = "Python bindings for libbeyla (eBPF auto-instrumentation)";
    m.attr("__version__") = beyla_version_string();
    bind_caps(m);
    bind_tracer(m);
}
