#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# liblinubia snapshot and `linubia show --json` with 10,000 and 100,000
# user records made by real traffic (one loopback datagram per UID), in the
# QEMU guest: `make bench-lib`.  Prints one line per measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
rounds=${LINUBIA_BENCH_ROUNDS:-7}
modprobe -a nf_socket_ipv4 nf_socket_ipv6 nf_defrag_ipv6 veth
insmod "${LINUBIA_KO:-kmod/linubia.ko}" max_users=200000
trap 'rmmod linubia' EXIT
# UIDs from 100000 up whose record is missing, as "FIRST COUNT" runs.
missing_runs() {
	awk -v lo=100000 -v hi=$((100000 + $1)) 'NR > 1 && $1 >= lo && $1 < hi { seen[$1] = 1 }
		END { for (u = lo; u < hi; u++) if (!(u in seen)) {
			if (u == prev + 1) n++; else { if (n) print first, n; first = u; n = 1 }
			prev = u }
		      if (n) print first, n }' /proc/linubia
}

made=0
for n in 10000 100000; do
	"$bin/lib-snapshot-uids" $((100000 + made)) $((n - made))
	made=$n
	# The module may fail a burst of GFP_ATOMIC record allocations
	# (stat unattributed_no_memory): send again for the UIDs it missed.
	for pass in 1 2 3 4 5; do
		runs=$(missing_runs "$n")
		[ -z "$runs" ] && break
		echo "pass $pass: resending for $(echo "$runs" | awk '{s += $2} END {print s}') UIDs without a record"
		while read -r first count; do
			"$bin/lib-snapshot-uids" "$first" "$count"
		done <<<"$runs"
	done
	echo "== $n UIDs with traffic ($(($(wc -l </proc/linubia) - 1)) records incl. root/unattributed)"
	"$bin/lib-snapshot-bench" snapshot "$rounds"
	echo -n "show --json --numeric: "
	"$bin/lib-snapshot-bench" exec "$rounds" -- "$bin/linubia" show --json --numeric
	# With names: every UID here is unknown to NSS, the worst case (one
	# query each); too slow in the guest for 100k.
	if [ "$n" -le 10000 ]; then
		echo -n "show --json (with NSS names): "
		"$bin/lib-snapshot-bench" exec 1 -- "$bin/linubia" show --json
	fi
	echo -n "show --numeric (table): "
	"$bin/lib-snapshot-bench" exec 3 -- "$bin/linubia" show --numeric
done
