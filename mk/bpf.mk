# SPDX-License-Identifier: GPL-2.0-only
# The eBPF backend (bpf/): CO-RE programs built against the running kernel's
# BTF, a skeleton, the C API and the linubia-bpf front end.  Also the no-op
# program the benchmark compares against.
BPF_OUT := $(BUILD)/bpf
BPF_VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
BPF_CLANG ?= clang
BPFTOOL ?= bpftool
BPF_TESTS ?=
BPF_INC := -I$(CURDIR)/kmod/include/uapi -I$(CURDIR)/bpf -I$(BPF_OUT)
# -mcpu=v3: 32-bit atomics (the slot claim's compare-and-swap); Linux >= 5.12.
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Werror $(BPF_INC)
BPF_USER_SRCS := $(filter-out bpf/cli.c,$(wildcard bpf/*.c))
BPF_USER_SRCS := $(filter-out %.bpf.c,$(BPF_USER_SRCS))

ALL_TARGETS += $(BPF_TOOL) $(BPF_NOOP)
TEST_TARGETS += test-bpf
BENCH_TARGETS += bench-bpf

# vmlinux.h comes from the kernel that will run the programs (CO-RE).
$(BPF_OUT)/vmlinux.h: $(BPF_VMLINUX_BTF)
	@mkdir -p $(BPF_OUT)
	$(BPFTOOL) btf dump file $< format c > $@.tmp && mv $@.tmp $@

$(BPF_OUT)/%.bpf.o: bpf/%.bpf.c bpf/maps.h kmod/include/uapi/linux/linubia.h $(BPF_OUT)/vmlinux.h
	$(BPF_CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BPF_OUT)/%.bpf.o: bench/%.bpf.c $(BPF_OUT)/vmlinux.h
	$(BPF_CLANG) $(BPF_CFLAGS) -c $< -o $@

# Skeleton names: struct lnb_skel / lnb_noop (not the default linubia_bpf,
# which is the API's handle).
$(BPF_OUT)/linubia.skel.h: BPF_SKEL_NAME := lnb_skel
$(BPF_OUT)/bpf-noop.skel.h: BPF_SKEL_NAME := lnb_noop
$(BPF_OUT)/%.skel.h: $(BPF_OUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(BPF_SKEL_NAME) > $@.tmp && mv $@.tmp $@

$(BPF_TOOL): bpf/cli.c $(BPF_USER_SRCS) $(wildcard bpf/*.h) $(BPF_OUT)/linubia.skel.h
	@mkdir -p $(BIN)
	$(CC) $(USER_CFLAGS) $(BPF_INC) -o $@ bpf/cli.c $(BPF_USER_SRCS) -lbpf

$(BPF_NOOP): bench/bpf-noop.c $(BPF_OUT)/bpf-noop.skel.h
	@mkdir -p $(BIN)
	$(CC) $(USER_CFLAGS) $(BPF_INC) -o $@ $< -lbpf

bpf: $(BPF_TOOL) $(BPF_NOOP)

# Natively on the host (root): network namespaces made by the tests.  The
# loader picks the kfunc pair here (6.18); the counting cases run again with
# the probe_read pair forced, so both pairs are checked on one kernel.
test-bpf: $(BPF_TOOL) $(TRAFFIC)
	python3 tests/bpf/test_bpf.py $(BPF_TESTS)
ifeq ($(BPF_TESTS),)
	LINUBIA_BPF_VARIANT=probe_read python3 tests/bpf/test_bpf.py --exactness
endif

bench-bpf: $(BPF_TOOL) $(BPF_NOOP) $(TRAFFIC)
	python3 bench/bpf-bench.py

.PHONY: bpf test-bpf bench-bpf
