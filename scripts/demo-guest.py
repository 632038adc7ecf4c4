#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""`make run` inside the QEMU guest: load linubia.ko, make traffic as three
users between two network namespaces, and print the per-user table with
the linubia command."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "kmod"))
import lnb  # noqa: E402
import uapi  # noqa: E402


def main():
    print("linubia demo: loading linubia.ko into Debian's %s kernel" % os.uname().release)
    lnb.load_module()
    p = lnb.Pair()
    print("traffic: uid 1001 TCP/IPv4 4 MiB, uid 1002 UDP/IPv6 500 x 1200 B, "
          "uid 1003 ping + TCP/IPv6 1 MiB (servers run as uid 2000)")
    flows = [
        lnb.traffic_async("tcp", 4, p.b4, p.a4, p.b, p.a, 2000, 1001, ["--bytes", 4 << 20]),
        lnb.traffic_async("udp", 6, p.b6, p.a6, p.b, p.a, 2000, 1002, ["--count", 500, "--size", 1200]),
        lnb.traffic_async("tcp", 6, p.b6, p.a6, p.b, p.a, 2000, 1003, ["--bytes", 1 << 20]),
    ]
    for f in flows:
        f.result()
    lnb.traffic("ping", 4, p.b4, p.a4, client_ns=p.a, client_uid=1003, extra=["--count", 5])
    linubia = os.path.join(lnb.REPO, "build", "bin", "linubia")
    for args in (["show"], ["stats"]):
        print("\n$ linubia %s" % " ".join(args), flush=True)
        subprocess.run([linubia] + args, check=True)
    print("\nAlso try: linubia show --json, linubia top; raw view: cat /proc/linubia "
          "(one line per UID, %d counters)" % len(uapi.COUNTERS))
    p.close()
    lnb.unload_module()
    return 0


if __name__ == "__main__":
    sys.exit(main())
