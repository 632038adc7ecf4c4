#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make test-install-vm: LINUBIA's Debian packages installed, used, rebooted
# and purged on a booted Debian 12 system, as an admin does it.
#   the system: build-image.sh (mmdebstrap, cached in build/install-vm)
#   the steps:  guest-test.sh, run at each of three boots by systemd
# QEMU boots Debian's kernel on a throw-away copy of the image (-snapshot:
# the guest's reboots keep its disk, the next run starts clean) and shares
# the .debs and guest-test.sh read-only over 9p.  The verdict is the
# guest's "LNB: ..." lines on the serial console.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
debs=${1:-$BUILD/deb}
dir=$BUILD/install-vm
timeout=${LNB_INSTALL_VM_TIMEOUT:-1800}

say() { echo "test-install-vm: $*"; }
tests/install-vm/build-image.sh "$dir/image"

share=$dir/share
rm -rf "$share"
mkdir -p "$share/debs"
cp tests/install-vm/guest-test.sh "$share/"
n=0
for f in "$debs"/*.deb; do
	case $f in *-dbgsym_*) continue ;; esac
	cp "$f" "$share/debs/"
	n=$((n + 1))
done
[ "$n" -ge 7 ] || { say "FAIL: $n packages in $debs, expected 7 (run make deb)"; exit 1; }

log=$dir/console.log
rm -f "$log"
say "booting $(basename "$(readlink -f "$dir/image/vmlinuz")") with $n packages; console: $log"
start=$SECONDS
# -snapshot: writes go to a temporary file that dies with QEMU
timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
	-accel tcg -m 2048 -smp 2 -nodefaults -display none -nic none -snapshot \
	-serial "file:$log" \
	-kernel "$dir/image/vmlinuz" -initrd "$dir/image/initrd.img" \
	-append "root=/dev/vda rw console=ttyS0 panic=0 loglevel=4" \
	-drive "file=$dir/image/rootfs.img,format=raw,if=virtio" \
	-virtfs "local,path=$share,mount_tag=lnb,security_model=none,readonly=on" \
	</dev/null &
pid=$!
trap 'kill "$pid" 2>/dev/null' EXIT INT TERM HUP
# The guest's lines, as they come (a run takes minutes).  journald puts
# "[time] guest-test.sh[pid]: " before them on the console.
lines() { tr -d '\r' <"$log" | grep -ao "$1.*" || true; }
shown=0
while kill -0 "$pid" 2>/dev/null; do
	if [ -f "$log" ]; then
		total=$(lines 'LNB: ' | wc -l)
		if [ "$total" -gt "$shown" ]; then
			lines 'LNB: ' | tail -n +"$((shown + 1))" |
				sed "s/^/[$((SECONDS - start)) s] /"
			shown=$total
		fi
	fi
	sleep 1
done
rc=0
wait "$pid" || rc=$?
trap - EXIT INT TERM HUP
lines 'LNB-LOG '

oks=$(lines 'LNB: ok ' | wc -l)
if [ -n "$(lines 'LNB: FAIL ')" ]; then
	say "FAIL: $(lines 'LNB: FAIL ' | head -n 1 | cut -c11-) ($oks checks passed before)"
	exit 1
fi
if ! lines 'LNB: ' | grep -qx 'LNB: done'; then
	case $rc in
	124 | 137) why="timeout: guest still running after ${timeout}s" ;;
	*) why="the guest stopped (qemu status $rc) without finishing" ;;
	esac
	say "FAIL: $why; last 30 console lines:"
	tr -d '\r' <"$log" | tail -n 30
	exit 1
fi
say "$oks checks passed in $((SECONDS - start)) s (three boots)"
