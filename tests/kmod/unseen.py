# SPDX-License-Identifier: GPL-2.0-only
"""What the module does not count, and the side effect of loading it,
as docs/accounting.md states them (issue 23): traffic a firewall drops
before the module's hook, forwarded traffic, multicast for a group the
host has not joined, IPv6 fragments a router reassembles and refragments
(nf_defrag_ipv6), and a segment that finds a TIME_WAIT socket.  Imported
by test_kmod.py, whose runner loads the module before each test."""
import json
import subprocess

import genl
import lnb
from lnb import expect, expect_eq, expect_record
from runner import test


def ns(name, cmd):
    return lnb.run(["ip", "netns", "exec", name, "sh", "-c", cmd])


def veth_stats(name, dev):
    s = ns(name, "cd /sys/class/net/%s/statistics && cat tx_bytes tx_packets rx_bytes rx_packets"
           % dev).split()
    txb, txp, rxb, rxp = map(int, s)
    return {"tx_bytes": txb - 14 * txp, "tx_packets": txp,
            "rx_bytes": rxb - 14 * rxp, "rx_packets": rxp}


def routed_pair():
    """Client namespace lnb-c -- router lnb-r (forwarding) -- server lnb-s."""
    lnb.run("sysctl -qw net.core.netdev_max_backlog=100000")
    for n in ("lnb-c", "lnb-r", "lnb-s"):
        lnb.run(["ip", "netns", "add", n])
        ns(n, "sysctl -qw net.ipv6.conf.all.addr_gen_mode=1 net.ipv6.conf.default.addr_gen_mode=1 "
              "net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.accept_dad=0 "
              "net.ipv6.conf.default.accept_dad=0 && ip link set lo up")
    lnb.run("ip link add vc netns lnb-c mtu 1500 type veth peer name vrc netns lnb-r mtu 1500")
    lnb.run("ip link add vs netns lnb-s type veth peer name vrs netns lnb-r")
    ns("lnb-r", "sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1")
    for n, dev, a4, a6 in (("lnb-c", "vc", "10.200.9.1/24", "fd00:9::1/64"),
                           ("lnb-r", "vrc", "10.200.9.2/24", "fd00:9::2/64"),
                           ("lnb-r", "vrs", "10.200.10.1/24", "fd00:10::1/64"),
                           ("lnb-s", "vs", "10.200.10.2/24", "fd00:10::2/64")):
        ns(n, "ip addr add %s dev %s && ip addr add %s dev %s nodad && ip link set %s up"
           % (a4, dev, a6, dev, dev))
    ns("lnb-c", "ip route add default via 10.200.9.2 && ip -6 route add default via fd00:9::2")
    ns("lnb-s", "ip route add default via 10.200.10.1 && ip -6 route add default via fd00:10::1")


def quiet(names_devs, still=2.0):
    """Wait until these veth ends carried nothing for `still` seconds."""
    import time
    deadline = time.monotonic() + 60
    last, since = None, time.monotonic()
    while time.monotonic() - since < still:
        if time.monotonic() > deadline:
            raise lnb.Failure("links never went quiet")
        now = [veth_stats(n, d) for n, d in names_devs]
        if now != last:
            last, since = now, time.monotonic()
        time.sleep(0.1)


@test
def forwarded_firewalled_and_foreign_multicast_not_counted():
    routed_pair()
    devs = (("lnb-c", "vc"), ("lnb-r", "vrc"), ("lnb-r", "vrs"), ("lnb-s", "vs"))
    quiet(devs)
    t0 = lnb.proc_table()
    # 1. forwarded: 20 datagrams c -> s through r; r counts nothing.
    t = lnb.traffic("udp", 4, "10.200.10.2", "10.200.9.1", server_ns="lnb-s", client_ns="lnb-c",
                    server_uid=6002, client_uid=6001, extra=["--count", 20, "--size", 500])
    lnb.expect_exact(t, "forwarded UDP")
    # 2. dropped by a firewall before the module's hook: billed to nobody.
    ns("lnb-s", "nft add table inet lnbfw && nft add chain inet lnbfw in "
                "'{ type filter hook input priority 0; }' && "
                "nft add rule inet lnbfw in udp dport 7777 drop")
    s0 = veth_stats("lnb-s", "vs")
    sent = json.loads(lnb.run(["ip", "netns", "exec", "lnb-c", "setpriv", "--reuid", "6005",
                               "--regid", "6005", "--clear-groups", "python3", "-c", SEND,
                               "10.200.10.2", "7777", "10", "100"]))
    quiet(devs)
    s1 = veth_stats("lnb-s", "vs")
    expect_eq(s1["rx_packets"] - s0["rx_packets"], sent["count"],
              "firewalled datagrams that reached s's link")
    # 3. multicast to a group nobody joined: r's link takes it (c's only
    # neighbour), r's IP layer drops it before LOCAL_IN.
    m0 = veth_stats("lnb-r", "vrc")
    lnb.run(["ip", "netns", "exec", "lnb-c", "setpriv", "--reuid", "6006", "--regid", "6006",
             "--clear-groups", "python3", "-c", SEND, "239.1.2.3", "7778", "4", "64"])
    quiet(devs)
    m1 = veth_stats("lnb-r", "vrc")
    expect_eq(m1["rx_packets"] - m0["rx_packets"], 4, "multicast datagrams that reached r's link")
    table = lnb.proc_table()
    expect_eq(lnb.counters(table, lnb.UNATTR), lnb.counters(t0, lnb.UNATTR),
              "the unattributed record (nothing forwarded, dropped or foreign is in it)")
    expect_record(table, 6001, lnb.flow_expectation(t["client"], 4, "udp"), "forwarding client")
    expect_record(table, 6002, lnb.flow_expectation(t["server"], 4, "udp"), "forwarding server")
    expect_record(table, 6005, {"out_ipv4_udp_bytes": 10 * 128, "out_ipv4_udp_packets": 10},
                  "sender of the firewalled datagrams (its out only)")
    expect_record(table, 6006, {"out_ipv4_udp_bytes": 4 * 92, "out_ipv4_udp_packets": 4},
                  "sender of the multicast datagrams (its out only)")
    others = set(table) - set(t0) - {6001, 6002, 6005, 6006}
    expect(not others, "records nobody should have: %s" % sorted(others))


# Sends COUNT datagrams of SIZE bytes to ADDR:PORT (multicast: TTL 4).
SEND = r"""
import json, socket, sys
addr, port, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 4)
for _ in range(count):
    s.sendto(bytes(size), (addr, port))
print(json.dumps({"count": count}))
"""

# Client side of a TCP connection that ends in TIME_WAIT: connects, sends,
# closes first, waits for the server's FIN; prints its port.
TW_CLIENT = r"""
import json, socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
port = s.getsockname()[1]
s.sendall(b"x" * 1000)
s.shutdown(socket.SHUT_WR)
while s.recv(4096):
    pass
s.close()
print(json.dumps({"port": port}))
"""

TW_SERVER = r"""
import json, socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 0)); l.listen(1)
print(json.dumps({"port": l.getsockname()[1]}), flush=True)
c, _ = l.accept()
while c.recv(4096):
    pass
c.close()
"""

# From the server's namespace: one bare ACK to the client's TIME_WAIT
# socket (raw socket, IPv4 header by the kernel, TCP header by hand).
TW_POKE = r"""
import socket, struct, sys
src, dst, sport, dport = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
tcp = struct.pack("!HHIIBBHHH", sport, dport, 12345, 67890, 5 << 4, 0x10, 1024, 0, 0)
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
r.settimeout(60)
r.sendto(tcp, (dst, 0))
while True:     # until the TIME_WAIT socket's answer: this socket gets a copy
    pkt = r.recv(4096)
    hl = (pkt[0] & 15) * 4
    if struct.unpack("!HH", pkt[hl:hl + 4]) == (dport, sport):
        break
"""


@test
def segment_to_a_time_wait_socket_is_unattributed():
    p = lnb.Pair(quiet=True)
    server = subprocess.Popen(["ip", "netns", "exec", p.b, "setpriv", "--reuid", "6012",
                               "--regid", "6012", "--clear-groups", "python3", "-c", TW_SERVER,
                               p.b4], stdout=subprocess.PIPE, text=True)
    sport = json.loads(server.stdout.readline())["port"]
    client = json.loads(lnb.run(["ip", "netns", "exec", p.a, "setpriv", "--reuid", "6011",
                                 "--regid", "6011", "--clear-groups", "python3", "-c", TW_CLIENT,
                                 p.b4, str(sport)]))
    expect_eq(server.wait(timeout=60), 0, "TIME_WAIT server exit")
    tw = lnb.run(["ip", "netns", "exec", p.a, "ss", "-Htn", "state", "time-wait"])
    expect(str(client["port"]) in tw, "the client's socket is in TIME_WAIT: %r" % tw)
    p.wait_quiet(still=1.0)
    s0 = genl.Linubia().stats()
    lnb.run(["ip", "netns", "exec", p.b, "python3", "-c", TW_POKE, p.b4, p.a4, str(sport),
             str(client["port"])])
    p.wait_quiet(still=1.0)
    s1 = genl.Linubia().stats()
    # The poke (root's raw socket at b) finds the TIME_WAIT socket at a,
    # which answers the out-of-window ACK with an ACK (a's control socket);
    # at b the raw socket, still open, receives it (no TCP socket: b's
    # kernel resets it through its control socket); the RST finds the
    # TIME_WAIT socket again and ends it.
    got = {k: s1["unattributed_" + k] - s0["unattributed_" + k]
           for k in ("time_wait", "kernel", "no_socket")}
    expect_eq(got, {"time_wait": 2, "kernel": 2, "no_socket": 0},
              "unattributed packets by reason (poke, ACK, RST)")


# From c's link: the first fragment of an IPv6 UDP datagram whose other
# fragments never come (AF_PACKET: Ethernet, IPv6, fragment header, UDP).
FIRST_FRAGMENT = r"""
import socket, struct, sys
dev, src_mac, dst_mac, src, dst = sys.argv[1:6]
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
udp = struct.pack("!HHHH", 40000, 9, 8 + 3000, 0) + bytes(16)   # claims 3008 bytes
frag = struct.pack("!BBHI", 17, 0, 0 | 1, 0x4c4e4201)          # offset 0, more fragments
ip6 = struct.pack("!IHBB", 6 << 28, len(frag) + len(udp), 44, 64) + \
    socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
s.send(mac(dst_mac) + mac(src_mac) + struct.pack("!H", 0x86DD) + ip6 + frag + udp)
"""


def send_first_fragment():
    src_mac = ns("lnb-c", "cat /sys/class/net/vc/address").strip()
    dst_mac = ns("lnb-r", "cat /sys/class/net/vrc/address").strip()
    lnb.run(["ip", "netns", "exec", "lnb-c", "python3", "-c", FIRST_FRAGMENT, "vc", src_mac,
             dst_mac, "fd00:9::1", "fd00:10::2"])


@test
def loaded_module_makes_an_ipv6_router_reassemble():
    # The module enables nf_defrag_ipv6 in every namespace (ingress counts
    # datagrams after reassembly): a namespace forwarding IPv6 then holds
    # fragments until the datagram is whole.  Unloading undoes it.
    routed_pair()
    devs = (("lnb-c", "vc"), ("lnb-r", "vrc"), ("lnb-r", "vrs"), ("lnb-s", "vs"))
    ns("lnb-r", "ip neigh replace fd00:10::2 lladdr %s dev vrs nud permanent"
       % ns("lnb-s", "cat /sys/class/net/vs/address").strip())
    quiet(devs)
    for loaded, forwarded in ((True, 0), (False, 1)):
        if not loaded:
            lnb.unload_module()
        r0, s0 = veth_stats("lnb-r", "vrc"), veth_stats("lnb-s", "vs")
        send_first_fragment()
        quiet(devs)
        r1, s1 = veth_stats("lnb-r", "vrc"), veth_stats("lnb-s", "vs")
        expect_eq(r1["rx_packets"] - r0["rx_packets"], 1, "the fragment reached the router")
        expect_eq(s1["rx_packets"] - s0["rx_packets"], forwarded,
                  "a lone first fragment forwarded with the module %s"
                  % ("loaded (held for reassembly)" if loaded else "unloaded"))
