#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build freeDiameter's app_acct.fdx (the accounting server extension Debian
# does not ship) from Debian's own freediameter source package, cached in
# OUT (default build/diameter/app_acct).  The deb-src entries are derived
# from this machine's apt sources into a private apt configuration: nothing
# system-wide changes and no mirror address is written anywhere in the tree.
# One test patch (app_acct-interim-interval.patch): with
# LNB_TEST_ACA_INTERIM_INTERVAL=N in its environment the server puts
# Acct-Interim-Interval N in every answer, as a real server may.
# Usage: build-app-acct.sh [OUT]   -> OUT/app_acct.fdx
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
out=${1:-$root/build/diameter/app_acct}
fdx=$out/app_acct.fdx
patch_file=$here/app_acct-interim-interval.patch
stamp=$out/patch.sha256
want=$(sha256sum <"$patch_file")
if [ -s "$fdx" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
	touch "$fdx"
	exit 0
fi
rm -f "$fdx" "$stamp"

mkdir -p "$out"
out=$(cd "$out" && pwd -P)	# apt reads relative paths under /etc/apt
apt_dir=$out/apt
rm -rf "$apt_dir" "$out/src"
mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$out/src"

# deb -> deb-src, one-line and deb822 formats alike.
if [ -r /etc/apt/sources.list ]; then
	sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list >"$apt_dir/sources.list"
else
	: >"$apt_dir/sources.list"
fi
for f in /etc/apt/sources.list.d/*.sources; do
	[ -e "$f" ] || continue
	sed 's/^Types:.*/Types: deb-src/' "$f" >"$apt_dir/sources.list.d/$(basename "$f")"
done
for f in /etc/apt/sources.list.d/*.list; do
	[ -e "$f" ] || continue
	sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >"$apt_dir/sources.list.d/$(basename "$f")"
done

apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list"
	-o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache=$apt_dir/cache" -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=")
echo "build-app-acct: fetching Debian's freediameter source package" >&2
apt-get "${apt_opts[@]}" update -q >"$out/apt-update.log" 2>&1 || {
	echo "linubia: apt-get update with deb-src entries failed (see $out/apt-update.log)" >&2
	exit 1
}
(cd "$out/src" && apt-get "${apt_opts[@]}" source --download-only freediameter) \
	>"$out/apt-source.log" 2>&1 || {
	echo "linubia: apt-get source freediameter failed (see $out/apt-source.log)" >&2
	exit 1
}
dsc=$(ls "$out"/src/freediameter_*.dsc | head -n1)
(cd "$out/src" && dpkg-source -x "$(basename "$dsc")" tree) >"$out/dpkg-source.log" 2>&1
patch -d "$out/src/tree" -p1 <"$patch_file" >"$out/patch.log" 2>&1 || {
	echo "linubia: $patch_file does not apply (see $out/patch.log)" >&2
	exit 1
}

echo "build-app-acct: building app_acct.fdx" >&2
mkdir -p "$out/src/build"
(cd "$out/src/build" &&
	cmake ../tree -DBUILD_APP_ACCT=ON -DBUILD_TESTING=OFF -DDISABLE_SCTP=ON \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo &&
	nice -n 10 make -j2 app_acct) >"$out/build.log" 2>&1 || {
	echo "linubia: building app_acct failed (see $out/build.log)" >&2
	exit 1
}
cp "$(find "$out/src/build" -name app_acct.fdx | head -n1)" "$fdx.tmp"
mv "$fdx.tmp" "$fdx"
echo "$want" >"$stamp"
echo "build-app-acct: $fdx" >&2
