# SPDX-License-Identifier: GPL-2.0-only
# Sourced: sets KVER to the newest Debian 6.1 generic kernel that has both an
# image and headers installed (the guest kernel we build for and boot), or ""
# if none.  Other installed kernels (6.12, PREEMPT_RT) are not the default.
KVER=""
for img in $(ls /boot/vmlinuz-6.1.*-amd64 2>/dev/null | sort -V -r); do
	v=${img#/boot/vmlinuz-}
	case $v in *-rt-amd64 | *-cloud-amd64) continue ;; esac
	if [ -d "/usr/src/linux-headers-$v" ] && [ -d "/lib/modules/$v/kernel" ]; then
		KVER=$v
		break
	fi
done
