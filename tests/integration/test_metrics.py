"""RED metrics end to end: `beyla run` on nginx under a short wrk load. The Prometheus
endpoint's request count equals nginx's access log, `promtool check metrics` accepts the
scrape, a real Prometheus scrapes it and answers the same count through its HTTP API, random
paths stay within the series cap, and SIGHUP moves the selection."""
import json
import os
import random
import re
import signal
import socket
import string
import subprocess
import threading
import time
import urllib.parse
import urllib.request

import pytest

from conftest import CLI, free_port, need, wait_port
from test_http import nginx  # noqa: F401 - the fixture

COUNT = "http_server_request_duration_seconds_count"


class Agent:
    """`beyla run --config FILE` in the background."""

    def __init__(self, tmpdir, config):
        self.port = free_port()
        self.config_path = os.path.join(tmpdir, "beyla.yaml")
        self.write_config(config)
        self.proc = subprocess.Popen([CLI, "run", "--config", self.config_path], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.ready.wait(60) or self.proc.poll() is not None:
            self.proc.kill()
            raise RuntimeError("agent did not start:\n" + "\n".join(self.lines))
        wait_port(self.port, proc=self.proc)

    def write_config(self, config):
        with open(self.config_path, "w") as f:
            f.write(config.format(port=self.port))

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            if "running (pid" in line:
                self.ready.set()
        self.ready.set()

    def wait_line(self, needle, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(needle in l for l in self.lines):
                return
            time.sleep(0.05)
        raise TimeoutError("no %r in:\n%s" % (needle, "\n".join(self.lines)))

    def scrape(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.port, timeout=10) as r:
            assert r.status == 200
            assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            return r.read().decode()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)
        self.reader.join(10)
        assert self.proc.returncode == 0, "\n".join(self.lines)
        stats = {}
        for tok in re.findall(r"(\w+)=(\d+)", self.lines[-1] if self.lines else ""):
            stats[tok[0]] = int(tok[1])
        return stats

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()


@pytest.fixture
def agent(tmpdir_path):
    started = []

    def start(config):
        a = Agent(tmpdir_path, config)
        started.append(a)
        return a

    yield start
    for a in started:
        a.kill()


def samples(text, name):
    """{labels-string: value} of the samples of one metric in a text exposition."""
    out = {}
    for line in text.splitlines():
        if line.startswith(name + "{"):
            labels, value = line[len(name):].rsplit(" ", 1)
            out[labels] = float(value)
    return out


CONFIG = """
discovery:
  pids: [{pid}]
prometheus_export:
  address: 127.0.0.1
  port: {{port}}
metrics:
  max_series: {max_series}
routes:
  patterns: [/index.html]
"""


def test_count_matches_access_log_promtool_and_prometheus(agent, nginx, procs, tmpdir_path):  # noqa: F811
    need("wrk", "wrk")
    need("promtool", "prometheus")
    need("prometheus", "prometheus")
    a = agent(CONFIG.format(pid=nginx.pid, max_series=100))
    assert any("attached to pids %d" % nginx.pid in l for l in a.lines), a.lines
    # A real Prometheus scraping the agent every 200 ms, its storage in the test's directory.
    prom_port = free_port()
    with open(os.path.join(tmpdir_path, "prometheus.yml"), "w") as f:
        f.write("global: {scrape_interval: 200ms, evaluation_interval: 1s}\n"
                "scrape_configs:\n- job_name: beyla\n  honor_labels: true\n"
                "  static_configs: [{targets: ['127.0.0.1:%d']}]\n" % a.port)
    prom = procs(["prometheus", "--config.file=" + os.path.join(tmpdir_path, "prometheus.yml"),
                  "--storage.tsdb.path=" + os.path.join(tmpdir_path, "tsdb"),
                  "--web.listen-address=127.0.0.1:%d" % prom_port])
    r = subprocess.run(["wrk", "-t2", "-c8", "-d3s", "http://127.0.0.1:%d/index.html" % nginx.port],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    logged, _ = nginx.access_log()
    total = sum(logged.values())
    assert total > 100, r.stdout
    # The last spans are in once nginx's connections closed and the tracer polled them.
    deadline = time.time() + 10
    while True:
        text = a.scrape()
        counted = sum(samples(text, COUNT).values())
        if counted >= total or time.time() > deadline:
            break
        time.sleep(0.2)
    check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    assert 'http_route="/index.html"' in text
    assert "target_info{" in text

    # Prometheus has the same count, through its HTTP API.
    wait_port(prom_port, proc=prom, timeout=30)
    got = None
    deadline = time.time() + 30
    while time.time() < deadline:
        q = urllib.parse.urlencode({"query": "sum(%s)" % COUNT})
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/query?%s" % (prom_port, q), timeout=5) as r:
                res = json.load(r)
        except OSError:
            time.sleep(0.3)
            continue
        assert res["status"] == "success", res
        if res["data"]["result"]:
            got = float(res["data"]["result"][0]["value"][1])
            if got == counted:
                break
        time.sleep(0.3)
    series = None
    q = urllib.parse.urlencode({"match[]": COUNT})
    with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/series?%s" % (prom_port, q), timeout=5) as r:
        series = json.load(r)["data"]
    stats = a.stop()
    print("logged %d, counted %d, prometheus %s, stats %s" % (total, counted, got, stats))
    assert got == counted, (got, counted)
    assert series and all(s.get("http_route") == "/index.html" for s in series), series
    # Spans lost to a full buffer (counted, never hidden) are the only way to miss requests.
    lost = stats.get("ring_full", 0) + stats.get("perf_lost", 0)
    assert total - lost <= counted <= total, (total, counted, stats)
    if not lost:
        assert counted == total


def random_paths(port, n):
    """n requests with random one-segment paths (404s) on one keep-alive connection."""
    rnd = random.Random(7)
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    f = s.makefile("rb")
    for _ in range(n):
        path = "/" + "".join(rnd.choice(string.ascii_lowercase) for _ in range(6))
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
        status = f.readline()
        length = 0
        while True:
            line = f.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        f.read(length)
        assert status.split()[1] == b"404", status
    s.close()


def test_random_paths_stay_at_the_series_cap(agent, nginx):  # noqa: F811
    cap = 20
    a = agent(CONFIG.format(pid=nginx.pid, max_series=cap))
    random_paths(nginx.port, 300)
    # nginx writes a request's log line after its response: the last one may lag the client.
    deadline = time.time() + 5
    while sum(nginx.access_log()[0].values()) < 300 and time.time() < deadline:
        time.sleep(0.05)
    logged, _ = nginx.access_log()
    total = sum(logged.values())
    assert total == 300
    deadline = time.time() + 10
    while True:
        text = a.scrape()
        counts = samples(text, COUNT)
        if sum(counts.values()) >= total or time.time() > deadline:
            break
        time.sleep(0.2)
    stats = a.stop()
    overflow = {k: v for k, v in counts.items() if 'otel_metric_overflow="true"' in k}
    print("%d series, overflow %s, stats %s" % (len(counts), overflow, stats))
    assert len(counts) == cap + 1, sorted(counts)
    assert len(overflow) == 1
    lost = stats.get("ring_full", 0) + stats.get("perf_lost", 0)
    assert total - lost <= sum(counts.values()) <= total
    assert list(overflow.values())[0] >= total - lost - cap


def test_sighup_moves_the_selection(agent, procs, tmpdir_path):
    for name in ("first", "second"):
        with open(os.path.join(tmpdir_path, name), "w") as f:
            f.write(name)
    servers = []
    for _ in range(2):
        port = free_port()
        p = procs(["python3", "-m", "http.server", "--bind", "127.0.0.1", str(port), "--directory", tmpdir_path])
        wait_port(port, proc=p)
        p.port = port
        servers.append(p)
    cfg = "discovery:\n  pids: [%d]\nprometheus_export: {{address: 127.0.0.1, port: {port}}}\n"
    a = agent(cfg % servers[0].pid)

    def get(port, path, n):
        for _ in range(n):
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
                r.read()

    def counts_by_route():
        out = {}
        for labels, v in samples(a.scrape(), COUNT).items():
            m = re.search(r'http_route="([^"]*)"', labels)
            out[m.group(1) if m else None] = out.get(m.group(1) if m else None, 0) + v
        return out

    get(servers[0].port, "/first", 3)
    get(servers[1].port, "/second", 3)
    deadline = time.time() + 10
    while counts_by_route().get("/first", 0) < 3 and time.time() < deadline:
        time.sleep(0.1)
    assert counts_by_route().get("/first") == 3 and "/second" not in counts_by_route()
    # The file now selects the other server; SIGHUP applies it.
    with open(a.config_path, "w") as f:
        f.write((cfg % servers[1].pid).format(port=a.port))
    a.proc.send_signal(signal.SIGHUP)
    a.wait_line("reload: attached to pids %d" % servers[1].pid)
    get(servers[0].port, "/first", 2)
    get(servers[1].port, "/second", 4)
    deadline = time.time() + 10
    while counts_by_route().get("/second", 0) < 4 and time.time() < deadline:
        time.sleep(0.1)
    got = counts_by_route()
    a.stop()
    assert got.get("/second") == 4 and "/first" not in got, got
