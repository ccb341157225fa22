"""HTTPS through TLS libraries other than a shared libssl: GnuTLS, OpenSSL linked into the
executable, and libraries loaded after tracing began."""
import os
import shutil
import subprocess
from collections import Counter

import pytest

from conftest import client_requests, client_spans, free_port, keys, server_spans, wait_port
from test_http import release, released_client
from test_tls import cert, start_py_tls_server  # noqa: F401 (fixture)


def check_https(spans, expected, kind_filter, exe=None):
    got = kind_filter(spans)
    assert keys(got) == expected, spans
    for s in got:
        assert s["url.scheme"] == "https", s
        assert s["server.address"] == "127.0.0.1" and s["client.address"] == "127.0.0.1"
        if exe:
            assert s["process.executable.name"].startswith(exe), s


def tls_report(t):
    """The CLI's closing list of probed TLS libraries: {(kind, path): set of pids}."""
    out = {}
    for line in t.stderr_lines:
        if line.startswith("beyla: tls library "):
            head, _, pids = line[len("beyla: tls library "):].partition(", processes:")
            kind, path = head.rsplit(" (", 1)[0].split(" ", 1)
            out[(kind, path)] = {int(p) for p in pids.split()}
    return out


def test_gnutls_cli_client(trace, procs, tmpdir_path, cert):
    if not shutil.which("gnutls-cli"):
        pytest.skip("gnutls-cli (gnutls-bin) is not installed")
    srv, port = start_py_tls_server(procs, tmpdir_path, cert)
    # Two requests on one connection; the server closes after the second, which ends
    # gnutls-cli (stdin stays open until then, or it would close first).
    reqs = ("GET /g1 HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n"
            "GET /missing HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n")
    cli = released_client(procs, "{ printf '%s'; sleep 3; } | gnutls-cli --insecure -p %d 127.0.0.1 "
                                 ">/dev/null 2>&1; true" % (reqs, port))
    t = trace("-v", "--tls", "--pid", str(srv.pid), "--pid", str(cli.pid))
    release(cli)
    spans = t.stop()
    expected = Counter({("GET", "/g1", 200): 1, ("GET", "/missing", 404): 1})
    check_https(spans, expected, client_spans, "gnutls-cli")
    check_https(spans, expected, lambda sp: server_spans(sp, srv.pid))
    assert t.stats["parse_errors"] == 0 and t.stats["malformed"] == 0
    assert any("TLS: process" in line and "gnutls" in line and "libgnutls.so" in line
               for line in t.stderr_lines), t.stderr_lines
    report = tls_report(t)
    gnutls = [pids for (kind, path), pids in report.items() if kind == "gnutls" and "libgnutls.so" in path]
    assert gnutls and any(pids for pids in gnutls), report  # gnutls-cli, a child of the traced shell
    assert any(srv.pid in pids for (kind, _), pids in report.items() if kind == "openssl-shared"), report


def build_tls_client(tmpdir_path, name, *extra):
    """tests/integration/apps/tls_client.c with Debian's libssl.a/libcrypto.a linked in."""
    static = [d for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib")
              if os.path.exists(os.path.join(d, "libssl.a"))]
    if not shutil.which("cc") or not static:
        pytest.skip("needs a C compiler and a static OpenSSL (libssl-dev)")
    out = os.path.join(tmpdir_path, name)
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps", "tls_client.c")
    libs = ["-l:libssl.a", "-l:libcrypto.a", "-ldl", "-lpthread"]
    subprocess.run(["cc", "-O1", "-o", out, src] + list(extra) + libs, check=True, capture_output=True,
                   timeout=120)
    return out


def test_openssl_linked_into_the_executable(trace, procs, tmpdir_path, cert):
    exe = build_tls_client(tmpdir_path, "tlsclient")
    # Really linked in: defined in the executable, no libssl.so mapped.
    nm = subprocess.run(["nm", exe], capture_output=True, text=True, check=True).stdout
    assert any(line.endswith(" T SSL_read") for line in nm.splitlines())
    assert "libssl" not in subprocess.run(["ldd", exe], capture_output=True, text=True).stdout
    srv, port = start_py_tls_server(procs, tmpdir_path, cert)
    cli = procs([exe, str(port), "/s1", "/missing", "/s2"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                text=True)
    t = trace("-v", "--tls", "--pid", str(srv.pid), "--pid", str(cli.pid))
    out = release(cli)
    assert out.split() == ["/s1", "200", "/missing", "404", "/s2", "200"]
    spans = t.stop()
    expected = Counter({("GET", "/s1", 200): 1, ("GET", "/missing", 404): 1, ("GET", "/s2", 200): 1})
    check_https(spans, expected, client_spans, "tlsclient")
    check_https(spans, expected, lambda sp: server_spans(sp, srv.pid))
    assert t.stats["parse_errors"] == 0 and t.stats["malformed"] == 0
    assert any("TLS: process %d uses openssl-static" % cli.pid in line and exe in line
               for line in t.stderr_lines), t.stderr_lines
    assert cli.pid in tls_report(t)[("openssl-static", exe)]


def test_executable_without_symbols_is_reported_not_probed(trace, procs, tmpdir_path, cert):
    exe = build_tls_client(tmpdir_path, "tlsstripped", "-static", "-s")
    if subprocess.run(["readelf", "-S", exe], capture_output=True, text=True).stdout.count("sym") != 0:
        pytest.skip("the toolchain left a symbol table in a stripped static executable")
    srv, port = start_py_tls_server(procs, tmpdir_path, cert)
    cli = procs([exe, str(port), "/s1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    t = trace("-v", "--tls", "--pid", str(srv.pid), "--pid", str(cli.pid))
    assert release(cli).split() == ["/s1", "200"]
    spans = t.stop()
    # The server's libssl still shows the request; the client's TLS is out of reach.
    check_https(spans, Counter({("GET", "/s1", 200): 1}), lambda sp: server_spans(sp, srv.pid))
    assert client_spans(spans) == []
    assert any("has no symbol table" in line and exe in line for line in t.stderr_lines), t.stderr_lines
    assert not any(path == exe for _, path in tls_report(t))


PY_LATE_TLS_CLIENT = """
import sys, time
sys.stdin.readline()
import ssl, http.client  # only now: _ssl and its libssl are loaded (dlopen) while traced
# Probes attach once the tracer has seen the mapping (its next poll): not in the same instant.
time.sleep(1)
c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=ssl._create_unverified_context())
for p in ("/late1", "/missing", "/late2"):
    c.request("GET", p)
    r = c.getresponse()
    r.read()
    print(p, r.status, flush=True)
"""


def test_library_loaded_after_the_tracer_started(trace, procs, tmpdir_path, cert):
    libssl = "/usr/lib/x86_64-linux-gnu/libssl.so.3"
    if not os.path.exists(libssl):
        pytest.skip("no %s to load a private copy of" % libssl)
    # A private copy (another file than the system's, which is probed from the start):
    # only a look at the process's mappings after the dlopen can find it.
    libdir = os.path.join(tmpdir_path, "lib")
    os.makedirs(libdir)
    shutil.copy(libssl, libdir)
    script = os.path.join(tmpdir_path, "late_client.py")
    with open(script, "w") as f:
        f.write(PY_LATE_TLS_CLIENT)
    srv, port = start_py_tls_server(procs, tmpdir_path, cert)
    cli = procs(["/usr/bin/python3", script, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                text=True, env=dict(os.environ, LD_LIBRARY_PATH=libdir))
    t = trace("-v", "--tls", "--pid", str(srv.pid), "--pid", str(cli.pid))
    with open("/proc/%d/maps" % cli.pid) as f:
        assert "libssl" not in f.read()  # not loaded before the tracer started
    out = release(cli)
    assert out.split() == ["/late1", "200", "/missing", "404", "/late2", "200"]
    spans = t.stop()
    expected = Counter({("GET", "/late1", 200): 1, ("GET", "/missing", 404): 1, ("GET", "/late2", 200): 1})
    check_https(spans, expected, client_spans, "python3")
    check_https(spans, expected, lambda sp: server_spans(sp, srv.pid))
    assert t.stats["parse_errors"] == 0 and t.stats["malformed"] == 0
    mine = os.path.join(libdir, "libssl.so.3")
    line = "TLS: process %d uses openssl-shared %s" % (cli.pid, mine)
    assert any(line in s for s in t.stderr_lines), t.stderr_lines
    assert cli.pid in tls_report(t)[("openssl-shared", mine)]


def test_node_https_server_and_client(trace, procs, tmpdir_path, cert):
    # Whichever OpenSSL node has: its own executable's (node.js builds) or libssl.so (Debian's).
    if not shutil.which("node"):
        pytest.skip("node is not installed")
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps")
    port = free_port()
    srv = procs(["node", os.path.join(here, "node_server.js"), str(port), cert[0], cert[1]])
    wait_port(port, proc=srv)
    cli = procs(["node", os.path.join(here, "node_client.js"), str(port), "--tls"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, text=True)
    t = trace("-v", "--tls", "--pid", str(srv.pid), "--pid", str(cli.pid))
    out = release(cli)
    spans = t.stop()
    expected = client_requests(out)
    assert sum(expected.values()) == 7
    check_https(spans, expected, lambda sp: server_spans(sp, srv.pid), "node")
    check_https(spans, expected, lambda sp: [s for s in client_spans(sp) if s["process.pid"] == cli.pid], "node")
    chunked = [s for s in server_spans(spans) if s["url.path"] == "/chunked"][0]
    assert chunked["http.response.body.size"] == len("part one,part two")
    assert t.stats["parse_errors"] == 0 and t.stats["malformed"] == 0
    # One library for both, the executable's own OpenSSL or a libssl.so.
    assert any({srv.pid, cli.pid} <= pids for pids in tls_report(t).values()), tls_report(t)
