// SPDX-License-Identifier: GPL-2.0
/* Two floors under any syscall-tracepoint tracer, on exactly the hooks bpf/socket_trace.bpf.c
 * uses (keep the list in step with that file):
 *  - nop_*: programs that return at once. What nginx loses with these attached is what enabling
 *    the hooks costs before a single instruction of ours runs (every syscall of every task takes
 *    the tracing slow path once a syscall tracepoint is on).
 *  - copy_*: the least a tracer that captures payloads must do: a pid filter, the buffer
 *    pointer kept from enter to exit per thread, a timestamp and the bytes copied into a ring
 *    buffer (never waking the reader: it drains on a timer). No fd -> socket resolution, no
 *    per-connection state. Loaded instead of the nop_* programs on the read/write hooks.
 * beyla_floor_bench picks the set. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define NOP_TP(name)                                                                               \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                                \
	int nop_enter_##name(void *ctx) { return 0; }                                              \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int nop_exit_##name(void *ctx) { return 0; }

NOP_TP(read)
NOP_TP(write)
NOP_TP(recvfrom)
NOP_TP(sendto)
NOP_TP(readv)
NOP_TP(writev)
NOP_TP(recvmsg)
NOP_TP(sendmsg)
NOP_TP(recvmmsg)
NOP_TP(sendmmsg)
NOP_TP(sendfile64)
NOP_TP(accept)
NOP_TP(accept4)
NOP_TP(connect)

SEC("tracepoint/syscalls/sys_enter_close")
int nop_enter_close(void *ctx) { return 0; }

SEC("raw_tracepoint/sched_process_exec")
int nop_exec(void *ctx) { return 0; }

SEC("raw_tracepoint/sched_process_exit")
int nop_exit(void *ctx) { return 0; }

SEC("raw_tracepoint/sched_process_fork")
int nop_fork(void *ctx) { return 0; }

/* ------------------------------------------------------------------ copy floor */

#define COPY_MAX 4096 /* the tracer's default payload prefix */

struct enter_ctx {
	__u64 common;
	__s64 nr;
	__u64 args[6];
};

struct exit_ctx {
	__u64 common;
	__s64 nr;
	__s64 ret;
};

struct copy_call {
	__u64 buf;
	__u64 iov; /* 1: buf is a struct iovec array */
};

struct copy_rec {
	__u64 ts;
	__u64 pid_tgid;
	__s64 ret;
	__u32 len;
	__u32 pad;
	__u8 data[COPY_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} copy_pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct copy_call);
} copy_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct copy_rec);
} copy_scratch SEC(".maps");

/* The tracer's default size; the reader drains it every few milliseconds. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} copy_ring SEC(".maps");

/* Or one ring per CPU, half the size each (copy_percpu): no lock or producer position
 * shared between CPUs. Filled by beyla_floor_bench. */
struct copy_cpu_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct copy_cpu_ring);
} copy_rings SEC(".maps");

const volatile bool copy_percpu = false;

__u64 copy_full; /* outputs the ring refused */

static __always_inline int copy_enter(struct enter_ctx *ctx, __u64 iov)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if (!bpf_map_lookup_elem(&copy_pids, &tgid))
		return 0;
	struct copy_call c = {.buf = ctx->args[1], .iov = iov};
	bpf_map_update_elem(&copy_calls, &id, &c, BPF_ANY);
	return 0;
}

static __always_inline int copy_exit(struct exit_ctx *ctx, bool bytes)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if (!bpf_map_lookup_elem(&copy_pids, &tgid))
		return 0;
	struct copy_call *c = bpf_map_lookup_elem(&copy_calls, &id);
	__s64 ret = ctx->ret;
	if (!c || ret <= 0)
		return 0;
	__u32 zero = 0;
	struct copy_rec *r = bpf_map_lookup_elem(&copy_scratch, &zero);
	if (!r)
		return 0;
	__u64 ptr = c->buf, len = bytes ? (__u64)ret : 0;
	if (bytes && c->iov) {
		struct iovec v = {};
		bpf_probe_read_user(&v, sizeof(v), (void *)ptr);
		ptr = (__u64)v.iov_base;
		if (len > v.iov_len)
			len = v.iov_len;
	}
	if (len > COPY_MAX)
		len = COPY_MAX;
	r->ts = bpf_ktime_get_ns();
	r->pid_tgid = id;
	r->ret = ret;
	r->len = len;
	if (len)
		bpf_probe_read_user(r->data, len & (COPY_MAX - 1) ? len & (COPY_MAX - 1) : COPY_MAX,
				    (void *)ptr);
	__u64 size = __builtin_offsetof(struct copy_rec, data) + len;
	if (size > sizeof(*r))
		size = sizeof(*r);
	long err;
	if (copy_percpu) {
		__u32 cpu = bpf_get_smp_processor_id();
		void *ring = bpf_map_lookup_elem(&copy_rings, &cpu);
		err = ring ? bpf_ringbuf_output(ring, r, size, BPF_RB_NO_WAKEUP) : -1;
	} else {
		err = bpf_ringbuf_output(&copy_ring, r, size, BPF_RB_NO_WAKEUP);
	}
	if (err)
		__sync_fetch_and_add(&copy_full, 1);
	return 0;
}

#define COPY_TP(name, iov, bytes)                                                                  \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                                \
	int copy_enter_##name(struct enter_ctx *ctx) { return copy_enter(ctx, iov); }             \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int copy_exit_##name(struct exit_ctx *ctx) { return copy_exit(ctx, bytes); }

COPY_TP(read, 0, true)
COPY_TP(write, 0, true)
COPY_TP(recvfrom, 0, true)
COPY_TP(sendto, 0, true)
COPY_TP(readv, 1, true)
COPY_TP(writev, 1, true)
COPY_TP(sendfile64, 0, false) /* no user bytes: the event alone */

char LICENSE[] SEC("license") = "GPL";
