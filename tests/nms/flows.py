# SPDX-License-Identifier: GPL-2.0-only
"""A UDP flow at a fixed rate that the test can freeze while an NMS polls.

linubia-traffic paces against an absolute schedule (clock_nanosleep until
start + bytes/rate), so after SIGCONT it catches up: over any span between
two freezes the flow still averages its rate, while during a freeze the
counters stand still and every poller sees exactly what the kernel holds."""
import os
import signal
import subprocess

from snmpenv import lnb

UDP_HDR = {4: 20 + 8, 6: 40 + 8}


class RateFlow:
    def __init__(self, pair, family, cuid, suid, rate, size, seconds):
        """rate: payload bytes/s; runs for `seconds` unless stopped."""
        self.family, self.cuid, self.suid = family, cuid, suid
        self.ip_rate = rate * (size + UDP_HDR[family]) / size  # IP octets/s
        a, b = (pair.a4, pair.b4) if family == 4 else (pair.a6, pair.b6)
        count = min(65535, int(seconds * rate / size) + 1)
        cmd = [lnb.TRAFFIC, "--proto", "udp", "--family", str(family),
               "--server-addr", b, "--client-addr", a, "--server-ns", pair.b,
               "--client-ns", pair.a, "--server-uid", str(suid), "--client-uid", str(cuid),
               "--count", str(count), "--size", str(size), "--rate", str(rate),
               "--timeout", str(int(seconds) + 120)]
        # own process group: server and client children freeze together
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)

    def signal(self, sig):
        if self.proc.poll() is not None:
            raise lnb.Failure("the uid %d flow ended early (exit %d): %s"
                              % (self.cuid, self.proc.returncode,
                                 self.proc.stderr.read().decode().strip()))
        os.killpg(self.proc.pid, sig)

    def freeze(self):
        self.signal(signal.SIGSTOP)

    def thaw(self):
        self.signal(signal.SIGCONT)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
