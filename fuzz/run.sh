#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Run the parser fuzzer for a bounded time from the seeds and the kept corpus.
# Usage: run.sh FUZZER SEEDS_DIR CORPUS_DIR SECONDS
set -u
fuzzer=$1 seeds=$2 corpus=$3 seconds=$4
mkdir -p "$corpus"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# RSS: ASan's quarantine and allocator caches alone reach ~720 MB after a
# minute of fast runs (no leak: live heap stays ~24 MB), so the RSS limit is
# libFuzzer's default 2 GB; one parser allocation over 64 MB is the bug to catch.
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=64 \
	-max_len=8192 \
	-print_final_stats=1 -artifact_prefix="$corpus/../" "$corpus" "$seeds" >"$log" 2>&1
status=$?
grep -E '^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY)' "$log"
if [ "$status" -eq 0 ]; then
	echo "fuzz: 1 passed, 0 failed ($seconds s, corpus $(ls "$corpus" | wc -l) inputs)"
else
	tail -n 40 "$log"
	echo "fuzz: 0 passed, 1 failed (exit $status; crash input saved as $corpus/../crash-*)"
fi
exit "$status"
