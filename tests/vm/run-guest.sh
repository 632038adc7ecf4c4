#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Boot Debian's kernel in QEMU (TCG) with the host's root filesystem as the
# guest's read-only / and run a command in it as root. See README.md.
set -eu

usage() {
	echo "usage: $0 [--kver NAME] [--kroot DIR] [--timeout SECS] [--mem MB] [--out DIR] [--cpus N] [--max-cpus N] [--icount] -- CMD [ARGS...]" >&2
	exit 2
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
timeout=600 mem=1024 cpus=2 max_cpus="" out="" icount=""
# The kernel: a scripts/kver.sh name (6.1, 6.12, 6.12-rt or a release)
# installed below KROOT (default /).
kver=${KVER:-} kroot=${KROOT:-}
while [ $# -gt 0 ]; do
	case $1 in
	--timeout | --mem | --cpus | --max-cpus | --out | --kver | --kroot)
		[ $# -ge 2 ] || usage
		case $1 in
		--out) out=$2 ;;
		--kver) kver=$2 ;;
		--kroot) kroot=$2 ;;
		--max-cpus) [[ $2 =~ ^[1-9][0-9]*$ ]] || usage; max_cpus=$2 ;;
		*) [[ $2 =~ ^[1-9][0-9]*$ ]] || usage; declare "${1#--}=$2" ;;
		esac
		shift 2 ;;
	# Deterministic time: one guest nanosecond per executed instruction.
	--icount) icount=1; shift ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[ $# -gt 0 ] || usage

say() { echo "linubia-vm: $*" >&2; }

if [ -n "$kroot" ]; then
	kroot=$(cd "$kroot" && pwd -P) || usage
	[ "$kroot" != / ] || kroot=""
fi
KVER=$(KROOT=$kroot "$root/scripts/kver.sh" "$kver") || exit 1
[ -d "${kroot:-/}/lib/modules/$KVER/kernel" ] || [ -f "${kroot:-/}/lib/modules/$KVER/modules.builtin" ] ||
	{ echo "linubia: no modules for kernel $KVER under ${kroot:-/}" >&2; exit 1; }

cache=$root/build/vm
mkdir -p "$cache"
# Debian's bzImage boots fastest as the ELF inside it (PVH entry); an ELF
# vmlinux boots as it is; a bzImage-RELEASE (the debug kernel: KASAN cannot
# take the PVH entry) boots through its own decompressor.
if [ -f "$kroot/boot/bzImage-$KVER" ]; then
	vmlinux=$kroot/boot/bzImage-$KVER
elif [ -f "$kroot/boot/vmlinux-$KVER" ]; then
	vmlinux=$kroot/boot/vmlinux-$KVER
else
	vmlinux=$cache/vmlinux-$KVER
	"$here/extract-vmlinux" "$kroot/boot/vmlinuz-$KVER" "$vmlinux"
fi
initrd=$cache/initrd-$KVER.cpio.gz
"$here/mkinitrd.sh" "$KVER" "$initrd" "${kroot:-/}"

if [ -z "$out" ]; then
	out=$(mktemp -d "$cache/out-XXXXXX")
	chmod 0755 "$out"
else
	mkdir -p "$out"
fi
out=$(cd "$out" && pwd -P)
case $out in *$'\n'*) say "out dir path must not contain a newline"; exit 2 ;; esac
rm -f "$out/console.log" "$out/dmesg.txt" "$out/verdict" "$out/vm-env.sh" "$out/vm-job.sh"

# Single-quote for the guest's POSIX sh.
q() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }

# Environment for the guest: LINUBIA_* and CI from here, plus the out dir.
{
	echo "# written by run-guest.sh, sourced in the guest"
	echo "vm_dir=$(q "$here")"
	echo "repo_dir=$(q "$root")"
	# A kernel outside / brings its modules: init mounts them at /lib/modules.
	echo "vm_kver=$(q "$KVER")"
	echo "vm_kroot=$(q "$kroot")"
	for name in $(compgen -e); do
		case $name in
		LINUBIA_VM_OUT) ;;
		LINUBIA_* | CI) echo "export $name=$(q "${!name}")" ;;
		esac
	done
	echo "export LINUBIA_VM_OUT=$(q "$out")"
} >"$out/vm-env.sh"

cwd=$(pwd -P)
{
	echo "# written by run-guest.sh, run by the guest's sh in a clean environment"
	echo ". $(q "$out/vm-env.sh")"
	echo "cd $(q "$cwd") || { echo $(q "linubia-vm: cannot cd to $cwd in the guest") >&2; exit 1; }"
	printf 'exec'
	for a in "$@"; do printf ' %s' "$(q "$a")"; done
	echo
} >"$out/vm-job.sh"

say "kernel $KVER${kroot:+ (below $kroot)}, out dir $out"
# QEMU options take ',' as separator: double it inside paths.
out_opt=${out//,/,,}
repo_opt=${root//,/,,}
timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
	-accel tcg -m "$mem" -smp "$cpus${max_cpus:+,maxcpus=$max_cpus}" ${icount:+-icount shift=0} \
	-nodefaults -display none -no-reboot -nic none \
	-chardev "stdio,id=con,signal=off,logfile=$out_opt/console.log" \
	-serial chardev:con \
	-kernel "$vmlinux" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 oops=panic panic_on_warn=0 quiet loglevel=4" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-virtfs local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$repo_opt,mount_tag=repo,security_model=none,readonly=on,multidevs=remap" \
	-virtfs "local,path=$out_opt,mount_tag=out,security_model=none,multidevs=remap" \
	</dev/null &
pid=$!
# timeout(1) runs in its own process group, so Ctrl-C does not reach QEMU.
interrupted=0
trap 'interrupted=1; kill -TERM "$pid" 2>/dev/null' INT TERM HUP
rc=0
wait "$pid" || rc=$?
if [ "$interrupted" = 1 ]; then
	wait "$pid" || true
	say "interrupted"
	exit 130
fi

fail() {  # $1: exit status, $2: one-line reason
	say "FAIL: $2"
	if [ -s "$out/console.log" ]; then
		say "last 40 lines of $out/console.log:"
		tail -n 40 "$out/console.log" | tr -d '\r' >&2
	fi
	exit "$1"
}

status=$(sed -n 's/^status=//p' "$out/verdict" 2>/dev/null || true)
splat=$(sed -n 's/^splat=//p' "$out/verdict" 2>/dev/null || true)
case $rc in
1)  # verdict byte 0. QEMU also exits 1 on its own errors: check the file.
	[ "$status" = 0 ] || fail 125 "qemu exited with status 1 and no verdict from the guest"
	exit 0 ;;
3)  # verdict byte 1: the command failed
	[[ $status =~ ^[0-9]+$ ]] || fail 125 "guest reported failure but $out/verdict has no status"
	say "command exited with status $status in the guest"
	exit "$status" ;;
5)  fail 121 "kernel splat in guest dmesg (command status ${status:-?}): $splat" ;;
7)  fail 122 "guest setup failed (see console)" ;;
124 | 137) fail 124 "timeout: guest still running after ${timeout}s" ;;
0)
	if grep -q 'Kernel panic' "$out/console.log" 2>/dev/null; then
		fail 125 "kernel panic, no verdict: $(grep -m1 'Kernel panic' "$out/console.log" | tr -d '\r')"
	fi
	fail 125 "guest stopped without a verdict (kernel panic or crash?)" ;;
*)  fail 125 "qemu failed with status $rc and no verdict" ;;
esac
