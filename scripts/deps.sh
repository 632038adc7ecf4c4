#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Install the Debian packages LINUBIA needs to build, test and run.
# Idempotent and quick when everything is present; waits for the dpkg lock.
# Usage: scripts/deps.sh [build|test|run]   (all groups install the same set today)
set -euo pipefail



pkgs=(
	build-essential pkg-config gcc-12 make
	linux-headers-amd64 linux-image-amd64 kmod
	sparse
	qemu-system-x86 busybox-static cpio xz-utils
	libmnl-dev libcmocka-dev valgrind clang llvm
	iproute2 iputils-ping iperf3 procps util-linux tmux ethtool nftables uidmap libcap2-bin
	snmp snmpd libsnmp-dev smitools
	libbpf-dev bpftool
	mrtg libcrypt-des-perl libcrypt-rijndael-perl libdigest-hmac-perl
	prometheus prometheus-snmp-exporter prometheus-node-exporter
	libmicrohttpd-dev libisal-dev zlib1g-dev python3-prometheus-client
)

missing=()
for p in "${pkgs[@]}"; do
	# dpkg-query prints "install ok installed" for a present package.
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "linubia: missing packages: ${missing[*]} (run as root, or: apt-get install ${missing[*]})" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}" >&2
apt_opts=(-o DPkg::Lock::Timeout=600 -y --no-install-recommends)
export DEBIAN_FRONTEND=noninteractive
# The tests start snmpd, prometheus and the exporter themselves on private
# ports: installing them must not start system-wide services (snmpd,
# prometheus on *:9090).  policy-rc.d 101 = "do not start", honoured by
# invoke-rc.d and deb-systemd-invoke; an existing policy is left alone.
policy=/usr/sbin/policy-rc.d
if [ ! -e $policy ]; then
	printf '#!/bin/sh\n# linubia deps.sh: no service starts during this install\nexit 101\n' >$policy
	chmod 755 $policy
	trap 'rm -f $policy' EXIT
fi
# An old or empty package list would fail the install: refresh it once.
apt-get -o DPkg::Lock::Timeout=600 update -q >&2
apt-get "${apt_opts[@]}" install "${missing[@]}" >&2
