# SPDX-License-Identifier: GPL-2.0-only
"""End-to-end test of linubia-agentx in the QEMU guest: the real module, a
private snmpd master (loopback, private port/socket/persistent dir) and the
subagent; every SNMP value is checked against /proc/linubia and the
traffic tool's ground truth.  One scenario, steps in order; prints one line
per step and 'N passed, N failed'.  Services are stopped by PID."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kmod"))
import lnb  # noqa: E402
import uapi  # noqa: E402

REPO = uapi.REPO
AGENTX = os.path.join(REPO, "build", "bin", "linubia-agentx")
MIBFILE = os.path.join(REPO, "mibs", "LINUBIA-MIB.txt")
MIBDIRS = os.environ.get("LINUBIA_MIBDIRS",
                         "%s/build/mibs/base:/usr/share/snmp/mibs:%s/mibs" % (REPO, REPO))
PORT = 17161
HOST = "127.0.0.1:%d" % PORT
RO, RW_USER = "lnbro", "lnbadmin"
V3 = ["-v3", "-l", "authPriv", "-u", RW_USER, "-a", "SHA", "-A", "lnb-auth-pass",
      "-x", "AES", "-X", "lnb-priv-pass"]
V2 = ["-v2c", "-c", RO]
ROOT = ".1.3.6.1.4.1.8072.9999.9999.1.1"
USER_ENTRY, DETAIL_ENTRY = ROOT + ".2.1", ROOT + ".3.1"
SCALAR = {"users": 1, "max_users": 2, "backend": 3, "status": 4, "table_full_pkts": 5,
          "table_full_octets": 6, "count_loopback": 7}
UNATTR = uapi.UID_UNATTRIBUTED
USERS = (1001, 1002, 1003)
VALGRIND_WALKS = int(os.environ.get("LINUBIA_SNMP_VALGRIND_WALKS", "30"))


def mib_user_columns():
    """{column: (dir, family or None, proto or None, unit)} parsed from the MIB:
    independent of the C mapping."""
    text = open(MIBFILE).read()
    cols = {}
    for name, col in re.findall(r"(linubiaUser\w+) OBJECT-TYPE.*?::= \{ linubiaUserEntry (\d+) \}",
                                text, re.S):
        m = re.fullmatch(r"linubiaUser(Ipv4|Ipv6)?(Tcp|Udp)?(In|Out)(Octets|Pkts)", name)
        if m:
            fam, proto, d, unit = m.groups()
            cols[int(col)] = (d.lower(), fam and fam.lower(), proto and proto.lower(),
                              "bytes" if unit == "Octets" else "packets")
    lnb.expect_eq(len(cols), 36, "counter columns in the MIB")
    return cols


COLUMNS = mib_user_columns()
DETAIL_COLS = {3: ("in", "bytes"), 4: ("in", "packets"), 5: ("out", "bytes"), 6: ("out", "packets")}
FAMILIES = {1: "ipv4", 2: "ipv6"}
PROTOS = {1: "tcp", 2: "udp", 3: "icmp", 4: "other"}


def expected_sum(counters, d, fam, proto, unit):
    total = 0
    for name, v in counters.items():
        cd, cf, cp, cu = name.split("_")
        if cd == d and cu == unit and (fam is None or cf == fam) and (proto is None or cp == proto):
            total += v
    return total


class Env:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="lnb-snmp-")
        os.chmod(self.dir, 0o755)
        self.sock = os.path.join(self.dir, "agentx.sock")
        self.persist = os.path.join(self.dir, "persist")
        self.client = os.path.join(self.dir, "client")
        for d in (self.persist, self.client):
            os.mkdir(d)
        self.snmpd = self.agent = None
        self.snmpd_log = open(os.path.join(self.dir, "snmpd.log"), "a")
        self.agent_log = os.path.join(self.dir, "agent.log")
        with open(os.path.join(self.dir, "snmpd.conf"), "w") as f:
            f.write("""master agentx
agentXSocket %s
agentXPerms 0660 0755
agentaddress udp:%s
view linubia included .1.3.6.1.2.1.1
view linubia included .1.3.6.1.4.1.8072.9999.9999.1
rocommunity %s 127.0.0.0/8 -V linubia
createUser %s SHA "lnb-auth-pass" AES "lnb-priv-pass"
rwuser %s priv -V linubia
""" % (self.sock, HOST, RO, RW_USER, RW_USER))
        with open(os.path.join(self.dir, "agentx.conf"), "w") as f:
            f.write("# test settings\ncache_period 1\nping_interval 1\n")

    def env(self, persist):
        e = dict(os.environ, SNMP_PERSISTENT_DIR=persist, MIBDIRS=MIBDIRS, MIBS="LINUBIA-MIB")
        return e

    def start_snmpd(self):
        e = self.env(self.persist)
        # snmpd needs no MIB files; parsing Debian's half set costs seconds under TCG
        e["MIBS"], e["MIBDIRS"] = "", self.client
        self.snmpd = subprocess.Popen(
            ["snmpd", "-f", "-Lo", "-C", "-c", os.path.join(self.dir, "snmpd.conf"),
             "-p", os.path.join(self.dir, "snmpd.pid"), "-I", "-smux"],
            stdout=self.snmpd_log, stderr=subprocess.STDOUT, env=e)

    def stop_snmpd(self):
        if self.snmpd:
            self.snmpd.send_signal(signal.SIGTERM)
            self.snmpd.wait(timeout=30)
            self.snmpd = None
        if os.path.exists(self.sock):
            os.unlink(self.sock)  # snmpd leaves it behind

    def start_agent(self, prefix=()):
        self.agent = subprocess.Popen(
            list(prefix) + [AGENTX, "-f", "-x", self.sock, "-c",
                            os.path.join(self.dir, "agentx.conf"),
                            "-p", os.path.join(self.dir, "agentx.pid"), "-Lf", self.agent_log],
            stdout=subprocess.DEVNULL, stderr=open(self.agent_log + ".stderr", "a"))

    def stop_agent(self):
        rc = None
        if self.agent:
            self.agent.send_signal(signal.SIGTERM)
            rc = self.agent.wait(timeout=120)
            self.agent = None
        return rc

    def snmp(self, tool, version, *args, check=True, mib=True):
        env = self.env(self.client)
        if not mib:  # no LINUBIA-MIB: the client cannot check types itself
            env["MIBS"] = "SNMPv2-MIB"
        p = subprocess.run([tool] + list(version) + ["-t", "5", "-r", "1", HOST] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        if check and p.returncode != 0:
            raise lnb.Failure("%s %s failed (%d): %s" % (tool, " ".join(args), p.returncode,
                                                        p.stderr.strip()))
        return p

    def values(self, tool, version, oid, *extra):
        """{numeric oid: (type, value)} of a walk."""
        out = self.snmp(tool, version, "-On", "-Oe", "-Ot", *extra, oid).stdout
        vals = {}
        for line in out.splitlines():
            m = re.match(r"(\.[\d.]+) = ([\w-]+): ?(.*)$", line)
            if m:
                oid_, typ, val = m.groups()
                if typ == "STRING":
                    val = val.strip('"')
                else:
                    val = int(val)
                vals[oid_] = (typ, val)
            elif re.match(r"(\.[\d.]+) = (\d+)$", line):  # TimeTicks with -Ot
                oid_, val = re.match(r"(\.[\d.]+) = (\d+)$", line).groups()
                vals[oid_] = ("Timeticks", int(val))
            elif "No more variables" in line or "No Such" in line:
                continue
            elif line.strip():
                m2 = re.match(r'(\.[\d.]+) = ""$', line)
                if m2:
                    vals[m2.group(1)] = ("STRING", "")
                else:
                    raise lnb.Failure("cannot parse %s output line %r" % (tool, line))
        return vals

    def get(self, oid, version=V2):
        v = self.values("snmpget", version, oid)
        lnb.expect(oid in v, "snmpget %s: no value" % oid)
        return v[oid][1]

    def try_get(self, oid):
        p = self.snmp("snmpget", V2, "-On", "-Oe", "-Ot", oid, check=False)
        m = re.match(r"\S+ = (?:[\w-]+: )?(\d+)$", p.stdout.strip())
        return int(m.group(1)) if m else None

    def close(self):
        self.stop_agent()
        self.stop_snmpd()


def scalar(name):
    return "%s.1.%d.0" % (ROOT, SCALAR[name])


def wait_value(env, oid, want, what, timeout=30.0):
    lnb.wait_for(lambda: env.try_get(oid) == want, "%s (%s == %r, last %r)"
                 % (what, oid, want, env.try_get(oid)), timeout)


def proc_counters():
    return {uid: lnb.counters(t, uid) for t in [lnb.proc_table()] for uid in t}


def check_tables(env, tool, version, proc, what):
    """Every column of every row (user and detail table) equals /proc."""
    users = env.values(tool, version, USER_ENTRY, *(["-Cr50"] if tool == "snmpbulkwalk" else []))
    detail = env.values(tool, version, DETAIL_ENTRY)
    uids = sorted({int(o.split(".")[-1]) for o in users})
    lnb.expect_eq(uids, sorted(proc), "%s: rows of the user table" % what)
    for uid, counters in proc.items():
        for col, (d, fam, proto, unit) in COLUMNS.items():
            typ, val = users["%s.%d.%d" % (USER_ENTRY, col, uid)]
            lnb.expect_eq(typ, "Counter64", "%s: type of column %d" % (what, col))
            lnb.expect_eq(val, expected_sum(counters, d, fam, proto, unit),
                          "%s: uid %d column %d (%s %s %s %s)" % (what, uid, col, d, fam, proto, unit))
        for dcol, (d, unit) in DETAIL_COLS.items():
            total = 0
            for f, fam in FAMILIES.items():
                for p, proto in PROTOS.items():
                    typ, val = detail["%s.%d.%d.%d.%d" % (DETAIL_ENTRY, dcol, uid, f, p)]
                    lnb.expect_eq(val, counters["%s_%s_%s_%s" % (d, fam, proto, unit)],
                                  "%s: detail uid %d %s %s %s %s" % (what, uid, fam, proto, d, unit))
                    total += val
            col = [c for c, k in COLUMNS.items() if k == (d, None, None, unit)][0]
            lnb.expect_eq(total, users["%s.%d.%d" % (USER_ENTRY, col, uid)][1],
                          "%s: detail rows of uid %d add up to column %d" % (what, uid, col))
        if uid == UNATTR:
            lnb.expect_eq(users["%s.2.%d" % (USER_ENTRY, uid)][1], "(unattributed)", "name")
    return users


def wait_synced(env, timeout=30.0):
    """Wait until the agent's snapshot shows /proc's current state, then
    return that state (the link is quiet: nothing changes any more)."""
    deadline = time.monotonic() + timeout
    while True:
        proc = proc_counters()
        ok = all(env.try_get("%s.3.%d" % (USER_ENTRY, uid)) ==
                 expected_sum(proc[uid], "in", None, None, "bytes") and
                 env.try_get("%s.5.%d" % (USER_ENTRY, uid)) ==
                 expected_sum(proc[uid], "out", None, None, "bytes") for uid in proc)
        if ok and env.try_get(scalar("users")) == len(proc):
            return proc
        if time.monotonic() > deadline:
            raise lnb.Failure("the agent never showed /proc's values within %.0f s" % timeout)
        time.sleep(0.2)


# The scenario ---------------------------------------------------------------

STEPS = []


def step(fn):
    STEPS.append(fn)
    return fn


@step
def agent_before_snmpd_and_module(env, st):
    env.start_agent()
    env.start_snmpd()
    wait_value(env, scalar("status"), 2, "status notLoaded via the subagent")
    lnb.expect_eq(env.get(scalar("backend")), 3, "backend none")
    lnb.expect_eq(env.get(scalar("users")), 0, "users")
    lnb.expect_eq(env.values("snmpwalk", V2, USER_ENTRY), {}, "user table without module")


@step
def module_load_makes_it_running(env, st):
    lnb.load_module()
    wait_value(env, scalar("status"), 1, "status running")
    lnb.expect_eq(env.get(scalar("backend")), 1, "backend kmod")
    lnb.expect(env.get(scalar("max_users")) > 0, "max_users > 0")


@step
def set_count_loopback_v3(env, st):
    # The SNMP queries themselves run over loopback: stop counting them.
    env.snmp("snmpset", V3, scalar("count_loopback"), "i", "2")
    lnb.expect_eq(open("/sys/module/linubia/parameters/count_loopback").read().strip(), "N",
                  "module's count_loopback after SET false")
    wait_value(env, scalar("count_loopback"), 2, "linubiaCountLoopback false")


@step
def traffic_of_three_users_matches(env, st):
    p = lnb.Pair(quiet=True)
    st["pair"] = p
    flows = [("tcp", 4, 1001, 2001), ("udp", 6, 1002, 2002), ("tcp", 6, 1003, 2003)]
    for proto, fam, cu, su in flows:
        for attempt in range(3):
            extra = ("--bytes", "200000") if proto == "tcp" else ("--count", "20")
            t = lnb.pair_flow(p, proto, fam, cu, su, *extra)
            try:
                for side in ("client", "server"):
                    if t[side] and t[side]["retrans"]:
                        raise lnb.Inexact("retransmission")
                break
            except lnb.Inexact:
                if attempt == 2:
                    raise lnb.Failure("retransmissions in every try")
        st.setdefault("flows", []).append((t, fam, proto, cu, su))
    p.wait_quiet(still=1.0)
    proc = wait_synced(env)
    table = lnb.proc_table()
    for t, fam, proto, cu, su in st["flows"]:
        if len([f for f in st["flows"] if f[3] == cu]) == 1:
            lnb.expect_flow(table, t, fam, proto, cu, su, "kernel vs ground truth")
    for tool, version in (("snmpbulkwalk", V2), ("snmpwalk", V2), ("snmpbulkwalk", V3)):
        check_tables(env, tool, version, proc, "%s %s" % (tool, version[0]))
    # the client rows equal the traffic tool's ground truth through SNMP too
    for t, fam, proto, cu, su in st["flows"]:
        exp = lnb.flow_expectation(t["client"], fam, proto)
        for name, v in exp.items():
            d, f, pr, unit = name.split("_")
            col = [c for c, k in COLUMNS.items() if k == (d, f, pr, unit)][0]
            lnb.expect_eq(env.get("%s.%d.%d" % (USER_ENTRY, col, cu)), v,
                          "SNMP uid %d %s vs ground truth" % (cu, name))
    lnb.expect_eq(env.get(scalar("users")), len(proc), "linubiaUsers")
    # GETs of rows >= 2^31 (5.9.3 sign-extends those sub-identifiers)
    if UNATTR in proc:
        lnb.expect_eq(env.get("%s.4.%d" % (USER_ENTRY, UNATTR), V3),
                      expected_sum(proc[UNATTR], "in", None, None, "packets"), "GET unattributed")
        lnb.expect_eq(env.get("%s.6.%d.1.1" % (DETAIL_ENTRY, UNATTR)),
                      proc[UNATTR]["out_ipv4_tcp_packets"], "GET unattributed detail")
    out = env.snmp("snmptable", V2, "-Cf", ",", "-CH", "LINUBIA-MIB::linubiaUserTable").stdout
    lnb.expect_eq(len([l for l in out.splitlines() if l.strip()]), len(proc), "snmptable rows")
    st["proc"] = proc


@step
def v3_reset_zeroes_one_row(env, st):
    uid = USERS[0]
    disc = "%s.39.%d" % (USER_ENTRY, uid)
    before = env.get(disc)
    proc_before = st["proc"]
    env.snmp("snmpset", V3, "%s.40.%d" % (USER_ENTRY, uid), "i", "2")
    proc = wait_synced(env)
    lnb.expect_eq(set(proc[uid].values()), {0}, "uid %d counters after reset" % uid)
    for other in proc:
        if other != uid:
            lnb.expect_eq(proc[other], proc_before[other], "uid %d untouched by the reset" % other)
    check_tables(env, "snmpbulkwalk", V2, proc, "after reset")
    after = env.get(disc)
    lnb.expect(after > before, "DiscontinuityTime moved (%d -> %d)" % (before, after))
    lnb.expect(after <= env.get(".1.3.6.1.2.1.1.3.0"), "DiscontinuityTime <= sysUpTime")
    lnb.expect_eq(env.get("%s.40.%d" % (USER_ENTRY, uid)), 1, "reset reads noAction")


@step
def readonly_community_cannot_set(env, st):
    p = env.snmp("snmpset", V2, "%s.40.%d" % (USER_ENTRY, USERS[1]), "i", "2", check=False)
    lnb.expect(p.returncode != 0 and re.search(r"noAccess|notWritable|authorization", p.stderr),
               "read-only community SET refused: %r" % p.stderr)
    lnb.expect(wait_synced(env)[USERS[1]] == st["proc"][USERS[1]], "row untouched")


@step
def bad_sets_get_their_errors(env, st):
    cases = [
        (("%s.40.%d" % (USER_ENTRY, USERS[1]), "s", "x"), "wrongType"),
        (("%s.40.%d" % (USER_ENTRY, USERS[1]), "i", "3"), "wrongValue"),
        ((scalar("count_loopback"), "i", "0"), "wrongValue"),
        (("%s.40.%d" % (USER_ENTRY, 424242), "i", "2"), "noCreation"),
        (("%s.3.%d" % (USER_ENTRY, USERS[1]), "i", "2"), "notWritable"),
        ((scalar("users"), "u", "2"), "notWritable"),
        (("%s.1.9.0" % ROOT, "i", "2"), "noCreation"),
    ]
    for args, err in cases:
        p = env.snmp("snmpset", V3, *args, check=False, mib=False)
        lnb.expect(p.returncode != 0 and err in p.stderr,
                   "SET %s: expected %s, got %r" % (" ".join(args), err, p.stderr.strip()))


@step
def snmpd_restarts(env, st):
    for i in range(5):
        env.stop_snmpd()
        env.start_snmpd()
        start = time.monotonic()
        lnb.wait_for(lambda: env.try_get("%s.3.%d" % (USER_ENTRY, USERS[2])) is not None,
                     "table back after snmpd restart %d" % (i + 1), timeout=5.0)
        print("  snmpd restart %d: table back in %.2f s" % (i + 1, time.monotonic() - start),
              flush=True)


@step
def sighup_reload_and_pid_file(env, st):
    pidfile = os.path.join(env.dir, "agentx.pid")
    lnb.expect_eq(int(open(pidfile).read()), env.agent.pid, "pid file")
    with open(os.path.join(env.dir, "agentx.conf"), "w") as f:
        f.write("cache_period 2\nping_interval 1\n")
    env.agent.send_signal(signal.SIGHUP)
    lnb.wait_for(lambda: "reloaded" in open(env.agent_log).read(), "SIGHUP logged", 30)
    lnb.expect(env.agent.poll() is None, "agent alive after SIGHUP")
    wait_value(env, scalar("status"), 1, "serving after SIGHUP")
    with open(os.path.join(env.dir, "agentx.conf"), "w") as f:
        f.write("cache_period 1\nping_interval 1\n")
    env.agent.send_signal(signal.SIGHUP)
    lnb.wait_for(lambda: open(env.agent_log).read().count("reloaded") == 2, "2nd SIGHUP", 30)


@step
def module_unload_and_reload(env, st):
    lnb.run("ip -all netns delete", check=False)
    lnb.unload_module()
    wait_value(env, scalar("status"), 2, "status notLoaded after rmmod")
    lnb.expect_eq(env.values("snmpbulkwalk", V2, USER_ENTRY), {}, "no rows after rmmod")
    lnb.expect_eq(env.get(scalar("users")), 0, "users after rmmod")
    lnb.load_module(count_loopback=0)
    wait_value(env, scalar("status"), 1, "status running after reload")
    p = lnb.Pair(n=1, quiet=True)
    lnb.pair_flow(p, "udp", 4, USERS[0], 2001)
    p.wait_quiet(still=1.0)
    proc = wait_synced(env)
    check_tables(env, "snmpbulkwalk", V2, proc, "after reload")
    lnb.expect(USERS[0] in proc, "uid %d back after reload" % USERS[0])


@step
def snmpv1_walk_skips_counter64(env, st):
    out = env.snmp("snmpwalk", ["-v1", "-c", RO], "-On", "-Oe", ROOT).stdout
    lnb.expect("Counter64" not in out, "no Counter64 in a v1 walk")
    lnb.expect("%s.2." % USER_ENTRY in out, "v1 walk shows the user names")
    lnb.expect("%s.1.4.0 = INTEGER: 1" % ROOT in out, "v1 walk shows the status")
    p = env.snmp("snmpget", ["-v1", "-c", RO], "%s.3.%d" % (USER_ENTRY, USERS[0]), check=False)
    lnb.expect("noSuchName" in p.stdout + p.stderr, "v1 GET of a Counter64: noSuchName")


@step
def valgrind_many_bulk_walks(env, st):
    env.stop_agent()
    vlog = os.path.join(env.dir, "valgrind.log")
    env.start_agent(prefix=["valgrind", "-q", "--log-file=" + vlog, "--error-exitcode=99",
                            "--leak-check=full", "--errors-for-leak-kinds=definite,indirect"])
    lnb.wait_for(lambda: env.try_get(scalar("status")) == 1, "agent under valgrind", 120)
    for i in range(VALGRIND_WALKS):
        env.values("snmpbulkwalk", V2 if i % 2 else V3, ROOT)
        if i % 10 == 0:
            time.sleep(1.1)  # let the cache expire: new snapshots freed too
    rc = env.stop_agent()
    lnb.expect(not os.path.exists(os.path.join(env.dir, "agentx.pid")), "pid file removed")
    log = open(vlog).read()
    lnb.expect(rc == 0 and not log.strip(), "valgrind: exit %r\n%s" % (rc, log[-3000:]))


def main():
    lnb.run("sysctl -qw net.core.netdev_max_backlog=100000")
    selected = set(sys.argv[1:])
    env, st = Env(), {}
    passed = failed = 0
    try:
        for fn in STEPS:
            if selected and fn.__name__ not in selected:
                continue
            start = time.monotonic()
            try:
                fn(env, st)
                passed += 1
                print("PASS %s (%.1f s)" % (fn.__name__, time.monotonic() - start), flush=True)
            except Exception as e:  # noqa: BLE001 - report and go on
                failed += 1
                print("FAIL %s: %s" % (fn.__name__, e), flush=True)
    finally:
        env.close()
        lnb.run("ip -all netns delete", check=False)
        if lnb.module_loaded():
            lnb.unload_module()
        if failed:
            for f in ("agent.log", "agent.log.stderr", "snmpd.log"):
                path = os.path.join(env.dir, f)
                if os.path.exists(path):
                    print("--- %s (tail)\n%s" % (f, open(path).read()[-2000:]))
        out = os.environ.get("LINUBIA_VM_OUT")
        if out:
            shutil.copytree(env.dir, os.path.join(out, "snmp"), dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.sock"))
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
