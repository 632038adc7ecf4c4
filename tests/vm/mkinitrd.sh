#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Build the guest's tiny initramfs: static busybox, tests/vm/init and the
# guest kernel's own virtio + 9p modules (everything else comes from the
# host's root filesystem over 9p).
# Usage: mkinitrd.sh KVER OUT.cpio.gz
# OUT is a cache: it is rebuilt only when an input changed (OUT.stamp).
set -eu

[ $# -eq 2 ] || { echo "usage: mkinitrd.sh KVER OUT.cpio.gz" >&2; exit 2; }
kver=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd -P)
busybox=/bin/busybox
# Dependency order (modprobe is not available in the initramfs).
mods="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
netfs fscache 9pnet 9pnet_virtio 9p"

# A dynamically linked busybox would need the host's libc before 9p is up.
if ! LC_ALL=C ldd "$busybox" 2>&1 | grep -q 'not a dynamic'; then
	echo "mkinitrd.sh: $busybox is not static (install busybox-static)" >&2
	exit 1
fi

files=""
for m in $mods; do
	f=$(modinfo -k "$kver" -F filename "$m" 2>/dev/null) || f=""
	case $f in
	"(builtin)") continue ;;  # built into this kernel: nothing to load
	/*) files="$files $f" ;;
	*) echo "mkinitrd.sh: module $m not found for kernel $kver" >&2; exit 1 ;;
	esac
done

# Cache key: kernel version, this script, init, busybox and the module files.
# shellcheck disable=SC2086 # $files is a list of paths without spaces
stamp=$({
	echo "$kver"
	cat "$0" "$here/init" "$busybox" | sha256sum
	stat -c '%n %s %Y' $files
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
