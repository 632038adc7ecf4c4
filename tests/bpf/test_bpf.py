#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""eBPF backend tests, natively on the host as root (make test-bpf).
Traffic runs only inside network namespaces the tests make (veth pairs,
10.200.x.x and fd00:: addresses, static neighbours); every expectation comes
from independent ground truth: the traffic tool's own sockets (TCP_INFO,
datagrams sent) and the veth interface counters.  Test UIDs are 41000+ so
that nothing else on the host shares their records.  Each test gets a fresh
load and always ends with an unload and its namespaces deleted.
Usage: test_bpf.py [test_name ...]"""
import ctypes
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time

import bpfctl
import exactness
from bpfctl import lnb
from runner import run_each, summary
from lnb import (Failure, add, expect, expect_eq, expect_flow, expect_record,
                 flow_expectation, pair_flow)

UNATTR = lnb.UNATTR
TESTS = []
LOAD_ARGS = {}
PAIRS = []


def test(fn=None, load_args=()):
    def wrap(f):
        TESTS.append(f)
        LOAD_ARGS[f] = load_args
        return f
    return wrap(fn) if fn else wrap


def pair(**kw):
    """A Pair the runner deletes after the test, whatever happens."""
    kw.setdefault("n", 150 + len(PAIRS))
    p = lnb.Pair(**kw)
    PAIRS.append(p)
    return p


def name(d, f, p, u):
    return lnb.name(d, f, p, u)


class Ebpf:
    """The eBPF backend as exactness.py's cases use a backend."""
    pair = staticmethod(pair)
    table = staticmethod(bpfctl.table)
    reset_all = staticmethod(bpfctl.reset_all)

    @staticmethod
    def reset(uid):
        rc, out, err = bpfctl.tool("reset", uid, check=False)
        if rc:
            expect("no record" in err, "reset of uid %d failed: %s" % (uid, err))
            return None
        return bpfctl.parse_table(out)[uid]

    @staticmethod
    def count_loopback():
        out = bpfctl.tool("config")[1].splitlines()[0].strip()
        expect(out in ("count_loopback on", "count_loopback off"), "config printed %r" % out)
        return out == "count_loopback on"

    set_count_loopback = staticmethod(bpfctl.set_count_loopback)


# --- exactness: the cases the module passes too (tests/kmod/exactness.py) ---

for _case in exactness.CASES:
    test(exactness.bind(_case, Ebpf()))


# --- where the hooks see differently from the module ------------------------

@test
def ping_socket_both_directions_attributed():
    p = pair(quiet=True)
    s0 = bpfctl.stats()
    u0 = lnb.counters(bpfctl.table(), UNATTR)
    t4 = lnb.traffic("ping", 4, p.b4, p.a4, client_ns=p.a, client_uid=41001,
                     extra=["--count", 5, "--size", 56])
    t6 = lnb.traffic("ping", 6, p.b6, p.a6, client_ns=p.a, client_uid=41001,
                     extra=["--count", 4, "--size", 100])
    table = bpfctl.table()
    s1 = bpfctl.stats()
    c4, c6 = t4["client"], t6["client"]
    expect_eq((c4["ip_in_packets"], c6["ip_in_packets"]), (5, 4), "echo replies received")
    # Unlike the module, the reply reaches the ping socket's ingress filter:
    # both directions are the pinging user's.
    expect_record(table, 41001, add(flow_expectation(c4, 4, "icmp"),
                                    flow_expectation(c6, 6, "icmp")), "ping sender")
    # The peer's kernel answers from its ICMP control socket (kernel); the
    # echo requests it receives have no socket and never reach cgroup_skb.
    expect_record(table, UNATTR, add(u0, {
        "out_ipv4_icmp_bytes": c4["ip_in_bytes"], "out_ipv4_icmp_packets": c4["ip_in_packets"],
        "out_ipv6_icmp_bytes": c6["ip_in_bytes"], "out_ipv6_icmp_packets": c6["ip_in_packets"],
    }), "unattributed after ping")
    expect_eq(s1["unattributed_kernel"] - s0["unattributed_kernel"], 9, "kernel packets")
    expect_eq(s1["unattributed_no_socket"] - s0["unattributed_no_socket"], 0, "no_socket packets")


@test
def closed_ports_what_the_hooks_see():
    p = pair(quiet=True)
    s0 = bpfctl.stats()
    unattr = lnb.counters(bpfctl.table(), UNATTR)
    kernel = 0
    for family in (4, 6):
        for proto, uid in (("tcp", 41000 + family), ("udp", 42000 + family)):
            extra = ["--closed", "--port", 9] + (["--count", 1, "--size", 100]
                                                 if proto == "udp" else [])
            t = pair_flow(p, proto, family, uid, None, *extra)
            c = t["client"]
            expect(c["connect_refused"] or c["econnrefused"],
                   "%s/IPv%d to a closed port was not refused" % (proto, family))
            if proto == "tcp":
                # SYN out and RST in both pass the client socket's filters.
                client = flow_expectation(c, family, "tcp")
                if family == 4:
                    # The RST leaves from the kernel's control socket; an
                    # IPv6 RST carries no socket at all: not seen.
                    unattr = add(unattr, {name("out", 4, "tcp", "bytes"): c["ip_in_bytes"],
                                          name("out", 4, "tcp", "packets"): c["ip_in_packets"]})
                    kernel += c["ip_in_packets"]
            else:
                # The ICMP error goes to icmp_rcv(), never to a socket filter.
                client = {name("out", family, "udp", "bytes"): c["ip_out_bytes"],
                          name("out", family, "udp", "packets"): c["ip_out_packets"]}
                unattr = add(unattr, {name("out", family, "icmp", "bytes"): c["ip_in_bytes"],
                                      name("out", family, "icmp", "packets"): c["ip_in_packets"]})
                kernel += c["ip_in_packets"]
            expect_record(bpfctl.table(), uid, client, "%s/IPv%d closed port client" % (proto, family))
    expect_record(bpfctl.table(), UNATTR, unattr, "unattributed after closed ports")
    s1 = bpfctl.stats()
    expect_eq(s1["unattributed_kernel"] - s0["unattributed_kernel"], kernel, "kernel packets")


@test
def rootless_container_counts_for_host_uid():
    prefix = ["setpriv", "--reuid", "41006", "--regid", "41006", "--clear-groups",
              "unshare", "-Urn", "sh", "-c",
              'ip link set lo up && sysctl -qw net.ipv4.tcp_sack=0 && exec "$@"', "sh"]
    t = lnb.traffic("tcp", 4, "127.0.0.1", "127.0.0.1", extra=["--bytes", 200000], prefix=prefix)
    u = lnb.traffic("udp", 6, "::1", "::1", extra=["--count", 7, "--size", 300], prefix=prefix)
    table = bpfctl.table()
    both = add(add(flow_expectation(t["client"], 4, "tcp"), flow_expectation(t["server"], 4, "tcp")),
               add(flow_expectation(u["client"], 6, "udp"), flow_expectation(u["server"], 6, "udp")))
    expect_eq(t["client"]["uid"], 0, "uid inside the container")
    expect_record(table, 41006, both, "rootless container (uid 0 inside)")


# --- the table's bound ------------------------------------------------------

@test(load_args=("--max-users", 16))
def table_full_goes_to_unattributed():
    p = pair(quiet=True)
    t0 = bpfctl.table()
    s0 = bpfctl.stats()
    others = sorted(u for u in t0 if u != UNATTR)     # host users seen meanwhile
    free = 16 - len(others)
    expect(free >= 4, "host users took the table: %s" % others)
    size = 100
    for uid in range(43000, 43100):
        pair_flow(p, "udp", 4, uid, 42999, "--count", 1, "--size", size)
    st = bpfctl.stats()
    table = bpfctl.table()
    per = 20 + 8 + size
    left_out = 100 - (free - 1)          # the server 42999 took one record
    expect_eq((st["max_users"], st["users"]), (16, 17), "max_users and records in use")
    expect_eq(sorted(table), sorted(others + [42999] + list(range(43000, 43000 + free - 1)) + [UNATTR]),
              "records")
    expect_eq(st["unattributed_table_full"] - s0["unattributed_table_full"], left_out,
              "table-full packets")
    expect_eq(st["table_full_bytes"] - s0["table_full_bytes"], left_out * per, "table-full bytes")
    expect_record(table, UNATTR, add(lnb.counters(t0, UNATTR),
                                     {"out_ipv4_udp_bytes": left_out * per,
                                      "out_ipv4_udp_packets": left_out}),
                  "unattributed record holds the left-out traffic")
    expect_record(table, 42999, {"in_ipv4_udp_bytes": 100 * per, "in_ipv4_udp_packets": 100},
                  "server got all datagrams")


# --- the fast-path slots -----------------------------------------------------

@test
def users_beyond_their_slots_count_in_the_table():
    """Six users whose probes are the same slots: the first ones take them,
    the others keep counting in lnb_users; all exact, resets too."""
    p = pair(quiet=True)
    server, size, n = 42999, 100, bpfctl.SLOT_PROBES + 2
    owners = bpfctl.slot_owners()
    taken = set(owners.values()) | set(bpfctl.slot_probes(server))
    homes = {}
    for uid in range(44000, 1 << 20):
        probes = bpfctl.slot_probes(uid)
        if not taken & set(probes):
            homes.setdefault(probes[0], []).append(uid)
            if len(homes[probes[0]]) == n:
                break
    uids = homes[probes[0]]
    expect_eq(len(uids), n, "uids sharing their probes found")
    per = 20 + 8 + size
    for uid in uids:
        pair_flow(p, "udp", 4, uid, server, "--count", 3, "--size", size)
    owners = bpfctl.slot_owners()
    fast = uids[:bpfctl.SLOT_PROBES]
    expect_eq([owners.get(u) for u in uids], probes + [None, None],
              "slots of %s (probes %s)" % (uids, probes))
    table = bpfctl.table()
    for uid in uids:
        expect_record(table, uid, {"out_ipv4_udp_bytes": 3 * per, "out_ipv4_udp_packets": 3},
                      "uid %d (%s)" % (uid, "slot" if uid in fast else "table only"))
    expect_record(table, server, {"in_ipv4_udp_bytes": 3 * n * per,
                                  "in_ipv4_udp_packets": 3 * n}, "the server")
    for uid in (uids[0], uids[-1]):
        cleared = bpfctl.reset(uid)
        expect_eq({k: v for k, v in cleared.items() if v and k in lnb.uapi.COUNTERS},
                  {"out_ipv4_udp_bytes": 3 * per, "out_ipv4_udp_packets": 3},
                  "reset of uid %d took off" % uid)
        pair_flow(p, "udp", 4, uid, server, "--count", 2, "--size", size)
        expect_record(bpfctl.table(), uid, {"out_ipv4_udp_bytes": 2 * per,
                                            "out_ipv4_udp_packets": 2},
                      "uid %d after its reset" % uid)
    bpfctl.reset_all()
    expect_record(bpfctl.table(), uids[1], {}, "a slot user after reset all")
    expect_record(bpfctl.table(), uids[-2], {}, "a table-only user after reset all")


# --- lifecycle and permissions ---------------------------------------------

@test
def linubia_command_reads_the_ebpf_backend():
    """liblinubia picks the eBPF backend when no module is loaded: the
    `linubia` command shows, resets and configures it unchanged."""
    import json
    linubia = os.path.join(lnb.REPO, "build", "bin", "linubia")
    p = pair()
    t = pair_flow(p, "tcp", 4, 41001, 42001, "--bytes", 300000)
    u = pair_flow(p, "udp", 6, 41002, 42002, "--count", 20, "--size", 300)
    out = json.loads(lnb.run([linubia, "show", "--json", "--numeric"]))
    expect_eq((out["backend"], out["scope"]), ("ebpf", "all"), "backend and scope")
    shown = {r["uid"]: r["counters"] for r in out["users"]}
    direct = bpfctl.table()
    # The test's users only: kernel-made MLD reports may reach the
    # unattributed record between the two reads.
    for uid in (41001, 41002, 42001, 42002):
        expect_record(shown, uid, direct[uid], "linubia show --json vs linubia-bpf show")
    expect_flow(shown, t, 4, "tcp", 41001, 42001, "TCP/IPv4 through liblinubia")
    expect_flow(shown, u, 6, "udp", 41002, 42002, "UDP/IPv6 through liblinubia")
    cleared = json.loads(lnb.run([linubia, "reset", "--uid", "41002", "--json"]))
    expect_eq(cleared["counters"], shown[41002], "what linubia reset took off")
    expect_record(bpfctl.table(), 41002, {}, "uid 41002 after linubia reset")
    lnb.run([linubia, "config", "count_loopback=off"])
    expect_eq(bpfctl.tool("config")[1].splitlines()[0], "count_loopback off",
              "config through linubia")
    # linubia ebpf unload / load / status drive the backend itself.
    expect("loaded          yes" in lnb.run([linubia, "ebpf", "status"]), "ebpf status: loaded")
    lnb.run([linubia, "ebpf", "unload"])
    expect(not bpfctl.loaded(), "pins left after linubia ebpf unload")
    r = subprocess.run([linubia, "show"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    expect_eq(r.returncode, 3, "linubia show with no backend: exit status (%s)" % r.stderr.strip())
    for args, msg in ((["--max-users", "x"], "ebpf load --max-users x: not a number"),
                      (["--max-delegated", "-1"], "ebpf load --max-delegated -1: not a number"),
                      (["--max-users", "0"], "ebpf load --max-users 0: give a number > 0")):
        r = subprocess.run([linubia, "ebpf", "load"] + args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        expect(r.returncode == 2 and msg in r.stderr and not bpfctl.loaded(),
               "linubia ebpf load %s: exit %d, %r" % (" ".join(args), r.returncode, r.stderr))
    lnb.run([linubia, "ebpf", "load"])
    expect(bpfctl.loaded(), "linubia ebpf load pinned nothing")


@test
def long_running_reader_notices_unload_and_reload():
    """An unload unpins the maps but an open handle keeps them alive: a
    reader that stays up (linubia top, the subagent) must not go on showing
    detached counters: `linubia top` ends with "no backend" (exit 3) once
    the backend is unloaded.  (The subagent, which reopens, is checked
    across an unload + load by tests/snmp: it must show the new maps.)"""
    linubia = os.path.join(lnb.REPO, "build", "bin", "linubia")
    top = subprocess.Popen([linubia, "top", "--interval", "0.2"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        # top is up once it has printed its first interval's line(s): make
        # some traffic so that there is an active user to print
        p = pair()
        pair_flow(p, "udp", 4, 41001, 42001, "--count", 5)
        first = top.stdout.readline()
        expect(top.poll() is None and first, "linubia top ended early (exit %r)" % top.poll())
        bpfctl.unload()
        try:
            rc = top.wait(timeout=60)
        except subprocess.TimeoutExpired:
            raise Failure("linubia top still running 60 s after the unload")
        err = top.stderr.read()
        expect(rc == 3 and "no accounting backend loaded" in err,
               "linubia top after unload: exit %d, %r" % (rc, err))
    finally:
        if top.poll() is None:
            top.kill()
            top.wait()
    bpfctl.load()


def noop_programs():
    """Someone else's programs at the root: the no-op pair, attached by a
    process that keeps them until its stdin closes."""
    noop = os.path.join(lnb.uapi.REPO, "build", "bin", "linubia-bpf-noop")
    proc = subprocess.Popen([noop, bpfctl.cgroup_root()], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    expect(line.startswith("ingress "), "no-op loader: %r" % line)
    return proc


@test
def load_unload_20_times_while_traffic_flows():
    p = pair()
    noop = noop_programs()
    try:
        for i in range(20):
            if not bpfctl.loaded():
                bpfctl.load()
            expect_eq(ours_attached(), bpfctl.loaded_pair(), "attached after load %d" % i)
            flow = pair_flow(p, "tcp", 4 if i % 2 else 6, 41001, 42001, "--bytes", 4 << 20,
                             background=True)
            lnb.wait_for(lambda: 41001 in bpfctl.table(), "traffic to be counted")
            bpfctl.unload()
            expect_eq(ours_attached(), [], "programs attached after unload %d" % i)
            expect_eq(ours_pinned(), [], "pins left after unload %d" % i)
            t = flow.result()
            expect(t["client"]["payload_sent"] == 4 << 20, "flow %d broken by unload" % i)
            expect_eq(sorted(n for n in bpfctl.attached_progs() if n.startswith("noop_")),
                      ["noop_egress", "noop_ingress"], "the other programs at the root")
        # Detached programs are freed after an RCU grace period.
        lnb.wait_for(lambda: sorted(bpfctl.prog_names()) == FOREIGN_LOADED,
                     "unloaded programs to be freed")
        rc, _, err = bpfctl.tool("unload", check=False)
        expect(rc != 0 and "not loaded" in err, "unload when not loaded: %r" % err)
    finally:
        noop.stdin.close()
        noop.wait()


@test
def pinned_state_outlives_the_loader():
    p = pair()
    t = pair_flow(p, "udp", 4, 41001, 42001, "--count", 5, "--size", 50)
    # No linubia-bpf process runs now: the pinned links keep counting.
    expect(not [l for l in lnb.run(["ps", "-eo", "comm"]).split() if l == "linubia-bpf"],
           "a loader process is still running")
    before = bpfctl.table()
    rc, _, err = bpfctl.tool("load", check=False)
    expect(rc != 0 and "already loaded" in err, "second load: %r" % err)
    expect_flow(bpfctl.table(), t, 4, "udp", 41001, 42001, "counters after a second load")
    expect_eq(bpfctl.table()[41001], before[41001], "record unchanged")
    st = os.stat(bpfctl.PIN_DIR)
    expect_eq((oct(st.st_mode & 0o777), st.st_uid), ("0o700", 0), "pin dir mode and owner")
    expect_eq(oct(os.stat(bpfctl.PIN_PARENT).st_mode & 0o777), "0o700", "pin parent mode")


@test
def non_root_cannot_load_unload_or_reset():
    p = pair()
    pair_flow(p, "udp", 4, 41001, 42001, "--count", 3, "--size", 10)
    before = bpfctl.table()
    as_user = ["setpriv", "--reuid", "41001", "--regid", "41001", "--clear-groups"]
    for args in (("load",), ("unload",), ("reset", 41001), ("reset", "--all"),
                 ("config", "count_loopback=off"), ("show",)):
        rc, out, err = bpfctl.tool(*args, check=False, prefix=as_user)
        expect(rc == 1, "non-root %s exited %d" % (args, rc))
        expect(err.startswith("linubia-bpf: ") and "permission denied" in err and "root" in err,
               "non-root %s: unclear error %r" % (args, err))
    expect(bpfctl.loaded(), "still loaded")
    after = bpfctl.table()
    expect_eq(after[41001], before[41001], "record untouched (no reset)")
    expect_eq(bpfctl.tool("config")[1].splitlines()[0], "count_loopback on", "config untouched")
    # The pins themselves refuse a non-root reader, whatever the tool does.
    probe = "import os; os.listdir(%r)" % bpfctl.PIN_DIR
    r = subprocess.run(as_user + ["python3", "-c", probe], stderr=subprocess.PIPE, text=True)
    expect(r.returncode != 0 and "PermissionError" in r.stderr, "pin dir readable by non-root")


# --- delegated UIDs: user namespaces and subordinate UIDs (issue 12) --------

LINUBIA = os.path.join(lnb.REPO, "build", "bin", "linubia")
FLOOD = os.path.join(lnb.REPO, "build", "bin", "linubia-flood")
NOT_DELEGATED = UNATTR
SUBUID_FIRST, SUBUID_COUNT = 3000000, 65536


def linubia(*args):
    return lnb.run([LINUBIA] + [str(a) for a in args])


def show():
    """{uid: user object} of `linubia show --json` (delegated_by included)."""
    return {u["uid"]: u for u in json.loads(linubia("show", "--json", "--numeric"))["users"]}


def stats_json():
    return json.loads(linubia("stats", "--json"))


def subuids_of(uid):
    return SUBUID_FIRST + (uid - 41010) * SUBUID_COUNT


class PrivateEtc:
    """/etc/passwd, /etc/subuid and /etc/subgid giving each test user a
    name and SUBUID_COUNT subordinate UIDs (newuidmap reads them), seen
    only by commands wrapped with wrap(): they run in a private mount
    namespace with copies bind-mounted over the host's files, which are
    never touched."""

    def __init__(self, users):
        self.dir = tempfile.mkdtemp(prefix="lnb-bpf-etc-")
        os.chmod(self.dir, 0o755)
        names = {u: "lnbflood%d" % u for u in users}
        files = {"passwd": open("/etc/passwd").read() + "".join(
            "%s:x:%d:%d::/nonexistent:/usr/sbin/nologin\n" % (names[u], u, u) for u in users)}
        files["subuid"] = "".join("%s:%d:%d\n" % (names[u], subuids_of(u), SUBUID_COUNT)
                                  for u in users)
        files["subgid"] = files["subuid"]
        for name, text in files.items():
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(self.dir, name), 0o644)

    def wrap(self, cmd):
        script = ('for f in passwd subuid subgid; do mount --bind "$0/$f" "/etc/$f" || exit 1; '
                  'done; exec "$@"')
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                self.dir] + cmd

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def as_user_with_subuids(uid, own_netns):
    """A command prefix: uid, in a user namespace whose ns-uid 0 is uid and
    whose ns-uids 1..SUBUID_COUNT are its subordinate UIDs (newuidmap), in
    its own network namespace or the host's."""
    inner = ("ip link set lo up && " if own_netns else "") + 'exec "$@"'
    return (["setpriv", "--reuid", str(uid), "--regid", str(uid), "--clear-groups",
             "unshare", "--map-root-user", "--map-users=%d,1,%d" % (subuids_of(uid), SUBUID_COUNT)]
            + (["--net"] if own_netns else []) + ["sh", "-c", inner, "sh"])


def flood(etc, uid, own_netns, count=SUBUID_COUNT):
    out = json.loads(lnb.run(etc.wrap(as_user_with_subuids(uid, own_netns) + [
        FLOOD, "--uids", "1:%d" % count, "--timeout", "900"])))
    expect_eq((out["sent"], out["received"]), (count, count), "flood datagrams of %d" % uid)
    return out["ip_bytes_each"]


def one_datagram(each):
    return dict(lnb.counters({}, 0), out_ipv4_udp_bytes=each, out_ipv4_udp_packets=1)


@test
def subordinate_uid_flood_is_charged_to_its_user():
    """A user floods the table with all 65,536 of its subordinate UIDs, from
    its own network namespace (41010) and from the host's (41011): each
    gets exactly max_delegated records, everything beyond is charged to the
    user itself, and a new ordinary user still gets its own exact record."""
    etc = PrivateEtc((41010, 41011))
    try:
        bound = stats_json()["max_delegated"]
        expect_eq(bound, 1024, "default max_delegated (LINUBIA_DEFAULT_MAX_DELEGATED)")
        s0 = stats_json()
        for uid, own_netns in ((41010, True), (41011, False)):
            start = time.monotonic()
            each = flood(etc, uid, own_netns)
            print("  flood of %d UIDs by %d (%s netns): %.0f s" % (
                SUBUID_COUNT, uid, "own" if own_netns else "host", time.monotonic() - start),
                flush=True)
            users = show()
            first = subuids_of(uid)
            delegated = sorted(u for u, r in users.items() if r["delegated_by"] == uid)
            expect_eq(len(delegated), bound, "records of UIDs delegated by %d" % uid)
            expect(all(first <= u < first + SUBUID_COUNT for u in delegated),
                   "delegated records outside %d's range: %s" % (uid, delegated[:3]))
            wrong = [u for u in delegated if users[u]["counters"] != one_datagram(each)]
            expect(not wrong, "%d delegated records are not one datagram, e.g. %s"
                   % (len(wrong), users[wrong[0]] if wrong else None))
            expect(all(users[u]["delegated_by_user"] is None for u in delegated),
                   "delegated_by_user with --numeric")
            over = SUBUID_COUNT - bound
            expect_eq(users[uid]["delegated_by"], None, "the user's own record is not delegated")
            expect_record({uid: users[uid]["counters"]}, uid, {
                "out_ipv4_udp_bytes": over * each, "out_ipv4_udp_packets": over,
                "in_ipv4_udp_bytes": SUBUID_COUNT * each, "in_ipv4_udp_packets": SUBUID_COUNT},
                "user %d: its receiver, and every datagram beyond its bound" % uid)
            # Sums: the user's records hold exactly what its flood sent and received.
            for d in ("out", "in"):
                total = sum(v for u in delegated + [uid] for k, v in users[u]["counters"].items()
                            if k.startswith(d + "_") and k.endswith("_bytes"))
                expect_eq(total, SUBUID_COUNT * each, "%s bytes of %d's records" % (d, uid))
        s1 = stats_json()
        expect_eq(s1["delegated_over_bound"] - s0["delegated_over_bound"],
                  2 * (SUBUID_COUNT - bound), "delegated_over_bound")
        expect_eq(s1["delegated_users"] - s0["delegated_users"], 2 * bound, "delegated_users")
        expect_eq(s1["unattributed_table_full"], s0["unattributed_table_full"], "table_full")
        at_bound = {o["uid"]: o["records"] for o in s1["at_bound"]}
        expect_eq({u: at_bound.get(u) for u in (41010, 41011)}, {41010: bound, 41011: bound},
                  "users at their bound in linubia stats")
        # an ordinary user still gets an exact record of its own
        p = pair(quiet=True)
        t = pair_flow(p, "udp", 4, 41012, 42012, "--count", 20, "--size", 100)
        expect_flow(bpfctl.table(), t, 4, "udp", 41012, 42012, "a new user after the floods")
        expect_eq(show()[41012]["delegated_by"], None, "the new user is not delegated")
    finally:
        etc.close()


@test(load_args=("--max-users", 64, "--max-delegated", 40))
def delegation_bounds_are_configurable():
    """--max-delegated at load, max_delegated=N at run time through the
    library, refused above max_users; and at most max_users / 2 delegated
    records in all."""
    expect_eq(stats_json()["max_delegated"], 40, "--max-delegated 40 at load")
    r = subprocess.run([LINUBIA, "config", "max_delegated=65"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    expect(r.returncode == 1 and "out of range" in r.stderr,
           "max_delegated above max_users: exit %d, %r" % (r.returncode, r.stderr))
    expect("max_delegated=40" in linubia("config").split(), "refused value not applied")
    # no read group here (root reads the pins): said, and not listed
    r = subprocess.run([LINUBIA, "config", "read_gid=2000"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    expect(r.returncode == 1 and "no read group" in r.stderr,
           "read_gid over eBPF: exit %d, %r" % (r.returncode, r.stderr))
    expect(not [l for l in linubia("config").split() if l.startswith("read_gid")],
           "config over eBPF lists no read_gid")
    linubia("config", "max_delegated=5")
    expect("max_delegated=5" in linubia("config").split(), "config after max_delegated=5")
    etc = PrivateEtc((41010, 41011))
    try:
        each = flood(etc, 41010, True, count=12)
        users = show()
        mine = sorted(u for u, r in users.items() if r["delegated_by"] == 41010)
        expect_eq(mine, [subuids_of(41010) + i for i in range(5)], "5 records (first come)")
        expect_eq(users[41010]["counters"]["out_ipv4_udp_packets"], 7, "7 datagrams over bound")
        # The bound in all: 64 / 2 = 32 delegated records, whoever delegates.
        linubia("config", "max_delegated=64")
        flood(etc, 41011, True, count=40)
        users = show()
        theirs = [u for u, r in users.items() if r["delegated_by"] == 41011]
        expect_eq(len(theirs), 32 - 5, "41011's records under the global bound of 32")
        expect_eq(users[41011]["counters"]["out_ipv4_udp_packets"], 40 - 27,
                  "41011's datagrams beyond the global bound")
        expect_eq(stats_json()["delegated_users"], 32, "delegated_users at the global bound")
        for u in mine + theirs:
            expect_eq(users[u]["counters"], one_datagram(each), "record of uid %d" % u)
    finally:
        etc.close()


@test(load_args=("--max-delegated", 0))
def delegated_socket_without_file_uses_learned_ranges():
    """A socket without a file (a TCP child its listener has not accepted
    yet) names no creator: its UID's delegating user comes from the UID
    ranges learned from earlier sockets of the same user namespace.  The
    listener runs as subordinate UID 5 of 41010 in the host's network
    namespace, so the network namespace's owner (the initial user
    namespace) would say "not delegated"."""
    etc = PrivateEtc((41010,))
    listener = None
    try:
        uid5 = subuids_of(41010) + 4
        code = ("import os, socket, sys; os.setresuid(5, 5, 5); "
                "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(8); "
                "print(s.getsockname()[1], flush=True); sys.stdin.read()")
        # The system's python3: other users may not run the tests' own.
        listener = subprocess.Popen(etc.wrap(as_user_with_subuids(41010, False) + [
            "/usr/bin/python3", "-c", code]), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True)
        port = int(listener.stdout.readline())
        client = subprocess.Popen(["setpriv", "--reuid", "41013", "--regid", "41013",
                                   "--clear-groups", "/usr/bin/python3", "-c",
                                   "import socket, sys; c = socket.create_connection("
                                   "('127.0.0.1', %d)); print('up', flush=True); "
                                   "sys.stdin.readline(); c.sendall(b'x' * 1000); "
                                   "print('sent', flush=True); sys.stdin.read()" % port],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        expect_eq(client.stdout.readline().strip(), "up", "client connected")
        # max_delegated 0: the handshake went to 41010 (over the bound), and
        # the listener's file taught the backend 41010's UID ranges.
        expect(uid5 not in show(), "uid %d has no record with max_delegated 0" % uid5)
        linubia("config", "max_delegated=10")
        client.stdin.write("go\n")
        client.stdin.flush()
        expect_eq(client.stdout.readline().strip(), "sent", "client sent")
        lnb.wait_for(lambda: show().get(uid5, {}).get("counters", {}).get(
            "in_ipv4_tcp_bytes", 0) >= 1000 + 52, "the child's record", timeout=30)
        rec = show()[uid5]
        expect_eq(rec["delegated_by"], 41010, "delegated_by of the unaccepted child's UID")
        client.stdin.close()
        client.wait()
    finally:
        if listener:
            listener.stdin.close()
            listener.wait()
        etc.close()


def map_info(name):
    return json.loads(lnb.run(["bpftool", "map", "show", "pinned",
                               os.path.join(bpfctl.PIN_DIR, name), "-j"]))


@test
def memory_per_user_does_not_grow_with_cpus():
    """No map is per-CPU, so a user costs the same on 2, 64 or 256 possible
    CPUs: one lnb_users element (and one lnb_base element once reset),
    measured here from the kernel's own accounting (bytes_memlock) while
    2000 users appear; only a fixed part (hash-map lock counters, the
    allocator's per-CPU caches) grows with the CPU count."""
    names = ("lnb_users", "lnb_base", "lnb_slots", "lnb_stats", "lnb_config", "lnb_ranges")
    types = {n: map_info(n)["type"] for n in names}
    expect(not [t for t in types.values() if "percpu" in t], "per-CPU maps: %s" % types)
    value = map_info("lnb_users")["bytes_value"]
    n, first = 2000, 5000000
    before = map_info("lnb_users")["bytes_memlock"]
    lnb.run(["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "sh",
             FLOOD, "--uids", "%d:%d" % (first, n)])
    users = show()
    expect(all(first + i in users for i in range(n)), "records of the %d users" % n)
    per_user = (map_info("lnb_users")["bytes_memlock"] - before) / n
    fixed = sum(map_info(m)["bytes_memlock"] for m in names) - map_info("lnb_users")[
        "bytes_memlock"] + before
    cpus = int(open("/sys/devices/system/cpu/possible").read().split("-")[-1]) + 1
    print("  value %d B; %.0f B per user (memlock of lnb_users; the allocator's 512-byte "
          "class holds it), the same at 2, 64 and 256 CPUs; fixed %.1f MiB here (%d CPUs)"
          % (value, per_user, fixed / 2**20, cpus), flush=True)
    expect(value <= per_user <= 2 * value, "%.0f B per user for a %d-byte value"
           % (per_user, value))


# --- readers: stale handles, and counters racing resets ---------------------

class Lib:
    """liblinubia through ctypes: a handle that stays open across an unload
    and reload, as a long-running reader's (the subagent's) does."""
    ENOBACKEND = -4096

    def __init__(self):
        self.so = ctypes.CDLL(os.path.join(lnb.REPO, "build", "lib", "liblinubia.so"))
        self.h = ctypes.c_void_p()
        rc = self.so.linubia_open(ctypes.byref(self.h), b"ebpf")
        expect_eq(rc, 0, "linubia_open")
        self.buf = ctypes.create_string_buffer(4096)	# a struct linubia_record

    def get_user(self, uid):
        return self.so.linubia_get_user(self.h, ctypes.c_uint32(uid), self.buf)

    def record(self):
        """The struct linubia_record get_user filled: last_reset_ns, counters."""
        last_reset = struct.unpack_from("=Q", self.buf, 16)[0]
        values = struct.unpack_from("=%dQ" % len(lnb.uapi.COUNTERS), self.buf, 24)
        return {"last_reset_ns": last_reset, "counters": dict(zip(lnb.uapi.COUNTERS, values))}

    def reset_user(self, uid):
        return self.so.linubia_reset_user(self.h, ctypes.c_uint32(uid), self.buf)

    def set_count_loopback(self, on):
        return self.so.linubia_set_count_loopback(self.h, ctypes.c_bool(on))

    def set_max_delegated(self, n):
        return self.so.linubia_set_max_delegated(self.h, ctypes.c_uint32(n))

    def close(self):
        self.so.linubia_close(self.h)


@test
def stale_handle_never_touches_a_reloaded_backend():
    """A handle opened before an unload + load must not read, reset or
    configure the detached maps and report success: every call says "no
    backend" (the caller reopens), and the new backend is untouched."""
    p = pair()
    pair_flow(p, "udp", 4, 41001, 42001, "--count", 3, "--size", 10)
    lib = Lib()
    try:
        expect_eq(lib.get_user(41001), 0, "get_user before the reload")
        bpfctl.unload()
        bpfctl.load()
        t = pair_flow(p, "udp", 4, 41001, 42001, "--count", 4, "--size", 20)
        before = bpfctl.table()[41001]
        for what, call in (("get_user", lambda: lib.get_user(41001)),
                           ("reset_user", lambda: lib.reset_user(41001)),
                           ("set_count_loopback", lambda: lib.set_count_loopback(False)),
                           ("set_max_delegated", lambda: lib.set_max_delegated(3))):
            expect_eq(call(), Lib.ENOBACKEND, "%s through the stale handle" % what)
        expect_eq(bpfctl.table()[41001], before, "the new record untouched")
        expect_flow(bpfctl.table(), t, 4, "udp", 41001, 42001, "the new backend's record")
        config = bpfctl.tool("config")[1].split()
        expect_eq(config, ["count_loopback", "on", "max_delegated", "1024"], "config untouched")
    finally:
        lib.close()


@test
def counters_never_go_backwards_while_resets_run():
    """Readers (get_user through liblinubia, `linubia show`, `linubia-bpf
    show`) racing resets and traffic:
    between two resets (same last_reset_ns) no counter ever goes down, and
    none is near 2^64 (a share summed with a later subtraction)."""
    p = pair()
    stop = threading.Event()
    errors, reads, resets = [], [0], [0]

    def traffic():
        while not stop.is_set():
            pair_flow(p, "udp", 4, 41001, 42001, "--count", 500, "--size", 64)

    def resetter():
        lib = Lib()
        try:
            while not stop.is_set():
                rc = lib.reset_user(41001)
                if rc == 0:
                    resets[0] += 1
                elif rc != -2:          # -ENOENT before the first datagram
                    errors.append("reset returned %d" % rc)
                time.sleep(0.002)
        finally:
            lib.close()

    def reader(how):
        last = None
        lib = Lib() if how == "get_user" else None
        while not stop.is_set():
            if lib:
                r = lib.record() if lib.get_user(41001) == 0 else None
            elif how == "show":
                r = show().get(41001)
            else:
                rc, out, _ = bpfctl.tool("show", check=False)
                r = None
                if rc == 0:
                    row = bpfctl.parse_table(out).get(41001)
                    r = row and {"last_reset_ns": row["last_reset_ns"],
                                 "counters": {c: row[c] for c in lnb.uapi.COUNTERS}}
            if not r:
                continue
            reads[0] += 1
            big = {k: v for k, v in r["counters"].items() if v >= 1 << 63}
            if big:
                errors.append("counters near 2^64: %s" % big)
            if last and last["last_reset_ns"] == r["last_reset_ns"]:
                down = {k: (last["counters"][k], v) for k, v in r["counters"].items()
                        if v < last["counters"][k]}
                if down:
                    errors.append("went down without a reset: %s" % down)
            last = r
        if lib:
            lib.close()

    threads = [threading.Thread(target=traffic), threading.Thread(target=resetter)] + [
        threading.Thread(target=reader, args=(how,)) for how in ("show", "linubia-bpf", "get_user")]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 300
    try:
        while (reads[0] < 3000 or resets[0] < 300) and time.monotonic() < deadline and not errors:
            time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join()
    expect(not errors, "%d bad reads of %d (%d resets), first: %s"
           % (len(errors), reads[0], resets[0], errors[:1]))
    expect(reads[0] >= 3000 and resets[0] >= 300,
           "only %d reads and %d resets in 300 s" % (reads[0], resets[0]))


@test
def load_refuses_a_cgroup_namespace():
    """In a cgroup namespace "/" in mountinfo is the namespace's subtree:
    attached there the programs would miss every other cgroup's sockets.
    The load must refuse and say why, leaving nothing attached."""
    bpfctl.unload()
    r = subprocess.run(["unshare", "--cgroup", LINUBIA, "ebpf", "load"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    loaded = bpfctl.loaded()
    if loaded:
        bpfctl.unload()
    expect(r.returncode != 0 and "cgroup namespace" in r.stderr and
           "initial cgroup namespace" in r.stderr,
           "load in a cgroup namespace: exit %d, %r" % (r.returncode, r.stderr.strip()))
    expect(not loaded and not ours_attached(), "something was attached from the cgroup namespace")
    bpfctl.load()


@test
def other_runs_refuse_a_loaded_backend():
    """The backend is host-wide: `make test-bpf` or `make bench-bpf` started
    while it is loaded by someone else (here: by this test) must refuse and
    leave it loaded and attached, not unload it."""
    def links():
        return [l for l in bpfctl.tool("status")[1].splitlines()
                if l.split()[0] in ("loaded", "ingress", "egress", "variant")]
    before = links()
    for cmd in ([sys.executable, os.path.abspath(__file__), "pinned_state_outlives_the_loader"],
                [sys.executable, os.path.join(lnb.REPO, "bench", "bpf-bench.py")]):
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=120)
        expect(r.returncode != 0 and "already loaded" in r.stderr,
               "%s with a loaded backend: exit %d, %r" % (os.path.basename(cmd[1]), r.returncode,
                                                           r.stderr.strip()[-300:]))
        expect_eq(links(), before, "links and programs after %s" % os.path.basename(cmd[1]))


def run_one(fn):
    """A fresh load; pairs and pins removed whatever happens."""
    bpfctl.cleanup()
    bpfctl.load(*LOAD_ARGS[fn])
    try:
        forced = os.environ.get("LINUBIA_BPF_VARIANT")
        if forced:
            expect_eq(bpfctl.variant(), forced, "the program pair LINUBIA_BPF_VARIANT forces")
        fn()
    finally:
        while PAIRS:
            PAIRS.pop().close()
        bpfctl.cleanup()


# linubia programs attached at the root and pins by someone else (another
# checkout's backend of another pin version, `make run`) before this run:
# not this run's to count.
FOREIGN, FOREIGN_PINS, FOREIGN_LOADED = [], set(), []


def ours_pinned():
    return sorted(set(bpfctl.pins_left()) - FOREIGN_PINS)


def ours_attached():
    """The lnb_ programs at the cgroup root, less those that were there before the run."""
    progs = sorted(n for n in bpfctl.attached_progs() if n.startswith("lnb_"))
    for n in FOREIGN:
        if n in progs:
            progs.remove(n)
    return progs


def run_all(selected):
    lnb.run("sysctl -qw net.core.netdev_max_backlog=100000")
    # Another version's backend (another checkout, `make run`) may be
    # loaded: only what this run adds is a leftover.
    FOREIGN_PINS.update(bpfctl.pins_left())
    FOREIGN[:] = ours_attached()
    FOREIGN_LOADED[:] = sorted(bpfctl.prog_names())
    passed, failed = run_each(TESTS, run_one, selected)
    leftover = ours_pinned() + ours_attached()
    if leftover:
        failed += 1
        print("FAIL cleanup: left behind %s" % leftover, flush=True)
    return summary(passed, failed)


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("test_bpf.py: must run as root (network namespaces, bpffs)")
    bpfctl.refuse_if_present("test_bpf.py")
    # --exactness: only the counting cases shared with the module (make
    # test-bpf runs them again under the other program pair)
    args = sys.argv[1:]
    if args == ["--exactness"]:
        args = [c.__name__ for c in exactness.CASES]
    sys.exit(run_all(args))
