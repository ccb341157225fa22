/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * One event transport for kernels with and without the BPF ring buffer.
 *
 * `events` is declared as a ring buffer. When user space picks the perf buffer (the
 * kernel has no ring buffer, or it was asked to), it retypes the map to
 * PERF_EVENT_ARRAY (key/value 4/4, max_entries 0 = one slot per CPU) and sets
 * use_ringbuf = false before load. The verifier sees use_ringbuf as a constant (frozen
 * rodata) and never walks the ring buffer branch, so the ring buffer helpers applied to
 * a perf map are not rejected; on kernels without ring buffers at all,
 * bpf_core_type_exists() is relocated to 0 and that branch is dead as well.
 */
#ifndef BEYLA_COMPAT_BPF_H
#define BEYLA_COMPAT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

/* Set by user space before load. */
const volatile bool use_ringbuf = true;
/* Ring buffer: wake the reader only once this many bytes wait (0: the kernel's default
 * policy, a wakeup whenever the reader has caught up). Below it, the reader drains on its
 * own timer, so a lone event waits at most one drain interval. */
const volatile __u64 wakeup_threshold = 0;

/* Replaced by bpf_map__set_max_entries() (ring) or retyped (perf) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Bytes this CPU output since it last looked at how much data waits. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} out_since_check SEC(".maps");

/* Copies size bytes at data into the transport. 0 or -errno (full ring, no reader). */
static __always_inline long beyla_output(void *ctx, void *data, __u64 size)
{
	if (use_ringbuf && bpf_core_type_exists(struct bpf_ringbuf)) {
		__u64 flags = 0;
		if (wakeup_threshold) {
			/* Asking how much data waits reads the consumer's position, a cache line
			 * the reader writes: a miss costing about as much as the output itself. So
			 * each CPU asks once per threshold/8 bytes it wrote, and the reader is woken
			 * at most threshold/8 bytes per CPU late (the ring is far bigger). */
			__u32 zero = 0;
			__u64 *since = bpf_map_lookup_elem(&out_since_check, &zero);
			flags = BPF_RB_NO_WAKEUP;
			if (!since || (*since += size) >= wakeup_threshold / 8) {
				if (since)
					*since = 0;
				__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
				if (avail + size >= wakeup_threshold)
					flags = BPF_RB_FORCE_WAKEUP;
			}
		}
		return bpf_ringbuf_output(&events, data, size, flags);
	}
	return bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, data, size);
}

#endif /* BEYLA_COMPAT_BPF_H */
