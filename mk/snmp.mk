# SPDX-License-Identifier: GPL-2.0-only
# SNMP: LINUBIA-MIB, the AgentX subagent and their tests.
#   build/bin/linubia-agentx   the subagent (static liblinubia + Net-SNMP)
#   build/snmp/linubia.so      the same handler as an snmpd dlmod (PIC objects,
#                              static liblinubia, only init_/deinit_linubia exported)
#   test-mib      smilint -l 6 on mibs/LINUBIA-MIB.txt must print nothing
#   test-snmp-unit cmocka: index encoding/ordering, Counter64, columns, discontinuity
#   test-snmp     end to end in the QEMU guest: real module, private snmpd + subagent
#   test-snmp-ebpf the same scenario natively on the host over the eBPF backend
#   bench-snmp    bulk walks with 10,000 users vs snmpd's own inetCidrRouteTable (guest)
#   bench-snmp-ebpf the same natively over the eBPF backend
# Same USER_CFLAGS as everything else (Net-SNMP 5.9.3's headers build with
# -std=c11 -D_GNU_SOURCE).  The base MIBs come from scripts/fetch-base-mibs.sh
# (build/mibs/base).
SNMP_OUT := $(BUILD)/snmp
SNMP_CFLAGS := $(USER_CFLAGS) $(LNB_INCLUDES) -MMD -MP
SNMP_LIBS := -lnetsnmpagent -lnetsnmp
SNMP_CORE := subagent/view.c subagent/columns.c subagent/names.c
AGENTX_SRCS := subagent/main.c subagent/agent.c $(SNMP_CORE)
AGENTX_OBJS := $(patsubst subagent/%.c,$(SNMP_OUT)/obj/%.o,$(AGENTX_SRCS))
SNMP_MIBDIRS = $(BUILD)/mibs/base:/usr/share/snmp/mibs:$(CURDIR)/mibs

$(SNMP_OUT)/obj/%.o: subagent/%.c
	@mkdir -p $(@D)
	$(CC) $(SNMP_CFLAGS) -c -o $@ $<

$(AGENTX): $(AGENTX_OBJS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) -o $@ $(AGENTX_OBJS) $(LIB_A) $(LIB_LIBS) $(SNMP_LIBS)

# The dlmod: the same sources but main.c, built position-independent.
DLMOD_SRCS := subagent/dlmod.c subagent/agent.c $(SNMP_CORE)
DLMOD_OBJS := $(patsubst subagent/%.c,$(SNMP_OUT)/pic/%.o,$(DLMOD_SRCS))

$(SNMP_OUT)/pic/%.o: subagent/%.c
	@mkdir -p $(@D)
	$(CC) $(SNMP_CFLAGS) -fPIC -c -o $@ $<

$(DLMOD): $(DLMOD_OBJS) $(LIB_A) subagent/dlmod.map
	@mkdir -p $(@D)
	$(CC) -shared -Wl,--version-script=subagent/dlmod.map -Wl,--no-undefined -o $@ \
		$(DLMOD_OBJS) $(LIB_A) $(LIB_LIBS) $(SNMP_LIBS)

$(SNMP_OUT)/test-snmp-unit: tests/snmp/test-snmp-unit.c $(SNMP_CORE) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(LNB_INCLUDES) -Isubagent -DLNB_MIB_FILE='"$(CURDIR)/mibs/LINUBIA-MIB.txt"' \
		-o $@ $(filter %.c,$^) $(LIB_A) $(LIB_LIBS) -lcmocka

# LD_PRELOAD shim: slow NSS lookups (test-snmp's slow_nss_never_stalls_requests).
$(SNMP_OUT)/slow-nss.so: tests/snmp/slow-nss.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -shared -fPIC -o $@ $< -ldl

$(BUILD)/mibs/base/SNMPv2-SMI.txt:
	scripts/fetch-base-mibs.sh

test-mib: $(BUILD)/mibs/base/SNMPv2-SMI.txt
	@out=$$(SMIPATH=$(SNMP_MIBDIRS) smilint -l 6 mibs/LINUBIA-MIB.txt 2>&1); \
	if [ -n "$$out" ]; then echo "$$out"; echo "0 passed, 1 failed"; exit 1; fi; \
	echo "smilint -l 6 mibs/LINUBIA-MIB.txt: silent"; echo "1 passed, 0 failed"

# cmocka's summary goes to stderr: merged; then the runners' usual last line.
test-snmp-unit: $(SNMP_OUT)/test-snmp-unit
	@out=$$(valgrind -q --error-exitcode=99 --leak-check=full $< 2>&1); rc=$$?; \
	echo "$$out"; \
	echo "$$(echo "$$out" | grep -c '^\[       OK \]') passed, $$(echo "$$out" | grep -c '^\[  \(FAILED\|ERROR\) *\] test_') failed"; \
	exit $$rc

SNMP_E2E_DEPS := $(TRAFFIC) $(AGENTX) $(LINUBIA) $(BUILD)/mibs/base/SNMPv2-SMI.txt \
	$(SNMP_OUT)/slow-nss.so

test-snmp: kmod $(SNMP_E2E_DEPS)
	LINUBIA_MIBDIRS=$(SNMP_MIBDIRS) $(VM) --timeout 1800 -- \
		python3 tests/snmp/test_snmp.py --backend kmod $(SNMP_TESTS)

test-snmp-ebpf: $(BPF_TOOL) $(SNMP_E2E_DEPS)
	LINUBIA_MIBDIRS=$(SNMP_MIBDIRS) python3 tests/snmp/test_snmp.py --backend ebpf $(SNMP_TESTS)

# The same scenario with linubia.so inside snmpd instead of the subagent.
test-snmp-dlmod: $(BPF_TOOL) $(SNMP_E2E_DEPS) $(DLMOD)
	LINUBIA_MIBDIRS=$(SNMP_MIBDIRS) python3 tests/snmp/test_snmp.py --backend ebpf \
		--mode dlmod $(SNMP_TESTS)

test-snmp-dlmod-kmod: kmod $(SNMP_E2E_DEPS) $(DLMOD)
	LINUBIA_MIBDIRS=$(SNMP_MIBDIRS) $(VM) --timeout 1800 -- \
		python3 tests/snmp/test_snmp.py --backend kmod --mode dlmod $(SNMP_TESTS)

-include $(AGENTX_OBJS:.o=.d) $(DLMOD_OBJS:.o=.d)

ALL_TARGETS += $(AGENTX) $(DLMOD)
TEST_TARGETS += test-mib test-snmp-unit test-snmp test-snmp-ebpf test-snmp-dlmod
.PHONY: test-mib test-snmp-unit test-snmp test-snmp-ebpf test-snmp-dlmod test-snmp-dlmod-kmod

# Figures for docs/snmp.md; never fails on time.
bench-snmp: kmod $(AGENTX) $(DLMOD) $(LINUBIA) $(BIN)/lib-snapshot-uids
	$(VM) --timeout 3000 --mem 2048 -- bench/snmp-bench.sh kmod

bench-snmp-ebpf: $(BPF_TOOL) $(AGENTX) $(DLMOD) $(LINUBIA) $(BIN)/lib-snapshot-uids
	bench/snmp-bench.sh ebpf

BENCH_TARGETS += bench-snmp bench-snmp-ebpf
.PHONY: bench-snmp bench-snmp-ebpf
