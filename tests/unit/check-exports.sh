#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The shared library must export exactly the functions include/linubia.h
# marks LINUBIA_API: nothing internal leaks, nothing public is missing.
# Usage: check-exports.sh LIBRARY.so HEADER
set -eu
so=$1 header=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$so" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sort >"$tmp/exported"
# The name before "(" on each LINUBIA_API declaration (it may wrap a line).
grep -v '^#define LINUBIA_API' "$header" | tr '\n' ' ' | grep -o 'LINUBIA_API[^;]*;' |
	sed -E 's/^([^(]*)\(.*/\1/; s/.*[ *]//' | sort >"$tmp/declared"
passed=0 failed=0
if diff -u "$tmp/declared" "$tmp/exported" >"$tmp/diff"; then
	passed=1
	echo "exports: $(wc -l <"$tmp/exported") symbols, exactly the LINUBIA_API functions"
else
	failed=1
	echo "exports: FAIL: exported symbols (+) differ from LINUBIA_API declarations (-):"
	cat "$tmp/diff"
fi
echo "exports: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
