#!/usr/bin/python3
"""Writes the seed corpora in corpus/<target>/: real HTTP/1 exchanges, framed the way each
target reads its input (see the comment at the top of each fuzz_*.cc)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

REQS = [
    b"GET /index.html?x=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n",
    b"POST /api/items HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"name\":\"x\"}\n",
    b"PUT /up HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"HEAD / HTTP/1.0\r\n\r\n",
    b"GET /ws HTTP/1.1\r\nHost: d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
]
RESPS = [
    b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello",
    b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
    b"HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnot found",
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello",
]


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def chunks(data, size, ctl=0):
    out = b""
    for i in range(0, len(data), size):
        piece = data[i:i + size]
        out += bytes([ctl, len(piece)]) + piece
    return out


def http1_parse():
    for i, r in enumerate(REQS):
        write("http1_parse", f"req{i}", bytes([0]) + chunks(r, 255 if i % 2 else 7))
    for i, r in enumerate(RESPS):
        write("http1_parse", f"resp{i}", bytes([1 | (2 if i == 3 else 0)]) + chunks(r, 255 if i % 2 else 11))
    # A body of which only a prefix was captured: the gap is skipped by Content-Length.
    write("http1_parse", "resp_gap",
          bytes([1]) + bytes([0, 40]) + RESPS[0][:40] + bytes([1 | (4 << 1), 5]) + b"hello")


def http1_stitcher():
    # Server role: requests are ingress (ctl bit 0 = 0), responses egress (1).
    for i, (q, r) in enumerate(zip(REQS, RESPS)):
        write("http1_stitcher", f"pair{i}", bytes([1]) + chunks(q, 200) + chunks(r, 200, 1))
    pipelined = bytes([1]) + chunks(REQS[0] + REQS[1], 255) + chunks(RESPS[0] + RESPS[1], 255, 1)
    write("http1_stitcher", "pipelined", pipelined)
    # Role unknown, set late; a client connection.
    write("http1_stitcher", "late_role", bytes([0]) + chunks(REQS[0], 30) + bytes([0xff, 0xff]) + chunks(RESPS[0], 30, 1))
    write("http1_stitcher", "client", bytes([2]) + chunks(REQS[1], 100, 1) + chunks(RESPS[1], 100, 0))


def data_stream():
    def append(data, gap=0):
        return bytes([0, len(data)]) + data + struct.pack("<H", gap)
    write("data_stream", "appends", bytes([3]) + append(REQS[0][:60]) + append(REQS[0][60:], 100) + bytes([1]) + struct.pack("<H", 70) + bytes([2, 5, 0, 0]))
    write("data_stream", "small_cap", bytes([1]) + append(RESPS[0][:50]) + append(RESPS[0][50:]) + bytes([3]) + append(b"x" * 10, 5))
    write("data_stream", "release", bytes([2]) + append(b"abc", 1000) + bytes([4]) + append(b"def"))


CAPS = {
    "kernel_release": (0, b"4.18.0-348.el8.x86_64"),
    "os_release": (1, b'NAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'),
    "os_release_rhel": (1, b'NAME="Red Hat Enterprise Linux"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="8.5"\n'),
    "lockdown": (2, b"none [integrity] confidentiality\n"),
    "cmdline": (3, b"BOOT_IMAGE=/vmlinuz-6.1.0 root=UUID=1 ro quiet lockdown=integrity\n"),
    "status": (4, b"Name:\tcat\nUmask:\t0022\nState:\tR (running)\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n"),
    "limits": (5, b"Limit                     Soft Limit           Hard Limit           Units     \nMax locked memory         8388608              8388608              bytes     \nMax open files            1024                 524288               files     \n"),
    "limits_unlimited": (5, b"Limit                     Soft Limit           Hard Limit           Units     \nMax locked memory         unlimited            unlimited            bytes     \n"),
    "config": (6, b"#\n# Automatically generated file; DO NOT EDIT.\nCONFIG_BPF=y\nCONFIG_BPF_SYSCALL=y\n# CONFIG_BPF_JIT_ALWAYS_ON is not set\nCONFIG_HZ=250\nCONFIG_DEFAULT_HOSTNAME=\"(none)\"\n"),
    "bytes": (7, struct.pack(">Q", 8 << 20)),
}


def caps_parsers():
    for name, (sel, text) in CAPS.items():
        write("caps_parsers", name, bytes([sel]) + text)


# Raw events, laid out as bpf/socket_trace.h (little endian, x86_64/arm64).
def header(typ, tgid, fd, sock, ts, ts_exit=None):
    return struct.pack("<IIIiQQQ", typ, tgid, tgid, fd, ts, ts if ts_exit is None else ts_exit, sock)


def sockaddr(lport=8080, rport=40000):
    v4 = b"\0" * 10 + b"\xff\xff" + bytes([127, 0, 0, 1])
    return v4 + v4 + struct.pack("<HHHH", lport, rport, 2, 0)


def data_ev(tgid, fd, sock, direction, ts, payload, total=None, role=1, pos=None):
    """pos: the stream position (sets BEYLA_DATA_F_POS), or None for an event without one."""
    total = len(payload) if total is None else total
    flags = 0 if pos is None else 0x10
    return (header(1, tgid, fd, sock, ts, ts + 1000) + sockaddr() +
            struct.pack("<QIBBBB", total, len(payload), direction, 1 if direction == 0 else 2, role, flags) +
            b"nginx".ljust(16, b"\0") + struct.pack("<Q", pos or 0) + payload)


def conn_ev(typ, tgid, fd, sock, ts, role=1):
    return header(typ, tgid, fd, sock, ts, ts + 100) + sockaddr() + struct.pack("<BB6x", role, 10) + b"nginx".ljust(16, b"\0")


def proc_ev(typ, tgid, ts, filename=b""):
    return header(typ, tgid, -1, 0, ts) + struct.pack("<II", 1, 0) + b"nginx".ljust(16, b"\0") + filename.ljust(256, b"\0")


def records(*evs):
    return b"".join(struct.pack("<H", len(e)) + e for e in evs)


def event_decoder():
    ts = 1_000_000
    for i, (q, r) in enumerate(zip(REQS, RESPS)):
        write("event_decoder", f"exchange{i}", bytes([0]) + records(
            conn_ev(2, 100, 7, 0xabc, ts), data_ev(100, 7, 0xabc, 0, ts + 1000, q),
            data_ev(100, 7, 0xabc, 1, ts + 5000, r), conn_ev(3, 100, 7, 0xabc, ts + 9000)))
    # An fd reused by another socket, a truncated capture, exec/fork/exit.
    write("event_decoder", "fd_reuse", bytes([1]) + records(
        data_ev(100, 7, 1, 0, ts, REQS[0]), conn_ev(3, 100, 7, 1, ts + 10),
        data_ev(100, 7, 2, 0, ts + 20, REQS[1]), data_ev(100, 7, 2, 1, ts + 30, RESPS[1])))
    write("event_decoder", "truncated", bytes([2]) + records(
        data_ev(100, 7, 3, 0, ts, REQS[0]), data_ev(100, 7, 3, 1, ts + 50, RESPS[0][:40], total=5000)))
    # Stream positions: a response lost in between (a gap), then one that goes back.
    a, b = REQS[0], RESPS[0]
    write("event_decoder", "positions", bytes([0]) + records(
        data_ev(100, 7, 4, 0, ts, a, pos=0), data_ev(100, 7, 4, 1, ts + 10, b, pos=0),
        data_ev(100, 7, 4, 0, ts + 20, a, pos=len(a)), data_ev(100, 7, 4, 0, ts + 40, a, pos=2 * len(a)),
        data_ev(100, 7, 4, 1, ts + 50, b, pos=2 * len(b)), data_ev(100, 7, 4, 1, ts + 60, b, pos=0)))
    write("event_decoder", "procs", bytes([0]) + records(
        proc_ev(4, 200, ts, b"/usr/sbin/nginx"), proc_ev(6, 201, ts + 1), data_ev(201, 3, 9, 0, ts + 2, REQS[3]),
        data_ev(201, 3, 9, 1, ts + 3, RESPS[3]), proc_ev(5, 201, ts + 4)))


# HTTP/2: frames and HPACK blocks (RFC 9113, RFC 7541 Appendix C).
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def h2_frame(typ, flags, sid, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([typ, flags]) + struct.pack(">I", sid) + payload


def hp_lit(name_index, value):
    return bytes([name_index]) + bytes([len(value)]) + value


def h2_request(method_index, path, extra=b""):
    return bytes([0x80 | method_index, 0x86]) + hp_lit(4, path) + hp_lit(1, b"localhost") + extra


GRPC_CT = bytes([0x40 | 31, 16]) + b"application/grpc"
RFC7541_BLOCKS = [
    "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
    "8286 84be 5808 6e6f 2d63 6163 6865",
    "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
    "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
    "8286 84be 5886 a8eb 1064 9cbf",
    "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
    "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7"
    " 8f0b 97c8 e9ae 82ae 43d3",
    "4883 640e ffc1 c0bf",
]


def http2_frames():
    settings = h2_frame(4, 0, 0, struct.pack(">HI", 3, 100))
    ack = h2_frame(4, 1, 0, b"")
    get = h2_frame(1, 5, 1, h2_request(2, b"/index.html?x=1"))
    post = h2_frame(1, 4, 3, h2_request(3, b"/svc.S/M", GRPC_CT)) + h2_frame(0, 1, 3, b"\0\0\0\0\2hi")
    resp = h2_frame(1, 4, 1, b"\x88") + h2_frame(0, 1, 1, b"hello")
    grpc_resp = (h2_frame(1, 4, 3, b"\x88" + GRPC_CT) + h2_frame(0, 0, 3, b"\0\0\0\0\2ok") +
                 h2_frame(1, 5, 3, b"\x00\x0bgrpc-status\x0214"))
    client = H2_PREFACE + settings + ack + get + post
    server = settings + ack + resp + grpc_resp
    # Server role: the client's bytes are ingress (ctl bit 0 = 0), the server's egress.
    write("http2_frames", "prior_knowledge", bytes([1]) + chunks(client, 200) + chunks(server, 200, 1))
    write("http2_frames", "small_chunks", bytes([1]) + chunks(client, 5) + chunks(server, 3, 1))
    write("http2_frames", "client_role", bytes([2]) + chunks(client, 100, 1) + chunks(server, 100, 0))
    # Joined late, role set afterwards; then a DATA payload in a gap and a loss.
    write("http2_frames", "late", bytes([0]) + chunks(get + post, 64) + bytes([0xff, 0]) + chunks(resp + grpc_resp, 64, 1))
    big = h2_frame(0, 1, 1, b"x" * 3000)
    write("http2_frames", "gap", bytes([1]) + chunks(client, 255) + chunks(h2_frame(1, 4, 1, b"\x88"), 255, 1) +
          bytes([1 | 2 | (30 << 2), 200]) + big[:200] + bytes([0xfe, 3]) + chunks(resp, 255, 1))
    write("http2_frames", "reset", bytes([4 | 1]) + chunks(client, 255) +
          chunks(h2_frame(3, 0, 1, struct.pack(">I", 8)) + h2_frame(7, 0, 0, struct.pack(">II", 1, 0)), 255, 1))


def hpack():
    blocks = [bytes.fromhex(b.replace(" ", "")) for b in RFC7541_BLOCKS]
    write("hpack", "rfc7541_requests", bytes([3]) + b"".join(struct.pack("<H", len(b)) + b for b in blocks[:6]))
    write("hpack", "rfc7541_responses", bytes([3]) + b"".join(struct.pack("<H", len(b)) + b for b in blocks[6:]))
    late = bytes([0xbe, 0xbf]) + bytes([0x40, 1]) + b"a" + bytes([1]) + b"1" + bytes([0x3f, 0xe1, 0x1f])
    write("hpack", "late", bytes([4 | 3]) + struct.pack("<H", len(late)) + late)
    upd = bytes([0x20, 0x3f, 0xe1, 0x1f]) + bytes([0x40, 1]) + b"k" + bytes([100]) + b"v" * 100
    write("hpack", "updates", bytes([8 | 1]) + struct.pack("<H", len(upd)) + upd)


def resp_cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def redis():
    # Role client (mode 2): commands are egress (ctl bit 0 set), replies ingress.
    reqs = resp_cmd(b"SET", b"k", b"v") + resp_cmd(b"GET", b"k") + b"PING\r\n" + resp_cmd(b"MULTI") + \
        resp_cmd(b"INCR", b"n") + resp_cmd(b"EXEC") + resp_cmd(b"SUBSCRIBE", b"a", b"b")
    resps = b"+OK\r\n$1\r\nv\r\n+PONG\r\n+OK\r\n+QUEUED\r\n*1\r\n:1\r\n" + \
        b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n" + \
        b">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n"
    write("redis", "client", bytes([2]) + chunks(reqs, 60, 1) + chunks(resps, 60, 0))
    resp3 = b"%1\r\n+a\r\n~2\r\n_\r\n#t\r\n|1\r\n+k\r\n,1.5\r\n=7\r\ntxt:abc\r\n(12345\r\n!3\r\nERR\r\n-WRONGTYPE x\r\n"
    write("redis", "resp3", bytes([2]) + chunks(resp_cmd(b"PING") * 6, 80, 1) + chunks(resp3, 80, 0))
    write("redis", "server_gap", bytes([1]) + chunks(resp_cmd(b"GET", b"a") * 3, 40, 0) + bytes([0xfe, 8]) +
          chunks(b"$3\r\nabc\r\n$-1\r\n", 40, 1))


def memcached():
    reqs = b"set k 0 0 5\r\nhello\r\nget k a b\r\ndelete k noreply\r\nincr n 1\r\nmg k v q\r\nmn\r\n" + \
        b"ms k 2 T0\r\nhi\r\ntouch k 1\r\nversion\r\nstats\r\n"
    resps = b"STORED\r\nVALUE k 0 5\r\nhello\r\nEND\r\n6\r\nVA 5\r\nhello\r\nMN\r\nHD\r\nTOUCHED\r\n" + \
        b"VERSION 1.6\r\nSTAT pid 1\r\nEND\r\nCLIENT_ERROR bad\r\n"
    write("memcached", "client", bytes([2]) + chunks(reqs, 50, 1) + chunks(resps, 50, 0))
    write("memcached", "binary", bytes([2]) + bytes([1, 27]) + bytes([0x80, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 3]) +
          bytes(12) + b"foo")


if __name__ == "__main__":
    http1_parse()
    http1_stitcher()
    data_stream()
    caps_parsers()
    event_decoder()
    http2_frames()
    hpack()
    redis()
    memcached()
