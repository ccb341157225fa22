"""HTTP/2 spans from real servers and clients (h2c and TLS), compared with their own logs.

One span per stream: "protocol" "http", "network.protocol.version" "2", the method, path and
status of the stream's HEADERS, body sizes from its DATA frames; "url.scheme" "https" over TLS.
"""
import os
import re
import subprocess
import threading
import time
from collections import Counter

import pytest

from conftest import (mismatch, client_requests, client_spans, free_port, go_build, keys, need, server_spans,
                      wait_port, HERE)
from test_http import release, released_client
from test_tls import cert  # noqa: F401 (fixture)

BIG = 200_000  # bytes of /big.bin: many DATA frames, far over one payload prefix


def check_h2_span(s, tls, port=None):
    assert s["protocol"] == "http", s
    assert s["network.protocol.version"] == "2", s
    assert s["end_time_unix_nano"] >= s["start_time_unix_nano"] > 1600000000 * 10**9, s
    assert s["duration_ns"] == s["end_time_unix_nano"] - s["start_time_unix_nano"], s
    assert s["process.pid"] > 0 and s["process.executable.name"], s
    assert s["server.address"] == "127.0.0.1" and s["client.address"] == "127.0.0.1", s
    assert s["server.port"] > 0 and s["client.port"] > 0, s
    if port is not None:
        assert s["server.port"] == port, s
    if tls:
        assert s.get("url.scheme") == "https", s
    else:
        assert s.get("url.scheme", "http") == "http", s
    assert "url.query" not in s, s  # off by default


def decoder_gap(reason):
    """A case the HTTP/2 decoder gets wrong today (seen on this branch): expected to fail, with
    what fails; not strict, so a fix shows as XPASS and the mark can go."""
    return pytest.mark.xfail(reason=reason, strict=False)


BIG_WRITES = decoder_gap("a response of 128-200 KB in large writes (payload prefix truncated) loses HTTP/2 framing: "
                         "no span for its stream (and others on the connection), parse_errors in the 100k")


def check_clean(t):
    assert t.stats.get("parse_errors", 0) == 0 and t.stats.get("malformed", 0) == 0, t.stats


# nghttp2's tools: nghttpd (server), nghttp (client), h2load (load).

def h2_log_requests(text):
    """(method, path, status) of each stream in a `nghttpd -v` or `nghttp -v` log, as a Counter.

    nghttpd prefixes lines with its connection ("[id=N]"); header fields come either as
    "recv (stream_id=S) :name: value" or indented under the frame line that names the stream."""
    streams = {}
    conn, stream = None, None
    runs = 0
    for line in text.splitlines():
        if re.match(r"\[\s*[\d.]+\] Connected", line):
            runs += 1  # nghttp's log of its next run: stream ids start again
        m = re.match(r"(?:\[id=(\d+)\] )?\[\s*[\d.]+\] (?:recv|send) (.*)", line)
        if m:
            conn = m.group(1) or runs
            rest = m.group(2)
            f = re.match(r"\(stream_id=(\d+)\) (:\w+): (.*)", rest)
            if f:
                streams.setdefault((conn, int(f.group(1))), {})[f.group(2)] = f.group(3)
                stream = None
                continue
            f = re.search(r"stream_id=(\d+)>", rest)
            stream = (conn, int(f.group(1))) if f else None
            continue
        f = re.match(r"\s+(:\w+): (.*)", line)
        if f and stream is not None:
            streams.setdefault(stream, {})[f.group(1)] = f.group(2)
    out = Counter()
    for fields in streams.values():
        if ":method" in fields:
            out[(fields[":method"], fields[":path"].split("?")[0],
                 int(fields[":status"]) if ":status" in fields else None)] += 1
    return out


def start_nghttpd(procs, tmpdir_path, crt=None, verbose=True):
    """nghttpd on a free port, h2c or TLS with (cert, key), serving index.html, big.bin and
    echoing uploads (POST answers 200 with the body sent). .port; .requests() reads its -v log."""
    need("nghttpd", "nghttp2-server")
    www = os.path.join(tmpdir_path, "h2www")
    os.makedirs(www, exist_ok=True)
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("<html>" + "h2 " * 100 + "</html>\n")
    with open(os.path.join(www, "big.bin"), "wb") as f:
        f.write(os.urandom(BIG))
    port = free_port()
    log = os.path.join(tmpdir_path, "nghttpd-%d.log" % port)
    cmd = ["nghttpd", "-a", "127.0.0.1", "-d", www, "--echo-upload"] + (["-v"] if verbose else [])
    cmd += [str(port), crt[1], crt[0]] if crt else ["--no-tls", str(port)]
    with open(log, "w") as f:
        p = procs(cmd, stdout=f, stderr=subprocess.STDOUT)
    wait_port(port, proc=p)
    p.port = port
    p.base = "%s://127.0.0.1:%d" % ("https" if crt else "http", port)

    def requests(settle=0.3):
        time.sleep(settle)
        with open(log) as f:
            return h2_log_requests(f.read())

    p.requests = requests
    return p


def nghttpd_expected():
    return Counter({("GET", "/index.html", 200): 3, ("GET", "/big.bin", 200): 1, ("GET", "/missing", 404): 1,
                    ("POST", "/upload", 200): 2, ("HEAD", "/index.html", 200): 1})


def check_nghttpd_sizes(srv_spans):
    by = {}
    for s in srv_spans:
        by.setdefault((s["http.request.method"], s["url.path"]), []).append(s)
    assert all(s["http.response.body.size"] == BIG for s in by[("GET", "/big.bin")]), by
    upload = os.path.getsize("/etc/services")
    for s in by[("POST", "/upload")]:
        assert s["http.request.body.size"] == upload and s["http.response.body.size"] == upload, s
    for s in by[("HEAD", "/index.html")]:
        assert s.get("http.response.body.size", 0) == 0, s


@BIG_WRITES
@pytest.mark.parametrize("tls", [False, True], ids=["h2c", "tls"])
def test_nghttpd_and_nghttp(trace, procs, tmpdir_path, cert, tls):
    need("nghttp", "nghttp2-client")
    srv = start_nghttpd(procs, tmpdir_path, cert if tls else None)
    b = srv.base
    log = os.path.join(tmpdir_path, "nghttp.log")
    # One connection per nghttp run; its URIs go as concurrent streams on that connection
    # (after PRIORITY frames on idle streams that carry no request).
    cli = released_client(procs, "exec >%s 2>&1; "
                                 "nghttp -nv %s/index.html %s/big.bin %s/missing %s/index.html?q=1 && "
                                 "nghttp -nv -d /etc/services %s/upload %s/upload?n=2 && "
                                 "nghttp -nv -H ':method: HEAD' %s/index.html && "
                                 "nghttp -nv %s/index.html" % ((log,) + (b,) * 8))
    t = trace("--tls", "--pid", str(srv.pid), "--pid", str(cli.pid))
    release(cli)
    spans = t.stop()
    logged = srv.requests()
    assert logged == nghttpd_expected()
    with open(log) as f:
        assert h2_log_requests(f.read()) == logged
    srv_spans = server_spans(spans, srv.pid)
    assert keys(srv_spans) == logged, mismatch(keys(srv_spans), logged, srv_spans)
    cl = client_spans(spans)
    assert keys(cl) == logged, mismatch(keys(cl), logged, cl)
    assert all(s["process.executable.name"] == "nghttp" for s in cl)
    check_nghttpd_sizes(srv_spans)
    check_nghttpd_sizes(cl)
    for s in spans:
        check_h2_span(s, tls, srv.port)
    check_clean(t)


def curl_script(out, flags, runs):
    """A shell script for released_client: one curl per run (a list of argument strings, the
    URLs of one run on one connection), each response's "STATUS HTTP_VERSION" into `out`."""
    lines = ["exec >%s" % out,
             "c() { curl -s %s -w '%%{http_code} %%{http_version}\\n' \"$@\"; }" % flags]
    for run in runs:
        lines.append("c " + " ".join(("-o /dev/null " + a) if "://" in a else a for a in run.split()))
    return " && ".join(lines)


@BIG_WRITES
@pytest.mark.parametrize("mode", ["prior-knowledge", "tls-alpn"])
def test_curl_h2_against_nghttpd(trace, procs, tmpdir_path, cert, mode):
    tls = mode == "tls-alpn"
    srv = start_nghttpd(procs, tmpdir_path, cert if tls else None)
    b = srv.base
    out = os.path.join(tmpdir_path, "curl.out")
    # Over TLS the first run's three URLs share one connection (streams 1, 3, 5). Debian's
    # curl 7.88 cannot reuse a prior-knowledge connection (exit 16 on the second URL): one
    # URL per run there.
    if tls:
        runs = ["%s/index.html %s/missing %s/big.bin" % (b, b, b), "%s/index.html %s/index.html" % (b, b)]
    else:
        runs = ["%s/%s" % (b, p) for p in ("index.html", "missing", "big.bin", "index.html", "index.html")]
    runs += ["--data-binary @/etc/services %s/upload" % b, "-I %s/index.html" % b,
             "--data-binary @/etc/services %s/upload" % b]
    cli = released_client(procs, curl_script(out, "--http2 -k" if tls else "--http2-prior-knowledge", runs))
    t = trace("--tls", "--pid", str(srv.pid), "--pid", str(cli.pid))
    release(cli)
    spans = t.stop()
    with open(out) as f:
        answers = f.read().split()
    assert answers[1::2] == ["2"] * 8 and sorted(answers[0::2]) == ["200"] * 7 + ["404"], answers
    logged = srv.requests()
    assert logged == nghttpd_expected()
    srv_spans = server_spans(spans, srv.pid)
    assert keys(srv_spans) == logged, mismatch(keys(srv_spans), logged, srv_spans)
    cl = client_spans(spans)
    assert keys(cl) == logged, mismatch(keys(cl), logged, cl)
    assert all(s["process.executable.name"] == "curl" for s in cl)
    check_nghttpd_sizes(srv_spans)
    check_nghttpd_sizes(cl)
    for s in spans:
        check_h2_span(s, tls, srv.port)
    check_clean(t)


def go_h2_server(procs, tmpdir_path, args):
    """tests/integration/apps/go_server.go with `args` (--h2c, or CERT KEY --h2): (process, port).
    Its stdout is a pipe: read it with go_server_log() after the test's requests."""
    binary = go_build("go_server.go", tmpdir_path)
    port = free_port()
    srv = procs([binary, str(port)] + list(args), stdout=subprocess.PIPE, text=True)
    wait_port(port, proc=srv)
    return srv, port


def go_server_log(srv):
    """The "METHOD PATH STATUS PROTO" lines go_server printed so far: the server is stopped."""
    srv.terminate()
    out, _ = srv.communicate(timeout=20)
    return out


@decoder_gap("curl's client span of GET /big (128 KiB, after the upgrade) is missing")
def test_curl_h2c_upgrade_against_go_server(trace, procs, tmpdir_path):
    # curl --http2 on http:// asks for "Upgrade: h2c" on its first request: the server answers
    # 101, then that request's response on stream 1; the next URL goes on stream 3.
    # (nghttpd does not upgrade; golang.org/x/net/http2/h2c does.)
    srv, port = go_h2_server(procs, tmpdir_path, ["--h2c"])
    b = "http://127.0.0.1:%d" % port
    out = os.path.join(tmpdir_path, "curl.out")
    cli = released_client(procs, curl_script(out, "--http2", [
        "%s/hello?name=up %s/status/404 %s/big" % (b, b, b), "%s/status/202" % b]))
    t = trace("--pid", str(srv.pid), "--pid", str(cli.pid))
    release(cli)
    spans = t.stop()
    with open(out) as f:
        assert f.read().split() == ["200", "2", "404", "2", "200", "2", "202", "2"]
    logged = client_requests(go_server_log(srv))
    expected = Counter({("GET", "/hello", 200): 1, ("GET", "/status/404", 404): 1, ("GET", "/big", 200): 1,
                        ("GET", "/status/202", 202): 1})
    assert logged == expected
    srv_spans = server_spans(spans, srv.pid)
    assert keys(srv_spans) == expected, mismatch(keys(srv_spans), expected, srv_spans)
    cl = client_spans(spans)
    assert keys(cl) == expected, mismatch(keys(cl), expected, cl)
    for s in spans:
        if s["url.path"] in ("/hello", "/status/202"):
            # Asked in HTTP/1.1, answered in HTTP/2 on stream 1: its version is the answer's.
            assert s["protocol"] == "http" and s["network.protocol.version"] in ("1.1", "2"), s
        else:
            check_h2_span(s, False, port)
    for s in srv_spans + cl:
        if s["url.path"] == "/big":
            assert s["http.response.body.size"] == 16 * 8192, s
    check_clean(t)


@pytest.mark.parametrize("tls", [False, pytest.param(True, marks=decoder_gap(
    "flaky (8 runs in 20): go_client's side over crypto/tls misses 1-2 of its first GET /hello spans, some runs "
    "other requests too (the server's side is complete)"))], ids=["h2c", "tls"])
def test_go_h2_server_and_client(trace, procs, tmpdir_path, cert, tls):
    # net/http: HTTP/2 over TLS by ALPN (the default), h2c with prior knowledge
    # (golang.org/x/net/http2). The client ends with six requests at once on its connection.
    srv, port = go_h2_server(procs, tmpdir_path, list(cert) + ["--h2"] if tls else ["--h2c"])
    client_bin = go_build("go_client.go", tmpdir_path)
    cli = procs([client_bin, "%s://127.0.0.1:%d" % ("https" if tls else "http", port), "--h2"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    t = trace("--tls", "--pid", str(srv.pid), "--pid", str(cli.pid))
    out = release(cli)
    spans = t.stop()
    expected = client_requests(out)
    assert sum(expected.values()) == 15, out
    served = go_server_log(srv)
    assert client_requests(served) == expected
    assert all(line.endswith(" HTTP/2.0") for line in served.splitlines()), served
    srv_spans = server_spans(spans, srv.pid)
    assert keys(srv_spans) == expected, mismatch(keys(srv_spans), expected, srv_spans)
    cl = [s for s in client_spans(spans) if s["process.pid"] == cli.pid]
    assert keys(cl) == expected, mismatch(keys(cl), expected, cl)
    assert len(spans) == len(srv_spans) + len(cl), spans
    for s in srv_spans + cl:
        check_h2_span(s, tls, port)
        if s["url.path"] == "/big":
            assert s["http.response.body.size"] == 16 * 8192, s
        if s["http.request.method"] == "POST":
            size = s["http.request.body.size"]
            assert size in (3000, 20000) and s["http.response.body.size"] == size, s
    assert Counter(s["http.request.body.size"] for s in srv_spans if s["http.request.method"] == "POST") == \
        Counter({3000: 1, 20000: 3})
    check_clean(t)


@pytest.mark.parametrize("tls", [False, pytest.param(True, marks=decoder_gap(
    "one of node's four GET /json client spans missing over TLS"))], ids=["h2c", "tls"])
def test_node_h2_server_and_client(trace, procs, tmpdir_path, cert, tls):
    need("node", "nodejs")
    apps = os.path.join(HERE, "apps")
    port = free_port()
    srv = procs(["node", os.path.join(apps, "node_server.js"), str(port)] + (list(cert) if tls else []) + ["--h2"])
    wait_port(port, proc=srv)
    cli = procs(["node", os.path.join(apps, "node_client.js"), str(port), "--h2"] + (["--tls"] if tls else []),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    t = trace("--tls", "--pid", str(srv.pid), "--pid", str(cli.pid))
    out = release(cli)
    spans = t.stop()
    expected = client_requests(out)
    assert expected == Counter({("GET", "/json", 200): 4, ("GET", "/chunked", 200): 1, ("POST", "/echo", 200): 1,
                                ("GET", "/nope", 404): 1}), out
    srv_spans = server_spans(spans, srv.pid)
    assert keys(srv_spans) == expected, mismatch(keys(srv_spans), expected, srv_spans)
    cl = [s for s in client_spans(spans) if s["process.pid"] == cli.pid]
    assert keys(cl) == expected, mismatch(keys(cl), expected, cl)
    for s in srv_spans + cl:
        check_h2_span(s, tls, port)
        assert s["process.executable.name"] == "node", s
        if s["url.path"] == "/chunked":
            assert s["http.response.body.size"] == len("part one,part two"), s
        if s["url.path"] == "/echo":
            assert s["http.request.body.size"] == 1000 and s["http.response.body.size"] == 1000, s
    check_clean(t)


# Load: h2load keeps 10 streams open on each of 4 connections.

LOAD_SECONDS = int(os.environ.get("BEYLA_H2_LOAD_SECONDS", "10"))


def h2load_summary(out):
    """h2load's "requests:" and "status codes:" lines: ({total, started, done, succeeded, failed,
    errored, timeout}, {2xx, 3xx, 4xx, 5xx})."""
    req = re.search(r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                    r"(\d+) errored, (\d+) timeout", out, re.M)
    codes = re.search(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out, re.M)
    assert req and codes, out
    names = ("total", "started", "done", "succeeded", "failed", "errored", "timeout")
    return (dict(zip(names, map(int, req.groups()))),
            dict(zip(("2xx", "3xx", "4xx", "5xx"), map(int, codes.groups()))))


@pytest.mark.parametrize("tls", [False, pytest.param(True, marks=decoder_gap(
    "over TLS ~30 in 170k spans have no status (connections seen from their first byte)"))], ids=["h2c", "tls"])
def test_h2load_against_nghttpd(trace, procs, tmpdir_path, cert, tls):
    need("h2load", "nghttp2-client")
    srv = start_nghttpd(procs, tmpdir_path, cert if tls else None, verbose=False)
    t = trace("--tls", "--pid", str(srv.pid))
    # Its URIs in turn: one in three is a 404.
    r = subprocess.run(["h2load", "-c", "4", "-m", "10", "-D", str(LOAD_SECONDS),
                        srv.base + "/index.html", srv.base + "/index.html", srv.base + "/missing"],
                       capture_output=True, text=True, timeout=LOAD_SECONDS + 120)
    assert r.returncode == 0, r.stdout + r.stderr
    spans = t.stop(settle=1.0)
    req, codes = h2load_summary(r.stdout)
    srv_spans = server_spans(spans, srv.pid)
    got = keys(srv_spans)
    print("h2load %s: %s %s; spans %d %s; stats %s" % ("tls" if tls else "h2c", req, codes, len(srv_spans),
                                                       dict(got), t.stats))
    # h2load counts the 404s as failed.
    assert req["done"] > 1000 and req["failed"] == codes["4xx"] and req["errored"] == 0, r.stdout
    assert set(got) <= {("GET", "/index.html", 200), ("GET", "/missing", 404)}, got
    for s in srv_spans:
        check_h2_span(s, tls, srv.port)
        assert "error.type" not in s, s
    check_clean(t)
    lost = sum(t.stats.get(k, 0) for k in ("ring_full", "perf_lost", "read_fault", "gaps"))
    if lost:
        # Events lost (counted): never a wrong span, but fewer of them.
        assert got[("GET", "/index.html", 200)] <= codes["2xx"] and got[("GET", "/missing", 404)] <= codes["4xx"]
        return
    # h2load stops at the end of its duration with streams still open: nghttpd may have
    # answered those (a span) without h2load counting them done.
    in_flight = req["started"] - req["done"]
    assert codes["2xx"] <= got[("GET", "/index.html", 200)] <= codes["2xx"] + in_flight, (codes, got, req)
    assert codes["4xx"] <= got[("GET", "/missing", 404)] <= codes["4xx"] + in_flight, (codes, got, req)
    assert req["done"] <= len(srv_spans) <= req["started"], (req, len(srv_spans))
    assert t.stats.get("unmatched", 0) <= in_flight, t.stats


# A connection opened before tracing began: HPACK's dynamic tables already hold entries the
# tracer never saw. Fields that refer to them cannot be decoded: absent, never wrong.

def steady_plan(i):
    """What go_client --steady sends as its request number i: (method, path, req bytes)."""
    return [("GET", "/seq/%d" % i, 0), ("GET", "/hello", 0), ("GET", "/status/418", 0), ("PUT", "/echo", i)][i % 4]


@pytest.mark.parametrize("tls", [False, pytest.param(True, marks=decoder_gap(
    "spans of a Go TLS connection joined late have no url.scheme"))], ids=["h2c", "tls"])
def test_connection_opened_before_tracing(trace, procs, tmpdir_path, cert, tls):
    srv, port = go_h2_server(procs, tmpdir_path, list(cert) + ["--h2"] if tls else ["--h2c"])
    client_bin = go_build("go_client.go", tmpdir_path)
    cli = procs([client_bin, "%s://127.0.0.1:%d" % ("https" if tls else "http", port), "--h2", "--steady"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    lines = []

    def reader():
        for line in cli.stdout:
            lines.append(line.split())

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    deadline = time.time() + 30
    while len(lines) < 12:  # every request kind three times: all indexed by now
        assert time.time() < deadline and cli.poll() is None, lines
        time.sleep(0.05)
    t = trace("--tls", "--pid", str(srv.pid), "--pid", str(cli.pid))
    first = len(lines) + 1  # requests from this one on were sent after the tracer was ready
    time.sleep(2.5)
    cli.stdin.write("stop\n")
    cli.stdin.flush()
    cli.wait(20)
    th.join(10)
    last = len(lines) - 1
    spans = t.stop()
    go_server_log(srv)
    assert last - first >= 10, (first, last)
    for i, (m, p, st, _, _) in enumerate(lines):
        assert (m, p) == steady_plan(i)[:2], lines
    for side, got in (("server", server_spans(spans, srv.pid)),
                      ("client", [s for s in client_spans(spans) if s["process.pid"] == cli.pid])):
        got.sort(key=lambda s: s["start_time_unix_nano"])
        # One connection, one request at a time: spans in time order are requests in order.
        # /seq/N names its request; every other span takes its place from those.
        anchors = [(k, int(s["url.path"].split("/")[2])) for k, s in enumerate(got)
                   if s.get("url.path", "").startswith("/seq/")]
        assert anchors, (side, got)
        k0, i0 = anchors[0]
        assert all(i - k == i0 - k0 for k, i in anchors), (side, anchors)
        index = [k + i0 - k0 for k in range(len(got))]
        missing = sorted(set(range(first, last + 1)) - set(index))
        assert not missing, (side, "no span for requests", missing, got)
        assert index[0] >= first - 2 and index[-1] <= last, (side, index, first, last)
        for i, s in zip(index, got):
            m, p, st, req_bytes, resp_bytes = lines[i]
            check_h2_span(s, tls, port)
            # Present fields are right; an undecodable one is absent.
            for field, want in (("http.request.method", m), ("url.path", p),
                                ("http.response.status_code", int(st))):
                assert s.get(field, want) == want, (side, i, lines[i], s)
            assert s.get("http.request.body.size", 0) == int(req_bytes), (side, i, lines[i], s)
            assert s.get("http.response.body.size", 0) == int(resp_bytes), (side, i, lines[i], s)
            # :status 200 is in HPACK's static table: always decodable.
            if st == "200":
                assert s.get("http.response.status_code") == 200, (side, i, s)
        print("%s: %d spans for requests %d..%d; fields absent: %s" % (
            side, len(got), index[0], index[-1],
            dict(Counter(f for s in got for f in ("http.request.method", "url.path", "http.response.status_code")
                         if f not in s))))
    check_clean(t)
