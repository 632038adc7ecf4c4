# SPDX-License-Identifier: GPL-2.0-only
# Diameter accounting (diameter/): linubia-diameter and dict_linubia.fdx.
#   test-diameter-unit  cmocka under valgrind: spool, sessions, settings
#   test-diameter-fuzz  the spool parser fuzzed for DIAMETER_FUZZ_SECONDS
#   test-diameter-ebpf  end to end natively over the eBPF backend: freeDiameterd
#                       + app_acct + PostgreSQL 15 in network namespaces (root;
#                       flock /tmp/lnb-ebpf.lock)
#   test-diameter       the same over the module in the QEMU guest
#   bench-diameter      10,000 users: ACR/s, time to the last ACA, RSS
# app_acct.fdx (not shipped by Debian) is built from Debian's source
# package by tests/diameter/build-app-acct.sh, cached in build/diameter.
DIAM_OUT := $(BUILD)/diameter
DIAMETER := $(BIN)/linubia-diameter
DICT_FDX := $(DIAM_OUT)/dict_linubia.fdx
APP_ACCT := $(DIAM_OUT)/app_acct/app_acct.fdx
DIAM_CFLAGS = $(USER_CFLAGS) $(LNB_INCLUDES) -Idiameter -MMD -MP
DIAM_CORE := diameter/conf.c diameter/spool.c diameter/state.c
DIAM_SRCS := diameter/main.c diameter/acr.c diameter/fdconf.c diameter/dict.c $(DIAM_CORE)
DIAM_OBJS := $(patsubst diameter/%.c,$(DIAM_OUT)/obj/%.o,$(DIAM_SRCS))
DIAM_LIBS := -lfdcore -lfdproto -pthread
DIAM_TESTS ?=
DIAMETER_FUZZ_SECONDS ?= 30
# lib.mk, tools.mk and bpf.mk come later in the include order: their
# variables in prerequisites are expanded a second time ($$).
.SECONDEXPANSION:

$(DIAM_OUT)/obj/%.o: diameter/%.c
	@mkdir -p $(@D)
	$(CC) $(DIAM_CFLAGS) -c -o $@ $<

$(DIAMETER): $(DIAM_OBJS) $$(LIB_A)
	@mkdir -p $(@D)
	$(CC) -o $@ $(DIAM_OBJS) $(LIB_A) $(LIB_LIBS) $(DIAM_LIBS)

$(DICT_FDX): diameter/dict_linubia.c diameter/dict.c diameter/dict.h diameter/avps.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -fPIC -shared -o $@ diameter/dict_linubia.c diameter/dict.c

$(APP_ACCT): tests/diameter/build-app-acct.sh tests/diameter/app_acct-interim-interval.patch
	tests/diameter/build-app-acct.sh $(DIAM_OUT)/app_acct

$(DIAM_OUT)/test-diameter-unit: tests/diameter/test-diameter-unit.c $(DIAM_CORE) diameter/fdconf.c $$(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(DIAM_CFLAGS) -o $@ $(filter %.c,$^) $(LIB_A) $(LIB_LIBS) -lcmocka

test-diameter-unit: $(DIAM_OUT)/test-diameter-unit
	@out=$$(valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect,possible $< 2>&1); rc=$$?; \
	echo "$$out"; \
	echo "$$(echo "$$out" | grep -c '^\[       OK \]') passed, $$(echo "$$out" | grep -c '^\[  \(FAILED\|ERROR\) *\] test_') failed"; \
	exit $$rc

$(DIAM_OUT)/fuzz-spool: fuzz/fuzz-diameter-spool.c diameter/spool.c diameter/spool.h
	@mkdir -p $(@D)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror $(LNB_INCLUDES) -Idiameter \
		-DLNB_FUZZING -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ fuzz/fuzz-diameter-spool.c diameter/spool.c

test-diameter-fuzz: $(DIAM_OUT)/fuzz-spool $(DIAM_OUT)/test-diameter-unit
	@mkdir -p $(DIAM_OUT)/fuzz-seeds $(DIAM_OUT)/fuzz-corpus
	LNB_SPOOL_SEEDS=$(DIAM_OUT)/fuzz-seeds $(DIAM_OUT)/test-diameter-unit >/dev/null 2>&1
	fuzz/run.sh $(DIAM_OUT)/fuzz-spool $(DIAM_OUT)/fuzz-seeds $(DIAM_OUT)/fuzz-corpus \
		$(DIAMETER_FUZZ_SECONDS)

DIAM_E2E_DEPS := $(DIAMETER) $(DICT_FDX) $(APP_ACCT) $$(LINUBIA) $(TRAFFIC)

test-diameter-ebpf: $(BPF_TOOL) $(DIAM_E2E_DEPS)
	python3 tests/diameter/test_diameter.py --backend ebpf $(DIAM_TESTS)

test-diameter: kmod $(DIAM_E2E_DEPS)
	$(VM) --timeout 1800 -- python3 tests/diameter/test_diameter.py --backend kmod $(DIAM_TESTS)

bench-diameter: $(BPF_TOOL) $(DIAM_E2E_DEPS) $(BIN)/lib-snapshot-uids
	python3 bench/diameter-bench.py

-include $(DIAM_OBJS:.o=.d)

ALL_TARGETS += $(DIAMETER) $(DICT_FDX)
# The scenario over the module in the guest (test-diameter: four steps with the client
# unprivileged, ~5 min under TCG) is not in make test (its 45-minute budget): the same
# scenario runs natively over eBPF.
TEST_TARGETS += test-diameter-unit test-diameter-fuzz test-diameter-ebpf
BENCH_TARGETS += bench-diameter
.PHONY: test-diameter-unit test-diameter-fuzz test-diameter-ebpf test-diameter bench-diameter
