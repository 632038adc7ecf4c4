#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# linubia-agentx under load, in the QEMU guest (`make bench-snmp`):
# snmpbulkwalk of linubiaUserTable with 10,000 user records (one column; the
# whole table too with LINUBIA_BENCH_SNMP_FULL=1) against a bulk walk of
# one of snmpd's own tables with a similar number of varbinds (one column
# of ipAddressTable with 10,000 addresses on a dummy interface).  Prints
# varbinds/s and the subagent's RSS.  Figures only, never fails on time.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
users=${LINUBIA_BENCH_SNMP_USERS:-10000}
dir=${LINUBIA_VM_OUT:-/tmp}/snmp-bench
rm -rf "$dir" && mkdir -p "$dir" && chmod 755 "$dir"
port=17162
sock=$(mktemp -u /tmp/lnb-bench-agentx.XXXXXX)  # not on the 9p results folder
modprobe -a nf_socket_ipv4 nf_socket_ipv6 nf_defrag_ipv6 veth dummy
insmod kmod/linubia.ko max_users=$((users + 100))
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
	rmmod linubia || true
}
trap cleanup EXIT

# $users UIDs with a record (retry UIDs a GFP_ATOMIC failure skipped).
"$bin/lib-snapshot-uids" 100000 "$users"
for pass in 1 2 3; do
	missing=$(awk -v lo=100000 -v hi=$((100000 + users)) 'NR > 1 && $1 >= lo && $1 < hi { n++ }
		END { print hi - lo - n }' /proc/linubia)
	[ "$missing" = 0 ] && break
	"$bin/lib-snapshot-uids" 100000 "$users" >/dev/null
done
records=$(($(wc -l </proc/linubia) - 1))

mkdir -p "$dir/persist"
cat >"$dir/snmpd.conf" <<CONF
master agentx
agentXSocket $sock
agentaddress udp:127.0.0.1:$port
rocommunity bench 127.0.0.1
CONF
printf 'cache_period 60\nping_interval 5\n' >"$dir/agentx.conf"
export SNMP_PERSISTENT_DIR=$dir/persist MIBS= MIBDIRS=$dir
snmpd -f -Lf "$dir/snmpd.log" -C -c "$dir/snmpd.conf" -p "$dir/snmpd.pid" -I -smux &
pids+=($!)
"$bin/linubia-agentx" -f -x "$sock" -c "$dir/agentx.conf" -Lf "$dir/agent.log" &
agent=$!
pids+=($agent)
q() { snmpget -v2c -c bench -t 5 -r 1 -Oqv 127.0.0.1:$port "$@" 2>/dev/null || true; }
deadline=$((SECONDS + 120))
until [ "$(q .1.3.6.1.4.1.8072.9999.9999.1.1.1.4.0)" = 1 ]; do
	[ $SECONDS -lt $deadline ] || { echo "subagent never answered" >&2; exit 1; }
	sleep 0.2
done

# $users addresses for snmpd's own ipAddressTable, added once snmpd runs (with
# 10,000 addresses present at its start, snmpd had not opened its AgentX
# socket after 120 s in the TCG guest).
ip link add lnbbench type dummy
for i in $(seq 0 $((users - 1))); do
	echo "addr add 10.$((64 + i / 65536)).$((i / 256 % 256)).$((i % 256))/32 dev lnbbench"
done | ip -batch -

# bulkwalk NAME OID: varbinds and rate
bulkwalk() {
	local t0 t1 n
	t0=$(date +%s.%N)
	n=$(snmpbulkwalk -v2c -c bench -t 30 -r 0 -Cr50 -On 127.0.0.1:$port "$2" | wc -l)
	t1=$(date +%s.%N)
	awk -v name="$1" -v n="$n" -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "%-44s %7d varbinds %7.2f s %8.0f varbinds/s\n", name, n, t1 - t0, n / (t1 - t0) }'
}
rss() { awk '/VmRSS/ { print $2 " kB" }' /proc/"$agent"/status; }

echo "== $records user records; subagent RSS before walks: $(rss)"
bulkwalk "snmpd ipAddressIfIndex (own table, warm-up)" .1.3.6.1.2.1.4.34.1.3 >/dev/null
bulkwalk "linubiaUserInOctets (warm-up: snapshot+names)" .1.3.6.1.4.1.8072.9999.9999.1.1.2.1.3 >/dev/null
for round in $(seq 1 "${LINUBIA_BENCH_SNMP_ROUNDS:-3}"); do
	bulkwalk "snmpd ipAddressIfIndex #$round" .1.3.6.1.2.1.4.34.1.3
	bulkwalk "linubia linubiaUserInOctets #$round" .1.3.6.1.4.1.8072.9999.9999.1.1.2.1.3
done
if [ "${LINUBIA_BENCH_SNMP_FULL:-0}" != 0 ]; then
	bulkwalk "linubia linubiaUserTable (all columns)" .1.3.6.1.4.1.8072.9999.9999.1.1.2
fi
echo "subagent RSS after walks: $(rss)"
