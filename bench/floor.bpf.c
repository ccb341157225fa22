// SPDX-License-Identifier: GPL-2.0
/* The floor under any syscall-tracepoint tracer: programs that return at once, on exactly the
 * hooks bpf/socket_trace.bpf.c uses. What nginx loses with these attached is what enabling the
 * hooks costs before a single instruction of ours runs (every syscall of every task takes the
 * tracing slow path once a syscall tracepoint is on). Keep the list in step with that file. */
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

char LICENSE[] SEC("license") = "GPL";
