#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Tests of the `linubia` command against the real module, run as root in
the QEMU guest (tests/vm).  Expectations come from independent sources:
the traffic tool's sockets (ground truth), /proc/linubia (the module's own
text view), Python's pwd module (NSS), and the clock for rates.
Usage: test_cli.py [test_name ...]"""
import csv
import io
import json
import os
import pty
import pwd
import re
import select
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "kmod"))
sys.dont_write_bytecode = True

import genl  # noqa: E402
import lnb  # noqa: E402  (read-only use of the kmod test helpers)
import uapi  # noqa: E402
from lnb import Failure, Pair, add, expect, expect_eq, flow_expectation  # noqa: E402
from runner import run_all, test  # noqa: E402

REPO = uapi.REPO
LINUBIA = os.path.join(REPO, "build", "bin", "linubia")
UIDS_TOOL = os.path.join(REPO, "build", "bin", "lib-snapshot-uids")
UNATTR = uapi.UID_UNATTRIBUTED
COUNTERS = uapi.COUNTERS
NO_MODULE = ("linubia: connect to the accounting backend: no accounting backend loaded "
             "(modprobe linubia; where modules cannot load: linubia ebpf load)")


def cli(*args, uid=None, stdin=subprocess.DEVNULL, prefix=(), timeout=600):
    """Run linubia; (exit status, stdout, stderr)."""
    cmd = list(prefix)
    if uid is not None:
        cmd += ["setpriv", "--reuid", str(uid), "--regid", str(uid), "--clear-groups"]
    cmd += [LINUBIA] + [str(a) for a in args]
    p = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def cli_ok(*args, **kw):
    status, out, err = cli(*args, **kw)
    if status != 0:
        raise Failure("linubia %s: exit %d, stderr: %s" % (" ".join(map(str, args)), status,
                                                           err.strip()))
    return out


def show_json(*args, **kw):
    return json.loads(cli_ok("show", "--json", *args, **kw))


def by_uid(doc):
    return {u["uid"]: u for u in doc["users"]}


def expect_counters(user, want, what):
    """Every counter of a JSON user equals want (missing names are 0)."""
    diff = ["%s: expected %d, got %d" % (c, want.get(c, 0), user["counters"][c])
            for c in COUNTERS if user["counters"][c] != want.get(c, 0)]
    if diff:
        raise Failure("%s (uid %d): %s" % (what, user["uid"], "; ".join(diff)))


def nss_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None


def sum_of(counters, direction=None, family=None, proto=None, unit="bytes"):
    """A derived sum computed here from the counter names (not by the tool)."""
    total = 0
    for name, value in counters.items():
        d, f, p, u = name.split("_")
        if u == unit and direction in (None, d) and family in (None, f) and proto in (None, p):
            total += value
    return total


def human(n):
    """The documented human format, written independently of the C code."""
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    v, u = float(n), 0
    while u + 1 < len(units) and round(v * 10) / 10 >= 1024:
        v /= 1024
        u += 1
    return "%d %s" % (v, units[0]) if u == 0 else "%.1f %s" % (v, units[u])


def three_users():
    """TCP 1002 -> 1001 over IPv4, UDP 65534 -> 1001 over IPv6; expected
    counters per UID from the traffic tool's ground truth."""
    p = Pair(quiet=True)
    tcp = lnb.traffic("tcp", 4, p.b4, p.a4, server_ns=p.b, client_ns=p.a,
                      server_uid=1001, client_uid=1002, extra=["--bytes", 300000])
    udp = lnb.traffic("udp", 6, p.b6, p.a6, server_ns=p.b, client_ns=p.a,
                      server_uid=1001, client_uid=65534, extra=["--count", 20, "--size", 700])
    lnb.expect_exact(tcp, "TCP/IPv4")
    lnb.expect_exact(udp, "UDP/IPv6")
    return {
        1001: add(flow_expectation(tcp["server"], 4, "tcp"), flow_expectation(udp["server"], 6, "udp")),
        1002: flow_expectation(tcp["client"], 4, "tcp"),
        65534: flow_expectation(udp["client"], 6, "udp"),
    }


def stable_json_and_proc():
    """`show --json` taken between two equal reads of /proc/linubia."""
    for _ in range(5):
        before = lnb.proc_table()
        doc = show_json()
        if lnb.proc_table() == before:
            return doc, before
    raise Failure("/proc/linubia kept changing during 5 attempts")


@test
def show_json_equals_proc_and_ground_truth():
    want = three_users()
    doc, proc = stable_json_and_proc()
    users = by_uid(doc)
    expect_eq(doc["schema"], 1, "schema")
    expect_eq(doc["scope"], "all", "scope as root")
    expect_eq(doc["backend"], "kmod", "backend")
    expect_eq([u["uid"] for u in doc["users"]], sorted(proc), "JSON users (UID order) vs /proc")
    for uid, row in proc.items():
        u = users[uid]
        expect_counters(u, {c: row[c] for c in COUNTERS}, "JSON vs /proc")
        expect_eq(u["first_seen_ns"], row["first_seen_ns"], "first_seen_ns of %d" % uid)
        expect_eq(u["last_reset_ns"], row["last_reset_ns"], "last_reset_ns of %d" % uid)
        expect_eq(u["unattributed"], uid == UNATTR, "unattributed flag of %d" % uid)
        expect_eq(u["user"], None if uid == UNATTR else nss_name(uid), "user name of %d" % uid)
        for d in ("in", "out"):
            for unit in ("bytes", "packets"):
                expect_eq(u["totals"]["%s_%s" % (d, unit)], sum_of(u["counters"], d, unit=unit),
                          "totals.%s_%s of %d" % (d, unit, uid))
    for uid, counters in want.items():
        expect_counters(users[uid], counters, "JSON vs traffic tool")
    expect_eq(users[65534]["user"], "nobody", "NSS name of 65534")
    stats = doc["stats"]
    expect_eq(stats["users"], len(proc), "stats.users")
    for name in uapi.STATS + ["max_users"]:
        expect(name in stats, "stats lacks %s" % name)


@test
def table_csv_and_sorting():
    want = three_users()
    doc, _ = stable_json_and_proc()
    # Raw table: columns are derived sums; rows by total bytes, largest first.
    lines = cli_ok("show", "--bytes").splitlines()
    header = lines[0].split()
    expect_eq(header, ["USER", "UID", "IN", "OUT", "IN-IPV4", "OUT-IPV4", "IN-IPV6", "OUT-IPV6",
                       "IN-TCP", "OUT-TCP", "IN-UDP", "OUT-UDP"], "table header")
    rows = [line.split() for line in lines[1:]]
    expect_eq(len(rows), len(doc["users"]), "table rows")
    totals = {u["uid"]: sum_of(u["counters"]) for u in doc["users"]}
    order = sorted(totals, key=lambda uid: (-totals[uid], uid))
    expect_eq([int(r[1]) for r in rows], order, "row order (total bytes desc, then UID)")
    for r in rows:
        uid = int(r[1])
        c = by_uid(doc)[uid]["counters"]
        cols = [sum_of(c, "in"), sum_of(c, "out"), sum_of(c, "in", "ipv4"), sum_of(c, "out", "ipv4"),
                sum_of(c, "in", "ipv6"), sum_of(c, "out", "ipv6"), sum_of(c, "in", proto="tcp"),
                sum_of(c, "out", proto="tcp"), sum_of(c, "in", proto="udp"),
                sum_of(c, "out", proto="udp")]
        expect_eq([int(v) for v in r[2:]], cols, "table row of uid %d" % uid)
    expect_eq(int(rows[[int(r[1]) for r in rows].index(1002)][3]),
              sum_of(want[1002], "out"), "uid 1002 OUT vs traffic tool")
    # Human units: the row of 1001 in KiB/MiB as documented.
    line = next(x for x in cli_ok("show").splitlines()[1:] if x.split()[0] == str(1001)
                or (nss_name(1001) and x.startswith(nss_name(1001) + " ")))
    c = by_uid(doc)[1001]["counters"]
    expect(human(sum_of(c, "in")) in line and human(sum_of(c, "out")) in line,
           "human units: expected %s in and %s out in %r" % (human(sum_of(c, "in")),
                                                            human(sum_of(c, "out")), line))
    # --sort by a sum and by UID.
    rows = [line.split() for line in cli_ok("show", "--bytes", "--sort", "out_ipv6_udp_packets")
            .splitlines()[1:]]
    expect_eq(int(rows[0][1]), 65534, "top row sorted by out_ipv6_udp_packets")
    rows = [line.split() for line in cli_ok("show", "--sort", "uid").splitlines()[1:]]
    expect_eq([int(r[1]) for r in rows], sorted(totals), "--sort uid")
    # CSV: every raw counter, same values as JSON.
    reader = list(csv.DictReader(io.StringIO(cli_ok("show", "--csv"))))
    expect_eq([int(r["uid"]) for r in reader], sorted(totals), "CSV rows (UID order)")
    for r in reader:
        u = by_uid(doc)[int(r["uid"])]
        expect_eq({c: int(r[c]) for c in COUNTERS}, u["counters"], "CSV vs JSON of %s" % r["uid"])
        expect_eq(r["user"], u["user"] or "", "CSV user of %s" % r["uid"])


@test
def one_user_by_uid_and_name():
    want = three_users()
    doc = show_json("--uid", 1002)
    expect_eq([u["uid"] for u in doc["users"]], [1002], "--uid 1002 users")
    expect_counters(doc["users"][0], want[1002], "--uid 1002")
    doc = show_json("--user", "nobody")
    expect_eq([u["uid"] for u in doc["users"]], [65534], "--user nobody users")
    expect_counters(doc["users"][0], want[65534], "--user nobody")
    status, _, err = cli("show", "--uid", 4242)
    expect_eq(status, 5, "exit status for a UID without record")
    expect_eq(err.strip(), "linubia: show uid 4242: no record for this UID (it has had no IP "
              "traffic since the module was loaded)", "message for a UID without record")
    status, _, err = cli("show", "--user", "no-such-user-xyz")
    expect_eq(status, 5, "exit status for an unknown user")
    expect("no such user" in err, "message for an unknown user: %r" % err)
    status, _, err = cli("show", "--uid", "12x")
    expect_eq(status, 2, "exit status for a bad UID")


@test
def reset_one_and_all():
    three_users()
    before, _ = stable_json_and_proc()
    cleared = json.loads(cli_ok("reset", "--uid", 1001, "--json"))
    expect_eq(cleared["counters"], by_uid(before)[1001]["counters"],
              "reset reply: what was taken off vs the counters before")
    after, proc = stable_json_and_proc()
    users = by_uid(after)
    expect_counters(users[1001], {}, "uid 1001 after its reset")
    expect(users[1001]["last_reset_ns"] > 0, "last_reset_ns set after reset")
    expect_eq(proc[1001]["last_reset_ns"], users[1001]["last_reset_ns"], "last_reset_ns vs /proc")
    for uid in (1002, 65534):
        expect_counters(users[uid], by_uid(before)[uid]["counters"], "uid %d untouched" % uid)
    # --all needs a confirmation; without a terminal and -y nothing happens.
    status, _, err = cli("reset", "--all")
    expect_eq(status, 2, "exit status of an unconfirmed reset --all")
    expect("not confirmed" in err and "add -y" in err, "message: %r" % err)
    expect_counters(by_uid(show_json())[1002], by_uid(before)[1002]["counters"],
                    "uid 1002 after the refused reset --all")
    out = cli_ok("reset", "--all", "-y")
    expect_eq(out.strip(), "reset all users", "reset --all output")
    for u in show_json()["users"]:
        expect_counters(u, {}, "after reset --all")
    status, _, err = cli("reset", "--uid", 4242)
    expect_eq(status, 5, "exit status resetting a UID without record")


@test
def non_root_sees_one_row():
    want = three_users()
    doc = show_json(uid=1002)
    expect_eq(doc["scope"], "own", "scope as uid 1002")
    expect_eq([u["uid"] for u in doc["users"]], [1002], "users seen by uid 1002")
    expect_counters(doc["users"][0], want[1002], "uid 1002's own record")
    status, out, err = cli("show", "--bytes", uid=1002)
    expect_eq(status, 0, "exit status of show as uid 1002")
    expect_eq(len(out.splitlines()), 2, "table lines (header + 1) as uid 1002")
    expect("showing only your own traffic" in err and "CAP_NET_ADMIN" in err,
           "note explaining the single row: %r" % err)
    status, _, err = cli("reset", "--uid", 1001, uid=1002)
    expect_eq(status, 4, "exit status of reset as uid 1002")
    expect_eq(err.strip(), "linubia: reset uid 1001: permission denied (this needs "
              "CAP_NET_ADMIN: run it as root)", "message of reset as uid 1002")
    status, _, err = cli("show", "--uid", 1001, uid=1002)
    expect_eq(status, 4, "exit status reading another user's record")
    status, _, _ = cli("config", "count_loopback=off", uid=1002)
    expect_eq(status, 4, "exit status of config as uid 1002")


@test
def stats_and_config():
    three_users()
    stats = json.loads(cli_ok("stats", "--json"))
    expect_eq(stats["users"], len(lnb.proc_table()), "stats users vs /proc rows")
    text = cli_ok("stats")
    expect_eq(text.split()[0:2], ["users", str(stats["users"])], "stats text")
    param = "/sys/module/linubia/parameters/count_loopback"
    expect_eq(cli_ok("config").splitlines()[0], "count_loopback=on", "config default")
    cli_ok("config", "count_loopback=off")
    expect_eq(open(param).read().strip(), "N", "module parameter after count_loopback=off")
    expect_eq(cli_ok("config").splitlines()[0], "count_loopback=off", "config after off")
    cli_ok("config", "count_loopback=on")
    expect_eq(open(param).read().strip(), "Y", "module parameter after count_loopback=on")
    status, _, _ = cli("config", "bogus=1")
    expect_eq(status, 2, "exit status for an unknown setting")


@test
def read_group_by_config():
    # `linubia config read_gid=`: the module's read group without reloading
    # it (snmpd's or an exporter's group): members see every row and change
    # nothing; others their own row; root only may set it.
    want = three_users()
    member = ["setpriv", "--reuid", "1002", "--regid", "1002", "--groups", "2000"]
    expect("read_gid=none" in cli_ok("config").split(), "config default: read_gid=none")
    cli_ok("config", "read_gid=2000")
    expect("read_gid=2000" in cli_ok("config").split(), "config after read_gid=2000")
    expect_eq(genl.Linubia().get_config()["read_gid"], 2000, "the module's read_gid")
    doc = show_json(prefix=member)
    expect_eq(doc["scope"], "all", "scope as a member of group 2000")
    expect_eq(sorted(u["uid"] for u in doc["users"] if u["uid"] in want), sorted(want),
              "rows seen by a member")
    expect_counters(by_uid(doc)[1001], want[1001], "uid 1001's record seen by a member")
    for args in (("reset", "--uid", 1001), ("config", "read_gid=none")):
        status, _, err = cli(*args, prefix=member)
        expect_eq(status, 4, "exit status of %r as a member: %r" % (args, err))
    expect_eq([u["uid"] for u in show_json(uid=1002)["users"]], [1002],
              "rows seen by uid 1002 outside the group")
    status, _, err = cli("config", "read_gid=2147483648")
    expect(status == 1 and "out of range" in err, "read_gid=2^31: %d %r" % (status, err))
    status, _, _ = cli("config", "read_gid=-1")
    expect_eq(status, 2, "exit status of read_gid=-1 (none is spelt none)")
    expect("read_gid=2000" in cli_ok("config").split(), "read_gid kept after refused changes")
    cli_ok("config", "read_gid=none")
    expect("read_gid=none" in cli_ok("config").split(), "config after read_gid=none")
    expect_eq([u["uid"] for u in show_json(prefix=member)["users"]], [1002],
              "rows seen by a former member")


@test
def module_not_loaded():
    lnb.unload_module()
    for args in ((), ("top", "-n", 1), ("reset", "--all", "-y"), ("stats",)):
        status, out, err = cli(*args)
        expect_eq(status, 3, "exit status of %r without the module" % (args,))
        expect_eq(err.strip(), NO_MODULE, "message of %r without the module" % (args,))


@test
def never_makes_the_kernel_load_the_module():
    # Resolving the genl family of an absent module makes the kernel run
    # modprobe for "net-pf-16-proto-16-family-linubia": a host running the
    # eBPF backend, with the module merely installed, would switch backends
    # because someone typed `linubia show`.  The kernel's modprobe helper is
    # pointed at a script that logs each request.
    lnb.unload_module()
    log, hook = "/tmp/lnb-cli-modprobe.log", "/tmp/lnb-cli-fake-modprobe"
    with open(hook, "w") as f:
        f.write("#!/bin/sh\necho \"$@\" >> %s\nexit 1\n" % log)
    os.chmod(hook, 0o755)
    if os.path.exists(log):
        os.unlink(log)
    with open("/proc/sys/kernel/modprobe") as f:
        old = f.read().strip()
    with open("/proc/sys/kernel/modprobe", "w") as f:
        f.write(hook)
    try:
        status, _, err = cli("show")
        expect_eq((status, err.strip()), (3, NO_MODULE), "show without the module as root")
        # Not root: the eBPF backend's pins are root-only, so it is told
        # "permission denied" (exit 4) whether or not that backend is loaded
        # (tools/linubia.1, EXIT STATUS).
        status, _, err = cli("show", uid=1002)
        expect(status == 4 and "permission denied" in err,
               "show without the module as uid 1002: exit %d, %r" % (status, err))
    finally:
        with open("/proc/sys/kernel/modprobe", "w") as f:
            f.write(old)
    requests = open(log).read() if os.path.exists(log) else ""
    expect_eq(requests, "", "module load requests made by linubia show")


@test
def scope_is_what_the_module_decides():
    # "all" only where the module shows everything: CAP_NET_ADMIN in the
    # initial user namespace, from the initial network namespace.  capget()
    # in the caller's own namespaces once said "all" to root of a
    # container's network or user namespace, which sees only its own row.
    three_users()
    for who, prefix, scope in (
            ("root", [], "all"),
            ("root in a child netns", ["unshare", "--net"], "own"),
            ("root of a user and netns", ["unshare", "--user", "--map-root-user", "--net"], "own"),
            ("uid 0 without capabilities",
             ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--"], "own")):
        doc = show_json(prefix=prefix)
        expect_eq(doc["scope"], scope, "scope of %s" % who)
        if scope == "own":
            expect(all(u["uid"] in (0, 65534) for u in doc["users"]),
                   "%s sees %s" % (who, [u["uid"] for u in doc["users"]]))
            expect("at_bound" not in json.loads(cli_ok("stats", "--json", prefix=prefix)),
                   "%s: at_bound needs every record" % who)
    expect("at_bound" in json.loads(cli_ok("stats", "--json")), "root: at_bound in stats")
    # The module's read group reads every record and changes nothing: the
    # CLI says "all" to a member (it once said "own" and hid at_bound).
    genl.Linubia().set_config(read_gid=2000)
    member = ["setpriv", "--reuid", "1003", "--regid", "1003", "--groups", "2000", "--"]
    doc = show_json(prefix=member)
    expect_eq(doc["scope"], "all", "scope of a read_gid member")
    expect(set(by_uid(doc)) >= {1001, 1002, 65534}, "a member sees %s" % sorted(by_uid(doc)))
    expect("at_bound" in json.loads(cli_ok("stats", "--json", prefix=member)),
           "a member: at_bound in stats")
    status, _, err = cli("reset", "--uid", 1001, prefix=member)
    expect(status != 0 and "CAP_NET_ADMIN" in err,
           "a member's reset: exit %d, stderr %r" % (status, err.strip()))
    non_member = ["setpriv", "--reuid", "1003", "--regid", "1003", "--clear-groups", "--"]
    expect_eq(show_json(prefix=non_member)["scope"], "own", "scope of a non-member")


FLOOD = os.path.join(REPO, "build", "bin", "linubia-flood")
SUBUID_FIRST = 300000


def private_subuid_files():
    """User lnbflood1010 (uid 1010) with 65,536 subordinate UIDs from
    SUBUID_FIRST, bind-mounted over /etc in this guest only (as
    tests/kmod/hardening.py does; newuidmap reads them)."""
    line = "lnbflood1010:%d:65536\n" % SUBUID_FIRST
    files = {"passwd": open("/etc/passwd").read() +
             "lnbflood1010:x:1010:1010::/nonexistent:/usr/sbin/nologin\n",
             "subuid": line, "subgid": line}
    for name, text in files.items():
        with open("/tmp/lnb-cli-%s" % name, "w") as f:
            f.write(text)
        lnb.run(["mount", "--bind", "/tmp/lnb-cli-%s" % name, "/etc/%s" % name])


def unmount_subuid_files():
    for name in ("passwd", "subuid", "subgid"):
        lnb.run(["umount", "/etc/%s" % name])


@test
def delegated_records_in_show_stats_and_config():
    # The module bounds the records of the UIDs a user delegates (user
    # namespaces, subordinate UIDs); the command names the delegating user
    # and who is at the bound, and changes the bound.
    private_subuid_files()
    try:
        delegated_records_checks()
    finally:
        unmount_subuid_files()


def delegated_records_checks():
    max_users = int(cli_ok("config").split("max_users=")[1].split()[0])
    status, _, err = cli("config", "max_delegated=%d" % (max_users + 1))
    expect(status == 1 and "out of range" in err, "max_delegated > max_users: %d %r"
           % (status, err))
    cli_ok("config", "max_delegated=3")
    expect("max_delegated=3" in cli_ok("config").split(), "config after max_delegated=3")
    first = SUBUID_FIRST
    prefix = ["setpriv", "--reuid", "1010", "--regid", "1010", "--clear-groups", "unshare",
              "--map-root-user", "--map-users=%d,1,65536" % first, "--net", "sh", "-c",
              'ip link set lo up && exec "$@"', "sh"]
    out = json.loads(lnb.run(prefix + [FLOOD, "--uids", "1:10"]))
    expect_eq(out["received"], 10, "datagrams of the 10 UIDs")
    doc = show_json()
    mine = [u for u in doc["users"] if u["delegated_by"] == 1010]
    expect_eq([u["uid"] for u in mine], [first, first + 1, first + 2], "records delegated by 1010")
    expect(all(u["delegated_by_user"] == "lnbflood1010" for u in mine),
           "delegated_by_user: %s" % [u["delegated_by_user"] for u in mine])
    expect_eq(by_uid(doc)[1010]["delegated_by"], None, "1010's own record")
    expect_eq(doc["stats"]["delegated_users"], 3, "stats.delegated_users")
    expect_eq(doc["stats"]["max_delegated"], 3, "stats.max_delegated")
    stats = json.loads(cli_ok("stats", "--json"))
    expect_eq(stats["delegated_over_bound"], 7, "delegated_over_bound")
    expect_eq(stats["at_bound"], [{"uid": 1010, "user": "lnbflood1010", "records": 3}],
              "at_bound")
    expect("lnbflood1010 (3 records)" in cli_ok("stats"), "at_bound in the text stats")
    lines = cli_ok("show", "--bytes").splitlines()
    expect_eq(lines[0].split()[-1], "DELEGATED-BY", "table header's last column")
    row = [l.split() for l in lines[1:] if l.split()[1] == str(first)]
    expect(row and row[0][-1] == "lnbflood1010", "table row of uid %d: %s" % (first, row))
    rows = list(csv.DictReader(io.StringIO(cli_ok("show", "--csv"))))
    expect_eq({r["uid"]: r["delegated_by"] for r in rows if r["delegated_by"]},
              {str(u["uid"]): "1010" for u in mine}, "CSV delegated_by")


# linubia top ------------------------------------------------------------------

RATE = 100000           # payload bytes/s the traffic tool sends
SIZE = 1000             # datagram payload
TOP_UID, TOP_PEER = 1003, 1004


def start_paced_flow(p, seconds):
    """UDP at RATE from TOP_UID to TOP_PEER for `seconds`; returns the handle
    once the module has charged the first datagram (no sleep as sync)."""
    h = lnb.traffic_async("udp", 4, p.b4, p.a4, server_ns=p.b, client_ns=p.a,
                          server_uid=TOP_PEER, client_uid=TOP_UID,
                          extra=["--count", RATE * seconds // SIZE, "--size", SIZE,
                                 "--rate", RATE, "--timeout", 300])
    lnb.wait_for(lambda: lnb.counters(lnb.proc_table(), TOP_UID)["out_ipv4_udp_packets"] > 0,
                 "the paced flow's first datagram")
    return h


def expected_rates():
    per_packet = SIZE + 8 + 20           # UDP + IPv4 headers
    pps = RATE / SIZE
    return pps * per_packet, pps


def check_rates(samples, what):
    """samples: [(out_bytes_per_s, out_packets_per_s)] of TOP_UID."""
    want_bytes, want_pps = expected_rates()
    expect(len(samples) >= 3, "%s: only %d samples: %r" % (what, len(samples), samples))
    got_bytes = statistics.median(s[0] for s in samples)
    got_pps = statistics.median(s[1] for s in samples)
    for got, want, unit in ((got_bytes, want_bytes, "B/s"), (got_pps, want_pps, "packets/s")):
        if abs(got - want) > 0.10 * want:
            raise Failure("%s: median %.0f %s, expected %.0f ±10%% (samples %r)"
                          % (what, got, unit, want, samples))


@test
def top_rates_on_a_terminal_and_as_lines():
    p = Pair(quiet=True)
    flow = start_paced_flow(p, 25)
    # On a terminal (script gives it a pty): full-screen frames.
    run = subprocess.run(["script", "-qfec", "%s top --bytes -n 6" % LINUBIA, "/dev/null"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, timeout=120)
    status, out, err = run.returncode, run.stdout, run.stderr
    expect_eq(status, 0, "exit status of top under script (stderr %r)" % err)
    frames = out.split("\x1b[H\x1b[2J")[1:]
    expect_eq(len(frames), 6, "frames drawn")
    samples = []
    for frame in frames[1:]:
        expect("q or Ctrl-C quits" in frame, "frame title: %r" % frame[:200])
        for line in frame.replace("\r", "").splitlines():
            f = line.split()
            if len(f) == 6 and f[1] == str(TOP_UID):
                samples.append((float(f[3]), float(f[5])))
    check_rates(samples, "top on a terminal, uid %d OUT" % TOP_UID)
    # Not a terminal: one line per active user and interval.
    out = cli_ok("top", "--bytes", "-n", 5, timeout=120)
    lines = out.splitlines()
    expect_eq(lines[0].split(), ["time", "USER", "UID", "IN/s", "OUT/s", "IN-PKT/s", "OUT-PKT/s"],
              "line-mode header")
    samples = [(float(f[4]), float(f[6])) for f in map(str.split, lines[1:])
               if f[2] == str(TOP_UID)]
    check_rates(samples[1:], "top as lines, uid %d OUT" % TOP_UID)
    t = flow.result()
    expect_eq(t["client"]["datagrams_sent"], RATE * 25 // SIZE, "datagrams the paced flow sent")


@test
def top_quits_on_q():
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(LINUBIA, [LINUBIA, "top"])
    seen, deadline = b"", time.monotonic() + 120
    while b"quits" not in seen and time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 1)
        if r:
            seen += os.read(fd, 4096)
    expect(b"quits" in seen, "top drew no frame within 120 s: %r" % seen[-300:])
    os.write(fd, b"q")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            expect_eq(os.waitstatus_to_exitcode(status), 0, "top's exit status after q")
            expect(b"\x1b[?25h" in seen + drain(fd), "cursor restored")
            return
        select.select([fd], [], [], 0.1)
        seen += drain(fd)
    os.kill(pid, 9)
    raise Failure("top did not quit within 30 s of 'q'")


def drain(fd):
    data = b""
    while select.select([fd], [], [], 0)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


# valgrind on a table of 1000+ users ---------------------------------------------

VALGRIND = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect,possible"]


@test
def valgrind_on_1000_users():
    lnb.run([UIDS_TOOL, "20000", "1000"])
    users = len(lnb.proc_table())
    expect(users >= 1001, "records after 1000 UIDs sent: %d" % users)
    # Names (NSS) in two runs; --numeric elsewhere keeps the guest's time down.
    for args in (("show", "--json"), ("show", "--sort", "user"), ("show", "--numeric"),
                 ("show", "--csv", "--numeric"), ("show", "--uid", 20005),
                 ("reset", "--uid", 20005), ("stats",), ("config",),
                 ("top", "--bytes", "--numeric", "-n", 2), ("reset", "--all", "-y")):
        status, out, err = cli(*args, prefix=VALGRIND, timeout=900)
        if status != 0:
            raise Failure("valgrind linubia %s: exit %d\n%s" % (" ".join(map(str, args)), status,
                                                                err[-3000:]))
        if args == ("show", "--json"):
            expect_eq(len(json.loads(out)["users"]), users, "JSON users under valgrind")


if __name__ == "__main__":
    sys.exit(run_all(sys.argv[1:]))
