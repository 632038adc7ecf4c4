#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# scripts/kver.sh: which kernel a name means (make kmod, the VM tests).
# A fake root with two Debian 6.1 kernels, a 6.12 one and an RT one, and a
# "running" kernel told by LINUBIA_RUNNING_KERNEL; then the real host.
set -uo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d /tmp/lnb-kver.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

kernel() {  # RELEASE [no-image]: a build tree, and an image unless told
	mkdir -p "$tmp/lib/modules/$1/build/include" "$tmp/boot"
	[ "${2:-}" = no-image ] || touch "$tmp/boot/vmlinuz-$1"
}
kernel 6.1.0-98-amd64
kernel 6.1.0-99-amd64
kernel 6.1.0-99-rt-amd64
kernel 6.12.118+deb12-amd64
kernel 6.1.0-97-amd64 no-image	# headers only: a host building for itself

# verdict WHAT GOT WANT
verdict() {
	if [ "$2" = "$3" ]; then
		echo "PASS $1: $2"
		pass=$((pass + 1))
	else
		echo "FAIL $1: got '$2', want '$3'"
		fail=$((fail + 1))
	fi
}
# expect WANT RUNNING [NAME]
expect() {
	local want=$1 running=$2
	shift 2
	verdict "running $running, name '${1:-}'" \
		"$(KROOT=$tmp LINUBIA_RUNNING_KERNEL=$running scripts/kver.sh "$@" 2>&1)" "$want"
}
expect 6.1.0-98-amd64 6.1.0-98-amd64		# upgraded, not rebooted: the running one
expect 6.1.0-97-amd64 6.1.0-97-amd64		# its build tree is enough for make kmod
expect 6.1.0-99-amd64 6.18.0-1-amd64		# running kernel without a build tree: 6.1
expect 6.1.0-99-amd64 6.1.0-98-amd64 6.1	# a series: its newest, whatever runs
expect 6.12.118+deb12-amd64 6.1.0-98-amd64 6.12
expect 6.1.0-99-rt-amd64 6.1.0-98-amd64 6.1-rt
expect 6.1.0-97-amd64 6.1.0-98-amd64 6.1.0-97-amd64	# an exact release
want="linubia: no kernel '5.10' with image and headers under $tmp (scripts/deps.sh installs 6.1, 6.12 and 6.12-rt)"
expect "$want" 6.1.0-98-amd64 5.10

# The host: the running kernel if it has a build tree, else the newest 6.1.
if [ -d "/lib/modules/$(uname -r)/build/include" ]; then want=$(uname -r); else want=$(scripts/kver.sh 6.1); fi
verdict "this host (running $(uname -r))" "$(scripts/kver.sh)" "$want"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
