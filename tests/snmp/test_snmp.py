# SPDX-License-Identifier: GPL-2.0-only
"""End-to-end test of LINUBIA-MIB over a real backend: the kernel module
in the QEMU guest (`make test-snmp`) or the eBPF backend natively on the
host (`make test-snmp-ebpf`).  A private snmpd (loopback, private
port/socket/persistent dir) with the subagent (--mode agentx) or with
linubia.so loaded into it (--mode dlmod, `make test-snmp-dlmod`); every
SNMP value is checked against `linubia show --json` and the traffic tool's
ground truth.  One scenario, steps in order, the same in both modes but
for the reload step; prints one line per step and 'N passed, N failed'.
Services are stopped by PID.
Usage: test_snmp.py [--backend kmod|ebpf] [--mode agentx|dlmod] [step ...]"""
import json
import os
import re
import shutil
import signal
import sys
import time

import backends
from snmpenv import (DETAIL_ENTRY, MIBFILE, ROOT, RO, USER_ENTRY, V2, V3, SnmpEnv, lnb,
                     scalar, uapi)
from runner import run_each, summary  # noqa: E402  (tests/kmod, via snmpenv)

PORT = 17161
UNATTR = uapi.UID_UNATTRIBUTED
BE = None  # the backend under test (backends.Kmod or backends.Ebpf), set by main()
MODE = "agentx"  # who serves LINUBIA-MIB: the subagent or the dlmod in snmpd


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


def own_uids():
    return set(BE.clients) | set(BE.servers)


def kernel_counters():
    """The backend's records as `linubia show --json` gives them: all of
    them on a quiet host (the guest), the test's own UIDs natively."""
    t = backends.table()
    if BE.quiet_host:
        return {uid: lnb.counters(t, uid) for uid in t}
    return {uid: lnb.counters(t, uid) for uid in t if uid in own_uids()}


def check_tables(env, tool, version, kernel, what):
    """Every column of every row (user and detail table) equals the kernel's."""
    users = env.values(tool, version, USER_ENTRY, *(["-Cr50"] if tool == "snmpbulkwalk" else []))
    detail = env.values(tool, version, DETAIL_ENTRY)
    uids = sorted({int(o.split(".")[-1]) for o in users})
    if BE.quiet_host:
        lnb.expect_eq(uids, sorted(kernel), "%s: rows of the user table" % what)
    else:
        lnb.expect_eq(sorted(set(uids) & own_uids()), sorted(kernel),
                      "%s: the test's rows of the user table" % what)
    for uid, counters in kernel.items():
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
    """Wait until the agent's snapshot shows the kernel's current state for
    the rows under test, then return that state (the test's links are
    quiet: those rows do not change any more)."""
    deadline = time.monotonic() + timeout
    while True:
        kernel = kernel_counters()
        ok = all(env.try_get("%s.3.%d" % (USER_ENTRY, uid)) ==
                 expected_sum(kernel[uid], "in", None, None, "bytes") and
                 env.try_get("%s.5.%d" % (USER_ENTRY, uid)) ==
                 expected_sum(kernel[uid], "out", None, None, "bytes") for uid in kernel)
        if ok and (not BE.quiet_host or env.try_get(scalar("users")) == len(kernel)):
            return kernel
        if time.monotonic() > deadline:
            raise lnb.Failure("the agent never showed the kernel's values within %.0f s"
                              % timeout)
        time.sleep(0.2)


def new_pair(st, k=0):
    p = lnb.Pair(n=BE.pair_n + k, quiet=True)
    st.setdefault("pairs", []).append(p)
    return p


def close_pairs(st):
    for p in st.pop("pairs", []):
        p.close()


# The scenario ---------------------------------------------------------------

STEPS = []


def step(fn):
    STEPS.append(fn)
    return fn


@step
def agent_before_snmpd_and_backend(env, st):
    env.start_agent()
    env.start_snmpd()
    env.wait_value(scalar("status"), 2, "status notLoaded via the subagent")
    lnb.expect_eq(env.get(scalar("backend")), 3, "backend none")
    lnb.expect_eq(env.get(scalar("users")), 0, "users")
    lnb.expect_eq(env.values("snmpwalk", V2, USER_ENTRY), {}, "user table without a backend")


@step
def backend_load_makes_it_running(env, st):
    BE.load()
    env.wait_value(scalar("status"), 1, "status running")
    lnb.expect_eq(env.get(scalar("backend")), BE.mib_code, "backend %s" % BE.name)
    lnb.expect(env.get(scalar("max_users")) > 0, "max_users > 0")


@step
def set_count_loopback_v3(env, st):
    # The SNMP queries themselves run over loopback: stop counting them.
    env.snmp("snmpset", V3, scalar("count_loopback"), "i", "2")
    lnb.expect_eq(BE.count_loopback(), False, "the backend's count_loopback after SET false")
    env.wait_value(scalar("count_loopback"), 2, "linubiaCountLoopback false")


@step
def traffic_of_three_users_matches(env, st):
    p = new_pair(st)
    (c1, c2, c3), (s1, s2, s3) = BE.clients, BE.servers
    flows = [("tcp", 4, c1, s1), ("udp", 6, c2, s2), ("tcp", 6, c3, s3)]
    for proto, fam, cu, su in flows:
        for attempt in range(3):
            extra = ("--bytes", "200000") if proto == "tcp" else ("--count", "20")
            t = lnb.pair_flow(p, proto, fam, cu, su, *extra)
            if t["exact"]:
                break
            if attempt == 2:
                raise lnb.Failure("ground truth inexact in every try: %s" % t["inexact"])
            print("  RETRY %s/IPv%d: %s" % (proto, fam, t["inexact"]), flush=True)
        st.setdefault("flows", []).append((t, fam, proto, cu, su))
    p.wait_quiet(still=1.0)
    kernel = wait_synced(env)
    table = backends.table()
    for t, fam, proto, cu, su in st["flows"]:
        if len([f for f in st["flows"] if f[3] == cu]) == 1:
            lnb.expect_flow(table, t, fam, proto, cu, su, "kernel vs ground truth")
    for tool, version in (("snmpbulkwalk", V2), ("snmpwalk", V2), ("snmpbulkwalk", V3)):
        check_tables(env, tool, version, kernel, "%s %s" % (tool, version[0]))
    # the client rows equal the traffic tool's ground truth through SNMP too
    for t, fam, proto, cu, su in st["flows"]:
        exp = lnb.flow_expectation(t["client"], fam, proto)
        for name, v in exp.items():
            d, f, pr, unit = name.split("_")
            col = [c for c, k in COLUMNS.items() if k == (d, f, pr, unit)][0]
            lnb.expect_eq(env.get("%s.%d.%d" % (USER_ENTRY, col, cu)), v,
                          "SNMP uid %d %s vs ground truth" % (cu, name))
    out = env.snmp("snmptable", V2, "-Cf", ",", "-CH", "-Ci",
                   "LINUBIA-MIB::linubiaUserTable").stdout
    rows = [l.split(",")[0] for l in out.splitlines() if l.strip()]
    if BE.quiet_host:
        lnb.expect_eq(env.get(scalar("users")), len(kernel), "linubiaUsers")
        lnb.expect_eq(len(rows), len(kernel), "snmptable rows")
    else:
        lnb.expect(own_uids() <= set(int(r) for r in rows),
                   "snmptable rows %r hold the test's uids" % rows)
    # GETs of rows >= 2^31 (5.9.3 sign-extends those sub-identifiers): the
    # guest's unattributed record is quiet; the host's may move.
    t = backends.table()
    if UNATTR in t:
        got = env.get("%s.4.%d" % (USER_ENTRY, UNATTR), V3)
        if BE.quiet_host:
            lnb.expect_eq(got, expected_sum(lnb.counters(t, UNATTR), "in", None, None, "packets"),
                          "GET unattributed")
            lnb.expect_eq(env.get("%s.6.%d.1.1" % (DETAIL_ENTRY, UNATTR)),
                          t[UNATTR]["out_ipv4_tcp_packets"], "GET unattributed detail")
    # The delegation scalars equal the backend's own statistics.
    stats = json.loads(backends.cli("stats", "--json").stdout)
    lnb.expect_eq(env.get(scalar("max_delegated")), stats["max_delegated"], "linubiaMaxDelegated")
    if BE.quiet_host:
        lnb.expect_eq(env.get(scalar("delegated_users")), stats["delegated_users"],
                      "linubiaDelegatedUsers")
        lnb.expect_eq(env.get(scalar("delegated_over_bound_pkts")),
                      stats["delegated_over_bound"], "linubiaDelegatedOverBoundPkts")
    st["kernel"] = kernel


READ_GID, OTHER_GID, SNMPD_UID = 2000, 2001, 65534


@step
def dlmod_in_snmpd_as_a_read_group_member(env, st):
    """kmod + dlmod only (main() drops it elsewhere): snmpd as its own
    user, as Debian runs it (-u/-g).  In the module's read group the dlmod
    serves every row and a reset answers commitFailed, changing nothing;
    outside it, only snmpd's own record (none): an empty table, and a
    reset answers noAccess."""
    import genl  # tests/kmod, on the path through snmpenv
    nl = genl.Linubia()
    kernel = st["kernel"]
    uid = BE.clients[1]
    try:
        nl.set_config(read_gid=READ_GID)
        for gid, want in ((READ_GID, sorted(kernel)), (OTHER_GID, [])):
            env.stop_agent()
            env.start_agent(args=["-u", str(SNMPD_UID), "-g", str(gid)])
            lnb.wait_for(lambda: env.try_get(scalar("status")) == 1,
                         "snmpd (uid %d, gid %d) serving" % (SNMPD_UID, gid), 60)
            rows = env.values("snmpbulkwalk", V2, "%s.3" % USER_ENTRY)
            got = sorted(int(o.split(".")[-1]) for o in rows)
            lnb.expect_eq(got, want, "rows seen by snmpd as uid %d gid %d" % (SNMPD_UID, gid))
            p = env.snmp("snmpset", V3, "%s.40.%d" % (USER_ENTRY, uid), "i", "2", check=False)
            # a member passes the checks and the module refuses the reset;
            # a non-member may not even read the row
            err = "commitFailed" if gid == READ_GID else "noAccess"
            lnb.expect(err in p.stdout + p.stderr, "reset by snmpd as gid %d: %s expected, got "
                       "%r" % (gid, err, (p.stdout + p.stderr).strip()))
            lnb.expect_eq(lnb.counters(backends.table(), uid), kernel[uid],
                          "uid %d's record after the refused reset (gid %d)" % (uid, gid))
    finally:
        nl.set_config(read_gid=genl.uapi.NO_GID)
        env.stop_agent()
        env.start_agent()
    env.wait_value(scalar("status"), 1, "root's snmpd serving again")


@step
def dlmod_in_unprivileged_snmpd_over_ebpf(env, st):
    """ebpf + dlmod only (main() drops it elsewhere): the eBPF backend
    answers root only, so an snmpd running as its own user serves no
    rows and says why: linubiaBackendStatus noAccess(3), "permission
    denied" in its log; root's snmpd serves again afterwards."""
    path = os.path.join(env.dir, "snmpd.log")
    start = os.path.getsize(path)
    try:
        env.stop_agent()
        env.start_agent(args=["-u", str(SNMPD_UID), "-g", str(SNMPD_UID)])
        env.wait_value(scalar("status"), 3, "linubiaBackendStatus noAccess(3) as uid %d"
                       % SNMPD_UID, timeout=60)
        lnb.expect_eq(env.get(scalar("backend")), 3, "linubiaBackend none(3) without access")
        lnb.expect_eq(env.get(scalar("users")), 0, "linubiaUsers without access")
        lnb.expect_eq(env.values("snmpbulkwalk", V2, USER_ENTRY), {}, "rows without access")
        with open(path) as f:
            f.seek(start)
            lnb.expect("permission denied" in f.read(), "snmpd's log names the missing right")
    finally:
        env.stop_agent()
        env.start_agent()
    env.wait_value(scalar("status"), 1, "root's snmpd serving again")


@step
def v3_reset_zeroes_one_row(env, st):
    uid = BE.clients[0]
    disc = "%s.39.%d" % (USER_ENTRY, uid)
    before = env.get(disc)
    kernel_before = st["kernel"]
    env.snmp("snmpset", V3, "%s.40.%d" % (USER_ENTRY, uid), "i", "2")
    kernel = wait_synced(env)
    lnb.expect_eq(set(kernel[uid].values()), {0}, "uid %d counters after reset" % uid)
    for other in kernel:
        if other != uid:
            lnb.expect_eq(kernel[other], kernel_before[other],
                          "uid %d untouched by the reset" % other)
    check_tables(env, "snmpbulkwalk", V2, kernel, "after reset")
    after = env.get(disc)
    lnb.expect(after > before, "DiscontinuityTime moved (%d -> %d)" % (before, after))
    lnb.expect(after <= env.get(".1.3.6.1.2.1.1.3.0"), "DiscontinuityTime <= sysUpTime")
    lnb.expect_eq(env.get("%s.40.%d" % (USER_ENTRY, uid)), 1, "reset reads noAction")
    st["disc_untouched"] = env.get("%s.39.%d" % (USER_ENTRY, BE.clients[1]))


@step
def readonly_community_cannot_set(env, st):
    uid = BE.clients[1]
    p = env.snmp("snmpset", V2, "%s.40.%d" % (USER_ENTRY, uid), "i", "2", check=False)
    lnb.expect(p.returncode != 0 and re.search(r"noAccess|notWritable|authorization", p.stderr),
               "read-only community SET refused: %r" % p.stderr)
    lnb.expect_eq(wait_synced(env)[uid], st["kernel"][uid], "row untouched")


@step
def bad_sets_get_their_errors(env, st):
    uid = BE.clients[1]
    cases = [
        (("%s.40.%d" % (USER_ENTRY, uid), "s", "x"), "wrongType"),
        (("%s.40.%d" % (USER_ENTRY, uid), "i", "3"), "wrongValue"),
        ((scalar("count_loopback"), "i", "0"), "wrongValue"),
        (("%s.40.%d" % (USER_ENTRY, 424242), "i", "2"), "noCreation"),
        (("%s.3.%d" % (USER_ENTRY, uid), "i", "2"), "notWritable"),
        ((scalar("users"), "u", "2"), "notWritable"),
        (("%s.1.99.0" % ROOT, "i", "2"), "noCreation"),
        ((scalar("max_delegated"), "u", "2"), "notWritable"),
    ]
    for args, err in cases:
        p = env.snmp("snmpset", V3, *args, check=False, mib=False)
        lnb.expect(p.returncode != 0 and err in p.stderr,
                   "SET %s: expected %s, got %r" % (" ".join(args), err, p.stderr.strip()))
    # many cache periods later, an untouched row's DiscontinuityTime has
    # not moved by a single tick (an NMS compares it for equality)
    lnb.expect_eq(env.get("%s.39.%d" % (USER_ENTRY, uid)), st["disc_untouched"],
                  "DiscontinuityTime of untouched uid %d" % uid)


@step
def failed_reset_is_an_error(env, st):
    # A reset the backend refuses after the checks (RESERVE) passed must
    # reach the manager as an error: done in COMMIT (AgentX CleanupSet,
    # which has no answer) it was reported as noError.
    with BE.failing_resets(env, st) as uid:
        row = "%s.3.%d" % (USER_ENTRY, uid)
        lnb.wait_for(lambda: env.try_get(row) is not None, "row of uid %d" % uid, 30)
        before = backends.table()[uid]
        p = env.snmp("snmpset", V3, "%s.40.%d" % (USER_ENTRY, uid), "i", "2", check=False)
        lnb.expect(p.returncode != 0 and "commitFailed" in p.stderr,
                   "SET of a reset that fails: expected commitFailed, got exit %d %r"
                   % (p.returncode, (p.stdout + p.stderr).strip()))
        after = backends.table()[uid]
        lnb.expect(all(after[k] >= before[k] for k in before) and
                   sum(after.values()) >= sum(before.values()),
                   "uid %d was reset after all: %s -> %s" % (uid, before, after))


SLOW_NSS = os.path.join(lnb.REPO, "build", "snmp", "slow-nss.so")


@step
def slow_nss_never_stalls_requests(env, st):
    # Every NSS lookup takes 3 s (an LDAP server in trouble).  Looked up
    # while answering, each unknown row's name would stall the AgentX
    # session (1 s timeout): walks must answer at once, names follow.
    p = new_pair(st, 3)
    lnb.pair_flow(p, "udp", 4, 0, None, "--count", 2, "--size", 10, "--closed", "--port", 9)
    name_col = "%s.2" % USER_ENTRY

    def walk():
        start = time.monotonic()
        out = env.snmp("snmpbulkwalk", V2, "-On", "-Cr50", name_col).stdout
        return time.monotonic() - start, out

    # What a walk of the names costs here anyway (the TCG guest is slow),
    # with a fresh agent, then the same with slow NSS: each name looked up
    # while answering would add 3 s.
    env.stop_agent()
    env.start_agent()
    env.wait_value(scalar("status"), 1, "serving again before slow NSS")
    base = max(walk()[0] for _ in range(2))
    env.stop_agent()
    env.start_agent(prefix=["env", "LD_PRELOAD=" + SLOW_NSS, "LNB_SLOW_NSS_MS=3000"])
    env.wait_value(scalar("status"), 1, "serving with slow NSS")
    for i in range(3):
        took, out = walk()
        lnb.expect(took < base + 2.5 and "%s.0 = " % name_col in out,
                   "walk %d of the user names with slow NSS: %.1f s (%.1f s without), uid 0's "
                   "row %s" % (i + 1, took, base,
                               "present" if "%s.0 = " % name_col in out else "missing"))
    lnb.wait_for(lambda: env.values("snmpwalk", V2, name_col).get("%s.0" % name_col, ("", ""))[1]
                 == "root", "uid 0's name from the resolver thread", 120)
    env.stop_agent()
    env.start_agent()
    env.wait_value(scalar("status"), 1, "serving again")


# Natively: the table is back within 5 s of snmpd's start.  In the TCG
# guest snmpd itself takes seconds to start, so there the 5 s count from
# the moment snmpd answers (its own sysUpTime), which is what the subagent
# controls: re-registration within the 1 s ping interval.
RESTART_LIMIT = 5.0


@step
def snmpd_killed_and_restarted(env, st):
    row = "%s.3.%d" % (USER_ENTRY, BE.clients[2])
    for i in range(5):
        env.stop_snmpd(signal.SIGKILL if i % 2 == 0 else signal.SIGTERM)
        start = time.monotonic()
        env.start_snmpd()
        # short probes: a request sent before snmpd has bound its port is
        # lost, and a 5 s client timeout would be all the test measures
        lnb.wait_for(lambda: env.try_get(".1.3.6.1.2.1.1.3.0", timeout=0.5) is not None,
                     "snmpd answering after restart %d" % (i + 1), timeout=60.0)
        up = time.monotonic()
        base = up if BE.quiet_host else start
        lnb.wait_for(lambda: env.try_get(row, timeout=0.5) is not None,
                     "table back after snmpd restart %d" % (i + 1),
                     timeout=max(0.5, RESTART_LIMIT - (time.monotonic() - base)))
        back = time.monotonic()
        print("  restart %d (%s): snmpd answers after %.2f s, table back after %.2f s"
              % (i + 1, "SIGKILL" if i % 2 == 0 else "SIGTERM", up - start, back - start),
              flush=True)
        lnb.expect(back - base <= RESTART_LIMIT + 0.5,
                   "restart %d: table back %.2f s after %s (limit %.0f s)"
                   % (i + 1, back - base, "the restart" if base == start else "snmpd answered",
                      RESTART_LIMIT))


@step
def sighup_reload_and_pid_file(env, st):
    lnb.expect_eq(int(open(env.pidfile).read()), env.agent.pid, "pid file")
    if MODE == "dlmod":
        return sighup_reloads_the_dlmod(env)
    env.write_agent_conf(cache_period=2, ping_interval=1)
    env.agent.send_signal(signal.SIGHUP)
    lnb.wait_for(lambda: "reloaded" in open(env.agent_log).read(), "SIGHUP logged", 30)
    lnb.expect(env.agent.poll() is None, "agent alive after SIGHUP")
    env.wait_value(scalar("status"), 1, "serving after SIGHUP")
    env.write_agent_conf(cache_period=1, ping_interval=1)
    env.agent.send_signal(signal.SIGHUP)
    lnb.wait_for(lambda: open(env.agent_log).read().count("reloaded") == 2, "2nd SIGHUP", 30)


def sighup_reloads_the_dlmod(env):
    """snmpd's SIGHUP unloads every dlmod (deinit, dlclose) and loads it
    again from snmpd.conf: the table must come back, twice, with the new
    linubiaCachePeriod taken without a complaint."""
    path = os.path.join(env.dir, "snmpd.log")
    start = os.path.getsize(path)  # the log goes on across snmpd restarts

    def log():
        with open(path) as f:
            f.seek(start)
            return f.read()

    for i, period in enumerate((2, 1)):
        env.write_agent_conf(cache_period=period, ping_interval=1)
        env.snmpd.send_signal(signal.SIGHUP)
        lnb.wait_for(lambda: log().count("LINUBIA-MIB served in snmpd") == i + 1,
                     "snmpd reloaded linubia.so after SIGHUP %d" % (i + 1), 60)
        lnb.expect(log().count("LINUBIA-MIB unloaded") == i + 1,
                   "deinit_linubia ran before reload %d" % (i + 1))
        lnb.expect(env.snmpd.poll() is None, "snmpd alive after SIGHUP %d" % (i + 1))
        env.wait_value(scalar("status"), 1, "serving after SIGHUP %d" % (i + 1))
        lnb.expect(env.try_get("%s.3.%d" % (USER_ENTRY, BE.clients[2])) is not None,
                   "uid %d's row after SIGHUP %d" % (BE.clients[2], i + 1))
    bad = [l for l in log().splitlines()
           if "linubiaCachePeriod" in l or "Unknown token" in l or "dlopen" in l]
    lnb.expect(not bad, "snmpd complained about the dlmod's lines: %s" % bad)


@step
def backend_unload_and_reload(env, st):
    close_pairs(st)
    BE.unload()
    env.wait_value(scalar("status"), 2, "status notLoaded after unload")
    lnb.expect_eq(env.values("snmpbulkwalk", V2, USER_ENTRY), {}, "no rows after unload")
    lnb.expect_eq(env.get(scalar("users")), 0, "users after unload")
    BE.load(count_loopback=False)
    env.wait_value(scalar("status"), 1, "status running after reload")
    p = new_pair(st, 1)
    lnb.pair_flow(p, "udp", 4, BE.clients[0], BE.servers[0])
    p.wait_quiet(still=1.0)
    kernel = wait_synced(env)
    check_tables(env, "snmpbulkwalk", V2, kernel, "after reload")
    lnb.expect(BE.clients[0] in kernel, "uid %d back after reload" % BE.clients[0])


@step
def snmpv1_walk_skips_counter64(env, st):
    out = env.snmp("snmpwalk", ["-v1", "-c", RO], "-On", "-Oe", ROOT).stdout
    lnb.expect("Counter64" not in out, "no Counter64 in a v1 walk")
    lnb.expect("%s.2." % USER_ENTRY in out, "v1 walk shows the user names")
    lnb.expect("%s.1.4.0 = INTEGER: 1" % ROOT in out, "v1 walk shows the status")
    p = env.snmp("snmpget", ["-v1", "-c", RO], "%s.3.%d" % (USER_ENTRY, BE.clients[0]),
                 check=False)
    lnb.expect("noSuchName" in p.stdout + p.stderr, "v1 GET of a Counter64: noSuchName")


@step
def valgrind_many_bulk_walks(env, st):
    walks = int(os.environ.get("LINUBIA_SNMP_VALGRIND_WALKS", "30" if BE.quiet_host else "1000"))
    env.stop_agent()
    vlog = os.path.join(env.dir, "valgrind.log")
    # --keep-debuginfo: snmpd unloads linubia.so (dlclose) before valgrind
    # reports leaks, whose stacks must still name our functions
    env.start_agent(prefix=["valgrind", "-q", "--log-file=" + vlog, "--error-exitcode=99",
                            "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
                            "--keep-debuginfo=yes"])
    lnb.wait_for(lambda: env.try_get(scalar("status")) == 1, "agent under valgrind", 120)
    start = time.monotonic()
    for i in range(walks):
        # whole subtree, v2c and v3 in turn; the 1 s cache expires every
        # ~100 walks, so snapshots are made and freed throughout
        env.values("snmpbulkwalk", V2 if i % 2 else V3, ROOT, "-Cr50")
    print("  %d bulk walks under valgrind in %.1f s" % (walks, time.monotonic() - start),
          flush=True)
    rc = env.stop_agent()
    lnb.expect(not os.path.exists(env.pidfile), "pid file removed")
    # valgrind 3.19 does not know BPF_MAP_LOOKUP_BATCH and says so at each
    # call; bpf/maps.c marks what the kernel wrote as defined
    log = "".join(l for l in open(vlog)
                  if not re.match(r"--\d+-- WARNING: unhandled eBPF command 24$", l))
    if MODE == "dlmod":
        # snmpd 5.9.3 leaks at startup by itself (init_lmsensorsMib...):
        # those records are not ours; every other error, and every leak
        # with one of our frames, is
        ours, theirs = valgrind_records_of_ours(log)
        print("  valgrind: %d leak records of snmpd's own left aside" % len(theirs), flush=True)
        lnb.expect(rc in (0, 99) and not ours, "valgrind: exit %r\n%s"
                   % (rc, "\n".join(ours)[-3000:]))
        return
    lnb.expect(rc == 0 and not log.strip(), "valgrind: exit %r\n%s" % (rc, log[-3000:]))


OUR_FRAME = re.compile(r"(?:at|by) 0x[0-9A-F]+: (?:lnb_|linubia_|init_linubia|deinit_linubia)"
                       r"|linubia\.so")


def valgrind_records_of_ours(log):
    """valgrind's records (blank-line separated) split into ours (any
    error that is not a leak; a leak with a LINUBIA frame) and snmpd's."""
    ours, theirs = [], []
    for rec in re.split(r"\n==\d+== ?\n", log):
        rec = rec.strip()
        if not rec:
            continue
        leak = re.search(r"are (?:definitely|indirectly) lost", rec)
        (ours if not leak or OUR_FRAME.search(rec) else theirs).append(rec)
    return ours, theirs


def main():
    global BE
    args = sys.argv[1:]
    name = "kmod"
    global MODE
    if args[:1] == ["--backend"] and len(args) >= 2:
        name, args = args[1], args[2:]
    if args[:1] == ["--mode"] and len(args) >= 2:
        MODE, args = args[1], args[2:]
    if MODE not in ("agentx", "dlmod"):
        print("test_snmp.py: unknown mode %r (agentx or dlmod)" % MODE, file=sys.stderr)
        return 2
    if name not in backends.BACKENDS:
        print("test_snmp.py: unknown backend %r (kmod or ebpf)" % name, file=sys.stderr)
        return 2
    BE = backends.BACKENDS[name]()
    if not (MODE == "dlmod" and name == "kmod"):  # the read group is the module's
        STEPS.remove(dlmod_in_snmpd_as_a_read_group_member)
    if not (MODE == "dlmod" and name == "ebpf"):
        STEPS.remove(dlmod_in_unprivileged_snmpd_over_ebpf)
    if BE.loaded():
        print("test_snmp.py: the %s backend is already loaded; this test loads and unloads "
              "it itself" % name, file=sys.stderr)
        return 1
    env, st = SnmpEnv(PORT, mode=MODE), {}
    passed = failed = 0
    try:
        passed, failed = run_each(STEPS, lambda fn: fn(env, st), args, scenario=True)
    finally:
        env.close()
        close_pairs(st)
        BE.cleanup()
        if failed:
            for f in ("agent.log", "agent.log.stderr", "snmpd.log"):
                path = os.path.join(env.dir, f)
                if os.path.exists(path):
                    print("--- %s (tail)\n%s" % (f, open(path).read()[-2000:]))
        out = os.environ.get("LINUBIA_VM_OUT")
        if out:
            shutil.copytree(env.dir, os.path.join(out, "snmp"), dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.sock"))
        if not failed:
            shutil.rmtree(env.dir, ignore_errors=True)
    return summary(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
