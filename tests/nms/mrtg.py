# SPDX-License-Identifier: GPL-2.0-only
"""conf/mrtg/linubia-mrtg-cfg and MRTG itself as the NMS test drives them."""
import os
import subprocess

from snmpenv import lnb

GENERATOR = os.path.join(lnb.REPO, "conf", "mrtg", "linubia-mrtg-cfg")


def generate(env, *args):
    """(exit status, stderr) of the generator with the env's client dirs."""
    p = subprocess.run([GENERATOR] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=env.env(), timeout=300)
    return p.returncode, p.stderr.strip()


def run(env, cfg):
    """One MRTG run (LANG=C: MRTG refuses UTF-8 locales)."""
    e = dict(env.env(), LANG="C", LC_ALL="C")
    p = subprocess.run(["mrtg", cfg], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, env=e, timeout=300)
    bad = [l for l in p.stdout.splitlines() if "ERROR" in l or "SNMP" in l and "Problem" in l]
    if p.returncode != 0 or bad:
        raise lnb.Failure("mrtg %s failed (%d): %s" % (cfg, p.returncode, p.stdout[-2000:]))


def read_log(workdir, target):
    """(time, in counter, out counter, in rate, out rate) from rateup's log:
    line 1 is 'time in out' (the counters read), line 2 'time inrate
    outrate maxin maxout' (bytes/s since the previous run)."""
    with open(os.path.join(workdir, target + ".log")) as f:
        l1, l2 = f.readline().split(), f.readline().split()
    lnb.expect(l1[0] == l2[0], "%s.log: lines 1 and 2 have different times" % target)
    return int(l1[0]), int(l1[1]), int(l1[2]), int(l2[1]), int(l2[2])


def is_png(path):
    try:
        with open(path, "rb") as f:
            return f.read(8) == b"\x89PNG\r\n\x1a\n"
    except FileNotFoundError:
        return False
