# SPDX-License-Identifier: GPL-2.0-only
"""The exactness cases both backends must pass to the byte and packet: the
module (tests/kmod/test_kmod.py, in the VM) and the eBPF backend
(tests/bpf/test_bpf.py, natively).  A case takes a backend b with
  b.pair(**kw)    a lnb.Pair the suite deletes after the test,
  b.table()       {uid: {column: int}} (/proc/linubia's columns),
  b.reset(uid)    the record of what one reset took off, None if uid has none,
  b.reset_all(),
  b.count_loopback() / b.set_count_loopback(on)  the configuration switch.
The suites register each case under its own name (bind())."""
import threading
import time

import lnb
from lnb import expect, expect_eq, expect_flow, expect_record, flow_expectation, pair_flow

UNATTR = lnb.UNATTR
CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def bind(fn, backend):
    """fn(backend) as a test function of the same name."""
    def bound():
        fn(backend)
    bound.__name__ = fn.__name__
    return bound


def taken_off(cleared):
    return {k: v for k, v in cleared.items() if v and k in lnb.uapi.COUNTERS}


# --- every case the hooks see: TCP/UDP, IPv4/IPv6, GSO, fragments ---------

@case
def tcp_udp_ipv4_ipv6_concurrent_users(b):
    p = b.pair()
    flows = [("tcp", 4, 41001, 42001, "--bytes", 2000000),
             ("udp", 6, 41002, 42002, "--count", 200, "--size", 1000),
             ("tcp", 6, 41003, 42003, "--bytes", 1000000),
             ("udp", 4, 41004, 42004, "--count", 100, "--size", 500)]
    handles = [pair_flow(p, *f, background=True) for f in flows]
    results = [h.result() for h in handles]
    table = b.table()
    for f, t in zip(flows, results):
        expect_flow(table, t, f[1], f[0], f[2], f[3], "%s/IPv%d" % (f[0], f[1]))


@case
def tcp_bulk_with_tso_gso_gro(b):
    p = b.pair(offload=True)
    before = p.link_stats()
    t4 = pair_flow(p, "tcp", 4, 41001, 42001, "--bytes", 12 << 20)
    t6 = pair_flow(p, "tcp", 6, 41002, 42002, "--bytes", 12 << 20)
    after = p.link_stats()
    table = b.table()
    expect_flow(table, t4, 4, "tcp", 41001, 42001, "TSO TCP/IPv4")
    expect_flow(table, t6, 6, "tcp", 41002, 42002, "TSO TCP/IPv6")
    # veth counts GSO super-packets: fewer than wire segments proves GSO ran.
    skbs = after[p.va]["tx_packets"] - before[p.va]["tx_packets"]
    segs = t4["client"]["ip_out_packets"] + t6["client"]["ip_out_packets"]
    expect(skbs < segs / 2, "GSO not exercised: %d skbs for %d segments" % (skbs, segs))
    # ...and GRO on the way in: the server received far fewer skbs than segments.
    rx = after[p.vb]["rx_packets"] - before[p.vb]["rx_packets"]
    expect(rx < segs / 2 or skbs < segs / 2, "GRO/GSO not exercised")


@case
def datagrams_larger_than_mtu(b):
    p = b.pair(mtu=1500, quiet=True)
    before = p.link_stats()
    t4 = pair_flow(p, "udp", 4, 41001, 42001, "--count", 10, "--size", 3000)
    t6 = pair_flow(p, "udp", 6, 41002, 42002, "--count", 10, "--size", 3000)
    after = p.link_stats()
    table = b.table()
    # Egress is counted before fragmentation, ingress after reassembly.
    expect_flow(table, t4, 4, "udp", 41001, 42001, "3000-byte UDP/IPv4")
    expect_flow(table, t6, 6, "udp", 41002, 42002, "3000-byte UDP/IPv6")
    expect_eq(t4["client"]["ip_out_packets"], 10, "IPv4 datagrams")
    expect_eq(t4["client"]["ip_out_bytes"], 10 * 3028, "IPv4 datagram bytes")
    frags = after[p.va]["tx_packets"] - before[p.va]["tx_packets"]
    expect_eq(frags, 3 * 20, "wire fragments (3 per 3000-byte datagram)")


@case
def ipv6_destination_options_header(b):
    p = b.pair()
    u = pair_flow(p, "udp", 6, 41001, 42001, "--count", 20, "--size", 200, "--dstopts")
    t = pair_flow(p, "tcp", 6, 41002, 42002, "--bytes", 200000, "--dstopts")
    expect(u["ext_hdr_bytes"] == 8, "dstopts header sent")
    table = b.table()
    expect_flow(table, u, 6, "udp", 41001, 42001, "UDP/IPv6 + dstopts")
    expect_flow(table, t, 6, "tcp", 41002, 42002, "TCP/IPv6 + dstopts")


@case
def ipv6_dstopts_with_gso(b):
    # Extension headers count in the per-segment header bytes of GSO.
    p = b.pair(offload=True)
    t = pair_flow(p, "tcp", 6, 41001, 42001, "--bytes", 4 << 20, "--dstopts")
    expect_flow(b.table(), t, 6, "tcp", 41001, 42001, "TSO TCP/IPv6 + dstopts")


@case
def loopback_counted_and_switch_off(b):
    p = b.pair()
    t = lnb.traffic("tcp", 4, "127.0.0.1", "127.0.0.1", server_ns=p.a, client_ns=p.a,
                    server_uid=42001, client_uid=41001, extra=["--bytes", 300000])
    u = lnb.traffic("udp", 6, "::1", "::1", server_ns=p.a, client_ns=p.a,
                    server_uid=42002, client_uid=41002, extra=["--count", 30, "--size", 2000])
    table = b.table()
    expect_flow(table, t, 4, "tcp", 41001, 42001, "loopback TCP/IPv4")
    expect_flow(table, u, 6, "udp", 41002, 42002, "loopback UDP/IPv6")
    expect_eq(b.count_loopback(), True, "count_loopback by default")
    b.set_count_loopback(False)
    expect_eq(b.count_loopback(), False, "count_loopback after switching off")
    lnb.traffic("tcp", 4, "127.0.0.1", "127.0.0.1", server_ns=p.a, client_ns=p.a,
                server_uid=42003, client_uid=41003, extra=["--bytes", 100000])
    v = pair_flow(p, "udp", 4, 41004, 42004, "--count", 10, "--size", 100)
    table2 = b.table()
    expect(41003 not in table2 and 42003 not in table2, "loopback traffic counted while off")
    expect_eq(lnb.counters(table2, 41001), lnb.counters(table, 41001), "uid 41001 unchanged")
    expect_flow(table2, v, 4, "udp", 41004, 42004, "veth UDP while loopback off")
    b.set_count_loopback(True)
    w = lnb.traffic("udp", 4, "127.0.0.1", "127.0.0.1", server_ns=p.a, client_ns=p.a,
                    server_uid=42005, client_uid=41005, extra=["--count", 5, "--size", 10])
    expect_flow(b.table(), w, 4, "udp", 41005, 42005, "loopback UDP after switching on")


# --- resets ------------------------------------------------------------------

@case
def reset_one_user_while_others_send(b):
    p = b.pair()
    bg = [pair_flow(p, "tcp", 4, 41002, 42002, "--bytes", 6 << 20, background=True),
          pair_flow(p, "tcp", 6, 41003, 42003, "--bytes", 4 << 20, background=True)]
    first = pair_flow(p, "udp", 4, 41001, 42001, "--count", 50, "--size", 300)
    cleared = b.reset(41001)
    expect(cleared is not None, "reset of uid 41001: no record")
    expect_eq(taken_off(cleared),
              {k: v for k, v in flow_expectation(first["client"], 4, "udp").items() if v},
              "counters cleared by the reset")
    expect(cleared["last_reset_ns"] >= cleared["first_seen_ns"] > 0, "reset time recorded")
    expect(abs(cleared["last_reset_ns"] - time.time_ns()) < 60e9, "reset time is CLOCK_REALTIME")
    table = b.table()
    expect_record(table, 41001, {}, "uid 41001 right after its reset")
    expect_eq(table[41001]["last_reset_ns"], cleared["last_reset_ns"], "last_reset_ns kept")
    second = pair_flow(p, "udp", 4, 41001, 42005, "--count", 20, "--size", 100)
    results = [h.result() for h in bg]
    table = b.table()
    expect_record(table, 41001, flow_expectation(second["client"], 4, "udp"), "uid 41001 restarts from 0")
    expect_flow(table, results[0], 4, "tcp", 41002, 42002, "uid 41002 untouched by the reset")
    expect_flow(table, results[1], 6, "tcp", 41003, 42003, "uid 41003 untouched by the reset")
    expect_eq(table[41002]["last_reset_ns"], 0, "other users' reset time unchanged")
    expect(b.reset(49999) is None, "reset of an unknown uid found a record")


@case
def resets_racing_with_traffic_lose_nothing(b):
    p = b.pair()
    # Paced to last about 2 s: an unpaced flow can end before the resetters
    # got going, and the test would prove nothing.
    flow = pair_flow(p, "tcp", 4, 41001, 42001, "--bytes", 16 << 20, "--rate", 8 << 20,
                     background=True)
    taken, stop, errors, count = {}, threading.Event(), [], [0]
    lock = threading.Lock()     # two resetters add into taken

    def resetter():
        try:
            while not stop.is_set():
                cleared = b.reset(41001)
                if cleared is None:
                    continue    # before the flow's first packet
                with lock:
                    for k, v in taken_off(cleared).items():
                        expect(v < 1 << 62, "reset took a wrapped value %s=%d" % (k, v))
                        taken[k] = taken.get(k, 0) + v
                    count[0] += 1
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=resetter) for _ in range(2)]
    for th in threads:
        th.start()
    try:
        t = flow.result()
    finally:
        stop.set()
        for th in threads:
            th.join()
    if errors:
        raise errors[0]
    expect(count[0] >= 10, "only %d resets ran during the flow" % count[0])
    final = lnb.counters(b.table(), 41001)
    total = {k: taken.get(k, 0) + final[k] for k in final}
    expect_record({41001: total}, 41001, flow_expectation(t["client"], 4, "tcp"),
                  "taken by %d concurrent resets + remaining" % count[0])


@case
def reset_all(b):
    # quiet: an MLD report after link-up would land in the unattributed
    # record between the reset and the read.
    p = b.pair(quiet=True)
    pair_flow(p, "udp", 4, 41001, 42001, "--count", 10, "--size", 100)
    b.reset_all()
    table = b.table()
    for uid in (41001, 42001, UNATTR):
        expect(uid in table, "record %d kept by reset all" % uid)
        expect_record(table, uid, {}, "after reset all")
        expect(table[uid]["last_reset_ns"] > 0, "reset time of %d" % uid)
    t = pair_flow(p, "udp", 6, 41001, 42001, "--count", 3, "--size", 10)
    expect_flow(b.table(), t, 6, "udp", 41001, 42001, "counting after reset all")
