"""memcached spans from a real memcached, compared with the server's own `stats` counters.

memcached runs on a free port (no UDP); the client is python3-pymemcache, traced together
with the server: both sides' spans must count what the server counted.
"""
import os
import shutil
import socket
import subprocess
import textwrap
from collections import Counter

import pytest

from conftest import client_spans, free_port, server_spans, wait_port


@pytest.fixture
def memcached_server(procs):
    if not shutil.which("memcached"):
        pytest.skip("memcached is not installed (Debian package memcached)")
    port = free_port()
    srv = procs(["memcached", "-u", "nobody", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-t", "2", "-m", "64"])
    wait_port(port, proc=srv)
    srv.port = port
    return srv


def stats(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"stats\r\n")
        buf = b""
        while not buf.endswith(b"END\r\n"):
            chunk = s.recv(65536)
            assert chunk
            buf += chunk
    out = {}
    for line in buf.decode().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "STAT":
            out[parts[1]] = int(parts[2]) if parts[2].isdigit() else parts[2]
    return out


CLIENT = textwrap.dedent("""
    import sys
    from pymemcache.client.base import Client
    from pymemcache.exceptions import MemcacheClientError
    c = Client(("127.0.0.1", int(sys.argv[1])), default_noreply=False)
    sys.stdin.readline()
    for i in range(30):
        c.set("k%d" % i, "v%d" % i)
    for i in range(40):
        c.get("k%d" % i)  # 10 misses
    c.get_many(["k1", "k2", "k3", "nope"])
    c.set("quiet", "x", noreply=True)
    c.add("k1", "dup")  # NOT_STORED
    c.add("new", "1")
    c.replace("new", "2")
    c.append("new", "3")
    c.prepend("new", "0")
    v, cas = c.gets("new")
    c.cas("new", "9", cas)
    c.cas("new", "8", cas)  # EXISTS
    c.set("n", "10")
    c.incr("n", 5)
    c.decr("n", 2)
    c.incr("missing", 1)
    c.touch("n", 100)
    c.delete("k0")
    c.delete("k0")
    c.delete("k1", noreply=True)
    try:
        c.incr("k2", 1)  # CLIENT_ERROR: "v2" is not a number
    except MemcacheClientError:
        pass
    c.version()
    c.close()
    print("done")
""")

# db.operation.name -> the stats counters its commands add to.
STORAGE = ("set", "add", "replace", "append", "prepend", "cas")


def lossless(t):
    return not any(t.stats.get(k, 0) for k in ("ring_full", "perf_lost", "gaps"))


def counts(spans):
    """The server's counters as the spans tell them (a command that failed counts nothing)."""
    c = Counter()
    for s in spans:
        if "error.type" in s:
            continue
        op = s["db.operation.name"]
        if op in ("get", "gets"):
            c["cmd_get"] += s.get("db.operation.batch.size", 1)
        elif op in STORAGE:
            c["cmd_set"] += 1
        elif op == "touch":
            c["cmd_touch"] += 1
        elif op == "delete":
            c["delete"] += 1
        elif op in ("incr", "decr"):
            c[op] += 1
    return c


def server_counts(st):
    return Counter({"cmd_get": st["cmd_get"], "cmd_set": st["cmd_set"], "cmd_touch": st["cmd_touch"],
                    "delete": st["delete_hits"] + st["delete_misses"],
                    "incr": st["incr_hits"] + st["incr_misses"], "decr": st["decr_hits"] + st["decr_misses"]})


def test_memcached_spans_match_stats(trace, procs, memcached_server, tmpdir_path):
    try:
        import pymemcache  # noqa: F401
    except ImportError:
        pytest.skip("python3-pymemcache is not installed (Debian package python3-pymemcache)")
    port = memcached_server.port
    app = os.path.join(tmpdir_path, "client.py")
    with open(app, "w") as f:
        f.write(CLIENT)
    c = procs(["/usr/bin/python3", app, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    t = trace("--pid", str(memcached_server.pid), "--pid", str(c.pid))
    out, _ = c.communicate("go\n", timeout=120)
    assert c.returncode == 0 and "done" in out
    st = stats(port)
    spans = t.stop()
    want = server_counts(st)
    assert want["cmd_get"] == 45 and want["cmd_set"] == 39 and want["delete"] == 3, st
    srv = [s for s in server_spans(spans, memcached_server.pid) if s["db.operation.name"] != "stats"]
    cli = [s for s in client_spans(spans) if s["process.pid"] == c.pid]
    for side, kind in ((srv, "server"), (cli, "client")):
        for s in side:
            assert s["protocol"] == "memcached" and s["kind"] == kind
            assert s["db.system.name"] == "memcached"
            assert s["server.port"] == port
            assert s["end_time_unix_nano"] >= s["start_time_unix_nano"]
        got = counts(side)
        if lossless(t):
            assert got == want, (kind, got, want, t.stats)
        else:
            assert not (got - want), (kind, got, want, t.stats)
        errors = [s for s in side if "error.type" in s]
        if lossless(t):
            assert [(s["db.operation.name"], s["error.type"]) for s in errors] == [("incr", "CLIENT_ERROR")]
        if lossless(t):
            many = [s for s in side if s.get("db.operation.batch.size")]
            assert [(s["db.operation.name"], s["db.operation.batch.size"]) for s in many] == [("get", 4)]
            assert Counter(s["db.operation.name"] for s in side)["version"] == 1
