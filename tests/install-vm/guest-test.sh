#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside the booted Debian guest at every boot (lnb-install-test.service)
# and does what an admin does, in three boots:
#   1  apt install ./linubia*.deb (DKMS builds the module), the shipped
#      snmpd snippet into Debian's snmpd, the subagent started over the
#      module; exact counters through snmpd; reboot
#   2  module and subagent back by themselves, exact counters; then the
#      switch to eBPF (module masked and removed, linubia-bpf enabled, the
#      subagent's eBPF drop-in), exact counters; reboot
#   3  backend and subagent back by themselves, exact counters; apt purge
#      leaves no file, user, pin or module behind
# Each check prints "LNB: ok NAME" or "LNB: FAIL NAME: what differed" on
# the console; the host (test-install-vm.sh) reads them.  The last line of
# a passing run is "LNB: done".
set -uo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8

STATE=/var/lib/lnb-test
SHARE=/mnt/lnb
TUSER=lnbtest TUID=4242
COMMUNITY=lnbtest
# LINUBIA-MIB (mibs/LINUBIA-MIB.txt): Debian ships no IETF MIBs (they are
# in non-free snmp-mibs-downloader), so OIDs are numeric here
MIB=.1.3.6.1.4.1.8072.9999.9999.1
BACKEND=$MIB.1.1.3.0 BACKEND_STATUS=$MIB.1.1.4.0
declare -A COL=([InOctets]=3 [InPkts]=4 [OutOctets]=5 [OutPkts]=6
	[UdpInOctets]=19 [UdpInPkts]=20 [UdpOutOctets]=21 [UdpOutPkts]=22)
# the test's traffic: DATAGRAMS UDP echoes of PAYLOAD bytes each way
DATAGRAMS=40 PAYLOAD=300
PACKAGES=(liblinubia0 liblinubia-dev linubia linubia-agentx linubia-diameter linubia-dkms linubia-mibs)

mkdir -p "$STATE"
stage=$(cat "$STATE/stage" 2>/dev/null || echo 1)

say() { echo "LNB: $*"; }
ok() { say "ok $1"; }
# Stop at the first failure, with what the admin would look at next.
fail() {
	say "FAIL $1: $2"
	for u in linubia-agentx linubia-bpf snmpd; do
		journalctl -b -u "$u" -n 15 --no-pager 2>/dev/null | sed "s/^/LNB-LOG $u: /"
	done
	say "end"
	systemctl poweroff
	exit 1
}
check() {  # NAME CMD...: CMD must succeed
	local name=$1
	shift
	local out
	out=$("$@" 2>&1) || fail "$name" "\`$*\` failed: $(echo "$out" | tail -n 3 | tr '\n' ' ')"
	ok "$name"
}
# Poll CMD until it succeeds (state the system reaches by itself: a unit
# becoming active, the subagent's cache catching up), for at most SECS.
wait_for() {  # SECS CMD...
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.5
	done
}

snmp_get() {  # OID -> value
	snmpget -v2c -c "$COMMUNITY" -Oqv -t 5 -r 2 127.0.0.1 "$1" 2>&1
}

# The subagent's row for the test user equals EXPECT (col=value ...).
row_is() {
	local c want got
	for c in "${!COL[@]}"; do
		want=${EXPECT[$c]}
		got=$(snmp_get "$MIB.1.2.1.${COL[$c]}.$TUID")
		[ "$got" = "$want" ] || { DIFF="$c: got '$got', expected $want"; return 1; }
	done
}

netns_up() {
	ip netns add lnbvm &&
	ip link add lnbv0 type veth peer name lnbv1 &&
	ip link set lnbv1 netns lnbvm &&
	ip addr add 10.200.9.1/24 dev lnbv0 && ip link set lnbv0 up &&
	ip -n lnbvm addr add 10.200.9.2/24 dev lnbv1 && ip -n lnbvm link set lnbv1 up &&
	ip -n lnbvm link set lo up
}

# DATAGRAMS echoes between the test user (init namespace) and a root echo
# server inside lnbvm: each way DATAGRAMS packets of PAYLOAD + 28 bytes.
make_traffic() {  # NAME
	ip netns exec lnbvm python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.200.9.2", 7))
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d, a)
' &
	local echo_pid=$!
	wait_for 30 sh -c 'ip netns exec lnbvm ss -Hlun | grep -q "10.200.9.2:7 "' ||
		fail "$1" "the echo server in lnbvm did not bind"
	setpriv --reuid=$TUID --regid=$TUID --clear-groups python3 -c '
import socket, sys
n, size = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
for i in range(n):
    s.sendto(bytes(size), ("10.200.9.2", 7))
    if len(s.recv(65535)) != size:
        sys.exit("short echo")
' "$DATAGRAMS" "$PAYLOAD" || { kill "$echo_pid"; fail "$1" "the test user's echoes did not all come back"; }
	kill "$echo_pid"
	wait "$echo_pid" 2>/dev/null
	ROUNDS=$((ROUNDS + 1))
	expect_rounds
}

# EXPECT: each column checked after ROUNDS rounds since the last zero
# (every packet is IPv4 UDP, so the totals equal the UDP columns).
expect_rounds() {
	local c
	for c in "${!COL[@]}"; do
		case $c in
		*Octets) EXPECT[$c]=$((ROUNDS * DATAGRAMS * (PAYLOAD + 28))) ;;
		*Pkts) EXPECT[$c]=$((ROUNDS * DATAGRAMS)) ;;
		esac
	done
}
declare -A EXPECT
ROUNDS=0

# Traffic, then the row through Debian's snmpd equals it exactly (the
# subagent caches a snapshot for its cache period: poll up to 60 s).
counted_exactly() {  # NAME BACKEND-NUMBER
	make_traffic "$1"
	DIFF="no answer"
	wait_for 60 row_is || fail "$1" "uid $TUID after $ROUNDS x $DATAGRAMS echoes of $PAYLOAD bytes: $DIFF"
	local be st
	be=$(snmp_get "$BACKEND") st=$(snmp_get "$BACKEND_STATUS")
	[ "$be" = "$2" ] || fail "$1" "linubiaBackend is '$be', expected $2"
	[ "$st" = 1 ] || fail "$1" "linubiaBackendStatus is '$st', expected 1 (running)"
	ok "$1 (uid $TUID: ${EXPECT[OutOctets]} octets, ${EXPECT[OutPkts]} packets each way)"
}

# linubiaUserReset.TUID = reset(2) as the snippet's SNMPv3 user (its
# shipped passwords: this snmpd answers 127.0.0.1 only), then the row reads
# zero: a reset works with the unit's privileges on this backend.
reset_over_snmp() {  # NAME
	local out
	out=$(snmpset -v3 -l authPriv -u linubiaadmin -a SHA -A CHANGE-ME-auth-pass \
		-x AES -X CHANGE-ME-priv-pass -t 5 -r 2 127.0.0.1 "$MIB.1.2.1.40.$TUID" i 2 2>&1) ||
		fail "$1" "snmpset of linubiaUserReset.$TUID failed: $out"
	ROUNDS=0
	expect_rounds
	DIFF="no answer"
	wait_for 60 row_is || fail "$1" "uid $TUID after the reset: $DIFF"
	ok "$1"
}

active() { systemctl is-active --quiet "$1"; }

exposure() {  # UNIT: systemd-analyze security's overall figure
	say "info exposure $1$2: $(systemd-analyze security "$1" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: //p')"
}

next_boot() {
	echo "$1" >"$STATE/stage"
	say "reboot into stage $1"
	sync
	systemctl reboot
	exit 0
}

# the boot must be over before the admin starts (this unit is part of it)
systemctl is-system-running --wait >/dev/null
say "stage $stage: kernel $(uname -r), systemd $(systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p')"

case $stage in
1)
	check test-user useradd --uid $TUID --user-group --no-create-home --shell /usr/sbin/nologin $TUSER
	snmpd_pid=$(systemctl show -p MainPID --value snmpd)
	[ "$snmpd_pid" != 0 ] || fail snmpd-running "Debian's snmpd is not running"
	debs=()
	for p in "${PACKAGES[@]}"; do debs+=("$SHARE"/debs/"${p}"_*.deb); done
	t0=$SECONDS
	check apt-install apt-get install -y -q "${debs[@]}"
	say "info apt install (DKMS build included) took $((SECONDS - t0)) s"
	check dkms-built sh -c "dkms status linubia | grep -q '$(uname -r).*installed'"
	check module-on-disk modinfo -F filename linubia
	for u in linubia-agentx linubia-diameter linubia-exporter; do
		check "user-$u" sh -c "getent passwd $u | grep -q ':/usr/sbin/nologin$'"
	done
	[ "$(systemctl show -p MainPID --value snmpd)" = "$snmpd_pid" ] ||
		fail snmpd-untouched "installing restarted snmpd (pid $snmpd_pid before)"
	ok snmpd-untouched
	# the admin's steps, as README says
	check modprobe modprobe linubia
	sed -e "s/CHANGE-ME-ro 192.0.2.0\/24/$COMMUNITY 127.0.0.1/" \
		/usr/share/linubia/snmpd-linubia.conf >/etc/snmp/snmpd.conf.d/linubia.conf
	check snmpd-restart systemctl restart snmpd
	check agentx-enable systemctl enable --now linubia-agentx
	wait_for 60 active linubia-agentx || fail agentx-active "linubia-agentx is not active"
	# Type=simple: "active" comes before the exec of linubia-agentx
	wait_for 60 sh -c "ps -o user= -C linubia-agentx | grep -q ." ||
		fail agentx-unprivileged "no linubia-agentx process"
	check agentx-unprivileged sh -c "ps -o user= -C linubia-agentx | grep -qx linubia-agentx"
	check netns netns_up
	counted_exactly snmp-module 1
	reset_over_snmp snmp-reset-module
	for u in linubia-agentx linubia-diameter linubia-exporter linubia-bpf; do exposure $u.service ""; done
	next_boot 2
	;;
2)
	check module-at-boot sh -c "grep -q '^linubia ' /proc/modules"
	wait_for 60 active linubia-agentx || fail agentx-at-boot "linubia-agentx is not active after the reboot"
	ok agentx-at-boot
	check netns netns_up
	counted_exactly snmp-module-after-reboot 1
	# to the eBPF backend: what README tells an admin without the module
	check agentx-stop systemctl stop linubia-agentx
	check rmmod rmmod linubia
	ln -s /dev/null /etc/modules-load.d/linubia.conf
	mkdir -p /etc/systemd/system/linubia-agentx.service.d
	cp /usr/share/linubia/linubia-agentx-ebpf.conf /etc/systemd/system/linubia-agentx.service.d/ebpf.conf
	check daemon-reload systemctl daemon-reload
	check bpf-enable systemctl enable --now linubia-bpf
	check agentx-start systemctl start linubia-agentx
	ROUNDS=0
	counted_exactly snmp-ebpf 2
	check agentx-no-caps sh -c "grep -q '^CapEff:.0000000000000000$' /proc/\$(systemctl show -p MainPID --value linubia-agentx)/status"
	exposure linubia-agentx.service " (eBPF drop-in)"
	next_boot 3
	;;
3)
	check no-module-at-boot sh -c "! grep -q '^linubia ' /proc/modules"
	wait_for 60 active linubia-bpf || fail bpf-at-boot "linubia-bpf is not active after the reboot"
	check bpf-loaded linubia-bpf status
	wait_for 60 active linubia-agentx || fail agentx-at-boot "linubia-agentx is not active after the reboot"
	ok agentx-at-boot
	check netns netns_up
	counted_exactly snmp-ebpf-after-reboot 2
	reset_over_snmp snmp-reset-ebpf
	counted_exactly snmp-ebpf-after-reset 2
	# purge: everything the packages installed or made goes
	dpkg -L "${PACKAGES[@]}" | sort -u >"$STATE/files"
	snmpd_pid=$(systemctl show -p MainPID --value snmpd)
	check apt-purge apt-get purge -y -q "${PACKAGES[@]}"
	# files and links; directories (and /lib, a link to one: merged /usr) are shared
	left=$(while read -r f; do
		[ -d "$f" ] && continue
		{ [ -e "$f" ] || [ -L "$f" ]; } && echo "$f"
	done <"$STATE/files")
	[ -z "$left" ] || fail purge-files "left behind: $(echo $left)"
	ok "purge-files ($(wc -l <"$STATE/files") paths checked)"
	for d in /etc/linubia /var/lib/linubia-diameter /sys/fs/bpf/linubia /var/lib/dkms/linubia; do
		[ ! -e "$d" ] || fail purge-dirs "$d is still there"
	done
	ok purge-dirs
	for u in linubia-agentx linubia-diameter linubia-exporter; do
		! getent passwd "$u" >/dev/null && ! getent group "$u" >/dev/null ||
			fail purge-users "user or group $u is still there"
	done
	ok purge-users
	ko=$(find /lib/modules -name 'linubia.ko*' | head -n 3)
	[ -z "$ko" ] || fail purge-module "$ko"
	grep -q '^linubia ' /proc/modules && fail purge-module "linubia is loaded"
	ok purge-module
	[ "$(systemctl show -p MainPID --value snmpd)" = "$snmpd_pid" ] ||
		fail snmpd-untouched "purging restarted snmpd"
	ok snmpd-untouched
	say done
	systemctl poweroff
	;;
*)
	fail stage "unknown stage '$stage'"
	;;
esac
