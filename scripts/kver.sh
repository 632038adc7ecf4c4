#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Which installed kernel a name means: prints its release (uname -r form),
# or fails with a message on stderr.  A series name picks the newest kernel
# whose image (vmlinuz or an ELF vmlinux) and module build tree are both
# under KROOT (default /: the system's own packages); an exact release needs
# only the build tree (a host building for its own kernel).
# Usage: scripts/kver.sh [NAME]
#   (none)        the running kernel (uname -r) if its module build tree is
#                 installed (a host builds for the kernel it runs, even
#                 after an upgrade without reboot), else as 6.1: the default
#                 kernel of the build and the VM tests.  With KROOT set, or
#                 where the running kernel has no build tree (this project's
#                 CI host runs a kernel without module support), that is 6.1.
#   6.1           the newest Debian 6.1 generic kernel
#   6.12          the newest Debian 12 6.12 generic kernel (+deb12-amd64)
#   6.12-rt, 6.1-rt  the newest PREEMPT_RT flavour of that series
#   RELEASE       that exact release, e.g. 6.12.118+deb12-amd64
set -eu

name=${1:-}
kroot=${KROOT:-}

has_build() { [ -d "$kroot/lib/modules/$1/build/include" ]; }
has_image() { [ -f "$kroot/boot/vmlinuz-$1" ] || [ -f "$kroot/boot/vmlinux-$1" ] ||
	[ -f "$kroot/boot/bzImage-$1" ]; }

# LINUBIA_RUNNING_KERNEL: what uname -r says (tests/kver set it, with a KROOT)
if [ -z "$name" ]; then
	running=${LINUBIA_RUNNING_KERNEL:-$(uname -r)}
	if { [ -z "$kroot" ] || [ -n "${LINUBIA_RUNNING_KERNEL:-}" ]; } && has_build "$running"; then
		echo "$running"
		exit 0
	fi
	name=6.1
fi

if echo "$name" | grep -Eqx '[0-9]+\.[0-9]+(-rt)?'; then
	series=${name%-rt}
	case $name in *-rt) flavour=rt-amd64 ;; *) flavour=amd64 ;; esac
	# Newest first; a generic release has no flavour word (-rt-, -cloud-)
	# before -amd64: 6.1.0-57-amd64, 6.12.118+deb12-amd64.
	for img in $(ls "$kroot/boot/" 2>/dev/null | sed -n 's/^\(vmlinu[xz]\|bzImage\)-//p' | sort -V -r -u); do
		case $img in "$series".*) ;; *) continue ;; esac
		rest=${img%-"$flavour"}
		[ "$rest" != "$img" ] || continue
		case $rest in *-rt | *-cloud) continue ;; esac
		if has_image "$img" && has_build "$img"; then
			echo "$img"
			exit 0
		fi
	done
elif has_build "$name"; then
	echo "$name"
	exit 0
fi
echo "linubia: no kernel '$name' with image and headers under ${kroot:-/} (scripts/deps.sh installs 6.1, 6.12 and 6.12-rt)" >&2
exit 1
