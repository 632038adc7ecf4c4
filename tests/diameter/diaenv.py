# SPDX-License-Identifier: GPL-2.0-only
"""The Diameter test world, started privately and stopped by PID: a
PostgreSQL 15 cluster (initdb in a temporary directory, unix socket there,
no TCP), freeDiameterd + app_acct (+ dict_linubia.fdx) in network
namespaces of their own (freeDiameter binds every address whatever
ListenOn says), and linubia-diameter in a third namespace joined to each
server by a veth pair.  Also the AVP table of diameter/avps.h, parsed
independently of the C code."""
import csv
import io
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
BUILD = os.path.join(REPO, "build")
# LINUBIA_DIAMETER: another build of the client (a mutant, to show that a
# test fails without the code it checks)
DIAMETER = os.environ.get("LINUBIA_DIAMETER") or os.path.join(BUILD, "bin", "linubia-diameter")
DICT_FDX = os.path.join(BUILD, "diameter", "dict_linubia.fdx")
APP_ACCT = os.path.join(BUILD, "diameter", "app_acct", "app_acct.fdx")
DICT_NASREQ = "/usr/lib/freeDiameter/dict_nasreq.fdx"
ACL_WL = "/usr/lib/freeDiameter/acl_wl.fdx"
PG_BIN = "/usr/lib/postgresql/15/bin"
REALM = "lnbd.test"
CLIENT_ID = "client.lnbd.test"
CLI_NS = "lnbd-cli"


def parse_avps():
    """[(code, name, sum, mandatory)] from diameter/avps.h."""
    text = open(os.path.join(REPO, "diameter", "avps.h")).read()
    rows = re.findall(r'X\((\d+),\s*"([\w-]+)",\s*"(\w+)",\s*([01])\)', text)
    return [(int(c), n, s, int(m)) for c, n, s, m in rows]


AVPS = parse_avps()
# PostgreSQL column of each AVP: its name in lower case with underscores
COLUMN = {name: name.lower().replace("-", "_") for _, name, _, _ in AVPS}


def sum_value(counters, sum_name):
    """A liblinubia sum ("out_ipv4_tcp_bytes", "in_bytes", ...) computed
    here from the 32 raw counters, independently of the library."""
    parts = sum_name.split("_")
    d, unit = parts[0], parts[-1]
    fam = next((p for p in parts if p in ("ipv4", "ipv6")), None)
    proto = next((p for p in parts if p in ("tcp", "udp", "icmp", "other")), None)
    total = 0
    for name, v in counters.items():
        cd, cf, cp, cu = name.split("_")
        if cd == d and cu == unit and (fam is None or cf == fam) and \
                (proto is None or cp == proto):
            total += v
    return total


def expected_avps(counters):
    return {name: sum_value(counters, s) for _, name, s, _ in AVPS}


def run_as(user):
    import pwd
    pw = pwd.getpwnam(user)

    def drop():
        os.setgid(pw.pw_gid)
        os.setgroups([])
        os.setuid(pw.pw_uid)
    return drop


class Postgres:
    """A private cluster: unix socket in its own directory, no TCP."""

    def __init__(self, root):
        self.dir = os.path.join(root, "pg")
        os.mkdir(self.dir)
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "postgres.log")
        subprocess.run([os.path.join(PG_BIN, "initdb"), "-D", self.data, "-U", "postgres",
                        "--auth=trust", "-E", "UTF8", "--no-sync"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       preexec_fn=run_as("postgres"), cwd=self.dir)
        self.proc = subprocess.Popen(
            [os.path.join(PG_BIN, "postgres"), "-D", self.data, "-k", self.dir,
             "-c", "listen_addresses=", "-c", "fsync=off", "-p", "5432"],
            stdout=open(self.log, "a"), stderr=subprocess.STDOUT,
            preexec_fn=run_as("postgres"), cwd=self.dir)
        lnb.wait_for(lambda: self.try_sql("SELECT 1") == [["1"]], "PostgreSQL answering", 120)
        self.conninfo = "host=%s port=5432 dbname=postgres user=postgres" % self.dir

    def try_sql(self, sql):
        p = subprocess.run(["psql", "-h", self.dir, "-p", "5432", "-U", "postgres", "-X",
                            "-q", "--csv", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            return None
        return list(csv.reader(io.StringIO(p.stdout)))

    def sql(self, sql):
        rows = self.try_sql(sql)
        if rows is None:
            p = subprocess.run(["psql", "-h", self.dir, "-U", "postgres", "-X", "-c", sql],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            raise lnb.Failure("SQL failed: %s\n%s" % (sql, p.stderr.strip()))
        return rows

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown
            self.proc.wait(timeout=60)
            self.proc = None


TABLE = "acct"


def create_table(pg):
    cols = ["recorded_on timestamptz", "recorded_serv bytea", "session_id bytea",
            "origin_host bytea", "record_type integer", "record_number integer",
            "user_name bytea", "event_timestamp bytea", "acct_interim_interval integer",
            "x_required bytea"]  # a server that insists on an AVP LINUBIA does not send
    cols += ["%s bigint" % COLUMN[name] for _, name, _, _ in AVPS]
    pg.sql("CREATE TABLE %s (%s)" % (TABLE, ", ".join(cols)))


def app_acct_conf(path, pg, required=None, std=True):
    """app_acct's configuration: every AVP of a LINUBIA record into one
    column each (required: one more AVP the server insists on; std=False:
    not the RFC 7155 ones, for a server without dict_nasreq)."""
    avps = [("Session-Id", "session_id"), ("Origin-Host", "origin_host"),
            ("Accounting-Record-Type", "record_type"),
            ("Accounting-Record-Number", "record_number"), ("User-Name", "user_name"),
            ("Event-Timestamp", "event_timestamp"),
            ("Acct-Interim-Interval", "acct_interim_interval")]
    avps += [(name, COLUMN[name]) for code, name, _, _ in AVPS if std or code >= 5000]
    with open(path, "w") as f:
        for name, col in avps:
            f.write('"%s" = { field = "%s"; };\n' % (name, col))
        if required:
            f.write('"%s" = { field = "x_required"; required; };\n' % required)
        f.write('ConnInfo = "%s";\nTable = "%s";\nTimestamp_field = "recorded_on";\n'
                'Server_name_field = "recorded_serv";\n' % (pg.conninfo, TABLE))


class Pki:
    """A private certificate authority (ECDSA P-256, valid two days) and the
    certificates it issues: CN and subjectAltName = the DiameterIdentity,
    which freeDiameter checks against the peer's name."""

    def __init__(self, root, name="ca"):
        self.dir = os.path.join(root, name)
        os.mkdir(self.dir, 0o700)
        self.ca = os.path.join(self.dir, "ca.pem")
        self.ca_key = os.path.join(self.dir, "ca.key")
        self.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                     "-nodes", "-keyout", self.ca_key, "-out", self.ca, "-days", "2",
                     "-subj", "/CN=LINUBIA test %s" % name,
                     "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def openssl(self, *args):
        subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    def issue(self, ident):
        """(certificate, key) paths for DiameterIdentity ident."""
        base = os.path.join(self.dir, ident)
        if not os.path.exists(base + ".pem"):
            self.openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                         "-keyout", base + ".key", "-out", base + ".csr", "-subj", "/CN=" + ident)
            ext = base + ".ext"
            with open(ext, "w") as f:
                f.write("subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\n"
                        "keyUsage=critical,digitalSignature\n"
                        "extendedKeyUsage=serverAuth,clientAuth\n" % ident)
            self.openssl("x509", "-req", "-in", base + ".csr", "-CA", self.ca, "-CAkey",
                         self.ca_key, "-CAcreateserial", "-out", base + ".pem", "-days", "2",
                         "-extfile", ext)
        return base + ".pem", base + ".key"


class Server:
    """freeDiameterd + app_acct in network namespace ns at addr."""

    def __init__(self, root, name, ns, addr, pg):
        self.name, self.ns, self.addr = name, ns, addr
        self.ident = "%s.%s" % (name, REALM)
        self.dir = os.path.join(root, name)
        os.mkdir(self.dir)
        self.log = os.path.join(self.dir, "freeDiameterd.log")
        self.pg = pg
        self.proc = None
        self.configure()

    def configure(self, required=None, nasreq=True, tls=None):
        """nasreq=False: a server whose dictionary lacks the RFC 7155 AVPs,
        so it answers DIAMETER_AVP_UNSUPPORTED (their M bit is set).
        tls: a Pki; then the server takes TLS clients only, on 5658."""
        app_acct_conf(os.path.join(self.dir, "app_acct.conf"), self.pg, required, nasreq)
        with open(os.path.join(self.dir, "acl_wl.conf"), "w") as f:
            # without TLS: "implicitly protected" (IPsec) links
            f.write("%s%s\n" % ("" if tls else "ALLOW_IPSEC ", CLIENT_ID))
        exts = ([DICT_NASREQ] if nasreq else []) + [DICT_FDX]
        with open(os.path.join(self.dir, "freeDiameter.conf"), "w") as f:
            f.write('Identity = "%s";\nRealm = "%s";\nPort = 3868;\nSecPort = %d;\n'
                    'No_SCTP;\nNoRelay;\nListenOn = "%s";\nTcTimer = 1;\nTwTimer = 6;\n'
                    % (self.ident, REALM, 5658 if tls else 0, self.addr))
            if tls:
                cert, key = tls.issue(self.ident)
                f.write('TLS_Cred = "%s", "%s";\nTLS_CA = "%s";\n' % (cert, key, tls.ca))
            for e in exts:
                f.write('LoadExtension = "%s";\n' % e)
            f.write('LoadExtension = "%s" : "%s";\nLoadExtension = "%s" : "%s";\n'
                    % (APP_ACCT, os.path.join(self.dir, "app_acct.conf"), ACL_WL,
                       os.path.join(self.dir, "acl_wl.conf")))

    def start(self, env=None):
        """env: more environment (LNB_TEST_ACA_INTERIM_INTERVAL, see
        build-app-acct.sh)."""
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "freeDiameterd", "-c",
             os.path.join(self.dir, "freeDiameter.conf")],
            stdout=open(self.log, "a"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(os.environ, **(env or {})))

    def stop(self, sig=signal.SIGTERM):
        if self.proc:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None
