#!/usr/bin/python3
"""Checks the serial console of the second-kernel VM (tests/second_kernel/init writes it).

Prints one result line per part (boot, caps, ktests, e2e) and exits 1 when any failed.
The caps part asserts what Debian bookworm's cloud kernel (6.1) really answers: kprobes and
fentry attach, no lockdown, ring buffer, BTF; the plan still captures at syscall tracepoints.
Usage: check_console.py CONSOLE_LOG [--requests N]
"""
import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET


def sections(lines):
    """{name: [lines]} for each '@@sk begin NAME' .. '@@sk end NAME ...', and the marker lines."""
    out, ends, marks, cur = {}, {}, [], None
    for line in lines:
        if line.startswith("@@sk "):
            words = line[5:].split()
            marks.append(line[5:])
            if words[:1] == ["begin"] and len(words) > 1:
                cur = words[1]
                out[cur] = []
            elif words[:1] == ["end"] and len(words) > 1:
                ends[words[1]] = dict(w.split("=", 1) for w in words[2:] if "=" in w)
                cur = None
            continue
        if cur is not None:
            out[cur].append(line)
    return out, ends, marks


def check_caps(text):
    """Problems with `beyla caps --json` on the 6.1 cloud kernel ([] when it is right)."""
    try:
        report = json.loads(text)
    except ValueError as e:
        return [f"caps --json is not JSON ({e})"], ""
    items = {i["name"]: i for i in report["items"]}
    s = report["summary"]
    problems = []

    def want(cond, what):
        if not cond:
            problems.append(what)

    def state(name):
        return items.get(name, {}).get("state")

    want(s["kernel_major"] == 6 and s["kernel_minor"] == 1, f"kernel {s['kernel_major']}.{s['kernel_minor']}, not 6.1")
    want(items["kernel.release"]["value"].endswith("-cloud-amd64"), "release " + items["kernel.release"]["value"])
    want(s["btf"] == "yes" and s["btf_source"] == "/sys/kernel/btf/vmlinux", f"btf {s['btf']} {s['btf_source']}")
    want(s["ringbuf"] == "yes" and s["perfbuf"] == "yes", f"ringbuf {s['ringbuf']} perfbuf {s['perfbuf']}")
    for hook in ("syscall_tracepoints", "raw_tracepoints", "uprobes", "bpf_loop"):
        want(s[hook] == "yes", f"{hook}: {s[hook]}")
    # What this kernel has and the CI machine's does not.
    want(s["kprobes"] == "yes", f"kprobes: {s['kprobes']} ({items['hook.kprobe']['reason']})")
    want(s["fentry"] == "yes", f"fentry: {s['fentry']} ({items['hook.fentry']['reason']})")
    want(s["lockdown"] == "none", f"lockdown: {s['lockdown']}")
    want(state("config.CONFIG_KPROBES") == "yes", "config.CONFIG_KPROBES: " + str(state("config.CONFIG_KPROBES")))
    want(state("security.cap_sys_admin") == "yes", "security.cap_sys_admin: " + str(state("security.cap_sys_admin")))
    want(s["probe_write_user"] == "yes", f"probe_write_user: {s['probe_write_user']} "
         f"({items['helper.probe_write_user']['reason']})")
    want(s["can_trace"] is True, "can_trace false")
    # The plan does not use kprobes or fentry yet: it captures at the syscall tracepoints.
    want(s["capture_path"] == "syscall_tracepoints" and s["transport"] == "ringbuf",
         f"plan {s['capture_path']}/{s['transport']}")
    summary = (f"{items['kernel.release']['value']}: kprobes {s['kprobes']}, fentry {s['fentry']}, lockdown "
               f"{s['lockdown']}, ringbuf {s['ringbuf']}, btf {s['btf']}, bpf_loop {s['bpf_loop']}, "
               f"probe_write_user {s['probe_write_user']}, plan {s['capture_path']}/{s['transport']}")
    return problems, summary


def check_ktests(xml_lines, end):
    """(problems, summary, details) for the kernel tests' Catch2 XML."""
    text = "\n".join(xml_lines)
    start = text.find("<?xml")
    if start < 0:
        return ["no Catch2 XML on the console"], "", []
    try:
        root = ET.fromstring(text[start:text.rfind(">") + 1])
    except ET.ParseError as e:
        return [f"the Catch2 XML does not parse ({e})"], "", []
    cases = root.iter("TestCase")
    passed, failed, skipped, details, slow = [], [], [], [], []
    for tc in cases:
        name = tc.get("name")
        res = tc.find("OverallResult")
        ok = res is not None and res.get("success") == "true"
        secs = float(res.get("durationInSeconds", 0)) if res is not None else 0
        slow.append((secs, name))
        warns = [w.text.strip() for w in tc.iter("Warning") if w.text and "skipped" in w.text]
        if not ok:
            failed.append(name)
            for ex in tc.iter("Expression"):
                if ex.get("success") == "false":
                    orig = (ex.findtext("Original") or "").strip()
                    expd = (ex.findtext("Expanded") or "").strip()
                    details.append(f"  {name}: {ex.get('filename')}:{ex.get('line')}: {orig} with {expd}")
            for tag in ("Exception", "FatalErrorCondition", "Failure"):
                for el in tc.iter(tag):
                    details.append(f"  {name}: {tag} {(el.text or '').strip()}")
        elif warns:
            skipped.append(name)
            details.extend(f"  skipped {name}: {w}" for w in warns)
        else:
            passed.append(name)
    problems = []
    if failed:
        problems.append(f"{len(failed)} failed: " + ", ".join(failed))
    if end.get("rc") not in ("0", None) and not failed:
        problems.append(f"the test binary exited with {end.get('rc')} (killed by the VM's timeout?)")
    if root.find("OverallResults") is None and not failed:
        problems.append("the run did not finish (no OverallResults)")
    total = len(passed) + len(failed) + len(skipped)
    if total == 0:
        problems.append("no test cases ran")
    secs = ""
    try:
        secs = f" in {float(end['seconds_to']) - float(end['seconds_from']):.0f} s"
    except (KeyError, ValueError):
        pass
    slow.sort(reverse=True)
    summary = (f"{total} test cases{secs}: {len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped; "
               "slowest: " + ", ".join(f"{n} {t:.1f} s" for t, n in slow[:3]))
    return problems, summary, details


def check_e2e(secs, marks, requests):
    spans = []
    problems = []
    for line in secs.get("e2e-spans", []):
        line = line.strip()
        if not line:
            continue
        try:
            spans.append(json.loads(line))
        except ValueError:
            problems.append(f"not a JSON span: {line[:120]}")
    info = {}
    for m in marks:
        if m.startswith("e2e "):
            info = dict(w.split("=", 1) for w in m.split()[1:] if "=" in w)
    answered = int(info.get("answered", -1))
    if answered != requests:
        problems.append(f"the server answered {answered} of {requests} requests")
    if info.get("beyla_rc") != "0":
        problems.append(f"beyla trace exited with {info.get('beyla_rc')}")
    # One span per request, each with its own path, status 200 and no error.
    paths = sorted(s.get("url.path", "") for s in spans)
    want = sorted(f"/req/{i}" for i in range(1, requests + 1))
    if len(spans) != requests:
        problems.append(f"{len(spans)} spans for {requests} requests")
    if paths != want:
        missing = sorted(set(want) - set(paths))
        extra = sorted(set(paths) - set(want))
        problems.append(f"span paths differ: missing {missing[:10]}, unexpected {extra[:10]}")
    bad = [s for s in spans if s.get("http.response.status_code") != 200 or "error.type" in s
           or s.get("http.request.method") != "GET" or s.get("server.port") != 8080]
    if bad:
        problems.append(f"{len(bad)} spans without GET/200/port 8080 or with an error: {json.dumps(bad[0])[:300]}")
    return problems, f"{requests} requests, {answered} answered, {len(spans)} spans"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--requests", type=int, default=20)
    args = ap.parse_args()
    with open(args.log, errors="replace") as f:
        lines = [l.rstrip("\r\n").replace("\r", "") for l in f]
    secs, ends, marks = sections(lines)
    failed = False

    def result(part, problems, summary, details=()):
        nonlocal failed
        ok = not problems
        failed |= not ok
        print(f"second-kernel: {part}: {'PASS' if ok else 'FAIL'} {summary}".rstrip())
        for p in problems:
            print(f"  {p}")
        for d in details:
            print(d)

    boot = [m for m in marks if m.startswith("boot ")]
    result("boot", [] if boot else ["the VM's init never started (no '@@sk boot' line)"],
           boot[0][5:] if boot else "")
    if not boot:
        print("\n".join(lines[-60:]))
        return 1

    if "caps" in ends:
        problems, summary = check_caps("\n".join(secs["caps"]))
        if ends["caps"].get("rc") != "0":
            problems.insert(0, f"beyla caps exited with {ends['caps'].get('rc')}")
        result("caps", problems, summary)
        if problems:
            print("\n".join(secs["caps"] + secs.get("caps-stderr", [])))
    else:
        result("caps", ["did not finish"], "")

    if "ktests" in secs:
        problems, summary, details = check_ktests(secs["ktests"], ends.get("ktests", {}))
        if "ktests" not in ends:
            problems.append("did not finish")
        result("kernel tests", problems, summary, details)
        if problems:
            print("  the tests' stderr (its end):")
            print("\n".join("    " + l for l in secs.get("ktests-stderr", [])[-80:]))
    elif not any(m.startswith("begin e2e") for m in marks):
        result("kernel tests", ["did not finish"], "")
    else:
        print("second-kernel: kernel tests: not run (BEYLA_SECOND_KERNEL_FILTER=skip)")

    if "e2e" in ends:
        problems, summary = check_e2e(secs, marks, args.requests)
        result("e2e", problems, summary)
        if problems:
            print("\n".join("    " + l for l in secs.get("e2e-stderr", [])))
    else:
        result("e2e", ["did not finish"], "")
    if not any(m == "done" for m in marks):
        failed = True
        print("second-kernel: the VM did not reach the end of its init; last console lines:")
        print("\n".join(lines[-40:]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
