"""HTTPS through OpenSSL's libssl.so.3: plaintext from uprobes, tied to the socket."""
import os
import subprocess
import textwrap
from collections import Counter

import pytest

from conftest import client_spans, free_port, keys, server_spans, wait_port
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


def test_python_tls_server_and_curl(trace, procs, tmpdir_path, cert):
    script = os.path.join(tmpdir_path, "tls_server.py")
    with open(script, "w") as f:
        f.write(PY_TLS_SERVER)
    port = free_port()
    srv = procs(["/usr/bin/python3", script, str(port), cert[0], cert[1]])
    wait_port(port, proc=srv)
    base = "https://127.0.0.1:%d" % port
    cli = released_client(procs, "curl -sk -o /dev/null %s/index.html && curl -sk -o /dev/null %s/missing && "
                                 "curl -sk -o /dev/null -d x=1 %s/post && "
                                 "curl -sk -o /dev/null %s/a %s/b" % ((base,) * 5))
    t = trace("--tls", "--pid", str(srv.pid), "--pid", str(cli.pid))
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


def test_tls_off_by_default_yields_no_spans_for_ciphertext(trace, procs, tmpdir_path, cert):
    script = os.path.join(tmpdir_path, "tls_server.py")
    with open(script, "w") as f:
        f.write(PY_TLS_SERVER)
    port = free_port()
    srv = procs(["/usr/bin/python3", script, str(port), cert[0], cert[1]])
    wait_port(port, proc=srv)
    t = trace("--pid", str(srv.pid))
    r = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "https://127.0.0.1:%d/x" % port],
                       capture_output=True, text=True, timeout=20)
    assert r.stdout == "200"
    spans = t.stop()
    assert spans == []
