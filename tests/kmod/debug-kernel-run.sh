#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# make test-debug-kernel, in the guest: the module suite under the debug
# kernel (lockdep, RCU checker, might_sleep and KASAN reports end up in
# dmesg, which the harness fails on), then kmemleak.  Nothing but linubia.ko
# is a module in that kernel, so a leak is the module's or the kernel's; the
# report is kept in the results folder either way.
# Usage (guest only): debug-kernel-run.sh [test_name ...]
set -u
kml=/sys/kernel/debug/kmemleak
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug || exit 1
[ -w $kml ] || { echo "debug-kernel-run: no kmemleak in this kernel ($(uname -r))" >&2; exit 1; }
# What boot left behind is not ours.
echo clear >$kml

log=$LINUBIA_VM_OUT/suite.log
python3 tests/kmod/test_kmod.py "$@" | tee "$log"
passed=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log" | tail -n 1)
failed=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log" | tail -n 1)
[ -n "$passed" ] || { passed=0; failed=1; }

# A scan runs in the writer; an object must look unreferenced, and
# unchanged, in two scans in a row to be reported.
echo scan >$kml
echo scan >$kml
cat $kml >"$LINUBIA_VM_OUT/kmemleak.txt"
leaks=$(grep -c '^unreferenced object' "$LINUBIA_VM_OUT/kmemleak.txt")
if [ "$leaks" -gt 0 ]; then
	cat "$LINUBIA_VM_OUT/kmemleak.txt"
	echo "FAIL kmemleak: $leaks unreferenced objects (above; $LINUBIA_VM_OUT/kmemleak.txt)"
	failed=$((failed + 1))
else
	echo "PASS kmemleak: no unreferenced object after the suite"
	passed=$((passed + 1))
fi
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
