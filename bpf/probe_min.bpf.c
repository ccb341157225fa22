// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
// The smallest program of each hook family the capability probe tries to load and attach:
// a real attempt says more than a version number. Each program counts its hits so the
// probe can tell "attached" from "attached and fired".
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

// Slots of the hits array, shared with lib/caps/real_kernel_ops.cc.
#define PROBE_HIT_TP 0
#define PROBE_HIT_RAW_TP 1
#define PROBE_HIT_UPROBE 2
#define PROBE_HIT_KPROBE 3

// A plain array rather than global data: global variables need mmapable maps (5.5+),
// and this object must load on the oldest kernels the probe reports on.
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} hits SEC(".maps");

static __always_inline void hit(__u32 slot) {
    __u64 *v = bpf_map_lookup_elem(&hits, &slot);
    if (v) __sync_fetch_and_add(v, 1);
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int probe_tp(void *ctx) {
    hit(PROBE_HIT_TP);
    return 0;
}

SEC("raw_tracepoint/sys_enter")
int probe_raw_tp(void *ctx) {
    hit(PROBE_HIT_RAW_TP);
    return 0;
}

// Attached by hand to a function of the probing process itself.
SEC("uprobe")
int probe_uprobe(void *ctx) {
    hit(PROBE_HIT_UPROBE);
    return 0;
}

SEC("kprobe")
int probe_kprobe(void *ctx) {
    hit(PROBE_HIT_KPROBE);
    return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
