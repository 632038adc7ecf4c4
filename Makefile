# SPDX-License-Identifier: GPL-2.0-only
# LINUBIA: per-user IP traffic accounting.  The two commands:
#   make run    set up what is missing, start the accounting (module, else eBPF;
#               BACKEND=auto|kmod|ebpf|vm) with a private snmpd + subagent, show
#               the live per-user table
#   make test   set up what is missing, build everything, run every test
# Other targets: all (build), deps, kmod, kmod-check, bench, clean, and each
# suite of `make test` on its own (test-kmod, test-bpf, test-cross, test-snmp,
# test-snmp-ebpf, test-nms, test-run, ...: the list is TEST_TARGETS, printed
# at the end of make test).  Narrow a suite: make test-kmod KMOD_TESTS="reset_all".
# Another kernel: make test-kmod KVER=6.12 (mk/kernels.mk: the matrix, and the
# opt-in make test-debug-kernel: lockdep, KASAN, kmemleak).
BUILD := $(CURDIR)/build
BIN := $(BUILD)/bin
# Every program's path, set before mk/*.mk (included in name order) so that
# any of them can name any program in its prerequisites.
TRAFFIC := $(BIN)/linubia-traffic
FLOOD := $(BIN)/linubia-flood
LINUBIA := $(BIN)/linubia
AGENTX := $(BIN)/linubia-agentx
DLMOD := $(BUILD)/snmp/linubia.so
BPF_TOOL := $(BIN)/linubia-bpf
BPF_NOOP := $(BIN)/linubia-bpf-noop
# The kernel the module is built for and the VM tests boot: by default the
# running kernel if its build tree is installed, else the newest Debian 6.1;
# KVER=6.1, 6.12, 6.12-rt or an exact release chooses,
# installed below KROOT (default /) -- scripts/kver.sh.  The default
# kernel's module is kmod/linubia.ko; any other's is built in
# build/kmod/RELEASE.  The tests load $(KO) (LINUBIA_KO in the guest, unless
# the caller set LINUBIA_KO to another build).
KROOT ?=
KVER_NAME := $(KVER)
override KVER := $(shell KROOT=$(KROOT) scripts/kver.sh $(KVER) 2>/dev/null)
# Not installed: the name goes on, so that kmod/ and the VM say so and fail.
KVER_ARG := $(or $(KVER),$(KVER_NAME))
KVER_DEFAULT := $(shell scripts/kver.sh 2>/dev/null)
KMOD_OUT := $(if $(KROOT)$(filter-out $(KVER_DEFAULT),$(KVER_ARG)),$(BUILD)/kmod/$(KVER_ARG),$(CURDIR)/kmod)
KO := $(KMOD_OUT)/linubia.ko
VM := LINUBIA_KO=$${LINUBIA_KO:-$(KO)} tests/vm/run-guest.sh --kver "$(KVER_ARG)" $(if $(KROOT),--kroot $(KROOT))
KMOD_MAKE := $(MAKE) -C kmod KVER="$(KVER_ARG)" KROOT=$(KROOT) OUT=$(KMOD_OUT)
KMOD_TESTS ?=
USER_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror
# Components add themselves in mk/*.mk: build targets to ALL_TARGETS, test
# targets (run in order by `make test`) to TEST_TARGETS, benchmarks to
# BENCH_TARGETS.
ALL_TARGETS := kmod $(TRAFFIC) $(FLOOD)
TEST_TARGETS := test-kver kmod-check kmod test-traffic test-kmod test-kmod-memory
# Benchmarks print figures (docs/benchmarks.md); they never fail on time.
BENCH_TARGETS := bench-kmod

# `make` alone builds everything: the mk/*.mk files define rules of their own,
# and the first rule make reads would otherwise become the default goal.
.DEFAULT_GOAL := all

include $(sort $(wildcard mk/*.mk))
# Last: the module on the other kernels of the matrix (mk/kernels.mk).
TEST_TARGETS += $(MATRIX_TEST_TARGETS)

all: $(ALL_TARGETS)

deps:
	@scripts/deps.sh

kmod:
	$(KMOD_MAKE)

kmod-check:
	$(KMOD_MAKE) check

$(TRAFFIC) $(FLOOD): $(wildcard tests/traffic/*.c tests/traffic/*.h)
	@mkdir -p $(BIN)
	$(MAKE) -C tests/traffic OUT=$(TRAFFIC) FLOOD_OUT=$(FLOOD) $@

# The traffic tool's formulas against the host kernel's interface counters.
test-traffic: $(TRAFFIC)
	LINUBIA_TRAFFIC=$(TRAFFIC) tests/traffic/selftest.sh

# The real module in Debian's kernel under QEMU.
test-kmod: kmod $(TRAFFIC) $(FLOOD) $(BIN)/lib-snapshot-uids
	$(VM) --timeout 1500 -- python3 tests/kmod/test_kmod.py $(KMOD_TESTS)

# Memory per user when the machine has 64 and 255 possible CPUs (QEMU's pc
# machine takes at most 255); 2 CPUs are covered by test-kmod.
test-kmod-memory: kmod $(FLOOD)
	@for n in 64 255; do \
		$(VM) --max-cpus $$n --mem 2048 --timeout 900 -- \
			python3 tests/kmod/test_kmod.py memory_per_user_within_budget || exit 1; \
	done

test: deps
	$(MAKE) all
	@for t in $(TEST_TARGETS); do \
		echo "=== make $$t"; \
		$(MAKE) --no-print-directory $$t || { echo "make test: $$t FAILED"; exit 1; }; \
	done
	@echo "make test: all suites passed ($(TEST_TARGETS))"

BACKEND ?= auto
run: deps
	$(MAKE) all
ifeq ($(BACKEND),vm)
	$(VM) --timeout 600 -- scripts/demo-guest.py
else
	scripts/run-native.sh $(BACKEND)
endif

bench: deps
	$(MAKE) all
	@for t in $(BENCH_TARGETS); do $(MAKE) --no-print-directory $$t || exit 1; done

bench-kmod: kmod
	$(VM) --timeout 1800 -- python3 bench/kmod-bench.py

clean:
	-$(MAKE) -C kmod clean
	rm -rf $(BUILD)

.PHONY: all deps kmod kmod-check test-traffic test-kmod test-kmod-memory test run bench bench-kmod clean
