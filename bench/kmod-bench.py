#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Benchmark of linubia.ko, run inside the QEMU guest (make bench-kmod).
Alternating rounds with and without the module: iperf3 TCP over veth and
UDP with 64-byte payloads; medians and ratios.  Then kernel memory per
tracked user, from /proc/meminfo (Percpu + Slab) around creating N records.
Prints figures; never passes or fails on them."""
import ctypes
import json
import os
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "kmod"))
import lnb  # noqa: E402

ROUNDS = int(os.environ.get("LINUBIA_BENCH_ROUNDS", "7"))
SECONDS = int(os.environ.get("LINUBIA_BENCH_SECONDS", "3"))
USERS = int(os.environ.get("LINUBIA_BENCH_USERS", "10000"))


def iperf(p, udp):
    cmd = ["ip", "netns", "exec", p.a, "setpriv", "--reuid", "1001", "--regid", "1001",
           "--clear-groups", "iperf3", "-c", p.b4, "-t", str(SECONDS), "-J"]
    if udp:
        cmd += ["-u", "-b", "0", "-l", "64"]
    out = json.loads(lnb.run(cmd))
    end = out["end"]
    if udp:
        s = end["sum"]
        received = s["packets"] - s["lost_packets"]
        return received / s["seconds"]
    return end["sum_received"]["bits_per_second"] / 1e6


def rounds(p):
    res = {("tcp", True): [], ("tcp", False): [], ("udp", True): [], ("udp", False): []}
    for r in range(ROUNDS):
        # Alternate which configuration goes first, so drift hits both.
        order = (True, False) if r % 2 == 0 else (False, True)
        for loaded in order:
            if loaded and not lnb.module_loaded():
                lnb.load_module()
            if not loaded and lnb.module_loaded():
                lnb.unload_module()
            for proto in ("tcp", "udp"):
                res[proto, loaded].append(iperf(p, proto == "udp"))
        print("round %d/%d: tcp %.0f/%.0f Mbit/s, udp %.0f/%.0f pkt/s (with/without)" % (
            r + 1, ROUNDS, res["tcp", True][-1], res["tcp", False][-1],
            res["udp", True][-1], res["udp", False][-1]), flush=True)
    return res


def meminfo():
    vals = {}
    for line in open("/proc/meminfo"):
        k, v = line.split(":")
        vals[k] = int(v.split()[0]) * 1024
    return vals["Percpu"] + vals["Slab"]


def memory_per_user():
    """Create USERS records with one loopback datagram each (setfsuid before
    socket(): the socket's owner is the fsuid at creation)."""
    libc = ctypes.CDLL(None, use_errno=True)
    lnb.load_module()
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    dest = sink.getsockname()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")
    before = meminfo()
    for uid in range(100000, 100000 + USERS):
        libc.setfsuid(uid)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        libc.setfsuid(0)
        s.sendto(b"x", dest)
        s.close()
        try:
            while True:
                sink.recv(16, socket.MSG_DONTWAIT)
        except BlockingIOError:
            pass
    after = meminfo()
    n = sum(1 for uid in lnb.proc_table() if 100000 <= uid < 100000 + USERS)
    lnb.unload_module()
    return n, (after - before) / max(n, 1)


def main():
    lnb.run("sysctl -qw net.core.netdev_max_backlog=100000")
    p = lnb.Pair(offload=True)
    server = subprocess.Popen(["ip", "netns", "exec", p.b, "setpriv", "--reuid", "2001",
                               "--regid", "2001", "--clear-groups", "iperf3", "-s", "-B", p.b4],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        lnb.wait_for(lambda: "5201" in lnb.run(["ip", "netns", "exec", p.b, "ss", "-ltnH"]),
                     "iperf3 server to listen")
        res = rounds(p)
    finally:
        server.terminate()
        server.wait()
    if lnb.module_loaded():
        lnb.unload_module()
    print("\n| workload | with module (median) | without (median) | ratio |")
    print("|---|---|---|---|")
    for proto, unit in (("tcp", "Mbit/s"), ("udp", "pkt/s")):
        w, wo = statistics.median(res[proto, True]), statistics.median(res[proto, False])
        print("| iperf3 %s | %.0f %s | %.0f %s | %.3f |" % (
            "TCP stream" if proto == "tcp" else "UDP 64-byte", w, unit, wo, unit, w / wo))
    n, per = memory_per_user()
    print("\nmemory: %d records, %.0f bytes of kernel memory per tracked user "
          "(Percpu + Slab from /proc/meminfo)" % (n, per))
    return 0


if __name__ == "__main__":
    t = time.monotonic()
    rc = main()
    print("bench took %.0f s" % (time.monotonic() - t))
    sys.exit(rc)
