// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/* socket_trace.bpf.c again, with the fd -> socket walk through typed kernel pointers
 * (bpf/sock.bpf.h): lib/source loads this build first and falls back to socket_trace. */
#define BEYLA_TASK_BTF 1
#include "socket_trace.bpf.c"
