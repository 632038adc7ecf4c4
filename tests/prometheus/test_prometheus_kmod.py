#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""linubia-exporter and `linubia show --format prometheus|openmetrics` over
the kernel module, in the QEMU guest (tests/vm): the exposition equals
`linubia show --json` record for record, promtool and an OpenMetrics parser
accept it, the exporter needs nothing but CAP_NET_ADMIN (without it: only
its own record), and a reset moves _created.  The Prometheus rate checks run
natively (test_prometheus.py).  Usage: test_prometheus_kmod.py [test_name ...]"""
import json
import os
import pwd
import subprocess
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "kmod"))
sys.path.insert(0, os.path.join(HERE, "..", "nms"))
sys.path.insert(0, os.path.join(HERE, "..", "snmp"))
sys.dont_write_bytecode = True

import lnb  # noqa: E402
import uapi  # noqa: E402
from lnb import Failure, Pair, expect, expect_eq  # noqa: E402
from prom import parse  # noqa: E402  (the NMS tests' exposition parser)
from runner import run_all, test  # noqa: E402

REPO = uapi.REPO
LINUBIA = os.path.join(REPO, "build", "bin", "linubia")
EXPORTER = os.path.join(REPO, "build", "bin", "linubia-exporter")
OM_CHECK = os.path.join(HERE, "om_check.py")
PORT = 19275
CLIENT, SERVER, NOBODY = 1001, 2001, 65534
ACCEPT_OM = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"


def label_user(uid):
    if uid == uapi.UID_UNATTRIBUTED:
        return "(unattributed)"
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def show_json(*prefix):
    return json.loads(lnb.run(list(prefix) + [LINUBIA, "show", "--json"]))


def as_user(uid, caps=False):
    """setpriv to uid, keeping CAP_NET_ADMIN (ambient) if caps."""
    cmd = ["setpriv", "--reuid", str(uid), "--regid", str(uid), "--clear-groups"]
    if caps:
        cmd += ["--inh-caps=+net_admin", "--ambient-caps=+net_admin"]
    return cmd


class Exporter:
    def __init__(self, prefix=()):
        self.log = "/tmp/lnb-prom-exporter.log"
        self.proc = subprocess.Popen(list(prefix) + [
            EXPORTER, "--web.no-auth", "--web.listen-address=127.0.0.1:%d" % PORT],
            stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        lnb.wait_for(self.up, "the exporter listening", 120)

    def up(self):
        try:
            self.get()
            return True
        except OSError:
            expect(self.proc.poll() is None, "the exporter exited: %s" % open(self.log).read())
            return False

    def get(self, accept=None):
        req = urllib.request.Request("http://127.0.0.1:%d/metrics" % PORT,
                                     headers={"Accept": accept} if accept else {})
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.headers.get("Content-Type"), r.read().decode()

    def stop(self):
        self.proc.terminate()
        expect_eq(self.proc.wait(timeout=60), 0, "the exporter's exit status")


def expect_equals_json(parsed, doc, what):
    """Every record of doc, all 32 counters, and nothing else."""
    want, got = {}, {}
    for u in doc["users"]:
        for name, v in u["counters"].items():
            d, fam, proto, unit = name.split("_")
            want[(str(u["uid"]), label_user(u["uid"]), unit, d, fam, proto)] = float(v)
    for (name, labels), v in parsed.items():
        lab = dict(labels)
        for unit in ("bytes", "packets"):
            if name == "linubia_user_%s_total" % unit:
                got[(lab["uid"], lab["user"], unit, lab["direction"], lab["family"],
                     lab["protocol"])] = v
    if got != want:
        diff = sorted(set(got.items()) ^ set(want.items()))[:6]
        raise Failure("%s: exposition vs show --json differ: %r" % (what, diff))
    st = doc["stats"]
    expect_eq(parsed[("linubia_records", frozenset())], float(st["users"]), what + " records")
    expect_eq(parsed[("linubia_records_limit", frozenset())], float(st["max_users"]),
              what + " records_limit")
    for key in uapi.STATS:
        if key.startswith("unattributed_"):
            metric = ("linubia_unattributed_packets_total",
                      frozenset({("reason", key[len("unattributed_"):])}))
        else:
            metric = ("linubia_%s_total" % key, frozenset())
        expect_eq(parsed.get(metric), float(st[key]), "%s %s" % (what, key))


def promtool(text, what):
    p = subprocess.run(["promtool", "check", "metrics"], input=text, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    expect(p.returncode == 0 and not p.stdout.strip(),
           "promtool check metrics on %s: %d %s" % (what, p.returncode, p.stdout[:600]))


def om_check(text, what):
    p = subprocess.run(["/usr/bin/python3", OM_CHECK], input=text, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    expect(p.returncode == 0, "OpenMetrics parser on %s: %s" % (what, p.stdout))


def traffic():
    p = Pair(quiet=True)
    lnb.pair_flow(p, "udp", 4, CLIENT, SERVER, "--count", "7", "--size", "300")
    lnb.pair_flow(p, "tcp", 6, CLIENT, SERVER, "--bytes", "30000")
    p.wait_quiet(still=1.0)
    return p


# Loopback not counted: the scrapes themselves (HTTP over 127.0.0.1) would
# change the records between the exposition and `show --json`.
@test(count_loopback=0)
def exporter_with_cap_net_admin_equals_show_json():
    traffic()
    e = Exporter(as_user(NOBODY, caps=True))
    try:
        for accept, ctype in ((None, "text/plain; version=0.0.4; charset=utf-8"),
                              (ACCEPT_OM, "application/openmetrics-text; version=1.0.0; "
                                          "charset=utf-8")):
            got_type, text = e.get(accept)
            doc = show_json()
            expect_eq(got_type, ctype, "Content-Type")
            parsed = parse(text)
            expect_equals_json(parsed, doc, ctype)
            expect_eq(parsed.get(("linubia_backend_info", frozenset({("backend", "kmod"),
                                                                     ("scope", "all")}))),
                      1.0, "backend_info")
            (om_check if accept else promtool)(text, "the exporter's " + ctype)
    finally:
        e.stop()
    # (the CLI's OpenMetrics goes through the parser natively: TCG is slow)
    text = lnb.run([LINUBIA, "show", "--format", "prometheus"])
    expect_equals_json(parse(text), show_json(), "show --format prometheus")
    promtool(text, "show --format prometheus")


# Loopback not counted: the scrapes themselves (HTTP over 127.0.0.1) would
# change the records between the exposition and `show --json`.
@test(count_loopback=0)
def exporter_without_capability_sees_its_own_record():
    traffic()
    e = Exporter(as_user(CLIENT))
    try:
        _, text = e.get()
    finally:
        e.stop()
    parsed = parse(text)
    uids = {dict(lab)["uid"] for (name, lab) in parsed if name == "linubia_user_bytes_total"}
    expect_eq(uids, {str(CLIENT)}, "records a uid-%d exporter without CAP_NET_ADMIN serves"
              % CLIENT)
    expect_equals_json(parsed, show_json(*as_user(CLIENT)), "own record")
    expect_eq(parsed.get(("linubia_backend_info", frozenset({("backend", "kmod"),
                                                             ("scope", "own")}))),
              1.0, "backend_info scope own")
    log = open("/tmp/lnb-prom-exporter.log").read()
    expect("only its own record" in log, "no warning in the log: %r" % log)


@test(count_loopback=0)
def reset_moves_created():
    traffic()
    e = Exporter(as_user(NOBODY, caps=True))
    try:
        doc = {u["uid"]: u for u in show_json()["users"]}
        lnb.run([LINUBIA, "reset", "--uid", str(CLIENT)])
        after = {u["uid"]: u for u in show_json()["users"]}
        _, text = e.get(ACCEPT_OM)
    finally:
        e.stop()
    parsed = parse(text)
    created = {v for (name, lab), v in parsed.items() if name == "linubia_user_bytes_created"
               and dict(lab)["uid"] == str(CLIENT)}
    want = after[CLIENT]["last_reset_ns"] // 10 ** 6 / 1e3
    expect(after[CLIENT]["last_reset_ns"] > doc[CLIENT]["first_seen_ns"], "no reset time")
    expect_eq(created, {want}, "_created of uid %d after the reset" % CLIENT)
    total = sum(v for (name, lab), v in parsed.items() if name == "linubia_user_bytes_total"
                and dict(lab)["uid"] == str(CLIENT))
    expect_eq(total, 0.0, "uid %d's bytes after the reset (no traffic since)" % CLIENT)


if __name__ == "__main__":
    sys.exit(run_all(sys.argv[1:]))
