#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Plain `make` must build everything: the default goal is `all`, not the
# first rule some mk/*.mk file happens to define (it once was vmlinux.h).
# Usage: check-default-goal.sh REPO
set -eu
goal=$(make -C "$1" -pnq --no-print-directory lnb-no-such-target 2>/dev/null |
	sed -n 's/^\.DEFAULT_GOAL := //p' | tail -n 1)
if [ "$goal" = all ]; then
	echo "default goal: all"
	echo "1 passed, 0 failed"
else
	echo "default goal: FAIL: plain make builds '$goal', not all"
	echo "0 passed, 1 failed"
	exit 1
fi
