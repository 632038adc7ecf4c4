#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Prometheus without SNMP, natively over the eBPF backend (root): the
exporter (HTTPS + basic auth, as shipped) and node_exporter's textfile
collector fed by conf/prometheus/linubia-textfile, scraped by a private
Prometheus through conf/prometheus/linubia-exporter.yml.  Ground truth:
`linubia show --json` and the rates the test's own flows send.  Steps in
order; one line per step and 'N passed, N failed'.  Run under
`flock /tmp/lnb-ebpf.lock` (the eBPF pins are host-wide).
Usage: test_prometheus.py"""
import base64
import gzip
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "nms"))
sys.path.insert(0, os.path.join(HERE, "..", "snmp"))
sys.dont_write_bytecode = True

import backends  # noqa: E402
import flows  # noqa: E402
import prom  # noqa: E402
from snmpenv import lnb  # noqa: E402
from runner import run_each, summary  # noqa: E402

REPO = lnb.REPO
EXPORTER = os.path.join(REPO, "build", "bin", "linubia-exporter")
LINUBIA = backends.LINUBIA
TEXTFILE = os.path.join(REPO, "conf", "prometheus", "linubia-textfile")
SCRAPE_YML = os.path.join(REPO, "conf", "prometheus", "linubia-exporter.yml")
OM_CHECK = os.path.join(HERE, "om_check.py")
EXPORTER_PORT, NODE_PORT, PROM_PORT, NONROOT_PORT, VALGRIND_PORT = 19270, 19272, 19273, 19274, 19276
PAIR_N = 210
A, B, C = 43301, 43302, 43303          # C has no passwd entry
CROWD, CROWD_N = 43400, 400             # more records: bodies of several MiB
NAMES = {A: "lnbpa", B: "lnbpb"}
OWN = (A, B, C)
PROM_USER, PROM_PASS = "prometheus", "lnb-prom-pass"
TOLERANCE = 0.05                        # rate() vs the sent rate
WINDOW = 60                             # s, the rate() range
ACCEPT_PROMETHEUS = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                     "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
CT_TEXT = "text/plain; version=0.0.4; charset=utf-8"
CT_OM = "application/openmetrics-text; version=1.0.0; charset=utf-8"
UNITS = ("bytes", "packets")


def label_user(uid):
    return NAMES.get(uid, str(uid))


def in_private_passwd(st, cmd):
    """cmd in a mount namespace whose /etc/passwd also names the test users."""
    return ["unshare", "-m", "--propagation", "private", "sh", "-c",
            'mount --bind "$0" /etc/passwd && exec "$@"', st["passwd"]] + list(cmd)


def fetch(url, headers=None, method="GET", auth=True, st=None, tls=True):
    """(status, headers, body bytes) of one request to the exporter."""
    req = urllib.request.Request(url, method=method, headers=dict(headers or {}))
    if auth:
        token = base64.b64encode(("%s:%s" % auth if isinstance(auth, tuple) else
                                  "%s:%s" % (PROM_USER, PROM_PASS)).encode()).decode()
        req.add_header("Authorization", "Basic " + token)
    ctx = None
    if tls:
        ctx = ssl.create_default_context(cafile=st["cert"])
    try:
        with urllib.request.urlopen(req, timeout=60, context=ctx) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def exporter_url(path="/metrics"):
    return "https://127.0.0.1:%d%s" % (EXPORTER_PORT, path)


def scrape(st, accept=None, coding=None):
    """(content type, text) of one exporter scrape."""
    headers = {}
    if accept:
        headers["Accept"] = accept
    if coding:
        headers["Accept-Encoding"] = coding
    status, hdrs, body = fetch(exporter_url(), headers, st=st)
    lnb.expect_eq(status, 200, "scrape status")
    if hdrs.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return hdrs.get("Content-Type"), body.decode()


def user_series(parsed, uid, suffix="_total"):
    """{(unit, dir, family, proto): value} of uid's series in a parsed exposition."""
    out = {}
    for (name, labels), v in parsed.items():
        lab = dict(labels)
        for unit in UNITS:
            if name == "linubia_user_%s%s" % (unit, suffix) and lab.get("uid") == str(uid):
                lnb.expect_eq(lab["user"], label_user(uid), "user label of uid %d" % uid)
                out[(unit, lab["direction"], lab["family"], lab["protocol"])] = v
    return out


def expect_user_equals_json(parsed, uid, doc, what):
    rec = {u["uid"]: u for u in doc["users"]}.get(uid)
    lnb.expect(rec is not None, "%s: uid %d has no record in show --json" % (what, uid))
    got = user_series(parsed, uid)
    want = {}
    for name, v in rec["counters"].items():
        d, fam, proto, unit = name.split("_")
        want[(unit, d, fam, proto)] = float(v)
    lnb.expect_eq(got, want, "%s: the 32 counters of uid %d vs show --json" % (what, uid))


def gzip_members(body):
    """How many gzip members body holds (each is a complete gzip stream)."""
    import zlib
    n = 0
    while body:
        d = zlib.decompressobj(31)
        d.decompress(body)
        lnb.expect(d.eof, "a truncated gzip member")
        body, n = d.unused_data, n + 1
    return n


def show_json():
    return json.loads(backends.cli("show", "--json", "--numeric").stdout)


def run_checked(cmd, what, input=None, env=None):
    p = subprocess.run(cmd, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=env)
    if p.returncode != 0:
        raise lnb.Failure("%s failed (%d): %s%s" % (what, p.returncode, p.stdout[-800:],
                                                   p.stderr[-800:]))
    return p.stdout


def query1(expr, at, what):
    """The single value of an instant query."""
    res = prom.query(PROM_PORT, expr, at)
    lnb.expect(len(res) == 1, "%s: %s gave %r" % (what, expr, res))
    return res[0][1]


STEPS = []


def step(fn):
    STEPS.append(fn)
    return fn


@step
def services_start(st):
    d = st["dir"]
    st["passwd"] = os.path.join(d, "passwd")
    with open("/etc/passwd") as src, open(st["passwd"], "w") as f:
        f.write(src.read())
        for uid, name in NAMES.items():
            f.write("%s:x:%d:%d::/nonexistent:/usr/sbin/nologin\n" % (name, uid, uid))
    st["cert"], key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    run_checked(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                 "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", st["cert"]],
                "openssl req")
    hashed = run_checked(["openssl", "passwd", "-6", "-stdin"], "openssl passwd",
                         input=PROM_PASS + "\n").strip()
    st["users"] = os.path.join(d, "exporter-users")
    with open(st["users"], "w") as f:
        f.write("# test\n%s:%s\n" % (PROM_USER, hashed))
    os.chmod(st["users"], 0o600)
    st["be"].load()
    st["exporter"] = prom.Service(in_private_passwd(st, [
        EXPORTER, "--web.listen-address=127.0.0.1:%d" % EXPORTER_PORT,
        "--web.auth-file=" + st["users"], "--web.tls-cert-file=" + st["cert"],
        "--web.tls-key-file=" + key]), os.path.join(d, "exporter.log"))
    lnb.wait_for(lambda: fetch(exporter_url("/"), st=st, auth=False)[0] == 401
                 if exporter_listening() else False, "the exporter answering", 60)
    st["textdir"] = os.path.join(d, "textfile")
    os.mkdir(st["textdir"])
    st["node"] = prom.Service(["prometheus-node-exporter", "--collector.disable-defaults",
                               "--collector.textfile",
                               "--collector.textfile.directory=" + st["textdir"],
                               "--web.listen-address=127.0.0.1:%d" % NODE_PORT],
                              os.path.join(d, "node.log"))
    prom.wait_http("http://127.0.0.1:%d/metrics" % NODE_PORT, "node_exporter listening")


def exporter_listening():
    p = subprocess.run(["ss", "-Hltn", "sport = :%d" % EXPORTER_PORT], stdout=subprocess.PIPE,
                       text=True)
    return bool(p.stdout.strip())


@step
def three_users_with_records(st):
    st["pair"] = p = lnb.Pair(n=PAIR_N, quiet=True)
    lnb.pair_flow(p, "udp", 4, A, B, "--count", "5", "--size", "300")
    lnb.pair_flow(p, "udp", 6, B, C, "--count", "4", "--size", "200")
    lnb.pair_flow(p, "tcp", 4, C, A, "--bytes", "20000")
    p.wait_quiet(still=1.0)
    doc = show_json()
    lnb.expect(set(OWN) <= {u["uid"] for u in doc["users"]}, "records of %s" % (OWN,))


@step
def exporter_equals_show_json(st):
    for accept, ctype in ((None, CT_TEXT), (ACCEPT_PROMETHEUS, CT_OM)):
        before = show_json()
        got_type, text = scrape(st, accept)
        after = show_json()
        lnb.expect_eq(got_type, ctype, "Content-Type for Accept %r" % accept)
        parsed = prom.parse(text)
        for uid in OWN:
            expect_user_equals_json(parsed, uid, before, ctype)
            expect_user_equals_json(parsed, uid, after, ctype + " (after)")
        lnb.expect_eq(parsed[("linubia_records_limit", frozenset())],
                      float(after["stats"]["max_users"]), "linubia_records_limit")
        lnb.expect(before["stats"]["users"] <= parsed[("linubia_records", frozenset())]
                   <= after["stats"]["users"], "linubia_records between two show --json")
        lnb.expect_eq(parsed.get(("linubia_backend_info", frozenset({("backend", "ebpf"),
                                                                     ("scope", "all")}))),
                      1.0, "linubia_backend_info")
        lnb.expect_eq(parsed.get(("linubia_up", frozenset())), 1.0, "linubia_up")
        labels = [dict(lab) for (name, lab) in parsed if name == "linubia_user_bytes_total"
                  and dict(lab)["uid"] == "4294967295"]
        lnb.expect(len(labels) == 16 and all(lab["user"] == "(unattributed)" for lab in labels),
                   "the unattributed record's 16 byte series, user=\"(unattributed)\"")
        if ctype == CT_OM:
            rec = {u["uid"]: u for u in after["users"]}
            for uid in OWN:
                created = user_series(parsed, uid, "_created")
                want = (rec[uid]["last_reset_ns"] or rec[uid]["first_seen_ns"]) // 10 ** 6 / 1e3
                lnb.expect(len(created) == 32 and set(created.values()) == {want},
                           "_created of uid %d: %r, expected %.3f"
                           % (uid, set(created.values()), want))
        st.setdefault("texts", {})[ctype] = text


@step
def promtool_and_openmetrics_parser(st):
    cli = {}
    for fmt in ("prometheus", "openmetrics"):
        cli[fmt] = run_checked(in_private_passwd(st, [LINUBIA, "show", "--format", fmt]),
                               "linubia show --format " + fmt)
    for what, text in (("linubia show --format prometheus", cli["prometheus"]),
                       ("the exporter's text format", st["texts"][CT_TEXT])):
        p = subprocess.run(["promtool", "check", "metrics"], input=text,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lnb.expect(p.returncode == 0 and not p.stdout.strip(),
                   "promtool check metrics on %s: exit %d: %s"
                   % (what, p.returncode, p.stdout[:800]))
        print("  promtool check metrics, %s: clean (%d lines)" % (what, text.count("\n")),
              flush=True)
    for what, text in (("linubia show --format openmetrics", cli["openmetrics"]),
                       ("the exporter's OpenMetrics", st["texts"][CT_OM])):
        out = run_checked(["/usr/bin/python3", OM_CHECK], "OpenMetrics parser on " + what,
                          input=text)
        print("  OpenMetrics parser, %s: %s" % (what, out.strip()), flush=True)
    for fmt, text in cli.items():
        parsed = prom.parse(text)
        doc = show_json()
        for uid in OWN:
            expect_user_equals_json(parsed, uid, doc, "show --format " + fmt)
    # the short forms, and bad command lines (exit 2, a message, no output)
    lnb.expect(backends.cli("show", "--openmetrics", "--numeric").stdout.endswith("# EOF\n")
               and "# EOF" not in backends.cli("show", "--prometheus", "--numeric").stdout,
               "--openmetrics / --prometheus")
    for args, msg in ((["--format", "yaml"], "--format yaml: unknown format"),
                      (["--format", "prometheus", "--sort", "bytes"],
                       "--sort bytes: the prometheus format is always in UID order")):
        p = backends.cli("show", *args, check=False)
        lnb.expect(p.returncode == 2 and msg in p.stderr and not p.stdout,
                   "linubia show %s: exit %d, %r" % (" ".join(args), p.returncode, p.stderr))
    one = prom.parse(backends.cli("show", "--uid", A, "--format", "prometheus").stdout)
    lnb.expect_eq({dict(lab)["uid"] for (name, lab) in one if name.startswith("linubia_user")},
                  {str(A)}, "show --uid %d --format prometheus" % A)


@step
def negotiation_gzip_and_methods(st):
    cases = [("text/plain", CT_TEXT), ("application/openmetrics-text", CT_OM),
             ("application/openmetrics-text;q=0.2,text/plain;q=0.5", CT_TEXT),
             ("application/json", CT_TEXT), ("*/*", CT_TEXT)]
    for accept, want in cases:
        got, _ = scrape(st, accept)
        lnb.expect_eq(got, want, "Content-Type for Accept: %s" % accept)
    for accept in (None, ACCEPT_PROMETHEUS):
        status, hdrs, body = fetch(exporter_url(), dict({"Accept-Encoding": "gzip"},
                                                        **({"Accept": accept} if accept else {})),
                                   st=st)
        lnb.expect(status == 200 and hdrs.get("Content-Encoding") == "gzip",
                   "gzip asked: status %d, Content-Encoding %r" % (status,
                                                                   hdrs.get("Content-Encoding")))
        plain = gzip.decompress(body).decode()
        parsed, doc = prom.parse(plain), show_json()
        for uid in OWN:
            expect_user_equals_json(parsed, uid, doc, "gzip body")
        print("  gzip (%s): %d bytes for %d" % ("OpenMetrics" if accept else "text", len(body),
                                               len(plain)), flush=True)
        lnb.expect(plain.endswith("# EOF\n") == bool(accept), "# EOF only in OpenMetrics")
    status, hdrs, _ = fetch(exporter_url(), {"Accept-Encoding": "gzip;q=0"}, st=st)
    lnb.expect(hdrs.get("Content-Encoding") is None, "gzip;q=0 still compressed")
    status, hdrs, body = fetch(exporter_url(), method="HEAD", st=st)
    lnb.expect(status == 200 and body == b"" and hdrs.get("Content-Type") == CT_TEXT,
               "HEAD: %d %r %r" % (status, hdrs.get("Content-Type"), body[:50]))
    status, hdrs, _ = fetch(exporter_url(), method="POST", st=st)
    lnb.expect(status == 405 and hdrs.get("Allow") == "GET, HEAD", "POST: %d" % status)
    lnb.expect_eq(fetch(exporter_url("/nope"), st=st)[0], 404, "an unknown path")
    status, _, body = fetch(exporter_url("/"), st=st)
    lnb.expect(status == 200 and b'href="/metrics"' in body, "landing page: %d" % status)


@step
def authentication_and_tls(st):
    for auth, what in ((False, "no credentials"), ((PROM_USER, "wrong"), "a wrong password"),
                       (("nobody", PROM_PASS), "an unknown user")):
        status, hdrs, body = fetch(exporter_url(), auth=auth, st=st)
        lnb.expect(status == 401 and "Basic" in (hdrs.get("WWW-Authenticate") or "")
                   and b"linubia_user" not in body, "%s: status %d, %r" % (what, status, body[:80]))
    try:
        urllib.request.urlopen("http://127.0.0.1:%d/metrics" % EXPORTER_PORT, timeout=10).read()
        raise lnb.Failure("plain HTTP to the TLS port answered")
    except (urllib.error.URLError, ConnectionError, OSError) as e:
        if isinstance(e, lnb.Failure):
            raise
    bad = ssl.create_default_context()  # the system CAs do not know our certificate
    try:
        urllib.request.urlopen(exporter_url(), timeout=10, context=bad).read()
        raise lnb.Failure("TLS without the test CA was accepted")
    except urllib.error.URLError as e:
        lnb.expect(isinstance(e.reason, ssl.SSLCertVerificationError),
                   "untrusted certificate: %r" % e.reason)
    lnb.expect_eq(fetch(exporter_url(), st=st)[0], 200, "the right password")


def textfile_run(st, linubia=LINUBIA):
    env = dict(os.environ, LINUBIA=linubia, LINUBIA_TEXTFILE_GROUP="prometheus")
    return subprocess.run(in_private_passwd(st, [TEXTFILE, st["textdir"]]), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@step
def textfile_for_node_exporter(st):
    prom_file = os.path.join(st["textdir"], "linubia.prom")
    p = textfile_run(st)
    lnb.expect(p.returncode == 0, "linubia-textfile: %d %s" % (p.returncode, p.stderr))
    s = os.stat(prom_file)
    lnb.expect(s.st_mode & 0o777 == 0o640 and s.st_gid == int(
        subprocess.run(["getent", "group", "prometheus"], stdout=subprocess.PIPE,
                       text=True).stdout.split(":")[2]),
               "linubia.prom mode %o gid %d, expected 0640 group prometheus"
               % (s.st_mode & 0o777, s.st_gid))
    lnb.expect_eq(sorted(os.listdir(st["textdir"])), ["linubia.prom"], "files left in the dir")
    node = prom.parse(prom.http_get("http://127.0.0.1:%d/metrics" % NODE_PORT))
    doc = show_json()
    for uid in OWN:
        expect_user_equals_json(node, uid, doc, "node_exporter's textfile collector")
    lnb.expect_eq(node.get(("node_textfile_scrape_error", frozenset())), 0.0,
                  "node_textfile_scrape_error")
    # a failing linubia: no stale file, linubia's exit status
    p = textfile_run(st, linubia="/bin/false")
    lnb.expect(p.returncode == 1 and not os.listdir(st["textdir"]),
               "linubia failing: exit %d, files %r" % (p.returncode, os.listdir(st["textdir"])))
    node = prom.parse(prom.http_get("http://127.0.0.1:%d/metrics" % NODE_PORT))
    lnb.expect(not user_series(node, A), "node_exporter still serves uid %d" % A)


@step
def systemd_units_verify(st):
    d = os.path.join(st["dir"], "units")
    os.mkdir(d)
    stubs = {"/usr/sbin/linubia-exporter": EXPORTER, "/usr/lib/linubia/linubia-textfile": TEXTFILE}
    for unit in ("linubia-exporter.service", "linubia-textfile.service",
                 "linubia-textfile.timer"):
        text = open(os.path.join(REPO, "conf", unit)).read()
        for old, new in stubs.items():
            text = text.replace(old, new)
        with open(os.path.join(d, unit), "w") as f:
            f.write(text)
    p = subprocess.run(["systemd-analyze", "verify"] + [os.path.join(d, u) for u in
                                                          sorted(os.listdir(d))],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=d)
    lnb.expect(p.returncode == 0 and not p.stdout.strip(),
               "systemd-analyze verify: %d %s" % (p.returncode, p.stdout))


class TextfileTimer:
    """What linubia-textfile.timer does, every second instead of 15 s."""

    def __init__(self, st):
        self.st, self.stop_ev, self.failures = st, threading.Event(), []
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stop_ev.wait(1.0):
            p = textfile_run(self.st)
            if p.returncode:
                self.failures.append(p.stderr.strip())

    def stop(self):
        self.stop_ev.set()
        self.thread.join(timeout=60)


@step
def prometheus_rates_of_three_users(st):
    p = st["pair"]
    run_for = 4 * WINDOW + 120
    # A -> B over IPv4, B -> C over IPv6, C -> A over IPv4: everyone sends and receives
    st["flows"] = [flows.RateFlow(p, 4, A, B, 120000, 1000, run_for),
                   flows.RateFlow(p, 6, B, C, 80000, 800, run_for),
                   flows.RateFlow(p, 4, C, A, 50000, 500, run_for)]
    ab, bc, ca = (f.ip_rate for f in st["flows"])
    st["rates"] = {A: {"in": ca, "out": ab}, B: {"in": ab, "out": bc}, C: {"in": bc, "out": ca}}
    st["timer"] = TextfileTimer(st)
    text = open(SCRAPE_YML).read()
    pwfile = os.path.join(st["dir"], "prom-password")
    with open(pwfile, "w") as f:
        f.write(PROM_PASS)
    for old, new in (("scrape_interval: 60s", "scrape_interval: 1s"),
                     ("scrape_timeout: 10s", "scrape_timeout: 1s"),
                     ("/etc/prometheus/linubia-ca.pem", st["cert"]),
                     ("/etc/prometheus/linubia-exporter.password", pwfile),
                     ("['server1.example.org:10771', 'server2.example.org:10771']",
                      "['127.0.0.1:%d']" % EXPORTER_PORT),
                     ("['server3.example.org:9100']", "['127.0.0.1:%d']" % NODE_PORT)):
        lnb.expect_eq(text.count(old), 1, "%r in linubia-exporter.yml" % old)
        text = text.replace(old, new)
    cfg = os.path.join(st["dir"], "prometheus.yml")
    with open(cfg, "w") as f:
        f.write(text)
    st["prom"] = prom.start_prometheus(cfg, PROM_PORT, st["dir"])
    started = time.time()
    at = started + WINDOW + 5.0
    prom.wait_until(at + 2.0)
    for job in ("linubia", "node"):
        lnb.expect_eq(query1('up{job="%s"}' % job, at, job), 1.0, "up of job %s" % job)
        for d in ("in", "out"):
            res = prom.query(PROM_PORT, 'sum by (user) (rate(linubia_user_bytes_total{job="%s",'
                             'direction="%s"}[%ds]))' % (job, d, WINDOW), at)
            got = {r[0].get("user"): r[1] for r in res}
            for uid in OWN:
                want, have = st["rates"][uid][d], got.get(label_user(uid))
                lnb.expect(have is not None, "%s: no %s rate of %s: %r" % (job, d, uid, got))
                err = (have - want) / want
                print("  %-7s %-5s %-3s rate() %7.0f B/s, sent %7.0f B/s (%+.2f %%)"
                      % (job, label_user(uid), d, have, want, 100 * err), flush=True)
                lnb.expect(abs(err) <= TOLERANCE, "%s: rate() %s of %s is %.0f B/s, sent %.0f "
                           "(%.1f %% off)" % (job, d, label_user(uid), have, want, 100 * err))
    # Prometheus asked for and got OpenMetrics: _created reached the TSDB
    lnb.expect(prom.query(PROM_PORT, 'linubia_user_bytes_created{job="linubia",uid="%d"}' % A,
                          at), "no linubia_user_bytes_created: OpenMetrics not negotiated")
    lnb.expect(not st["timer"].failures, "linubia-textfile failed: %r" % st["timer"].failures[:2])


@step
def reset_is_a_counter_reset(st):
    sel = 'uid="%d",direction="out",family="ipv4",protocol="udp"' % A
    before = {u["uid"]: u for u in show_json()["users"]}[A]
    created_before = query1('linubia_user_bytes_created{job="linubia",%s}' % sel, time.time(),
                            "_created before the reset")
    lnb.expect_eq(created_before, before["first_seen_ns"] // 10 ** 6 / 1e3,
                  "_created before the reset = first seen")
    backends.cli("reset", "--uid", A)
    reset_at = time.time()
    after = {u["uid"]: u for u in show_json()["users"]}[A]
    lnb.expect(after["last_reset_ns"] > 0, "show --json has no last_reset_ns")
    at = reset_at + WINDOW / 2
    prom.wait_until(at + 2.0)
    created = query1('linubia_user_bytes_created{job="linubia",%s}' % sel, at, "_created after")
    lnb.expect_eq(created, after["last_reset_ns"] // 10 ** 6 / 1e3,
                  "_created after the reset = the reset's time")
    want = st["rates"][A]["out"]
    for job in ("linubia", "node"):
        s = 'linubia_user_bytes_total{job="%s",%s}' % (job, sel)
        resets = query1("resets(%s[%ds])" % (s, WINDOW), at, job + " resets()")
        rate = query1("rate(%s[%ds])" % (s, WINDOW), at, job + " rate()")
        inc = query1("increase(%s[%ds])" % (s, WINDOW), at, job + " increase()")
        print("  %-7s across the reset: resets() %.0f, rate() %.0f B/s, increase() %.0f B "
              "(sent %.0f B/s, %.0f B)" % (job, resets, rate, inc, want, want * WINDOW),
              flush=True)
        lnb.expect_eq(resets, 1.0, "%s: resets() across the reset" % job)
        lnb.expect(abs(rate - want) / want <= TOLERANCE, "%s: rate() across the reset %.0f, "
                   "sent %.0f" % (job, rate, want))
        lnb.expect(abs(inc - want * WINDOW) / (want * WINDOW) <= TOLERANCE,
                   "%s: increase() across the reset %.0f, sent %.0f" % (job, inc, want * WINDOW))


@step
def unload_serves_up_zero_then_recovers(st):
    for f in st.pop("flows", []):
        f.stop()
    st.pop("timer").stop()
    st["be"].unload()
    ctype, text = scrape(st, ACCEPT_PROMETHEUS)
    parsed = prom.parse(text)
    lnb.expect(parsed == {("linubia_up", frozenset()): 0.0} and text.endswith("# EOF\n"),
               "after the unload: %r" % text[-300:])
    st["be"].load()
    _, text = scrape(st)
    parsed = prom.parse(text)
    lnb.expect_eq(parsed.get(("linubia_up", frozenset())), 1.0, "linubia_up after the reload")
    log = open(os.path.join(st["dir"], "exporter.log")).read()
    lnb.expect("serving linubia_up 0" in log and "can be read again" in log,
               "the exporter's log: %s" % log[-600:])


@step
def gzip_with_many_users(st):
    """After the reload (Prometheus is done: bigger bodies cannot slow its
    scrapes any more): 400 more records, bodies of several MiB, streamed
    through the compressor: one complete gzip stream whose text equals
    show --json, readable by Python and by curl --compressed."""
    backends.cli("config", "count_loopback=on")
    try:
        lnb.run([os.path.join(REPO, "build", "bin", "lib-snapshot-uids"), str(CROWD),
                 str(CROWD_N)])
    finally:
        backends.cli("config", "count_loopback=off")  # the scrapes go over loopback
    crowd = set(range(CROWD, CROWD + CROWD_N))
    lnb.expect(len({u["uid"] for u in show_json()["users"]} & crowd) >= CROWD_N * 0.95,
               "records of the %d extra users" % CROWD_N)
    for accept in (None, ACCEPT_PROMETHEUS):
        headers = dict({"Accept-Encoding": "gzip"}, **({"Accept": accept} if accept else {}))
        status, hdrs, body = fetch(exporter_url(), headers, st=st)
        lnb.expect(status == 200 and hdrs.get("Content-Encoding") == "gzip", "gzip status")
        plain = gzip.decompress(body).decode()
        members = gzip_members(body)
        print("  gzip (%s): %d bytes for %d" % ("OpenMetrics" if accept else "text", len(body),
                                               len(plain)), flush=True)
        lnb.expect(members == 1 and len(plain) > 2 ** 20,
                   "%d gzip members for %d bytes of text (expected one stream)"
                   % (members, len(plain)))
        parsed, doc = prom.parse(plain), show_json()
        for uid in sorted(crowd)[:20] + sorted(crowd)[-20:]:
            if uid in {u["uid"] for u in doc["users"]}:
                expect_user_equals_json(parsed, uid, doc, "a big gzip body")
        lnb.expect(plain.endswith("# EOF\n") == bool(accept), "the end of a big gzip body")
    p = subprocess.run(["curl", "-sS", "--compressed", "--cacert", st["cert"], "-u",
                        "%s:%s" % (PROM_USER, PROM_PASS), exporter_url()],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lnb.expect(p.returncode == 0 and p.stdout.endswith(b"\nlinubia_up 1\n"),
               "curl --compressed: exit %d, %d bytes, ends %r"
               % (p.returncode, len(p.stdout), p.stdout[-40:]))


@step
def exporter_under_valgrind(st):
    """Every kind of request once, then SIGTERM: no leak, no memory error
    (the scrape state, the name cache and its refresher thread, auth, TLS)."""
    log = os.path.join(st["dir"], "valgrind.log")
    key = os.path.join(st["dir"], "key.pem")
    s = prom.Service(["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
                      "--errors-for-leak-kinds=definite,indirect,possible",
                      EXPORTER, "--web.listen-address=127.0.0.1:%d" % VALGRIND_PORT,
                      "--web.auth-file=" + st["users"], "--web.tls-cert-file=" + st["cert"],
                      "--web.tls-key-file=" + key, "--names.ttl=0"], log)
    url = "https://127.0.0.1:%d" % VALGRIND_PORT
    lnb.wait_for(lambda: subprocess.run(["ss", "-Hltn", "sport = :%d" % VALGRIND_PORT],
                                        stdout=subprocess.PIPE, text=True).stdout.strip() != "",
                 "the exporter under valgrind listening", 120)
    for headers in ({}, {"Accept": ACCEPT_PROMETHEUS}, {"Accept-Encoding": "gzip"},
                    {"Accept": ACCEPT_PROMETHEUS, "Accept-Encoding": "gzip"}):
        status, hdrs, body = fetch(url + "/metrics", headers, st=st)
        lnb.expect_eq(status, 200, "under valgrind, %r" % headers)
    lnb.expect_eq(fetch(url + "/metrics", auth=False, st=st)[0], 401, "under valgrind, 401")
    lnb.expect_eq(fetch(url + "/x", st=st)[0], 404, "under valgrind, 404")
    s.proc.send_signal(signal.SIGTERM)
    rc = s.proc.wait(timeout=300)
    s.proc = None
    text = open(log).read()
    lnb.expect(rc == 0 and "==" not in text.replace("linubia-exporter", ""),
               "valgrind: exit %d: %s" % (rc, text[-2000:]))


@step
def exporter_as_nobody_over_ebpf(st):
    log = os.path.join(st["dir"], "nonroot.log")
    s = prom.Service(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", EXPORTER,
                      "--web.no-auth", "--web.listen-address=127.0.0.1:%d" % NONROOT_PORT], log)
    try:
        prom.wait_http("http://127.0.0.1:%d/metrics" % NONROOT_PORT, "the exporter as nobody")
        parsed = prom.parse(prom.http_get("http://127.0.0.1:%d/metrics" % NONROOT_PORT))
        lnb.expect_eq(parsed, {("linubia_up", frozenset()): 0.0}, "nobody over eBPF")
    finally:
        s.stop()
    text = open(log).read()
    lnb.expect("permission denied" in text and "the eBPF backend is root-only today" in text,
               "the reason in the log: %s" % text)


def main():
    if len(sys.argv) > 1:
        print(__doc__, file=sys.stderr)
        return 2
    be = backends.Ebpf()
    if be.loaded():
        print("test_prometheus.py: the eBPF backend is already loaded; this test loads and "
              "unloads it itself", file=sys.stderr)
        return 1
    st = {"be": be, "dir": tempfile.mkdtemp(prefix="lnb-prom-")}
    os.chmod(st["dir"], 0o755)
    passed = failed = 0
    try:
        passed, failed = run_each(STEPS, lambda fn: fn(st))
    finally:
        for f in st.get("flows", []):
            f.stop()
        if st.get("timer"):
            st["timer"].stop()
        for key in ("prom", "node", "exporter"):
            if st.get(key):
                st[key].stop()
        if st.get("pair"):
            st["pair"].close()
        be.cleanup()
        if failed:
            for f in ("exporter.log", "node.log", "prometheus.log", "nonroot.log"):
                path = os.path.join(st["dir"], f)
                if os.path.exists(path):
                    print("--- %s (tail)\n%s" % (f, open(path).read()[-1500:]))
        keep = os.environ.get("LINUBIA_PROM_KEEP")
        if keep:
            shutil.copytree(st["dir"], keep, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("tsdb"))
        shutil.rmtree(st["dir"], ignore_errors=True)
    return summary(passed, failed)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
