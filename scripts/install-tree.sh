#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make install / make uninstall (mk/install.mk passes the directories).
#   library: shared (+ soname links), static, pkg-config file, headers
#            (linubia.h and the UAPI header <linux/linubia.h>)
#   programs: linubia (BINDIR); linubia-agentx, linubia-bpf,
#            linubia-diameter, linubia-exporter (SBINDIR: daemons and the
#            eBPF loader are root's); linubia-textfile (LIBEXECDIR/linubia);
#            linubia.so, LINUBIA-MIB inside snmpd (LIBDIR/snmp/dlmod)
#   data:    linubia.1, the daemons' and linubia-bpf's pages (man8),
#            LINUBIA-MIB.txt (MIBDIR; Net-SNMP reads
#            /usr/share/snmp/mibs, so PREFIX=/usr puts it on snmpd's path),
#            dict_linubia.fdx (LIBDIR/freeDiameter, for freeDiameterd),
#            the snmpd (AgentX and dlmod: its dlmod line rewritten to
#            LIBDIR) and NMS examples and the daemons' eBPF drop-ins
#            (DATADIR/linubia)
#   units:   conf/*.service, *.timer (UNITDIR), their paths rewritten to
#            these directories
#   config:  SYSCONFDIR/linubia/*.conf, only where none exists yet: an
#            admin's file is never overwritten (the new one goes beside it
#            as NAME.dist)
# uninstall removes all of it except the configuration files (as dpkg's
# remove, not purge) and says which stayed.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PREFIX:?}" "${BINDIR:?}" "${SBINDIR:?}" "${LIBDIR:?}" "${LIBEXECDIR:?}" "${INCLUDEDIR:?}"
: "${DATADIR:?}" "${MANDIR:?}" "${MIBDIR:?}" "${UNITDIR:?}" "${SYSCONFDIR:?}" "${LIB_VERSION:?}"
: "${LIB_SONAME:?}" "${BUILD:?}"
D=${DESTDIR:-}
bin=$BUILD/bin

# dest-path mode source: everything install places, one line each
files() {
	echo "$BINDIR/linubia 0755 $bin/linubia"
	for p in linubia-agentx linubia-bpf linubia-diameter linubia-exporter; do
		echo "$SBINDIR/$p 0755 $bin/$p"
	done
	echo "$LIBEXECDIR/linubia/linubia-textfile 0755 conf/prometheus/linubia-textfile"
	echo "$LIBDIR/liblinubia.so.$LIB_VERSION 0644 $BUILD/lib/liblinubia.so.$LIB_VERSION"
	echo "$LIBDIR/liblinubia.a 0644 $BUILD/lib/liblinubia.a"
	echo "$INCLUDEDIR/linubia.h 0644 include/linubia.h"
	echo "$INCLUDEDIR/linux/linubia.h 0644 kmod/include/uapi/linux/linubia.h"
	echo "$MANDIR/man1/linubia.1 0644 tools/linubia.1"
	echo "$MANDIR/man8/linubia-agentx.8 0644 subagent/linubia-agentx.8"
	echo "$MANDIR/man8/linubia-bpf.8 0644 bpf/linubia-bpf.8"
	echo "$MANDIR/man8/linubia-diameter.8 0644 diameter/linubia-diameter.8"
	echo "$MANDIR/man8/linubia-exporter.8 0644 exporter/linubia-exporter.8"
	echo "$MIBDIR/LINUBIA-MIB.txt 0644 mibs/LINUBIA-MIB.txt"
	echo "$LIBDIR/freeDiameter/dict_linubia.fdx 0644 $BUILD/diameter/dict_linubia.fdx"
	echo "$DATADIR/linubia/snmpd-linubia.conf 0644 conf/snmpd-linubia.conf"
	echo "$DATADIR/linubia/snmpd-linubia-dlmod.conf 0644 conf/snmpd-linubia-dlmod.conf"
	echo "$LIBDIR/snmp/dlmod/linubia.so 0644 $BUILD/snmp/linubia.so"
	# systemd drop-ins for eBPF hosts (root, no capabilities): the admin's choice
	for d in linubia-agentx linubia-diameter linubia-exporter; do
		echo "$DATADIR/linubia/$d-ebpf.conf 0644 conf/$d-ebpf.conf"
	done
	echo "$DATADIR/linubia/linubia-mrtg-cfg 0755 conf/mrtg/linubia-mrtg-cfg"
	echo "$DATADIR/linubia/cacti/linubia_users.xml 0644 conf/cacti/linubia_users.xml"
}

units() {
	ls conf/*.service conf/*.timer
}

configs() {
	ls conf/linubia-agentx.conf conf/linubia-diameter.conf
}

# Units name /usr/sbin, /usr/bin, /usr/lib/linubia and /etc/linubia.
unit_paths() {
	sed -e "s|/usr/sbin/|$SBINDIR/|g" -e "s|/usr/bin/|$BINDIR/|g" \
	    -e "s|/usr/lib/linubia/|$LIBEXECDIR/linubia/|g" -e "s|/etc/linubia/|$SYSCONFDIR/linubia/|g" "$1"
}

do_install() {
	local dest mode src n=0
	while read -r dest mode src; do
		[ -e "$src" ] || { echo "install: $src is missing (run make first)" >&2; exit 1; }
		install -D -m "$mode" "$src" "$D$dest"
		n=$((n + 1))
	done < <(files)
	# the snippet's dlmod line names where linubia.so went
	sed -i "s|/usr/local/lib/snmp/dlmod/|$LIBDIR/snmp/dlmod/|" \
		"$D$DATADIR/linubia/snmpd-linubia-dlmod.conf"
	ln -sfn "liblinubia.so.$LIB_VERSION" "$D$LIBDIR/$LIB_SONAME"
	ln -sfn "$LIB_SONAME" "$D$LIBDIR/liblinubia.so"
	mkdir -p "$D$LIBDIR/pkgconfig"
	sed -e "s|@VERSION@|$LIB_VERSION|" -e "s|@PREFIX@|$PREFIX|" \
	    -e "s|@LIBDIR@|$LIBDIR|" -e "s|@INCLUDEDIR@|$INCLUDEDIR|" \
	    lib/liblinubia.pc.in >"$D$LIBDIR/pkgconfig/liblinubia.pc"
	chmod 0644 "$D$LIBDIR/pkgconfig/liblinubia.pc"
	mkdir -p "$D$UNITDIR"
	for u in $(units); do
		unit_paths "$u" >"$D$UNITDIR/$(basename "$u")"
		chmod 0644 "$D$UNITDIR/$(basename "$u")"
		n=$((n + 1))
	done
	install -d -m 0755 "$D$SYSCONFDIR/linubia"
	for c in $(configs); do
		local to=$D$SYSCONFDIR/linubia/$(basename "$c")
		if [ -e "$to" ] && ! cmp -s "$c" "$to"; then
			install -m 0644 "$c" "$to.dist"
			echo "install: kept $SYSCONFDIR/linubia/$(basename "$c") (yours); the shipped one is $(basename "$c").dist"
		else
			install -m 0644 "$c" "$to"
		fi
		n=$((n + 1))
	done
	echo "install: $((n + 1)) files below ${D:-/} (PREFIX $PREFIX); the module: make kmod, or DKMS (conf/dkms.conf)"
}

do_uninstall() {
	local dest mode src n=0
	while read -r dest mode src; do
		[ -e "$D$dest" ] && rm -f "$D$dest" && n=$((n + 1))
	done < <(files)
	for f in "$LIBDIR/$LIB_SONAME" "$LIBDIR/liblinubia.so" "$LIBDIR/pkgconfig/liblinubia.pc"; do
		{ [ -e "$D$f" ] || [ -L "$D$f" ]; } && rm -f "$D$f" && n=$((n + 1))
	done
	for u in $(units); do
		[ -e "$D$UNITDIR/$(basename "$u")" ] && rm -f "$D$UNITDIR/$(basename "$u")" && n=$((n + 1))
	done
	rm -f "$D$SYSCONFDIR"/linubia/*.dist
	rmdir "$D$LIBEXECDIR/linubia" "$D$DATADIR/linubia/cacti" "$D$DATADIR/linubia" \
	      "$D$LIBDIR/freeDiameter" "$D$LIBDIR/snmp/dlmod" "$D$LIBDIR/snmp" 2>/dev/null || true
	echo "uninstall: $n files removed; kept the configuration in $SYSCONFDIR/linubia" \
	     "(remove it by hand to purge)"
}

case "${1:-}" in
install) do_install ;;
uninstall) do_uninstall ;;
*) echo "usage: install-tree.sh install|uninstall (run through make)" >&2; exit 2 ;;
esac
