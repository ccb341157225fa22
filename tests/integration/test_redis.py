"""Redis spans from a real redis-server, compared with the server's own INFO commandstats.

The server runs in a temporary directory on a free port (and a unix socket); its clients are
redis-cli, redis-benchmark (one command per round trip, then pipelined) and python3-redis.
"""
import os
import shutil
import subprocess
import sys
import textwrap
from collections import Counter

import pytest

from conftest import client_spans, free_port, server_spans, wait_port


def need_redis():
    for tool, pkg in (("redis-server", "redis-server"), ("redis-cli", "redis-tools"),
                      ("redis-benchmark", "redis-tools")):
        if not shutil.which(tool):
            pytest.skip("%s is not installed (Debian package %s)" % (tool, pkg))


@pytest.fixture
def redis_server(procs, tmpdir_path):
    need_redis()
    port = free_port()
    sock = os.path.join(tmpdir_path, "redis.sock")
    srv = procs(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--unixsocket", sock,
                 "--unixsocketperm", "700", "--dir", tmpdir_path, "--save", "", "--appendonly", "no",
                 "--daemonize", "no", "--logfile", os.path.join(tmpdir_path, "redis.log")])
    wait_port(port, proc=srv)
    srv.port = port
    srv.sock = sock
    return srv


def cli(port, *args, check=True):
    r = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port)] + list(args), capture_output=True,
                       text=True, timeout=60)
    if check:
        assert r.returncode == 0, r.stderr
    return r.stdout


def commandstats(port):
    """INFO commandstats as {db.operation.name: calls}: cmdstat_config|get -> CONFIG GET."""
    out = Counter()
    for line in cli(port, "INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            name, fields = line[len("cmdstat_"):].split(":", 1)
            calls = int(dict(f.split("=") for f in fields.split(","))["calls"])
            out[name.replace("|", " ").upper()] = calls
    return out


# The test's own bookkeeping commands, sent by untraced redis-cli processes.
HARNESS = {"INFO", "CONFIG RESETSTAT"}


def ops(spans):
    return Counter(s["db.operation.name"] for s in spans if s["db.operation.name"] not in HARNESS)


def lossless(t):
    return not any(t.stats.get(k, 0) for k in ("ring_full", "perf_lost", "gaps"))


def compare(got, want, t):
    """Spans per operation == the server's counts; when the tracer reports lost events, no
    more than them and nearly all of them."""
    want = Counter({k: v for k, v in want.items() if k not in HARNESS})
    if lossless(t):
        assert got == want, {"missing": dict(want - got), "extra": dict(got - want), "stats": t.stats}
    else:
        assert not (got - want), {"extra": dict(got - want), "stats": t.stats}
        assert sum(got.values()) >= 0.95 * sum(want.values()), t.stats


def check_shape(s, kind):
    assert s["protocol"] == "redis" and s["kind"] == kind
    assert s["db.system.name"] == "redis"
    assert s["end_time_unix_nano"] >= s["start_time_unix_nano"] > 1600000000 * 10**9
    assert s["server.address"] == "127.0.0.1"
    assert s["db.query.text"].split(" ?")[0].startswith(s["db.operation.name"].split(" ")[0])


def test_redis_server_spans_match_commandstats(trace, redis_server):
    port = redis_server.port
    t = trace("--pid", str(redis_server.pid))
    cli(port, "CONFIG", "RESETSTAT")
    cli(port, "SET", "greeting", "hello world")
    cli(port, "GET", "greeting")
    cli(port, "CLIENT", "SETNAME", "it")
    wrong = cli(port, "LPUSH", "greeting", "x", check=False)
    assert "WRONGTYPE" in wrong
    cli(port, "-n", "3", "SET", "in3", "1")  # SELECT 3, then SET
    subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-n", "20000", "-P", "1", "-q",
                    "-t", "set,get,incr,lpush"], check=True, capture_output=True, timeout=300)
    subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-n", "20000", "-P", "16", "-q",
                    "-t", "set,get"], check=True, capture_output=True, timeout=300)
    want = commandstats(port)
    spans = t.stop()
    mine = server_spans(spans, redis_server.pid)
    assert mine and all(s["protocol"] == "redis" for s in mine)
    for s in mine[:200]:
        check_shape(s, "server")
    assert want["SET"] >= 40002 and want["GET"] >= 40001
    compare(ops(mine), want, t)
    err = [s for s in mine if s["db.operation.name"] == "LPUSH" and "error.type" in s]
    assert len(err) == 1
    assert err[0]["error.type"] == "WRONGTYPE" and err[0]["db.response.status_code"] == "WRONGTYPE"
    assert all(s["error.type"] == "WRONGTYPE" for s in mine if "error.type" in s)
    in3 = [s for s in mine if s["db.operation.name"] == "SET" and s.get("db.namespace") == "3"]
    assert len(in3) == 1
    assert any(s["db.operation.name"] == "CLIENT SETNAME" and s["db.query.text"] == "CLIENT SETNAME ?"
               for s in mine)
    greeting = [s for s in mine if s["db.operation.name"] == "SET"][0]
    assert "hello" not in greeting["db.query.text"]  # literals masked by default


CLIENT = textwrap.dedent("""
    import sys, redis
    port = int(sys.argv[1])
    sys.stdin.readline()
    r = redis.Redis(host="127.0.0.1", port=port, db=2)
    r.set("k", "v")
    assert r.get("k") == b"v"
    for i in range(50):
        r.incr("n")
    p = r.pipeline(transaction=False)
    for i in range(20):
        p.set("p%d" % i, i)
    p.mget(["p%d" % i for i in range(20)])
    p.execute()
    tx = r.pipeline(transaction=True)
    tx.incr("n")
    tx.lpush("l", "a", "b")
    tx.lrange("l", 0, -1)
    tx.execute()
    try:
        r.lpush("k", "x")
    except redis.ResponseError as e:
        assert "WRONGTYPE" in str(e)
    ps = r.pubsub()
    ps.subscribe("ch")
    assert ps.get_message(timeout=5)["type"] == "subscribe"
    for i in range(3):
        r.publish("ch", "m%d" % i)
    got = 0
    while got < 3:
        m = ps.get_message(timeout=5)
        assert m is not None
        got += m["type"] == "message"
    ps.unsubscribe("ch")
    assert ps.get_message(timeout=5)["type"] == "unsubscribe"
    ps.close()
    r.close()
    print("done")
""")


def test_redis_python_client_spans(trace, procs, redis_server, tmpdir_path):
    try:
        import redis  # noqa: F401
    except ImportError:
        pytest.skip("python3-redis is not installed (Debian package python3-redis)")
    port = redis_server.port
    cli(port, "CONFIG", "RESETSTAT")
    app = os.path.join(tmpdir_path, "client.py")
    with open(app, "w") as f:
        f.write(CLIENT)
    c = procs(["/usr/bin/python3", app, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    t = trace("--pid", str(c.pid))
    out, _ = c.communicate("go\n", timeout=120)
    assert c.returncode == 0 and "done" in out
    want = commandstats(port)
    spans = t.stop()
    mine = [s for s in client_spans(spans) if s["process.pid"] == c.pid]
    for s in mine:
        check_shape(s, "client")
        assert s["server.port"] == port
    compare(ops(mine), want, t)
    assert want["INCRBY"] == 51, want  # redis-py sends INCR as INCRBY
    assert want["MULTI"] == 1 and want["EXEC"] == 1 and want["SELECT"] >= 1
    # The commands inside MULTI are spans of their own, answered QUEUED.
    assert ops(mine)["LPUSH"] == 2
    assert all(s.get("db.namespace") == "2" for s in mine if s["db.operation.name"] != "SELECT")
    wrong = [s for s in mine if s.get("error.type")]
    assert [s["error.type"] for s in wrong] == ["WRONGTYPE"]
    # Pub/sub messages are pushes, not spans.
    if lossless(t):
        assert t.stats.get("redis.pushes") == 3, t.stats


def test_redis_over_its_unix_socket(trace, procs, redis_server, tmpdir_path):
    """The server selected by its socket's path (--unix), redis-cli and redis-benchmark over
    the socket; and a python3-redis client over it, traced for its client spans."""
    sock = redis_server.sock
    t = trace("--unix", sock)

    def ucli(*args, check=True):
        r = subprocess.run(["redis-cli", "-s", sock] + list(args), capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 or not check, r.stderr
        return r.stdout

    ucli("CONFIG", "RESETSTAT")
    ucli("SET", "u", "1")
    assert "WRONGTYPE" in ucli("LPUSH", "u", "x", check=False)
    subprocess.run(["redis-benchmark", "-s", sock, "-n", "20000", "-P", "1", "-q", "-t", "set,get"], check=True,
                   capture_output=True, timeout=300)
    want = commandstats(redis_server.port)  # over TCP: not a unix-socket span
    spans = t.stop()
    mine = [s for s in server_spans(spans, redis_server.pid) if s.get("network.transport") == "unix"]
    assert mine
    for s in mine[:200]:
        assert s["protocol"] == "redis" and s["server.address"] == sock
        assert "server.port" not in s and "client.address" not in s
    unix_want = Counter({k: v for k, v in want.items() if k not in HARNESS})
    compare(ops(mine), unix_want, t)
    assert want["SET"] == 20001 and want["GET"] == 20000
    assert [s["error.type"] for s in mine if "error.type" in s] == ["WRONGTYPE"] or not lossless(t)

    try:
        import redis  # noqa: F401
    except ImportError:
        pytest.skip("python3-redis is not installed (Debian package python3-redis)")
    app = os.path.join(tmpdir_path, "unix_client.py")
    with open(app, "w") as f:
        f.write(textwrap.dedent("""
            import sys, time, redis
            sys.stdin.readline()
            r = redis.Redis(unix_socket_path=sys.argv[1])
            for i in range(25):
                r.set("c%d" % i, i)
                r.get("c%d" % i)
            # The path is found from the server's socket while it lives (see ARCHITECTURE).
            time.sleep(1)
            print("done")
        """))
    cli(redis_server.port, "CONFIG", "RESETSTAT")
    c = procs(["/usr/bin/python3", app, sock], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    t2 = trace("--pid", str(c.pid))
    out, _ = c.communicate("go\n", timeout=120)
    assert c.returncode == 0 and "done" in out
    want = commandstats(redis_server.port)
    spans = t2.stop()
    mine = [s for s in client_spans(spans) if s["process.pid"] == c.pid]
    assert all(s["network.transport"] == "unix" and s["server.address"] == sock for s in mine)
    compare(ops(mine), want, t2)
    assert want["SET"] == 25 and want["GET"] == 25
