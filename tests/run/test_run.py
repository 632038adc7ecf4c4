#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""`make run` natively (scripts/run-native.sh over the eBPF backend), as a
user runs it: it must start the backend, snmpd and the subagent, show the
demo users through the CLI and SNMP, and then leave the machine exactly as
it was -- once when it stops by itself, once on Ctrl-C (SIGINT to its
process group).  Prints one line per test and 'N passed, N failed'."""
import glob
import os
import re
import signal
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "kmod"))
from lnb import Failure, expect  # noqa: E402
from runner import run_each, summary  # noqa: E402
sys.path.insert(0, os.path.join(REPO, "tests", "bpf"))
# This version's pin directory: another version's backend (an older
# install, another checkout) is not ours to mind.
from bpfctl import PIN_DIR  # noqa: E402

RUN = os.path.join(REPO, "scripts", "run-native.sh")
LINUBIA = os.path.join(REPO, "build", "bin", "linubia")
PIN_PARENT = "/sys/fs/bpf/linubia"
PORT = "16169"  # not the default 16161: a developer's own `make run` may be up


def machine_state():
    """What make run may create; all of it must be gone afterwards."""
    netns = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE, text=True).stdout
    procs = subprocess.run(["pgrep", "-af", "linubia-run|run-native.sh|--server-ns lnb-run-"],
                           stdout=subprocess.PIPE, text=True).stdout
    return {
        "pins": sorted(glob.glob(PIN_PARENT + "/**", recursive=True)),
        "netns": sorted(re.findall(r"^(lnb-run-\S+)", netns, re.M)),
        "dirs": sorted(glob.glob("/tmp/linubia-run.*")),
        "processes": [l for l in procs.splitlines()  # zombies are gone, not yet reaped
                      if "pgrep" not in l and not l.endswith("<defunct>")],
        "port": subprocess.run(["ss", "-Hlun", "sport = :%s" % PORT],
                               stdout=subprocess.PIPE, text=True).stdout.strip(),
    }


def clean_up_after(before):
    """After a failed run: remove what it started and left behind, so that
    the suites after this one find the machine as it was (never more)."""
    after = machine_state()
    for d in set(after["dirs"]) - set(before["dirs"]):
        for pidfile in glob.glob(d + "/*.pid"):
            subprocess.run(["pkill", "-KILL", "-F", pidfile], stderr=subprocess.DEVNULL)
    for _ in range(3):  # the demo loops restart their traffic tool: until none is left
        for line in set(machine_state()["processes"]) - set(before["processes"]):
            subprocess.run(["kill", "-KILL", line.split()[0]], stderr=subprocess.DEVNULL)
    for ns in set(after["netns"]) - set(before["netns"]):
        subprocess.run(["ip", "netns", "del", ns])
    if not any(p.startswith(PIN_DIR) for p in before["pins"]) and os.path.exists(PIN_DIR):
        subprocess.run([LINUBIA, "ebpf", "unload"])
    for d in set(after["dirs"]) - set(before["dirs"]):
        subprocess.run(["rm", "-rf", d])


def expect_clean(before, what):
    after = machine_state()
    diff = {k: after[k] for k in after if after[k] != before[k]}
    expect(not diff, "%s: left behind %r" % (what, diff))


def env(seconds):
    return dict(os.environ, LINUBIA_RUN_SECONDS=str(seconds), LINUBIA_RUN_PORT=PORT)


def test_runs_shows_and_cleans_up(before):
    p = subprocess.run([RUN, "ebpf"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, env=env(3), timeout=600)
    out = p.stdout
    expect(p.returncode == 0, "exit status %d:\n%s" % (p.returncode, out[-3000:]))
    for want in ("loaded the eBPF backend", "snmpd on 127.0.0.1:%s" % PORT,
                 "snmptable -v2c -c linubia-demo", "unloaded the eBPF backend",
                 "everything it started is gone"):
        expect(want in out, "output lacks %r:\n%s" % (want, out[-3000:]))
    # linubia show and snmptable: the two demo users sent traffic
    expect("$ linubia show" in out and "$ snmptable" in out, "no tables:\n%s" % out[-3000:])
    show = out[out.index("$ linubia show"):out.index("$ snmptable")]
    table = out[out.index("$ snmptable"):]
    for uid, user in (("1", "daemon"), ("2", "bin")):
        expect(re.search(r"\b%s\b" % user, show),
               "%s missing from linubia show:\n%s" % (user, show))
        expect(re.search(r"^\s*%s\s+%s\s" % (uid, user), table, re.M),
               "uid %s (%s) missing from snmptable:\n%s" % (uid, user, table))
    expect_clean(before, "after stopping by itself")


def as_foreground_job():
    """A shell runs a foreground job with SIGINT at its default; a test run
    started in the background (`make test &`, CI) inherits it ignored, and
    bash cannot trap a signal ignored at its start: undo that, as a terminal
    user's shell would."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def test_ctrl_c_cleans_up(before):
    p = subprocess.Popen([RUN, "ebpf"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, env=env(600),
                         start_new_session=True, preexec_fn=as_foreground_job)
    lines = []
    deadline = time.monotonic() + 300
    for line in p.stdout:
        lines.append(line)
        if "the live table for" in line:
            break
        expect(time.monotonic() < deadline, "no live table within 300 s")
    expect(p.poll() is None, "run ended early:\n%s" % "".join(lines))
    os.killpg(p.pid, signal.SIGINT)  # what Ctrl-C does: the whole group
    try:
        rest, _ = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        stuck = subprocess.run(["ps", "-eo", "pid,pgid,stat,wchan:24,args"], stdout=subprocess.PIPE,
                               text=True).stdout
        stuck = [l for l in stuck.splitlines() if "linubia" in l or "snmpd" in l]
        clean_up_after(before)
        raise Failure("still running 60 s after Ctrl-C; its output:\n%s\nprocesses then:\n%s"
                      % ("".join(lines)[-2000:], "\n".join(stuck)))
    out = "".join(lines) + rest
    expect(p.returncode == 130, "exit status %d after Ctrl-C (want 130):\n%s"
           % (p.returncode, out[-2000:]))
    expect("everything it started is gone" in out, "no cleanup message:\n%s" % out[-2000:])
    expect_clean(before, "after Ctrl-C")


def test_refuses_bad_backend(before):
    p = subprocess.run([RUN, "nonsense"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=env(1))
    expect(p.returncode == 1 and "unknown BACKEND 'nonsense'" in p.stderr,
           "bad backend: exit %d, %r" % (p.returncode, p.stderr))
    expect_clean(before, "after a bad BACKEND")


def main():
    if os.path.exists(PIN_DIR + "/link_ingress"):
        print("test_run.py: the eBPF backend is loaded; this test needs it unloaded",
              file=sys.stderr)
        return 1
    before = machine_state()
    return summary(*run_each((test_refuses_bad_backend, test_runs_shows_and_cleans_up,
                              test_ctrl_c_cleans_up), lambda fn: fn(before)))


if __name__ == "__main__":
    sys.exit(main())
