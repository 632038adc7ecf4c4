# SPDX-License-Identifier: GPL-2.0-only
"""Helpers for the kernel-module tests that run inside the QEMU guest:
module load/unload, the /proc view, network namespaces joined by veth,
the traffic tool, and assertions whose failures say what differed."""
import json
import os
import subprocess
import time

import uapi

REPO = uapi.REPO
# LINUBIA_KO: the module built for the running kernel (make sets it:
# build/kmod/RELEASE for a kernel other than the default), or another build
# of it (e.g. an older one, to show that a regression test fails without its
# fix).
KO = os.environ.get("LINUBIA_KO") or os.path.join(REPO, "kmod", "linubia.ko")
TRAFFIC = os.path.join(REPO, "build", "bin", "linubia-traffic")
UNATTR = uapi.UID_UNATTRIBUTED
DEPS = ["nf_socket_ipv4", "nf_socket_ipv6", "nf_defrag_ipv6", "veth"]


class Failure(Exception):
    pass


class Inexact(Exception):
    """The ground truth itself is unknowable for this run: the traffic tool
    says why (a TCP retransmission whose duplicate no receiver counter
    reports, out-of-order segments with SACK on, a lost datagram).  The
    runner repeats the test with fresh namespaces."""


def run(cmd, check=True, input=None, env=None):
    """Run a command (list, or str through sh); return stdout."""
    p = subprocess.run(cmd, shell=isinstance(cmd, str), input=input, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and p.returncode != 0:
        raise Failure("command failed (%d): %s\n%s" % (p.returncode, cmd, p.stderr.strip()))
    return p.stdout


def expect_eq(actual, expected, what):
    if actual != expected:
        raise Failure("%s: expected %r, got %r" % (what, expected, actual))


def expect(cond, what):
    if not cond:
        raise Failure(what)


def load_module(**params):
    run(["modprobe", "-a"] + DEPS)
    run(["insmod", KO] + ["%s=%s" % kv for kv in params.items()])


def unload_module():
    run(["rmmod", "linubia"])


def module_loaded():
    return os.path.exists("/sys/module/linubia")


def proc_table():
    """{uid: {column: int}} from /proc/linubia."""
    with open("/proc/linubia") as f:
        lines = f.read().splitlines()
    header = lines[0].split()
    expect_eq(header[3:], uapi.COUNTERS, "/proc/linubia header")
    table = {}
    for line in lines[1:]:
        vals = [int(v) for v in line.split()]
        table[vals[0]] = dict(zip(header, vals))
    return table


def counters(table, uid):
    """The 32 counters of uid (all 0 if it has no record)."""
    row = table.get(uid, {})
    return {c: row.get(c, 0) for c in uapi.COUNTERS}


def name(direction, family, proto, unit):
    return "%s_ipv%d_%s_%s" % (direction, family, proto, unit)


def expect_record(table, uid, expected, what):
    """Every counter of uid equals expected (missing names must be 0)."""
    got = counters(table, uid)
    want = {c: expected.get(c, 0) for c in uapi.COUNTERS}
    diff = ["%s: expected %d, got %d" % (c, want[c], got[c])
            for c in uapi.COUNTERS if got[c] != want[c]]
    if diff:
        raise Failure("%s (uid %d): %s" % (what, uid, "; ".join(diff)))


def flow_expectation(side, family, proto, out_proto=None):
    """Counters a traffic-tool side must have produced, from its JSON."""
    proto_out = out_proto or proto
    exp = {}
    for direction, p in (("out", proto_out), ("in", proto)):
        for unit in ("bytes", "packets"):
            key = name(direction, family, p, unit)
            exp[key] = exp.get(key, 0) + side["ip_%s_%s" % (direction, unit)]
    return exp


def add(a, b):
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


def traffic(proto, family, server_addr, client_addr, server_ns=None, client_ns=None,
            server_uid=None, client_uid=None, extra=(), prefix=()):
    """Run linubia-traffic once; its JSON ground truth."""
    cmd = list(prefix) + [TRAFFIC, "--proto", proto, "--family", str(family),
                          "--server-addr", server_addr, "--client-addr", client_addr]
    for opt, val in (("--server-ns", server_ns), ("--client-ns", client_ns),
                     ("--server-uid", server_uid), ("--client-uid", client_uid)):
        if val is not None:
            cmd += [opt, str(val)]
    cmd += [str(x) for x in extra] + ["--json"]
    return json.loads(run(cmd))


def pair_flow(p, proto, family, cuid, suid, *extra, background=False):
    """One flow from namespace a (client) to b (server) of Pair p; with
    background=True a handle whose .result() gives the JSON."""
    a, b = (p.a4, p.b4) if family == 4 else (p.a6, p.b6)
    fn = traffic_async if background else traffic
    return fn(proto, family, b, a, server_ns=p.b, client_ns=p.a,
              server_uid=suid, client_uid=cuid, extra=extra)


def expect_flow(table, t, family, proto, cuid, suid, what):
    """Both ends' records equal what the traffic tool says they sent and
    received (the server's unless suid is None)."""
    expect_exact(t, what)
    expect_record(table, cuid, flow_expectation(t["client"], family, proto), what + " client")
    if suid is not None:
        expect_record(table, suid, flow_expectation(t["server"], family, proto), what + " server")


def expect_exact(t, what):
    """Raise Inexact when the traffic tool says its ground truth is not exact."""
    if not t["exact"]:
        raise Inexact("%s: %s" % (what, t["inexact"]))


def traffic_async(*args, **kwargs):
    """Start linubia-traffic in the background; .result() gives its JSON."""
    import threading

    box = {}

    def target():
        try:
            box["json"] = traffic(*args, **kwargs)
        except Exception as e:  # reported by result()
            box["error"] = e

    t = threading.Thread(target=target)
    t.start()

    class Handle:
        def result(self):
            t.join()
            if "error" in box:
                raise box["error"]
            return box["json"]
    return Handle()


class Pair:
    """Two quiet network namespaces a and b joined by a veth pair.
    10.200.N.1/24, fd00:N::1/64 in a; .2 / ::2 in b.  Static neighbours and
    no link-local addresses, so the link carries only IP the test makes
    (and, right after link-up, MLD reports: see wait_quiet)."""

    def __init__(self, n=0, offload=False, mtu=1500, quiet=False):
        # veth queues to the per-CPU backlog (global, not per netns): on a
        # slow TCG guest concurrent flows overflowed the default 1000.
        run("sysctl -qw net.core.netdev_max_backlog=100000")
        self.a, self.b = "lnb-a%d" % n, "lnb-b%d" % n
        self.va, self.vb = "va%d" % n, "vb%d" % n
        self.a4, self.b4 = "10.200.%d.1" % n, "10.200.%d.2" % n
        self.a6, self.b6 = "fd00:%d::1" % n, "fd00:%d::2" % n
        for ns in (self.a, self.b):
            run(["ip", "netns", "add", ns])
            # SACK off: when a sender migrates between CPUs, veth's per-CPU
            # backlogs can reorder segments and the receiver's SACK blocks
            # would add option bytes no socket counter reports.  The same
            # reordering must not trigger (spurious) retransmissions either:
            # no tail loss probes (their 2 x SRTT timer ignores rto_min
            # below), no RACK, and a high duplicate-ACK threshold.
            self.ns(ns, "sysctl -qw net.ipv4.tcp_sack=0 net.ipv4.tcp_early_retrans=0 "
                        "net.ipv4.tcp_recovery=0 net.ipv4.tcp_reordering=127 "
                        "net.ipv6.conf.all.addr_gen_mode=1 "
                        "net.ipv6.conf.default.addr_gen_mode=1 "
                        "net.ipv6.conf.default.accept_ra=0 "
                        "net.ipv4.ping_group_range='0 2147483647'")
        run(["ip", "link", "add", self.va, "netns", self.a, "mtu", str(mtu), "type", "veth",
             "peer", "name", self.vb, "netns", self.b, "mtu", str(mtu)])
        lladdr = {}
        for ns, dev, a4, a6 in ((self.a, self.va, self.a4, self.a6),
                                (self.b, self.vb, self.b4, self.b6)):
            self.ns(ns, "ip addr add %s/24 dev %s && ip addr add %s/64 dev %s nodad"
                    % (a4, dev, a6, dev))
            feature = "on" if offload else "off"
            self.ns(ns, "ethtool -K %s tso %s gso %s gro %s" % (dev, feature, feature, feature))
            # veth queues each packet on the sending CPU's backlog: a sender
            # that migrates would reorder its segments.  One RPS CPU keeps
            # them in order.
            self.ns(ns, "echo 1 > /sys/class/net/%s/queues/rx-0/rps_cpus" % dev)
            lladdr[dev] = self.ns(ns, "cat /sys/class/net/%s/address" % dev).strip()
        for ns, dev, peer, p4, p6 in ((self.a, self.va, self.vb, self.b4, self.b6),
                                      (self.b, self.vb, self.va, self.a4, self.a6)):
            self.ns(ns, "ip neigh add %s lladdr %s dev %s nud permanent && "
                        "ip neigh add %s lladdr %s dev %s nud permanent && "
                        "ip link set %s up && ip link set lo up"
                    % (p4, lladdr[peer], dev, p6, lladdr[peer], dev, dev))
        # A TCG guest on a loaded host can stall for longer than the default
        # 200 ms minimum RTO: spurious retransmissions would make the ground
        # truth inexact.  Nothing is lost on this link, so raise it.
        for ns, dev, p4, p6 in ((self.a, self.va, self.b4, self.b6),
                                (self.b, self.vb, self.a4, self.a6)):
            self.ns(ns, "ip route add %s/32 dev %s rto_min 5s && "
                        "ip -6 route add %s/128 dev %s rto_min 5s" % (p4, dev, p6, dev))
        if quiet:
            self.wait_quiet()

    def wait_quiet(self, still=2.0, timeout=60.0):
        """Wait until the link carried nothing for `still` seconds.  The
        kernel sends MLD reports for the solicited-node groups after link-up
        (unavoidable per namespace); tests that assert on the unattributed
        record start after them."""
        deadline = time.monotonic() + timeout
        last, since = self.link_stats(), time.monotonic()
        while time.monotonic() - since < still:
            if time.monotonic() > deadline:
                raise Failure("link never went quiet within %.0f s" % timeout)
            time.sleep(0.1)
            now = self.link_stats()
            if now != last:
                last, since = now, time.monotonic()

    def ns(self, ns, cmd):
        return run(["ip", "netns", "exec", ns, "sh", "-c", cmd])

    def link_stats(self):
        """IP-level (link header removed) tx/rx of both veth ends."""
        out = {}
        for ns, dev in ((self.a, self.va), (self.b, self.vb)):
            s = self.ns(ns, "cd /sys/class/net/%s/statistics && cat tx_bytes tx_packets "
                            "rx_bytes rx_packets" % dev).split()
            txb, txp, rxb, rxp = map(int, s)
            out[dev] = {"tx_bytes": txb - 14 * txp, "tx_packets": txp,
                        "rx_bytes": rxb - 14 * rxp, "rx_packets": rxp}
        return out

    def close(self):
        for ns in (self.a, self.b):
            run(["ip", "netns", "del", ns], check=False)


def wait_for(cond, what, timeout=60.0):
    """Poll cond() until true; generous deadline for a loaded TCG guest."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise Failure("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(0.01)
