#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""`make run` inside the QEMU guest: load linubia.ko, make traffic as three
users between two network namespaces, and print the per-user table.
(Until the linubia CLI exists, the table is rendered here from /proc.)"""
import os
import pwd
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "kmod"))
import lnb  # noqa: E402
import uapi  # noqa: E402


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024.0


def user_name(uid):
    if uid == uapi.UID_UNATTRIBUTED:
        return "(unattributed)"
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def total(row, prefix, suffix):
    return sum(v for k, v in row.items() if k.startswith(prefix) and k.endswith(suffix))


def show(table):
    cols = ("USER", "UID", "IN", "OUT", "IN PKTS", "OUT PKTS", "IPv4", "IPv6", "TCP", "UDP", "ICMP")
    rows = []
    for uid, row in table.items():
        rows.append((total(row, "", "bytes"), [
            user_name(uid), str(uid),
            human(total(row, "in_", "bytes")), human(total(row, "out_", "bytes")),
            str(total(row, "in_", "packets")), str(total(row, "out_", "packets")),
            human(sum(v for k, v in row.items() if "_ipv4_" in k and k.endswith("bytes"))),
            human(sum(v for k, v in row.items() if "_ipv6_" in k and k.endswith("bytes"))),
            human(sum(v for k, v in row.items() if "_tcp_" in k and k.endswith("bytes"))),
            human(sum(v for k, v in row.items() if "_udp_" in k and k.endswith("bytes"))),
            human(sum(v for k, v in row.items() if "_icmp_" in k and k.endswith("bytes")))]))
    rows = [r for _, r in sorted(rows, key=lambda x: -x[0])]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cols, widths))))
    for r in rows:
        print("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths))))


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
    print()
    show(lnb.proc_table())
    print("\nRaw view: cat /proc/linubia (one line per UID, %d counters)" % len(uapi.COUNTERS))
    p.close()
    lnb.unload_module()
    return 0


if __name__ == "__main__":
    sys.exit(main())
