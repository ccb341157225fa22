"""pybeyla's list of probed TLS libraries, with a library loaded after the tracer started."""
import os
import subprocess
import sys
import time

import pytest

import pybeyla

LATE_SSL = "import sys; sys.stdin.readline(); import ssl; print('loaded', flush=True); sys.stdin.readline()"


def test_tls_libraries_lists_a_library_loaded_later():
    if os.geteuid() != 0:
        pytest.skip("needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN)")
    caps = pybeyla.capabilities()
    if not caps.can_trace or "uprobes" not in caps.plan:
        print("skipped: needs a kernel with uprobes (plan: %s)" % caps.plan)
        pytest.skip("needs uprobes (plan: %s)" % caps.plan)
    child = subprocess.Popen([sys.executable, "-c", LATE_SSL], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        with pybeyla.Tracer(pids=[child.pid], tls=True) as t:
            with open("/proc/%d/maps" % child.pid) as f:
                if "libssl" in f.read():
                    pytest.fail("the child had libssl mapped before it was asked to load it")
            libs = t.tls_libraries()
            assert all(child.pid not in lib["pids"] for lib in libs), libs
            child.stdin.write("go\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "loaded"
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                t.poll(100)
                libs = t.tls_libraries()
                if any(child.pid in lib["pids"] for lib in libs):
                    break
            mine = [lib for lib in libs if child.pid in lib["pids"]]
            assert len(mine) == 1, libs
            assert mine[0]["kind"] == "openssl-shared" and "libssl.so" in mine[0]["path"], mine
            assert mine[0]["functions"] >= 2
    finally:
        child.kill()
        child.wait()


SSL_MAPPED = "import ssl, sys; print('loaded', flush=True); sys.stdin.readline()"


@pytest.mark.parametrize("kwargs,probed", [({}, True), ({"tls": True}, True), ({"tls": False}, False)])
def test_tls_is_probed_by_default(kwargs, probed):
    if os.geteuid() != 0:
        pytest.skip("needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN)")
    caps = pybeyla.capabilities()
    if not caps.can_trace or "uprobes" not in caps.plan:
        pytest.skip("needs uprobes (plan: %s)" % caps.plan)
    child = subprocess.Popen([sys.executable, "-c", SSL_MAPPED], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline().strip() == "loaded"
        with pybeyla.Tracer(pids=[child.pid], **kwargs) as t:
            mine = [lib for lib in t.tls_libraries() if child.pid in lib["pids"]]
            if probed:
                assert len(mine) == 1 and mine[0]["kind"] == "openssl-shared", t.tls_libraries()
            else:
                assert t.tls_libraries() == []
    finally:
        child.kill()
        child.wait()
