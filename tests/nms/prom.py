# SPDX-License-Identifier: GPL-2.0-only
"""prometheus-snmp-generator, prometheus-snmp-exporter and prometheus as the
NMS test drives them: private loopback ports and directories, stopped by PID."""
import json
import os
import re
import signal
import subprocess
import time
import urllib.parse
import urllib.request

from snmpenv import MIBDIRS, lnb

CONF = os.path.join(lnb.REPO, "conf", "prometheus")


def generate(generator_yml, workdir):
    """snmp.yml text generated from generator_yml's text in workdir."""
    with open(os.path.join(workdir, "generator.yml"), "w") as f:
        f.write(generator_yml)
    p = subprocess.run(["prometheus-snmp-generator", "generate"], cwd=workdir,
                       env=dict(os.environ, MIBDIRS=MIBDIRS), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=120)
    if p.returncode != 0:
        raise lnb.Failure("prometheus-snmp-generator failed (%d): %s"
                          % (p.returncode, p.stdout[-2000:]))
    with open(os.path.join(workdir, "snmp.yml")) as f:
        return f.read()


def http_get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def wait_http(url, what, timeout=60.0):
    def up():
        try:
            http_get(url, timeout=2)
            return True
        except OSError:
            return False
    lnb.wait_for(up, what, timeout)


class Service:
    """One daemon, its log in dir, stopped by PID."""

    def __init__(self, cmd, log):
        self.log = log
        self.proc = subprocess.Popen(cmd, stdout=open(log, "a"), stderr=subprocess.STDOUT)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.proc = None

    def tail(self):
        with open(self.log) as f:
            return f.read()[-1500:]


def start_exporter(config, port, dirname):
    s = Service(["prometheus-snmp-exporter", "--config.file=" + config,
                 "--web.listen-address=127.0.0.1:%d" % port],
                os.path.join(dirname, "exporter.log"))
    wait_http("http://127.0.0.1:%d/" % port, "snmp_exporter listening")
    return s


def parse(text):
    """{(metric, frozenset(labels.items())): value} of an exposition (the
    Prometheus text format or OpenMetrics; comments skipped)."""
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = re.match(r'(\w+)(?:\{(.*)\})? (\S+)$', line)
        if not m:
            raise lnb.Failure("cannot parse exporter line %r" % line)
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def scrape(port, module, target):
    """{(metric, frozenset(labels.items())): value} of one exporter scrape."""
    return parse(http_get("http://127.0.0.1:%d/snmp?%s" % (port, urllib.parse.urlencode(
        {"module": module, "target": target}))))


def start_prometheus(config, port, dirname):
    s = Service(["prometheus", "--config.file=" + config,
                 "--storage.tsdb.path=" + os.path.join(dirname, "tsdb"),
                 "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"],
                os.path.join(dirname, "prometheus.log"))
    wait_http("http://127.0.0.1:%d/-/ready" % port, "prometheus ready", 120)
    return s


def query(port, expr, at=None):
    """[(labels dict, float)] of an instant query (at: unix time)."""
    args = {"query": expr}
    if at is not None:
        args["time"] = "%.3f" % at
    doc = json.loads(http_get("http://127.0.0.1:%d/api/v1/query?%s"
                              % (port, urllib.parse.urlencode(args))))
    if doc.get("status") != "success":
        raise lnb.Failure("PromQL %s: %s" % (expr, doc))
    return [(r["metric"], float(r["value"][1])) for r in doc["data"]["result"]]


def wait_until(t):
    """Sleep until wall-clock time t: waiting for a time step the tools need."""
    while time.time() < t:
        time.sleep(min(0.5, t - time.time()))
