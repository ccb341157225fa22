"""The CLI's metrics without a kernel: `beyla trace --replay --prometheus` serves /metrics
(and answers bad requests with 400/404/405/431 without stalling), --metrics-out writes the
snapshot as JSON, `beyla top` prints RED rows, and `beyla run` refuses a bad configuration
naming the key or variable."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

import pytest

from test_metrics import exchanges

CLI = os.environ.get("BEYLA_CLI")
pytestmark = pytest.mark.skipif(not CLI, reason="BEYLA_CLI is not set (run through ctest)")


def raw(addr, data, timeout=5):
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                return out
            out += b


@pytest.fixture
def served():
    rec = exchanges([("/users/%d" % i, 200) for i in range(12)] + [("/cart", 502)] * 3)
    out = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
    p = subprocess.Popen([CLI, "trace", "--replay", rec, "--prometheus", "127.0.0.1:0", "--duration", "30",
                          "--routes", "/users/{id}", "--no-spans", "--metrics-out", out],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    addr = None
    for line in p.stderr:
        m = re.search(r"metrics at http://(\S+)/metrics", line)
        if m:
            addr = m.group(1)
            break
    assert addr, "no address printed"
    threading.Thread(target=p.stderr.read, daemon=True).start()
    # The replay is short: wait until its spans are all counted.
    deadline = time.time() + 10
    while time.time() < deadline:
        with urllib.request.urlopen("http://%s/metrics" % addr, timeout=5) as r:
            if "http_server_request_duration_seconds_count{" in r.read().decode():
                break
        time.sleep(0.05)
    p.addr, p.out = addr, out
    yield p
    if p.poll() is None:
        p.kill()
    os.unlink(rec)
    os.unlink(out)


def test_scrape_and_formats(served):
    with urllib.request.urlopen("http://%s/metrics" % served.addr, timeout=5) as r:
        assert r.status == 200
        assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        text = r.read().decode()
    counts = {l.split(" ")[0]: float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
              if l.startswith("http_server_request_duration_seconds_count{")}
    assert sum(counts.values()) == 15
    assert [v for k, v in counts.items() if 'http_route="/users/{id}"' in k] == [12]
    if shutil.which("promtool"):
        check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    req = urllib.request.Request("http://%s/metrics" % served.addr,
                                 headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.headers["Content-Type"].startswith("application/openmetrics-text")
        assert r.read().decode().endswith("# EOF\n")
    head = raw(served.addr, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and head.endswith(b"\r\n\r\n")
    with urllib.request.urlopen("http://%s/metrics?x=1" % served.addr, timeout=5) as r:
        assert r.status == 200


def test_bad_requests_get_errors_and_do_not_stall(served):
    a = served.addr
    # A client that connects and says nothing does not hold up the others.
    idle = socket.create_connection(tuple([a.rsplit(":", 1)[0], int(a.rsplit(":", 1)[1])]))
    try:
        assert raw(a, b"GET /nope HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 404")
        assert raw(a, b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n").startswith(b"HTTP/1.1 405")
        assert raw(a, b"\x00\x01\x02 garbage\r\n\r\n").startswith(b"HTTP/1.1 400")
        assert raw(a, b"GET /metrics\r\n\r\n").startswith(b"HTTP/1.1 400")
        assert raw(a, b"GET /metrics SPDY/3\r\n\r\n").startswith(b"HTTP/1.1 400")
        assert raw(a, b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n").startswith(b"HTTP/1.1 431")
        # Closed before a whole head: nothing to answer, nothing broken.
        raw(a, b"GET /met")
        for _ in range(50):
            assert raw(a, b"GET /metrics HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 200")
    finally:
        idle.close()
    assert served.poll() is None


def test_metrics_out_on_exit(served):
    served.send_signal(signal.SIGTERM)
    assert served.wait(30) == 0
    with open(served.out) as f:
        doc = json.loads(f.read())
    dur = [m for m in doc["metrics"] if m["name"] == "http.server.request.duration"]
    assert len(dur) == 1 and dur[0]["unit"] == "s" and len(dur[0]["bounds"]) == 15
    assert sum(p["count"] for p in dur[0]["points"]) == 15
    for p in dur[0]["points"]:
        assert sum(p["bucket_counts"]) == p["count"]
        assert p["resource"]["service.name"]


def test_top_prints_red_rows():
    rec = exchanges([("/users/%d" % i, 200) for i in range(8)] + [("/cart", 500)] * 2)
    try:
        r = subprocess.run([CLI, "top", "--replay", rec, "--routes", "/users/{id}"], capture_output=True,
                           text=True, timeout=60)
    finally:
        os.unlink(rec)
    assert r.returncode == 0, r.stderr
    assert "\033[" not in r.stdout  # not a terminal: plain lines
    # SERVICE KIND(2 words) ROUTE REQ/S ERR% P50 P99 TOTAL
    rows = {l.split()[3]: l.split() for l in r.stdout.splitlines() if " http server " in l}
    assert rows["/users/{id}"][-1] == "8" and rows["/users/{id}"][5] == "0.0%"
    assert rows["/cart"][-1] == "2" and rows["/cart"][5] == "100.0%"
    # Every request took 3 ms: both quantiles fall in OpenTelemetry's (0, 5 ms] bucket.
    for q in rows["/users/{id}"][6:8]:
        assert q.endswith("ms") and 2.5 <= float(q[:-2]) <= 5, rows


def run_agent(config, env=None, timeout=30):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(config)
    try:
        e = {k: v for k, v in os.environ.items() if not k.startswith("BEYLA_") or k == "BEYLA_CLI"}
        e.update(env or {})
        return subprocess.run([CLI, "run", "--config", f.name], capture_output=True, text=True, timeout=timeout,
                              env=e)
    finally:
        os.unlink(f.name)


@pytest.mark.parametrize("config,env,needle", [
    ("discovery: {pids: [1]}\nprometheus_exprot: {port: 9}\n", {}, "prometheus_exprot (line 2): unknown key"),
    ("discovery: {pids: [1], exe: [x]}\n", {}, "discovery.exe (line 1): unknown key"),
    ("prometheus_export: {port: 70000}\n", {}, "prometheus_export.port (line 1): '70000' is not an integer"),
    ("metrics: {max_series: many}\n", {}, "metrics.max_series"),
    ("metrics: {duration_buckets: [1, 0.5]}\n", {}, "metrics.duration_buckets (line 1): bounds must increase"),
    ("routes: {patterns: [users]}\n", {}, "routes.patterns (line 1): 'users' does not start with '/'"),
    ("routes: {unmatched: path}\n", {}, "routes.unmatched"),
    ("trace_printer: fancy\n", {}, "trace_printer (line 1): 'fancy'"),
    ("open_port: 80-70\n", {}, "open_port"),
    ("discovery: [1, 2]\n", {}, "discovery: must be a mapping"),
    ("discovery: {pids: [1]\n", {}, "yaml"),
    ("", {"BEYLA_OPEN_PORT": "http"}, "BEYLA_OPEN_PORT: 'http' is not a port"),
    ("", {"BEYLA_PROMETHEUS_PORT": "x9"}, "BEYLA_PROMETHEUS_PORT"),
    ("", {"BEYLA_TRACE_PRINTER": "xml"}, "BEYLA_TRACE_PRINTER"),
    ("", {"BEYLA_EXECUTABLE_NAME": "nginx"}, "BEYLA_EXECUTABLE_NAME"),
    ("", {"BEYLA_OPEN_PORT": "80", "BEYLA_AUTO_TARGET_EXE": "*/nginx"}, "set one of them"),
    ("log_level: debug\n", {}, "nothing selected"),
])
def test_run_refuses_bad_configuration_naming_it(config, env, needle):
    r = run_agent(config, env)
    assert r.returncode in (1, 2), r
    assert needle.lower() in r.stderr.lower(), r.stderr


def test_run_config_path_from_environment():
    r = subprocess.run([CLI, "run"], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, BEYLA_CONFIG_PATH="/nonexistent/beyla.yaml"))
    assert r.returncode == 2 and "/nonexistent/beyla.yaml: cannot be read" in r.stderr
