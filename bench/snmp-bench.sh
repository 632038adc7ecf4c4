#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# linubia-agentx under load: snmpbulkwalk of linubiaUserTable with 10,000
# user records side by side, in alternating rounds, with a bulk walk of one
# of snmpd's own tables holding the same number of rows (inetCidrRouteTable:
# 10,000 routes in a network namespace the bench makes; snmpd serves it from
# a netlink dump, while its ipAddressTable did not answer within 60 s with
# 10,000 addresses).  A second snmpd serves LINUBIA-MIB from linubia.so
# (dlmod) instead of the AgentX subagent, in the initial network namespace
# where the backend shows every record; its walks alternate with the
# others, and a third, plain snmpd is the RSS baseline.  Prints varbinds/s, medians and their
# ratios, the subagent's RSS and what the dlmod adds to snmpd's RSS.
# Figures only, never fails on time.
# LINUBIA_BENCH_SNMP_FULL=0 skips the subagent's whole-table walk (23-37 s
# at 10,000 users, ten times that at 100,000); LINUBIA_BENCH_SNMP_SETTINGS=0
# the walks over AgentX with other max-repetitions and with snmptable.
#   bench/snmp-bench.sh kmod   in the QEMU guest (make bench-snmp)
#   bench/snmp-bench.sh ebpf   natively over the eBPF backend (make bench-snmp-ebpf)
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:?usage: snmp-bench.sh kmod|ebpf}
bin=build/bin
users=${LINUBIA_BENCH_SNMP_USERS:-10000}
rounds=${LINUBIA_BENCH_SNMP_ROUNDS:-5}
dir=$(mktemp -d /tmp/lnb-snmp-bench.XXXXXX)  # not on the guest's 9p folder
chmod 755 "$dir"
port=17162 dport=17163 pport=17164 ns=lnb-snmpbench first=100000
pids=() loaded=""
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
	ip netns del $ns 2>/dev/null || true
	case $loaded in
	kmod) rmmod linubia || true ;;
	ebpf) "$bin/linubia" ebpf unload || true ;;
	esac
	if [ -n "${LINUBIA_VM_OUT:-}" ]; then cp -r "$dir" "$LINUBIA_VM_OUT/snmp-bench"; fi
	rm -rf "$dir"
}
trap cleanup EXIT

# $users UIDs with a record: one loopback datagram each (count_loopback on).
case $backend in
kmod)
	modprobe -a nf_socket_ipv4 nf_socket_ipv6 nf_defrag_ipv6 veth
	insmod "${LINUBIA_KO:-kmod/linubia.ko}" max_users=$((users + 100)) count_loopback=1
	loaded=kmod ;;
ebpf)
	if "$bin/linubia" ebpf status >/dev/null 2>&1; then
		echo "snmp-bench: the eBPF backend is already loaded; unload it first" >&2
		exit 1
	fi
	"$bin/linubia" ebpf load --max-users $((users + 1000))
	loaded=ebpf
	"$bin/linubia" config count_loopback=on ;;
*) echo "snmp-bench: backend must be kmod or ebpf" >&2; exit 2 ;;
esac
have() {
	"$bin/linubia" show --csv --numeric | awk -F, -v lo=$first -v hi=$((first + users)) \
		'NR > 1 && $1 >= lo && $1 < hi { n++ } END { print n + 0 }'
}
for pass in 1 2 3; do  # retry the few a GFP_ATOMIC failure may skip
	"$bin/lib-snapshot-uids" $first "$users"
	[ "$(have)" = "$users" ] && break
done
"$bin/linubia" config count_loopback=off
records=$(($("$bin/linubia" show --csv --numeric | wc -l) - 1))

# snmpd in its own namespace with $users routes; the subagent reaches it
# over the AgentX socket (a file: namespaces do not matter).
ip netns add $ns
ip -n $ns link set lo up
ip -n $ns link add lnbb0 type veth peer name lnbb1
ip -n $ns link set lnbb0 up
ip -n $ns link set lnbb1 up
for i in $(seq 0 $((users - 1))); do
	echo "route add 10.$((64 + i / 65536)).$((i / 256 % 256)).$((i % 256))/32 dev lnbb0"
done | ip -n $ns -batch -
mkdir -p "$dir/persist"
cat >"$dir/snmpd.conf" <<CONF
master agentx
agentXSocket $dir/agentx.sock
agentaddress udp:127.0.0.1:$port
dontLogTCPWrappersConnects yes
rocommunity bench 127.0.0.1
CONF
printf 'cache_period 60\nping_interval 5\n' >"$dir/agentx.conf"
mkdir -p "$dir/dpersist"
cat >"$dir/snmpd-dlmod.conf" <<CONF
agentaddress udp:127.0.0.1:$dport
dontLogTCPWrappersConnects yes
rocommunity bench 127.0.0.1
dlmod linubia $PWD/build/snmp/linubia.so
linubiaCachePeriod 60
CONF
mkdir -p "$dir/client"
# clients: their own dirs (MIB loading reads every file in MIBDIRS, sockets too)
export SNMP_PERSISTENT_DIR=$dir/client MIBS= MIBDIRS=$dir/client
SNMP_PERSISTENT_DIR=$dir/persist ip netns exec $ns snmpd -f -Lf "$dir/snmpd.log" -C -c "$dir/snmpd.conf" -p "$dir/snmpd.pid" -I -smux &
pids+=($!)
snmpd_agentx=$!
# The dlmod reads the backend itself: snmpd in the initial namespace (the
# module shows every record only there; ip netns exec hides /sys/fs/bpf).
SNMP_PERSISTENT_DIR=$dir/dpersist snmpd -f -Lf "$dir/snmpd-dlmod.log" -C -c "$dir/snmpd-dlmod.conf" -p "$dir/snmpd-dlmod.pid" -I -smux &
pids+=($!)
snmpd_dlmod=$!
# the same snmpd without the dlmod: what linubia.so adds to snmpd's RSS
grep -v '^dlmod\|^linubia' "$dir/snmpd-dlmod.conf" | sed "s/:$dport\$/:$pport/" >"$dir/snmpd-plain.conf"
mkdir -p "$dir/ppersist"
SNMP_PERSISTENT_DIR=$dir/ppersist snmpd -f -Lf "$dir/snmpd-plain.log" -C -c "$dir/snmpd-plain.conf" -p "$dir/snmpd-plain.pid" -I -smux &
pids+=($!)
snmpd_plain=$!
"$bin/linubia-agentx" -f -x "$dir/agentx.sock" -c "$dir/agentx.conf" -Lf "$dir/agent.log" &
agent=$!
pids+=($agent)
# reach PORT: what runs a client that reaches that snmpd (the AgentX master is in $ns)
reach() { if [ "$1" = "$port" ]; then echo ip netns exec $ns; fi; }
q() { $(reach $1) snmpget -v2c -c bench -t 5 -r 1 -Oqv 127.0.0.1:$1 "$2" 2>/dev/null || true; }
deadline=$((SECONDS + 300))
until [ "$(q $port .1.3.6.1.4.1.8072.9999.9999.1.1.1.4.0)" = 1 ] &&
      [ "$(q $dport .1.3.6.1.4.1.8072.9999.9999.1.1.1.4.0)" = 1 ]; do
	[ $SECONDS -lt $deadline ] || { echo "subagent or dlmod never answered" >&2; exit 1; }
	sleep 0.2
done

# bulkwalk NAME OID [PORT]: prints one line, appends varbinds/s to $dir/NAME.rates
# ($reps: max-repetitions, default 50)
bulkwalk() {
	local t0 t1 n
	t0=$(date +%s.%N)
	n=$($(reach ${3:-$port}) snmpbulkwalk -v2c -c bench -t 60 -r 0 -Cr${reps:-50} -On 127.0.0.1:${3:-$port} "$2" | wc -l)
	t1=$(date +%s.%N)
	awk -v name="$1" -v n="$n" -v t0="$t0" -v t1="$t1" -v out="$dir/$1.rates" \
		'BEGIN { r = n / (t1 - t0); print r >> out
			 printf "%-26s %7d varbinds %7.3f s %9.0f varbinds/s\n", name, n, t1 - t0, r }'
}
median() { sort -n "$dir/$1.rates" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rss() { awk '/VmRSS/ { print $2 " kB" }' /proc/"${1:-$agent}"/status; }
rss_kb() { awk '/VmRSS/ { print $2 }' /proc/"$1"/status; }

snmpd_oid=.1.3.6.1.2.1.4.24.7.1.7    # inetCidrRouteIfIndex
ours_oid=.1.3.6.1.4.1.8072.9999.9999.1.1.2.1.3   # linubiaUserInOctets
table=.1.3.6.1.4.1.8072.9999.9999.1.1.2
echo "== $backend backend, $records user records, $(nproc) CPUs; subagent RSS before walks: $(rss)"
echo "   snmpd with linubia.so: RSS $(rss $snmpd_dlmod) before walks; the same snmpd without it: $(rss $snmpd_plain)"
bulkwalk warmup-snmpd $snmpd_oid >/dev/null
bulkwalk warmup-linubia $ours_oid >/dev/null   # first snapshot + user names
bulkwalk warmup-dlmod $ours_oid $dport >/dev/null
for round in $(seq 1 "$rounds"); do
	bulkwalk snmpd-routes $snmpd_oid
	bulkwalk agentx-column $ours_oid
	bulkwalk dlmod-column $ours_oid $dport
	bulkwalk dlmod-all-columns $table $dport
done
if [ "${LINUBIA_BENCH_SNMP_FULL:-1}" != 0 ]; then
	bulkwalk agentx-all-columns $table
fi
# NMS settings over AgentX: max-repetitions, and all columns in each
# request (snmptable) instead of one column after the other (bulkwalk).
tablewalk() {  # NAME REPS: snmptable of linubiaUserTable over AgentX
	local t0 t1 n
	t0=$(date +%s.%N)
	n=$(ip netns exec $ns env MIBDIRS="$PWD/build/mibs/base:/usr/share/snmp/mibs:$PWD/mibs" \
		MIBS=LINUBIA-MIB snmptable -v2c -c bench -t 60 -r 0 -Cr "$2" -CH -Cf , \
		127.0.0.1:$port LINUBIA-MIB::linubiaUserTable | wc -l)
	t1=$(date +%s.%N)
	awk -v name="$1" -v n="$((n * 39))" -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "%-26s %7d varbinds %7.3f s %9.0f varbinds/s\n", name, n, t1 - t0, n / (t1 - t0) }'
}
if [ "${LINUBIA_BENCH_SNMP_SETTINGS:-1}" != 0 ]; then
	echo "-- NMS settings over AgentX (one walk each)"
	for r in 10 50 100 250; do reps=$r bulkwalk agentx-column-Cr$r $ours_oid; done
	for r in 10 50; do tablewalk agentx-snmptable-Cr$r $r; done
fi
s=$(median snmpd-routes) a=$(median agentx-column) d=$(median dlmod-column) f=$(median dlmod-all-columns)
awk -v s="$s" -v a="$a" -v d="$d" -v f="$f" -v r="$rounds" 'BEGIN {
	printf "median of %d rounds: snmpd inetCidrRouteIfIndex %.0f varbinds/s; linubiaUserInOctets over AgentX %.0f (ratio %.2f), in snmpd (dlmod) %.0f (ratio %.2f); whole user table (dlmod) %.0f (ratio %.2f)\n", r, s, a, a / s, d, d / s, f, f / s }'
echo "subagent RSS after walks: $(rss)"
echo "snmpd with linubia.so: RSS $(rss $snmpd_dlmod) after walks, +$(( $(rss_kb $snmpd_dlmod) - $(rss_kb $snmpd_plain) )) kB over the same snmpd without it ($(rss $snmpd_plain))"
