#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# PID 1 of the guest once tests/vm/init has made the host's filesystem the
# root: runs the job written by run-guest.sh, saves dmesg, fails on a kernel
# splat and reports the verdict through the isa-debug-exit port 0xf4.
# Usage (guest only): guest-run.sh OUT_DIR

out=$1
cd / || exit 1
umask 022

# Byte: 0 command succeeded, 1 command failed (status in $out/verdict),
# 2 dmesg splat, 3 harness failure. QEMU exits with (byte << 1) | 1.
verdict() {
	# shellcheck disable=SC2059 # an octal escape built from a number
	printf "\\$(printf %03o "$1")" |
		dd of=/dev/port bs=1 seek=244 count=1 status=none
	# Only reached without the isa-debug-exit device: run-guest.sh then
	# reports "no verdict".
	echo o >/proc/sysrq-trigger
	sleep 60
}

# For LINUBIA_ALLOW_SPLAT; the job sources it again in a clean environment.
# shellcheck source=/dev/null
. "$out/vm-env.sh" || verdict 3

env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root LANG=C TERM=linux /bin/sh "$out/vm-job.sh" </dev/null
status=$?

dmesg >"$out/dmesg.txt"
# The taint lines of an unsigned out-of-tree module match none of these, nor
# does a lockdep kernel's boot banner ("RCU lockdep checking is enabled"):
# lockdep's reports are matched by their headers.
splat=$(grep -E -m1 \
	'Oops|BUG:|WARNING:|Call Trace|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|INFO: possible|UBSAN|KASAN|general protection' \
	"$out/dmesg.txt")
printf 'status=%s\nsplat=%s\n' "$status" "$splat" >"$out/verdict"
sync

if [ -n "$splat" ] && [ "${LINUBIA_ALLOW_SPLAT:-}" != 1 ]; then
	echo "linubia-vm: kernel splat in dmesg: $splat"
	verdict 2
elif [ "$status" -eq 0 ]; then
	verdict 0
else
	verdict 1
fi
