/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Events shared by bpf/socket_trace.bpf.c and user space. Fixed-width types only;
 * every struct is packed to the same layout on both sides (checked by static asserts
 * in lib/source/event_layout.cc).
 */
#ifndef BEYLA_BPF_SOCKET_TRACE_H
#define BEYLA_BPF_SOCKET_TRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Largest payload one event can carry. Power of two: the BPF side masks with it. */
#define BEYLA_MAX_PAYLOAD 16384
/* Default bytes copied per syscall (user-settable up to BEYLA_MAX_PAYLOAD). */
#define BEYLA_DEFAULT_PAYLOAD 4096
/* iovec entries walked per readv/writev/recvmsg/sendmsg on kernels without bpf_loop (5.17);
 * with it, every entry is (IOV_MAX = 1024), until the prefix is full. */
#define BEYLA_MAX_IOV 16
#define BEYLA_IOV_MAX 1024
#define BEYLA_COMM_LEN 16

enum beyla_event_type {
	BEYLA_EV_DATA = 1,       /* bytes read or written on a socket */
	BEYLA_EV_CONN_OPEN = 2,  /* accept/connect returned a connected socket */
	BEYLA_EV_CONN_CLOSE = 3, /* close() of an fd of a traced socket (also when dup'd fds remain) */
	BEYLA_EV_PROC_EXEC = 4,  /* some process exec'd: user space decides whether to trace it */
	BEYLA_EV_PROC_EXIT = 5,  /* a traced process exited */
	BEYLA_EV_PROC_FORK = 6,  /* a traced process forked: the child is traced */
	/* A traced process mapped a file executable (header only; fd = the mapped file):
	 * consumed by the BPF source, which looks for TLS libraries loaded later. */
	BEYLA_EV_LIB_MAP = 7,
	/* One HTTP/2 header field as a Go program's own HTTP/2 code encoded or decoded it
	 * (bpf/go_http2.bpf.h): struct beyla_h2_header_event. */
	BEYLA_EV_HTTP2_HEADER = 8,
};

enum beyla_direction {
	BEYLA_DIR_INGRESS = 0, /* the process read these bytes */
	BEYLA_DIR_EGRESS = 1,  /* the process wrote these bytes */
};

enum beyla_role {
	BEYLA_ROLE_UNKNOWN = 0,
	BEYLA_ROLE_SERVER = 1, /* accepted */
	BEYLA_ROLE_CLIENT = 2, /* connected */
};

enum beyla_syscall_id {
	BEYLA_SYS_READ = 1,
	BEYLA_SYS_WRITE,
	BEYLA_SYS_RECVFROM,
	BEYLA_SYS_SENDTO,
	BEYLA_SYS_READV,
	BEYLA_SYS_WRITEV,
	BEYLA_SYS_RECVMSG,
	BEYLA_SYS_SENDMSG,
	BEYLA_SYS_SENDFILE, /* bytes only: captured is always 0 */
	BEYLA_SYS_ACCEPT, /* accept and accept4 */
	BEYLA_SYS_CONNECT,
	BEYLA_SYS_CLOSE,
	BEYLA_SYS_RECVMMSG,
	BEYLA_SYS_SENDMMSG,
	BEYLA_SYS_TLS_READ,  /* plaintext returned by a TLS library's read (uretprobe) */
	BEYLA_SYS_TLS_WRITE, /* plaintext passed to a TLS library's write (uretprobe) */
};

/* Kernel-side drop and pass counters, one per-CPU array slot each. */
enum beyla_counter {
	BEYLA_CNT_RING_FULL = 0,   /* output to ring/perf buffer failed */
	BEYLA_CNT_READ_FAULT,      /* bpf_probe_read_user of the payload failed */
	BEYLA_CNT_TRUNCATED,       /* more bytes than the prefix: counted, not copied */
	BEYLA_CNT_ARGS_MISSING,    /* exit without a matching enter (attached mid-syscall) */
	BEYLA_CNT_EVENTS,          /* events submitted */
	BEYLA_CNT_MAX,
};

/* Socket addresses; IPv4 is stored as v4-mapped IPv6. Ports in host order. */
struct beyla_sockaddr {
	__u8 laddr[16];
	__u8 raddr[16];
	__u16 lport;
	__u16 rport;
	__u16 family; /* AF_INET, AF_INET6 or AF_UNIX (laddr/raddr: own and peer inode), 0 unknown */
	__u16 _pad;
};

struct beyla_event_header {
	__u32 type; /* enum beyla_event_type */
	__u32 tgid;
	__u32 tid;
	__s32 fd;
	__u64 ts_enter; /* CLOCK_MONOTONIC ns at syscall entry */
	__u64 ts_exit;  /* CLOCK_MONOTONIC ns at syscall exit (CONN_CLOSE, PROC_*: = ts_enter) */
	/* Identity of the kernel socket: its inode number (the N of "socket:[N]" in
	 * /proc/PID/fd). An fd reused by a new socket has another one; 0 for PROC_* events. */
	__u64 sock_id;
};

struct beyla_data_event {
	struct beyla_event_header hdr;
	struct beyla_sockaddr addr;
	__u64 bytes;    /* what the syscall returned: the true byte count */
	__u32 captured; /* bytes of payload that follow (<= bytes) */
	__u8 direction; /* enum beyla_direction */
	__u8 syscall;   /* enum beyla_syscall_id */
	__u8 role;      /* enum beyla_role: UNKNOWN for sockets opened before tracing began */
	__u8 flags;     /* BEYLA_DATA_F_* */
	char comm[BEYLA_COMM_LEN];
	/* With BEYLA_DATA_F_POS: the stream position of the first byte, i.e. the bytes this
	 * socket moved in this direction before this call (plaintext and socket bytes counted
	 * apart), counted in the kernel whether or not their events reached user space. A
	 * jump shows exactly how many bytes were lost. Starts at 0 when the socket is first
	 * seen or its counter was evicted (LRU). */
	__u64 pos;
	__u8 payload[]; /* `captured` bytes */
};

/* Fewer payload bytes than min(bytes, prefix): more iovec entries than were walked
 * (BEYLA_MAX_IOV without bpf_loop), or a read of user memory faulted. */
#define BEYLA_DATA_F_PARTIAL 0x1
/* recvmmsg/sendmmsg moved several messages: `bytes` is their total (of the first 8; PARTIAL
 * is set when there were more), the payload is a prefix of the first message only. */
#define BEYLA_DATA_F_MULTI_MSG 0x2
/* Plaintext from a TLS library probe: hdr.fd, sock_id and addr are those of the socket the
 * library's nested read/write used (or last used for the same TLS session). */
#define BEYLA_DATA_F_TLS 0x4
/* A read/write made inside a probed TLS library call: ciphertext. `bytes` is true, no
 * payload is copied (captured = 0), and it is not to be parsed. */
#define BEYLA_DATA_F_ENCRYPTED 0x8
/* `pos` is set. Events without it (older recordings, synthetic input) are not gap-checked. */
#define BEYLA_DATA_F_POS 0x10

struct beyla_conn_event {
	struct beyla_event_header hdr;
	struct beyla_sockaddr addr;
	__u8 role;    /* enum beyla_role */
	__u8 syscall; /* enum beyla_syscall_id */
	__u8 _pad[6];
	char comm[BEYLA_COMM_LEN];
};

/*
 * hdr.tgid is the process concerned: FORK: the new child (hdr.tid its first thread, ppid
 * the traced parent); EXEC: the process that exec'd; EXIT: the traced process whose last
 * thread exited (it is no longer traced).
 */
struct beyla_proc_event {
	struct beyla_event_header hdr; /* fd = -1, sock_id = 0 */
	__u32 ppid; /* tgid of the parent */
	__u32 flags; /* BEYLA_PROC_EV_F_* */
	char comm[BEYLA_COMM_LEN];
	char filename[256]; /* exec: the path given to execve, NUL-terminated; others: "" */
};

/* EXEC: the kernel matched the executable against the selection (struct beyla_exe_dfa)
 * and traces the process from its first syscall on. */
#define BEYLA_PROC_EV_F_SELECTED 0x1

/*
 * Executable globs compiled in user space into one DFA over bytes (their union), run by
 * the exec program over the path given to execve and over the executed file's own name.
 * State 0 rejects for good, state 1 is the start; next[s * 256 + c] is the state after
 * byte c. Only globs of literals and '*' are compiled (see lib/source/exe_dfa.h).
 */
#define BEYLA_EXE_DFA_STATES 256
struct beyla_exe_dfa {
	__u8 next[BEYLA_EXE_DFA_STATES * 256];
	__u8 accept[BEYLA_EXE_DFA_STATES]; /* 1: a glob matched the bytes so far */
};

/* Bytes of a header field's name and value carried by a BEYLA_EV_HTTP2_HEADER event; longer
 * ones are cut (their true length is still given). Powers of two: the BPF side masks. */
#define BEYLA_H2_NAME_MAX 64
#define BEYLA_H2_VALUE_MAX 256

/*
 * A header field of one HTTP/2 stream, taken from the process's own HTTP/2 library where it
 * encodes (direction EGRESS) or has decoded (INGRESS) a header block: whatever HPACK's
 * dynamic table held, which the wire bytes of a connection joined late cannot tell. hdr.fd
 * and sock_id are the connection's socket (ts_enter = ts_exit: when the probe ran). A block
 * comes as one event per field, in order; the last one has BEYLA_H2_F_END. An event without
 * BEYLA_H2_F_FIELD only ends its block (name/value empty).
 */
struct beyla_h2_header_event {
	struct beyla_event_header hdr;
	__u32 stream_id;
	__u32 name_len;       /* true lengths (> the captured bytes when cut) */
	__u32 value_len;
	__u16 value_captured; /* bytes of value[] that are set */
	__u8 name_captured;
	__u8 direction;       /* enum beyla_direction */
	__u8 role;            /* enum beyla_role: the side the probed code runs on */
	__u8 flags;           /* BEYLA_H2_F_* */
	__u8 _pad[6];
	char name[BEYLA_H2_NAME_MAX];
	char value[BEYLA_H2_VALUE_MAX];
};

#define BEYLA_H2_F_FIELD 0x1      /* name/value hold a field */
#define BEYLA_H2_F_END 0x2        /* the last event of its header block */
/* The block ends its stream (HEADERS with END_STREAM). Always known for decoded blocks; of
 * encoded ones only grpc's say it (net/http's encoders are not told). */
#define BEYLA_H2_F_END_STREAM 0x4
#define BEYLA_H2_F_CUT 0x8        /* the block had more fields than were sent */

/* Value of the traced-process map. */
struct beyla_proc_info {
	__u32 flags; /* BEYLA_PROC_F_* */
	__u32 _pad;
};
#define BEYLA_PROC_F_FOLLOW_CHILDREN 0x1

#endif /* BEYLA_BPF_SOCKET_TRACE_H */
