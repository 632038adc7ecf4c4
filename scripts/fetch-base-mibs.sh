#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Fetch the SMIv2 base MIBs (SNMPv2-SMI, SNMPv2-TC, SNMPv2-CONF, ...) that
# Debian main does not ship, from the erlang-snmp package (no Erlang install:
# the .deb is only unpacked).  Idempotent: does nothing when build/mibs/base
# already holds them.  Prints the directory to put on SMIPATH / MIBDIRS.
#   scripts/fetch-base-mibs.sh [OUTDIR]     (default build/mibs)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/mibs}
base=$out/base
need="SNMPv2-SMI SNMPv2-TC SNMPv2-CONF SNMPv2-MIB SNMP-FRAMEWORK-MIB"

have_all() {
	for m in $need; do [ -s "$base/$m.txt" ] || return 1; done
}

if have_all; then
	echo "$base"
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lnb-mibs.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
if ! (cd "$work" && apt-get download erlang-snmp >"$work/apt.log" 2>&1); then
	sed 's/^/  /' "$work/apt.log" >&2
	echo "linubia: fetching the SMIv2 base MIBs failed: apt-get download erlang-snmp did not work" \
	     "(are we offline? run 'apt-get update' with network access, or copy SNMPv2-SMI.txt," \
	     "SNMPv2-TC.txt, SNMPv2-CONF.txt ... into $base by hand)" >&2
	exit 1
fi
dpkg-deb -x "$work"/erlang-snmp_*.deb "$work/x"
src=$(ls -d "$work"/x/usr/lib/erlang/lib/snmp-*/mibs 2>/dev/null | head -n 1)
if [ -z "$src" ]; then
	echo "linubia: erlang-snmp has no mibs/ folder (package layout changed; look inside the .deb)" >&2
	exit 1
fi
mkdir -p "$base.tmp"
for f in "$src"/*.mib "$src"/v1/*.mib; do
	cp "$f" "$base.tmp/$(basename "$f" .mib).txt"
done
rm -rf "$base"
mv "$base.tmp" "$base"
have_all || { echo "linubia: erlang-snmp lacks some of: $need" >&2; exit 1; }
echo "$base"
