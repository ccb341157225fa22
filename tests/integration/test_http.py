"""HTTP/1.x spans from real servers and clients, compared with their own logs."""
import os
import re
import subprocess
import time
from collections import Counter

import pytest

from conftest import (client_requests, client_spans, curl, free_port, go_build, key, keys, server_spans, wait_port)

SH_CLIENT = "read _; %s"


def released_client(procs, script):
    """A shell that runs `script` once released: its pid can be traced before it starts."""
    p = procs(["sh", "-c", SH_CLIENT % script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return p


def release(p, timeout=120):
    out, _ = p.communicate("go\n", timeout=timeout)
    assert p.returncode == 0, out
    return out


def check_span_shape(s):
    assert s["protocol"] == "http"
    assert s["end_time_unix_nano"] >= s["start_time_unix_nano"] > 1600000000 * 10**9
    assert s["duration_ns"] == s["end_time_unix_nano"] - s["start_time_unix_nano"]
    assert s["duration_ns"] < 10 * 10**9
    assert s["process.pid"] > 0 and s["process.executable.name"]
    assert s["network.protocol.version"] in ("1.0", "1.1")
    assert s["server.address"] == "127.0.0.1" and s["client.address"] == "127.0.0.1"
    assert s["server.port"] > 0 and s["client.port"] > 0
    assert "url.query" not in s  # off by default


def test_python_http_server_and_curl(trace, procs, tmpdir_path):
    www = os.path.join(tmpdir_path, "www")
    os.makedirs(www)
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("<h1>hi</h1>\n")
    with open(os.path.join(www, "big.bin"), "wb") as f:
        f.write(os.urandom(300_000))  # far over the payload prefix
    port = free_port()
    log = open(os.path.join(tmpdir_path, "server.log"), "w")
    srv = procs(["/usr/bin/python3", "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", www],
                stderr=log)
    wait_port(port, proc=srv)
    base = "http://127.0.0.1:%d" % port
    cli = released_client(procs, "curl -s -o /dev/null %s/index.html?a=1 && curl -s -o /dev/null %s/big.bin && "
                                 "curl -s -o /dev/null %s/missing && curl -s -o /dev/null -I %s/index.html && "
                                 "curl -s -o /dev/null -d x=1 %s/post" % ((base,) * 5))
    t = trace("--pid", str(srv.pid), "--pid", str(cli.pid))
    release(cli)
    spans = t.stop()
    log.close()
    # The server's own log: '"GET /index.html?a=1 HTTP/1.1" 200 -'
    logged = Counter()
    for line in open(os.path.join(tmpdir_path, "server.log")):
        m = re.search(r'"(\w+) (\S+) HTTP/1\.\d" (\d+)', line)
        if m:
            logged[(m.group(1), m.group(2).split("?")[0], int(m.group(3)))] += 1
    srv_spans = server_spans(spans, srv.pid)
    assert keys(srv_spans) == logged, spans
    assert logged == Counter({("GET", "/index.html", 200): 1, ("GET", "/big.bin", 200): 1,
                              ("GET", "/missing", 404): 1, ("HEAD", "/index.html", 200): 1,
                              ("POST", "/post", 501): 1})
    big = [s for s in srv_spans if s["url.path"] == "/big.bin"][0]
    assert big["http.response.body.size"] == 300_000
    head = [s for s in srv_spans if s["http.request.method"] == "HEAD"][0]
    assert head.get("http.response.body.size", 0) == 0
    post = [s for s in srv_spans if s["http.request.method"] == "POST"][0]
    assert post["http.request.body.size"] == 3
    # curl's side: the same requests, as client spans of the curl processes.
    cl = client_spans(spans)
    assert keys(cl) == logged
    assert all(s["process.executable.name"] == "curl" for s in cl)
    for s in spans:
        check_span_shape(s)
        if s["kind"] == "server":
            assert s["server.port"] == port
        else:
            assert s["server.port"] == port and s["client.port"] != port
    assert t.stats["parse_errors"] == 0 and t.stats["malformed"] == 0


BIG_HEADER_VALUE = "v" * 3000  # nginx takes at most 4 KB per token: two fields make a 6 KB head

NGINX_CONF = """
user root;
worker_processes 2;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 4096; }}
http {{
    log_format plain '$request_method $request_uri $status $body_bytes_sent';
    access_log {tmp}/access.log plain;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    sendfile on;
    keepalive_requests 100000;
    large_client_header_buffers 4 32k;  # a 9 KB Cookie line fits
    server {{
        listen 127.0.0.1:{port};
        root {tmp}/www;
        location = /nothing {{ return 204; }}
        location = /moved {{ return 301 /index.html; }}
        location = /upload {{ client_max_body_size 10m; return 201; }}
        # Response heads larger than the payload prefix: in-memory body, and a file by sendfile.
        location = /bighead {{ add_header X-Big1 "{big}"; add_header X-Big2 "{big}"; return 200 "hello\n"; }}
        location /bigfile/ {{ alias {tmp}/www/; add_header X-Big1 "{big}"; add_header X-Big2 "{big}"; }}
    }}
}}
"""


@pytest.fixture
def nginx(procs, tmpdir_path):
    www = os.path.join(tmpdir_path, "www")
    os.makedirs(www)
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("<html><body>" + "nginx " * 100 + "</body></html>\n")
    with open(os.path.join(www, "large.bin"), "wb") as f:
        f.write(os.urandom(1 << 20))
    port = free_port()
    conf = os.path.join(tmpdir_path, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(tmp=tmpdir_path, port=port, big=BIG_HEADER_VALUE))
    p = procs(["nginx", "-c", conf, "-e", os.path.join(tmpdir_path, "error.log")])
    wait_port(port, proc=p)

    def access_log():
        out = Counter()
        sizes = []
        with open(os.path.join(tmpdir_path, "access.log")) as f:
            for line in f:
                method, uri, status, sent = line.split()
                out[(method, uri.split("?")[0], int(status))] += 1
                sizes.append(int(sent))
        return out, sizes

    p.port = port
    p.access_log = access_log
    return p


def test_nginx_features_with_curl(trace, nginx, procs):
    base = "http://127.0.0.1:%d" % nginx.port
    t = trace("--pid", str(nginx.pid))
    assert curl(base + "/index.html") == 200
    assert curl(base + "/large.bin") == 200  # sent with sendfile
    assert curl(base + "/nothing") == 204
    assert curl(base + "/moved") == 301
    assert curl("-I", base + "/index.html") == 200
    assert curl(base + "/absent") == 404
    # 100-continue: curl sends Expect for bodies over 1 KiB.
    assert curl("-H", "Expect: 100-continue", "--data-binary", "@/etc/services", base + "/upload") == 201
    # keep-alive: several requests on one connection.
    assert curl("-o", "/dev/null", "-o", "/dev/null", base + "/index.html", base + "/nothing",
                base + "/index.html") == 200204200
    spans = t.stop()
    logged, _ = nginx.access_log()
    assert keys(server_spans(spans)) == logged
    by_path = {s["url.path"]: s for s in spans}
    assert by_path["/large.bin"]["http.response.body.size"] == 1 << 20
    assert by_path["/nothing"].get("http.response.body.size", 0) == 0
    assert by_path["/upload"]["http.request.body.size"] == os.path.getsize("/etc/services")
    # Workers were forked before the tracer started: found as descendants of the master.
    assert all(s["process.executable.name"] == "nginx" for s in spans)
    assert {s["process.pid"] for s in spans} != {nginx.pid}
    for s in spans:
        check_span_shape(s)


def test_nginx_heads_larger_than_the_payload_prefix(trace, nginx):
    """Request and response heads past the 4096 bytes copied per syscall still make spans."""
    base = "http://127.0.0.1:%d" % nginx.port
    cookie = ["-H", "Cookie: session=" + "c" * (9 * 1024)]
    custom = ["-H", "X-Custom: " + "x" * (6 * 1024)]
    t = trace("--pid", str(nginx.pid))
    for _ in range(3):
        assert curl(*cookie, base + "/index.html") == 200
        assert curl(*custom, base + "/nothing") == 204
        assert curl(*cookie, "-I", base + "/index.html") == 200
    # keep-alive: big request heads, then big response heads, on one connection each.
    assert curl(*cookie, "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null", base + "/index.html",
                base + "/moved", base + "/absent") == 200301404
    assert curl("-o", "/dev/null", "-o", "/dev/null", base + "/bighead", base + "/bigfile/index.html") == 200200
    for _ in range(2):
        assert curl(base + "/bighead") == 200
        assert curl(base + "/bigfile/index.html") == 200
        assert curl(*custom, base + "/bighead") == 200
    # A big head with a body (curl asks for 100-continue first).
    assert curl(*cookie, "--data-binary", "@/etc/services", base + "/upload") == 201
    spans = t.stop()
    logged, _ = nginx.access_log()
    assert sum(logged.values()) == 21
    server = server_spans(spans)
    assert keys(server) == logged, (keys(server), logged, t.stats)
    # curl puts its Content-Length after the -H fields: past the prefix, so the size is unknown.
    post = [s for s in server if s["http.request.method"] == "POST"][0]
    assert "http.request.body.size" not in post, post
    for s in server:
        check_span_shape(s)
        assert "error.type" not in s, s
    assert t.stats["malformed"] == 0 and t.stats.get("unmatched", 0) == 0, t.stats


@pytest.mark.parametrize("transport", ["ringbuf", "perfbuf"])
def test_nginx_wrk_load_matches_access_log(trace, nginx, transport):
    base = "http://127.0.0.1:%d" % nginx.port
    t = trace("--pid", str(nginx.pid), "--transport", transport)
    r = subprocess.run(["wrk", "-t2", "-c16", "-d10s", base + "/index.html"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    spans = t.stop(settle=1.0)
    logged, sizes = nginx.access_log()
    total = sum(logged.values())
    assert total > 1000, r.stdout
    server = server_spans(spans)
    print("%s: %d logged, %d spans, stats %s" % (transport, total, len(server), t.stats))
    assert t.stats.get("read_fault", 0) == 0 and t.stats.get("conn_limit", 0) == 0, t.stats
    # wrk saturates the machine: a tracer starved of CPU for long enough lets the buffer fill,
    # and that is counted, not hidden. Each lost event costs at most the span it was part of.
    lost = t.stats.get("ring_full", 0) + t.stats.get("perf_lost", 0)
    if lost:
        print("%s: %d events lost to a full buffer" % (transport, lost))
        assert total - lost <= len(server) <= total, (total, len(server), t.stats)
        return
    assert t.stats.get("unmatched", 0) == 0 and t.stats.get("parse_errors", 0) == 0, t.stats
    # Every logged request is one span with its method, path and status. When wrk stops it
    # hangs up on requests in flight: nginx logs those with the status it meant to send and
    # 0 body bytes; the span says the response was cut ("response_incomplete", status kept)
    # or never left ("no_response", no status).
    assert len(server) == total, (total, len(server), t.stats)
    full = max(sizes)  # once: inside the generator it made this check quadratic (minutes at 300k)
    cut = sum(1 for n in sizes if n < full)
    failed = [s for s in server if "error.type" in s]
    assert len(failed) == cut == t.stats.get("incomplete", 0), (cut, failed, t.stats)
    with_status = keys([s for s in server if "http.response.status_code" in s])
    assert all(n <= logged[k] for k, n in with_status.items()), (with_status, logged)
    unanswered = sorted(k[:2] for k in (logged - with_status).elements())
    assert unanswered == sorted((s["http.request.method"], s["url.path"]) for s in failed
                                if "http.response.status_code" not in s), (unanswered, failed)


def test_node_server_and_client(trace, procs, tmpdir_path):
    port = free_port()
    here = os.path.dirname(os.path.abspath(__file__))
    srv = procs(["node", os.path.join(here, "apps", "node_server.js"), str(port)])
    wait_port(port, proc=srv)
    cli = procs(["node", os.path.join(here, "apps", "node_client.js"), str(port)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, text=True)
    t = trace("--port", str(port), "--pid", str(cli.pid))
    out = release(cli)
    spans = t.stop()
    expected = client_requests(out)
    assert sum(expected.values()) == 7
    assert keys(server_spans(spans, srv.pid)) == expected
    assert keys([s for s in client_spans(spans) if s["process.pid"] == cli.pid]) == expected
    chunked = [s for s in server_spans(spans) if s["url.path"] == "/chunked"][0]
    assert chunked["http.response.body.size"] == len("part one,part two")
    for s in spans:
        check_span_shape(s)


def test_node_many_writes_per_response(trace, procs):
    """node corks a response's res.write() calls into one writev of ~3 iovecs per call (21
    for 5 calls, ~190 for 64): the payload prefix must come from all of them."""
    import http.client
    port = free_port()
    srv = procs(["node", os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps", "node_server.js"),
                 str(port)])
    wait_port(port, proc=srv)
    t = trace("--pid", str(srv.pid))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    sizes = {}
    for n in range(1, 65):
        conn.request("GET", "/writes/%d" % n)
        r = conn.getresponse()
        body = r.read()
        assert r.status == 200
        assert r.getheader("Transfer-Encoding") == "chunked"
        sizes["/writes/%d" % n] = len(body)
    conn.close()
    spans = t.stop()
    server = server_spans(spans, srv.pid)
    assert Counter(s["url.path"] for s in server) == Counter(sizes.keys()), server
    for s in server:
        assert s["http.response.status_code"] == 200, s
        assert "error.type" not in s, s
        assert s["http.response.body.size"] == sizes[s["url.path"]], s
    assert t.stats["parse_errors"] == 0, t.stderr_lines
    assert t.stats["incomplete"] == 0, t.stderr_lines


def test_go_server_and_client(trace, procs, tmpdir_path):
    server_bin = go_build("go_server.go", tmpdir_path)
    client_bin = go_build("go_client.go", tmpdir_path)
    port = free_port()
    srv = procs([server_bin, str(port)])
    wait_port(port, proc=srv)
    cli = procs([client_bin, "http://127.0.0.1:%d" % port], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                text=True)
    t = trace("--exe", os.path.basename(server_bin), "--pid", str(cli.pid))
    out = release(cli)
    spans = t.stop()
    expected = client_requests(out)
    assert sum(expected.values()) == 9
    assert keys(server_spans(spans, srv.pid)) == expected
    assert keys([s for s in client_spans(spans) if s["process.pid"] == cli.pid]) == expected
    big = [s for s in server_spans(spans) if s["url.path"] == "/big"][0]
    assert big["http.response.body.size"] == 16 * 8192
    for s in spans:
        check_span_shape(s)
