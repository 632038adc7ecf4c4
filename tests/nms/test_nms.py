#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""LINUBIA in the NMS admins run: MRTG (conf/mrtg), Prometheus with
snmp_exporter (conf/prometheus) and a Cacti data query (conf/cacti), against
a private snmpd + linubia-agentx over the eBPF backend, natively as root.
Ground truth: the kernel's values (`linubia show --json`) and the rates the
test's own flows send.  Steps in order; one line per step and 'N passed, N
failed'.  Run under `flock /tmp/lnb-ebpf.lock` (the eBPF pins are global).
Usage: test_nms.py"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "snmp"))
sys.dont_write_bytecode = True

import backends  # noqa: E402
import flows  # noqa: E402
import mrtg  # noqa: E402
import prom  # noqa: E402
from snmpenv import MIBDIRS, MIBFILE, USER_ENTRY, V2, V3, SnmpEnv, lnb, scalar  # noqa: E402
from runner import run_each, summary  # noqa: E402  (tests/kmod, via snmpenv)

PORT, DEAD_PORT = 17170, 17179          # snmpd; nobody listens on DEAD_PORT
EXPORTER_PORT, PROM_PORT = 19170, 19171
PAIR_N = 200
ALICE, BOB, NONAME = 41201, 41202, 42201  # NONAME has no passwd entry
NAMES = {ALICE: "lnbalice", BOB: "lnbbob"}
OWN = (ALICE, BOB, NONAME)
UIDS = "41201-41202,42201"
POLL_INTERVAL = 40.0   # s between MRTG runs: 1 s timestamp steps stay < 2.5 %
RATE_TOLERANCE = 0.05  # MRTG's derived rates vs the sent rates
PROM_TOLERANCE = 0.10  # rate() over 30 s of 1 s scrapes
SYS_COMMUNITY = "lnbsys"  # sees only the system group: "no LINUBIA-MIB"


def mib_columns():
    """{column: (dir, family or None, proto or None)} of the octet columns,
    parsed from the MIB file."""
    cols = {}
    text = open(MIBFILE).read()
    for name, col in re.findall(r"(linubiaUser\w+) OBJECT-TYPE.*?::= \{ linubiaUserEntry (\d+) \}",
                                text, re.S):
        m = re.fullmatch(r"linubiaUser(Ipv4|Ipv6)?(Tcp|Udp)?(In|Out)Octets", name)
        if m:
            fam, proto, d = m.groups()
            cols[int(col)] = (name, d.lower(), fam and fam.lower(), proto and proto.lower())
    return cols


COLUMNS = mib_columns()
KIND_COLS = {"": (3, 5), "_ipv4": (7, 9), "_ipv6": (11, 13), "_tcp": (15, 17), "_udp": (19, 21)}


def octets(counters, d, fam=None, proto=None):
    return sum(v for k, v in counters.items()
               if k.endswith("_bytes") and k.split("_")[0] == d
               and (fam is None or k.split("_")[1] == fam)
               and (proto is None or k.split("_")[2] == proto))


def column(counters, col):
    _, d, fam, proto = COLUMNS[col]
    return octets(counters, d, fam, proto)


def kernel():
    t = backends.table()
    return {uid: lnb.counters(t, uid) for uid in OWN if uid in t}


def wait_synced(env, uids, timeout=60.0):
    """Wait until the agent serves the kernel's current in/out octets of
    uids (their traffic is stopped or frozen), then return the kernel's."""
    deadline = time.monotonic() + timeout
    while True:
        k = kernel()
        if all(u in k and env.try_get("%s.3.%d" % (USER_ENTRY, u)) == column(k[u], 3) and
               env.try_get("%s.5.%d" % (USER_ENTRY, u)) == column(k[u], 5) for u in uids):
            return k
        if time.monotonic() > deadline:
            raise lnb.Failure("the agent never showed the kernel's values of %s within %.0f s"
                              % (uids, timeout))
        time.sleep(0.2)


def rel_err(got, want):
    return abs(got - want) / want


STEPS = []


def step(fn):
    STEPS.append(fn)
    return fn


@step
def services_start(env, st):
    # names for two test UIDs, seen only by the agent (private mount namespace)
    passwd = os.path.join(env.dir, "passwd")
    with open("/etc/passwd") as src, open(passwd, "w") as f:
        f.write(src.read())
        for uid, name in NAMES.items():
            f.write("%s:x:%d:%d::/nonexistent:/usr/sbin/nologin\n" % (name, uid, uid))
    with open(os.path.join(env.dir, "snmpd.conf"), "a") as f:
        f.write("view sysonly included .1.3.6.1.2.1.1\n"
                "rocommunity %s 127.0.0.0/8 -V sysonly\n" % SYS_COMMUNITY)
    st["be"].load()
    env.start_snmpd()
    env.start_agent(prefix=["unshare", "-m", "--propagation", "private", "sh", "-c",
                            'mount --bind "$0" /etc/passwd && exec "$@"', passwd])
    env.wait_value(scalar("status"), 1, "LINUBIA running via the subagent", timeout=60)


@step
def first_users_traffic(env, st):
    st["pair"] = p = lnb.Pair(n=PAIR_N, quiet=True)
    lnb.pair_flow(p, "udp", 4, ALICE, NONAME, "--count", "20", "--size", "300")
    p.wait_quiet(still=1.0)
    k = wait_synced(env, (ALICE, NONAME))
    lnb.expect(BOB not in k, "uid %d has no record yet" % BOB)


@step
def mrtg_cfg_refuses_bad_input(env, st):
    cfg = os.path.join(env.dir, "mrtg.cfg")
    with open(cfg, "w") as f:
        f.write("# an admin's file\n")
    host = "127.0.0.1:%d" % PORT
    cases = [
        (["-v", "1", "-c", "x", host], 2, "invalid choice: '1'"),
        (["-c", "lnbro", "--targets", "total,bogus", host], 2, "unknown kind bogus"),
        (["-v", "2c", host], 2, "needs a community"),
        (["-c", "lnbro", "--uids", "5-x", host], 2, "is not N or N-M"),
        (["-v", "3", "-u", "lnbadmin", host], 2, "needs -u USER and -A"),
        (["-c", "lnbro", "--max-bytes", "0", host], 2, "--max-bytes must be"),
        (["-c", "lnbro", "-t", "1", "-r", "0", "127.0.0.1:%d" % DEAD_PORT], 1, "no response"),
        (["-c", SYS_COMMUNITY, host], 1, "has no LINUBIA-MIB"),
        (["-v", "3", "-u", "lnbadmin", "-A", "wrong-pass-x", "-X", "wrong-pass-y", host], 1,
         "Authentication failure"),
        (["-c", "lnbro", "--uids", "7-9", host], 1, "no user matches"),
    ]
    for args, rc, msg in cases:
        got_rc, err = mrtg.generate(env, "-o", cfg, *args)
        lnb.expect(got_rc == rc and msg in err,
                   "linubia-mrtg-cfg %s: expected exit %d and %r, got %d: %r"
                   % (" ".join(args), rc, msg, got_rc, err))
    lnb.expect_eq(open(cfg).read(), "# an admin's file\n", "the file after failed runs")
    os.unlink(cfg)


@step
def mrtg_cfg_one_target_per_user(env, st):
    st["work"] = work = os.path.join(env.dir, "mrtg")
    st["cfg"] = cfg = os.path.join(env.dir, "mrtg.cfg")
    args = ["-c", "lnbro", "-o", cfg, "--workdir", work, "--uids", UIDS, "--max-bytes",
            "1000000000", "--targets", "total,ipv4,ipv6,tcp,udp", "127.0.0.1:%d" % PORT]
    rc, err = mrtg.generate(env, *args)
    lnb.expect(rc == 0, "generator failed: %s" % err)
    text = open(cfg).read()
    prefix = "linubia_127.0.0.1_%d_" % PORT
    st["target"] = lambda uid, kind="": prefix + "%d%s" % (uid, kind)
    for uid in (ALICE, NONAME):
        for kind, (cin, cout) in KIND_COLS.items():
            t = st["target"](uid, kind)
            line = "Target[%s]: %s.%d.%d&%s.%d.%d:lnbro@127.0.0.1:%d::::2" % (
                t, USER_ENTRY[1:], cin, uid, USER_ENTRY[1:], cout, uid, PORT)
            lnb.expect(line in text.splitlines(), "missing line %r" % line)
            lnb.expect("MaxBytes[%s]: 1000000000" % t in text, "MaxBytes of %s" % t)
    lnb.expect("Title[%s]: lnbalice (uid %d) on " % (st["target"](ALICE), ALICE) in text,
               "title with the user name")
    lnb.expect("Title[%s]: uid %d on " % (st["target"](NONAME), NONAME) in text,
               "title of a UID without a name")
    lnb.expect_eq(text.count("Target["), 10, "targets before uid %d appears" % BOB)
    # an admin's edit, then a new user: re-running appends and keeps the rest
    text = text.replace("MaxBytes[%s]: 1000000000" % st["target"](NONAME),
                        "MaxBytes[%s]: 12345678" % st["target"](NONAME))
    with open(cfg, "w") as f:
        f.write(text)
    lnb.pair_flow(st["pair"], "udp", 6, BOB, ALICE, "--count", "10", "--size", "200")
    st["pair"].wait_quiet(still=1.0)
    wait_synced(env, (BOB,))
    rc, err = mrtg.generate(env, *args)
    lnb.expect(rc == 0 and "5 targets added" in err, "re-run: %d %r" % (rc, err))
    new = open(cfg).read()
    lnb.expect(new.startswith(text), "re-run changed existing text")
    lnb.expect("Title[%s]: lnbbob (uid %d) on " % (st["target"](BOB), BOB) in new[len(text):],
               "uid %d appended" % BOB)
    rc, err = mrtg.generate(env, *args)
    lnb.expect(rc == 0 and "0 targets added" in err and open(cfg).read() == new,
               "third run changed the file: %r" % err)
    # SNMPv3 (authPriv) in a file of its own
    st["work3"] = os.path.join(env.dir, "mrtg3")
    st["cfg3"] = os.path.join(env.dir, "mrtg3.cfg")
    rc, err = mrtg.generate(env, "-v", "3", "-u", "lnbadmin", "-A", "lnb-auth-pass", "-X",
                            "lnb-priv-pass", "-o", st["cfg3"], "--workdir", st["work3"],
                            "--uids", "%d-%d" % (ALICE, BOB), "127.0.0.1:%d" % PORT)
    lnb.expect(rc == 0 and "2 targets added" in err, "v3 generator: %d %r" % (rc, err))
    text3 = open(st["cfg3"]).read()
    lnb.expect(":lnbadmin@127.0.0.1:%d::::3\n" % PORT in text3 and "EnableSnmpV3: yes" in text3
               and "privprotocol=>'aes'" in text3, "v3 target syntax:\n" + text3[:1500])
    for d in (work, st["work3"]):
        os.mkdir(d)


@step
def cacti_query_walks(env, st):
    xml = os.path.join(lnb.REPO, "conf", "cacti", "linubia_users.xml")
    root = ET.parse(xml).getroot()
    index_oid = root.findtext("oid_index")
    fields = {f.tag: f for f in root.find("fields")}
    oids = {"oid_index": index_oid}
    oids.update({tag: f.findtext("oid") for tag, f in fields.items()})
    for what, oid in oids.items():
        p = subprocess.run(["snmptranslate", "-m", "LINUBIA-MIB", "-M", MIBDIRS, "-Os", oid],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        name = p.stdout.strip()
        lnb.expect(p.returncode == 0 and re.fullmatch(r"linubiaUser\w+", name),
                   "%s %s not in LINUBIA-MIB: %r %r" % (what, oid, name, p.stderr.strip()))
        if what not in ("oid_index", "linubiaUserUid"):
            lnb.expect_eq(name, what, "field %s's OID resolves to" % what)
    k = wait_synced(env, OWN)
    index = env.values("snmpbulkwalk", V2, index_oid, "-Cr50")
    uids = {int(o.rsplit(".", 1)[1]) for o in index}
    lnb.expect(set(OWN) <= uids and len(uids) == len(index), "index walk: %r" % sorted(uids))
    for tag, f in fields.items():
        if f.findtext("direction") != "output":
            continue
        vals = env.values("snmpbulkwalk", V2, f.findtext("oid"), "-Cr50")
        got = {int(o.rsplit(".", 1)[1]) for o in vals}
        lnb.expect_eq(got, uids, "%s: one value per user" % tag)
        col = int(f.findtext("oid").rsplit(".", 1)[1])
        for uid in OWN:
            lnb.expect_eq(vals["%s.%d" % (f.findtext("oid"), uid)][1], column(k[uid], col),
                          "%s of uid %d vs the kernel" % (tag, uid))
    names = env.values("snmpbulkwalk", V2, fields["linubiaUserName"].findtext("oid"))
    for uid, name in list(NAMES.items()) + [(NONAME, "")]:
        lnb.expect_eq(names["%s.2.%d" % (USER_ENTRY, uid)][1], name, "index label of %d" % uid)


def test_generator_yml():
    """conf/prometheus/generator.yml with the test snmpd's credentials."""
    text = open(os.path.join(prom.CONF, "generator.yml")).read()
    for old, new in (("CHANGE-ME-ro", "lnbro"), ("username: linubiaadmin", "username: lnbadmin"),
                     ("CHANGE-ME-auth-pass", "lnb-auth-pass"),
                     ("CHANGE-ME-priv-pass", "lnb-priv-pass")):
        lnb.expect_eq(text.count(old), 1, "%r in generator.yml" % old)
        text = text.replace(old, new)
    return text


@step
def snmp_yml_is_generated(env, st):
    work = os.path.join(env.dir, "gen")
    os.mkdir(work)
    got = prom.generate(open(os.path.join(prom.CONF, "generator.yml")).read(), work)
    lnb.expect(got == open(os.path.join(prom.CONF, "snmp.yml")).read(),
               "conf/prometheus/snmp.yml differs from what generator.yml generates "
               "(regenerate it: conf/prometheus/README.md)")
    for name in ("linubiaUserInOctets", "linubiaDetailOutOctets"):
        lnb.expect(re.search(r"- name: %s\n.*\n    type: counter\n" % name, got),
                   "%s is a counter in snmp.yml" % name)
    test_yml = os.path.join(env.dir, "snmp-test.yml")
    with open(test_yml, "w") as f:
        f.write(prom.generate(test_generator_yml(), work))
    st["exporter"] = prom.start_exporter(test_yml, EXPORTER_PORT, env.dir)


@step
def exporter_counters_equal_kernel(env, st):
    k = wait_synced(env, OWN)
    for module in ("linubia", "linubia_v3"):
        m = prom.scrape(EXPORTER_PORT, module, "127.0.0.1:%d" % PORT)
        for uid in OWN:
            lab = frozenset({("linubiaUserUid", str(uid)),
                             ("linubiaUserName", NAMES.get(uid, ""))})
            for col, (name, *_rest) in COLUMNS.items():
                lnb.expect_eq(m.get((name, lab)), float(column(k[uid], col)),
                              "%s: %s{uid %d} vs the kernel" % (module, name, uid))
            for fam, fname in ((1, "ipv4"), (2, "ipv6")):
                for pr, pname in ((1, "tcp"), (2, "udp"), (3, "icmp"), (4, "other")):
                    dl = lab | {("linubiaDetailFamily", str(fam)),
                                ("linubiaDetailProtocol", str(pr))}
                    for d in ("in", "out"):
                        metric = "linubiaDetail%sOctets" % d.capitalize()
                        lnb.expect_eq(m.get((metric, dl)),
                                      float(k[uid]["%s_%s_%s_bytes" % (d, fname, pname)]),
                                      "%s: %s{uid %d,%s,%s}" % (module, metric, uid, fname, pname))
        lnb.expect_eq(m.get(("linubiaBackendStatus", frozenset())), 1.0, module + " status")


@step
def fixed_rate_flows_and_prometheus(env, st):
    # alice sends to bob over IPv4 and bob to alice over IPv6: both have in and out
    p = st["pair"]
    run_for = 4 * POLL_INTERVAL + 120
    st["flows"] = [flows.RateFlow(p, 4, ALICE, BOB, 150000, 1000, run_for),
                   flows.RateFlow(p, 6, BOB, ALICE, 60000, 600, run_for)]
    a, b = st["flows"]
    st["rates"] = {ALICE: (b.ip_rate, a.ip_rate), BOB: (a.ip_rate, b.ip_rate)}  # (in, out)
    text = open(os.path.join(prom.CONF, "prometheus.yml")).read()
    for old, new in (("scrape_interval: 60s", "scrape_interval: 1s"),
                     ("scrape_timeout: 10s", "scrape_timeout: 1s"),
                     ("['server1.example.org', 'server2.example.org:161']",
                      "['127.0.0.1:%d']" % PORT),
                     ("replacement: 127.0.0.1:9116", "replacement: 127.0.0.1:%d" % EXPORTER_PORT)):
        lnb.expect_eq(text.count(old), 1, "%r in prometheus.yml" % old)
        text = text.replace(old, new)
    cfg = os.path.join(env.dir, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write(text)
    st["prom"] = prom.start_prometheus(cfg, PROM_PORT, env.dir)
    st["t0"] = time.time() + 5.0  # first MRTG poll


def mrtg_poll(env, st, i, at):
    """Freeze the flows at `at`, wait until the link and the agent show the
    kernel's values, run MRTG (v2c, and v3 on poll 1), check the logs hold
    exactly those values; thaw."""
    prom.wait_until(at)
    for f in st["flows"]:
        f.freeze()
    try:
        st["pair"].wait_quiet(still=0.5)
        k = wait_synced(env, OWN)
        mrtg.run(env, st["cfg"])
        if i == 1:
            mrtg.run(env, st["cfg3"])
        lnb.expect_eq(kernel(), k, "kernel counters moved while frozen")
    finally:
        for f in st["flows"]:
            f.thaw()
    st["thawed"] = time.time()
    logs = {}
    for uid in OWN:
        for kind, (cin, cout) in KIND_COLS.items():
            t = st["target"](uid, kind)
            log = mrtg.read_log(st["work"], t)
            lnb.expect_eq(log[1:3], (column(k[uid], cin), column(k[uid], cout)),
                          "poll %d: %s.log counters vs the kernel" % (i, t))
            logs[(uid, kind)] = log
    if i == 1:
        for uid in (ALICE, BOB):
            log = mrtg.read_log(st["work3"], st["target"](uid))
            lnb.expect_eq(log[1:3], (column(k[uid], 3), column(k[uid], 5)),
                          "poll 1: SNMPv3 target of uid %d vs the kernel" % uid)
    st.setdefault("logs", []).append(logs)
    return logs


def check_mrtg_rates(st, logs, i):
    for uid in (ALICE, BOB):
        t, _, _, rin, rout = logs[(uid, "")]
        for got, want, d in ((rin, st["rates"][uid][0], "in"), (rout, st["rates"][uid][1], "out")):
            err = rel_err(got, want)
            print("  poll %d uid %d %s: MRTG %d B/s, sent %.0f B/s (%+.2f %%)"
                  % (i, uid, d, got, want, 100.0 * (got - want) / want), flush=True)
            lnb.expect(err <= RATE_TOLERANCE, "poll %d: MRTG's %s rate of uid %d is %d B/s, "
                       "sent %.0f B/s (%.1f %% off)" % (i, d, uid, got, want, 100 * err))


@step
def mrtg_poll_1(env, st):
    mrtg_poll(env, st, 1, st["t0"])


@step
def prometheus_rate_per_user(env, st):
    at = st["thawed"] + 32.0  # a 30 s window after the freeze, before the next poll
    prom.wait_until(at + 1.0)
    res = prom.query(PROM_PORT, "sum by (user) (rate(linubiaUserOutOctets[30s]))", at)
    got = {r[0].get("user"): r[1] for r in res}
    for uid, name in NAMES.items():
        want = st["rates"][uid][1]
        lnb.expect(name in got, "sum by (user): no series for %s: %r" % (name, got))
        print("  rate() out of %s: %.0f B/s, sent %.0f B/s (%+.2f %%)"
              % (name, got[name], want, 100.0 * (got[name] - want) / want), flush=True)
        lnb.expect(rel_err(got[name], want) <= PROM_TOLERANCE,
                   "rate() of %s: %.0f B/s, sent %.0f" % (name, got[name], want))
    lnb.expect("uid %d" % NONAME in got, "unnamed UID labelled 'uid %d': %r" % (NONAME, got))
    res = prom.query(PROM_PORT, 'rate(linubiaDetailInOctets{user="lnbalice",family="ipv6",'
                     'protocol="udp"}[30s])', at)
    lnb.expect(len(res) == 1 and rel_err(res[0][1], st["rates"][ALICE][0]) <= PROM_TOLERANCE,
               "detail rate of lnbalice ipv6/udp in: %r" % res)


@step
def mrtg_poll_2(env, st):
    check_mrtg_rates(st, mrtg_poll(env, st, 2, st["t0"] + POLL_INTERVAL), 2)


@step
def mrtg_poll_3(env, st):
    check_mrtg_rates(st, mrtg_poll(env, st, 3, st["t0"] + 2 * POLL_INTERVAL), 3)
    for uid in OWN:
        png = os.path.join(st["work"], st["target"](uid) + "-day.png")
        lnb.expect(mrtg.is_png(png), "no day graph %s" % png)


@step
def reset_discontinuity_and_rate(env, st):
    disc = "%s.39.%d" % (USER_ENTRY, ALICE)
    before = env.get(disc)
    prom.wait_until(st["thawed"] + 11.0)  # 10 s of clean samples before the reset
    env.snmp("snmpset", V3, "%s.40.%d" % (USER_ENTRY, ALICE), "i", "2")
    st["reset_at"] = reset = time.time()
    lnb.wait_for(lambda: (env.try_get(disc) or 0) > before + 6000,
                 "DiscontinuityTime moves by the row's age (> 60 s)", 30)
    at = reset + 20.0
    prom.wait_until(at + 1.0)
    sel = 'linubiaUserOutOctets{user="lnbalice"}'
    resets = prom.query(PROM_PORT, "resets(%s[30s])" % sel, at)
    rate = prom.query(PROM_PORT, "rate(%s[30s])" % sel, at)
    # The reset moves DiscontinuityTime by the row's age (> 60 s here), once:
    # between resets the value is stable (the subagent keeps one sysUpTime
    # epoch), so changes() over the window is exactly 1.
    disc_sel = 'linubiaUserDiscontinuityTime{user="lnbalice"}'
    jump = prom.query(PROM_PORT, "max_over_time(%s[30s]) - min_over_time(%s[30s])"
                      % (disc_sel, disc_sel), at)
    changes = prom.query(PROM_PORT, "changes(%s[30s])" % disc_sel, at)
    want = st["rates"][ALICE][1]
    print("  after the reset: resets() %s, DiscontinuityTime jumped %s ticks (changes() %s), "
          "rate() %.0f B/s, sent %.0f B/s" % ([r[1] for r in resets], [r[1] for r in jump],
                                             [r[1] for r in changes],
                                             rate[0][1] if rate else -1, want), flush=True)
    lnb.expect(resets and resets[0][1] == 1.0, "resets() saw the reset: %r" % resets)
    lnb.expect(jump and jump[0][1] >= 6000, "DiscontinuityTime jump in Prometheus: %r" % jump)
    lnb.expect(changes and changes[0][1] == 1.0,
               "changes(DiscontinuityTime) over 30 s around one reset: %r" % changes)
    lnb.expect(rate and rel_err(rate[0][1], want) <= PROM_TOLERANCE,
               "rate() across the reset: %r, sent %.0f" % (rate, want))


@step
def mrtg_poll_after_reset(env, st):
    prev = st["logs"][-1]
    logs = mrtg_poll(env, st, 4, st["reset_at"] + 22.0)
    t3, in3, out3, _, _ = prev[(ALICE, "")]
    t4, in4, out4, rin, rout = logs[(ALICE, "")]
    lnb.expect(out4 < out3, "alice's counter went down (%d -> %d)" % (out3, out4))
    # rateup takes a decrease for a 32-bit wrap: (new - old + 2^32) / period
    for got, new, old, d in ((rin, in4, in3, "in"), (rout, out4, out3, "out")):
        want = int((new - old + 2 ** 32) / (t4 - t3) + 0.5)
        print("  MRTG after the reset, alice %s: %d B/s logged (wrap rule gives %d)"
              % (d, got, want), flush=True)
        lnb.expect_eq(got, want, "alice's %s rate after the reset (rateup's wrap rule)" % d)


@step
def mrtg_cfg_with_the_backend_unloaded(env, st):
    """Last: unloads the backend.  The generator then exits 1 and says why,
    leaving the admin's file as it was."""
    if st.get("flows"):
        for f in st["flows"]:
            f.stop()
        st["flows"] = []
    st["be"].unload()
    env.wait_value(scalar("status"), 2, "linubiaBackendStatus notLoaded(2) after the unload",
                   timeout=60)
    cfg = os.path.join(env.dir, "mrtg-unloaded.cfg")
    with open(cfg, "w") as f:
        f.write("# an admin's file\n")
    rc, err = mrtg.generate(env, "-o", cfg, "-c", "lnbro", "127.0.0.1:%d" % PORT)
    lnb.expect(rc == 1 and "backend not loaded" in err,
               "linubia-mrtg-cfg with the backend unloaded: expected exit 1 and "
               "'backend not loaded', got %d: %r" % (rc, err))
    lnb.expect_eq(open(cfg).read(), "# an admin's file\n", "the file after the failed run")


def main():
    if len(sys.argv) > 1:
        print(__doc__, file=sys.stderr)
        return 2
    be = backends.Ebpf()
    if be.loaded():
        print("test_nms.py: the eBPF backend is already loaded; this test loads and unloads "
              "it itself", file=sys.stderr)
        return 1
    env, st = SnmpEnv(PORT, prefix="lnb-nms-"), {"be": be}
    passed = failed = 0
    try:
        passed, failed = run_each(STEPS, lambda fn: fn(env, st))
    finally:
        for f in st.get("flows", []):
            f.stop()
        for key in ("prom", "exporter"):
            if st.get(key):
                st[key].stop()
        env.close()
        if st.get("pair"):
            st["pair"].close()
        be.cleanup()
        if failed:
            for f in ("agent.log", "agent.log.stderr", "snmpd.log", "exporter.log",
                      "prometheus.log"):
                path = os.path.join(env.dir, f)
                if os.path.exists(path):
                    print("--- %s (tail)\n%s" % (f, open(path).read()[-1500:]))
        keep = os.environ.get("LINUBIA_NMS_KEEP")
        if keep:
            shutil.copytree(env.dir, keep, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.sock", "tsdb"))
        if not failed:
            shutil.rmtree(env.dir, ignore_errors=True)
    return summary(passed, failed)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
