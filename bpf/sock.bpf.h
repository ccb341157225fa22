/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * From a file descriptor of the current task to its TCP or unix-domain stream socket. Two builds of the same
 * programs (user space loads the first that the kernel takes):
 *  - BEYLA_TASK_BTF (socket_trace_btf.bpf.c): typed pointers from bpf_get_current_task_btf()
 *    and the bpf_rdonly_cast kfunc (6.2+, kernel BTF), so that the walk is plain loads
 *    checked by the verifier instead of a helper call per field: ~70 ns less per syscall.
 *  - otherwise: CO-RE bpf_probe_read_kernel() per field, any kernel with BTF (or a BTF file).
 */
#ifndef BEYLA_SOCK_BPF_H
#define BEYLA_SOCK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "socket_trace.h"

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif
#ifndef AF_UNIX
#define AF_UNIX 1
#endif
#ifndef SOCK_STREAM
#define SOCK_STREAM 1
#endif
#ifndef S_IFMT
#define S_IFMT 00170000
#endif
#ifndef S_IFSOCK
#define S_IFSOCK 0140000
#endif

struct sock_ref {
	struct sock *sk;
	/* Inode number of the socket: unique while the socket lives and not reused soon
	 * after. The sk address is not an identity: TCP sockets come from a
	 * SLAB_TYPESAFE_BY_RCU cache, so the next connection often gets the same address. */
	__u64 id;
};

#ifdef BEYLA_TASK_BTF
/* No __weak: on a kernel without it, libbpf refuses the object before the verifier sees it. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* True when fd is an AF_INET/AF_INET6 TCP socket of the current task. */
static __always_inline bool fd_to_tcp_sock(__s64 fd, struct sock_ref *out)
{
	if (fd < 0 || fd > 0x7fffffff)
		return false;
	struct task_struct *task = bpf_get_current_task_btf();
	struct files_struct *files = task->files;
	if (!files)
		return false;
	struct fdtable *fdt = files->fdt;
	if (!fdt || (__u64)fd >= fdt->max_fds)
		return false;
	/* fdt->fd is a pointer to pointers, which the verifier types as a number: one read,
	 * then the cast types the entry again. */
	struct file **fds = fdt->fd;
	struct file *entry = NULL;
	if (bpf_probe_read_kernel(&entry, sizeof(entry), &fds[fd]) || !entry)
		return false;
	struct file *file = bpf_rdonly_cast(entry, bpf_core_type_id_kernel(struct file));
	struct inode *inode = file->f_inode;
	if (!inode)
		return false;
	/* Files, pipes, eventfds... stop here: only sockets reach private_data as a socket. */
	if ((inode->i_mode & S_IFMT) != S_IFSOCK)
		return false;
	struct socket *sock = bpf_rdonly_cast(file->private_data, bpf_core_type_id_kernel(struct socket));
	if (!sock)
		return false;
	struct sock *sk = sock->sk;
	if (!sk)
		return false;
	__u16 family = sk->__sk_common.skc_family;
	/* A plain u16 on every kernel with bpf_rdonly_cast (they were bitfields before 5.6). */
	if (family == AF_UNIX) {
		if (sk->sk_type != SOCK_STREAM)
			return false;
	} else if (family != AF_INET && family != AF_INET6) {
		return false;
	} else if (sk->sk_protocol != IPPROTO_TCP) {
		return false;
	}
	out->sk = sk;
	out->id = inode->i_ino;
	return true;
}
#else
/* True when fd is an AF_INET/AF_INET6 TCP socket of the current task. */
static __always_inline bool fd_to_tcp_sock(__s64 fd, struct sock_ref *out)
{
	if (fd < 0 || fd > 0x7fffffff)
		return false;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt)
		return false;
	unsigned int max_fds = BPF_CORE_READ(fdt, max_fds);
	if ((__u64)fd >= max_fds)
		return false;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return false;
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	if (!inode)
		return false;
	/* Files, pipes, eventfds... stop here: only sockets reach private_data as a socket. */
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFSOCK)
		return false;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return false;
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return false;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	/* sk_protocol and sk_type were bitfields before 5.6 and u16s since: the probed
	 * bitfield reads handle both layouts. */
	if (family == AF_UNIX) {
		__u64 type = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_type);
		if (type != SOCK_STREAM)
			return false;
	} else if (family != AF_INET && family != AF_INET6) {
		return false;
	} else {
		__u64 proto = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
		if (proto != IPPROTO_TCP)
			return false;
	}
	out->sk = sk;
	out->id = BPF_CORE_READ(inode, i_ino);
	return true;
}
#endif /* BEYLA_TASK_BTF */

/* CO-RE views of the unix socket and of the inode allocated with each socket: relocated
 * against the kernel's own types, and left out where the kernel has none (unix built as a
 * module has no types in vmlinux's BTF). */
struct unix_sock___beyla {
	struct sock *peer;
} __attribute__((preserve_access_index));
struct socket_alloc___beyla {
	struct socket socket;
	struct inode vfs_inode;
} __attribute__((preserve_access_index));

/* Inode number of the socket sk belongs to, 0 when unknown. */
static __always_inline __u64 sock_ino(struct sock *sk)
{
	struct socket *s = BPF_CORE_READ(sk, sk_socket);
	if (!s || !bpf_core_field_exists(((struct socket_alloc___beyla *)0)->vfs_inode))
		return 0;
	struct socket_alloc___beyla *sa = (void *)s;
	return BPF_CORE_READ(sa, vfs_inode.i_ino);
}

/* A unix stream socket has no addresses of the kind TCP's have: laddr holds its own inode
 * number, raddr its peer's (8 bytes each, host order), from which user space finds the path
 * (/proc/net/unix lists a bound socket's, and an accepted socket's, by inode). */
static __always_inline void unix_addr(struct sock *sk, struct beyla_sockaddr *a)
{
	__u64 own = sock_ino(sk), peer_ino = 0;
	if (bpf_core_field_exists(((struct unix_sock___beyla *)0)->peer)) {
		struct unix_sock___beyla *u = (void *)sk;
		struct sock *peer = BPF_CORE_READ(u, peer);
		if (peer)
			peer_ino = sock_ino(peer);
	}
	__builtin_memcpy(a->laddr, &own, 8);
	__builtin_memcpy(a->raddr, &peer_ino, 8);
}

/* Local and remote address of sk; IPv4 as v4-mapped IPv6, ports in host order. */
#ifdef BEYLA_TASK_BTF
static __always_inline void sock_addr(struct sock *sk_in, struct beyla_sockaddr *a)
{
	__builtin_memset(a, 0, sizeof(*a));
	struct sock *sk = bpf_rdonly_cast(sk_in, bpf_core_type_id_kernel(struct sock));
	if (!sk)
		return;
	__u16 family = sk->__sk_common.skc_family;
	a->family = family;
	if (family == AF_UNIX) {
		unix_addr(sk_in, a);
		return;
	}
	a->lport = sk->__sk_common.skc_num; /* host order */
	a->rport = bpf_ntohs(sk->__sk_common.skc_dport);
	if (family == AF_INET6) {
		if (bpf_core_field_exists(sk->__sk_common.skc_v6_daddr)) {
			__builtin_memcpy(a->laddr, sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
			__builtin_memcpy(a->raddr, sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8, 16);
		}
		return;
	}
	a->laddr[10] = 0xff;
	a->laddr[11] = 0xff;
	a->raddr[10] = 0xff;
	a->raddr[11] = 0xff;
	__u32 l = sk->__sk_common.skc_rcv_saddr, r = sk->__sk_common.skc_daddr;
	__builtin_memcpy(&a->laddr[12], &l, 4);
	__builtin_memcpy(&a->raddr[12], &r, 4);
}
#else
static __always_inline void sock_addr(struct sock *sk, struct beyla_sockaddr *a)
{
	__builtin_memset(a, 0, sizeof(*a));
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	a->family = family;
	if (family == AF_UNIX) {
		unix_addr(sk, a);
		return;
	}
	a->lport = BPF_CORE_READ(sk, __sk_common.skc_num); /* host order */
	a->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET6) {
		/* Kernels without CONFIG_IPV6 have no such fields, and no AF_INET6 sockets. */
		if (bpf_core_field_exists(sk->__sk_common.skc_v6_daddr)) {
			bpf_core_read(&a->laddr, sizeof(a->laddr), &sk->__sk_common.skc_v6_rcv_saddr);
			bpf_core_read(&a->raddr, sizeof(a->raddr), &sk->__sk_common.skc_v6_daddr);
		}
		return;
	}
	a->laddr[10] = 0xff;
	a->laddr[11] = 0xff;
	a->raddr[10] = 0xff;
	a->raddr[11] = 0xff;
	bpf_core_read(&a->laddr[12], 4, &sk->__sk_common.skc_rcv_saddr);
	bpf_core_read(&a->raddr[12], 4, &sk->__sk_common.skc_daddr);
}
#endif /* BEYLA_TASK_BTF */

#endif /* BEYLA_SOCK_BPF_H */
