#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Deterministic cost of the module (and of the eBPF backend) per packet, run
inside a one-vCPU QEMU guest booted with -icount shift=0 (make
bench-kmod-icount): guest CLOCK_MONOTONIC then advances one nanosecond per
executed instruction, so linubia-icount-load's timed window is the
instruction count of a fixed transfer, repeatable to ~0.1 %.

Workloads (bench/icount-load.c; client uid 1001, server uid 2001): a 64 MiB
TCP stream and 20,000 64-byte UDP datagrams between two network namespaces
over veth (default offloads: TSO/GSO on, GRO off), the datagrams to a server
socket connected back to the client (as iperf3's: early demux finds it) and
to an unconnected one (as a DNS server's: no early demux); the same TCP
stream and connected UDP over loopback.

Configurations, in alternating order each round: nothing loaded; an
nftables table with one counter rule at input and output, at linubia's
priority, in both namespaces; bench/nf-noop (netfilter hooks at the same
places that return NF_ACCEPT); linubia.ko; the no-op cgroup_skb pair
(bench/bpf-noop); the eBPF backend.  Prints medians and minimums, the cost
per wire packet over nothing loaded, and the ratios the goals are about.

`cold` (run by make with 255 possible CPUs, where only 514 records get
per-CPU counters): linubia.ko with the flow's users hot (first records made)
and cold (made after linubia-flood took every hot block).

Environment: LINUBIA_BENCH_ROUNDS (default 3), LINUBIA_BENCH_CONFIGS and
LINUBIA_BENCH_WORKLOADS (comma-separated subsets), LINUBIA_BENCH_TCP_BYTES,
LINUBIA_BENCH_UDP_COUNT; LINUBIA_BENCH_KOS=NAME=PATH,... adds other builds of
linubia.ko as configurations (to measure a change against the current one).  Prints figures; never fails on them."""
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "bpf"))
import bpfctl  # noqa: E402  (puts tests/kmod on the path too)
from bpfctl import lnb  # noqa: E402

REPO = lnb.REPO
LOAD = os.path.join(REPO, "build", "bin", "linubia-icount-load")
FLOOD = os.path.join(REPO, "build", "bin", "linubia-flood")
NOOP_KO = os.path.join(REPO, "bench", "nf-noop", "lnb_nf_noop.ko")
BPF_NOOP = os.path.join(REPO, "build", "bin", "linubia-bpf-noop")
ROUNDS = int(os.environ.get("LINUBIA_BENCH_ROUNDS", "3"))
TCP_BYTES = int(os.environ.get("LINUBIA_BENCH_TCP_BYTES", str(64 << 20)))
UDP_COUNT = int(os.environ.get("LINUBIA_BENCH_UDP_COUNT", "20000"))
CLIENT_UID, SERVER_UID = 1001, 2001
NS_A, NS_B = "lnbic-a", "lnbic-b"
ADDR_A, ADDR_B = "10.200.77.1", "10.200.77.2"
# nftables: one table per namespace, chains where linubia hooks, same priority.
NFT_PRIO = 2147483646           # NF_IP_PRI_LAST - 1, kmod/hook.c
NFT_TABLE = ("table inet lnb_bench {\n"
             " chain in { type filter hook input priority %d; counter; }\n"
             " chain out { type filter hook output priority %d; counter; }\n"
             "}\n" % (NFT_PRIO, NFT_PRIO))

# name: (label, load-tool arguments)
WORKLOADS = {
    "veth-tcp": ("veth, TCP stream 64 MiB",
                 ["--proto", "tcp", "--server-addr", ADDR_B, "--server-ns", NS_B,
                  "--client-ns", NS_A, "--bytes", TCP_BYTES]),
    "veth-udp": ("veth, UDP 64 B, connected server",
                 ["--proto", "udp", "--connected", "--server-addr", ADDR_B, "--server-ns", NS_B,
                  "--client-ns", NS_A, "--count", UDP_COUNT, "--size", 64]),
    "veth-udp-unconn": ("veth, UDP 64 B, unconnected server",
                        ["--proto", "udp", "--server-addr", ADDR_B, "--server-ns", NS_B,
                         "--client-ns", NS_A, "--count", UDP_COUNT, "--size", 64]),
    "lo-tcp": ("loopback, TCP stream 64 MiB",
               ["--proto", "tcp", "--server-addr", "127.0.0.1", "--server-ns", NS_A,
                "--client-ns", NS_A, "--bytes", TCP_BYTES]),
    "lo-udp": ("loopback, UDP 64 B, connected server",
               ["--proto", "udp", "--connected", "--server-addr", "127.0.0.1", "--server-ns", NS_A,
                "--client-ns", NS_A, "--count", UDP_COUNT, "--size", 64]),
}


def ns_run(ns, cmd, input=None):
    return lnb.run(["ip", "netns", "exec", ns] + cmd, input=input)


def make_namespaces():
    """Two namespaces joined by veth: IPv4 only (no MLD or router
    solicitations in the window), static neighbours, default offloads."""
    lnb.run("sysctl -qw net.core.rmem_max=%d" % (128 << 20))
    for ns in (NS_A, NS_B):
        lnb.run(["ip", "netns", "add", ns])
        ns_run(ns, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1"])
    lnb.run(["ip", "link", "add", "lnbic-va", "netns", NS_A, "type", "veth",
             "peer", "name", "lnbic-vb", "netns", NS_B])
    mac = {}
    for ns, dev, addr in ((NS_A, "lnbic-va", ADDR_A), (NS_B, "lnbic-vb", ADDR_B)):
        ns_run(ns, ["ip", "addr", "add", addr + "/24", "dev", dev])
        ns_run(ns, ["ip", "link", "set", dev, "up"])
        ns_run(ns, ["ip", "link", "set", "lo", "up"])
        mac[dev] = ns_run(ns, ["cat", "/sys/class/net/%s/address" % dev]).strip()
    ns_run(NS_A, ["ip", "neigh", "add", ADDR_B, "lladdr", mac["lnbic-vb"], "dev", "lnbic-va",
                  "nud", "permanent"])
    ns_run(NS_B, ["ip", "neigh", "add", ADDR_A, "lladdr", mac["lnbic-va"], "dev", "lnbic-vb",
                  "nud", "permanent"])


def remove_namespaces():
    for ns in (NS_A, NS_B):
        lnb.run(["ip", "netns", "del", ns], check=False)


class Config:
    """Something loaded for a set of runs: name, label, on(), off()."""
    name = label = ""

    def on(self):
        pass

    def off(self):
        pass


class Nothing(Config):
    name, label = "none", "nothing loaded"


class Nft(Config):
    name, label = "nft", "nftables: 1 counter rule in, 1 out"

    def on(self):
        for ns in (NS_A, NS_B):
            ns_run(ns, ["nft", "-f", "-"], input=NFT_TABLE)

    def off(self):
        for ns in (NS_A, NS_B):
            ns_run(ns, ["nft", "delete", "table", "inet", "lnb_bench"])


class NfNoop(Config):
    name, label = "nf-noop", "no-op netfilter hooks"

    def on(self):
        lnb.run(["insmod", NOOP_KO])

    def off(self):
        lnb.run(["rmmod", "lnb_nf_noop"])


class Module(Config):
    """linubia.ko, or another build of it (LINUBIA_BENCH_KOS)."""
    def __init__(self, label="linubia.ko", name="linubia", ko=None):
        self.name, self.label, self.ko = name, label, ko

    def on(self):
        if self.ko:
            lnb.run(["modprobe", "-a"] + lnb.DEPS)
            lnb.run(["insmod", self.ko])
        else:
            lnb.load_module()

    def off(self):
        lnb.unload_module()


class BpfNoop(Config):
    name, label = "bpf-noop", "no-op cgroup_skb pair"
    proc = None

    def on(self):
        self.proc = subprocess.Popen([BPF_NOOP, bpfctl.cgroup_root()], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        if not self.proc.stdout.readline().startswith("ingress "):
            raise lnb.Failure("linubia-bpf-noop did not attach")

    def off(self):
        self.proc.stdin.close()
        self.proc.wait()


class Ebpf(Config):
    name, label = "ebpf", "eBPF backend"

    def on(self):
        bpfctl.load()
        self.label = "eBPF backend (%s pair)" % bpfctl.variant()

    def off(self):
        bpfctl.unload()


def selected(env, names):
    want = os.environ.get(env)
    if not want:
        return list(names)
    picked = [n for n in want.split(",") if n]
    unknown = [n for n in picked if n not in names]
    if unknown:
        sys.exit("kmod-icount-bench.py: %s: unknown %s (known: %s)"
                 % (env, ", ".join(unknown), ", ".join(names)))
    return picked


def measure(workload):
    """One run: {"ns": instructions, "packets": wire packets, ...}."""
    args = WORKLOADS[workload][1] + ["--client-uid", CLIENT_UID, "--server-uid", SERVER_UID]
    res = json.loads(lnb.run([LOAD] + [str(a) for a in args]))
    if res["idle_ticks"]:
        print("  note: %s: the CPU idled %d ticks in the window (the figure holds waiting)"
              % (workload, res["idle_ticks"]), flush=True)
    return res


def rounds(configs, workloads):
    """{(config, workload): [run, ...]}, configurations in alternating order."""
    res = {(c.name, w): [] for c in configs for w in workloads}
    for r in range(ROUNDS):
        order = configs if r % 2 == 0 else configs[::-1]
        for c in order:
            c.on()
            try:
                for w in workloads:
                    res[c.name, w].append(measure(w))
            finally:
                c.off()
            print("round %d/%d %-9s %s" % (r + 1, ROUNDS, c.name, " ".join(
                "%s=%d" % (w, res[c.name, w][-1]["ns"]) for w in workloads)), flush=True)
    return res


def pct(a, b):
    return "%+.2f %%" % (100.0 * (a - b) / b)


def report(configs, workloads, res, base="none"):
    """Markdown tables: per workload, every configuration."""
    names = [c.name for c in configs]
    for w in workloads:
        runs = {c: res[c, w] for c in names}
        med = {c: statistics.median(r["ns"] for r in runs[c]) for c in names}
        low = {c: min(r["ns"] for r in runs[c]) for c in names}
        pkts = statistics.median(r["packets"] for r in runs[base])
        print("\n### %s (%d wire packets, %d rounds)\n" % (WORKLOADS[w][0], pkts, ROUNDS))
        cols = ["configuration", "instructions (median)", "min", "spread",
                "per packet", "over %s per packet" % base]
        if "nft" in names:
            cols.append("vs nft")
        if "nf-noop" in names:
            cols.append("× no-op's extra")
        print("| " + " | ".join(cols) + " |")
        print("|" + "---|" * len(cols))
        for c in configs:
            r = [x["ns"] for x in runs[c.name]]
            row = [c.label, "{:,}".format(int(med[c.name])), "{:,}".format(low[c.name]),
                   "%.2f %%" % (100.0 * (max(r) - min(r)) / min(r)),
                   "%.0f" % (med[c.name] / pkts), "%+.0f" % ((med[c.name] - med[base]) / pkts)]
            if "nft" in names:
                row.append(pct(med[c.name], med["nft"]))
            if "nf-noop" in names:
                extra = med["nf-noop"] - med[base]
                row.append("%.2f" % ((med[c.name] - med[base]) / extra) if extra > 0 else "-")
            print("| " + " | ".join(row) + " |")


def hot_capacity():
    """Records with per-CPU counters, from the module's load message."""
    m = re.findall(r"linubia: max_users=.*\((\d+) hot\)", lnb.run(["dmesg"]))
    if not m:
        raise lnb.Failure("no 'linubia: max_users=... (N hot)' line in dmesg")
    return int(m[-1])


class ColdModule(Config):
    """linubia.ko whose every hot block went to other users first."""
    name, label = "linubia-cold", "linubia.ko, users' records cold (atomics)"

    def on(self):
        lnb.load_module()
        hot = hot_capacity()
        lnb.run([FLOOD, "--uids", "300000:%d" % (hot + 64)])
        n = len(lnb.proc_table())
        if n < hot + 1:
            raise lnb.Failure("only %d records after the flood; %d are hot" % (n, hot))

    def off(self):
        lnb.unload_module()


def possible_cpus():
    n = 0
    for part in open("/sys/devices/system/cpu/possible").read().strip().split(","):
        lo, _, hi = part.partition("-")
        n += int(hi or lo) - int(lo) + 1
    return n


def main():
    cold = sys.argv[1:] == ["cold"]
    if sys.argv[1:] and not cold:
        sys.exit("usage: kmod-icount-bench.py [cold]")
    print("kernel %s, %d CPU(s) online, %d possible" % (
        os.uname().release, os.cpu_count(), possible_cpus()), flush=True)
    if cold:
        all_configs = [Nothing(), Module("linubia.ko, users' records hot (per-CPU)"),
                       ColdModule()]
    else:
        all_configs = [Nothing(), Nft(), NfNoop(), Module(), BpfNoop(), Ebpf()]
    # Other builds of the module, to compare changes in one run: NAME=PATH,...
    for item in filter(None, os.environ.get("LINUBIA_BENCH_KOS", "").split(",")):
        name, _, path = item.partition("=")
        all_configs.append(Module("linubia.ko " + name, name, os.path.abspath(path)))
    names = selected("LINUBIA_BENCH_CONFIGS", [c.name for c in all_configs])
    configs = [c for c in all_configs if c.name in names]
    workloads = selected("LINUBIA_BENCH_WORKLOADS", WORKLOADS)
    base = configs[0].name
    make_namespaces()
    try:
        res = rounds(configs, workloads)
    finally:
        remove_namespaces()
    report(configs, workloads, res, base)
    return 0


if __name__ == "__main__":
    t = time.monotonic()
    rc = main()
    print("bench took %.0f s (guest clock: instructions, not seconds)" % (time.monotonic() - t))
    sys.exit(rc)
