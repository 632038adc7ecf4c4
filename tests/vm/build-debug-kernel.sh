#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the small debug kernel of `make test-debug-kernel` from Debian's
# linux-source package: tinyconfig + tests/vm/debug-kernel.config (lockdep,
# the RCU checker, might_sleep checks, KASAN, kmemleak; only what the
# harness and the module suite need, built in).  Cached: nothing is done when
# the source, the fragment and this script are unchanged.
# Usage: build-debug-kernel.sh SOURCE.tar.xz OUTDIR
# Leaves OUTDIR/root/boot/bzImage-KREL, OUTDIR/root/lib/modules/KREL (with a
# build link to the object tree, for out-of-tree modules) and OUTDIR/kver
# (KREL).  run-guest.sh --kroot OUTDIR/root --kver KREL boots it.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: build-debug-kernel.sh SOURCE.tar.xz OUTDIR" >&2; exit 2; }
tarball=$1
mkdir -p "$2"
out=$(cd "$2" && pwd -P)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
fragment=$here/debug-kernel.config
say() { echo "debug-kernel: $*" >&2; }

[ -f "$tarball" ] || { say "no $tarball (scripts/deps.sh debug-kernel installs linux-source-6.1)"; exit 1; }
# Cache keys: the source's content (wherever the tarball lies), the fragment
# and this script.
src_id=$(sha256sum <"$tarball")
stamp=$({ echo "$src_id"; cat "$fragment" "$0"; } | sha256sum)
if [ -f "$out/kver" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
	say "up to date: $(cat "$out/kver")"
	exit 0
fi
rm -f "$out/kver" "$out/stamp"

src=$out/src obj=$out/obj
if [ "$(cat "$out/src.stamp" 2>/dev/null)" != "$src_id" ]; then
	say "unpacking $tarball"
	rm -rf "$src" "$obj"
	mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1
	echo "$src_id" >"$out/src.stamp"
fi

mk() { nice -n 10 make -s -C "$src" O="$obj" ARCH=x86_64 "$@"; }
mkdir -p "$obj"
mk tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$fragment" >/dev/null
mk olddefconfig >/dev/null

# Kconfig silently drops what a dependency forbids: insist on every line.
bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF -- "$line" "$obj/.config" || { say "not in .config: $line"; bad=1; } ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		! grep -q "^$opt=" "$obj/.config" || { say "still set: $opt"; bad=1; } ;;
	esac
done <"$fragment"
[ $bad = 0 ] || { say "fix $fragment"; exit 1; }

say "building in $obj (nice, -j$(nproc)); the first build takes a while"
start=$SECONDS
mk -j"$(nproc)" bzImage modules
krel=$(mk -s kernelrelease)
root=$out/root
rm -rf "$root"
mkdir -p "$root/boot"
mk INSTALL_MOD_PATH="$root" modules_install >/dev/null
cp "$obj/arch/x86/boot/bzImage" "$root/boot/bzImage-$krel"
ln -sfn "$obj" "$root/lib/modules/$krel/build"
say "built $krel in $((SECONDS - start)) s"
echo "$krel" >"$out/kver"
echo "$stamp" >"$out/stamp"
