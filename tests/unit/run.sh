#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Run cmocka test programs (under valgrind when VALGRIND is set, e.g.
# "valgrind -q --error-exitcode=99 --leak-check=full"), merge their output
# (cmocka prints its summary on stderr) and end with the total.
# Usage: run.sh PROGRAM...
passed=0 failed=0 broken=0
for prog in "$@"; do
	out=$(${VALGRIND:-} "$prog" 2>&1)
	status=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$status" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		echo "unit: $prog exited with status $status (crash or valgrind error)"
		broken=$((broken + 1))
	fi
done
echo "unit: $passed passed, $((failed + broken)) failed"
[ "$failed" -eq 0 ] && [ "$broken" -eq 0 ]
