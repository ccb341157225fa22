"""pybeyla.Tracer: replay through the whole pipeline, argument checks, and a live trace of an
HTTP server running in this very process (which only works if the GIL is released)."""
import http.server
import os
import struct
import subprocess
import tempfile
import threading

import pytest

import pybeyla

DATA_EVENT = struct.Struct("=IIIiQQQ16s16sHHHHQIBBBB16s")  # struct beyla_data_event


def data_event(pid, fd, sock, direction, ts, payload):
    addr_l = bytes(10) + b"\xff\xff" + bytes([127, 0, 0, 1])
    hdr = DATA_EVENT.pack(1, pid, pid, fd, ts, ts + 1000, sock, addr_l, addr_l, 8080, 50000, 2, 0,
                          len(payload), len(payload), direction, 1 if direction == 0 else 2, 0, 0, b"pysrv")
    return hdr + payload


def recording(events):
    f = tempfile.NamedTemporaryFile(suffix=".rec", delete=False)
    f.write(b"BEYLAREC" + struct.pack("=IIq", 1, 0, 0))
    for e in events:
        f.write(struct.pack("=I", len(e)) + e)
    f.close()
    return f.name


def test_data_event_layout_matches_the_header():
    # 40 header + 40 addresses + 8 bytes + 4 captured + 4 one-byte fields + 16 comm.
    assert DATA_EVENT.size == 112


def test_replay_spans_and_stats():
    rec = recording([
        data_event(77, 3, 9, 0, 1000, b"POST /api/v1/items?id=3 HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd"),
        data_event(77, 3, 9, 1, 2000, b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"),
    ])
    try:
        seen = []
        with pybeyla.Tracer(replay=rec, on_span=seen.append, url_query=True) as t:
            spans = list(t.spans(timeout=5))
            stats = t.stats()
        assert len(spans) == 1 and seen == spans
        s = spans[0]
        assert s["kind"] == "server" and s["protocol"] == "http"
        assert s["http.request.method"] == "POST"
        assert s["url.path"] == "/api/v1/items"
        assert s["url.query"] == "id=3"
        assert s["http.response.status_code"] == 202
        assert s["http.request.body.size"] == 4
        assert s["process.pid"] == 77 and s["process.executable.name"] == "pysrv"
        assert s["duration_ns"] == 1000
        assert stats["spans"] == 1 and stats["events"] == 2 and stats["parse_errors"] == 0
    finally:
        os.unlink(rec)


def test_bad_arguments_raise():
    with pytest.raises(OSError):
        pybeyla.Tracer()  # nothing selected
    with pytest.raises(ValueError):
        pybeyla.Tracer(pids=[1], transport="carrier-pigeon")
    with pytest.raises(OSError) as e:
        with pybeyla.Tracer(replay="/nonexistent.rec"):
            pass
    assert "/nonexistent.rec" in str(e.value)


def _missing_for_live():
    if os.geteuid() != 0:
        return "root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN)"
    caps = pybeyla.capabilities()
    if not caps.can_trace:
        return "a kernel the tracer can use (plan: %s)" % caps.plan
    return None


def test_live_trace_of_a_server_in_this_process():
    missing = _missing_for_live()
    if missing:
        print("skipped: needs " + missing)
        pytest.skip("needs " + missing)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        with pybeyla.Tracer(pids=[os.getpid()]) as t:
            client = subprocess.Popen(["sh", "-c", "sleep 0.3; for p in a b c; do curl -s -o /dev/null "
                                       "http://127.0.0.1:%d/$p; done" % port])
            spans = []
            for s in t.spans(timeout=10):
                spans.append(s)
                if len([x for x in spans if x["kind"] == "server"]) == 3:
                    break
            client.wait(30)
        server = sorted((s["url.path"], s["http.response.status_code"]) for s in spans if s["kind"] == "server")
        assert server == [("/a", 404), ("/b", 404), ("/c", 404)]
        assert all(s["process.pid"] == os.getpid() for s in spans if s["kind"] == "server")
    finally:
        srv.shutdown()
