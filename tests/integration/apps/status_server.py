"""A one-thread HTTP/1.1 server whose answers can be checked against the request alone:
GET /s/<code>[/...] answers status <code> with a body of ?size=N bytes (default 2).
/exec answers 200, then the process execs ARGV_EXEC (same pid, another program).
/hang reads the request and never answers (for a kill mid-request).
Usage: status_server.py PORT [PROGRAM-TO-EXEC...]
"""
import http.server
import os
import sys
import time
from urllib.parse import parse_qs, urlsplit

PORT = int(sys.argv[1])
EXEC = sys.argv[2:]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        u = urlsplit(self.path)
        if u.path == "/hang":
            time.sleep(3600)
        if u.path == "/exec":
            self._answer(200, b"ok")
            self.wfile.flush()
            self.server.exec_after = True
            self.close_connection = True
            return
        parts = u.path.split("/")
        code = int(parts[2]) if len(parts) > 2 and parts[1] == "s" else 404
        size = int(parse_qs(u.query).get("size", ["2"])[0])
        self._answer(code, b"x" * size)

    def _answer(self, code, body):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(http.server.HTTPServer):
    allow_reuse_address = True
    exec_after = False


srv = Server(("127.0.0.1", PORT), Handler)
print("ready", flush=True)
while True:
    srv.handle_request()
    if srv.exec_after and EXEC:
        srv.server_close()
        os.execv(EXEC[0], EXEC)
