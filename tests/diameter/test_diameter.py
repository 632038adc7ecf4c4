# SPDX-License-Identifier: GPL-2.0-only
"""End-to-end test of linubia-diameter against a real Diameter server:
freeDiameterd with freeDiameter's own app_acct storing every ACR in a
private PostgreSQL 15, over the kernel module in the QEMU guest (`make
test-diameter`) or the eBPF backend natively (`make test-diameter-ebpf`).
Server(s) and client live in network namespaces made here; traffic of
three users comes from the traffic tool; every row is checked AVP by AVP
against `linubia show --json` (the AVPs' sums computed here from the raw
counters) and the tool's ground truth; a tshark capture of everything is
decoded at the end as an independent parser.  One scenario, steps in
order; one line per step and 'N passed, N failed'.
Over the module (in the guest) only KMOD_STEPS run unless steps are named
or LINUBIA_DIAMETER_ALL=1.
Usage: test_diameter.py [--backend kmod|ebpf] [step ...]"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "snmp"))
import backends  # noqa: E402
import diaenv  # noqa: E402
from diaenv import CLI_NS, CLIENT_ID, REALM, lnb  # noqa: E402
from runner import run_each, summary  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
INTERVAL = 3          # test-only Acct-Interim-Interval, s
SERVER_INTERVAL = 8   # the one a server sends in server_interval_wins
SERVER_SENT_INTERVAL = False
SCAN = 1
ANSWER_TIMEOUT = 3
LINKS = {"s1": ("lnbd-s1", "lnbd-c1", "lnbd-v1", "10.200.241.1", "10.200.241.2"),
         "s2": ("lnbd-s2", "lnbd-c2", "lnbd-v2", "10.200.242.1", "10.200.242.2")}
START, INTERIM, STOP = 2, 3, 4
NOBODY = 65534        # the unprivileged client's user and group
READ_GID = 4711       # the module's read group while the test runs
NTP_EPOCH = 2208988800
BE = None
# per uid: what the backend no longer holds since a reset, in AVPs
RESET_OFFSET = {}


class Uids:
    """The test's users: client and server of three flows."""
    kmod = ((1001, 1002, 1003), (2001, 2002, 2003), 0)
    ebpf = ((43101, 43102, 43103), (44101, 44102, 44103), 196)


def sh(cmd, check=True):
    return lnb.run(cmd, check=check)


class World:
    """Namespaces, PostgreSQL, two servers, the capture and the client.
    unprivileged (over the module, in the guest): the client runs as
    nobody with no capability, in the module's read group, in the initial
    network namespace (where the module serves every user's record to the
    group) with the client's ends of the links there (the guest's own
    namespace: a private machine); otherwise as root, speaking Diameter
    from CLI_NS through its netns setting."""

    def __init__(self, unprivileged=False):
        self.dir = tempfile.mkdtemp(prefix="lnbd-test-")
        os.chmod(self.dir, 0o755)
        self.client = self.capture = None
        self.made_ns = []
        self.unprivileged = unprivileged
        self.read_gid_set = False
        # the spool on a small file system of its own: the full-disk step
        # fills it
        self.spool = os.path.join(self.dir, "spool")
        os.mkdir(self.spool)
        owner = ",uid=%d,gid=%d" % (NOBODY, NOBODY) if unprivileged else ""
        sh(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700" + owner, "lnbd-spool", self.spool])
        self.spool_mounted = True
        self.conf = os.path.join(self.dir, "linubia-diameter.conf")
        self.log = os.path.join(self.dir, "client.log")
        run = os.path.join(self.dir, "run")
        os.mkdir(run)
        if unprivileged:
            os.chown(run, NOBODY, NOBODY)
        self.pidfile = os.path.join(run, "client.pid")
        self.cli_ns = [] if unprivileged else [CLI_NS]
        in_cli = [] if unprivileged else ["-n", CLI_NS]
        for ns in self.cli_ns + [v[0] for v in LINKS.values()]:
            sh(["ip", "netns", "add", ns])
            self.made_ns.append(ns)
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        for ns, cdev, sdev, caddr, saddr in LINKS.values():
            sh(["ip", "link", "add", cdev] + (["netns", CLI_NS] if self.cli_ns else []) +
               ["type", "veth", "peer", "name", sdev, "netns", ns])
            sh(["ip"] + in_cli + ["addr", "add", caddr + "/24", "dev", cdev])
            sh(["ip", "-n", ns, "addr", "add", saddr + "/24", "dev", sdev])
            sh(["ip"] + in_cli + ["link", "set", cdev, "up"])
            sh(["ip", "-n", ns, "link", "set", sdev, "up"])
        if unprivileged:
            import genl  # tests/kmod, on the path through diaenv
            genl.Linubia().set_config(read_gid=READ_GID)
            self.read_gid_set = True
        self.pg = diaenv.Postgres(self.dir)
        diaenv.create_table(self.pg)
        self.servers = {name: diaenv.Server(self.dir, name, v[0], v[4], self.pg)
                        for name, v in LINKS.items()}
        self.pcap = os.path.join(self.dir, "diameter.pcapng")
        self.write_conf()

    def write_conf(self, peers=None, **extra):
        """The client's settings; peers: the LINKS names to list (all)."""
        settings = {"identity": CLIENT_ID, "realm": REALM, "destination_realm": REALM,
                    "interval": INTERVAL, "scan": SCAN, "retry": 1, "reconnect": 1,
                    "watchdog": 6, "answer_timeout": ANSWER_TIMEOUT, "spool_dir": self.spool,
                    "pid_file": self.pidfile}
        if self.cli_ns:
            settings["netns"] = CLI_NS
        settings.update(extra)
        with open(self.conf, "w") as f:
            f.write("# written by test_diameter.py\n")
            for k, v in settings.items():
                f.write("%s %s\n" % (k, v))
            for name, v in LINKS.items():
                if peers is None or name in peers:
                    f.write("peer %s.%s %s\n" % (name, REALM, v[4]))

    def in_cli_ns(self):
        """Command prefix: run in the client's network namespace."""
        return ["ip", "netns", "exec", CLI_NS] if self.cli_ns else []

    def dumpcap(self, pcap, port, ifaces):
        """dumpcap of TCP port on the client's ifaces into pcap, running."""
        args = [a for i in ifaces for a in ("-i", i)]
        cap = subprocess.Popen(
            self.in_cli_ns() + ["dumpcap", "-q"] + args + ["-f", "tcp port %d" % port,
                                                           "-w", pcap],
            stdout=subprocess.DEVNULL, stderr=open(pcap + ".log", "w"))
        lnb.wait_for(lambda: "Capturing" in open(pcap + ".log").read() or
                     cap.poll() is not None, "dumpcap started", 60)
        lnb.expect(cap.poll() is None, "dumpcap: %s" % open(pcap + ".log").read())
        return cap

    def start_capture(self):
        # every Diameter packet the client exchanges, on both links
        self.capture = self.dumpcap(self.pcap, 3868, ("lnbd-c1", "lnbd-c2"))

    def stop_capture(self):
        if self.capture:
            self.capture.send_signal(signal.SIGINT)
            self.capture.wait(timeout=60)
            self.capture = None

    def start_client(self, prefix=()):
        starts = self.log_text().count("started as")
        # the client reads the counters here (the module serves every
        # user's record in the initial network namespace only) and speaks
        # Diameter from CLI_NS ("netns" setting) or from here
        drop = []
        if self.unprivileged:
            drop = ["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY), "--groups",
                    str(READ_GID), "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
        self.client = subprocess.Popen(
            drop + list(prefix) + [diaenv.DIAMETER, "-f", "-v", "-c", self.conf],
            stdout=subprocess.DEVNULL, stderr=open(self.log, "a"))
        lnb.wait_for(lambda: self.log_text().count("started as") > starts or
                     self.client.poll() is not None, "the client started", 120)
        lnb.expect(self.client.poll() is None, "the client exited: %s" % self.log_text()[-2000:])
        if self.unprivileged:
            status = open("/proc/%d/status" % self.client.pid).read()
            got = [re.search(r"^%s:\s*(.*)$" % k, status, re.M).group(1).split()
                   for k in ("Uid", "Groups", "CapEff", "CapPrm")]
            want = [[str(NOBODY)] * 4, [str(READ_GID)], ["0" * 16], ["0" * 16]]
            lnb.expect_eq(got, want, "the client's Uid, Groups, CapEff, CapPrm")

    def stop_client(self, sig=signal.SIGTERM):
        rc = None
        if self.client:
            self.client.send_signal(sig)
            rc = self.client.wait(timeout=120)
            self.client = None
        return rc

    def log_text(self):
        return open(self.log).read() if os.path.exists(self.log) else ""

    def close(self):
        self.stop_client(signal.SIGKILL)
        for s in self.servers.values():
            s.stop(signal.SIGKILL)
        self.stop_capture()
        self.pg.stop()
        if self.spool_mounted:
            sh(["umount", self.spool], check=False)
            self.spool_mounted = False
        if self.read_gid_set:
            import genl
            genl.Linubia().set_config(read_gid=genl.uapi.NO_GID)
            self.read_gid_set = False
        for ns in self.made_ns:
            sh(["ip", "netns", "del", ns], check=False)


# Reading PostgreSQL -------------------------------------------------------------

ROW_COLS = ["convert_from(session_id, 'UTF8')", "record_type", "record_number",
            "convert_from(user_name, 'UTF8')",
            "('x' || encode(event_timestamp, 'hex'))::bit(32)::bigint",
            "coalesce(acct_interim_interval, 0)", "convert_from(recorded_serv, 'UTF8')",
            "convert_from(origin_host, 'UTF8')"]


def rows(w, uid=None):
    """Every stored ACR (of uid's sessions), in arrival order, as dicts."""
    names = [diaenv.COLUMN[n] for _, n, _, _ in diaenv.AVPS]
    where = ""
    if uid is not None:
        where = "WHERE convert_from(session_id, 'UTF8') LIKE '%%;%d'" % uid
    out = []
    for r in w.pg.sql("SELECT %s, %s FROM %s %s ORDER BY recorded_on, record_number"
                      % (", ".join(ROW_COLS), ", ".join(names), diaenv.TABLE, where)):
        d = {"sid": r[0], "type": int(r[1]), "recno": int(r[2]), "user": r[3],
             "ts": int(r[4]) - NTP_EPOCH, "interval": int(r[5]), "server": r[6],
             "origin": r[7]}
        d["avps"] = {n: int(v) for (_, n, _, _), v in zip(diaenv.AVPS, r[len(ROW_COLS):])}
        out.append(d)
    return out


def sessions(w, uid):
    """{sid: {recno: row}} of uid; a duplicate (same key twice) must be an
    identical re-send, and is kept once (the server-side key)."""
    out = {}
    for r in rows(w, uid):
        s = out.setdefault(r["sid"], {})
        if r["recno"] in s:
            a, b = s[r["recno"]], r
            lnb.expect(a["type"] == b["type"] and a["avps"] == b["avps"] and a["ts"] == b["ts"],
                       "uid %d: %s record %d stored twice with different contents:\n%r\n%r"
                       % (uid, r["sid"], r["recno"], a, b))
        else:
            s[r["recno"]] = r
    return out


def check_session(uid, sid, recs, what):
    """Record numbers 0..n without a gap, START first, STOP only last,
    values never going down, the user's name or UID."""
    nums = sorted(recs)
    lnb.expect_eq(nums, list(range(len(nums))), "%s: record numbers of %s" % (what, sid))
    lnb.expect_eq(recs[0]["type"], START, "%s: record 0 of %s is a START" % (what, sid))
    for n in nums[1:-1]:
        lnb.expect_eq(recs[n]["type"], INTERIM, "%s: record %d of %s" % (what, n, sid))
    prev = None
    for n in nums:
        r = recs[n]
        lnb.expect_eq(r["user"], str(uid), "%s: User-Name of uid %d" % (what, uid))
        lnb.expect_eq(r["origin"], CLIENT_ID, "%s: Origin-Host" % what)
        want = {0} if r["type"] == STOP else {INTERVAL}
        if SERVER_SENT_INTERVAL and r["type"] != STOP:
            want.add(SERVER_INTERVAL)
        lnb.expect(r["interval"] in want, "%s: Acct-Interim-Interval of record %d of %s: %d, "
                   "not one of %r" % (what, n, sid, r["interval"], sorted(want)))
        if prev:
            for k, v in r["avps"].items():
                lnb.expect(v >= prev["avps"][k], "%s: %s went down in record %d of %s"
                           % (what, k, n, sid))
            lnb.expect(r["ts"] >= prev["ts"], "%s: Event-Timestamp went back" % what)
        prev = r


def latest(recs):
    return recs[max(recs)]


def kernel():
    """The test's users' counters as `linubia show --json` gives them."""
    t = backends.table()
    return {uid: lnb.counters(t, uid) for uid in all_uids()}


def all_uids():
    return list(BE_UIDS[0]) + list(BE_UIDS[1])


def live_sessions(w, uid):
    """[(sid, records)] of uid's sessions that have no STOP yet."""
    return [(sid, recs) for sid, recs in sessions(w, uid).items()
            if latest(recs)["type"] != STOP]


def open_session(w, uid):
    """(sid, records) of uid's session that has no STOP yet (exactly one)."""
    live = live_sessions(w, uid)
    lnb.expect_eq(len(live), 1, "open sessions of uid %d" % uid)
    return live[0]


def client_all_answered(w):
    """The client has no record unanswered: it logged 'all answered' after
    its last 'records spooled'.  Until then the server may lack a record
    that waits for its re-send while newer ones were answered (a gap)."""
    text = w.log_text()
    return text.rfind("all answered:") > text.rfind("records spooled")


def wait_server_equals_kernel(w, uids, what, timeout=90.0):
    """Until the client has every record answered and, for each uid, the
    newest record of its open session carries exactly the backend's
    counters (traffic is over: they do not move)."""
    deadline = time.monotonic() + timeout
    while True:
        k = kernel()
        diffs = [] if client_all_answered(w) else ["the client has records unanswered"]
        for uid in uids:
            live = live_sessions(w, uid)
            if len(live) != 1:
                diffs.append("uid %d: %d open sessions" % (uid, len(live)))
                continue
            sid, recs = live[0]
            nums = sorted(recs)
            if nums != list(range(len(nums))):
                diffs.append("uid %d: records %r of %s have a gap" % (uid, nums, sid))
                continue
            total = expected_total(k, uid)
            # the sessions that ended before this one carried the rest
            for osid, orecs in sessions(w, uid).items():
                if osid != sid:
                    for name, v in latest(orecs)["avps"].items():
                        total[name] -= v
            got = latest(recs)["avps"]
            bad = ["%s %d != %d" % (n, got[n], total[n]) for n in total if got[n] != total[n]]
            if bad:
                diffs.append("uid %d (%s, record %d): %s" % (uid, sid, max(recs),
                                                             "; ".join(bad[:4])))
        if not diffs:
            return k
        if time.monotonic() > deadline:
            raise lnb.Failure("%s: the server's newest records never equalled the backend "
                              "within %.0f s: %s" % (what, timeout, " | ".join(diffs[:6])))
        time.sleep(0.2)


def check_all_sessions(w, what):
    for uid in all_uids():
        for sid, recs in sessions(w, uid).items():
            check_session(uid, sid, recs, what)


def server_totals_exact(w, k, what):
    """Per user, the sum over sessions of each session's newest record
    equals the backend's counters (since the backend record began)."""
    for uid in all_uids():
        total = dict.fromkeys(diaenv.COLUMN, 0)
        for sid, recs in sessions(w, uid).items():
            for name, v in latest(recs)["avps"].items():
                total[name] += v
        lnb.expect_eq(total, expected_total(k, uid), "%s: server total of uid %d"
                      % (what, uid))


def expected_total(k, uid):
    """What all of uid's sessions together must carry: the backend's
    counters plus what resets took off them."""
    total = diaenv.expected_avps(k[uid])
    for n, v in RESET_OFFSET.get(uid, {}).items():
        total[n] += v
    return total


# The scenario ----------------------------------------------------------------

STEPS = []


def step(fn):
    STEPS.append(fn)
    return fn


def pair(st):
    if "pair" not in st:
        st["pair"] = lnb.Pair(n=BE_UIDS[2], quiet=True)
    return st["pair"]


def flow(st, i, proto, fam, size):
    """One flow of user i (client uid, server uid); retried while the
    ground truth is inexact (e.g. TCP retransmissions)."""
    cu, su = BE_UIDS[0][i], BE_UIDS[1][i]
    for attempt in range(3):
        extra = ("--bytes", size) if proto == "tcp" else ("--count", size)
        t = lnb.pair_flow(pair(st), proto, fam, cu, su, *extra)
        # the traffic tool says when its ground truth is inexact (older
        # builds: only through retransmission counts)
        exact = t.get("exact", not any(t[side] and t[side]["retrans"]
                                       for side in ("client", "server")))
        if exact:
            break
        if attempt == 2:
            raise lnb.Failure("ground truth inexact in every try: %s" % t.get("inexact"))
    pair(st).wait_quiet(still=1.0)
    return t


@step
def three_users_start_and_interim(w, st):
    w.start_capture()
    w.servers["s1"].start()
    w.start_client()
    flows = [(0, "tcp", 4, 200000), (1, "udp", 6, 20), (2, "tcp", 6, 150000)]
    st["flows"] = [(i, fam, proto, flow(st, i, proto, fam, size)) for i, proto, fam, size in flows]
    k = wait_server_equals_kernel(w, all_uids(), "three users")
    # the backend agrees with the traffic tool, so the server does too
    for i, fam, proto, t in st["flows"]:
        lnb.expect_flow(backends.table(), t, fam, proto, BE_UIDS[0][i], BE_UIDS[1][i],
                        "backend vs ground truth")
        sid, recs = open_session(w, BE_UIDS[0][i])
        exp = lnb.flow_expectation(t["client"], fam, proto)
        got = latest(recs)["avps"]
        lnb.expect_eq(got["Accounting-Input-Octets"], sum(v for n, v in exp.items()
                                                          if n.startswith("out_") and n.endswith("_bytes")),
                      "uid %d: Accounting-Input-Octets = what the user sent" % BE_UIDS[0][i])
        lnb.expect_eq(got["Accounting-Output-Packets"], sum(v for n, v in exp.items()
                                                            if n.startswith("in_") and n.endswith("_packets")),
                      "uid %d: Accounting-Output-Packets = what the user received" % BE_UIDS[0][i])
        code = "Linux-Input-IPV%d-%s-Octets" % (fam, proto.upper())
        lnb.expect_eq(got[code], exp["out_ipv%d_%s_bytes" % (fam, proto)],
                      "uid %d: %s vs ground truth" % (BE_UIDS[0][i], code))
    check_all_sessions(w, "three users")
    before = time.time()
    stamps = [r["ts"] for uid in all_uids() for r in rows(w, uid)]
    now = time.time()
    for ts in stamps:
        lnb.expect(before - 600 < ts <= now, "Event-Timestamp %d is now (%.0f)" % (ts, now))
    # one session per user so far, and it has reached INTERIMs
    for uid in all_uids():
        lnb.expect_eq(len(sessions(w, uid)), 1, "sessions of uid %d" % uid)
    wait_interims(w, BE_UIDS[0][0], 1)
    st["k"] = k


def wait_interims(w, uid, n, timeout=60.0):
    lnb.wait_for(lambda: max(open_session(w, uid)[1]) >= n,
                 "uid %d's session reaching record %d" % (uid, n), timeout)


@step
def server_down_for_three_intervals(w, st):
    uid = BE_UIDS[0][0]
    sid, recs = open_session(w, uid)
    before = max(recs)
    w.servers["s1"].stop()
    lnb.wait_for(lambda: "no peer open" in w.log_text(), "the client noticing the outage", 60)
    stopped = time.monotonic()
    flow(st, 0, "udp", 4, 10)   # traffic while the server is away
    # the outage is the scenario itself: three intervals and a scan
    lnb.wait_for(lambda: time.monotonic() - stopped >= 3 * INTERVAL + SCAN,
                 "three intervals", 60)
    w.servers["s1"].start()
    k = wait_server_equals_kernel(w, all_uids(), "after the outage")
    sid2, recs = open_session(w, uid)
    lnb.expect_eq(sid2, sid, "the session continued")
    lnb.expect(max(recs) >= before + 3, "INTERIMs made during the outage arrived (records %d "
               "-> %d)" % (before, max(recs)))
    check_all_sessions(w, "after the outage")
    server_totals_exact(w, k, "after the outage")


@step
def server_without_answers_gets_resends(w, st):
    st["resends_expected"] = True
    # app_acct answers nothing when the database refuses the row
    w.pg.sql("ALTER TABLE %s ADD CONSTRAINT lnbd_refuse CHECK (false) NOT VALID" % diaenv.TABLE)
    flow(st, 1, "udp", 6, 5)
    n0 = w.log_text().count("no answer to an Accounting-Request")
    lnb.wait_for(lambda: w.log_text().count("no answer to an Accounting-Request") > n0,
                 "the client's answer timeout", 60)
    w.pg.sql("ALTER TABLE %s DROP CONSTRAINT lnbd_refuse" % diaenv.TABLE)
    k = wait_server_equals_kernel(w, all_uids(), "after the refusals")
    check_all_sessions(w, "after the refusals")
    server_totals_exact(w, k, "after the refusals")


@step
def client_sigkill_replays_spool(w, st):
    uid = BE_UIDS[0][2]
    sid, _ = open_session(w, uid)
    w.servers["s1"].stop()
    lnb.wait_for(lambda: "no peer open" in w.log_text(), "the client noticing the outage", 60)
    flow(st, 2, "tcp", 6, 50000)
    # a record of the new traffic is in the spool, unanswered, then SIGKILL
    n0 = w.log_text().count("records spooled")
    lnb.wait_for(lambda: w.log_text().count("records spooled") >= n0 + 2,
                 "records spooled after the traffic", 60)
    rc = w.stop_client(signal.SIGKILL)
    lnb.expect_eq(rc, -signal.SIGKILL, "client killed")
    st["valgrind"] = os.path.join(w.dir, "valgrind.log")
    # fair scheduling: freeDiameter's shutdown gives its threads 20 ms to
    # leave a queue (fifo.c), which valgrind's default scheduler can miss
    w.start_client(prefix=["valgrind", "-q", "--fair-sched=yes", "--log-file=" + st["valgrind"],
                           "--suppressions=" + os.path.join(HERE, "valgrind.supp"),
                           "--error-exitcode=99", "--leak-check=full",
                           "--errors-for-leak-kinds=definite,indirect"])
    lnb.expect(re.search(r"started as \S+: \d+ sessions and [1-9]\d* unanswered", w.log_text()),
               "the restarted client found unanswered records in the spool")
    w.servers["s1"].start()
    k = wait_server_equals_kernel(w, all_uids(), "after SIGKILL", timeout=120)
    lnb.expect_eq(open_session(w, uid)[0], sid, "the session continued after SIGKILL")
    check_all_sessions(w, "after SIGKILL")
    server_totals_exact(w, k, "after SIGKILL")


@step
def reset_one_user_stop_and_start(w, st):
    uid = BE_UIDS[0][1]
    sid, recs = open_session(w, uid)
    before = kernel()[uid]
    backends.cli("reset", "--uid", uid)
    RESET_OFFSET[uid] = diaenv.expected_avps(before)
    lnb.wait_for(lambda: latest(sessions(w, uid)[sid])["type"] == STOP,
                 "STOP of uid %d's session after the reset" % uid, 60)
    stop = latest(sessions(w, uid)[sid])
    lnb.expect_eq(stop["avps"], diaenv.expected_avps(before),
                  "the STOP carries the values read before the reset")
    flow(st, 1, "udp", 4, 7)
    k = wait_server_equals_kernel(w, all_uids(), "after the reset")
    lnb.expect_eq(len(sessions(w, uid)), 2, "uid %d: a new session after the reset" % uid)
    new_sid, new = open_session(w, uid)
    lnb.expect(new_sid != sid, "a new Session-Id")
    lnb.expect_eq(new[0]["avps"], diaenv.expected_avps(lnb.counters({}, uid)),
                  "the new session's START starts from zero")
    # server-side sum: before the reset + since the reset
    got = {n: stop["avps"][n] + latest(new)["avps"][n] for n in stop["avps"]}
    want = {n: v + diaenv.expected_avps(k[uid])[n]
            for n, v in diaenv.expected_avps(before).items()}
    lnb.expect_eq(got, want, "uid %d: server-side sum across the reset" % uid)
    check_all_sessions(w, "after the reset")


@step
def failover_to_second_server(w, st):
    w.servers["s2"].start()
    lnb.wait_for(lambda: "'STATE_OPEN'\t's2.%s'" % REALM in w.log_text() or
                 "-> 'STATE_OPEN'\t's2" in w.log_text(), "the client connected to s2", 60)
    w.servers["s1"].stop(signal.SIGKILL)
    flow(st, 0, "tcp", 4, 80000)
    k = wait_server_equals_kernel(w, all_uids(), "after failover")
    uid = BE_UIDS[0][0]
    lnb.expect_eq(latest(open_session(w, uid)[1])["server"], "s2.%s" % REALM,
                  "records after the failover stored by s2")
    check_all_sessions(w, "after failover")
    server_totals_exact(w, k, "after failover")
    st["k"] = k


@step
def sighup_reload_and_sigusr1_stats(w, st):
    w.write_conf(interval=INTERVAL, scan=SCAN, bogus=1)
    w.client.send_signal(signal.SIGHUP)
    lnb.wait_for(lambda: "reloading %s failed: keeping the old settings" % w.conf in
                 w.log_text(), "a bad reload refused", 60)
    w.write_conf()
    w.client.send_signal(signal.SIGHUP)
    lnb.wait_for(lambda: "linubia-diameter: reloaded %s (interval %d s" % (w.conf, INTERVAL) in
                 w.log_text(), "the reload", 60)
    w.client.send_signal(signal.SIGUSR1)
    lnb.wait_for(lambda: re.search(r"sessions \d+, waiting \d+, in flight \d+, made \d+, "
                                   r"answered [1-9]\d*", w.log_text()), "the counters logged", 60)
    lnb.expect(w.client.poll() is None, "the client runs on")


@step
def clean_stop_sends_stops(w, st):
    lnb.expect_eq(int(open(w.pidfile).read()), w.client.pid, "pid file")
    k = kernel()
    rc = w.stop_client()
    lnb.expect_eq(rc, 0, "exit status after SIGTERM")
    lnb.expect(not os.path.exists(w.pidfile), "pid file removed")
    for uid in all_uids():
        for sid, recs in sessions(w, uid).items():
            lnb.expect_eq(latest(recs)["type"], STOP, "uid %d: %s ends with a STOP" % (uid, sid))
    check_all_sessions(w, "after the clean stop")
    server_totals_exact(w, k, "after the clean stop")
    if "valgrind" in st:
        # valgrind 3.19 does not know BPF_MAP_LOOKUP_BATCH (as test_snmp.py)
        log = "".join(l for l in open(st["valgrind"])
                      if not re.match(r"--\d+-- WARNING: unhandled eBPF command 24$", l))
        lnb.expect(not log.strip(), "valgrind:\n" + log[-3000:])


def run_client(w, *args, conf_text=None):
    """linubia-diameter with bad input: (exit status, stderr)."""
    if conf_text is not None:
        path = os.path.join(w.dir, "bad.conf")
        with open(path, "w") as f:
            f.write(conf_text)
        args = args + ("-c", path)
    p = subprocess.run([diaenv.DIAMETER] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


@step
def bad_input_refused(w, st):
    good = open(w.conf).read()
    cases = [
        (("-x",), None, 2, r"usage: linubia-diameter"),
        (("-t",), good + "intervall 5\n", 1, r"bad\.conf:\d+: unknown setting \"intervall\""),
        (("-t",), good + "interval 5s\n", 1, r"interval wants an integer in 1\.\.86400, not \"5s\""),
        (("-t",), good + "peer onlyname\n", 1, r"peer wants DIAMETER-ID HOST \[PORT\]"),
        (("-t",), good.replace("destination_realm", "#"), 1, r"destination_realm is missing"),
        (("-t",), good.replace("identity client", "identity cli\"ent"), 1,
         r"identity \"cli\"ent\.lnbd\.test\" is not a host or realm name"),
        (("-t",), good, 0, r"OK"),
        (("-t", "-c", os.path.join(diaenv.REPO, "conf", "linubia-diameter.conf")), None, 0,
         r"linubia-diameter\.conf: OK"),
    ]
    for args, text, rc, pattern in cases:
        got_rc, out = run_client(w, *args, conf_text=text)
        lnb.expect(got_rc == rc and re.search(pattern, out),
                   "%s: expected exit %d and /%s/, got %d: %r" % (args, rc, pattern, got_rc, out))
    # a spool directory holding something else is refused, and left alone
    other = os.path.join(w.dir, "not-a-spool")
    os.mkdir(other)
    with open(os.path.join(other, "journal"), "w") as f:
        f.write("precious data\n")
    got_rc, out = run_client(w, "-f", conf_text=good.replace(w.spool, other))
    lnb.expect(got_rc == 1 and "is not a linubia-diameter spool" in out,
               "foreign spool: exit %d: %r" % (got_rc, out))
    lnb.expect_eq(open(os.path.join(other, "journal")).read(), "precious data\n",
                  "the foreign file untouched")


def client_while(w, what, pattern, **conf):
    """Run the client with conf until its log matches pattern, then stop it
    cleanly (what it could not deliver stays in the spool)."""
    w.write_conf(**conf)
    n0 = len(re.findall(pattern, w.log_text()))
    w.start_client()
    lnb.wait_for(lambda: len(re.findall(pattern, w.log_text())) > n0, what, 60)
    lnb.expect_eq(w.stop_client(), 0, "exit status after SIGTERM")
    w.write_conf()


@step
def wrong_realm_and_error_answers_lose_nothing(w, st):
    flow(st, 0, "udp", 6, 3)
    client_while(w, "the wrong realm reported",
                 r"no open peer serves realm elsewhere\.test \(check destination_realm",
                 destination_realm="elsewhere.test")
    s2 = w.servers["s2"]
    s2.stop()
    s2.configure(nasreq=False)   # knows no Accounting-Input-Octets: answers 5001
    s2.start()
    flow(st, 2, "tcp", 4, 30000)
    client_while(w, "the error answer reported",
                 r"the server answered 5001 DIAMETER_AVP_UNSUPPORTED to an Accounting-Request "
                 r"\(record kept")
    s2.stop()
    s2.configure()
    s2.start()
    w.start_client()
    k = wait_server_equals_kernel(w, all_uids(), "after the refused records")
    check_all_sessions(w, "after the refused records")
    server_totals_exact(w, k, "after the refused records")


@step
def full_spool_disk_loses_nothing_spooled(w, st):
    n0 = w.log_text().count("no peer open")
    w.servers["s2"].stop()
    lnb.wait_for(lambda: w.log_text().count("no peer open") > n0, "the client noticing", 60)
    # leave a few KiB free on the spool's file system
    filler = os.path.join(w.spool, "filler")
    free = os.statvfs(w.spool)
    sh(["fallocate", "-l", str(max(0, free.f_bavail * free.f_frsize - 6000)), filler])
    n0 = w.log_text().count("No space left on device")
    flow(st, 1, "tcp", 4, 60000)
    lnb.wait_for(lambda: w.log_text().count("No space left on device") > n0,
                 "the client reporting the full disk", 60)
    os.unlink(filler)
    w.servers["s2"].start()
    k = wait_server_equals_kernel(w, all_uids(), "after the full disk")
    check_all_sessions(w, "after the full disk")
    server_totals_exact(w, k, "after the full disk")
    lnb.expect_eq(w.stop_client(), 0, "exit status after SIGTERM")


@step
def tls_both_ways_checked(w, st):
    """The client's own TLS settings (tls_cert, tls_key, tls_ca) against a
    server that takes TLS clients only: its own certificate from a CA it
    does not trust stops it; a server with such a certificate gets no
    record (they wait in the spool); the right server gets them all, with
    TLS from the first byte on the wire and no Diameter in clear."""
    pki, rogue = diaenv.Pki(w.dir), diaenv.Pki(w.dir, "rogue-ca")
    s1 = w.servers["s1"]
    w.servers["s2"].stop()
    pcap = os.path.join(w.dir, "tls.pcapng")
    cap = w.dumpcap(pcap, 5658, ("lnbd-c1",))
    try:
        flow(st, 0, "tcp", 6, 40000)
        # the client's own certificate from a CA its tls_ca does not hold:
        # it says so and stops
        cert, key = rogue.issue(CLIENT_ID)
        w.write_conf(peers=["s1"], tls_cert=cert, tls_key=key, tls_ca=pki.ca)
        rc, out = run_client(w, "-f", conf_text=open(w.conf).read())
        lnb.expect(rc == 1 and "hasn't got a known issuer" in out,
                   "own certificate from another CA: exit %d: %r" % (rc, out[-1500:]))
        # a server whose certificate that CA did not sign: no record goes
        # to it, they wait in the spool
        s1.configure(tls=rogue)
        s1.start()
        n_rows = len(rows(w))
        cert, key = pki.issue(CLIENT_ID)
        client_while(w, "the rogue server refused",
                     r"Remote certificate invalid on socket \d+ .*\n.*hasn't got a known issuer",
                     peers=["s1"], tls_cert=cert, tls_key=key, tls_ca=pki.ca)
        lnb.expect_eq(len(rows(w)), n_rows, "rows stored by the rogue server")
        s1.stop()
        s1.configure(tls=pki)
        s1.start()
        w.write_conf(peers=["s1"], tls_cert=cert, tls_key=key, tls_ca=pki.ca)
        w.start_client()
        k = wait_server_equals_kernel(w, all_uids(), "over TLS")
        uid = BE_UIDS[0][0]
        lnb.expect_eq(latest(open_session(w, uid)[1])["server"], s1.ident,
                      "records over TLS stored by s1")
        check_all_sessions(w, "over TLS")
        server_totals_exact(w, k, "over TLS")
        lnb.expect_eq(w.stop_client(), 0, "exit status after SIGTERM")
    finally:
        cap.send_signal(signal.SIGINT)
        cap.wait(timeout=60)
    w.write_conf()
    hello = tshark(w, "-d", "tcp.port==5658,tls", "-Y", "tls.handshake.type == 1", pcap=pcap)
    data = tshark(w, "-d", "tcp.port==5658,tls", "-Y", "tls.app_data", pcap=pcap)
    lnb.expect(hello.strip() and data.strip(), "TLS ClientHello and application data on "
               "port 5658:\n%s\n%s" % (hello[:1000], data[:1000]))
    raw = open(pcap, "rb").read()
    lnb.expect(CLIENT_ID.encode() not in raw and b";%d" % uid not in raw,
               "the client's Origin-Host or a Session-Id in clear on the TLS link")


@step
def server_interval_wins(w, st):
    """A server whose answers carry Acct-Interim-Interval (app_acct with
    the test patch of build-app-acct.sh): a session it answered goes on at
    the server's interval, not the configured one (RFC 6733 9.8.2), and
    its records say so."""
    global SERVER_SENT_INTERVAL
    s1 = w.servers["s1"]
    s1.stop()
    s1.configure()
    SERVER_SENT_INTERVAL = True
    s1.start(env={"LNB_TEST_ACA_INTERIM_INTERVAL": str(SERVER_INTERVAL)})
    w.write_conf(peers=["s1"])
    w.start_client()
    uid = BE_UIDS[0][0]

    def live():
        out = live_sessions(w, uid)
        return out[0] if out else (None, {})
    # records made before the first answer carry the configured interval
    # (the peer may open seconds after the start): wait for two after it
    def two_after():
        recs = live()[1]
        return sorted(recs) == list(range(len(recs))) and \
            sum(r["interval"] == SERVER_INTERVAL for r in recs.values()) >= 2
    lnb.wait_for(two_after, "two records of uid %d's new session at the server's interval"
                 % uid, 90)
    sid, recs = live()
    seq = [recs[n]["interval"] for n in sorted(recs)]
    k = seq.index(SERVER_INTERVAL)
    lnb.expect(k >= 1 and seq == [INTERVAL] * k + [SERVER_INTERVAL] * (len(seq) - k),
               "%s: Acct-Interim-Interval of records 0..%d: %r (configured %d, then the "
               "server's %d for good)" % (sid, len(seq) - 1, seq, INTERVAL, SERVER_INTERVAL))
    # made at a scan (every SCAN s) once due: at most a scan late, and the
    # configured interval would give at most INTERVAL + SCAN
    gap = recs[k + 1]["ts"] - recs[k]["ts"]
    lnb.expect(gap >= SERVER_INTERVAL - 2 * SCAN, "%s: records %d and %d %d s apart, the "
               "server said %d s (configured: %d s)" % (sid, k, k + 1, gap, SERVER_INTERVAL,
                                                        INTERVAL))
    counters = kernel()
    lnb.expect_eq(w.stop_client(), 0, "exit status after SIGTERM")
    check_all_sessions(w, "after the server's interval")
    server_totals_exact(w, counters, "after the server's interval")
    w.write_conf()


def tshark(w, *args, pcap=None):
    """tshark's output on the scenario's capture (or pcap)."""
    return lnb.run(["tshark", "-n", "-r", pcap or w.pcap] + list(args))


def acrs_on_the_wire(w):
    """Every Accounting-Request in the capture, in wire order, as dicts:
    frame, TCP stream, header fields and {AVP code: (flags, value)}.  One
    TCP segment may carry several messages (an ACA and a DPR or DWR from the
    server, say), so tshark's verbose text is split per message: a display
    filter and one field per frame would take such an ACA for a request."""
    text = tshark(w, "-Y", "diameter.cmd.code == 271 && diameter.flags.request == 1", "-V")
    out = []
    for frame in text.split("\nFrame ")[1:]:
        num = int(re.match(r"\s*(\d+)", frame).group(1))
        stream = re.search(r"^    \[Stream index: (\d+)\]$", frame, re.M).group(1)
        for msg in frame.split("Diameter Protocol")[1:]:
            flags = int(re.search(r"^    Flags: (0x[0-9a-f]+)", msg, re.M).group(1), 16)
            code = re.search(r"^    Command Code: .*\((\d+)\)$", msg, re.M).group(1)
            if code != "271" or not flags & 0x80:
                continue
            avps = re.findall(r"^    AVP: \S*?\((\d+)\) l=\d+ f=(\S+) val=(.*)$", msg, re.M)
            out.append({
                "frame": num, "stream": stream, "t": bool(flags & 0x10),
                "app": re.search(r"^    ApplicationId: .*\((\d+)\)$", msg, re.M).group(1),
                "hbh": re.search(r"^    Hop-by-Hop Identifier: (\S+)$", msg, re.M).group(1),
                "e2e": re.search(r"^    End-to-End Identifier: (\S+)$", msg, re.M).group(1),
                "avps": {int(c): (f, v) for c, f, v in avps}})
    return out


@step
def capture_decodes_cleanly(w, st):
    w.stop_capture()
    bad = tshark(w, "-Y", "_ws.malformed || _ws.expert.severity == error")
    lnb.expect(not bad.strip(), "tshark found malformed or erroneous packets:\n" + bad[:3000])
    acrs = acrs_on_the_wire(w)
    lnb.expect(len(acrs) > 0, "ACRs in the capture")
    # A Diameter re-send carries the T flag and its first End-to-End
    # Identifier (RFC 6733 3).  The same message twice on one connection
    # (same stream and Hop-by-Hop Identifier) would be TCP sending its
    # bytes again, not a re-send.
    first, resent_t, tcp_copies = {}, 0, 0
    for a in acrs:
        lnb.expect_eq(a["app"], "3", "application id of the ACR in frame %d" % a["frame"])
        key = (a["avps"][263][1], int(a["avps"][485][1]))
        prev = first.get(key)
        if prev is None:
            first[key] = a
            continue
        if (a["stream"], a["hbh"]) in prev.setdefault("copies", {(prev["stream"], prev["hbh"])}):
            tcp_copies += 1
            continue
        prev["copies"].add((a["stream"], a["hbh"]))
        lnb.expect(a["t"], "a re-sent ACR %r without the T flag: frame %d (stream %s, "
                   "hop-by-hop %s), first sent in frame %d (stream %s, hop-by-hop %s)"
                   % (key, a["frame"], a["stream"], a["hbh"], prev["frame"], prev["stream"],
                      prev["hbh"]))
        lnb.expect_eq(a["e2e"], prev["e2e"], "End-to-End Identifier of the re-sent ACR %r "
                      "(frame %d, first in %d)" % (key, a["frame"], prev["frame"]))
        resent_t += 1
    stored = {(r["sid"], r["recno"]): r for r in rows(w)}
    ours = [a for a in acrs
            if any(a["avps"][263][1].endswith(";%d" % u) for u in all_uids())]
    t_total = sum(1 for a in acrs if a["t"])
    if st.get("resends_expected"):
        lnb.expect(resent_t > 0, "some ACRs were re-sent (the outage without answers, SIGKILL)")
    print("  %d ACRs on the wire, %d with the T flag, %d re-sends, %d TCP retransmissions"
          % (len(acrs), t_total, resent_t, tcp_copies), flush=True)
    # every ACR of the test's users, decoded by tshark: the M bit (set on
    # the RFC 7155 AVPs, clear on the Linux-* ones) and each value equals
    # the row app_acct stored for that Session-Id and record number
    for a in ours:
        sid, recno = a["avps"][263][1], int(a["avps"][485][1])
        row = stored.get((sid, recno))
        lnb.expect(row is not None, "ACR %s/%d on the wire (frame %d) is stored"
                   % (sid, recno, a["frame"]))
        for code, name, _, m in diaenv.AVPS:
            lnb.expect(code in a["avps"], "AVP %d in the ACR %s/%d" % (code, sid, recno))
            flags, val = a["avps"][code]
            lnb.expect_eq("M" in flags, bool(m), "M bit of AVP %d" % code)
            num = int(val, 16) if code >= 5000 else int(val)
            lnb.expect_eq(num, row["avps"][name], "%s of %s/%d: wire vs stored"
                          % (name, sid, recno))
    lnb.expect(len(ours) >= 3 * len(all_uids()),
               "ACRs of the test's users decoded: %d" % len(ours))
    print("  %d ACRs of the test's users decoded by tshark, every value as stored" % len(ours),
          flush=True)


# In the TCG guest every step costs minutes: there the module-specific part
# runs (counters read over netlink, a reset, STOPs, the capture); what the
# client does with the server (outages, SIGKILL, failover, bad input, full
# disk) does not depend on the backend and runs natively over eBPF.
KMOD_STEPS = ["three_users_start_and_interim", "reset_one_user_stop_and_start",
              "clean_stop_sends_stops", "capture_decodes_cleanly"]


def main():
    global BE, BE_UIDS
    args = sys.argv[1:]
    name = "kmod"
    if args[:1] == ["--backend"] and len(args) >= 2:
        name, args = args[1], args[2:]
    if name not in backends.BACKENDS:
        print("test_diameter.py: unknown backend %r (kmod or ebpf)" % name, file=sys.stderr)
        return 2
    # The guest's subset runs exactly its steps (each builds on the first);
    # steps named by hand also run every step before the last one named.
    lean = name == "kmod" and not args and not os.environ.get("LINUBIA_DIAMETER_ALL")
    if lean:
        args = KMOD_STEPS
    BE = backends.BACKENDS[name]()
    BE_UIDS = getattr(Uids, name)
    if BE.loaded():
        print("test_diameter.py: the %s backend is already loaded; this test loads and "
              "unloads it itself" % name, file=sys.stderr)
        return 1
    for tool in (diaenv.DIAMETER, diaenv.DICT_FDX, diaenv.APP_ACCT):
        if not os.path.exists(tool):
            print("test_diameter.py: %s missing (make %s)" % (tool, "test-diameter"),
                  file=sys.stderr)
            return 1
    w = st = None
    passed = failed = 0
    try:
        BE.load()
        w, st = World(unprivileged=name == "kmod"), {}
        passed, failed = run_each(STEPS, lambda fn: fn(w, st), args, scenario=not lean)
    finally:
        if w:
            w.close()
        if st and "pair" in st:
            st["pair"].close()
        BE.cleanup()
        if w and failed:
            for f in ("client.log", "s1/freeDiameterd.log", "s2/freeDiameterd.log",
                      "pg/postgres.log"):
                path = os.path.join(w.dir, f)
                if os.path.exists(path):
                    print("--- %s (tail)\n%s" % (f, open(path, errors="replace").read()[-3000:]))
        out = os.environ.get("LINUBIA_VM_OUT")
        if w and out:
            shutil.copytree(w.dir, os.path.join(out, "diameter"), dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("data", "*.sock", ".s.PGSQL*"))
        if w and not failed:
            shutil.rmtree(w.dir, ignore_errors=True)
    return summary(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
