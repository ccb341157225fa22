"""gRPC in Python (Debian's python3-grpcio) for the integration tests, without generated code:
the messages are raw bytes (no serializers).

  grpc_py.py server PORT   serves beyla.test.Echo as tests/integration/apps/go_grpc_server.go
                           does (Unary: "status:N[:msg]" fails with status N, else echoes;
                           Stream: "N[:status]" answers N messages, then ends so) and prints
                           "SERVICE METHOD CODE" per call
  grpc_py.py client PORT   once a line arrives on stdin, calls them on one channel and
                           prints "SERVICE METHOD CODE" per call
"""
import sys
import threading

import grpc

SERVICE = "beyla.test.Echo"
_out = threading.Lock()


def report(method, code):
    with _out:
        print(SERVICE, method, code.value[0], flush=True)


def wanted_status(req):
    if not req.startswith(b"status:"):
        return None, None
    f = req[len(b"status:"):].split(b":", 1)
    code = next(c for c in grpc.StatusCode if c.value[0] == int(f[0]))
    return code, (f[1].decode() if len(f) > 1 else "asked for")


def serve(port):
    from concurrent import futures

    def unary(req, ctx):
        code, msg = wanted_status(req)
        report("Unary", code or grpc.StatusCode.OK)
        if code:
            ctx.abort(code, msg)
        return req

    def stream(req, ctx):
        f = req.split(b":", 1)
        for _ in range(int(f[0])):
            yield b"s" * 100
        code = grpc.StatusCode.OK
        if len(f) > 1:
            code = next(c for c in grpc.StatusCode if c.value[0] == int(f[1]))
        report("Stream", code)
        if code != grpc.StatusCode.OK:
            ctx.abort(code, "stream ends so")

    handler = grpc.method_handlers_generic_handler(SERVICE, {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "Stream": grpc.unary_stream_rpc_method_handler(stream),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), handlers=(handler,))
    server.add_insecure_port("127.0.0.1:%d" % port)
    server.start()
    print("ready", flush=True)
    server.wait_for_termination()


def client(port):
    sys.stdin.readline()
    with grpc.insecure_channel("127.0.0.1:%d" % port) as ch:
        unary = ch.unary_unary("/%s/Unary" % SERVICE)
        stream = ch.unary_stream("/%s/Stream" % SERVICE)
        for req in [b"u" * 10, b"u" * 5000, b"status:5:not here", b"status:14:try later", b"u" * 3]:
            try:
                assert unary(req, timeout=30) == req
                report("Unary", grpc.StatusCode.OK)
            except grpc.RpcError as e:
                report("Unary", e.code())
        for req in [b"4", b"2:10", b"0"]:
            try:
                for _ in stream(req, timeout=30):
                    pass
                report("Stream", grpc.StatusCode.OK)
            except grpc.RpcError as e:
                report("Stream", e.code())


if __name__ == "__main__":
    (serve if sys.argv[1] == "server" else client)(int(sys.argv[2]))
