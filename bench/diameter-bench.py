# SPDX-License-Identifier: GPL-2.0-only
"""linubia-diameter with 10,000 users (`make bench-diameter`, root, natively
over the eBPF backend; flock /tmp/lnb-ebpf.lock): the backend gets
LINUBIA_BENCH_USERS records by real traffic (bench/lib-snapshot-uids), a
private PostgreSQL + freeDiameterd + app_acct runs in its own network
namespace as in tests/diameter, and the client starts with every user new:
one START per user.  The server's answers carry Acct-Interim-Interval
INTERVAL (app_acct's test patch, tests/diameter/build-app-acct.sh), which
wins over the client's 3600 s: every session's first INTERIM is due within
INTERVAL s of its START's answer.  The server then goes away for that
interval, the INTERIMs wait in the spool, and when the server is back that
interval's INTERIMs go as fast as the client can send them.  Prints
ACRs per second and the time from the first request to the last ACA for
the STARTs, the INTERIMs and the STOPs of a clean stop, the spool write
time per record (making the records + one fdatasync) and the client's peak
RSS.  Never fails on time."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "diameter"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "snmp"))
import backends  # noqa: E402
import diaenv  # noqa: E402
from diaenv import CLI_NS, CLIENT_ID, REALM, lnb  # noqa: E402

USERS = int(os.environ.get("LINUBIA_BENCH_USERS", "10000"))
FIRST_UID = 400000
UIDS_TOOL = os.path.join(diaenv.BUILD, "bin", "lib-snapshot-uids")
INTERVAL = 30
SERVER_ENV = {"LNB_TEST_ACA_INTERIM_INTERVAL": str(INTERVAL)}


def sh(cmd):
    return lnb.run(cmd)


def vm_kb(pid, field):
    """VmRSS, VmHWM, ... of pid in kB."""
    status = open("/proc/%d/status" % pid).read()
    return int(re.search(r"%s:\s+(\d+) kB" % field, status).group(1))


def row_count(pg, where=""):
    return int(pg.sql("SELECT count(*) FROM %s %s" % (diaenv.TABLE, where))[0][0])


def main():
    be = backends.Ebpf()
    if be.loaded():
        print("bench-diameter: the eBPF backend is already loaded; unload it first",
              file=sys.stderr)
        return 1
    root = tempfile.mkdtemp(prefix="lnbd-bench-", dir="/var/tmp")
    os.chmod(root, 0o755)
    made_ns, pg, srv, cli = [], None, None, None
    try:
        be.load(count_loopback=True)
        sh([UIDS_TOOL, str(FIRST_UID), str(USERS)])
        for ns in (CLI_NS, "lnbd-s1"):
            sh(["ip", "netns", "add", ns])
            made_ns.append(ns)
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        sh(["ip", "link", "add", "lnbd-c1", "netns", CLI_NS, "type", "veth", "peer", "name",
            "lnbd-v1", "netns", "lnbd-s1"])
        for ns, dev, addr in ((CLI_NS, "lnbd-c1", "10.200.241.1"),
                              ("lnbd-s1", "lnbd-v1", "10.200.241.2")):
            sh(["ip", "-n", ns, "addr", "add", addr + "/24", "dev", dev])
            sh(["ip", "-n", ns, "link", "set", dev, "up"])
        pg = diaenv.Postgres(root)
        diaenv.create_table(pg)
        srv = diaenv.Server(root, "s1", "lnbd-s1", "10.200.241.2", pg)
        srv.start(env=SERVER_ENV)
        conf = os.path.join(root, "client.conf")
        with open(conf, "w") as f:
            f.write("identity %s\nrealm %s\ndestination_realm %s\npeer s1.%s 10.200.241.2\n"
                    "interval 3600\nscan 1\nreconnect 1\nanswer_timeout 120\n"
                    "spool_max 1000000\nspool_dir %s/spool\nnetns %s\n"
                    % (CLIENT_ID, REALM, REALM, REALM, root, CLI_NS))
        log = os.path.join(root, "client.log")
        cli = subprocess.Popen([diaenv.DIAMETER, "-f", "-c", conf], stdout=subprocess.DEVNULL,
                               stderr=open(log, "w"))
        text = lambda: open(log).read()  # noqa: E731
        try:
            lnb.wait_for(lambda: "all answered" in text() or cli.poll() is not None,
                         "the STARTs answered", 900)
        except lnb.Failure:
            cli.send_signal(signal.SIGUSR1)
            lnb.wait_for(lambda: "in flight" in text(), "the counters", 30)
            print("bench-diameter: the STARTs were not all answered; client log tail:\n" +
                  text()[-3000:] + "\nserver log tail:\n" + open(srv.log).read()[-2000:])
            raise
        t_answered = time.monotonic()
        spooled = re.search(r"(\d+) records spooled in ([\d.]+) ms, of which ([\d.]+) ms "
                            r"writing", text())
        starts = re.search(r"all answered: (\d+) records in ([\d.]+) s", text())
        hwm, rss = vm_kb(cli.pid, "VmHWM"), vm_kb(cli.pid, "VmRSS")
        rows = row_count(pg)
        # one interval without the server: every first INTERIM is made
        # (due before t_answered + INTERVAL, made at the next scan) and waits
        srv.stop()
        lnb.wait_for(lambda: "no peer open" in text(), "the client noticing the outage", 120)
        lnb.wait_for(lambda: time.monotonic() > t_answered + INTERVAL + 3, "one interval", 120)
        answered_before = len(re.findall(r"all answered:", text()))
        srv.start(env=SERVER_ENV)
        lnb.wait_for(lambda: len(re.findall(r"all answered:", text())) > answered_before,
                     "the held INTERIMs answered", 900)
        interims = re.findall(r"all answered: (\d+) records in ([\d.]+) s", text())[-1]
        held = row_count(pg) - rows
        interim_rows = row_count(pg, "WHERE record_type = 3")
        hwm_interims = vm_kb(cli.pid, "VmHWM")
        cli.send_signal(signal.SIGTERM)
        rc = cli.wait(timeout=300)
        cli = None
        stops = re.findall(r"all answered: (\d+) records in ([\d.]+) s", text())
        stop_line = re.search(r"stopping: (\d+) STOP records", text())
        n, secs = int(starts.group(1)), float(starts.group(2))
        made, ms, wms = int(spooled.group(1)), float(spooled.group(2)), float(spooled.group(3))
        spool_bytes = os.path.getsize(os.path.join(root, "spool", "journal"))
        print("bench-diameter: %d users (eBPF backend), one START each, PostgreSQL via "
              "app_acct in another namespace" % USERS)
        print("  STARTs: %d ACRs, first request to last ACA %.3f s = %.0f ACR/s" %
              (n, secs, n / secs if secs else 0))
        print("  spool: %d records made in %.1f ms (%.1f us each, NSS lookups of the new "
              "users included); written with one fdatasync in %.1f ms = %.1f us per record"
              % (made, ms, 1000.0 * ms / made, wms, 1000.0 * wms / made))
        n_i, s_i = int(interims[0]), float(interims[1])
        print("  INTERIMs held for one %d s interval, sent when the server came back: %d ACRs "
              "(%d rows stored; %d INTERIM rows in all), last ACA after %.3f s = %.0f ACR/s"
              % (INTERVAL, n_i, held, interim_rows, s_i, n_i / s_i if s_i else 0))
        if len(stops) >= 2 and stop_line:
            sn, ss = int(stops[-1][0]), float(stops[-1][1])
            print("  STOPs on SIGTERM: %s records, last ACA after %.3f s = %.0f ACR/s, exit %d"
                  % (stop_line.group(1), ss, sn / ss if ss else 0, rc))
        print("  client RSS after the STARTs: %.1f MB (peak %.1f MB; peak %.1f MB after the "
              "INTERIMs)"
              % (rss / 1024, hwm / 1024, hwm_interims / 1024))
        print("  rows in PostgreSQL after the STARTs: %d; journal now %d bytes" %
              (rows, spool_bytes))
        return 0
    finally:
        if cli:
            cli.kill()
            cli.wait()
        if srv:
            srv.stop()
        if pg:
            pg.stop()
        for ns in made_ns:
            subprocess.run(["ip", "netns", "del", ns])
        be.cleanup()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
