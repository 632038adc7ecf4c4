# SPDX-License-Identifier: GPL-2.0-only
"""linubia-diameter with 10,000 users (`make bench-diameter`, root, natively
over the eBPF backend; flock /tmp/lnb-ebpf.lock): the backend gets
LINUBIA_BENCH_USERS records by real traffic (bench/lib-snapshot-uids), a
private PostgreSQL + freeDiameterd + app_acct runs in its own network
namespace as in tests/diameter, and the client starts with every user new:
one START per user is one interval's worth of ACRs.  Prints ACRs per
second and the time from the first request to the last ACA, the same for
the STOPs of a clean stop, the spool write time per record (making the
records + one fdatasync) and the client's peak RSS.  Never fails on time."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "diameter"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "snmp"))
import backends  # noqa: E402
import diaenv  # noqa: E402
from diaenv import CLI_NS, CLIENT_ID, REALM, lnb  # noqa: E402

USERS = int(os.environ.get("LINUBIA_BENCH_USERS", "10000"))
FIRST_UID = 400000
UIDS_TOOL = os.path.join(diaenv.BUILD, "bin", "lib-snapshot-uids")


def sh(cmd):
    return lnb.run(cmd)


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
        srv.start()
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
        spooled = re.search(r"(\d+) records spooled in ([\d.]+) ms, of which ([\d.]+) ms "
                            r"writing", text())
        starts = re.search(r"all answered: (\d+) records in ([\d.]+) s", text())
        status = open("/proc/%d/status" % cli.pid).read()
        hwm = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
        rows = int(pg.sql("SELECT count(*) FROM %s" % diaenv.TABLE)[0][0])
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
        if len(stops) >= 2 and stop_line:
            sn, ss = int(stops[-1][0]), float(stops[-1][1])
            print("  STOPs on SIGTERM: %s records, last ACA after %.3f s = %.0f ACR/s, exit %d"
                  % (stop_line.group(1), ss, sn / ss if ss else 0, rc))
        print("  client RSS after the STARTs: %.1f MB (peak %.1f MB)" % (rss / 1024, hwm / 1024))
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
