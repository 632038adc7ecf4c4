#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Checks linubia-traffic's derived IP-level totals against the kernel's own
# veth interface counters, natively, as root: two network namespaces joined by
# a veth pair with TSO/GSO/GRO off (so interface counters count wire packets),
# static neighbour entries (no ARP/NDP), no link-local addresses (no DAD, no
# router solicitation), and a wait for the MLD reports of link-up to pass.
# One flow per case; interface IP bytes = link bytes - 14 * packets.
#
# A loaded host must not make a case fail at random, nor pass by luck: the
# link is set up so that TCP neither reorders nor retransmits spuriously
# (one RPS CPU per veth, no tail loss probes, a 5 s minimum RTO), and when
# the traffic tool still says its ground truth is inexact (a retransmission,
# out-of-order segments with SACK on, a lost datagram) the case is repeated
# with a RETRY line naming the reason, at most TRIES times.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOOL=${LINUBIA_TRAFFIC:-$HERE/linubia-traffic}
NS_A=lbt-a	# server side: 10.200.0.1, fd00::1
NS_B=lbt-b	# client side: 10.200.0.2, fd00::2
MTU=1500
CLIENT_UID=1001
SERVER_UID=1002
FAILURES=0
PASSES=0
RETRIES=0
TRIES=5
OLD_BACKLOG=

fail() { echo "selftest: $*" >&2; exit 1; }

cleanup() {
	ip netns del "$NS_A" 2>/dev/null || true
	ip netns del "$NS_B" 2>/dev/null || true
	if [ -n "$OLD_BACKLOG" ]; then
		sysctl -qw net.core.netdev_max_backlog="$OLD_BACKLOG" || true
	fi
}

check_prerequisites() {
	[ "$(id -u)" = 0 ] || fail "must run as root (creates network namespaces)"
	command -v ip >/dev/null || fail "needs iproute2 (ip)"
	command -v ethtool >/dev/null ||
		fail "needs ethtool: apt-get install -y --no-install-recommends ethtool"
	if [ -z "${LINUBIA_TRAFFIC:-}" ]; then
		make -s -C "$HERE" linubia-traffic || fail "building linubia-traffic failed"
	fi
	[ -x "$TOOL" ] || fail "$TOOL is not executable"
	if ip netns list | grep -qE "^($NS_A|$NS_B)( |$)"; then
		fail "namespace $NS_A or $NS_B already exists (another selftest running?)"
	fi
}

in_ns() { ip netns exec "$@"; }

prepare_namespace() {
	local ns=$1
	ip netns add "$ns"
	# Set before the veth exists, so the new device inherits them: no
	# link-local address (no DAD), no router solicitations. The MLD
	# reports of link-up cannot be switched off per netns: waited out.
	# No tail loss probes: their timer (2 x SRTT, >= 10 ms) fires on a
	# loaded host and retransmits what the peer already has.
	in_ns "$ns" sysctl -qw net.ipv6.conf.default.addr_gen_mode=1 \
		net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.accept_ra=0 \
		net.ipv4.ping_group_range="0 2147483647" net.ipv4.tcp_early_retrans=0
}

# veth hands each packet to the backlog of the CPU the sender runs on: a
# sender that migrates reorders its own segments (and the receiver, with
# SACK on, sends SACK blocks no counter reports).  One RPS CPU per device
# queues them all in order.  A deep backlog: a 1 MB burst must not overflow
# it while a CPU hog delays the softirq (global sysctl: restored on exit).
pin_receive_cpu() {
	local ns=$1
	in_ns "$ns" sh -c "echo 1 > /sys/class/net/$ns/queues/rx-0/rps_cpus" ||
		fail "cannot set rps_cpus of $ns"
}

deepen_backlog() {
	local now
	now=$(sysctl -n net.core.netdev_max_backlog)
	if [ "$now" -lt 100000 ]; then
		OLD_BACKLOG=$now
		sysctl -qw net.core.netdev_max_backlog=100000
	fi
}

# Nothing is lost on this link: a retransmission timeout can only be a
# stall of the host; make one need a 5 s stall, not 200 ms.
raise_rto_min() {
	ip -n "$NS_A" route add 10.200.0.2/32 dev "$NS_A" rto_min 5s
	ip -n "$NS_A" -6 route add fd00::2/128 dev "$NS_A" rto_min 5s
	ip -n "$NS_B" route add 10.200.0.1/32 dev "$NS_B" rto_min 5s
	ip -n "$NS_B" -6 route add fd00::1/128 dev "$NS_B" rto_min 5s
}

mac_of() { in_ns "$1" cat "/sys/class/net/$1/address"; }

setup_network() {
	prepare_namespace "$NS_A"
	prepare_namespace "$NS_B"
	ip -n "$NS_A" link add "$NS_A" mtu $MTU type veth peer name "$NS_B" mtu $MTU netns "$NS_B"
	ip -n "$NS_A" addr add 10.200.0.1/24 dev "$NS_A"
	ip -n "$NS_B" addr add 10.200.0.2/24 dev "$NS_B"
	ip -n "$NS_A" addr add fd00::1/64 dev "$NS_A" nodad
	ip -n "$NS_B" addr add fd00::2/64 dev "$NS_B" nodad
	ip -n "$NS_A" neigh add 10.200.0.2 lladdr "$(mac_of "$NS_B")" dev "$NS_A" nud permanent
	ip -n "$NS_A" neigh add fd00::2 lladdr "$(mac_of "$NS_B")" dev "$NS_A" nud permanent
	ip -n "$NS_B" neigh add 10.200.0.1 lladdr "$(mac_of "$NS_A")" dev "$NS_B" nud permanent
	ip -n "$NS_B" neigh add fd00::1 lladdr "$(mac_of "$NS_A")" dev "$NS_B" nud permanent
	set_offloads off
	pin_receive_cpu "$NS_A"
	pin_receive_cpu "$NS_B"
	deepen_backlog
	ip -n "$NS_A" link set "$NS_A" up
	ip -n "$NS_B" link set "$NS_B" up
	raise_rto_min
	wait_until_quiet
}

set_offloads() {
	in_ns "$NS_A" ethtool -K "$NS_A" tso "$1" gso "$1" gro "$1"
	in_ns "$NS_B" ethtool -K "$NS_B" tso "$1" gso "$1" gro "$1"
}

# "tx_bytes tx_packets rx_bytes rx_packets" of a namespace's veth end.
counters() {
	local f out=""
	for f in tx_bytes tx_packets rx_bytes rx_packets; do
		out+="$(in_ns "$1" cat "/sys/class/net/$1/statistics/$f") "
	done
	echo "$out"
}

# Link-up sends MLD reports (for the solicited-node groups) asynchronously;
# wait until neither interface has counted anything for 2 s (max 30 s).
wait_until_quiet() {
	local last="" now stable=0 tries=0
	while [ $stable -lt 10 ]; do
		now="$(counters "$NS_A")$(counters "$NS_B")"
		if [ "$now" = "$last" ]; then stable=$((stable + 1)); else stable=0; fi
		last=$now
		tries=$((tries + 1))
		[ $tries -le 150 ] || fail "interfaces did not become quiet within 30 s"
		sleep 0.2
	done
}

# json_field JSON SIDE KEY: value of KEY inside the "SIDE" object.
json_field() {
	local obj
	obj=$(grep -o "\"$2\":{[^}]*}" <<<"$1") || fail "no \"$2\" object in: $1"
	grep -o "\"$3\":[0-9a-z]*" <<<"$obj" | cut -d: -f2 ||
		fail "no $2.$3 in: $1"
}

# Interface delta (IP-level) of one namespace's veth: "out_b out_p in_b in_p".
ip_delta() {
	local -a before=($1) after=($2)
	local txp=$((after[1] - before[1])) rxp=$((after[3] - before[3]))
	echo "$((after[0] - before[0] - 14 * txp)) $txp $((after[2] - before[2] - 14 * rxp)) $rxp"
}

report() {
	local name=$1 expected=$2 actual=$3
	if [ "$expected" = "$actual" ]; then
		printf 'PASS %-34s expected %-26s actual %s\n' "$name" "$expected" "$actual"
		PASSES=$((PASSES + 1))
	else
		printf 'FAIL %-34s expected %-26s actual %s\n' "$name" "$expected" "$actual"
		FAILURES=$((FAILURES + 1))
	fi
}

# Wire size of N datagrams of PAYLOAD bytes that IP fragments at the MTU:
# prints "ip_bytes packets". unfrag = IP header (+ IPv6 dstopts, which Linux
# keeps in the unfragmentable part); IPv6 adds an 8-byte fragment header.
fragmented_wire() {
	local family=$1 ext=$2 payload=$3 n=$4
	local unfrag=20 fraghdr=0 per data frags
	if [ "$family" = 6 ]; then unfrag=$((40 + ext)); fraghdr=8; fi
	data=$((8 + payload))
	if [ $((unfrag + data)) -le $MTU ]; then
		echo "$((n * (unfrag + data))) $n"
		return
	fi
	per=$(((MTU - unfrag - fraghdr) / 8 * 8))
	frags=$(((data + per - 1) / per))
	echo "$((n * (data + frags * (unfrag + fraghdr)))) $((n * frags))"
}

# The traffic tool's verdict on its own ground truth: "" if exact, else why.
inexact_reason() {
	grep -q '"exact":true' <<<"$1" && return 0
	grep -o '"inexact":"[^"]*"' <<<"$1" | cut -d'"' -f4 | grep . ||
		echo "the tool gave no verdict: $1"
}

# retrying NAME CASE ARGS...: CASE measures once and either reports, or sets
# INEXACT (the tool's reason) and reports nothing; then it runs again, at
# most TRIES times.  A real mismatch is never retried.
retrying() {
	local name=$1 attempt; shift
	for ((attempt = 1; attempt <= TRIES; attempt++)); do
		INEXACT=
		"$@"
		[ -n "$INEXACT" ] || return 0
		echo "RETRY $name (try $attempt of $TRIES): $INEXACT"
		RETRIES=$((RETRIES + 1))
	done
	report "$name" "exact ground truth" "inexact in all $TRIES tries: $INEXACT"
}

# run_case NAME ARGS...: runs the tool, compares derived totals with the
# interface counters (client = lbt-b, server = lbt-a).
run_case() {
	retrying "$1" measure_case "$@"
}

measure_case() {
	local name=$1; shift
	local family json b_a b_b a_a a_b
	family=$(grep -o -- '--family [46]' <<<"$*" | cut -d' ' -f2)
	local addr_s=10.200.0.1 addr_c=10.200.0.2
	if [ "$family" = 6 ]; then addr_s=fd00::1 addr_c=fd00::2; fi
	b_a=$(counters "$NS_A"); b_b=$(counters "$NS_B")
	json=$("$TOOL" --server-ns "$NS_A" --client-ns "$NS_B" \
		--server-addr "$addr_s" --client-addr "$addr_c" "$@") ||
		fail "$name: linubia-traffic failed"
	a_a=$(counters "$NS_A"); a_b=$(counters "$NS_B")
	INEXACT=$(inexact_reason "$json")
	[ -z "$INEXACT" ] || return 0
	check_uid "$name" "$json" client "$*"
	check_uid "$name" "$json" server "$*"
	compare_side "$name client" "$json" client "$(ip_delta "$b_b" "$a_b")"
	if grep -q '"server":{' <<<"$json"; then
		compare_side "$name server" "$json" server "$(ip_delta "$b_a" "$a_a")"
	fi
}

# check_uid NAME JSON SIDE ARGS: with --SIDE-uid N the side must report uid N.
check_uid() {
	local want
	want=$(grep -o -- "--$3-uid [0-9]*" <<<"$4" | cut -d' ' -f2) || return 0
	[ "$(json_field "$2" "$3" uid)" = "$want" ] ||
		fail "$1: $3 ran as uid $(json_field "$2" "$3" uid), wanted $want"
}

derived() {
	local json=$1 side=$2
	echo "$(json_field "$json" "$side" ip_out_bytes) $(json_field "$json" "$side" ip_out_packets)" \
		"$(json_field "$json" "$side" ip_in_bytes) $(json_field "$json" "$side" ip_in_packets)"
}

compare_side() {
	report "$1" "$(derived "$2" "$3")" "$4"
}

# A datagram case where IP fragments: the tool derives one packet per datagram
# (the module counts before fragmentation / after reassembly); the interface
# sees fragments. Check the fragments add up to what the tool derived.
run_fragment_case() {
	retrying "$1" measure_fragment_case "$@"
}

measure_fragment_case() {
	local name=$1 family=$2 ext=$3 size=$4 count=$5; shift 5
	local addr_s=10.200.0.1 addr_c=10.200.0.2 json b_a b_b a_a a_b exp_c exp_s
	local -a d dc ds
	if [ "$family" = 6 ]; then addr_s=fd00::1 addr_c=fd00::2; fi
	b_a=$(counters "$NS_A"); b_b=$(counters "$NS_B")
	json=$("$TOOL" --proto udp --family "$family" --size "$size" --count "$count" \
		--server-ns "$NS_A" --client-ns "$NS_B" \
		--server-addr "$addr_s" --client-addr "$addr_c" "$@") ||
		fail "$name: linubia-traffic failed"
	a_a=$(counters "$NS_A"); a_b=$(counters "$NS_B")
	INEXACT=$(inexact_reason "$json")
	[ -z "$INEXACT" ] || return 0
	d=($(derived "$json" client)); dc=($(fragmented_wire "$family" "$ext" "$size" "${d[1]}"))
	# unfragmented size the tool derived must be IP + ext + 8 + payload each
	exp_c="$((d[1] * ((family == 4 ? 20 : 40) + ext + 8 + size))) ${dc[*]} 0 0"
	report "$name client" "$exp_c" "${d[0]} $(ip_delta "$b_b" "$a_b")"
	ds=($(derived "$json" server)); d=($(fragmented_wire "$family" "$ext" "$size" "${ds[3]}"))
	exp_s="$((ds[3] * ((family == 4 ? 20 : 40) + ext + 8 + size))) 0 0 ${d[*]}"
	report "$name server" "$exp_s" "${ds[2]} $(ip_delta "$b_a" "$a_a")"
}

# With offloads on, interface counters see super-packets, so only check the
# tool's self-consistency: it must still derive wire segments (at least one
# per MSS of payload plus SYN, handshake ACK and last ACK; far more than the
# interface's super-packets), stay within 2 % of the offloads-off run (segment
# counts vary a little run to run: write boundaries, FIN piggybacking), and
# the byte difference must be exactly one header per packet of difference.
check_offload_invariance() {
	retrying "tcp$1 1MB offloads on vs off" measure_offload_invariance "$1"
}

measure_offload_invariance() {
	local family=$1 hdr=$(( $1 == 4 ? 52 : 72 )) bytes=1000000
	local mss=$((MTU - hdr)) args=(--proto tcp --family "$family" --bytes 1000000)
	local addr_s=10.200.0.1 addr_c=10.200.0.2 b_b a_b json min_pkts ok=yes
	local -a off on wire
	if [ "$family" = 6 ]; then addr_s=fd00::1 addr_c=fd00::2; fi
	set_offloads off
	json=$("$TOOL" "${args[@]}" --server-ns "$NS_A" --client-ns "$NS_B" \
		--server-addr $addr_s --client-addr $addr_c) || fail "tso off: linubia-traffic failed"
	INEXACT=$(inexact_reason "$json")
	[ -z "$INEXACT" ] || return 0
	off=($(derived "$json" client))
	set_offloads on
	b_b=$(counters "$NS_B")
	json=$("$TOOL" "${args[@]}" --server-ns "$NS_A" --client-ns "$NS_B" \
		--server-addr $addr_s --client-addr $addr_c) || fail "tso on: linubia-traffic failed"
	a_b=$(counters "$NS_B")
	set_offloads off
	INEXACT=$(inexact_reason "$json")
	[ -z "$INEXACT" ] || return 0
	on=($(derived "$json" client))
	wire=($(ip_delta "$b_b" "$a_b"))
	min_pkts=$(((bytes + mss - 1) / mss + 3))
	local dp=$((on[1] - off[1])) db=$((on[0] - off[0]))
	[ "${on[1]}" -ge "$min_pkts" ] || ok="no: ${on[1]} < $min_pkts packets"
	[ $((${dp#-} * 50)) -le "${off[1]}" ] || ok="no: ${off[1]} vs ${on[1]} packets"
	[ "$db" -eq $((dp * hdr)) ] || ok="no: byte difference $db != $dp * $hdr"
	report "tcp$family 1MB offloads on vs off" "yes" "$ok"
	echo "     off: out ${off[0]} B ${off[1]} pkts; on: out ${on[0]} B ${on[1]} pkts" \
		"(>= $min_pkts); the interface with TSO on counted ${wire[1]} (super-)packets"
}

check_rate() {
	local start end ms
	start=$(date +%s%N)
	"$TOOL" --proto tcp --family 4 --bytes 300000 --size 10000 --rate 1000000 \
		--server-ns "$NS_A" --client-ns "$NS_B" \
		--server-addr 10.200.0.1 --client-addr 10.200.0.2 >/dev/null ||
		fail "rate case: linubia-traffic failed"
	end=$(date +%s%N)
	ms=$(((end - start) / 1000000))
	# 300 kB at 1 MB/s: the last write is paced to 0.3 s after the first.
	report "tcp4 --rate 1MB/s 300kB >=290ms" "yes" "$([ $ms -ge 290 ] && [ $ms -lt 5000 ] && echo yes || echo "no (${ms}ms)")"
}

# set_tcp_options TS SACK WS: the TCP sysctls of both namespaces.
set_tcp_options() {
	local ns
	for ns in "$NS_A" "$NS_B"; do
		in_ns "$ns" sysctl -qw net.ipv4.tcp_timestamps="$1" net.ipv4.tcp_sack="$2" \
			net.ipv4.tcp_window_scaling="$3"
	done
}

main() {
	check_prerequisites
	trap cleanup EXIT
	setup_network

	local uids=(--client-uid $CLIENT_UID --server-uid $SERVER_UID)
	run_case "tcp4 1MB" --proto tcp --family 4 --bytes 1000000
	run_case "tcp6 1MB" --proto tcp --family 6 --bytes 1000000
	run_case "tcp4 uids 100kB" --proto tcp --family 4 --bytes 100000 "${uids[@]}"
	run_case "tcp6 dstopts uids 1MB" --proto tcp --family 6 --bytes 1000000 --dstopts "${uids[@]}"
	run_case "tcp4 0 bytes" --proto tcp --family 4 --bytes 0
	set_tcp_options 0 1 1
	run_case "tcp4 no timestamps 100kB" --proto tcp --family 4 --bytes 100000
	run_case "tcp6 no timestamps 100kB" --proto tcp --family 6 --bytes 100000
	set_tcp_options 0 0 0
	run_case "tcp4 no ts/sack/wscale 100kB" --proto tcp --family 4 --bytes 100000
	run_case "tcp6 no ts/sack/ws closed" --proto tcp --family 6 --closed --port 9
	set_tcp_options 1 0 1
	run_case "tcp6 no sack 100kB" --proto tcp --family 6 --bytes 100000
	set_tcp_options 1 1 1
	run_case "tcp4 closed" --proto tcp --family 4 --closed --port 9
	run_case "tcp6 closed" --proto tcp --family 6 --closed --port 9
	run_case "udp4 50x1000" --proto udp --family 4 --count 50 --size 1000 "${uids[@]}"
	run_case "udp6 50x1000" --proto udp --family 6 --count 50 --size 1000
	run_case "udp6 dstopts 50x1000" --proto udp --family 6 --count 50 --size 1000 --dstopts "${uids[@]}"
	run_case "udp4 closed 3x100" --proto udp --family 4 --count 3 --size 100 --closed --port 9
	run_case "udp6 closed 3x100" --proto udp --family 6 --count 3 --size 100 --closed --port 9
	run_case "udp4 closed 3x1400" --proto udp --family 4 --count 3 --size 1400 --closed --port 9
	run_case "udp6 closed dstopts 3x1400" --proto udp --family 6 --count 3 --size 1400 --closed --port 9 --dstopts
	run_case "ping4 10x56" --proto ping --family 4 --count 10 --client-uid $CLIENT_UID
	run_case "ping6 10x1000" --proto ping --family 6 --count 10 --size 1000
	run_fragment_case "udp4 frag 20x3000" 4 0 3000 20
	run_fragment_case "udp6 frag 20x3000" 6 0 3000 20
	run_fragment_case "udp6 frag dstopts 20x3000" 6 8 3000 20 --dstopts
	check_offload_invariance 4
	check_offload_invariance 6
	check_rate

	echo "$PASSES passed, $FAILURES failed ($RETRIES retries of an inexact ground truth)"
	[ "$FAILURES" = 0 ]
}

main "$@"
