#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Kernel-module tests, run as root inside the QEMU guest (tests/vm).
Every expectation comes from independent ground truth: the traffic tool's
own sockets (TCP_INFO, datagrams sent) and the veth interface counters.
Usage: test_kmod.py [test_name ...]"""
import errno
import os
import sys
import threading

import exactness
import genl
import hardening  # noqa: F401 - registers its tests
import otherproto
import unseen  # noqa: F401 - registers its tests
import lnb
from lnb import (Failure, Pair, add, expect, expect_eq, expect_flow, expect_record,
                 flow_expectation, pair_flow)
from runner import test, run_all

UNATTR = lnb.UNATTR


class Kmod:
    """The module as exactness.py's cases use a backend."""
    def __init__(self):
        self._local = threading.local()     # one netlink socket per thread

    def _nl(self):
        if not hasattr(self._local, "nl"):
            self._local.nl = genl.Linubia()
        return self._local.nl

    def pair(self, **kw):
        return Pair(**kw)   # the runner deletes every netns after the test

    def table(self):
        return lnb.proc_table()

    def reset(self, uid):
        try:
            r = self._nl().reset(uid=uid)
        except genl.GenlError as e:
            if e.errno != errno.ENOENT:
                raise
            return None
        return dict(r["counters"], first_seen_ns=r["first_seen_ns"],
                    last_reset_ns=r["last_reset_ns"])

    def reset_all(self):
        self._nl().reset(all=True)

    def count_loopback(self):
        return bool(self._nl().get_config()["count_loopback"])

    def set_count_loopback(self, on):
        self._nl().set_config(int(on))
        expect_eq(open("/sys/module/linubia/parameters/count_loopback").read().strip(),
                  "Y" if on else "N", "module parameter count_loopback follows netlink")


for _case in exactness.CASES:
    test(exactness.bind(_case, Kmod()))


def closed_flow_expectations(t, family, proto):
    """Client and unattributed records after a flow to a closed port."""
    c = t["client"]
    if proto == "tcp":
        # SYN out and RST in are the client's (the RST finds its SYN_SENT
        # socket); the server side has no socket: SYN in = no_socket,
        # RST out = the kernel's control socket.
        client = flow_expectation(c, family, "tcp")
        unattr = {lnb.name("in", family, "tcp", "bytes"): c["ip_out_bytes"],
                  lnb.name("in", family, "tcp", "packets"): c["ip_out_packets"],
                  lnb.name("out", family, "tcp", "bytes"): c["ip_in_bytes"],
                  lnb.name("out", family, "tcp", "packets"): c["ip_in_packets"]}
    else:
        # Datagram out is the client's; the ICMP port-unreachable is looked
        # up through its quoted header and charged to the client too.
        client = {lnb.name("out", family, "udp", "bytes"): c["ip_out_bytes"],
                  lnb.name("out", family, "udp", "packets"): c["ip_out_packets"],
                  lnb.name("in", family, "icmp", "bytes"): c["ip_in_bytes"],
                  lnb.name("in", family, "icmp", "packets"): c["ip_in_packets"]}
        unattr = {lnb.name("in", family, "udp", "bytes"): c["ip_out_bytes"],
                  lnb.name("in", family, "udp", "packets"): c["ip_out_packets"],
                  lnb.name("out", family, "icmp", "bytes"): c["ip_in_bytes"],
                  lnb.name("out", family, "icmp", "packets"): c["ip_in_packets"]}
    return client, unattr


@test
def sctp_one_to_one_and_one_to_many_with_gso():
    # Messages larger than the MTU: SCTP builds GSO skbs, each wire packet
    # repeats the 12-byte common header.  Ingress finds the association
    # (or, for INIT and COOKIE-ECHO, the endpoint).
    p = Pair(quiet=True)
    otherproto.sctp_gso_link(p)
    for family in (4, 6):
        otherproto.check_sctp(p, "sctp", family, 5000 + family, 5100 + family, 10, 5000)
        otherproto.check_sctp(p, "sctp-many", family, 5010 + family, 5110 + family, 10, 1000)


@test
def udplite_and_raw_sockets_both_ways():
    p = Pair(quiet=True)
    for family in (4, 6):
        otherproto.check_datagrams(p, "udplite", family, 5200 + family, 5300 + family, 10, 700)
        otherproto.check_datagrams(p, "raw", family, 5400 + family, 5500 + family, 10, 300)


@test
def loopback_ingress_needs_slow_lookups():
    # The rest of loopback (counted, switched off and on): exactness.py.
    p = Pair()
    t = lnb.traffic("tcp", 4, "127.0.0.1", "127.0.0.1", server_ns=p.a, client_ns=p.a,
                    server_uid=42001, client_uid=41001, extra=["--bytes", 100000])
    expect_flow(lnb.proc_table(), t, 4, "tcp", 41001, 42001, "loopback TCP/IPv4")
    expect(genl.Linubia().stats()["slow_lookups"] > 0, "loopback ingress needs slow lookups")


@test
def unprivileged_ping_socket():
    p = Pair(quiet=True)
    s0 = genl.Linubia().stats()
    u0 = lnb.counters(lnb.proc_table(), UNATTR)
    t4 = lnb.traffic("ping", 4, p.b4, p.a4, client_ns=p.a, client_uid=1001,
                     extra=["--count", 5, "--size", 56])
    t6 = lnb.traffic("ping", 6, p.b6, p.a6, client_ns=p.a, client_uid=1001,
                     extra=["--count", 4, "--size", 100])
    table = lnb.proc_table()
    s1 = genl.Linubia().stats()
    c4, c6 = t4["client"], t6["client"]
    # Echo requests are the pinging user's.  Replies reach a ping socket the
    # module cannot look up (no exported ping lookup): unattributed.
    expect_record(table, 1001, {
        "out_ipv4_icmp_bytes": c4["ip_out_bytes"], "out_ipv4_icmp_packets": c4["ip_out_packets"],
        "out_ipv6_icmp_bytes": c6["ip_out_bytes"], "out_ipv6_icmp_packets": c6["ip_out_packets"],
    }, "ping sender")
    expect_eq(c4["ip_out_packets"], 5, "IPv4 echo requests sent")
    expect_eq(c4["ip_in_packets"], 5, "IPv4 echo replies received")
    # Unattributed: requests in at b and replies in at a (no socket), replies
    # out at b (the kernel's ICMP control socket).
    expect_record(table, UNATTR, add(u0, {
        "in_ipv4_icmp_bytes": c4["ip_out_bytes"] + c4["ip_in_bytes"],
        "in_ipv4_icmp_packets": c4["ip_out_packets"] + c4["ip_in_packets"],
        "out_ipv4_icmp_bytes": c4["ip_in_bytes"], "out_ipv4_icmp_packets": c4["ip_in_packets"],
        "in_ipv6_icmp_bytes": c6["ip_out_bytes"] + c6["ip_in_bytes"],
        "in_ipv6_icmp_packets": c6["ip_out_packets"] + c6["ip_in_packets"],
        "out_ipv6_icmp_bytes": c6["ip_in_bytes"], "out_ipv6_icmp_packets": c6["ip_in_packets"],
    }), "unattributed after ping")
    expect_eq(s1["unattributed_no_socket"] - s0["unattributed_no_socket"], 18, "no_socket packets")
    expect_eq(s1["unattributed_kernel"] - s0["unattributed_kernel"], 9, "kernel packets")


@test
def closed_ports_tcp_and_udp():
    p = Pair(quiet=True)
    s0 = genl.Linubia().stats()
    expected_unattr = lnb.counters(lnb.proc_table(), UNATTR)
    for family in (4, 6):
        for proto, uid in (("tcp", 1001 + family), ("udp", 2001 + family)):
            extra = ["--closed", "--port", 9] + (["--count", 1, "--size", 100] if proto == "udp" else [])
            t = pair_flow(p, proto, family, uid, None, *extra)
            expect(t["client"].get("connect_refused") or t["client"].get("econnrefused"),
                   "%s/IPv%d to a closed port was not refused: %s" % (proto, family, t["client"]))
            client, unattr = closed_flow_expectations(t, family, proto)
            expect_record(lnb.proc_table(), uid, client, "%s/IPv%d closed port client" % (proto, family))
            expected_unattr = add(expected_unattr, unattr)
    expect_record(lnb.proc_table(), UNATTR, expected_unattr, "unattributed after closed ports")
    s1 = genl.Linubia().stats()
    expect_eq(s1["unattributed_no_socket"] - s0["unattributed_no_socket"], 4, "no_socket packets (SYN, datagram)")
    expect_eq(s1["unattributed_kernel"] - s0["unattributed_kernel"], 4, "kernel packets (RST, ICMP error)")


@test
def rootless_container_counts_for_host_uid():
    prefix = ["setpriv", "--reuid", "1006", "--regid", "1006", "--clear-groups",
              "unshare", "-Urn", "sh", "-c",
              'ip link set lo up && sysctl -qw net.ipv4.tcp_sack=0 && exec "$@"', "sh"]
    t = lnb.traffic("tcp", 4, "127.0.0.1", "127.0.0.1", extra=["--bytes", 200000], prefix=prefix)
    table = lnb.proc_table()
    both = add(flow_expectation(t["client"], 4, "tcp"), flow_expectation(t["server"], 4, "tcp"))
    expect_record(table, 1006, both, "rootless container (uid 0 inside)")
    expect(0 not in table, "container traffic charged to uid 0: %s" % table.get(0))


def consistent_sums(p):
    """(link stats, summed records) read with no packet moving in between."""
    for _ in range(1000):
        l1 = p.link_stats()
        table = lnb.proc_table()
        if p.link_stats() == l1:
            sums = {}
            for row in table.values():
                for d in ("in", "out"):
                    for unit in ("bytes", "packets"):
                        sums[d, unit] = sums.get((d, unit), 0) + sum(
                            v for k, v in row.items() if k.startswith(d + "_") and k.endswith(unit))
            return l1, sums
    raise Failure("links never quiet while reading the table")


@test
def sum_of_records_equals_interface_counters():
    # quiet: a late MLD report reaches the peer's veth but, for a group the
    # peer has not joined, is dropped before LOCAL_IN: on the link, not ours.
    p = Pair(quiet=True)
    l0, s0 = consistent_sums(p)
    pair_flow(p, "tcp", 4, 1001, 2001, "--bytes", 500000)
    pair_flow(p, "udp", 6, 1002, 2002, "--count", 100, "--size", 800)
    lnb.traffic("ping", 4, p.b4, p.a4, client_ns=p.a, client_uid=1003, extra=["--count", 3, "--size", 56])
    pair_flow(p, "tcp", 6, 1004, None, "--closed", "--port", 9)
    pair_flow(p, "udp", 4, 1005, None, "--closed", "--port", 9, "--count", 1, "--size", 64)
    l1, s1 = consistent_sums(p)
    for d, stat in (("out", "tx"), ("in", "rx")):
        for unit in ("bytes", "packets"):
            link = sum(l1[dev]["%s_%s" % (stat, unit)] - l0[dev]["%s_%s" % (stat, unit)]
                       for dev in (p.va, p.vb))
            expect_eq(s1[d, unit] - s0[d, unit], link,
                      "sum of all records %s %s vs veth %s" % (d, unit, stat))


UNPRIV_SCRIPT = r"""
import errno, json, sys
sys.path.insert(0, %r)
import genl
nl = genl.Linubia()
out = {"dump": sorted(nl.dump()), "stats_ok": "users" in nl.stats()}
for name, call in (("get_other", lambda: nl.get(2001)), ("reset_own", lambda: nl.reset(uid=1001)),
                   ("reset_all", lambda: nl.reset(all=True)), ("set_config", lambda: nl.set_config(0))):
    try:
        call()
        out[name] = "allowed"
    except genl.GenlError as e:
        out[name] = errno.errorcode[e.errno]
try:
    open("/proc/linubia").read()
    out["proc"] = "readable"
except PermissionError:
    out["proc"] = "EACCES"
print(json.dumps(out))
"""


@test
def unprivileged_caller_sees_only_itself():
    import json
    p = Pair()
    pair_flow(p, "udp", 4, 1001, 2001, "--count", 3, "--size", 10)
    script = UNPRIV_SCRIPT % os.path.dirname(os.path.abspath(__file__))
    out = json.loads(lnb.run(["setpriv", "--reuid", "1001", "--regid", "1001", "--clear-groups",
                              "python3", "-c", script]))
    expect_eq(out["dump"], [1001], "unprivileged dump")
    expect_eq(out["get_other"], "EPERM", "unprivileged get of another uid")
    expect_eq(out["reset_own"], "EPERM", "unprivileged reset")
    expect_eq(out["reset_all"], "EPERM", "unprivileged reset all")
    expect_eq(out["set_config"], "EPERM", "unprivileged set_config")
    expect_eq(out["proc"], "EACCES", "unprivileged read of /proc/linubia")
    expect(out["stats_ok"], "stats readable by anyone")
    st = os.stat("/proc/linubia")
    expect_eq((oct(st.st_mode & 0o777), st.st_uid), ("0o400", 0), "/proc/linubia mode and owner")


@test
def malformed_requests_get_errors_with_message():
    import struct
    nl = genl.Linubia()
    A = genl.A
    uid = genl._attr(A["uid"], struct.pack("=I", 1))
    cases = [
        ("reset", uid + genl._attr(A["reset_all"], b""), errno.EINVAL, "exactly one"),
        ("reset", b"", errno.EINVAL, "exactly one"),
        ("reset", genl._attr(A["uid"], struct.pack("=I", 123456)), errno.ENOENT, "no record"),
        ("get_user", genl._attr(A["uid"], b"\1\0"), errno.EINVAL, None),
        ("get_user", b"", errno.EINVAL, "missing LINUBIA_A_UID"),
        ("get_user", genl._attr(A["counters"], b""), errno.EINVAL, None),
        ("get_stats", genl._attr(99, b"\0\0\0\0"), errno.EINVAL, None),
        ("set_config", genl._attr(A["count_loopback"], b"\2"), errno.ERANGE, None),
        ("set_config", b"", errno.EINVAL, "no setting"),
        ("get_user", b"\xff\xff\x02\x00", errno.EINVAL, None),
    ]
    for cmd, attrs, err, msg in cases:
        try:
            nl.request(cmd, attrs)
            raise Failure("%s %r accepted, expected %s" % (cmd, attrs, errno.errorcode[err]))
        except genl.GenlError as e:
            expect_eq(errno.errorcode.get(e.errno), errno.errorcode[err], "%s %r" % (cmd, attrs))
            if msg:
                expect(e.msg and msg in e.msg, "%s %r: extack %r lacks %r" % (cmd, attrs, e.msg, msg))
    genl.C["bogus"] = 42
    try:
        nl.request("bogus")
        raise Failure("unknown command accepted")
    except genl.GenlError as e:
        expect_eq(e.errno, errno.EOPNOTSUPP, "unknown command errno")
    expect(lnb.module_loaded(), "module survived")


@test(max_users=16)
def table_full_goes_to_unattributed():
    p = Pair(quiet=True)
    u0 = lnb.counters(lnb.proc_table(), UNATTR)
    size = 100
    for uid in range(3000, 3100):
        pair_flow(p, "udp", 4, uid, 2999, "--count", 1, "--size", size)
    nl = genl.Linubia()
    st = nl.stats()
    table = lnb.proc_table()
    per = 20 + 8 + size
    expect_eq((st["max_users"], st["users"]), (16, 17), "max_users and records in use")
    # The server 2999 took the first record, then 3000..3014: 85 UIDs left out.
    expect_eq(sorted(table), [2999] + list(range(3000, 3015)) + [UNATTR], "records")
    expect_eq(st["unattributed_table_full"], 85, "table-full packets")
    expect_eq(st["table_full_bytes"], 85 * per, "table-full bytes")
    expect_record(table, UNATTR, add(u0, {"out_ipv4_udp_bytes": 85 * per, "out_ipv4_udp_packets": 85}),
                  "unattributed record holds the left-out traffic")
    expect_record(table, 2999, {"in_ipv4_udp_bytes": 100 * per, "in_ipv4_udp_packets": 100},
                  "server got all datagrams")
    total = sum(r["out_ipv4_udp_packets"] for r in table.values())
    expect_eq(total, 100, "no datagram lost from the totals")


@test
def proc_view_equals_netlink_dump():
    p = Pair()
    for uid in range(1001, 1041):
        pair_flow(p, "udp", 4 if uid % 2 else 6, uid, 2001, "--count", 2, "--size", uid % 7)
    table = lnb.proc_table()
    nl = genl.Linubia()
    dump = nl.dump()
    expect_eq(sorted(dump), sorted(table), "UIDs in dump vs /proc")
    for uid, rec in dump.items():
        expect_eq(rec["counters"], lnb.counters(table, uid), "uid %d counters" % uid)
        expect_eq(rec["first_seen_ns"], table[uid]["first_seen_ns"], "uid %d first seen" % uid)
        expect_eq(nl.get(uid)["counters"], rec["counters"], "get(%d) vs dump" % uid)
    expect_eq(nl.stats()["users"], len(dump), "records in use")
    expect_eq(nl.get_config()["max_users"],
              int(open("/sys/module/linubia/parameters/max_users").read()), "max_users")


@test
def burst_of_new_users_all_get_records():
    # One datagram each from 30,000 new UIDs, as fast as one process can
    # make sockets: every UID must get its record (no GFP_ATOMIC failure).
    first, n = 200000, 30000
    lnb.run([os.path.join(lnb.REPO, "build", "bin", "lib-snapshot-uids"), str(first), str(n)])
    st = genl.Linubia().stats()
    table = lnb.proc_table()
    expect_eq(st["unattributed_no_memory"], 0, "records that could not be allocated")
    missing = [uid for uid in range(first, first + n) if uid not in table]
    expect(not missing, "%d UIDs without a record, e.g. %s" % (len(missing), missing[:5]))
    wrong = [uid for uid in range(first, first + n)
             if lnb.counters(table, uid) != dict(lnb.counters({}, 0), out_ipv4_udp_bytes=29,
                                                 out_ipv4_udp_packets=1)]
    expect(not wrong, "%d records differ from one 29-byte datagram, e.g. uid %d: %s"
           % (len(wrong), wrong[0], table[wrong[0]]) if wrong else "")
    expect_record(table, 0, {"in_ipv4_udp_bytes": 29 * n, "in_ipv4_udp_packets": n},
                  "the root-owned receiver")


KEEP_HOOKS = """
table inet linubia_keep {
    chain in { type filter hook input priority 0; policy accept; }
    chain out { type filter hook output priority 0; policy accept; }
}
"""


@test
def unload_while_traffic_flows_20_times():
    # An nftables table in the initial namespace keeps the global
    # nf_hooks_needed static keys on while linubia unregisters.  Without it
    # the last unregistration live-patches the jump label that both vCPUs
    # execute in ip_local_deliver(); under QEMU TCG that text_poke_bp()
    # livelocked the guest in 2 of 6 runs (both vCPUs looping on the int3
    # in softirq, the patcher starved).  It is the emulator, not this
    # module: the module's own unregistration runs the same either way.
    lnb.run(["nft", "-f", "-"], input=KEEP_HOOKS)
    p = Pair()
    for i in range(20):
        if not lnb.module_loaded():
            lnb.load_module()
        flow = pair_flow(p, "tcp", 4 if i % 2 else 6, 1001, 2001, "--bytes", 8 << 20, background=True)
        lnb.wait_for(lambda: 1001 in lnb.proc_table(), "traffic to be counted")
        lnb.unload_module()
        t = flow.result()
        expect(t["client"]["payload_sent"] == 8 << 20, "flow %d broken by rmmod" % i)
    lnb.run(["nft", "delete", "table", "inet", "linubia_keep"])


if __name__ == "__main__":
    sys.exit(run_all(sys.argv[1:]))
