# SPDX-License-Identifier: GPL-2.0-only
"""Flows beyond TCP and UDP for the exactness tests (issue 13): SCTP
one-to-one and one-to-many, UDP-Lite, and raw sockets of IP protocol 253,
each an echo between a client in namespace a and a server in namespace b
of a lnb.Pair, running as given UIDs.  Ground truth: what the processes
sent (datagram flows: every packet's IP size is known) and, for SCTP, whose
packets the stack makes (SACKs, bundling, GSO), the veth counters of a
quiet pair together with the associations' own packet counts
(SCTP_GET_ASSOC_STATS)."""
import json
import subprocess

import lnb

RAW_PROTO = 253     # RFC 3692 experimentation
L3 = {4: 20, 6: 40}

# One side of a flow; prints {"port": N} when bound, then its report.
SIDE = r"""
import json, socket, struct, sys
role, kind, fam, addr, peer, port, count, size = sys.argv[1:9]
fam, port, count, size = int(fam), int(port), int(count), int(size)
AF = socket.AF_INET if fam == 4 else socket.AF_INET6
SCTP_GET_ASSOC_STATS = 112
proto = {"sctp": 132, "sctp-many": 132, "udplite": 136, "raw": %d}[kind]
# the server of "sctp-many" is one-to-many; every SCTP client one-to-one
stype = {"sctp": socket.SOCK_STREAM, "sctp-many": socket.SOCK_SEQPACKET,
         "udplite": socket.SOCK_DGRAM, "raw": socket.SOCK_RAW}[kind]
if role == "client" and kind.startswith("sctp"):
    stype = socket.SOCK_STREAM
s = socket.socket(AF, stype, proto)
s.settimeout(120)
stats = {}

def assoc_stats(sock):
    # one-to-one sockets: the association id in the buffer is ignored
    out = sock.getsockopt(132, SCTP_GET_ASSOC_STATS, 256)
    return {"opackets": struct.unpack_from("Q", out, 160)[0],
            "ipackets": struct.unpack_from("Q", out, 168)[0]}

def recv_msg(sock):
    data, anc, flags, src = sock.recvmsg(65536)
    if kind == "raw" and fam == 4:
        data = data[(data[0] & 15) * 4:]   # IPv4 raw sockets get the header
    return data, src

if role == "server":
    s.bind((addr, 0))
    if kind.startswith("sctp"):
        s.listen(8)
    print(json.dumps({"port": s.getsockname()[1]}), flush=True)
    conn = s.accept()[0] if kind == "sctp" else s
    conn.settimeout(120)
    got = 0
    while got < count * size:
        data, src = recv_msg(conn)
        got += len(data)
        if kind == "sctp":
            conn.sendall(data)
        else:
            conn.sendto(data, src)
    if kind == "sctp":
        stats = assoc_stats(conn)
        while conn.recv(65536):   # the client's EOF
            pass
else:
    dest = (peer, port)
    if kind.startswith("sctp"):
        s.connect(dest)
    msg = bytes(i %% 251 for i in range(size))
    for _ in range(count):
        s.sendall(msg) if kind.startswith("sctp") else s.sendto(msg, dest)
        got = 0
        while got < size:
            data, src = recv_msg(s)
            got += len(data)
    if kind.startswith("sctp"):
        stats = assoc_stats(s)
print(json.dumps({"sent": count, "size": size, "stats": stats}), flush=True)
""" % RAW_PROTO


def _side(p, ns, uid, role, kind, family, addr, peer, port, count, size):
    # raw sockets need CAP_NET_RAW: kept across the uid switch as ambient
    caps = ["--inh-caps", "+net_raw", "--ambient-caps", "+net_raw"] if kind == "raw" else []
    cmd = ["ip", "netns", "exec", ns, "setpriv", "--reuid", str(uid), "--regid", str(uid),
           "--clear-groups"] + caps + ["python3", "-c", SIDE, role, kind, str(family), addr,
                                       peer, str(port), str(count), str(size)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _report(proc, what):
    out, err = proc.communicate(timeout=300)
    if proc.returncode != 0:
        raise lnb.Failure("%s failed (%d): %s" % (what, proc.returncode, err.strip()))
    return json.loads(out.strip().splitlines()[-1])


def echo(p, kind, family, cuid, suid, count, size):
    """count messages of size bytes from the client (ns a, uid cuid) to the
    server (ns b, uid suid) and back; the two sides' reports."""
    a, b = (p.a4, p.b4) if family == 4 else (p.a6, p.b6)
    server = _side(p, p.b, suid, "server", kind, family, b, a, 0, count, size)
    line = server.stdout.readline()
    if not line:
        raise lnb.Failure("%s server did not start: %s" % (kind, server.communicate()[1]))
    port = json.loads(line)["port"]
    client = _side(p, p.a, cuid, "client", kind, family, a, b, port, count, size)
    return _report(client, "%s client" % kind), _report(server, "%s server" % kind)


def datagram_expectation(kind, family, count, size):
    """Counters of each side of a datagram echo: count out, count in."""
    proto = "other"
    per = L3[family] + (8 if kind == "udplite" else 0) + size
    exp = {}
    for d in ("in", "out"):
        exp[lnb.name(d, family, proto, "bytes")] = count * per
        exp[lnb.name(d, family, proto, "packets")] = count
    return exp


def link_expectation(before, after, dev, family):
    """A quiet link's IP-level counters of one veth end as the counters of
    the one user whose traffic it carried (all of it 'other')."""
    exp = {}
    for d, stat in (("out", "tx"), ("in", "rx")):
        for unit in ("bytes", "packets"):
            exp[lnb.name(d, family, "other", unit)] = \
                after[dev]["%s_%s" % (stat, unit)] - before[dev]["%s_%s" % (stat, unit)]
    return exp


def sctp_gso_link(p):
    """Software GSO for SCTP: the stack builds GSO skbs (gso on), the veth
    cannot segment SCTP (tx-sctp-segmentation off), so they are split
    before the veth counts them: its counters see wire packets."""
    for ns, dev in ((p.a, p.va), (p.b, p.vb)):
        p.ns(ns, "ethtool -K %s gso on tso off gro off tx-sctp-segmentation off" % dev)


# --- the module's cases (registered by test_kmod.py's import) -------------

def _quiet_flow(p, kind, family, cuid, suid, count, size):
    """One echo on a quiet link: (client, server, link before, link after,
    the unattributed record before and after)."""
    p.wait_quiet(still=1.0)
    before, u0 = p.link_stats(), lnb.counters(lnb.proc_table(), lnb.UNATTR)
    c, s = echo(p, kind, family, cuid, suid, count, size)
    # SCTP's shutdown ends after the processes; datagram flows end with them
    p.wait_quiet(still=2.0 if kind.startswith("sctp") else 0.5)
    return c, s, before, p.link_stats(), u0, lnb.counters(lnb.proc_table(), lnb.UNATTR)


def check_sctp(p, kind, family, cuid, suid, count, size):
    c, s, before, after, u0, u1 = _quiet_flow(p, kind, family, cuid, suid, count, size)
    what = "%s/IPv%d %d x %d bytes" % (kind, family, count, size)
    table = lnb.proc_table()
    lnb.expect_record(table, cuid, link_expectation(before, after, p.va, family), what + " client")
    lnb.expect_record(table, suid, link_expectation(before, after, p.vb, family), what + " server")
    lnb.expect_eq(u1, u0, what + ": the unattributed record")
    # the association's own packet counts (data phase, before shutdown)
    got = lnb.counters(table, cuid)
    for d, key in (("out", "opackets"), ("in", "ipackets")):
        n = got[lnb.name(d, family, "other", "packets")]
        lnb.expect(c["stats"][key] <= n <= c["stats"][key] + 8,
                   "%s client %s packets %d vs the association's %s %d (+ at most the "
                   "shutdown's)" % (what, d, n, key, c["stats"][key]))
    return after


def check_datagrams(p, kind, family, cuid, suid, count, size):
    c, s, before, after, u0, u1 = _quiet_flow(p, kind, family, cuid, suid, count, size)
    what = "%s/IPv%d %d x %d bytes" % (kind, family, count, size)
    want = datagram_expectation(kind, family, count, size)
    table = lnb.proc_table()
    lnb.expect_record(table, cuid, want, what + " client (what it sent and got back)")
    lnb.expect_record(table, suid, want, what + " server")
    lnb.expect_record(table, cuid, link_expectation(before, after, p.va, family),
                      what + " client vs the veth")
    lnb.expect_eq(u1, u0, what + ": the unattributed record")
