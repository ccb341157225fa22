/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Libraries mapped after tracing began (dlopen): an executable file mapping made by a
 * traced process tells user space to look at its /proc/PID/maps again for TLS libraries
 * to probe. Only with TLS on (user space does not even load it otherwise); the event
 * goes out at entry, so user space looks again a little later too.
 */
#ifndef BEYLA_BPF_LIB_MAP_H
#define BEYLA_BPF_LIB_MAP_H

#define BEYLA_PROT_EXEC 0x4
#define BEYLA_MAP_ANONYMOUS 0x20

/* mmap(addr, len, prot, flags, fd, off) */
SEC("tracepoint/syscalls/sys_enter_mmap")
int tls_lib_mmap(struct sys_enter_ctx *ctx)
{
	if (!tls_enabled)
		return 0;
	__u64 prot = ctx->args[2], flags = ctx->args[3];
	__s32 fd = (__s32)ctx->args[4];
	/* ld.so maps each library's code once, executable and from its fd. */
	if (!(prot & BEYLA_PROT_EXEC) || (flags & BEYLA_MAP_ANONYMOUS) || fd < 0)
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	struct beyla_event_header h = {};
	__u64 now = bpf_ktime_get_ns();
	fill_header(&h, BEYLA_EV_LIB_MAP, id, fd, now, now, 0);
	emit(ctx, &h, sizeof(h));
	return 0;
}

#endif /* BEYLA_BPF_LIB_MAP_H */
