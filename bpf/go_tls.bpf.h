/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Go crypto/tls, attached by user space to each Go executable of a traced process
 * (lib/tls/go_binary.cc finds the functions and their RET instructions):
 *   func (c *Conn) Read(b []byte) (int, error)      func (c *Conn) Write(b []byte) (int, error)
 * Go 1.17+ register ABI on amd64: c in RAX, b's pointer in RBX (length in RCX), the
 * current goroutine (g) in R14; at return, n in RAX.
 *
 * The entry uprobe saves the call keyed by goroutine, not thread: a goroutine that blocks
 * in Read resumes on whatever thread the scheduler picks. Returns are uprobes on each RET
 * of the function, not uretprobes: those replace the return address on the stack, and Go
 * copies goroutine stacks when they grow.
 *
 * Included from socket_trace.bpf.c after its maps and helpers.
 */
#ifndef BEYLA_GO_TLS_BPF_H
#define BEYLA_GO_TLS_BPF_H

#if defined(__TARGET_ARCH_x86)

/* tls.Conn's first field is `conn net.Conn`, an interface (itab, data). For a *net.TCPConn
 * data points at conn{fd *netFD}, and netFD starts with pfd poll.FD{fdmu fdMutex (16
 * bytes), Sysfd int}. Unchanged from Go 1.9 through at least 1.22 (go1.19 checked). */
#define GO_NETFD_SYSFD_OFFSET 16

struct go_tls_key {
	__u64 g; /* runtime.g of the calling goroutine */
	__u32 tgid;
	__u32 _pad;
};

struct go_tls_call {
	__u64 ts_enter;
	__u64 buf;
	__u64 sock_id;
	struct beyla_sockaddr addr;
	__s32 fd;
	__u8 write;
	__u8 _pad[3];
};

/* Goroutines inside a probed Read/Write. LRU: a goroutine that never returns (its program
 * was killed, the probes came mid-call) must not hold a slot. 16384 goroutines. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct go_tls_key);
	__type(value, struct go_tls_call);
} go_tls_calls SEC(".maps");

static __always_inline int go_tls_enter(struct pt_regs *ctx, __u8 write)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	/* A read that faults loses the call: counted like a payload that could not be read. */
	__u64 iface[2];
	if (bpf_probe_read_user(iface, sizeof(iface), (const void *)ctx->ax)) {
		count(BEYLA_CNT_READ_FAULT);
		return 0;
	}
	/* The cookie is the link-time distance from this function to the *net.TCPConn itab:
	 * the same at run time, whatever the load address (PIE). The handler sees ip at the
	 * probed instruction, the function's first. Another conn type (a wrapper, a unix
	 * socket) has no fd to tie the plaintext to: not captured. */
	__u64 itab = ctx->ip + bpf_get_attach_cookie(ctx);
	if (iface[0] != itab || !iface[1])
		return 0;
	__u64 netfd = 0;
	__s64 sysfd = -1;
	if (bpf_probe_read_user(&netfd, sizeof(netfd), (const void *)iface[1]) || !netfd ||
	    bpf_probe_read_user(&sysfd, sizeof(sysfd), (const void *)(netfd + GO_NETFD_SYSFD_OFFSET))) {
		count(BEYLA_CNT_READ_FAULT);
		return 0;
	}
	struct sock_ref ref = {};
	if (!fd_to_tcp_sock(sysfd, &ref))
		return 0;

	struct go_tls_call c = {};
	c.ts_enter = bpf_ktime_get_ns();
	c.buf = ctx->bx;
	c.sock_id = ref.id;
	sock_addr(ref.sk, &c.addr);
	c.fd = (__s32)sysfd;
	c.write = write;
	/* Marked before the call's own syscalls run, so they are flagged as ciphertext. */
	struct sock_state *st = sock_state_get(ref.id);
	if (st)
		st->go_tls = 1;
	struct go_tls_key k = {.g = ctx->r14, .tgid = id >> 32};
	bpf_map_update_elem(&go_tls_calls, &k, &c, BPF_ANY);
	return 0;
}

SEC("uprobe")
int go_tls_read_enter(struct pt_regs *ctx)
{
	return go_tls_enter(ctx, 0);
}

SEC("uprobe")
int go_tls_write_enter(struct pt_regs *ctx)
{
	return go_tls_enter(ctx, 1);
}

/* On every RET of Read and Write: the plaintext as a data event of the socket, like the
 * OpenSSL return probe's (BEYLA_DATA_F_TLS, BEYLA_SYS_TLS_READ/_WRITE). */
SEC("uprobe")
int go_tls_ret(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct go_tls_key k = {.g = ctx->r14, .tgid = id >> 32};
	struct go_tls_call *p = bpf_map_lookup_elem(&go_tls_calls, &k);
	if (!p)
		return 0;
	/* Copy before deleting: an LRU element may be reused as soon as it is freed. */
	struct go_tls_call c = *p;
	bpf_map_delete_elem(&go_tls_calls, &k);
	__s64 n = (__s64)ctx->ax;
	if (n <= 0)
		return 0;
	__u64 bytes = (__u64)n;
	/* Without BEYLA_DATA_F_POS: Go's plaintext events carry no stream position. */
	return emit_tls_plaintext(ctx, id, c.fd, c.ts_enter, c.sock_id, &c.addr, c.buf, bytes, c.write, false);
}

#endif
#endif /* BEYLA_GO_TLS_BPF_H */
