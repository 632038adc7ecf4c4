#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make deb: LINUBIA's Debian packages (debian/) built from a copy of the
# tree's files (tracked and new, not build/ or anything .gitignore names) in
# OUT/src, so the working tree's build/ is neither used nor cleaned; then
# lintian on the result.  Needs debhelper, dh-dkms, lintian (make deb-deps).
# Usage: build-debs.sh [OUT]   -> OUT/*.deb, OUT/lintian.txt
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-build/deb}")
rm -rf "$out"
mkdir -p "$out/src"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$out/src"
echo "build-debs: dpkg-buildpackage in $out/src (log: $out/build.log)" >&2
(cd "$out/src" && dpkg-buildpackage -b -us -uc -j2) >"$out/build.log" 2>&1 || {
	tail -n 30 "$out/build.log" >&2
	echo "build-debs: dpkg-buildpackage failed (see $out/build.log)" >&2
	exit 1
}
ls "$out"/*.deb
lintian --info --display-info "$out"/*.changes >"$out/lintian.txt" 2>&1 || true
echo "build-debs: lintian: $(grep -c '^E:' "$out/lintian.txt") errors," \
	"$(grep -c '^W:' "$out/lintian.txt") warnings," \
	"$(grep -c '^I:' "$out/lintian.txt") notes ($out/lintian.txt)" >&2
