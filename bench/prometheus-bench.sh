#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Prometheus scrapes of LINUBIA at 2,000, 10,000 and 100,000 users, natively
# over the eBPF backend (root; `make bench-prometheus`, under
# flock /tmp/lnb-ebpf.lock on a shared machine): linubia-exporter (text,
# OpenMetrics, gzip; the first scrape with cold user names and the median of
# the next ones), `linubia show --format prometheus` (the textfile path), and
# in the same run the snmp_exporter path of conf/prometheus (private snmpd +
# linubia-agentx + prometheus-snmp-exporter with the shipped snmp.yml).
# Prints scrape times, body sizes and the exporter's RSS; never fails on time.
# LINUBIA_BENCH_PROM_USERS="2000 10000 100000" (ascending),
# LINUBIA_BENCH_PROM_ROUNDS=5, LINUBIA_BENCH_PROM_SNMP_MAX=10000 (the SNMP
# path is skipped above this many users: it needs ~9 ms per user).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
sizes=${LINUBIA_BENCH_PROM_USERS:-2000 10000 100000}
rounds=${LINUBIA_BENCH_PROM_ROUNDS:-5}
snmp_max=${LINUBIA_BENCH_PROM_SNMP_MAX:-10000}
first=500000
eport=19280 sport=19281 xport=19282
max=0
for n in $sizes; do max=$n; done
dir=$(mktemp -d /tmp/lnb-prom-bench.XXXXXX)
chmod 755 "$dir"
pids=() loaded=0

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
	if [ "$loaded" = 1 ]; then "$bin/linubia" ebpf unload || echo "unload failed" >&2; fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [ "$(id -u)" != 0 ]; then
	echo "prometheus-bench: needs root" >&2
	exit 1
fi
if "$bin/linubia" ebpf status >/dev/null 2>&1; then
	echo "prometheus-bench: the eBPF backend is already loaded; unload it first" >&2
	exit 1
fi
"$bin/linubia" ebpf load --max-users $((max + 1000)) >/dev/null
loaded=1

# UIDs first.. with a record (one loopback datagram each; resent for the few
# a failed allocation skipped).
have() {
	"$bin/linubia" show --csv --numeric | awk -F, -v lo=$first -v hi=$((first + $1)) \
		'NR > 1 && $1 >= lo && $1 < hi { n++ } END { print n + 0 }'
}
grow_to() {
	"$bin/linubia" config count_loopback=on
	for _ in 1 2 3; do
		"$bin/lib-snapshot-uids" $first "$1"
		[ "$(have "$1")" = "$1" ] && break
	done
	"$bin/linubia" config count_loopback=off	# our scrapes must not add records
}

"$bin/linubia-exporter" --web.no-auth --web.listen-address=127.0.0.1:$eport 2>"$dir/exporter.log" &
exporter=$!
pids+=("$exporter")

# snmpd + subagent + snmp_exporter with the shipped snmp.yml (its community).
mkdir -p "$dir/persist" "$dir/client"
cat >"$dir/snmpd.conf" <<CONF
master agentx
agentXSocket $dir/agentx.sock
agentaddress udp:127.0.0.1:$sport
dontLogTCPWrappersConnects yes
rocommunity CHANGE-ME-ro 127.0.0.1
CONF
printf 'cache_period 60\nping_interval 5\n' >"$dir/agentx.conf"
SNMP_PERSISTENT_DIR=$dir/persist MIBS="" MIBDIRS=$dir/client snmpd -f -Lf "$dir/snmpd.log" -C \
	-c "$dir/snmpd.conf" -p "$dir/snmpd.pid" -I -smux &
pids+=($!)
"$bin/linubia-agentx" -f -x "$dir/agentx.sock" -c "$dir/agentx.conf" -Lf "$dir/agent.log" &
pids+=($!)
prometheus-snmp-exporter --config.file=conf/prometheus/snmp.yml \
	--web.listen-address=127.0.0.1:$xport >"$dir/snmp-exporter.log" 2>&1 &
pids+=($!)
deadline=$((SECONDS + 60))
until curl -sf -o /dev/null http://127.0.0.1:$eport/ && curl -sf -o /dev/null http://127.0.0.1:$xport/; do
	[ $SECONDS -lt $deadline ] || { echo "exporters never answered" >&2; exit 1; }
	sleep 0.2
done

# scrape URL [curl options]: "seconds bytes" of one scrape
scrape() {
	local url=$1
	shift
	curl -sS -o /dev/null -w '%{time_total} %{size_download}\n' --max-time 900 "$@" "$url"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# rounds LABEL URL [curl options]: the median of $rounds scrapes
rounds() {
	local label=$1 url=$2 out t b
	shift 2
	out=$(for _ in $(seq "$rounds"); do scrape "$url" "$@"; done)
	t=$(printf '%s\n' "$out" | awk '{ print $1 }' | median)
	b=$(printf '%s\n' "$out" | awk '{ print $2 }' | tail -n 1)
	awk -v l="$label" -v t="$t" -v b="$b" -v r="$rounds" \
		'BEGIN { printf "  %-34s %9.1f ms  %12d bytes  (median of %d)\n", l, t * 1000, b, r }'
}
kib() { awk -v k="$1" '/^'"$1"':/ { printf "%.1f MB", $2 / 1024 }' /proc/"$exporter"/status; }
om='Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'

echo "== prometheus-bench: eBPF backend, $(nproc) CPUs, $rounds rounds per figure"
for n in $sizes; do
	start=$SECONDS
	grow_to "$n"
	records=$("$bin/linubia" stats | awk '$1 == "users" { print $2 }')
	echo "== $n users ($records records, made in $((SECONDS - start)) s)"
	url=http://127.0.0.1:$eport/metrics
	# a new exporter sees these UIDs for the first time: NSS is asked per UID
	kill "$exporter" && wait "$exporter" 2>/dev/null || true
	"$bin/linubia-exporter" --web.no-auth --web.listen-address=127.0.0.1:$eport \
		2>>"$dir/exporter.log" &
	exporter=$!
	pids+=("$exporter")
	until curl -sf -o /dev/null http://127.0.0.1:$eport/; do sleep 0.1; done
	scrape "$url" | awk '{ printf "  %-34s %9.1f ms  %12d bytes  (first scrape: NSS asked per UID)\n", "exporter, text", $1 * 1000, $2 }'
	rounds "exporter, text" "$url"
	rounds "exporter, text, gzip" "$url" -H 'Accept-Encoding: gzip'
	rounds "exporter, OpenMetrics" "$url" -H "$om"
	rounds "exporter, OpenMetrics, gzip" "$url" -H "$om" -H 'Accept-Encoding: gzip'
	echo "  exporter RSS now $(kib VmRSS), peak $(kib VmHWM)"
	t0=$(date +%s.%N)
	bytes=$("$bin/linubia" show --format prometheus | wc -c)
	t1=$(date +%s.%N)
	awk -v t0="$t0" -v t1="$t1" -v b="$bytes" \
		'BEGIN { printf "  %-34s %9.1f ms  %12d bytes  (1 run)\n", "linubia show --format prometheus", (t1 - t0) * 1000, b }'
	if [ "$n" -le "$snmp_max" ]; then
		out=$(curl -sS -o "$dir/snmp.txt" -w '%{time_total} %{size_download}\n' --max-time 900 \
			-H 'X-Prometheus-Scrape-Timeout-Seconds: 900' \
			"http://127.0.0.1:$xport/snmp?module=linubia&target=127.0.0.1:$sport")
		lines=$(grep -E '^snmp_scrape_(walk_duration_seconds|pdus_returned)' "$dir/snmp.txt" |
			tr '\n' ' ')
		echo "$out" | awk -v x="$lines" '{ printf "  %-34s %9.1f ms  %12d bytes  (1 scrape: %s)\n", "snmp_exporter, module linubia", $1 * 1000, $2, x }'
	else
		echo "  snmp_exporter: skipped above $snmp_max users (LINUBIA_BENCH_PROM_SNMP_MAX)"
	fi
done
