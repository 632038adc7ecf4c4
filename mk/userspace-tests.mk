# SPDX-License-Identifier: GPL-2.0-only
# Tests of liblinubia and the linubia command (after lib.mk and tools.mk):
#   test-unit  cmocka tests (under valgrind) + the export check, on the host
#   test-fuzz  the parser fuzzer for FUZZ_SECONDS (default 60)
#   test-cli   the command against the real module in the QEMU guest
#   bench-lib  snapshot and `show --json` with 10k / 100k users in the guest
#   bench-lib-ebpf  the same natively over the eBPF backend (100k users)
UNIT_OUT := $(BUILD)/tests/unit
UNIT_CFLAGS := $(USER_CFLAGS) $(LNB_INCLUDES) -Ilib -Itools -Itests/unit
UNIT_PROGS := $(UNIT_OUT)/test-parse $(UNIT_OUT)/test-data $(UNIT_OUT)/test-cli \
	$(UNIT_OUT)/test-public
UNIT_VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect,possible
FUZZ_OUT := $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
CLI_TESTS ?=

$(UNIT_OUT)/test-parse: tests/unit/test-parse.c tests/unit/msgbuild.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ $(filter %.c,$^) $(LIB_A) $(LIB_LIBS) -lcmocka

$(UNIT_OUT)/test-data: tests/unit/test-data.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ $(filter %.c,$^) $(LIB_A) $(LIB_LIBS) -lcmocka

$(UNIT_OUT)/test-cli: tests/unit/test-cli.c $(TOOLS_LIB_OBJS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ $(filter %.c,$^) $(TOOLS_LIB_OBJS) $(LIB_A) $(LIB_LIBS) -lm -lcmocka

# Only the public header and the shared library.
$(UNIT_OUT)/test-public: tests/unit/test-public.c $(LIB_SO)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(LNB_INCLUDES) -o $@ $< -L$(LIB_OUT) -llinubia \
		-Wl,-rpath,$(LIB_OUT) -lcmocka

test-unit: $(UNIT_PROGS) $(LIB_SO)
	tests/unit/check-default-goal.sh $(CURDIR)
	tests/unit/check-exports.sh $(LIB_SO) include/linubia.h
	VALGRIND="$(UNIT_VALGRIND)" tests/unit/run.sh $(UNIT_PROGS)

$(FUZZ_OUT)/fuzz-parse: fuzz/fuzz-parse.c tests/unit/msgbuild.c $(LIB_SRCS) $(wildcard lib/*.h) \
		$(BPF_USER_SRCS) $(BPF_OUT)/linubia.skel.h
	@mkdir -p $(@D)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror $(LNB_INCLUDES) -Ilib \
		-Ibpf -I$(BPF_OUT) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ fuzz/fuzz-parse.c tests/unit/msgbuild.c $(LIB_SRCS) $(BPF_USER_SRCS) \
		-lmnl -lbpf -pthread

$(FUZZ_OUT)/make-seeds: fuzz/make-seeds.c tests/unit/msgbuild.c
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ $^ -lmnl

test-fuzz: $(FUZZ_OUT)/fuzz-parse $(FUZZ_OUT)/make-seeds
	@mkdir -p $(FUZZ_OUT)/seeds
	$(FUZZ_OUT)/make-seeds $(FUZZ_OUT)/seeds
	fuzz/run.sh $(FUZZ_OUT)/fuzz-parse $(FUZZ_OUT)/seeds $(FUZZ_OUT)/corpus $(FUZZ_SECONDS)

test-cli: kmod $(TRAFFIC) $(LINUBIA) $(BIN)/lib-snapshot-uids
	$(VM) --timeout 1800 -- python3 tests/cli/test_cli.py $(CLI_TESTS)

$(BIN)/lib-snapshot-uids: bench/lib-snapshot-uids.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $<

$(BIN)/lib-snapshot-bench: bench/lib-snapshot-bench.c tests/unit/msgbuild.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -Ibpf -o $@ $(filter %.c,$^) $(LIB_A) $(LIB_LIBS)

bench-lib: kmod $(LINUBIA) $(BIN)/lib-snapshot-uids $(BIN)/lib-snapshot-bench
	$(VM) --timeout 3000 --mem 2048 -- bench/lib-snapshot.sh

# Natively on the host (root): loads and unloads the eBPF backend.
bench-lib-ebpf: $(BPF_TOOL) $(LINUBIA) $(BIN)/lib-snapshot-uids $(BIN)/lib-snapshot-bench
	bench/lib-snapshot-ebpf.sh

TEST_TARGETS += test-unit test-fuzz test-cli
BENCH_TARGETS += bench-lib bench-lib-ebpf
.PHONY: test-unit test-fuzz test-cli bench-lib bench-lib-ebpf
