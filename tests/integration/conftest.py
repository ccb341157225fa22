"""Integration tests: real servers and clients from Debian, traced by the `beyla` CLI.

They need root with BPF. When that is really absent, every test here is skipped with the
name of what is missing; otherwise they run and must pass.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter

import pytest

CLI = os.environ.get("BEYLA_CLI", "")
BUILD = os.environ.get("BEYLA_BUILD_DIR", "")
HERE = os.path.dirname(os.path.abspath(__file__))


def _missing_capability():
    if not CLI or not os.path.exists(CLI):
        return "the beyla CLI (set BEYLA_CLI)"
    if os.geteuid() != 0:
        return "root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN): tests run as uid %d" % os.geteuid()
    out = subprocess.run([CLI, "caps", "--json"], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        return "a working `beyla caps` (exit %d: %s)" % (out.returncode, out.stderr.strip())
    summary = json.loads(out.stdout).get("summary", {})
    if not summary.get("can_trace"):
        return "a kernel the tracer can use: %s" % json.dumps(summary)
    return None


_MISSING = _missing_capability()


def pytest_collection_modifyitems(config, items):
    if _MISSING:
        mark = pytest.mark.skip(reason="needs " + _MISSING)
        for item in items:
            item.add_marker(mark)
        print("integration tests skipped: needs " + _MISSING)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20.0, proc=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("port %d never opened" % port)


class TraceRun:
    """`beyla trace ARGS --output FILE` in the background; stop() returns its spans."""

    def __init__(self, args, tmpdir):
        self.out = os.path.join(tmpdir, "spans-%d.jsonl" % time.monotonic_ns())
        self.args = [CLI, "trace", "--output", self.out] + list(args)
        self.proc = subprocess.Popen(self.args, stderr=subprocess.PIPE, text=True)
        self.stderr_lines = []
        ready = threading.Event()

        def reader():
            for line in self.proc.stderr:
                self.stderr_lines.append(line.rstrip("\n"))
                if "tracing;" in line:
                    ready.set()
            ready.set()

        self.reader = threading.Thread(target=reader, daemon=True)
        self.reader.start()
        if not ready.wait(60) or self.proc.poll() is not None:
            self.proc.kill()
            raise RuntimeError("tracer did not start: %s" % "\n".join(self.stderr_lines))

    def stop(self, settle=0.5):
        time.sleep(settle)
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        self.reader.join(10)
        assert self.proc.returncode == 0, "\n".join(self.stderr_lines)
        with open(self.out) as f:
            self.spans = [json.loads(line) for line in f if line.strip()]
        self.stats = {}
        for line in self.stderr_lines:
            if line.startswith("beyla:"):
                for tok in line.split():
                    if "=" in tok:
                        k, v = tok.split("=", 1)
                        if v.isdigit():
                            self.stats[k] = int(v)
        return self.spans


@pytest.fixture
def tmpdir_path():
    d = tempfile.mkdtemp(prefix="beyla-it-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def trace(tmpdir_path):
    runs = []

    def start(*args):
        r = TraceRun(args, tmpdir_path)
        runs.append(r)
        return r

    yield start
    for r in runs:
        if r.proc.poll() is None:
            r.proc.kill()


@pytest.fixture
def procs():
    """Processes started by a test; killed at the end, whatever happens."""
    started = []

    def spawn(cmd, **kw):
        p = subprocess.Popen(cmd, stdout=kw.pop("stdout", subprocess.DEVNULL),
                             stderr=kw.pop("stderr", subprocess.DEVNULL), **kw)
        started.append(p)
        return p

    yield spawn
    for p in started:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def curl(*args, timeout=20):
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}"] + list(args),
                       capture_output=True, text=True, timeout=timeout)
    return int(r.stdout or 0)


def server_spans(spans, pid=None):
    return [s for s in spans if s["kind"] == "server" and (pid is None or s["process.pid"] == pid)]


def client_spans(spans):
    return [s for s in spans if s["kind"] == "client"]


def key(s):
    return (s.get("http.request.method"), s.get("url.path"), s.get("http.response.status_code"))


def keys(spans):
    return Counter(key(s) for s in spans)


def client_requests(out):
    """The "METHOD PATH STATUS" lines a test client printed (fields after these ignored), as a
    multiset of span keys."""
    expected = Counter()
    for line in out.splitlines():
        m, p, st = line.split()[:3]
        expected[(m, p, int(st))] += 1
    return expected


def mismatch(got, want, spans=()):
    """What an assertion of got == want (Counters of keys) prints: the keys missing and extra,
    and the spans that carry an extra key."""
    extra = got - want
    return {"missing": dict(want - got), "extra": dict(extra),
            "extra spans": [s for s in spans if key(s) in extra or rpc_key(s) in extra][:10]}


def rpc_key(s):
    return (s.get("rpc.service"), s.get("rpc.method"), s.get("rpc.grpc.status_code"))


def rpc_keys(spans):
    return Counter(rpc_key(s) for s in spans)


def rpc_calls(out):
    """The "SERVICE METHOD CODE" lines a gRPC test app printed, as a multiset of rpc_key()s."""
    expected = Counter()
    for line in out.splitlines():
        if line.strip() and line != "ready":
            service, method, code = line.split()
            expected[(service, method, int(code))] += 1
    return expected


def need(tool, package):
    """Skips the test when `tool` is not on PATH, naming the Debian package that has it."""
    if not shutil.which(tool):
        pytest.skip("%s is not installed (Debian package %s)" % (tool, package))


GOCODE = "/usr/share/gocode"  # Debian's golang-*-dev sources: golang.org/x/net, google.golang.org/grpc


def go_build(src, tmpdir, flags=()):
    """Builds a Go program from tests/integration/apps, GOPATH-style: the standard library and
    the sources Debian's golang-*-dev packages put under /usr/share/gocode (no module proxy)."""
    out = os.path.join(tmpdir, os.path.splitext(os.path.basename(src))[0])
    env = dict(os.environ, GO111MODULE="off", GOFLAGS="",
               GOCACHE=os.path.join(BUILD or tmpdir, "gocache"),
               GOPATH=os.path.join(BUILD or tmpdir, "gopath") + ":" + GOCODE)
    subprocess.run(["go", "build"] + list(flags) + ["-o", out, os.path.join(HERE, "apps", src)], check=True,
                   env=env, timeout=600)
    return out
