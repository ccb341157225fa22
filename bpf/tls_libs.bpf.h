/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * TLS libraries other than OpenSSL's own entry points, on the same tls_enter/tls_exit
 * path (included by socket_trace.bpf.c after them). OpenSSL or BoringSSL linked into an
 * executable needs no program of its own: the ssl_* programs attach there too.
 *
 * GnuTLS (libgnutls.so.30):
 *   ssize_t gnutls_record_recv(gnutls_session_t s, void *data, size_t size);
 *   ssize_t gnutls_record_send(gnutls_session_t s, const void *data, size_t size);
 * The session pointer is the session key, as SSL * is for OpenSSL.
 */
#ifndef BEYLA_BPF_TLS_LIBS_H
#define BEYLA_BPF_TLS_LIBS_H

SEC("uprobe")
int BPF_KPROBE(gnutls_recv_enter, void *session, void *data, __u64 size)
{
	return tls_enter((__u64)session, (__u64)data, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(gnutls_send_enter, void *session, const void *data, __u64 size)
{
	return tls_enter((__u64)session, (__u64)data, 0, 1);
}

/* ssize_t: a negative GNUTLS_E_* code or the byte count, which may exceed an int. */
SEC("uretprobe")
int BPF_KRETPROBE(gnutls_rw_exit, long ret)
{
	return tls_exit(ctx, ret);
}

#endif /* BEYLA_BPF_TLS_LIBS_H */
