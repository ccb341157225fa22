"""btf_path: a BTF file for CO-RE given to pybeyla.Tracer, `beyla trace --btf` and the caps report.
The live tests trace with a copy of this kernel's own BTF (sysfs serves it as a raw BTF file)."""
import errno
import http.server
import os
import shutil
import subprocess
import tempfile
import threading

import pytest

import pybeyla

CLI = os.environ.get("BEYLA_CLI")
KERNEL_BTF = "/sys/kernel/btf/vmlinux"
needs_cli = pytest.mark.skipif(not CLI, reason="BEYLA_CLI is not set (run through ctest)")


def _missing_for_live():
    if os.geteuid() != 0:
        return "root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN)"
    if not os.access(KERNEL_BTF, os.R_OK):
        return "the kernel's BTF at " + KERNEL_BTF + " to copy"
    caps = pybeyla.capabilities()
    if not caps.can_trace:
        return "a kernel the tracer can use (plan: %s)" % caps.plan
    return None


@pytest.fixture
def btf_copy():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "vmlinux.btf")
        if os.access(KERNEL_BTF, os.R_OK):
            shutil.copyfile(KERNEL_BTF, path)
        yield path


def test_empty_btf_path_is_refused():
    with pytest.raises(ValueError):
        pybeyla.Tracer(pids=[1], btf_path="")


def test_missing_btf_file_is_named():
    if os.geteuid() != 0:
        pytest.skip("needs root: the privilege check comes before the BTF file's")
    path = "/nonexistent/beyla-test.btf"
    with pytest.raises(OSError) as e:
        with pybeyla.Tracer(pids=[os.getpid()], btf_path=path):
            pass
    assert e.value.errno == errno.ENOENT
    assert path in str(e.value)


def test_live_trace_with_a_btf_file(btf_copy):
    missing = _missing_for_live()
    if missing:
        pytest.skip("needs " + missing)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        with pybeyla.Tracer(pids=[os.getpid()], btf_path=btf_copy) as t:
            client = subprocess.Popen(["sh", "-c", "sleep 0.3; curl -s -o /dev/null http://127.0.0.1:%d/btf" % port])
            spans = []
            for s in t.spans(timeout=10):
                spans.append(s)
                if any(x["kind"] == "server" for x in spans):
                    break
            client.wait(30)
        server = [(s["url.path"], s["http.response.status_code"]) for s in spans if s["kind"] == "server"]
        assert server == [("/btf", 404)]
    finally:
        srv.shutdown()


def test_caps_reports_the_given_btf_file(btf_copy):
    if not os.access(KERNEL_BTF, os.R_OK):
        pytest.skip("needs the kernel's BTF at " + KERNEL_BTF + " to copy")
    caps = pybeyla.capabilities(btf_path=btf_copy, no_mount_tracefs=True)
    assert caps.btf is True and caps.btf_source == btf_copy
    assert "instead of the kernel's own " + KERNEL_BTF in caps["bpf.btf"]["reason"]
    assert caps["plan.btf"]["reason"].endswith("against %s (given as btf_path, instead of the kernel's own BTF)"
                                               % btf_copy)
    missing = pybeyla.capabilities(btf_path=btf_copy + ".absent", no_mount_tracefs=True)
    assert missing.btf is False and missing.btf_source == "" and missing.can_trace is False
    assert "ENOENT" in missing["bpf.btf"]["reason"]


@needs_cli
def test_cli_trace_btf_errors():
    p = subprocess.run([CLI, "trace", "--pid", "1", "--btf", ""], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "--btf needs a file name" in p.stderr, p.stderr
    if os.geteuid() != 0:
        return
    path = "/nonexistent/beyla-test.btf"
    p = subprocess.run([CLI, "trace", "--pid", str(os.getpid()), "--btf", path, "--duration", "1"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p.stderr
    assert path in p.stderr and "No such file or directory" in p.stderr, p.stderr
    assert "Segmentation" not in p.stderr and "terminate called" not in p.stderr
