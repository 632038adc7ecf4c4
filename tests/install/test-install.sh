#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make install / uninstall into scratch DESTDIRs (make test-install):
#  - PREFIX=/usr: every file where install-tree.sh says, with its mode;
#    units name the installed programs; a program built with the installed
#    pkg-config file and headers links (shared and static) and runs; the
#    installed CLI and man page work
#  - an admin's edited configuration survives a second install (the new
#    one goes beside it as .dist) and an uninstall, which removes all else
#  - PREFIX=/usr/local: the units follow the prefix
# One line per check, then "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d /tmp/lnb-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() {	# check WHAT CMD...
	local what=$1
	shift
	if out=$("$@" 2>&1); then
		echo "PASS $what"
		pass=$((pass + 1))
	else
		echo "FAIL $what"
		echo "$out" | tail -15 | sed 's/^/  /'
		fail=$((fail + 1))
	fi
}

# The files under DIR, as "mode path", sorted.
tree() { (cd "$1" && find . \( -type f -o -type l \) -printf '%m %p\n' | LC_ALL=C sort -k2); }

D=$tmp/usr-root
check "make install PREFIX=/usr DESTDIR=..." make -s install PREFIX=/usr DESTDIR="$D"

expected() {
	cat <<'LIST'
644 ./etc/linubia/linubia-agentx.conf
644 ./etc/linubia/linubia-diameter.conf
755 ./usr/bin/linubia
644 ./usr/include/linubia.h
644 ./usr/include/linux/linubia.h
644 ./usr/lib/freeDiameter/dict_linubia.fdx
755 ./usr/lib/linubia/linubia-textfile
644 ./usr/lib/liblinubia.a
777 ./usr/lib/liblinubia.so
777 ./usr/lib/liblinubia.so.0
644 ./usr/lib/liblinubia.so.0.2.0
644 ./usr/lib/pkgconfig/liblinubia.pc
644 ./usr/lib/snmp/dlmod/linubia.so
644 ./usr/lib/systemd/system/linubia-agentx.service
644 ./usr/lib/systemd/system/linubia-bpf.service
644 ./usr/lib/systemd/system/linubia-diameter.service
644 ./usr/lib/systemd/system/linubia-exporter.service
644 ./usr/lib/systemd/system/linubia-textfile.service
644 ./usr/lib/systemd/system/linubia-textfile.timer
755 ./usr/sbin/linubia-agentx
755 ./usr/sbin/linubia-bpf
755 ./usr/sbin/linubia-diameter
755 ./usr/sbin/linubia-exporter
644 ./usr/share/linubia/cacti/linubia_users.xml
644 ./usr/share/linubia/linubia-agentx-ebpf.conf
644 ./usr/share/linubia/linubia-diameter-ebpf.conf
644 ./usr/share/linubia/linubia-exporter-ebpf.conf
755 ./usr/share/linubia/linubia-mrtg-cfg
644 ./usr/share/linubia/snmpd-linubia-dlmod.conf
644 ./usr/share/linubia/snmpd-linubia.conf
644 ./usr/share/man/man1/linubia.1
644 ./usr/share/man/man8/linubia-agentx.8
644 ./usr/share/man/man8/linubia-bpf.8
644 ./usr/share/man/man8/linubia-diameter.8
644 ./usr/share/man/man8/linubia-exporter.8
644 ./usr/share/snmp/mibs/LINUBIA-MIB.txt
LIST
}
check "installed files and modes (36)" diff <(expected | LC_ALL=C sort -k2) <(tree "$D")

# Every path a unit runs or reads from /usr or /etc/linubia is installed.
units_ok() {
	local root=$1 missing=0 p
	for p in $(grep -ho '/\(usr\|etc/linubia\)/[^ "=]*' "$root"/"$2"/*.service |
		   sed 's/[.,;:)]*$//' | grep -v '^/usr/share/doc/' | sort -u); do
		case "$p" in
		*/exporter-users|*/node-exporter) continue ;;	# the admin's / node_exporter's
		esac
		[ -e "$root$p" ] || { echo "a unit names $p, not installed"; missing=1; }
	done
	return $missing
}
check "units name installed files only" units_ok "$D" usr/lib/systemd/system

pc_build() {
	cat >"$tmp/consumer.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <linubia.h>
#include <linux/linubia.h>

int main(void)
{
	/* the UAPI header's layout and the library's error text */
	printf("%d %s\n", LINUBIA_COUNTER_COUNT, linubia_strerror(-2));
	return LINUBIA_COUNTER_COUNT == 32 && strlen(linubia_strerror(-2)) ? 0 : 1;
}
C
	local pc="env PKG_CONFIG_PATH=$D/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D pkg-config"
	# shared
	cc -std=c11 -Wall -Werror -o "$tmp/consumer" "$tmp/consumer.c" \
		$($pc --cflags --libs liblinubia) || return 1
	LD_LIBRARY_PATH=$D/usr/lib "$tmp/consumer" || return 1
	# (the whole output first: grep -q closing the pipe early would fail it
	# under pipefail)
	local libs
	libs=$(LD_LIBRARY_PATH=$D/usr/lib ldd "$tmp/consumer") || return 1
	grep -q "liblinubia.so.0 => $D/usr/lib/liblinubia.so.0 " <<<"$libs" ||
		{ echo "not linked to the installed liblinubia.so.0: $libs"; return 1; }
	# static, with Requires.private/Libs.private
	cc -std=c11 -Wall -Werror -static-libgcc -o "$tmp/consumer-static" "$tmp/consumer.c" \
		$($pc --cflags liblinubia) "$D/usr/lib/liblinubia.a" \
		$($pc --libs --static liblinubia | sed 's/-llinubia//') || return 1
	"$tmp/consumer-static"
}
check "a program built with the installed pkg-config file links and runs" pc_build

check "installed linubia --help" "$D/usr/bin/linubia" --help
man_ok() {  # every installed page renders without a groff warning and names itself
	local page name text
	for page in "$D"/usr/share/man/man1/linubia.1 "$D"/usr/share/man/man8/*.8; do
		name=$(basename "${page%.*}")
		text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>"$tmp/man.err")
		[ -s "$tmp/man.err" ] || ! grep -q "^NAME" <<<"$text" ||
			! grep -Eq "^ +$name +- " <<<"$text" &&
			{ echo "$page: does not render cleanly or lacks its NAME line"; return 1; }
	done
	return 0
}
check "installed man pages render (5)" man_ok
dlmod_ok() {  # ROOT LIBDIR: the snippet loads the installed dlmod, which exports two symbols
	local line
	line=$(grep '^dlmod ' "$1$3/linubia/snmpd-linubia-dlmod.conf") || return 1
	[ "$line" = "dlmod linubia $2/snmp/dlmod/linubia.so" ] ||
		{ echo "the snippet says: $line"; return 1; }
	[ "$(nm -D --defined-only "$1$2/snmp/dlmod/linubia.so" | awk '{ print $3 }' | sort | xargs)" = \
	  "deinit_linubia init_linubia" ] || { echo "linubia.so exports more or less"; return 1; }
}
check "the dlmod snippet names the installed linubia.so" dlmod_ok "$D" /usr/lib /usr/share
check "installed MIB names linubiaUserTable" grep -q "linubiaUserTable" "$D/usr/share/snmp/mibs/LINUBIA-MIB.txt"

# An admin's edit survives a reinstall and an uninstall.
echo "cache_period 30  # mine" >>"$D/etc/linubia/linubia-agentx.conf"
mine=$(cat "$D/etc/linubia/linubia-agentx.conf")
reinstall() {
	make -s install PREFIX=/usr DESTDIR="$D" >/dev/null &&
		[ "$(cat "$D/etc/linubia/linubia-agentx.conf")" = "$mine" ] &&
		cmp conf/linubia-agentx.conf "$D/etc/linubia/linubia-agentx.conf.dist"
}
check "second install keeps an edited configuration" reinstall
check "make uninstall" make -s uninstall PREFIX=/usr DESTDIR="$D"
left() {
	diff <(printf '644 ./etc/linubia/linubia-agentx.conf\n644 ./etc/linubia/linubia-diameter.conf\n') <(tree "$D") &&
		[ "$(cat "$D/etc/linubia/linubia-agentx.conf")" = "$mine" ]
}
check "uninstall leaves only the configuration, the edit intact" left

L=$tmp/local-root
check "make install PREFIX=/usr/local" make -s install DESTDIR="$L"
check "units follow PREFIX=/usr/local" sh -c \
	"grep -q '^ExecStart=/usr/local/sbin/linubia-agentx ' '$L/usr/local/lib/systemd/system/linubia-agentx.service' && ! grep -h '^ExecStart=/usr/s\?bin' '$L'/usr/local/lib/systemd/system/*.service"
check "units (PREFIX=/usr/local) name installed files only" units_ok "$L" usr/local/lib/systemd/system
check "the dlmod snippet (PREFIX=/usr/local) names the installed linubia.so" \
	dlmod_ok "$L" /usr/local/lib /usr/local/share

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
