#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Build the guest's tiny initramfs: static busybox, tests/vm/init and the
# guest kernel's own virtio + 9p modules (everything else comes from the
# host's root filesystem over 9p).
# Usage: mkinitrd.sh KVER OUT.cpio.gz [KROOT]
# KROOT: the kernel's modules are in KROOT/lib/modules/KVER (default /).
# OUT is a cache: it is rebuilt only when an input changed (OUT.stamp).
set -eu

[ $# -ge 2 ] && [ $# -le 3 ] || { echo "usage: mkinitrd.sh KVER OUT.cpio.gz [KROOT]" >&2; exit 2; }
kver=$1
out=$2
kroot=${3:-/}
here=$(cd "$(dirname "$0")" && pwd -P)
busybox=/bin/busybox
# What the 9p root needs; the kernel's own modules.dep gives the rest and
# the order (6.1: fscache, virtio_pci as modules; 6.12: no fscache,
# virtio_pci built in; the debug kernel: all built in).
mods="virtio_pci 9pnet_virtio 9p"

# A dynamically linked busybox would need the host's libc before 9p is up.
if ! LC_ALL=C ldd "$busybox" 2>&1 | grep -q 'not a dynamic'; then
	echo "mkinitrd.sh: $busybox is not static (install busybox-static)" >&2
	exit 1
fi

# shellcheck disable=SC2086 # $mods is a list of names
deps=$(modprobe -D -d "$kroot" -S "$kver" -a $mods) ||
	{ echo "mkinitrd.sh: cannot resolve $mods for kernel $kver under $kroot" >&2; exit 1; }
files=""
for f in $(echo "$deps" | sed -n 's/^insmod \([^ ]*\).*/\1/p'); do
	case " $files " in *" $f "*) ;; *) files="$files $f" ;; esac
done

# Cache key: kernel version, this script, init, busybox and the module files.
# shellcheck disable=SC2086 # $files is a list of paths without spaces
stamp=$({
	echo "$kver $kroot"
	cat "$0" "$here/init" "$busybox" | sha256sum
	[ -z "$files" ] || stat -c '%n %s %Y' $files
} | sha256sum)
if [ -f "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/dev" "$tmp/proc" "$tmp/sys" "$tmp/mnt" "$tmp/out" \
	"$tmp/tmp" "$tmp/modules"
cp "$busybox" "$tmp/bin/busybox"
cp "$here/init" "$tmp/init"
chmod 0755 "$tmp/init"
: >"$tmp/modules/order"
for f in $files; do
	b=$(basename "$f")
	case $b in
	*.ko) cp "$f" "$tmp/modules/$b" ;;
	*.ko.xz) xz -dc "$f" >"$tmp/modules/${b%.xz}" ;;
	*.ko.gz) gzip -dc "$f" >"$tmp/modules/${b%.gz}" ;;
	*.ko.zst) zstd -qdc "$f" >"$tmp/modules/${b%.zst}" ;;
	*) echo "mkinitrd.sh: unknown module format: $f" >&2; exit 1 ;;
	esac
	echo "${b%.ko*}.ko" >>"$tmp/modules/order"
done
# The kernel opens /dev/console for init before init can mount devtmpfs.
mknod -m 600 "$tmp/dev/console" c 5 1 2>/dev/null || true
# Non-root users cannot exec anything below a root that is not 0755.
chmod 0755 "$tmp"
chmod 1777 "$tmp/tmp"

(cd "$tmp" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 -n >"$out.tmp.$$"
mv -f "$out.tmp.$$" "$out"  # atomic: parallel runs may share the cache
echo "$stamp" >"$out.stamp"
