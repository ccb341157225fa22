"""gRPC spans from real servers and clients (Go's google.golang.org/grpc and Python's grpcio,
both from Debian), compared with what they print of each call.

One span per call: "protocol" "grpc", "network.protocol.version" "2", rpc.system "grpc",
rpc.service, rpc.method, rpc.grpc.status_code (from the trailers), error.type when not OK.
"""
import os
import subprocess

import pytest

from conftest import (mismatch, GOCODE, HERE, client_spans, free_port, go_build, rpc_calls, rpc_keys, server_spans,
                      wait_port)
from test_http import release
from test_tls import cert  # noqa: F401 (fixture)


def need_go_grpc():
    if not os.path.isdir(os.path.join(GOCODE, "src/google.golang.org/grpc/health")):
        pytest.skip("Go gRPC sources are not installed (Debian package golang-google-grpc-dev)")


def need_python_grpc():
    r = subprocess.run(["/usr/bin/python3", "-c", "import grpc"], capture_output=True, timeout=60)
    if r.returncode != 0:
        pytest.skip("python3 cannot import grpc (Debian package python3-grpcio)")


def check_grpc_span(s, tls, port):
    assert s["protocol"] == "grpc", s
    assert s["network.protocol.version"] == "2", s
    assert s["rpc.system"] == "grpc", s
    assert s["end_time_unix_nano"] >= s["start_time_unix_nano"] > 1600000000 * 10**9, s
    assert s["process.pid"] > 0 and s["process.executable.name"], s
    assert s["server.address"] == "127.0.0.1" and s["client.address"] == "127.0.0.1", s
    assert s["server.port"] == port and s["client.port"] > 0, s
    if s["rpc.grpc.status_code"] == 0:
        assert "error.type" not in s, s
    else:
        assert s.get("error.type"), s
    if tls:
        assert s.get("url.scheme") == "https", s


def check_calls(t, spans, expected, server_pid, client_pid, tls, port):
    srv = server_spans(spans, server_pid)
    cl = [s for s in client_spans(spans) if s["process.pid"] == client_pid]
    assert rpc_keys(srv) == expected, mismatch(rpc_keys(srv), expected, srv)
    assert rpc_keys(cl) == expected, mismatch(rpc_keys(cl), expected, cl)
    assert len(spans) == len(srv) + len(cl), spans  # one span per call, no HTTP/2 span beside it
    for s in srv + cl:
        check_grpc_span(s, tls, port)
    assert t.stats.get("parse_errors", 0) == 0 and t.stats.get("malformed", 0) == 0, t.stats


def go_grpc_server(procs, tmpdir_path, args):
    need_go_grpc()
    binary = go_build("go_grpc_server.go", tmpdir_path)
    port = free_port()
    srv = procs([binary, str(port)] + list(args), stdout=subprocess.PIPE, text=True)
    wait_port(port, proc=srv)
    return srv, port


def stopped_output(p):
    p.terminate()
    return p.communicate(timeout=20)[0]


GO_CALLS = {("grpc.health.v1.Health", "Check", 0): 1, ("grpc.health.v1.Health", "Check", 5): 1,
            ("beyla.test.Echo", "Unary", 0): 3, ("beyla.test.Echo", "Unary", 5): 1,
            ("beyla.test.Echo", "Unary", 14): 1, ("beyla.test.Echo", "Unary", 3): 1,
            ("beyla.test.Echo", "Stream", 0): 2, ("beyla.test.Echo", "Stream", 10): 1}


@pytest.mark.parametrize("tls", [False, pytest.param(True, marks=pytest.mark.xfail(
    reason="the HTTP/2 decoder today: Go gRPC spans over crypto/tls have no url.scheme", strict=False))],
    ids=["h2c", "tls"])
def test_go_grpc_server_and_client(trace, procs, tmpdir_path, cert, tls):
    # Unary calls, server streaming, statuses NotFound / Unavailable / InvalidArgument / Aborted
    # (after two messages); the health service's NotFound for an unknown service name.
    srv, port = go_grpc_server(procs, tmpdir_path, cert if tls else ())
    client_bin = go_build("go_grpc_client.go", tmpdir_path)
    cli = procs([client_bin, "127.0.0.1:%d" % port] + (["--tls"] if tls else []), stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, text=True)
    t = trace("--tls", "--pid", str(srv.pid), "--pid", str(cli.pid))
    out = release(cli)
    spans = t.stop()
    expected = rpc_calls(out)
    assert expected == GO_CALLS, out
    assert rpc_calls(stopped_output(srv)) == expected
    check_calls(t, spans, expected, srv.pid, cli.pid, tls, port)
    errors = {s["rpc.grpc.status_code"]: s["error.type"] for s in spans if "error.type" in s}
    assert set(errors) == {3, 5, 10, 14}, errors


def python_grpc_server(procs):
    need_python_grpc()
    port = free_port()
    srv = procs(["/usr/bin/python3", os.path.join(HERE, "apps", "grpc_py.py"), "server", str(port)],
                stdout=subprocess.PIPE, text=True)
    assert srv.stdout.readline().strip() == "ready"
    wait_port(port, proc=srv)
    return srv, port


@pytest.mark.xfail(reason="the HTTP/2 decoder today: grpcio's server spans lose rpc.service/rpc.method "
                          "(beyla.http2.missing: path) and some status codes", strict=False)
def test_python_grpc_server_and_client(trace, procs, tmpdir_path):
    srv, port = python_grpc_server(procs)
    cli = procs(["/usr/bin/python3", os.path.join(HERE, "apps", "grpc_py.py"), "client", str(port)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    t = trace("--pid", str(srv.pid), "--pid", str(cli.pid))
    out = release(cli)
    spans = t.stop()
    expected = rpc_calls(out)
    assert expected == {("beyla.test.Echo", "Unary", 0): 3, ("beyla.test.Echo", "Unary", 5): 1,
                        ("beyla.test.Echo", "Unary", 14): 1, ("beyla.test.Echo", "Stream", 0): 2,
                        ("beyla.test.Echo", "Stream", 10): 1}, out
    assert rpc_calls(stopped_output(srv)) == expected
    check_calls(t, spans, expected, srv.pid, cli.pid, False, port)


def test_go_grpc_client_and_python_server(trace, procs, tmpdir_path):
    # The Python server has no health service: grpcio answers Unimplemented (12) itself.
    need_go_grpc()
    srv, port = python_grpc_server(procs)
    client_bin = go_build("go_grpc_client.go", tmpdir_path)
    cli = procs([client_bin, "127.0.0.1:%d" % port], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    t = trace("--pid", str(srv.pid), "--pid", str(cli.pid))
    out = release(cli)
    spans = t.stop()
    expected = rpc_calls(out)
    want = dict(GO_CALLS)
    del want[("grpc.health.v1.Health", "Check", 0)], want[("grpc.health.v1.Health", "Check", 5)]
    want[("grpc.health.v1.Health", "Check", 12)] = 2
    assert expected == want, out
    served = rpc_calls(stopped_output(srv))
    assert served == {k: n for k, n in want.items() if k[0] == "beyla.test.Echo"}
    check_calls(t, spans, expected, srv.pid, cli.pid, False, port)
