"""pybeyla.capabilities() against the `beyla caps` CLI (JSON and table), the fake machines
under tests/data/caps, the live kernel, and an unprivileged run."""
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile

import pytest

import pybeyla

CLI = os.environ.get("BEYLA_CLI")
SOURCE_DIR = os.environ.get("BEYLA_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DATA = os.path.join(SOURCE_DIR, "tests", "data", "caps")
TRI_ATTRS = {  # summary attribute -> item
    "btf": "bpf.btf", "ringbuf": "bpf.ringbuf", "perfbuf": "bpf.perfbuf",
    "syscall_tracepoints": "hook.syscall_tracepoints", "raw_tracepoints": "hook.raw_tracepoints",
    "kprobes": "hook.kprobe", "fentry": "hook.fentry", "uprobes": "hook.uprobe", "tc": "hook.tc",
    "cgroup_skb": "hook.cgroup_skb", "socket_filter": "hook.socket_filter",
    "bpf_loop": "helper.bpf_loop", "probe_write_user": "helper.probe_write_user",
    "rhel_backport": "kernel.rhel_backport",
}

needs_cli = pytest.mark.skipif(not CLI, reason="BEYLA_CLI is not set (run through ctest)")


def tree_kwargs(name):
    root = os.path.join(DATA, name)
    return dict(proc_root=root + "/proc", sys_root=root + "/sys", boot_root=root + "/boot",
                etc_root=root + "/etc", files_only=True)


def tree_args(name):
    kw = tree_kwargs(name)
    return ["--proc-root", kw["proc_root"], "--sys-root", kw["sys_root"], "--boot-root", kw["boot_root"],
            "--etc-root", kw["etc_root"], "--files-only"]


def run_cli(*args, prefix=(), env=None):
    p = subprocess.run(list(prefix) + [CLI, "caps", *args], capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, f"beyla caps {args} exited {p.returncode}: {p.stderr}"
    return p.stdout


def as_py(state):
    return {"yes": True, "no": False, "unknown": None}[state]


def test_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", pybeyla.__version__)
    if CLI:
        out = subprocess.run([CLI, "version"], capture_output=True, text=True, check=True).stdout
        assert out.strip() == f"beyla {pybeyla.__version__}"


def test_attributes_and_items():
    caps = pybeyla.capabilities(**tree_kwargs("rhel8"))
    items = caps.items
    assert len(items) == len(caps) > 30
    for it in items:
        assert set(it) == {"name", "category", "state", "value", "reason", "degraded"}
        assert it["state"] in ("yes", "no", "unknown")
        assert all(isinstance(v, str) for v in it.values())
        assert caps[it["name"]] == it
        assert it["name"] in caps
    with pytest.raises(KeyError):
        caps["no.such.item"]
    assert caps.get("no.such.item") is None
    assert "no.such.item" not in caps
    for attr, name in TRI_ATTRS.items():
        assert getattr(caps, attr) is as_py(caps[name]["state"]), attr
    assert isinstance(caps.page_size, int) and caps.page_size > 0
    assert isinstance(caps.can_trace, bool)
    assert isinstance(caps.plan, str) and "capture:" in caps.plan
    d = caps.to_dict()
    assert d["items"] == items
    assert json.loads(caps.json()) == d
    assert d["version"] == pybeyla.__version__
    assert "4.18" in repr(caps)


def test_fake_rhel8():
    caps = pybeyla.capabilities(**tree_kwargs("rhel8"))
    assert caps.kernel_version == "4.18.0"
    assert caps.rhel_backport is True
    assert "backport" in caps["kernel.rhel_backport"]["reason"]
    assert caps.btf is False
    assert caps.btf_source == ""
    assert "CO-RE" in caps["bpf.btf"]["degraded"]
    assert caps.lockdown == "integrity"
    assert caps.memlock_limit == 65536
    # files_only: nothing was loaded, so those answers are unknown rather than guessed.
    assert caps.ringbuf is None and caps.perfbuf is None
    assert caps.transport == "none" and caps.can_trace is False


def test_fake_arm64_16k():
    caps = pybeyla.capabilities(**tree_kwargs("arm64_16k"))
    assert caps.page_size == 16384
    ring = int(caps["kernel.ring_size"]["value"])
    assert ring % 16384 == 0 and ring & (ring - 1) == 0
    assert caps["kernel.arch"]["value"] == "aarch64"
    assert caps.btf is True and caps.btf_source.endswith("arm64_16k/sys/kernel/btf/vmlinux")
    assert caps.memlock_limit == 2**64 - 1


@needs_cli
def test_fake_tree_cli_json_matches_python_exactly():
    # A files-only probe of a fixed tree is deterministic: every string must match.
    for name in ("rhel8", "arm64_16k", "no_tracefs"):
        py = pybeyla.capabilities(**tree_kwargs(name)).to_dict()
        cli = json.loads(run_cli("--json", *tree_args(name)))
        assert cli == py, name


@needs_cli
def test_cli_table_shows_every_item():
    args = tree_args("rhel8")
    report = json.loads(run_cli("--json", *args))
    table = run_cli(*args)
    lines = table.splitlines()
    assert lines[0].split() == ["NAME", "VALUE", "REASON"]
    for it in report["items"]:
        row = [l for l in lines if l.startswith("  " + it["name"] + " ")]
        assert len(row) == 1, it["name"]
        rest = row[0][len(it["name"]) + 2:].strip()
        assert rest.startswith(it["value"]), (it["name"], rest)
        assert rest.endswith(it["reason"]), (it["name"], rest)
        if it["degraded"]:
            assert "degraded: " + it["degraded"] in table
    # Grouped under category headings, in report order.
    headings = [l for l in lines if l and not l.startswith(" ") and l != lines[0]]
    cats = []
    for it in report["items"]:
        if it["category"] not in cats:
            cats.append(it["category"])
    assert headings == cats + ["capture plan"]
    plan = table[table.index("\ncapture plan\n"):]
    for l in report["plan"]["text"].splitlines():
        assert "  " + l in plan


@needs_cli
def test_live_python_agrees_with_cli():
    caps = pybeyla.capabilities()
    py = caps.to_dict()
    cli = json.loads(run_cli("--json"))
    # Reasons can differ between two runs (hit counts, a tracefs the first run mounted);
    # the answers cannot.
    strip = lambda items: [(i["name"], i["category"], i["state"], i["value"]) for i in items]
    assert strip(cli["items"]) == strip(py["items"])
    assert cli["summary"] == py["summary"]
    for k in ("capture", "transport", "tls", "btf", "can_trace"):
        assert cli["plan"][k] == py["plan"][k]
    table = run_cli()
    for it in py["items"]:
        assert re.search(r"^  " + re.escape(it["name"]) + r" +" + re.escape(it["value"]), table, re.M), it["name"]


def test_live_consistency():
    caps = pybeyla.capabilities()
    d = caps.to_dict()
    s = d["summary"]
    for attr, name in TRI_ATTRS.items():
        assert getattr(caps, attr) is as_py(caps[name]["state"]), attr
        assert s[attr] == caps[name]["state"]
    assert caps.page_size == os.sysconf("SC_PAGE_SIZE")
    assert caps.kernel_version == caps["kernel.version"]["value"]
    assert caps["kernel.release"]["value"] == os.uname().release
    expect_capture = "syscall_tracepoints" if caps.syscall_tracepoints else "none"
    assert caps.capture_path == expect_capture == caps["plan.capture"]["value"]
    expect_transport = "ringbuf" if caps.ringbuf else "perfbuf" if caps.perfbuf else "none"
    assert caps.transport == expect_transport == caps["plan.transport"]["value"]
    assert caps.can_trace == (expect_capture != "none" and expect_transport != "none" and caps.btf is True)
    for it in caps.items:
        assert it["reason"], it["name"]
        if it["state"] == "no" and it["category"] in ("hook", "bpf") and it["name"] not in (
                "hook.raw_tracepoints", "bpf.perfbuf"):
            assert it["degraded"], it["name"]
    # Two probes in one process do not disturb each other.
    a, b = pybeyla.capabilities(), pybeyla.capabilities(**tree_kwargs("arm64_16k"))
    assert b.page_size == 16384 and a.page_size == caps.page_size
    del b
    assert a.plan == a.plan and a.items


@pytest.mark.skipif(os.environ.get("BEYLA_EXPECT_CI_KERNEL") != "1",
                    reason="the exact answers below describe the CI machine; set BEYLA_EXPECT_CI_KERNEL=1 there")
def test_ci_kernel_live_answers():
    assert os.geteuid() == 0, "the CI machine runs the tests as root"
    caps = pybeyla.capabilities()
    print(caps.plan)
    assert caps.btf is True and caps.btf_source == "/sys/kernel/btf/vmlinux"
    assert caps.ringbuf is True
    assert caps.perfbuf is True
    assert caps.page_size == 4096
    assert caps.syscall_tracepoints is True
    assert caps.raw_tracepoints is True
    assert caps.uprobes is True
    assert caps.kprobes is False
    assert "CONFIG_KPROBES" in caps["hook.kprobe"]["reason"]
    assert caps.fentry is False
    assert "EPERM" in caps["hook.fentry"]["reason"]
    assert caps.lockdown == "integrity"
    assert caps.probe_write_user is False
    assert "lockdown=integrity" in caps["helper.probe_write_user"]["reason"]
    assert caps.capture_path == "syscall_tracepoints"
    assert caps.transport == "ringbuf"
    assert caps.can_trace is True
    assert "kprobes: not used (kernel built without CONFIG_KPROBES)" in caps.plan


@needs_cli
def test_cli_unprivileged():
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to an unprivileged user (nobody)")
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("setpriv is not installed")
    # Copy the CLI and the library somewhere any user can read: the build tree may not be.
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        cli = os.path.join(tmp, "beyla")
        shutil.copy2(CLI, cli)
        build = os.environ.get("BEYLA_BUILD_DIR", os.path.dirname(os.path.dirname(CLI)))
        for f in os.listdir(build):
            if f.startswith("libbeyla.so"):
                shutil.copy2(os.path.join(build, f), os.path.join(tmp, f), follow_symlinks=True)
        for f in os.listdir(tmp):
            os.chmod(os.path.join(tmp, f), 0o755)
        env = dict(os.environ, LD_LIBRARY_PATH=tmp)
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]
        for args in ((), ("--json",)):
            p = subprocess.run(prefix + [cli, "caps", *args], capture_output=True, text=True, timeout=120,
                               env=env, cwd=tmp)
            assert p.returncode == 0, f"exit {p.returncode}: {p.stderr}"
            assert "Segmentation" not in p.stderr and "terminate called" not in p.stderr
        # Tracing without privileges: one clear error naming what is missing, no crash.
        t = subprocess.run(prefix + [cli, "trace", "--pid", "1", "--duration", "1"], capture_output=True,
                           text=True, timeout=120, env=env, cwd=tmp)
        assert t.returncode == 1, t.stderr
        assert "lacks CAP_BPF CAP_PERFMON" in t.stderr, t.stderr
        assert "Segmentation" not in t.stderr and "terminate called" not in t.stderr
        report = json.loads(p.stdout)
        items = {i["name"]: i for i in report["items"]}
        assert items["security.cap_bpf"]["state"] == "no"
        assert items["bpf.ringbuf"]["state"] == "no"
        assert "CAP_BPF" in items["bpf.ringbuf"]["reason"]
        assert "Operation not permitted" in items["bpf.ringbuf"]["reason"]
        assert items["hook.raw_tracepoints"]["state"] == "no"
        assert "CAP_BPF" in items["hook.raw_tracepoints"]["reason"]
        assert report["summary"]["can_trace"] is False
        assert report["plan"]["capture"] == "none"
