// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Socket capture from syscall tracepoints: connection open/close and the bytes read and
 * written on TCP sockets of selected processes, plus process fork/exec/exit from sched
 * raw tracepoints. Arguments are saved at syscall entry (per thread) and the event is
 * built at exit, when the return value is known and read buffers are filled.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "compat.bpf.h"
#include "sock.bpf.h"
#include "socket_trace.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#ifndef EINPROGRESS
#define EINPROGRESS 115
#endif

/* Messages of recvmmsg/sendmmsg whose lengths are summed; the payload is the first one's. */
#define BEYLA_MAX_MMSG 8

/* ---------------------------------------------------------------- configuration */

/* Bytes copied per syscall; clamped to BEYLA_MAX_PAYLOAD below whatever user space sets. */
const volatile __u32 payload_prefix = BEYLA_DEFAULT_PAYLOAD;
/* Report every exec on the machine (user space matches executable globs), or only the
 * execs of traced processes. */
const volatile bool report_all_execs = true;
/* TLS library probes are loaded: socket I/O looks for an enclosing TLS call. Off, the
 * verifier drops that lookup, so plain capture pays nothing for it. */
const volatile bool tls_enabled = false;
/* exe_dfa holds the selection's executable globs: the exec program (its bpf_loop build)
 * starts tracing a matching process itself, before it runs any code of its own. */
const volatile bool exe_match = false;

/* ---------------------------------------------------------------- user ABI */

/* User-space layouts are fixed by the syscall ABI: declared here rather than taken from
 * vmlinux.h so that no CO-RE relocation depends on the kernel's BTF having them. */
struct u_iovec {
	__u64 base;
	__u64 len;
};

struct u_msghdr {
	__u64 name;
	__s32 namelen;
	__s32 _pad;
	__u64 iov;
	__u64 iovlen;
	__u64 control;
	__u64 controllen;
	__u32 flags;
	__u32 _pad2;
};

struct u_mmsghdr {
	struct u_msghdr hdr;
	__u32 len;
	__u32 _pad;
};

/* Syscall tracepoint records (events/syscalls/sys_{enter,exit}_X/format): an 8-byte common
 * header, the syscall number, then six 8-byte arguments or the return value. */
struct sys_enter_ctx {
	__u64 common;
	__s64 nr;
	__u64 args[6];
};

struct sys_exit_ctx {
	__u64 common;
	__s64 nr;
	__s64 ret;
};

/* ---------------------------------------------------------------- maps */

/* How the saved user pointer is laid out. */
enum arg_kind {
	KIND_NONE = 0,
	KIND_BUF,      /* buf, count */
	KIND_IOV,      /* iovec array, count entries */
	KIND_MSG,      /* struct msghdr */
	KIND_MMSG,     /* struct mmsghdr array */
	KIND_SENDFILE, /* byte count only */
};

struct call_args {
	__u64 owner;   /* pid_tgid that wrote it: see struct thread_state */
	__u64 ts_enter;
	__u64 sk;      /* struct sock *, 0 when the fd is not a TCP socket */
	__u64 sock_id;
	__u64 buf;     /* user pointer, see kind */
	__u64 count;
	__s32 fd;
	__u8 syscall;  /* enum beyla_syscall_id: an exit only uses args of its own syscall; 0: none */
	__u8 by_port;  /* accept by an untraced process while port selection is on */
	__u8 _pad[2];
};

/* Traced processes: tgid -> flags. Plain hash: evicting a traced process would silently
 * stop its capture. 8192 processes. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct beyla_proc_info);
} traced_pids SEC(".maps");

/* Local TCP ports whose accept() starts tracing the accepting process. Key 0 (never a
 * listening port) is set whenever any port is, so untraced accepts cost one lookup
 * when port selection is off. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u16);
	__type(value, __u8);
} traced_ports SEC(".maps");

/* What is known of a socket, by sock_id; one map so that a data event costs one lookup.
 * next: bytes the socket moved so far, [direction] for its own bytes, [2 + direction] for
 * TLS plaintext; data events carry it as `pos` so that user space sees exactly what was
 * lost between two delivered events. role: learned at accept/connect. go_tls: a Go
 * tls.Conn was seen on it, so its syscalls move ciphertext. LRU: a socket that ends
 * without close() (process exit) ages out; an evicted entry restarts its counters at 0,
 * which user space takes as a loss of unknown size, and its role is inferred from the
 * bytes. 65536 sockets x 40 bytes. */
struct sock_state {
	__u64 next[4];
	__u8 role;
	__u8 go_tls;
	__u8 _pad[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sock_state);
} sock_states SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BEYLA_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Data events are built here: header + payload. The payload area is twice the largest
 * payload so that the verifier can prove (offset < MAX) + (length <= MAX) in bounds
 * without relating the two. That is over the 32 KiB limit of a per-CPU value, hence a
 * plain array with one slot per possible CPU (user space sets max_entries before load),
 * indexed by the current CPU. ~33 KiB per CPU. */
#define DATA_SCRATCH_SIZE (sizeof(struct beyla_data_event) + 2 * BEYLA_MAX_PAYLOAD)
struct data_buf {
	__u8 b[DATA_SCRATCH_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct data_buf);
} data_scratch SEC(".maps");

/* The selection's executable globs (struct beyla_exe_dfa), written before load. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct beyla_exe_dfa);
} exe_dfa SEC(".maps");

/* The name of the file an exec runs (its dentry: symlinks resolved), for exe_dfa. */
struct exec_name {
	char b[256];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_name);
} exec_names SEC(".maps");

/* Process events are too big for the 512-byte stack; a separate buffer from the data
 * one because sched raw tracepoints do not share the syscall programs' recursion guard. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct beyla_proc_event);
} proc_scratch SEC(".maps");

/* A thread inside a probed TLS read/write. The nested socket syscall fills in the
 * connection; the return probe emits the plaintext. */
struct tls_call {
	__u64 ts_enter;
	__u64 ssl;       /* the library's session pointer (SSL *) */
	__u64 buf;
	__u64 out_len;   /* _ex variants: size_t * that receives the byte count; else 0 */
	__u64 sock_id;   /* 0 until a nested syscall on a TCP socket ran */
	struct beyla_sockaddr addr;
	__s32 fd;
	__u8 write;
	__u8 active;     /* 0: the thread is in no TLS call */
	__u8 _pad[2];
};

/* The socket a TLS session last did I/O on: reads served from the library's own buffer
 * make no syscall. Key: (tgid << 32) ^ SSL * would collide; the pointer is unique within a
 * process and sessions of different processes share no address space, so key on both. */
struct tls_sess_key {
	__u64 ssl;
	__u32 tgid;
	__u32 _pad;
};

struct tls_sess {
	__u64 sock_id;
	struct beyla_sockaddr addr;
	__s32 fd;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, struct tls_sess_key);
	__type(value, struct tls_sess);
} tls_sessions SEC(".maps");

/* Per thread (key: pid_tgid): the socket syscall it is in (args), the TLS call it is in
 * (tls), and the socket it last read outside a TLS call (last_read: libraries fed through
 * memory BIOs, like node's, read the socket first and decrypt afterwards with no socket
 * I/O inside the call, so a session first seen that way is tied to this socket). An entry
 * lives as long as its thread and is written in place, so a syscall costs a lookup and
 * no map update or delete; the thread's exit deletes it. LRU so that threads whose exit
 * was missed cannot fill it; args.owner catches a slot reused for another thread under
 * that pressure. 16384 threads x ~210 bytes. */
struct thread_state {
	struct call_args args;
	struct tls_call tls;
	struct tls_sess last_read; /* sock_id 0: none */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct thread_state);
} threads SEC(".maps");

/* Zeroed template for new thread_state entries: too big for the 512-byte stack of the
 * programs that create them. Never written. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct thread_state);
} thread_zero SEC(".maps");

/* ---------------------------------------------------------------- helpers */

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);
	if (v)
		*v += 1;
}

static __always_inline bool is_traced(__u32 tgid)
{
	return bpf_map_lookup_elem(&traced_pids, &tgid) != NULL;
}

static __always_inline __u64 prefix_limit(void)
{
	return payload_prefix > BEYLA_MAX_PAYLOAD ? BEYLA_MAX_PAYLOAD : payload_prefix;
}

/* Sockets whose protocol needs more than the prefix of each syscall (HTTP/2: one write
 * carries many frames, and the parser must see every frame header), by sock_id: bytes to
 * copy. Written by user space when a protocol claims the connection, deleted at close (LRU:
 * a socket that ends without close ages out).
 * wide_gate[0], set by user space at the first entry, spares every socket the hash lookup
 * until then (an array lookup with a constant key costs next to nothing). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u32);
} wide_sockets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} wide_gate SEC(".maps");

static __always_inline bool wide_sockets_used(void)
{
	__u32 zero = 0;
	__u32 *g = bpf_map_lookup_elem(&wide_gate, &zero);
	return g && *g;
}

static __always_inline __u64 prefix_for(__u64 sock_id)
{
	__u64 prefix = prefix_limit();
	if (!wide_sockets_used())
		return prefix;
	__u32 *w = bpf_map_lookup_elem(&wide_sockets, &sock_id);
	if (w && *w > prefix)
		prefix = *w > BEYLA_MAX_PAYLOAD ? BEYLA_MAX_PAYLOAD : *w;
	return prefix;
}

static __always_inline long emit(void *ctx, void *data, __u64 size)
{
	long err = beyla_output(ctx, data, size);
	count(err ? BEYLA_CNT_RING_FULL : BEYLA_CNT_EVENTS);
	return err;
}

/* The state of a socket, created empty (role unknown, counters at 0) when missing. NULL
 * only when the map refuses the insert. */
static __always_inline struct sock_state *sock_state_get(__u64 sock_id)
{
	struct sock_state *p = bpf_map_lookup_elem(&sock_states, &sock_id);
	if (p)
		return p;
	struct sock_state init = {};
	bpf_map_update_elem(&sock_states, &sock_id, &init, BPF_NOEXIST); /* or another CPU did */
	return bpf_map_lookup_elem(&sock_states, &sock_id);
}

/* Reserves [pos, pos + bytes) of a socket's stream and returns pos. Advanced before the
 * event is output, so an event the ring buffer refuses still moves the next one's pos.
 * Without state (the map refused it) pos is 0: user space resyncs. */
static __always_inline __u64 take_pos(struct sock_state *p, __u32 idx, __u64 bytes)
{
	if (!p)
		return 0;
	/* The add is atomic; the read before it is not (a fetching add needs BPF v3 and 5.12):
	 * two threads moving bytes on one socket at the same instant may see the same pos. User
	 * space then resyncs over a loss that did not happen; it never misses a real one. */
	__u64 pos = p->next[idx & 3];
	__sync_fetch_and_add(&p->next[idx & 3], bytes);
	return pos;
}

/* Marks a new connection's socket: its role, counters from 0. */
static __always_inline void sock_state_open(__u64 sock_id, __u8 role)
{
	struct sock_state st = {.role = role};
	bpf_map_update_elem(&sock_states, &sock_id, &st, BPF_ANY);
}

/* This thread's state, created when missing; NULL only when the map refuses it. */
static __always_inline struct thread_state *thread_get(__u64 id)
{
	struct thread_state *t = bpf_map_lookup_elem(&threads, &id);
	if (t)
		return t;
	__u32 zero = 0;
	struct thread_state *init = bpf_map_lookup_elem(&thread_zero, &zero);
	if (!init)
		return NULL;
	bpf_map_update_elem(&threads, &id, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(&threads, &id);
}

/* Saves the arguments of a traced thread's syscall. Non-TCP fds are saved too (sk = 0)
 * so that an exit without saved arguments really means a missed entry. */
static __always_inline void save_args(__u64 id, __s64 fd, __u8 sys, __u64 buf, __u64 cnt)
{
	struct thread_state *t = thread_get(id);
	if (!t)
		return; /* the exit counts it as missing */
	struct call_args a = {};
	struct sock_ref ref = {};
	if (fd_to_tcp_sock(fd, &ref)) {
		a.sk = (__u64)ref.sk;
		a.sock_id = ref.id;
	}
	a.owner = id;
	a.ts_enter = bpf_ktime_get_ns();
	a.buf = buf;
	a.count = cnt;
	a.fd = (__s32)fd;
	a.syscall = sys;
	t->args = a;
}

/* Moves the saved arguments of this thread's `sys` to *out; `t` is this thread's state,
 * or NULL when it has none. Quiet: the caller counts a miss if it matters. */
static __always_inline bool take_args_of(struct thread_state *t, __u64 id, __u8 sys, struct call_args *out)
{
	if (!t)
		return false;
	/* Copied first: under LRU pressure the slot may be reused at any time. */
	*out = t->args;
	t->args.syscall = 0;
	return out->owner == id && out->syscall == sys;
}

static __always_inline bool take_args(__u64 id, __u8 sys, struct call_args *out)
{
	if (take_args_of(bpf_map_lookup_elem(&threads, &id), id, sys, out))
		return true;
	count(BEYLA_CNT_ARGS_MISSING);
	return false;
}

static __always_inline void fill_header(struct beyla_event_header *h, __u32 type, __u64 id, __s32 fd,
					__u64 ts_enter, __u64 ts_exit, __u64 sock_id)
{
	h->type = type;
	h->tgid = id >> 32;
	h->tid = (__u32)id;
	h->fd = fd;
	h->ts_enter = ts_enter;
	h->ts_exit = ts_exit;
	h->sock_id = sock_id;
}

/* Copies len user bytes to payload[off]. Callers keep off < BEYLA_MAX_PAYLOAD and
 * len <= BEYLA_MAX_PAYLOAD; the mask and the clamp restate that for the verifier. */
static __always_inline long copy_chunk(__u8 *payload, __u64 off, __u64 src, __u64 len)
{
	off &= BEYLA_MAX_PAYLOAD - 1;
	if (len > BEYLA_MAX_PAYLOAD)
		len = BEYLA_MAX_PAYLOAD;
	barrier_var(len);
	if (len == 0)
		return 0;
	return bpf_probe_read_user(payload + off, len, (const void *)src);
}

/* One iovec per bpf_loop step: the verifier walks the step, not the count. The offset
 * passes through map memory (spill) as in copy_iov, so that each step starts from the same
 * unknown offset and the verifier's walk of the callback converges at once. */
struct iov_walk {
	__u8 *payload;
	__u32 *spill;
	__u64 iov;
	__u64 want;
	__u8 fault;
};

static long iov_step(__u32 i, void *ctx)
{
	struct iov_walk *w = ctx;
	__u64 off = *(volatile __u32 *)w->spill;
	__u64 want = w->want;
	if (off >= want)
		return 1;
	struct u_iovec v;
	if (bpf_probe_read_user(&v, sizeof(v), (const void *)(w->iov + (__u64)i * sizeof(struct u_iovec)))) {
		w->fault = 1;
		return 1;
	}
	__u64 len = v.len;
	if (len > want - off)
		len = want - off;
	if (copy_chunk(w->payload, off, v.base, len)) {
		w->fault = 1;
		return 1;
	}
	*w->spill = off + len; /* want <= BEYLA_MAX_PAYLOAD: fits */
	return 0;
}

/* copy_iov over every entry (up to IOV_MAX, as the kernel allows): bounded by the bytes
 * wanted, not by the entry count. Kernels with bpf_loop (5.17+) only. */
static __always_inline __u64 copy_iov_loop(__u8 *payload, __u32 *spill, __u64 iov, __u64 iovcnt, __u64 want,
					   __u8 *flags)
{
	struct iov_walk w = {.payload = payload, .spill = spill, .iov = iov, .want = want};
	__u32 n = iovcnt > BEYLA_IOV_MAX ? BEYLA_IOV_MAX : (__u32)iovcnt;
	*spill = 0;
	bpf_loop(n, iov_step, &w, 0);
	__u64 off = *(volatile __u32 *)spill;
	if (w.fault) {
		count(BEYLA_CNT_READ_FAULT);
		*flags |= BEYLA_DATA_F_PARTIAL;
	} else if (off < want) {
		/* The array changed under the syscall, or more than IOV_MAX entries. */
		*flags |= BEYLA_DATA_F_PARTIAL;
	}
	return off;
}

/* Gathers up to `want` bytes from an iovec array into payload. Returns bytes copied.
 * spill: scratch memory the running offset passes through after each iovec, so that the
 * verifier forgets its exact range and the iterations do not multiply the paths it walks
 * (without it the iovec programs were a third of start()). */
static __always_inline __u64 copy_iov(__u8 *payload, __u32 *spill, __u64 iov, __u64 iovcnt, __u64 want,
				      __u8 *flags)
{
	__u64 off = 0;
#pragma unroll
	for (int i = 0; i < BEYLA_MAX_IOV; i++) {
		if (i >= iovcnt || off >= want)
			break;
		struct u_iovec v;
		if (bpf_probe_read_user(&v, sizeof(v), (const void *)(iov + i * sizeof(struct u_iovec)))) {
			count(BEYLA_CNT_READ_FAULT);
			*flags |= BEYLA_DATA_F_PARTIAL;
			return off;
		}
		__u64 len = v.len;
		if (len > want - off)
			len = want - off;
		if (copy_chunk(payload, off, v.base, len)) {
			count(BEYLA_CNT_READ_FAULT);
			*flags |= BEYLA_DATA_F_PARTIAL;
			return off;
		}
		*spill = off + len; /* want <= BEYLA_MAX_PAYLOAD: fits */
		off = *(volatile __u32 *)spill;
	}
	/* More iovecs than we walk, and bytes left in them. */
	if (off < want)
		*flags |= BEYLA_DATA_F_PARTIAL;
	return off;
}

/* The plaintext of a TLS read or write as a data event of its socket (BEYLA_DATA_F_TLS,
 * BEYLA_SYS_TLS_READ/_WRITE), from any library's return probe. with_pos: the event carries
 * the socket's plaintext position (creating its state when missing). */
static __always_inline int emit_tls_plaintext(void *ctx, __u64 id, __s32 fd, __u64 ts_enter, __u64 sock_id,
					      const struct beyla_sockaddr *addr, __u64 buf, __u64 bytes,
					      __u8 write, bool with_pos)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct data_buf *s = bpf_map_lookup_elem(&data_scratch, &cpu);
	if (!s)
		return 0;
	struct beyla_data_event *ev = (struct beyla_data_event *)s->b;
	__u8 *payload = s->b + sizeof(struct beyla_data_event);
	__u64 prefix = prefix_for(sock_id);
	__u64 captured = bytes < prefix ? bytes : prefix;
	__u8 flags = BEYLA_DATA_F_TLS;
	if (bytes > prefix)
		count(BEYLA_CNT_TRUNCATED);
	if (copy_chunk(payload, 0, buf, captured)) {
		count(BEYLA_CNT_READ_FAULT);
		flags |= BEYLA_DATA_F_PARTIAL;
		captured = 0;
	}
	fill_header(&ev->hdr, BEYLA_EV_DATA, id, fd, ts_enter, bpf_ktime_get_ns(), sock_id);
	ev->addr = *addr;
	struct sock_state *st =
		with_pos ? sock_state_get(sock_id) : bpf_map_lookup_elem(&sock_states, &sock_id);
	ev->role = st ? st->role : BEYLA_ROLE_UNKNOWN;
	ev->bytes = bytes;
	if (captured > BEYLA_MAX_PAYLOAD)
		captured = BEYLA_MAX_PAYLOAD;
	ev->captured = captured;
	ev->direction = write ? BEYLA_DIR_EGRESS : BEYLA_DIR_INGRESS;
	ev->syscall = write ? BEYLA_SYS_TLS_WRITE : BEYLA_SYS_TLS_READ;
	ev->flags = flags;
	if (with_pos) {
		ev->flags |= BEYLA_DATA_F_POS;
		ev->pos = take_pos(st, 2 + ev->direction, bytes);
	}
	bpf_get_current_comm(&ev->comm, sizeof(ev->comm));
	emit(ctx, ev, sizeof(struct beyla_data_event) + captured);
	return 0;
}

/* Go crypto/tls probes. */
#include "go_tls.bpf.h"
/* Go HTTP/2 header fields. */
#include "go_http2.bpf.h"

/* ---------------------------------------------------------------- data */

static __always_inline int enter_io(struct sys_enter_ctx *ctx, __u8 sys)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	save_args(id, (__s64)ctx->args[0], sys, ctx->args[1], ctx->args[2]);
	return 0;
}

/* loop: the bpf_loop build (copy_iov_loop), else the walk of BEYLA_MAX_IOV entries. */
#define COPY_IOV(loop, payload, spill, iov, cnt, want, flags)                                      \
	((loop) ? copy_iov_loop(payload, spill, iov, cnt, want, flags) : copy_iov(payload, spill, iov, cnt, want, flags))

static __always_inline int exit_io(struct sys_exit_ctx *ctx, __u8 sys, __u8 dir, int kind, bool loop)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	struct thread_state *t = bpf_map_lookup_elem(&threads, &id);
	struct call_args a;
	if (!take_args_of(t, id, sys, &a)) {
		count(BEYLA_CNT_ARGS_MISSING);
		return 0;
	}
	__s64 ret = ctx->ret;
	if (!a.sk || ret <= 0)
		return 0;

	__u32 cpu = bpf_get_smp_processor_id();
	struct data_buf *s = bpf_map_lookup_elem(&data_scratch, &cpu);
	if (!s)
		return 0;
	struct beyla_data_event *ev = (struct beyla_data_event *)s->b;
	__u8 *payload = s->b + sizeof(struct beyla_data_event);

	__u64 prefix = prefix_for(a.sock_id);
	__u64 bytes = ret;
	__u64 captured = 0;
	__u8 flags = 0;
	struct sock_state *st = sock_state_get(a.sock_id);
	sock_addr((struct sock *)a.sk, &ev->addr);

	/* Inside a probed TLS call: ciphertext. Tell the call which socket it is on. The
	 * thread's state is re-checked: it may have been reused since take_args_of. */
	if (tls_enabled && t && t->args.owner == id && t->tls.active) {
		t->tls.fd = a.fd;
		t->tls.sock_id = a.sock_id;
		t->tls.addr = ev->addr;
		flags |= BEYLA_DATA_F_ENCRYPTED;
		prefix = 0;
	} else if (tls_enabled && st && st->go_tls) {
		flags |= BEYLA_DATA_F_ENCRYPTED;
		prefix = 0;
	} else if (tls_enabled && dir == BEYLA_DIR_INGRESS && t && t->args.owner == id) {
		t->last_read.sock_id = a.sock_id;
		t->last_read.fd = a.fd;
		t->last_read.addr = ev->addr;
	}

	if (kind == KIND_BUF) {
		captured = bytes < prefix ? bytes : prefix;
		if (copy_chunk(payload, 0, a.buf, captured)) {
			count(BEYLA_CNT_READ_FAULT);
			flags |= BEYLA_DATA_F_PARTIAL;
			captured = 0;
		}
	} else if (kind == KIND_IOV) {
		captured = COPY_IOV(loop, payload, &ev->captured, a.buf, a.count, bytes < prefix ? bytes : prefix, &flags);
	} else if (kind == KIND_MSG) {
		struct u_msghdr m;
		if (bpf_probe_read_user(&m, sizeof(m), (const void *)a.buf)) {
			count(BEYLA_CNT_READ_FAULT);
			flags |= BEYLA_DATA_F_PARTIAL;
		} else {
			captured = COPY_IOV(loop, payload, &ev->captured, m.iov, m.iovlen, bytes < prefix ? bytes : prefix,
					    &flags);
		}
	} else if (kind == KIND_MMSG) {
		/* ret is a message count: bytes are the sum of the kernel-filled msg_len. */
		__u64 nmsg = bytes;
		struct u_mmsghdr mm;
		bytes = 0;
		if (bpf_probe_read_user(&mm, sizeof(mm), (const void *)a.buf)) {
			count(BEYLA_CNT_READ_FAULT);
			flags |= BEYLA_DATA_F_PARTIAL;
		} else {
			bytes = mm.len;
			captured = COPY_IOV(loop, payload, &ev->captured, mm.hdr.iov, mm.hdr.iovlen,
					    bytes < prefix ? bytes : prefix, &flags);
		}
#pragma unroll
		for (int i = 1; i < BEYLA_MAX_MMSG; i++) {
			if (i >= nmsg)
				break;
			__u32 len = 0;
			bpf_probe_read_user(&len, sizeof(len),
					    (const void *)(a.buf + i * sizeof(struct u_mmsghdr) +
							   offsetof(struct u_mmsghdr, len)));
			bytes += len;
		}
		if (nmsg > 1)
			flags |= BEYLA_DATA_F_MULTI_MSG;
		if (nmsg > BEYLA_MAX_MMSG)
			flags |= BEYLA_DATA_F_PARTIAL;
	}
	/* Through memory and back: the verifier forgets the exact range of captured, so the
	 * rest of the program is verified once, not once per way the copy above can end (a
	 * third of start() went into the iovec programs). */
	if (captured > BEYLA_MAX_PAYLOAD)
		captured = BEYLA_MAX_PAYLOAD;
	ev->captured = captured;
	captured = *(volatile __u32 *)&ev->captured;
	/* sendfile carries no payload by design: not a truncation. */
	if (kind != KIND_SENDFILE && !(flags & BEYLA_DATA_F_ENCRYPTED) && bytes > prefix)
		count(BEYLA_CNT_TRUNCATED);

	fill_header(&ev->hdr, BEYLA_EV_DATA, id, a.fd, a.ts_enter, bpf_ktime_get_ns(), a.sock_id);
	ev->role = st ? st->role : BEYLA_ROLE_UNKNOWN;
	ev->bytes = bytes;
	if (captured > BEYLA_MAX_PAYLOAD)
		captured = BEYLA_MAX_PAYLOAD;
	ev->direction = dir;
	ev->syscall = sys;
	ev->flags = flags | BEYLA_DATA_F_POS;
	ev->pos = take_pos(st, dir, bytes);
	bpf_get_current_comm(&ev->comm, sizeof(ev->comm));
	emit(ctx, ev, sizeof(struct beyla_data_event) + captured);
	return 0;
}

#define IO_PAIR(name, sys, dir, kind)                                                              \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                                \
	int enter_##name(struct sys_enter_ctx *ctx) { return enter_io(ctx, sys); }                  \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int exit_##name(struct sys_exit_ctx *ctx) { return exit_io(ctx, sys, dir, kind, false); }

/* Vectored I/O has a second exit program: user space loads either the one that walks every
 * iovec with bpf_loop ("_bpfloop": the kernel has the helper) or the bounded walk, never
 * both. A program calling bpf_loop is refused whole by older kernels, dead branch or not. */
#define IO_PAIR_IOV(name, sys, dir, kind)                                                          \
	IO_PAIR(name, sys, dir, kind)                                                              \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int exit_##name##_bpfloop(struct sys_exit_ctx *ctx) { return exit_io(ctx, sys, dir, kind, true); }

IO_PAIR(read, BEYLA_SYS_READ, BEYLA_DIR_INGRESS, KIND_BUF)
IO_PAIR(write, BEYLA_SYS_WRITE, BEYLA_DIR_EGRESS, KIND_BUF)
IO_PAIR(recvfrom, BEYLA_SYS_RECVFROM, BEYLA_DIR_INGRESS, KIND_BUF)
IO_PAIR(sendto, BEYLA_SYS_SENDTO, BEYLA_DIR_EGRESS, KIND_BUF)
IO_PAIR_IOV(readv, BEYLA_SYS_READV, BEYLA_DIR_INGRESS, KIND_IOV)
IO_PAIR_IOV(writev, BEYLA_SYS_WRITEV, BEYLA_DIR_EGRESS, KIND_IOV)
IO_PAIR_IOV(recvmsg, BEYLA_SYS_RECVMSG, BEYLA_DIR_INGRESS, KIND_MSG)
IO_PAIR_IOV(sendmsg, BEYLA_SYS_SENDMSG, BEYLA_DIR_EGRESS, KIND_MSG)
IO_PAIR_IOV(recvmmsg, BEYLA_SYS_RECVMMSG, BEYLA_DIR_INGRESS, KIND_MMSG)
IO_PAIR_IOV(sendmmsg, BEYLA_SYS_SENDMMSG, BEYLA_DIR_EGRESS, KIND_MMSG)

/* sendfile64(out_fd, in_fd, offset, count): the socket is out_fd, the first argument. */
IO_PAIR(sendfile64, BEYLA_SYS_SENDFILE, BEYLA_DIR_EGRESS, KIND_SENDFILE)

/* ---------------------------------------------------------------- connections */

static __always_inline void emit_conn(void *ctx, __u32 type, __u64 id, __s32 fd, struct sock_ref *ref,
				      __u8 role, __u8 sys, __u64 ts_enter, __u64 ts_exit)
{
	struct beyla_conn_event ev = {};
	fill_header(&ev.hdr, type, id, fd, ts_enter, ts_exit, ref->id);
	sock_addr(ref->sk, &ev.addr);
	ev.role = role;
	ev.syscall = sys;
	bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
	emit(ctx, &ev, sizeof(ev));
}

static __always_inline bool port_selection_on(void)
{
	__u16 gate = 0;
	return bpf_map_lookup_elem(&traced_ports, &gate) != NULL;
}

static __always_inline int accept_enter(struct sys_enter_ctx *ctx, __u8 sys)
{
	__u64 id = bpf_get_current_pid_tgid();
	bool traced = is_traced(id >> 32);
	if (!traced && !port_selection_on())
		return 0;
	struct thread_state *t = thread_get(id);
	if (!t)
		return 0;
	struct call_args a = {};
	a.owner = id;
	a.ts_enter = bpf_ktime_get_ns();
	a.fd = (__s32)ctx->args[0];
	a.syscall = sys;
	a.by_port = !traced;
	t->args = a;
	return 0;
}

static __always_inline int accept_exit(struct sys_exit_ctx *ctx, __u8 sys)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	__u64 now = bpf_ktime_get_ns();
	bool traced = is_traced(tgid);
	struct call_args a = {};
	if (traced) {
		if (!take_args(id, sys, &a))
			return 0;
	} else {
		/* Port selection on: this thread's state exists only if its accept began so. */
		if (!take_args_of(bpf_map_lookup_elem(&threads, &id), id, sys, &a) || !a.by_port)
			return 0;
	}
	__s64 ret = ctx->ret;
	if (ret < 0)
		return 0;
	struct sock_ref ref = {};
	if (!fd_to_tcp_sock(ret, &ref))
		return 0;
	if (!traced) {
		/* The accepted socket's local port is the listener's. A plain local: inside
		 * BPF_CORE_READ, `ref.sk` itself would become a relocation against struct sock_ref. */
		struct sock *sk = ref.sk;
		__u16 port = BPF_CORE_READ(sk, __sk_common.skc_num);
		if (!port || !bpf_map_lookup_elem(&traced_ports, &port))
			return 0;
		struct beyla_proc_info info = {.flags = BEYLA_PROC_F_FOLLOW_CHILDREN};
		/* NOEXIST: another thread may have just added it, with its own flags. */
		bpf_map_update_elem(&traced_pids, &tgid, &info, BPF_NOEXIST);
	}
	__u8 role = BEYLA_ROLE_SERVER;
	sock_state_open(ref.id, role);
	emit_conn(ctx, BEYLA_EV_CONN_OPEN, id, (__s32)ret, &ref, role, sys, a.ts_enter, now);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_accept")
int enter_accept(struct sys_enter_ctx *ctx) { return accept_enter(ctx, BEYLA_SYS_ACCEPT); }
SEC("tracepoint/syscalls/sys_exit_accept")
int exit_accept(struct sys_exit_ctx *ctx) { return accept_exit(ctx, BEYLA_SYS_ACCEPT); }
/* accept4 is reported as BEYLA_SYS_ACCEPT too: the flags do not matter downstream. */
SEC("tracepoint/syscalls/sys_enter_accept4")
int enter_accept4(struct sys_enter_ctx *ctx) { return accept_enter(ctx, BEYLA_SYS_ACCEPT); }
SEC("tracepoint/syscalls/sys_exit_accept4")
int exit_accept4(struct sys_exit_ctx *ctx) { return accept_exit(ctx, BEYLA_SYS_ACCEPT); }

SEC("tracepoint/syscalls/sys_enter_connect")
int enter_connect(struct sys_enter_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	save_args(id, (__s64)ctx->args[0], BEYLA_SYS_CONNECT, 0, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int exit_connect(struct sys_exit_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	struct call_args a;
	if (!take_args(id, BEYLA_SYS_CONNECT, &a) || !a.sk)
		return 0;
	/* A non-blocking connect is under way with -EINPROGRESS: addresses are set already. */
	if (ctx->ret != 0 && ctx->ret != -EINPROGRESS)
		return 0;
	struct sock_ref ref = {.sk = (struct sock *)a.sk, .id = a.sock_id};
	__u8 role = BEYLA_ROLE_CLIENT;
	sock_state_open(ref.id, role);
	emit_conn(ctx, BEYLA_EV_CONN_OPEN, id, a.fd, &ref, role, BEYLA_SYS_CONNECT, a.ts_enter, bpf_ktime_get_ns());
	return 0;
}

/* At entry: once close() runs the fd no longer leads to the socket. ts_exit = ts_enter. */
SEC("tracepoint/syscalls/sys_enter_close")
int enter_close(struct sys_enter_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	struct sock_ref ref = {};
	__s64 fd = (__s64)ctx->args[0];
	if (!fd_to_tcp_sock(fd, &ref))
		return 0;
	struct sock_state *st = bpf_map_lookup_elem(&sock_states, &ref.id);
	__u8 role = st ? st->role : BEYLA_ROLE_UNKNOWN;
	bpf_map_delete_elem(&sock_states, &ref.id);
	if (wide_sockets_used())
		bpf_map_delete_elem(&wide_sockets, &ref.id);
	__u64 now = bpf_ktime_get_ns();
	emit_conn(ctx, BEYLA_EV_CONN_CLOSE, id, (__s32)fd, &ref, role, BEYLA_SYS_CLOSE, now, now);
	return 0;
}

/* ---------------------------------------------------------------- processes */

static __always_inline struct beyla_proc_event *proc_event(__u32 type, __u32 tgid, __u32 tid, __u32 ppid)
{
	__u32 zero = 0;
	struct beyla_proc_event *ev = bpf_map_lookup_elem(&proc_scratch, &zero);
	if (!ev)
		return NULL;
	__u64 now = bpf_ktime_get_ns();
	fill_header(&ev->hdr, type, ((__u64)tgid << 32) | tid, -1, now, now, 0);
	ev->ppid = ppid;
	ev->flags = 0;
	bpf_get_current_comm(&ev->comm, sizeof(ev->comm));
	/* The scratch buffer still holds the previous exec's path. */
	__builtin_memset(ev->filename, 0, sizeof(ev->filename));
	return ev;
}

/* raw tracepoint sched_process_fork(struct task_struct *parent, struct task_struct *child).
 * Runs in the parent before the child is first scheduled, so the child is traced before
 * its first syscall. */
SEC("raw_tracepoint/sched_process_fork")
int on_proc_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (struct task_struct *)ctx->args[0];
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	if (ptgid == ctgid) /* a new thread */
		return 0;
	struct beyla_proc_info *pinfo = bpf_map_lookup_elem(&traced_pids, &ptgid);
	if (!pinfo || !(pinfo->flags & BEYLA_PROC_F_FOLLOW_CHILDREN))
		return 0;
	struct beyla_proc_info info = *pinfo;
	if (bpf_map_update_elem(&traced_pids, &ctgid, &info, BPF_ANY))
		return 0;
	struct beyla_proc_event *ev = proc_event(BEYLA_EV_PROC_FORK, ctgid, BPF_CORE_READ(child, pid), ptgid);
	if (!ev)
		return 0;
	emit(ctx, ev, sizeof(*ev));
	return 0;
}

/* exe_dfa over one string (256 bytes, NUL-terminated), one byte per bpf_loop step. */
struct dfa_walk {
	const struct beyla_exe_dfa *dfa;
	const char *s;
	__u32 whole; /* state over the whole string */
	__u32 last;  /* state over what follows its last '/': the base name */
};

/* next[state * 256 + c]. The index is masked with a constant behind a barrier: older verifiers
 * (6.1's among them) drop all bounds of an OR (or of an ADD the compiler turned into one)
 * of two non-constant scalars, and refuse the map access that follows. */
static __always_inline __u8 dfa_next(const struct beyla_exe_dfa *dfa, __u32 state, __u8 c)
{
	__u32 idx = ((state & 255) << 8) | c;
	barrier_var(idx);
	return dfa->next[idx & (BEYLA_EXE_DFA_STATES * 256 - 1)];
}

static long dfa_step(__u32 i, void *ctx)
{
	struct dfa_walk *w = ctx;
	__u8 c = w->s[i & 255];
	if (!c)
		return 1;
	w->whole = dfa_next(w->dfa, w->whole, c);
	w->last = c == '/' ? 1 : dfa_next(w->dfa, w->last, c);
	return 0;
}

static __always_inline bool dfa_accepts(const struct beyla_exe_dfa *dfa, const char *s)
{
	struct dfa_walk w = {.dfa = dfa, .s = s, .whole = 1, .last = 1};
	bpf_loop(256, dfa_step, &w, 0);
	return dfa->accept[w.whole & 255] || dfa->accept[w.last & 255];
}

/* Whether the executable matches the selection's globs, as user space's exe_matches() would
 * on the path given to execve and on the executed file's name (its /proc/PID/exe base
 * name). A path too long to read whole is left to user space. */
static __always_inline bool exec_selected(struct linux_binprm *bprm, const char *filename, long flen)
{
	__u32 zero = 0;
	const struct beyla_exe_dfa *dfa = bpf_map_lookup_elem(&exe_dfa, &zero);
	if (!dfa)
		return false;
	if (flen > 0 && flen < 256 && dfa_accepts(dfa, filename))
		return true;
	struct exec_name *n = bpf_map_lookup_elem(&exec_names, &zero);
	if (!n)
		return false;
	struct file *file = BPF_CORE_READ(bprm, file);
	const unsigned char *name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	if (!name || bpf_probe_read_kernel_str(n->b, sizeof(n->b), name) <= 0)
		return false;
	return dfa_accepts(dfa, n->b);
}

/* raw tracepoint sched_process_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm).
 * After the exec: comm is the new one, and the caller is the thread group leader. Before
 * the new program's first instruction: a process selected here is traced from its start. */
static __always_inline int proc_exec(struct bpf_raw_tracepoint_args *ctx, bool loop)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	bool traced = is_traced(tgid);
	if (!report_all_execs && !traced && !(loop && exe_match))
		return 0;
	struct task_struct *task = (struct task_struct *)ctx->args[0];
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
	__u32 ppid = BPF_CORE_READ(task, real_parent, tgid);
	struct beyla_proc_event *ev = proc_event(BEYLA_EV_PROC_EXEC, tgid, (__u32)id, ppid);
	if (!ev)
		return 0;
	const char *filename = BPF_CORE_READ(bprm, filename);
	long flen = bpf_probe_read_kernel_str(ev->filename, sizeof(ev->filename), filename);
	if (flen < 0)
		ev->filename[0] = 0;
	if (loop && exe_match && !traced && exec_selected(bprm, ev->filename, flen)) {
		struct beyla_proc_info info = {.flags = BEYLA_PROC_F_FOLLOW_CHILDREN};
		/* A full map leaves it to user space, which reports the error. */
		if (!bpf_map_update_elem(&traced_pids, &tgid, &info, BPF_NOEXIST)) {
			ev->flags |= BEYLA_PROC_EV_F_SELECTED;
			traced = true;
		}
	}
	if (!report_all_execs && !traced)
		return 0;
	emit(ctx, ev, sizeof(*ev));
	return 0;
}

SEC("raw_tracepoint/sched_process_exec")
int on_proc_exec(struct bpf_raw_tracepoint_args *ctx) { return proc_exec(ctx, false); }
/* The build with executable matching (bpf_loop): user space loads one of the two. */
SEC("raw_tracepoint/sched_process_exec")
int on_proc_exec_bpfloop(struct bpf_raw_tracepoint_args *ctx) { return proc_exec(ctx, true); }

/* raw tracepoint sched_process_exit(struct task_struct *p[, bool group_dead]). Fires per
 * thread; signal->live is already decremented, so 0 means the last thread is leaving. */
SEC("raw_tracepoint/sched_process_exit")
int on_proc_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	/* Whether traced or not: a thread may have state from an accept under port selection,
	 * or from before its process stopped being traced. */
	bpf_map_delete_elem(&threads, &id);
	if (!is_traced(tgid))
		return 0;
	struct task_struct *task = (struct task_struct *)ctx->args[0];
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	__u32 ppid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_map_delete_elem(&traced_pids, &tgid);
	struct beyla_proc_event *ev = proc_event(BEYLA_EV_PROC_EXIT, tgid, (__u32)id, ppid);
	if (!ev)
		return 0;
	emit(ctx, ev, sizeof(*ev));
	return 0;
}

/* ---------------------------------------------------------------- TLS libraries */

/*
 * OpenSSL (1.1 and 3.x, libssl.so.*), attached by user space to each library file found:
 *   int SSL_read(SSL *s, void *buf, int num);      int SSL_write(SSL *s, const void *buf, int num);
 *   int SSL_read_ex(SSL *s, void *buf, size_t num, size_t *readbytes);
 *   int SSL_write_ex(SSL *s, const void *buf, size_t num, size_t *written);
 * The _ex variants return 1 on success with the count in *readbytes / *written.
 */
static __always_inline int tls_enter(__u64 ssl, __u64 buf, __u64 out_len, __u8 write)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	struct thread_state *t = thread_get(id);
	if (!t)
		return 0;
	struct tls_call c = {};
	c.ts_enter = bpf_ktime_get_ns();
	c.ssl = ssl;
	c.buf = buf;
	c.out_len = out_len;
	c.fd = -1;
	c.write = write;
	c.active = 1;
	t->tls = c;
	return 0;
}

static __always_inline int tls_exit(void *ctx, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct thread_state *t = bpf_map_lookup_elem(&threads, &id);
	if (!t || !t->tls.active)
		return 0;
	struct tls_call c = t->tls;
	t->tls.active = 0;
	if (ret <= 0)
		return 0;
	__u64 bytes = ret;
	if (c.out_len) {
		if (bpf_probe_read_user(&bytes, sizeof(bytes), (const void *)c.out_len))
			return 0;
	}
	if (bytes == 0)
		return 0;

	struct tls_sess_key k = {.ssl = c.ssl, .tgid = id >> 32};
	if (c.sock_id) {
		struct tls_sess sess = {.sock_id = c.sock_id, .addr = c.addr, .fd = c.fd};
		bpf_map_update_elem(&tls_sessions, &k, &sess, BPF_ANY);
	} else {
		struct tls_sess known;
		struct tls_sess *sess = bpf_map_lookup_elem(&tls_sessions, &k);
		if (sess) {
			known = *sess;
		} else {
			/* No socket I/O in any call of this session yet (a memory BIO): the
			 * socket this thread last read, which carried its ciphertext. */
			known = t->last_read;
			if (!known.sock_id)
				return 0; /* nothing to tie it to */
			bpf_map_update_elem(&tls_sessions, &k, &known, BPF_ANY);
		}
		c.sock_id = known.sock_id;
		c.addr = known.addr;
		c.fd = known.fd;
	}
	return emit_tls_plaintext(ctx, id, c.fd, c.ts_enter, c.sock_id, &c.addr, c.buf, bytes, c.write, true);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_enter, void *ssl, void *buf, int num)
{
	return tls_enter((__u64)ssl, (__u64)buf, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_enter, void *ssl, const void *buf, int num)
{
	return tls_enter((__u64)ssl, (__u64)buf, 0, 1);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_ex_enter, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
	return tls_enter((__u64)ssl, (__u64)buf, (__u64)readbytes, 0);
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_ex_enter, void *ssl, const void *buf, __u64 num, __u64 *written)
{
	return tls_enter((__u64)ssl, (__u64)buf, (__u64)written, 1);
}

/* Shared by all four: the _ex ones return 1 and the count comes from out_len. */
/* BPF_KPROBE/BPF_KRETPROBE only unpack pt_regs: the same for user probes. */
SEC("uretprobe")
int BPF_KRETPROBE(ssl_rw_exit, int ret)
{
	return tls_exit(ctx, ret);
}

#include "tls_libs.bpf.h"
#include "lib_map.bpf.h"
