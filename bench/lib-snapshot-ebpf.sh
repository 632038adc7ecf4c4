#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# liblinubia over the eBPF backend, natively (root, kernel with BPF):
# `make bench-lib-ebpf`.  Loads the backend, makes LINUBIA_BENCH_USERS
# (default 100000) user records by real traffic (one loopback datagram per
# UID), then prints figures: linubia_snapshot_take() (median of
# LINUBIA_BENCH_ROUNDS rounds per process, several processes), the raw
# kernel batch walk of the users map alone, and `linubia show --json
# --numeric`; unloads on every exit.  Refuses to run if the backend is
# already loaded (it is host-global: never unload someone else's).
# LINUBIA_BENCH_BASELINE=DIR (holding an older build's lib-snapshot-bench
# and linubia) alternates its rounds with this build's, for before/after
# figures.  Last, the same after `reset --all` (a baseline per user).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
users=${LINUBIA_BENCH_USERS:-100000}
rounds=${LINUBIA_BENCH_ROUNDS:-9}
procs=${LINUBIA_BENCH_PROCS:-5}
first_uid=300000
baseline=${LINUBIA_BENCH_BASELINE:-}

if [ "$(id -u)" != 0 ]; then
	echo "bench-lib-ebpf: needs root" >&2
	exit 1
fi
if "$bin/linubia-bpf" status | grep -q '^loaded yes'; then
	echo "bench-lib-ebpf: the eBPF backend is already loaded; unload it first" >&2
	exit 1
fi
loaded=0
cleanup() {
	if [ "$loaded" = 1 ]; then
		"$bin/linubia-bpf" unload || echo "bench-lib-ebpf: unload failed" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
"$bin/linubia-bpf" load --max-users $((users + 100))
loaded=1
"$bin/linubia-bpf" config count_loopback=on

# UIDs from first_uid up whose record is missing, as "FIRST COUNT" runs.
missing_runs() {
	"$bin/linubia-bpf" show | awk -v lo=$first_uid -v hi=$((first_uid + users)) '
		NR > 1 && $1 >= lo && $1 < hi { seen[$1] = 1 }
		END { for (u = lo; u < hi; u++) if (!(u in seen)) {
			if (u == prev + 1) n++; else { if (n) print first, n; first = u; n = 1 }
			prev = u }
		      if (n) print first, n }'
}

start=$SECONDS
"$bin/lib-snapshot-uids" $first_uid "$users"
# An allocation in the program may fail under the burst (GFP_ATOMIC).
for pass in 1 2 3; do
	runs=$(missing_runs)
	[ -z "$runs" ] && break
	echo "pass $pass: resending for $(echo "$runs" | awk '{s += $2} END {print s}') UIDs without a record"
	while read -r first count; do
		"$bin/lib-snapshot-uids" "$first" "$count"
	done <<<"$runs"
done
records=$("$bin/linubia-bpf" stats | awk '$1 == "users" { print $2 }')
echo "== $users UIDs with traffic: $records records incl. root/unattributed" \
     "(made in $((SECONDS - start)) s)"

# Medians over processes: each prints its own median of $rounds rounds.
field() {	# name: that field's values of lib-snapshot-bench lines on stdin
	tr ' ' '\n' | sed -n "s/^$1=//p"
}
summary() {	# label, then lines of lib-snapshot-bench output on stdin
	local out medians n
	out=$(cat)
	medians=$(printf '%s\n' "$out" | field median_ms | sort -g)
	n=$(printf '%s\n' "$medians" | wc -l)
	echo "$1: median of $n process medians $(printf '%s\n' "$medians" |
		sed -n "$(((n + 1) / 2))p") ms" \
	     "(min round $(printf '%s\n' "$out" | field min_ms | sort -g | head -n 1) ms)," \
	     "peak RSS $(printf '%s\n' "$out" | field rss_kib | sort -g | tail -n 1) KiB"
}
# Snapshots, alternating with the baseline's processes if there is one.
snapshots() {	# label
	local new_out="" old_out=""
	for _ in $(seq "$procs"); do
		if [ -n "$baseline" ]; then
			old_out+=$("$baseline/lib-snapshot-bench" snapshot "$rounds")$'\n'
		fi
		new_out+=$("$bin/lib-snapshot-bench" snapshot "$rounds")$'\n'
	done
	printf '%s' "$new_out"
	printf '%s' "$new_out" | summary "snapshot $1 (this build)"
	if [ -n "$baseline" ]; then
		printf '%s' "$old_out" | summary "snapshot $1 (baseline $baseline)"
	fi
}
snapshots ""
# The kernel's share: BPF_MAP_LOOKUP_BATCH over lnb_users, nothing kept.
for chunk in 64 128 256 1024 4096; do
	"$bin/lib-snapshot-bench" walk "$rounds" "$chunk"
done
for _ in 1 2; do
	echo -n "show --json --numeric (this build): "
	"$bin/lib-snapshot-bench" exec 3 -- "$bin/linubia" show --json --numeric || true
	if [ -n "$baseline" ]; then
		echo -n "show --json --numeric (baseline): "
		"$baseline/lib-snapshot-bench" exec 3 -- "$baseline/linubia" show --json --numeric ||
			true
	fi
done
"$bin/linubia-bpf" reset --all >/dev/null
"$bin/lib-snapshot-uids" $first_uid "$users"
echo "== after reset --all and one more datagram per UID ($records baselines)"
snapshots "after reset"
