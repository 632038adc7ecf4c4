# SPDX-License-Identifier: GPL-2.0-only
"""The eBPF backend as the tests drive it: build/bin/linubia-bpf for load,
unload, show (same table as /proc/linubia), stats, reset and config, and
bpftool for what is attached at the cgroup v2 root.  Natively on the host,
so every helper here cleans up after itself."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kmod"))
import lnb  # noqa: E402  (read-only reuse: Pair, traffic, expectations)
import uapi  # noqa: E402

TOOL = os.path.join(uapi.REPO, "build", "bin", "linubia-bpf")
PIN_PARENT = "/sys/fs/bpf/linubia"
# What bpf/maps.h defines (never re-declared here): the versioned pin
# directory and the fast-path slots' geometry.
_MAPS_H = open(os.path.join(uapi.REPO, "bpf", "maps.h")).read()
PIN_DIR = PIN_PARENT + "/" + re.search(r'#define LNB_BPF_PIN_VERSION\s+"(\w+)"', _MAPS_H).group(1)
SLOT_BITS = int(re.search(r"#define LNB_BPF_SLOT_BITS\s+(\d+)", _MAPS_H).group(1))
SLOT_PROBES = int(re.search(r"#define LNB_BPF_SLOT_PROBES\s+(\d+)", _MAPS_H).group(1))
# Both program pairs (bpf/linubia.bpf.c): kfunc, and probe_read for < 6.2.
PAIRS = {"kfunc": ("lnb_egress", "lnb_ingress"), "probe_read": ("lnb_egress_pr", "lnb_ingress_pr")}
PROGS = PAIRS["kfunc"] + PAIRS["probe_read"]


def tool(*args, check=True, prefix=()):
    """Run linubia-bpf; (returncode, stdout, stderr)."""
    p = subprocess.run(list(prefix) + [TOOL] + [str(a) for a in args],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and p.returncode != 0:
        raise lnb.Failure("linubia-bpf %s failed (%d): %s" % (" ".join(map(str, args)),
                                                              p.returncode, p.stderr.strip()))
    return p.returncode, p.stdout, p.stderr


def load(*args):
    tool("load", *args)


def variant():
    """The program pair the loaded backend runs ("kfunc" or "probe_read")."""
    st = dict(line.split(None, 1) for line in tool("status")[1].splitlines() if " " in line)
    return st["variant"].strip()


def loaded_pair():
    """Sorted names of the loaded variant's programs."""
    return sorted(PAIRS[variant()])


def unload():
    tool("unload")


def loaded():
    return os.path.exists(PIN_DIR + "/link_ingress")


def refuse_if_present(who):
    """Exit if an eBPF backend is loaded (or pinned) that this run did not
    load: it is host-wide, and a test or benchmark that unloaded it would
    tear down someone else's accounting (`make run`, a real deployment)."""
    if os.path.exists(PIN_DIR):
        sys.exit("%s: the eBPF backend is already loaded (%s exists): this run loads and "
                 "unloads it itself, and never one it did not load (unload it first: "
                 "linubia ebpf unload)" % (who, PIN_DIR))


def cleanup():
    """Whatever a failed test left: our pins and links (never others':
    runs start with refuse_if_present())."""
    if os.path.exists(PIN_DIR):
        tool("unload", check=False)


def parse_table(text):
    lines = text.splitlines()
    header = lines[0].split()
    lnb.expect_eq(header[3:], uapi.COUNTERS, "linubia-bpf show header")
    table = {}
    for line in lines[1:]:
        vals = [int(v) for v in line.split()]
        table[vals[0]] = dict(zip(header, vals))
    return table


def table():
    """{uid: {column: int}}, as lnb.proc_table() for the module."""
    return parse_table(tool("show")[1])


def stats():
    return {k: int(v) for k, v in (line.split() for line in tool("stats")[1].splitlines())}


def reset(uid):
    """The counters one reset took off uid ({name: value})."""
    t = parse_table(tool("reset", uid)[1])
    return t[uid]


def reset_all():
    tool("reset", "--all")


def set_count_loopback(on):
    tool("config", "count_loopback=%s" % ("on" if on else "off"))


def slot_probes(uid):
    """The slots uid may take, in probe order (lnb_bpf_slot() in maps.h)."""
    home = ((uid * 0x9e3779b1) & 0xffffffff) >> (32 - SLOT_BITS)
    return [(home + n) % (1 << SLOT_BITS) for n in range(SLOT_PROBES)]


def slot_owners():
    """{uid: slot} of the users counting in a fast-path slot, read from the
    pinned lnb_slots map with bpftool (not through linubia-bpf)."""
    out = lnb.run(["bpftool", "map", "lookup", "pinned", PIN_DIR + "/lnb_slots",
                   "key", "0", "0", "0", "0", "-j"])
    owner = json.loads(out)["formatted"]["value"]["owner"]
    return {o - 1: at for at, o in enumerate(owner) if o}


def cgroup_root():
    for line in open("/proc/self/mountinfo"):
        left, right = line.split(" - ", 1)
        if right.startswith("cgroup2 ") and left.split()[3] == "/":
            return left.split()[4]
    raise lnb.Failure("no cgroup2 mount")


def attached_progs():
    """Names of the programs attached at the cgroup v2 root."""
    out = lnb.run(["bpftool", "cgroup", "show", cgroup_root()])
    return [line.split()[-1] for line in out.splitlines()[1:] if line.strip()]


def prog_names():
    out = lnb.run(["bpftool", "prog", "show"])
    return [w for line in out.splitlines() for w in line.split() if w in PROGS]


def pins_left():
    found = []
    for root, dirs, files in os.walk(PIN_PARENT):
        found += [os.path.join(root, f) for f in files + dirs]
    return found + ([PIN_PARENT] if os.path.exists(PIN_PARENT) else [])
