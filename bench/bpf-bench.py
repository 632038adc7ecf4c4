#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Benchmark of the eBPF backend, natively on the host as root (make bench-bpf).
1. Per-packet cost: kernel.bpf_stats_enabled run_time_ns / run_cnt of the
   linubia programs and of no-op programs attached at the same root in the
   same run, for iperf3 TCP (TSO/GRO on: one run per GSO skb) and UDP with
   64-byte payloads, ingress and egress; once with the flow's users in
   fast-path slots (the usual case), once with their slots all taken by
   other users beforehand (the path of users beyond the slots).
2. Throughput: alternating rounds of iperf3 with and without the backend;
   medians and ratios (LINUBIA_BENCH_ROUNDS=0 skips them).
LINUBIA_BENCH_COST_REPEAT=N repeats the per-packet measurement N times
(one table row set per repeat), to see the spread on a busy host.
Prints figures (a markdown table for docs/benchmarks-ebpf.md); never fails on them."""
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "bpf"))
import bpfctl  # noqa: E402
from bpfctl import lnb  # noqa: E402

ROUNDS = int(os.environ.get("LINUBIA_BENCH_ROUNDS", "15"))
SECONDS = int(os.environ.get("LINUBIA_BENCH_SECONDS", "3"))
COST_SECONDS = int(os.environ.get("LINUBIA_BENCH_COST_SECONDS", "5"))
COST_REPEAT = int(os.environ.get("LINUBIA_BENCH_COST_REPEAT", "1"))
NOOP = os.path.join(lnb.uapi.REPO, "build", "bin", "linubia-bpf-noop")


def iperf(p, udp, seconds):
    cmd = ["ip", "netns", "exec", p.a, "setpriv", "--reuid", "41001", "--regid", "41001",
           "--clear-groups", "iperf3", "-c", p.b4, "-t", str(seconds), "-J"]
    if udp:
        cmd += ["-u", "-b", "0", "-l", "64"]
    end = json.loads(lnb.run(cmd))["end"]
    if udp:
        s = end["sum"]
        return (s["packets"] - s["lost_packets"]) / s["seconds"]
    return end["sum_received"]["bits_per_second"] / 1e6


def prog_stats(ids):
    out = {}
    for name, pid in ids.items():
        j = json.loads(lnb.run(["bpftool", "prog", "show", "id", str(pid), "-j"]))
        out[name] = (j.get("run_time_ns", 0), j.get("run_cnt", 0))
    return out


def lnb_prog_ids():
    st = dict(line.split(None, 1) for line in bpfctl.tool("status")[1].splitlines())
    ids = {}
    for d in ("ingress", "egress"):
        ids["linubia " + d] = int(st[d].split()[-1])     # "link N prog M"
    return ids


def take_slots(p, uids):
    """Other users take every slot uids could claim (bpf/maps.h): their
    packets then go the table-only path.  Each filler sends one datagram."""
    want = {s for u in uids for s in bpfctl.slot_probes(u)}
    filler = 45000
    while True:
        free = want - set(bpfctl.slot_owners().values())
        if not free:
            return
        while not free & set(bpfctl.slot_probes(filler)):
            filler += 1
        lnb.pair_flow(p, "udp", 4, filler, filler, "--count", 1, "--size", 10)
        filler += 1


def per_packet_cost(p, slots):
    """{workload: {prog: ns per run}} with linubia and the no-op attached together."""
    bpfctl.load()
    if not slots:
        take_slots(p, (41001, 42001))
    noop = subprocess.Popen([NOOP, bpfctl.cgroup_root()], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    old = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
    try:
        w = noop.stdout.readline().split()
        ids = dict(lnb_prog_ids(), **{"no-op ingress": int(w[1]), "no-op egress": int(w[3])})
        lnb.run("sysctl -qw kernel.bpf_stats_enabled=1")
        res = {}
        for label, udp in (("TCP stream", False), ("UDP 64-byte", True)):
            s0, t0 = prog_stats(ids), bpfctl.table()
            iperf(p, udp, COST_SECONDS)
            s1, t1 = prog_stats(ids), bpfctl.table()
            res[label] = {n: ((s1[n][0] - s0[n][0]) / max(1, s1[n][1] - s0[n][1]),
                              s1[n][1] - s0[n][1]) for n in ids}
            # wire packets the flow's two users sent (egress) and received
            # (ingress) meanwhile, as the backend counted them (gso_segs):
            # a GSO/GRO run covers many (veth's own counters count skbs)
            res[label]["wire"] = {
                d: sum(t1.get(u, {}).get(c, 0) - t0.get(u, {}).get(c, 0)
                       for u in (41001, 42001) for c in lnb.uapi.COUNTERS
                       if c.startswith(pre) and c.endswith("_packets"))
                for d, pre in (("egress", "out_"), ("ingress", "in_"))}
        return res
    finally:
        lnb.run("sysctl -qw kernel.bpf_stats_enabled=%s" % old)
        noop.stdin.close()
        noop.wait()
        bpfctl.cleanup()


def rounds(p):
    res = {(proto, on): [] for proto in ("tcp", "udp") for on in (True, False)}
    for r in range(ROUNDS):
        # Alternate which configuration goes first, so drift hits both.
        for on in ((True, False) if r % 2 == 0 else (False, True)):
            if on and not bpfctl.loaded():
                bpfctl.load()
            if not on:
                bpfctl.cleanup()
            for proto in ("tcp", "udp"):
                res[proto, on].append(iperf(p, proto == "udp", SECONDS))
        print("round %d/%d: tcp %.0f/%.0f Mbit/s, udp %.0f/%.0f pkt/s (with/without)" % (
            r + 1, ROUNDS, res["tcp", True][-1], res["tcp", False][-1],
            res["udp", True][-1], res["udp", False][-1]), flush=True)
    bpfctl.cleanup()
    return res


def main():
    if os.geteuid() != 0:
        sys.exit("bpf-bench.py: must run as root")
    bpfctl.refuse_if_present("bpf-bench.py")
    p = lnb.Pair(n=190, offload=True)
    server = subprocess.Popen(["ip", "netns", "exec", p.b, "setpriv", "--reuid", "42001",
                               "--regid", "42001", "--clear-groups", "iperf3", "-s", "-B", p.b4],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        lnb.wait_for(lambda: "5201" in lnb.run(["ip", "netns", "exec", p.b, "ss", "-ltnH"]),
                     "iperf3 server to listen")
        costs = [(slots, per_packet_cost(p, slots))
                 for _ in range(COST_REPEAT) for slots in (True, False)]
        res = rounds(p) if ROUNDS > 0 else None
    finally:
        server.terminate()
        server.wait()
        p.close()
        bpfctl.cleanup()
    print("\n| workload | users' path | program | runs | ns per run | ratio to no-op "
          "| wire packets | ns per wire packet |")
    print("|---|---|---|---|---|---|---|---|")
    for slots, cost in costs:
        for label, progs in cost.items():
            for d in ("egress", "ingress"):
                wire = max(progs["wire"][d], 1)
                for prog in ("linubia", "no-op"):
                    ns, runs = progs["%s %s" % (prog, d)]
                    noop_ns = progs["no-op " + d][0]
                    print("| %s | %s | %s %s | %d | %.1f | %.2f | %d | %.1f |" % (
                        label, "slot" if slots else "table only", prog, d, runs, ns,
                        ns / max(noop_ns, 1e-9), wire, ns * runs / wire))
    if res is None:
        return 0
    print("\n| iperf3 (%d rounds of %d s) | with backend (median) | without (median) | ratio |"
          % (ROUNDS, SECONDS))
    print("|---|---|---|---|")
    for proto, unit in (("tcp", "Mbit/s"), ("udp", "pkt/s")):
        w, wo = statistics.median(res[proto, True]), statistics.median(res[proto, False])
        print("| %s | %.0f %s | %.0f %s | %.3f |" % (
            "TCP stream" if proto == "tcp" else "UDP 64-byte", w, unit, wo, unit, w / wo))
    return 0


if __name__ == "__main__":
    t = time.monotonic()
    rc = main()
    print("bench took %.0f s" % (time.monotonic() - t))
    sys.exit(rc)
