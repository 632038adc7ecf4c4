#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Install the Debian packages LINUBIA needs to build, test and run.
# Idempotent and quick when everything is present; waits for the dpkg lock.
# Usage: scripts/deps.sh [build|test|run|debug-kernel]
#   build, test, run (the same set today): everything make test needs
#   debug-kernel: what make test-debug-kernel needs on top (linux-source-6.1
#   and the kernel's build tools)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

pkgs=(
	build-essential pkg-config gcc-12 make man-db
	linux-headers-amd64 linux-image-amd64 kmod dwarves
	sparse
	qemu-system-x86 busybox-static cpio xz-utils zstd
	libmnl-dev libcmocka-dev valgrind clang llvm
	iproute2 iputils-ping iperf3 procps util-linux tmux ethtool nftables uidmap libcap2-bin
	snmp snmpd libsnmp-dev smitools
	libbpf-dev bpftool
	mrtg libcrypt-des-perl libcrypt-rijndael-perl libdigest-hmac-perl
	prometheus prometheus-snmp-exporter prometheus-node-exporter
	freediameterd libfreediameter-dev freediameter-extensions
	postgresql-15 postgresql-client-15 libpq-dev cmake bison flex dpkg-dev tshark
	libmicrohttpd-dev libisal-dev zlib1g-dev python3-prometheus-client
)

if [ "${1:-}" = debug-kernel ]; then
	pkgs=(linux-source-6.1 build-essential gcc-12 make flex bison bc libelf-dev libssl-dev
		kmod cpio)
fi

missing=()
for p in "${pkgs[@]}"; do
	# dpkg-query prints "install ok installed" for a present package.
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done

# The kernel matrix of make test (mk/kernels.mk): Debian 12's 6.12 and its
# PREEMPT_RT flavour, each image with the headers of the SAME version.  The
# meta packages name that version (linux-image-6.12-amd64 depends on
# linux-image-VERSION-amd64); the versioned names are installed so that an
# image and headers from two different uploads can never pair up.
kernels_missing=()
if [ "${1:-}" != debug-kernel ]; then
	for k in 6.12 6.12-rt; do
		"$here/kver.sh" "$k" >/dev/null 2>&1 || kernels_missing+=("$k")
	done
fi

if [ ${#missing[@]} -eq 0 ] && [ ${#kernels_missing[@]} -eq 0 ]; then
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
# tshark asks whether non-root users may capture: no (the tests capture as
# root), answered before the install so it never waits for a terminal.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
# An old or empty package list would fail the install: refresh it once.
apt-get -o DPkg::Lock::Timeout=600 update -q >&2
for k in "${kernels_missing[@]}"; do
	flavour=amd64
	[ "$k" = "${k%-rt}" ] || flavour=rt-amd64
	release=$(apt-cache depends "linux-image-${k%-rt}-$flavour" |
		sed -n "s/^ *Depends: linux-image-\(.*-$flavour\)\$/\1/p" | head -n 1)
	if [ -z "$release" ]; then
		echo "linubia: apt knows no linux-image-${k%-rt}-$flavour (is this Debian 12 with its security updates?)" >&2
		exit 1
	fi
	echo "deps: kernel $k: $release" >&2
	missing+=("linux-image-$release" "linux-headers-$release")
done
apt-get "${apt_opts[@]}" install "${missing[@]}" >&2
