#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `make run` on the host itself (BACKEND=auto|kmod|ebpf): start the
# accounting (the module if this kernel can load it, else the eBPF backend),
# a private snmpd master on 127.0.0.1 with linubia-agentx, a little demo
# traffic between two network namespaces, print the commands to try and show
# the live per-user table.  q or Ctrl-C stops everything and leaves the
# machine as it was: what this script started is stopped by PID, what it
# loaded is unloaded, its namespaces, socket and directory are removed.
# Not on a terminal (or with LINUBIA_RUN_SECONDS=N) it shows the table for a
# few seconds and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bin=$repo/build/bin
backend=${1:-auto}
port=${LINUBIA_RUN_PORT:-16161}
community=linubia-demo
v3user=linubiaadmin v3auth=linubia-auth-pass v3priv=linubia-priv-pass
say() { echo "linubia run: $*"; }
die() { echo "linubia run: $*" >&2; exit 1; }

# --- what this kernel can do --------------------------------------------
kver=$(uname -r)
module_possible() {
	[ -e /proc/modules ] && [ -d "/lib/modules/$kver/build" ]
}
case $backend in
auto)
	if [ -d /sys/module/linubia ]; then backend=kmod
	elif module_possible; then backend=kmod
	else backend=ebpf; fi ;;
kmod)
	[ -d /sys/module/linubia ] || module_possible ||
		die "this kernel ($kver) cannot load modules or has no headers in /lib/modules/$kver/build; use BACKEND=ebpf (native) or BACKEND=vm (the module in QEMU)" ;;
ebpf) ;;
*) die "unknown BACKEND '$backend' (auto, kmod, ebpf or vm)" ;;
esac
[ "$(id -u)" = 0 ] || die "needs root (it loads the backend and starts snmpd)"
if ss -Hlun "sport = :$port" | grep -q .; then
	die "UDP port 127.0.0.1:$port is in use; pick another with LINUBIA_RUN_PORT=N"
fi

dir=$(mktemp -d /tmp/linubia-run.XXXXXX)
chmod 755 "$dir"
pids=() groups=() loaded="" nsa=lnb-run-a nsb=lnb-run-b
cleanup() {
	trap - EXIT INT TERM
	set +e
	for g in "${groups[@]}"; do
		kill -- -"$g" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	# A daemon stuck in its own shutdown must not keep us (and the
	# backend, namespaces, directory) alive: SIGKILL after 10 s.
	local t alive
	for ((t = 0; t < 100; t++)); do
		alive=0
		for p in "${groups[@]}" "${pids[@]}"; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for g in "${groups[@]}"; do
		kill -KILL -- -"$g" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in "${groups[@]}" "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	ip netns del $nsa 2>/dev/null
	ip netns del $nsb 2>/dev/null
	case $loaded in
	kmod) rmmod linubia && say "unloaded linubia.ko" ;;
	ebpf) "$bin/linubia" ebpf unload && say "unloaded the eBPF backend" ;;
	esac
	rm -rf "$dir"
	say "stopped; everything it started is gone"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the accounting backend ---------------------------------------------
case $backend in
kmod)
	if [ -d /sys/module/linubia ]; then
		say "linubia.ko is already loaded: using it (and leaving it loaded)"
	else
		say "building linubia.ko for $kver"
		make -s -C kmod KVER="$kver" >"$dir/kmod-build.log" 2>&1 ||
			{ cat "$dir/kmod-build.log" >&2; die "module build failed"; }
		modprobe -a nf_socket_ipv4 nf_socket_ipv6 nf_defrag_ipv6
		insmod kmod/linubia.ko
		loaded=kmod
		say "loaded linubia.ko"
	fi ;;
ebpf)
	if "$bin/linubia" ebpf status >/dev/null 2>&1; then
		say "the eBPF backend is already loaded: using it (and leaving it loaded)"
	else
		"$bin/linubia" ebpf load
		loaded=ebpf
		say "loaded the eBPF backend (cgroup_skb programs at the cgroup v2 root)"
	fi ;;
esac

# --- private snmpd master + subagent ------------------------------------
mkdir "$dir/persist" "$dir/client"
cat >"$dir/snmpd.conf" <<CONF
master agentx
agentXSocket $dir/agentx.sock
agentXPerms 0660 0755
agentaddress udp:127.0.0.1:$port
dontLogTCPWrappersConnects yes
view linubia included .1.3.6.1.2.1.1
view linubia included .1.3.6.1.4.1.8072.9999.9999.1
rocommunity $community 127.0.0.1 -V linubia
createUser $v3user SHA "$v3auth" AES "$v3priv"
rwuser $v3user priv -V linubia
CONF
printf 'cache_period 1\nping_interval 1\n' >"$dir/agentx.conf"
SNMP_PERSISTENT_DIR=$dir/persist MIBS= MIBDIRS=$dir/client \
	snmpd -f -Lf "$dir/snmpd.log" -C -c "$dir/snmpd.conf" -p "$dir/snmpd.pid" -I -smux &
pids+=($!)
"$bin/linubia-agentx" -f -x "$dir/agentx.sock" -c "$dir/agentx.conf" -Lf "$dir/agentx.log" &
pids+=($!)
export SNMP_PERSISTENT_DIR=$dir/client
mibdirs=$repo/build/mibs/base:/usr/share/snmp/mibs:$repo/mibs
status_oid=.1.3.6.1.4.1.8072.9999.9999.1.1.1.4.0
deadline=$((SECONDS + 60))
until [ "$(snmpget -v2c -c $community -t 1 -r 0 -Oqv 127.0.0.1:$port $status_oid 2>/dev/null)" = 1 ]; do
	[ $SECONDS -lt $deadline ] || { tail "$dir"/*.log >&2; die "snmpd + linubia-agentx did not answer within 60 s"; }
	sleep 0.2
done
say "snmpd on 127.0.0.1:$port (community $community, SNMPv3 user $v3user) with linubia-agentx ($backend backend)"

# --- demo traffic: two users between two namespaces, 10.200.250.0/24 ----
ip netns add $nsa
ip netns add $nsb
ip link add lnb-run0 netns $nsa type veth peer name lnb-run1 netns $nsb
ip -n $nsa addr add 10.200.250.1/24 dev lnb-run0
ip -n $nsb addr add 10.200.250.2/24 dev lnb-run1
for ns in $nsa $nsb; do
	ip -n "$ns" link set lo up
done
ip -n $nsa link set lnb-run0 up
ip -n $nsb link set lnb-run1 up
demo() {  # uid port rate proto amount...: a flow at a fixed rate, again and again
	local uid=$1 port=$2 rate=$3
	shift 3
	while :; do
		"$bin/linubia-traffic" --family 4 --server-addr 10.200.250.2 \
			--client-addr 10.200.250.1 --server-ns $nsb --client-ns $nsa \
			--server-uid 65534 --client-uid "$uid" --port "$port" --rate "$rate" \
			"$@" >/dev/null 2>&1 || sleep 1
	done
}
# Each loop in its own process group (set -m), so that stopping it also
# stops the traffic tool's server and client processes.
set -m
demo 1 5001 200000 --proto tcp --bytes 12000000 &
groups+=($!)
demo 2 5002 50000 --proto udp --count 3000 --size 1000 &
groups+=($!)
set +m
say "demo traffic: daemon (uid 1) TCP 200 kB/s and bin (uid 2) UDP 50 kB/s to nobody (uid 65534), in namespaces $nsa/$nsb"

cat <<TRY

Try, in another shell (the SNMP tools need these MIB directories):
  snmptable -v2c -c $community -M $mibdirs -m LINUBIA-MIB -Ci -Cb 127.0.0.1:$port linubiaUserTable
  snmpwalk  -v2c -c $community -M $mibdirs -m LINUBIA-MIB 127.0.0.1:$port LINUBIA-MIB::linubiaScalars
  snmpset   -v3 -l authPriv -u $v3user -a SHA -A $v3auth -x AES -X $v3priv -M $mibdirs -m LINUBIA-MIB 127.0.0.1:$port LINUBIA-MIB::linubiaUserReset.1 i 2
  $bin/linubia show          # or: linubia top, linubia show --json, linubia stats

TRY
if [ -t 0 ] && [ -t 1 ] && [ -z "${LINUBIA_RUN_SECONDS:-}" ]; then
	say "live per-user table follows (q or Ctrl-C stops everything)"
	top_args=()
else
	secs=${LINUBIA_RUN_SECONDS:-5}
	say "not on a terminal: the live table for $secs s, then stop"
	top_args=(--iterations "$secs")
fi
# In the background and waited for: a Ctrl-C that lands between fork and
# exec would be lost by a foreground top (it runs on, bash waits for it);
# the wait builtin returns at once and the INT trap stops everything.
"$bin/linubia" top "${top_args[@]}" <&0 &
pids+=($!)
wait $! || [ -z "${top_args[*]}" ]
if [ -n "${top_args[*]}" ]; then
	echo
	echo "\$ linubia show"
	"$bin/linubia" show
	echo
	echo "\$ snmptable ... linubiaUserTable (first columns)"
	snmptable -v2c -c $community -M "$mibdirs" -m LINUBIA-MIB -Ci -Cb -Cw 120 \
		127.0.0.1:$port linubiaUserTable | awk '/^$/ && ++blank == 2 { exit } { print }'
fi
