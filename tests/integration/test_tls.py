"""HTTPS through OpenSSL's libssl.so.3: plaintext from uprobes, tied to the socket."""
import json
import os
import subprocess
import textwrap
import time
from collections import Counter

import pytest

from conftest import client_requests, client_spans, free_port, go_build, keys, server_spans, wait_port
from test_http import release, released_client


@pytest.fixture
def cert(tmpdir_path):
    """A self-signed certificate for localhost: (cert path, key path)."""
    crt, key = os.path.join(tmpdir_path, "cert.pem"), os.path.join(tmpdir_path, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                    "-days", "1", "-keyout", key, "-out", crt], check=True, capture_output=True, timeout=60)
    return crt, key


PY_TLS_SERVER = textwrap.dedent("""
    import http.server, ssl, sys

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def reply(self, status, body):
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path.startswith("/missing"):
                self.reply(404, b"no\\n")
            else:
                self.reply(200, b"hello " * 50)

        def do_POST(self):
            n = int(self.headers.get("Content-Length", 0))
            self.rfile.read(n)
            self.reply(201, b"made\\n")

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()
""")

NGINX_TLS_CONF = """
user root;
worker_processes 2;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{
    log_format plain '$request_method $request_uri $status';
    access_log {tmp}/access.log plain;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {crt};
        ssl_certificate_key {key};
        root {tmp}/www;
        location = /nothing {{ return 204; }}
        location = /upload {{ return 201; }}
    }}
}}
"""


def check_tls_spans(spans, expected, server_pid):
    srv = server_spans(spans, server_pid)
    cl = client_spans(spans)
    assert keys(srv) == expected, spans
    assert keys(cl) == expected, spans
    for s in srv + cl:
        assert s["url.scheme"] == "https", s
        assert s["server.address"] == "127.0.0.1" and s["client.address"] == "127.0.0.1"
        assert s["server.port"] > 0 and s["client.port"] > 0
    assert all(s["process.executable.name"] == "curl" for s in cl)


def start_py_tls_server(procs, tmpdir_path, cert):
    """PY_TLS_SERVER on a free port with the test's certificate: (process, port)."""
    script = os.path.join(tmpdir_path, "tls_server.py")
    with open(script, "w") as f:
        f.write(PY_TLS_SERVER)
    port = free_port()
    srv = procs(["/usr/bin/python3", script, str(port), cert[0], cert[1]])
    wait_port(port, proc=srv)
    return srv, port


def test_python_tls_server_and_curl(trace, procs, tmpdir_path, cert):
    srv, port = start_py_tls_server(procs, tmpdir_path, cert)
    base = "https://127.0.0.1:%d" % port
    cli = released_client(procs, "curl -sk -o /dev/null %s/index.html && curl -sk -o /dev/null %s/missing && "
                                 "curl -sk -o /dev/null -d x=1 %s/post && "
                                 "curl -sk -o /dev/null %s/a %s/b" % ((base,) * 5))
    t = trace("--pid", str(srv.pid), "--pid", str(cli.pid))  # TLS capture is the default
    release(cli)
    spans = t.stop()
    expected = Counter({("GET", "/index.html", 200): 1, ("GET", "/missing", 404): 1, ("POST", "/post", 201): 1,
                        ("GET", "/a", 200): 1, ("GET", "/b", 200): 1})
    check_tls_spans(spans, expected, srv.pid)
    post = [s for s in server_spans(spans) if s["http.request.method"] == "POST"][0]
    assert post["http.request.body.size"] == 3
    assert t.stats["parse_errors"] == 0 and t.stats["malformed"] == 0


def test_nginx_tls_and_curl(trace, procs, tmpdir_path, cert):
    www = os.path.join(tmpdir_path, "www")
    os.makedirs(www)
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("<html>" + "tls " * 2000 + "</html>\n")  # over one payload prefix
    port = free_port()
    conf = os.path.join(tmpdir_path, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_TLS_CONF.format(tmp=tmpdir_path, port=port, crt=cert[0], key=cert[1]))
    ng = procs(["nginx", "-c", conf, "-e", os.path.join(tmpdir_path, "error.log")])
    wait_port(port, proc=ng)
    base = "https://127.0.0.1:%d" % port
    cli = released_client(procs, "curl -sk -o /dev/null %s/index.html && curl -sk -o /dev/null %s/nothing && "
                                 "curl -sk -o /dev/null %s/none && curl -sk -o /dev/null -d y=2 %s/upload && "
                                 "curl -sk -o /dev/null %s/index.html %s/index.html" % ((base,) * 6))
    t = trace("-v", "--tls", "--pid", str(ng.pid), "--pid", str(cli.pid))
    release(cli)
    spans = t.stop()
    expected = Counter({("GET", "/index.html", 200): 3, ("GET", "/nothing", 204): 1, ("GET", "/none", 404): 1,
                        ("POST", "/upload", 201): 1})
    logged = Counter()
    with open(os.path.join(tmpdir_path, "access.log")) as f:
        for line in f:
            method, uri, status = line.split()
            logged[(method, uri, int(status))] += 1
    assert logged == expected
    # The workers are nginx's children: followed from the master.
    check_tls_spans(spans, expected, None)
    big = [s for s in server_spans(spans) if s["url.path"] == "/index.html"]
    assert all(s["http.response.body.size"] == len("<html>" + "tls " * 2000 + "</html>\n") for s in big)
    assert t.stats["parse_errors"] == 0 and t.stats["malformed"] == 0
    assert any("TLS:" in line and "libssl.so" in line for line in t.stderr_lines), t.stderr_lines


def test_no_tls_yields_no_spans_for_ciphertext(trace, procs, tmpdir_path, cert):
    srv, port = start_py_tls_server(procs, tmpdir_path, cert)
    t = trace("--no-tls", "--pid", str(srv.pid))
    for _ in range(3):
        r = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "https://127.0.0.1:%d/x" % port],
                           capture_output=True, text=True, timeout=20)
        assert r.stdout == "200"
    spans = t.stop()
    assert spans == []
    # The records are recognised and set aside: never HTTP parse errors or non-HTTP guesses.
    assert t.stats["tls_undecoded"] == 3, t.stats
    assert t.stats["parse_errors"] == 0 and t.stats["unknown_protocol"] == 0, t.stats


# Go's crypto/tls: linked into each executable, probed there (entry and RET uprobes).

def go_tls_server(procs, tmpdir_path, cert, flags=()):
    """tests/integration/apps/go_server.go serving HTTPS (HTTP/1.1 only): (process, port)."""
    server_bin = go_build("go_server.go", tmpdir_path, flags)
    port = free_port()
    srv = procs([server_bin, str(port), cert[0], cert[1]])
    wait_port(port, proc=srv)
    return srv, port


def check_go_probed(t, exe_name, wait=0.0):
    """The tracer logged the Go executable as probed (within `wait` seconds)."""
    deadline = time.time() + wait
    while True:
        if any("TLS: Go" in line and exe_name in line and "probed" in line for line in t.stderr_lines):
            return
        assert time.time() < deadline, t.stderr_lines
        time.sleep(0.05)


# A position-independent executable loads elsewhere than its link addresses: the probes
# find the itab relative to the function.
@pytest.mark.parametrize("buildmode", ["exe", "pie"])
def test_go_tls_server_and_curl(trace, procs, tmpdir_path, cert, buildmode):
    srv, port = go_tls_server(procs, tmpdir_path, cert, ["-buildmode=" + buildmode])
    t = trace("-v", "--tls", "--pid", str(srv.pid))
    check_go_probed(t, "go_server")
    base = "https://127.0.0.1:%d" % port
    for args in (["%s/hello?name=a" % base], ["%s/status/404" % base], ["-d", "p" * 2000, "%s/echo" % base],
                 ["%s/hello" % base, "%s/status/202" % base]):  # the last two on one connection
        r = subprocess.run(["curl", "-sk", "-o", "/dev/null"] + args, timeout=20)
        assert r.returncode == 0
    spans = t.stop()
    expected = Counter({("GET", "/hello", 200): 2, ("GET", "/status/404", 404): 1, ("POST", "/echo", 200): 1,
                        ("GET", "/status/202", 202): 1})
    srv_spans = server_spans(spans, srv.pid)
    assert keys(srv_spans) == expected, spans
    assert client_spans(spans) == []  # curl was not traced
    for s in srv_spans:
        assert s["url.scheme"] == "https", s
        assert s["process.executable.name"] == "go_server"
        assert s["server.address"] == "127.0.0.1" and s["server.port"] == port
        assert s["client.address"] == "127.0.0.1" and s["client.port"] > 0
        assert s["network.protocol.version"] == "1.1"
    post = [s for s in srv_spans if s["http.request.method"] == "POST"][0]
    assert post["http.request.body.size"] == 2000 and post["http.response.body.size"] == 2000
    # The handshake and records went by read/write too: flagged, never parsed.
    assert t.stats["parse_errors"] == 0 and t.stats["malformed"] == 0, t.stats


def test_stripped_go_binary_is_reported_not_probed(trace, procs, tmpdir_path, cert):
    srv, port = go_tls_server(procs, tmpdir_path, cert, ["-ldflags=-s"])
    t = trace("-v", "--tls", "--pid", str(srv.pid))
    r = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "https://127.0.0.1:%d/hello" % port],
                       capture_output=True, text=True, timeout=20)
    assert r.stdout == "200"
    spans = t.stop()
    assert any(line.endswith("go_server: Go binary is stripped, crypto/tls not probed (process %d)" % srv.pid)
               for line in t.stderr_lines), t.stderr_lines
    assert spans == []  # its ciphertext never makes a span
    assert t.stats["tls_undecoded"] == 1 and t.stats["parse_errors"] == 0, t.stats


def test_go_tls_client_and_server(trace, procs, tmpdir_path, cert):
    srv, port = go_tls_server(procs, tmpdir_path, cert)
    client_bin = go_build("go_client.go", tmpdir_path)
    cli = procs([client_bin, "https://127.0.0.1:%d" % port], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                text=True)
    t = trace("-v", "--tls", "--pid", str(srv.pid), "--pid", str(cli.pid))
    check_go_probed(t, "go_server")
    check_go_probed(t, "go_client")
    out = release(cli)
    spans = t.stop()
    expected = client_requests(out)
    assert sum(expected.values()) == 9, out
    assert keys(server_spans(spans, srv.pid)) == expected, spans
    cl = [s for s in client_spans(spans) if s["process.pid"] == cli.pid]
    assert keys(cl) == expected, spans
    # The closing report lists both executables as kind "go", each with its process.
    report = {}
    for line in t.stderr_lines:
        if line.startswith("beyla: tls library go "):
            path, _, pids = line[len("beyla: tls library go "):].partition(", processes:")
            report[os.path.basename(path.rsplit(" (", 1)[0])] = {int(p) for p in pids.split()}
    assert report == {"go_server": {srv.pid}, "go_client": {cli.pid}}, t.stderr_lines
    for s in spans:
        assert s["url.scheme"] == "https", s
        assert s["server.address"] == "127.0.0.1" and s["server.port"] == port
        assert s["client.address"] == "127.0.0.1" and s["client.port"] > 0
    assert all(s["process.executable.name"] == "go_client" for s in cl)
    big = [s for s in server_spans(spans) if s["url.path"] == "/big"][0]
    assert big["http.response.body.size"] == 16 * 8192
    assert t.stats["parse_errors"] == 0 and t.stats["malformed"] == 0, t.stats


def test_go_tls_probed_at_exec_of_a_traced_process(trace, procs, tmpdir_path, cert):
    server_bin = go_build("go_server.go", tmpdir_path)
    port = free_port()
    # The traced shell becomes the Go server: found from the exec event, not at start.
    sh = procs(["sh", "-c", 'read _; exec "$0" "$@"', server_bin, str(port), cert[0], cert[1]],
               stdin=subprocess.PIPE, text=True)
    t = trace("-v", "--tls", "--pid", str(sh.pid))
    sh.stdin.write("go\n")
    sh.stdin.close()
    wait_port(port, proc=sh)
    # Probed once the tracer has read the exec event: requests before that are not seen.
    check_go_probed(t, "go_server", wait=10)
    base = "https://127.0.0.1:%d" % port
    for path in ("/hello", "/status/418", "/hello"):
        r = subprocess.run(["curl", "-sk", "-o", "/dev/null", base + path], timeout=20)
        assert r.returncode == 0
    spans = t.stop()
    assert keys(server_spans(spans, sh.pid)) == Counter({("GET", "/hello", 200): 2, ("GET", "/status/418", 418): 1})
    assert all(s["url.scheme"] == "https" for s in spans), spans
    assert t.stats["parse_errors"] == 0, t.stats


def test_caps_lists_the_tls_libraries_of_each_process(procs, tmpdir_path, cert):
    """`beyla caps --pid` names what --tls would probe in each process, and what it cannot."""
    py, port = start_py_tls_server(procs, tmpdir_path, cert)
    go, _ = go_tls_server(procs, tmpdir_path, cert)
    os.makedirs(os.path.join(tmpdir_path, "stripped"))
    stripped, _ = go_tls_server(procs, os.path.join(tmpdir_path, "stripped"), cert, ["-ldflags=-s"])
    cli = os.environ.get("BEYLA_CLI", "build/examples/beyla")
    r = subprocess.run([cli, "caps", "--json", "--pid", str(py.pid), "--pid", str(go.pid), "--pid", str(stripped.pid)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    items = {i["name"]: i for i in json.loads(r.stdout)["items"] if i["category"] == "tls"}
    by_pid = {}
    for name, i in items.items():
        by_pid.setdefault(int(name.split(".")[1]), []).append(i)
    ssl = [i for i in by_pid[py.pid] if i["value"].startswith("openssl-shared ") and "libssl.so" in i["value"]]
    assert len(ssl) == 1 and ssl[0]["state"] == "yes" and "SSL_read" in ssl[0]["reason"], by_pid[py.pid]
    gos = [i for i in by_pid[go.pid] if i["value"].startswith("go ")]
    assert len(gos) == 1 and gos[0]["state"] == "yes" and "return points" in gos[0]["reason"], by_pid[go.pid]
    st = [i for i in by_pid[stripped.pid] if i["value"].startswith("go ")]
    assert len(st) == 1 and st[0]["state"] == "no" and "stripped" in st[0]["reason"], by_pid[stripped.pid]
    # The plan says it too, and lists the stripped one as degraded.
    plan = json.loads(r.stdout)["plan"]["text"]
    assert "go %s" % st[0]["value"].split(" ", 1)[1] in plan and "cannot be probed" in plan, plan
