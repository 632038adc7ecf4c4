# SPDX-License-Identifier: GPL-2.0-only
# Sourced: sets KVER to the newest Debian kernel that has both an image and
# headers installed (the guest kernel we build for and boot), or "" if none.
KVER=""
for img in $(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V -r); do
	v=${img#/boot/vmlinuz-}
	if [ -d "/usr/src/linux-headers-$v" ] && [ -d "/lib/modules/$v/kernel" ]; then
		KVER=$v
		break
	fi
done
