/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * HTTP/2 header fields from inside Go programs: where Go's own HTTP/2 code encodes a header
 * block, and once it has decoded one, the fields are plain (name, value) strings, whatever
 * HPACK's dynamic table made of them on the wire. A connection joined late cannot decode
 * its wire blocks (the table is unknown); these probes give their fields anyway.
 *
 *   decoded: net/http (*http2serverConn).processHeaders, (*http2clientConnReadLoop).processHeaders,
 *            grpc transport (*http2Server).operateHeaders, (*http2Client).operateHeaders:
 *            receiver in RAX, *MetaHeadersFrame in RBX (its Fields slice and stream id).
 *   encoded: net/http (*http2writeResHeaders).writeFrame, (*http2clientStream).encodeAndWriteHeaders,
 *            grpc (*loopyWriter).writeHeader: the entry saves (socket, stream) by goroutine;
 *            each hpack.(*Encoder).WriteField(f HeaderField) on that goroutine is a field
 *            (f.Name in RBX/RCX, f.Value in RDI/RSI); a RET of the function ends the block.
 *
 * Go 1.17+ register ABI on amd64, R14 = g. Struct offsets come from the executable's DWARF
 * through the go_h2_probes slot named by the attach cookie. The connection is the receiver's
 * net.Conn: a *net.TCPConn, or a *crypto/tls.Conn over one.
 *
 * Included from socket_trace.bpf.c after go_tls.bpf.h.
 */
#ifndef BEYLA_GO_HTTP2_BPF_H
#define BEYLA_GO_HTTP2_BPF_H

#include "go_http2.h"

#if defined(__TARGET_ARCH_x86)

/* hpack.HeaderField{Name, Value string; Sensitive bool}: the package's exported layout. */
#define GO_HPACK_FIELD_SIZE 40
#define GO_HPACK_FIELD_VALUE 16
/* FrameHeader.Flags: END_STREAM. */
#define GO_H2_FLAG_END_STREAM 0x1

/* Per entry probe: how to read its function. Array: filled once at attach. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BEYLA_GO_H2_PROBES);
	__type(key, __u32);
	__type(value, struct beyla_go_h2_probe);
} go_h2_probes SEC(".maps");

struct go_h2_enc {
	__u64 sock_id;
	__s32 fd;
	__u32 stream_id;
	__u8 role;
	__u8 end_stream; /* known for grpc's writeHeader(streamID, endStream, ...) only */
	__u8 _pad[6];
};

/* Goroutines inside a probed encoding function, by (g, tgid) like go_tls_calls. LRU: a
 * goroutine that never reaches a RET (panic, probes attached mid-call) must not hold a
 * slot. 8192 goroutines. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct go_tls_key);
	__type(value, struct go_h2_enc);
} go_h2_encoding SEC(".maps");

/* Header events are ~400 bytes: built here, not on the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct beyla_h2_header_event);
} go_h2_scratch SEC(".maps");

static __always_inline struct beyla_h2_header_event *go_h2_event(__u64 id, __u64 sock_id, __s32 fd,
								  __u32 stream, __u8 dir, __u8 role)
{
	__u32 zero = 0;
	struct beyla_h2_header_event *ev = bpf_map_lookup_elem(&go_h2_scratch, &zero);
	if (!ev)
		return NULL;
	__u64 now = bpf_ktime_get_ns();
	fill_header(&ev->hdr, BEYLA_EV_HTTP2_HEADER, id, fd, now, now, sock_id);
	ev->stream_id = stream;
	ev->direction = dir;
	ev->role = role;
	ev->flags = 0;
	ev->name_len = ev->value_len = 0;
	ev->name_captured = 0;
	ev->value_captured = 0;
	return ev;
}

/* Copies a Go string's bytes into the event. false: the read faulted (counted). */
static __always_inline bool go_h2_strings(struct beyla_h2_header_event *ev, __u64 name, __u64 name_len,
					  __u64 value, __u64 value_len)
{
	__u32 n = name_len < BEYLA_H2_NAME_MAX ? name_len : BEYLA_H2_NAME_MAX;
	__u32 v = value_len < BEYLA_H2_VALUE_MAX ? value_len : BEYLA_H2_VALUE_MAX;
	ev->name_len = name_len > 0xffffffffULL ? 0xffffffff : (__u32)name_len;
	ev->value_len = value_len > 0xffffffffULL ? 0xffffffff : (__u32)value_len;
	barrier_var(n);
	barrier_var(v);
	if (n > BEYLA_H2_NAME_MAX || v > BEYLA_H2_VALUE_MAX)
		return false;
	if ((n && bpf_probe_read_user(ev->name, n, (const void *)name)) ||
	    (v && bpf_probe_read_user(ev->value, v, (const void *)value))) {
		count(BEYLA_CNT_READ_FAULT);
		return false;
	}
	ev->name_captured = n;
	ev->value_captured = v;
	ev->flags |= BEYLA_H2_F_FIELD;
	return true;
}

/* The socket of the connection the probed object belongs to: the object, `hops` pointers
 * on, holds a net.Conn; a *crypto/tls.Conn is followed to its own net.Conn; it must end at
 * a *net.TCPConn (netFD.Sysfd, as in go_tls.bpf.h). */
static __always_inline bool go_h2_socket(const struct beyla_go_h2_probe *p, __u64 bias, __u64 obj,
					 struct sock_ref *ref, __s32 *fd)
{
	__u8 hops = p->hops;
	for (int i = 0; i < BEYLA_GO_H2_MAX_HOPS; i++) {
		if (i >= hops)
			break;
		if (!obj || bpf_probe_read_user(&obj, sizeof(obj), (const void *)(obj + p->hop_off[i])))
			return false;
	}
	__u64 iface[2];
	if (!obj || bpf_probe_read_user(iface, sizeof(iface), (const void *)(obj + p->conn_off)))
		return false;
	if (p->tls_conn_itab && iface[0] == p->tls_conn_itab + bias) {
		if (!iface[1] ||
		    bpf_probe_read_user(iface, sizeof(iface), (const void *)(iface[1] + p->tls_conn_off)))
			return false;
	}
	if (iface[0] != p->tcp_conn_itab + bias || !iface[1])
		return false; /* another net.Conn (unix socket, a wrapper): no fd to tie it to */
	__u64 netfd = 0;
	__s64 sysfd = -1;
	if (bpf_probe_read_user(&netfd, sizeof(netfd), (const void *)iface[1]) || !netfd ||
	    bpf_probe_read_user(&sysfd, sizeof(sysfd), (const void *)(netfd + GO_NETFD_SYSFD_OFFSET)))
		return false;
	if (!fd_to_tcp_sock(sysfd, ref))
		return false;
	*fd = (__s32)sysfd;
	return true;
}

static __always_inline const struct beyla_go_h2_probe *go_h2_probe(struct pt_regs *ctx, __u64 *bias)
{
	__u32 slot = (__u32)bpf_get_attach_cookie(ctx);
	const struct beyla_go_h2_probe *p = bpf_map_lookup_elem(&go_h2_probes, &slot);
	if (!p || !p->kind)
		return NULL;
	/* The entry probe's ip is the function's first instruction: PIE or not, ip minus its
	 * link-time address is what every link-time address moves by. */
	*bias = ctx->ip - p->func_vaddr;
	return p;
}

/* Decoded header blocks: one event per field, the last one flagged END. */
SEC("uprobe")
int go_h2_decoded(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	__u64 bias;
	const struct beyla_go_h2_probe *p = go_h2_probe(ctx, &bias);
	if (!p || p->kind != BEYLA_GO_H2_DECODED)
		return 0;
	struct sock_ref ref = {};
	__s32 fd = -1;
	if (!go_h2_socket(p, bias, ctx->ax, &ref, &fd))
		return 0;
	__u64 frame = ctx->bx;
	__u64 hf = 0;
	__u64 fields[2]; /* slice data, len */
	__u32 stream = 0;
	__u8 fflags = 0;
	if (!frame || bpf_probe_read_user(&hf, sizeof(hf), (const void *)(frame + p->frame_hdr_off)) || !hf ||
	    bpf_probe_read_user(fields, sizeof(fields), (const void *)(frame + p->fields_off)) ||
	    bpf_probe_read_user(&stream, sizeof(stream), (const void *)(hf + p->streamid_off)) ||
	    bpf_probe_read_user(&fflags, sizeof(fflags), (const void *)(hf + p->flags_off))) {
		count(BEYLA_CNT_READ_FAULT);
		return 0;
	}
	__u8 end = BEYLA_H2_F_END | ((fflags & GO_H2_FLAG_END_STREAM) ? BEYLA_H2_F_END_STREAM : 0);
	__u64 n = fields[1];
	for (int i = 0; i < BEYLA_GO_H2_MAX_FIELDS; i++) {
		if (i >= n)
			break;
		struct beyla_h2_header_event *ev = go_h2_event(id, ref.id, fd, stream, BEYLA_DIR_INGRESS, p->role);
		if (!ev)
			return 0;
		__u64 f[4]; /* Name ptr, len, Value ptr, len */
		if (bpf_probe_read_user(f, sizeof(f), (const void *)(fields[0] + i * GO_HPACK_FIELD_SIZE))) {
			count(BEYLA_CNT_READ_FAULT);
			ev->flags = 0;
		} else {
			go_h2_strings(ev, f[0], f[1], f[2], f[3]);
		}
		if (i + 1 == n || i + 1 == BEYLA_GO_H2_MAX_FIELDS) {
			ev->flags |= end;
			if (n > BEYLA_GO_H2_MAX_FIELDS) {
				ev->flags |= BEYLA_H2_F_CUT;
				count(BEYLA_CNT_TRUNCATED);
			}
		}
		emit(ctx, ev, sizeof(*ev));
	}
	if (n == 0) {
		struct beyla_h2_header_event *ev = go_h2_event(id, ref.id, fd, stream, BEYLA_DIR_INGRESS, p->role);
		if (!ev)
			return 0;
		ev->flags = end;
		emit(ctx, ev, sizeof(*ev));
	}
	return 0;
}

/* Entry of an encoding function: its socket and stream, for the WriteField calls below. */
SEC("uprobe")
int go_h2_encode_enter(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	__u64 bias;
	const struct beyla_go_h2_probe *p = go_h2_probe(ctx, &bias);
	if (!p || (p->kind != BEYLA_GO_H2_ENCODE_REG && p->kind != BEYLA_GO_H2_ENCODE_MEM))
		return 0;
	/* Both registers read up front: a pointer into ctx chosen by a branch would be a
	 * modified ctx pointer, which the verifier refuses. */
	__u64 ax = ctx->ax, bx = ctx->bx, cx = ctx->cx;
	barrier_var(ax);
	barrier_var(cx);
	__u64 obj = ax;
	if (p->obj == BEYLA_GO_H2_OBJ_IFACE_RBX) {
		if (bx != p->obj_itab + bias)
			return 0; /* another writeContext than the server connection */
		obj = cx;
	}
	struct go_h2_enc e = {};
	if (p->kind == BEYLA_GO_H2_ENCODE_REG) {
		e.stream_id = (__u32)bx;
		e.end_stream = cx & 1;
	} else if (bpf_probe_read_user(&e.stream_id, sizeof(e.stream_id), (const void *)(ax + p->stream_off))) {
		count(BEYLA_CNT_READ_FAULT);
		return 0;
	}
	struct sock_ref ref = {};
	if (!go_h2_socket(p, bias, obj, &ref, &e.fd))
		return 0;
	e.sock_id = ref.id;
	e.role = p->role;
	if (e.role == BEYLA_ROLE_UNKNOWN) {
		__s64 side = -1;
		if (!bpf_probe_read_user(&side, sizeof(side), (const void *)(ax + p->side_off)))
			e.role = side == 0 ? BEYLA_ROLE_CLIENT : side == 1 ? BEYLA_ROLE_SERVER : BEYLA_ROLE_UNKNOWN;
	}
	struct go_tls_key k = {.g = ctx->r14, .tgid = id >> 32};
	bpf_map_update_elem(&go_h2_encoding, &k, &e, BPF_ANY);
	return 0;
}

/* hpack.(*Encoder).WriteField(f HeaderField): a field of the block being encoded, if this
 * goroutine is inside a probed encoding function (the encoder serves other callers too). */
SEC("uprobe")
int go_h2_write_field(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct go_tls_key k = {.g = ctx->r14, .tgid = id >> 32};
	struct go_h2_enc *p = bpf_map_lookup_elem(&go_h2_encoding, &k);
	if (!p)
		return 0;
	struct go_h2_enc e = *p;
	struct beyla_h2_header_event *ev = go_h2_event(id, e.sock_id, e.fd, e.stream_id, BEYLA_DIR_EGRESS, e.role);
	if (!ev)
		return 0;
	if (!go_h2_strings(ev, ctx->bx, ctx->cx, ctx->di, ctx->si))
		ev->flags = 0; /* still sent: the block's field count stays true */
	emit(ctx, ev, sizeof(*ev));
	return 0;
}

/* Every RET of an encoding function: the block is complete. */
SEC("uprobe")
int go_h2_encode_ret(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct go_tls_key k = {.g = ctx->r14, .tgid = id >> 32};
	struct go_h2_enc *p = bpf_map_lookup_elem(&go_h2_encoding, &k);
	if (!p)
		return 0;
	struct go_h2_enc e = *p;
	bpf_map_delete_elem(&go_h2_encoding, &k);
	struct beyla_h2_header_event *ev = go_h2_event(id, e.sock_id, e.fd, e.stream_id, BEYLA_DIR_EGRESS, e.role);
	if (!ev)
		return 0;
	ev->flags = BEYLA_H2_F_END | (e.end_stream ? BEYLA_H2_F_END_STREAM : 0);
	emit(ctx, ev, sizeof(*ev));
	return 0;
}

#endif
#endif /* BEYLA_GO_HTTP2_BPF_H */
