# SPDX-License-Identifier: GPL-2.0-only
"""The two accounting backends as the end-to-end tests drive them: the
kernel module (in the QEMU guest) and the eBPF backend (natively on the
host).  The kernel's values are read the way a user reads them, with
`linubia show --json`; loading and unloading go through modprobe/insmod
and `linubia ebpf load|unload`."""
import contextlib
import json
import os
import subprocess
import sys

from snmpenv import REPO, USER_ENTRY, lnb

sys.path.insert(0, os.path.join(REPO, "tests", "bpf"))
from bpfctl import PIN_DIR as EBPF_PIN_DIR  # noqa: E402

LINUBIA = os.path.join(REPO, "build", "bin", "linubia")


def cli(*args, check=True):
    p = subprocess.run([LINUBIA] + [str(a) for a in args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if check and p.returncode != 0:
        raise lnb.Failure("linubia %s failed (%d): %s" % (" ".join(map(str, args)),
                                                          p.returncode, p.stderr.strip()))
    return p


def table():
    """{uid: {counter: int}} from `linubia show --json --numeric`."""
    doc = json.loads(cli("show", "--json", "--numeric").stdout)
    return {u["uid"]: u["counters"] for u in doc["users"]}


class Kmod:
    """The module in the guest: nothing else runs there, so every record
    (the unattributed one included) is the test's own."""
    name, mib_code = "kmod", 1
    quiet_host = True
    clients, servers = (1001, 1002, 1003), (2001, 2002, 2003)
    pair_n = 0

    def load(self, count_loopback=None):
        params = {} if count_loopback is None else {"count_loopback": int(count_loopback)}
        lnb.load_module(**params)

    def unload(self):
        lnb.unload_module()

    def loaded(self):
        return lnb.module_loaded()

    def count_loopback(self):
        with open("/sys/module/linubia/parameters/count_loopback") as f:
            return f.read().strip() == "Y"

    def cleanup(self):
        if self.loaded():
            self.unload()

    @contextlib.contextmanager
    def failing_resets(self, env, st):
        """A subagent whose resets the backend refuses after the checks
        passed: root without capabilities sees its own record (uid 0, given
        some traffic here) but may not reset it.  Yields the row's UID."""
        p = lnb.Pair(n=self.pair_n + 2, quiet=True)
        try:
            lnb.pair_flow(p, "udp", 4, 0, None, "--count", 2, "--size", 10, "--closed",
                          "--port", 9)
            env.stop_agent()
            env.start_agent(prefix=["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--"])
            lnb.wait_for(lambda: env.try_get("%s.3.0" % USER_ENTRY) is not None,
                         "the capability-less subagent serving uid 0's row", 60)
            yield 0
        finally:
            env.stop_agent()
            env.start_agent()
            p.close()


class Ebpf:
    """The eBPF backend natively on the host: other processes make traffic
    too, so the tests look only at their own UIDs (41xxx, no real user)."""
    name, mib_code = "ebpf", 2
    quiet_host = False
    clients, servers = (41101, 41102, 41103), (42101, 42102, 42103)
    pair_n = 190

    def load(self, count_loopback=None):
        cli("ebpf", "load")
        if count_loopback is not None:
            cli("config", "count_loopback=%s" % ("on" if count_loopback else "off"))

    def unload(self):
        cli("ebpf", "unload")

    def loaded(self):
        return os.path.exists(os.path.join(EBPF_PIN_DIR, "link_ingress"))

    def count_loopback(self):
        out = cli("config").stdout
        return "count_loopback=on" in out.split()

    def cleanup(self):
        if os.path.exists(EBPF_PIN_DIR):
            cli("ebpf", "unload", check=False)

    @contextlib.contextmanager
    def failing_resets(self, env, st):
        """Resets fail after the checks passed: the backend's lock file
        (bpf/pins.c; nothing else uses it while the eBPF tests hold their
        flock) is a dangling symlink, which the O_NOFOLLOW open refuses."""
        lock = "/run/linubia-bpf.lock"
        if os.path.lexists(lock):
            os.unlink(lock)
        os.symlink("/nonexistent-lnb-snmp-test", lock)
        try:
            yield self.clients[1]
        finally:
            os.unlink(lock)


BACKENDS = {"kmod": Kmod, "ebpf": Ebpf}
