# SPDX-License-Identifier: GPL-2.0-only
# Deterministic per-packet cost of linubia.ko and of the eBPF backend:
# instruction counts in a one-vCPU guest under QEMU -icount shift=0, against
# nothing loaded, an nftables counter rule, no-op netfilter hooks
# (bench/nf-noop) and no-op cgroup_skb programs (bench/kmod-icount-bench.py).
# The second guest has 255 possible CPUs: hot vs cold records.
ICOUNT_LOAD := $(BIN)/linubia-icount-load
NF_NOOP_KO := bench/nf-noop/lnb_nf_noop.ko

ALL_TARGETS += $(ICOUNT_LOAD)
BENCH_TARGETS += bench-kmod-icount

$(ICOUNT_LOAD): bench/icount-load.c tests/traffic/traffic-util.c tests/traffic/traffic.h
	@mkdir -p $(BIN)
	$(CC) $(USER_CFLAGS) -Itests/traffic -o $@ bench/icount-load.c tests/traffic/traffic-util.c

nf-noop:
	$(MAKE) -C bench/nf-noop

bench-kmod-icount: kmod nf-noop $(ICOUNT_LOAD) $(FLOOD) $(BPF_TOOL) $(BPF_NOOP)
	$(VM) --icount --cpus 1 --timeout 7200 -- python3 bench/kmod-icount-bench.py
	$(VM) --icount --cpus 1 --max-cpus 255 --timeout 3600 -- python3 bench/kmod-icount-bench.py cold

.PHONY: nf-noop bench-kmod-icount
