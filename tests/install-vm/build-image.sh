#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The booted Debian 12 system for tests/install-vm: a root filesystem made
# by mmdebstrap from this machine's own apt sources, with systemd as init,
# Debian's kernel and headers (DKMS builds the module for it), snmpd with
# Debian's default configuration, and every package LINUBIA's .debs depend
# on -- the guest has no network, so `apt install ./linubia*.deb` must find
# them installed.  Not LINUBIA itself: the test installs that.
#   build-image.sh DIR   -> DIR/rootfs.img (ext4, raw), DIR/vmlinuz,
#                           DIR/initrd.img, DIR/key
# Cached: DIR is rebuilt only when this script changes or apt offers a
# newer kernel (its key); ~3.5 min on a quiet 2-core machine.
set -euo pipefail
out=${1:?usage: build-image.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)

PACKAGES=(
	systemd-sysv udev kmod procps iproute2 initramfs-tools
	linux-image-amd64 linux-headers-amd64 dkms
	snmpd snmp
	# what the .debs depend on (dpkg-deb -f build/deb/*.deb Depends)
	adduser python3 libbpf1 libmnl0 libsnmp40 libfdcore6 libfdproto6
	libisal2 libmicrohttpd12 libcrypt1 libbpf-dev libmnl-dev linux-libc-dev
)
kernel=$(apt-cache policy linux-image-amd64 | sed -n 's/^ *Candidate: //p')
key=$( { cat "$0" "$here/lnb-install-test.service"; echo "$kernel"; } | sha256sum | cut -c1-16)
if [ -s "$out/key" ] && [ "$(cat "$out/key")" = "$key" ] && [ -s "$out/rootfs.img" ]; then
	echo "build-image: cached $out (key $key, linux-image-amd64 $kernel)"
	exit 0
fi

rm -rf "$out"
mkdir -p "$out"
root=$out/root
start=$(date +%s)
echo "build-image: mmdebstrap bookworm -> $root (${#PACKAGES[@]} packages and their dependencies)"
# a customize hook runs after the packages: the test's boot unit, fstab,
# the host name; the kernel and initramfs come out for QEMU's -kernel
mmdebstrap --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" \
	--customize-hook='echo lnb-vm >"$1/etc/hostname"' \
	--customize-hook='echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" >"$1/etc/fstab"' \
	--customize-hook="copy-in $here/lnb-install-test.service /etc/systemd/system" \
	--customize-hook='mkdir -p "$1/etc/systemd/system/multi-user.target.wants" "$1/mnt/lnb"' \
	--customize-hook='ln -s ../lnb-install-test.service "$1/etc/systemd/system/multi-user.target.wants/"' \
	bookworm "$root" >"$out/mmdebstrap.log" 2>&1 ||
	{ tail -n 30 "$out/mmdebstrap.log" >&2; echo "build-image: mmdebstrap failed (log: $out/mmdebstrap.log)" >&2; exit 1; }
cp "$root"/boot/vmlinuz-* "$out/vmlinuz"
cp "$root"/boot/initrd.img-* "$out/initrd.img"
# 3 GiB, sparse: room for the packages, DKMS's build and the journal
mkfs.ext4 -q -F -L lnb-root -d "$root" "$out/rootfs.img" 3G
rm -rf "$root"
echo "$key" >"$out/key"
echo "build-image: $out ready in $(($(date +%s) - start)) s (linux-image-amd64 $kernel)"
