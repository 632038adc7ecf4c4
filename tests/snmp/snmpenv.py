# SPDX-License-Identifier: GPL-2.0-only
"""A private Net-SNMP master and linubia-agentx, as the SNMP tests (and the
NMS tests) drive them: loopback port, private AgentX socket, persistent and
client directories under one temporary directory; started and stopped by
PID.  Also the OIDs of LINUBIA-MIB and a parser for the tools' output."""
import os
import re
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kmod"))
import lnb  # noqa: E402
import uapi  # noqa: E402

REPO = uapi.REPO
AGENTX = os.path.join(REPO, "build", "bin", "linubia-agentx")
DLMOD = os.path.join(REPO, "build", "snmp", "linubia.so")
MODES = ("agentx", "dlmod")
MIBFILE = os.path.join(REPO, "mibs", "LINUBIA-MIB.txt")
MIBDIRS = os.environ.get("LINUBIA_MIBDIRS",
                         "%s/build/mibs/base:/usr/share/snmp/mibs:%s/mibs" % (REPO, REPO))
RO, RW_USER = "lnbro", "lnbadmin"
AUTH_PASS, PRIV_PASS = "lnb-auth-pass", "lnb-priv-pass"
V3 = ["-v3", "-l", "authPriv", "-u", RW_USER, "-a", "SHA", "-A", AUTH_PASS,
      "-x", "AES", "-X", PRIV_PASS]
V2 = ["-v2c", "-c", RO]
ROOT = ".1.3.6.1.4.1.8072.9999.9999.1.1"
USER_ENTRY, DETAIL_ENTRY = ROOT + ".2.1", ROOT + ".3.1"
SCALAR = {"users": 1, "max_users": 2, "backend": 3, "status": 4, "table_full_pkts": 5,
          "table_full_octets": 6, "count_loopback": 7, "max_delegated": 8,
          "delegated_users": 9, "delegated_over_bound_pkts": 10}


def scalar(name):
    return "%s.1.%d.0" % (ROOT, SCALAR[name])


class SnmpEnv:
    """snmpd on 127.0.0.1:port (v2c community RO read-only, v3 authPriv
    user RW_USER read-write, both limited to the LINUBIA view and system)
    and LINUBIA-MIB served by the subagent on a socket in a private
    directory (mode "agentx"), or by linubia.so loaded into that snmpd
    (mode "dlmod": then snmpd is the agent, and start_agent/stop_agent
    start and stop snmpd).  The directory must not be on 9p (AgentX
    sockets cannot live there)."""

    def __init__(self, port, cache_period=1, ping_interval=1, prefix="lnb-snmp-",
                 mode="agentx"):
        assert mode in MODES, mode
        self.mode = mode
        self.port = port
        self.host = "127.0.0.1:%d" % port
        self.dir = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.dir, 0o755)
        self.sock = os.path.join(self.dir, "agentx.sock")
        self.persist = os.path.join(self.dir, "persist")
        self.client = os.path.join(self.dir, "client")
        for d in (self.persist, self.client):
            os.mkdir(d)
        self.snmpd = self.agent = None
        self.snmpd_log = open(os.path.join(self.dir, "snmpd.log"), "a")
        self.agent_log = os.path.join(self.dir, "agent.log")
        self.agent_conf = os.path.join(self.dir, "agentx.conf")
        self.snmpd_pidfile = os.path.join(self.dir, "snmpd.pid")
        self.pidfile = self.snmpd_pidfile if mode == "dlmod" else \
            os.path.join(self.dir, "agentx.pid")
        self.write_agent_conf(cache_period, ping_interval)

    def write_agent_conf(self, cache_period, ping_interval):
        """The subagent's settings file; in dlmod mode snmpd.conf's
        linubiaCachePeriod (the ping interval is AgentX's alone)."""
        with open(os.path.join(self.dir, "snmpd.conf"), "w") as f:
            f.write("""%s
agentaddress udp:%s
dontLogTCPWrappersConnects yes
view linubia included .1.3.6.1.2.1.1
view linubia included .1.3.6.1.4.1.8072.9999.9999.1
rocommunity %s 127.0.0.0/8 -V linubia
createUser %s SHA "%s" AES "%s"
rwuser %s priv -V linubia
""" % ("dlmod linubia %s\nlinubiaCachePeriod %d" % (DLMOD, cache_period) if self.mode == "dlmod"
       else "master agentx\nagentXSocket %s\nagentXPerms 0660 0755" % self.sock,
       self.host, RO, RW_USER, AUTH_PASS, PRIV_PASS, RW_USER))
        with open(self.agent_conf, "w") as f:
            f.write("# test settings\ncache_period %d\nping_interval %d\n"
                    % (cache_period, ping_interval))

    def env(self, persist=None, mibs="LINUBIA-MIB"):
        return dict(os.environ, SNMP_PERSISTENT_DIR=persist or self.client,
                    MIBDIRS=MIBDIRS, MIBS=mibs)

    def start_snmpd(self, prefix=(), args=()):
        if self.snmpd:  # running already (dlmod mode: start_agent() started it)
            return
        e = self.env(self.persist)
        # snmpd needs no MIB files; parsing Debian's half set costs seconds under TCG
        e["MIBS"], e["MIBDIRS"] = "", self.client
        self.snmpd = subprocess.Popen(
            list(prefix) + ["snmpd", "-f", "-Lo", "-C", "-c", os.path.join(self.dir, "snmpd.conf"),
                            "-p", self.snmpd_pidfile, "-I", "-smux"] + list(args),
            stdout=self.snmpd_log, stderr=subprocess.STDOUT, env=e)
        if self.mode == "dlmod":
            self.agent = self.snmpd

    def stop_snmpd(self, sig=signal.SIGTERM):
        rc = None
        if self.snmpd:
            self.snmpd.send_signal(sig)
            rc = self.snmpd.wait(timeout=120)
            self.snmpd = None
            if self.mode == "dlmod":
                self.agent = None
        if os.path.exists(self.sock):
            os.unlink(self.sock)  # snmpd leaves it behind
        return rc

    def start_agent(self, prefix=(), args=()):
        """args: snmpd's in dlmod mode (e.g. -u/-g), none for the subagent."""
        if self.mode == "dlmod":
            return self.start_snmpd(prefix, args)
        assert not args, args
        self.agent = subprocess.Popen(
            list(prefix) + [AGENTX, "-f", "-x", self.sock, "-c", self.agent_conf,
                            "-p", self.pidfile, "-Lf", self.agent_log],
            stdout=subprocess.DEVNULL, stderr=open(self.agent_log + ".stderr", "a"))

    def stop_agent(self):
        if self.mode == "dlmod":
            return self.stop_snmpd()
        rc = None
        if self.agent:
            self.agent.send_signal(signal.SIGTERM)
            rc = self.agent.wait(timeout=120)
            self.agent = None
        return rc

    def snmp(self, tool, version, *args, check=True, mib=True, timeout=5):
        env = self.env()
        if not mib:  # no LINUBIA-MIB: the client cannot check types itself
            env["MIBS"] = "SNMPv2-MIB"
        p = subprocess.run([tool] + list(version) + ["-t", str(timeout), "-r", "1", self.host]
                           + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        if check and p.returncode != 0:
            raise lnb.Failure("%s %s failed (%d): %s" % (tool, " ".join(args), p.returncode,
                                                        p.stderr.strip()))
        return p

    def values(self, tool, version, oid, *extra):
        """{numeric oid: (type, value)} of a walk or get."""
        return parse_values(tool, self.snmp(tool, version, "-On", "-Oe", "-Ot", *extra,
                                            oid).stdout)

    def get(self, oid, version=V2):
        v = self.values("snmpget", version, oid)
        lnb.expect(oid in v, "snmpget %s: no value" % oid)
        return v[oid][1]

    def try_get(self, oid, timeout=5):
        """The integer value of oid, None on any error (no agent, no row)."""
        p = self.snmp("snmpget", V2, "-On", "-Oe", "-Ot", oid, check=False, timeout=timeout)
        m = re.match(r"\S+ = (?:[\w-]+: )?(\d+)$", p.stdout.strip())
        return int(m.group(1)) if m else None

    def wait_value(self, oid, want, what, timeout=30.0):
        lnb.wait_for(lambda: self.try_get(oid) == want, "%s (%s == %r, last %r)"
                     % (what, oid, want, self.try_get(oid)), timeout)

    def close(self):
        self.stop_agent()
        self.stop_snmpd()
        self.snmpd_log.close()


def parse_values(tool, out):
    """{numeric oid: (type, value)} from -On -Oe -Ot output."""
    vals = {}
    for line in out.splitlines():
        m = re.match(r"(\.[\d.]+) = ([\w-]+): ?(.*)$", line)
        if m:
            oid_, typ, val = m.groups()
            vals[oid_] = (typ, val.strip('"') if typ == "STRING" else int(val))
            continue
        m = re.match(r"(\.[\d.]+) = (\d+)$", line)  # TimeTicks with -Ot
        if m:
            vals[m.group(1)] = ("Timeticks", int(m.group(2)))
            continue
        m = re.match(r'(\.[\d.]+) = ""$', line)
        if m:
            vals[m.group(1)] = ("STRING", "")
        elif line.strip() and "No more variables" not in line and "No Such" not in line:
            raise lnb.Failure("cannot parse %s output line %r" % (tool, line))
    return vals
