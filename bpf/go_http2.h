/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How one probed function of a Go executable's HTTP/2 code is read (bpf/go_http2.bpf.h):
 * filled by lib/source/bpf_source_go.cc from the executable's symbols and DWARF, one slot
 * of the go_h2_probes map per attached entry probe (the attach cookie is the slot).
 * Fixed-width types: shared by both sides.
 */
#ifndef BEYLA_BPF_GO_HTTP2_H
#define BEYLA_BPF_GO_HTTP2_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Slots of go_h2_probes: entry probes of every probed executable together. */
#define BEYLA_GO_H2_PROBES 1024
/* Pointer hops from the probed object to the struct that holds the net.Conn. */
#define BEYLA_GO_H2_MAX_HOPS 3
/* Fields of one decoded header block sent; more are counted (BEYLA_H2_F_CUT). */
#define BEYLA_GO_H2_MAX_FIELDS 32

enum beyla_go_h2_kind {
	/* func (x *T) f(frame *MetaHeadersFrame, ...): x in RAX, frame in RBX; the frame holds
	 * the decoded fields and the stream id. */
	BEYLA_GO_H2_DECODED = 1,
	/* An encoding function: fields come from hpack.(*Encoder).WriteField calls made on the
	 * same goroutine until one of its RETs. Stream id in RBX (grpc loopyWriter.writeHeader). */
	BEYLA_GO_H2_ENCODE_REG = 2,
	/* Same, stream id a uint32 at stream_off of the object in RAX (net/http's
	 * http2clientStream, http2writeResHeaders). */
	BEYLA_GO_H2_ENCODE_MEM = 3,
};

/* Where the object that leads to the connection is. */
enum beyla_go_h2_obj {
	BEYLA_GO_H2_OBJ_RAX = 0,
	/* The data word of an interface argument in (RBX, RCX), whose itab must be obj_itab. */
	BEYLA_GO_H2_OBJ_IFACE_RBX = 1,
};

struct beyla_go_h2_probe {
	__u64 func_vaddr;    /* link-time address of the probed function: ip - it = load bias */
	__u64 tcp_conn_itab; /* link-time go.itab.*net.TCPConn,net.Conn */
	__u64 tls_conn_itab; /* go.itab.*crypto/tls.Conn,net.Conn; 0: none linked in */
	__u64 obj_itab;      /* BEYLA_GO_H2_OBJ_IFACE_RBX: the itab the argument must have */
	__u8 kind;           /* enum beyla_go_h2_kind */
	__u8 role;           /* enum beyla_role */
	__u8 obj;            /* enum beyla_go_h2_obj */
	__u8 hops;           /* pointers followed from the object: at hop_off[0..hops) */
	__u16 hop_off[BEYLA_GO_H2_MAX_HOPS];
	__u16 conn_off;      /* the net.Conn interface, in the struct the hops reach */
	__u16 stream_off;    /* ENCODE_MEM: the stream id in the object */
	__u16 tls_conn_off;  /* crypto/tls.Conn's own net.Conn */
	/* DECODED: MetaHeadersFrame -> *HeadersFrame at frame_hdr_off, Fields at fields_off;
	 * StreamID and Flags of the HeadersFrame's FrameHeader at streamid_off, flags_off. */
	__u16 frame_hdr_off;
	__u16 fields_off;
	__u16 streamid_off;
	__u16 flags_off;
	/* role UNKNOWN: the object's side (grpc loopyWriter.side: 0 client, 1 server) at side_off */
	__u16 side_off;
	__u16 _pad[3];
};

#endif /* BEYLA_BPF_GO_HTTP2_H */
