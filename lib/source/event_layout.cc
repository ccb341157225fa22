// The event structs cross the kernel/user boundary as raw bytes: their layout must not
// drift. Sizes and offsets here are the ones the BPF side (same header, clang -target bpf)
// produces; recordings and the Python tests depend on them too.
#include <cstddef>

#include "socket_trace.h"

static_assert(sizeof(beyla_sockaddr) == 40);
static_assert(sizeof(beyla_event_header) == 40);
static_assert(offsetof(beyla_data_event, addr) == 40);
static_assert(offsetof(beyla_data_event, bytes) == 80);
static_assert(offsetof(beyla_data_event, captured) == 88);
static_assert(offsetof(beyla_data_event, comm) == 96);
static_assert(offsetof(beyla_data_event, pos) == 112);
static_assert(sizeof(beyla_data_event) == 120);
static_assert(offsetof(beyla_data_event, payload) == sizeof(beyla_data_event));
static_assert(sizeof(beyla_conn_event) == 104);
static_assert(sizeof(beyla_proc_event) == 320);
static_assert(offsetof(beyla_h2_header_event, stream_id) == 40);
static_assert(offsetof(beyla_h2_header_event, name) == 64);
static_assert(sizeof(beyla_h2_header_event) == 384);
static_assert((BEYLA_MAX_PAYLOAD & (BEYLA_MAX_PAYLOAD - 1)) == 0, "the BPF side masks with it");
