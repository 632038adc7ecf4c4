# SPDX-License-Identifier: GPL-2.0-only
# Prometheus without SNMP: linubia-exporter (exporter/) and the textfile
# output of `linubia show --format prometheus` (tools/format-openmetrics.c).
#   build/bin/linubia-exporter  libmicrohttpd + ISA-L (igzip) + libcrypt, static liblinubia
#   test-prometheus-unit  cmocka under valgrind: exposition writer, negotiation,
#                         auth file, listen addresses
#   test-prometheus-fuzz  libFuzzer on the Accept/Accept-Encoding and auth-file
#                         parsers for PROM_FUZZ_SECONDS (default 30)
#   test-prometheus       natively over the eBPF backend (root; run it under
#                         flock /tmp/lnb-ebpf.lock): promtool, a private Prometheus
#                         scraping the exporter and node_exporter's textfile
#                         collector, rates of three users, resets
#   test-prometheus-kmod  the kernel module in the QEMU guest: exporter = show --json,
#                         promtool, privileges (lean)
#   bench-prometheus      scrape time, body size and RSS at 2,000 / 10,000 / 100,000
#                         users, next to snmp_exporter (natively, eBPF backend)
EXPORTER := $(BIN)/linubia-exporter
EXPORTER_OBJDIR := $(BUILD)/exporter/obj
# The exposition writer is the CLI's (one definition of the metric names).
EXPORTER_SHARED := tools/format-openmetrics.c tools/utf8.c
EXPORTER_SRCS := $(sort $(wildcard exporter/*.c))
EXPORTER_CORE := exporter/negotiate.c exporter/auth.c exporter/listen.c $(EXPORTER_SHARED)
EXPORTER_OBJS := $(patsubst exporter/%.c,$(EXPORTER_OBJDIR)/%.o,$(EXPORTER_SRCS)) \
	$(patsubst tools/%.c,$(EXPORTER_OBJDIR)/tools-%.o,$(EXPORTER_SHARED))
EXPORTER_CFLAGS := $(USER_CFLAGS) $(LNB_INCLUDES) -Itools -Iexporter -pthread -MMD -MP
EXPORTER_LIBS := -lmicrohttpd -lisal -lcrypt
PROM_OUT := $(BUILD)/prometheus
PROM_FUZZ_SECONDS ?= 30
PROM_TESTS ?=

$(EXPORTER_OBJDIR)/%.o: exporter/%.c
	@mkdir -p $(@D)
	$(CC) $(EXPORTER_CFLAGS) -c -o $@ $<

$(EXPORTER_OBJDIR)/tools-%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(EXPORTER_CFLAGS) -c -o $@ $<

$(EXPORTER): $(EXPORTER_OBJS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) -pthread -o $@ $(EXPORTER_OBJS) $(LIB_A) $(LIB_LIBS) $(EXPORTER_LIBS)

exporter: $(EXPORTER)

-include $(EXPORTER_OBJS:.o=.d)

ALL_TARGETS += exporter
.PHONY: exporter

# Unit tests: the pure pieces against golden files and tables of cases.
PROM_UNIT := $(PROM_OUT)/test-prometheus-unit
$(PROM_UNIT): tests/prometheus/test-prometheus-unit.c $(EXPORTER_CORE) $(LIB_A) \
		$(wildcard exporter/*.h tools/*.h)
	@mkdir -p $(@D)
	$(CC) $(EXPORTER_CFLAGS) -DGOLDEN_DIR='"$(CURDIR)/tests/prometheus"' -o $@ \
		$(filter %.c,$^) $(LIB_A) $(LIB_LIBS) $(EXPORTER_LIBS) -lcmocka

test-prometheus-unit: $(PROM_UNIT)
	VALGRIND="$(UNIT_VALGRIND)" tests/unit/run.sh $(PROM_UNIT)

TEST_TARGETS += test-prometheus-unit
.PHONY: test-prometheus-unit

# libFuzzer on the parsers of untrusted text (fuzz/fuzz-exporter.c).
PROM_FUZZ := $(PROM_OUT)/fuzz-exporter
$(PROM_FUZZ): fuzz/fuzz-exporter.c $(EXPORTER_CORE) $(LIB_SRCS) $(wildcard lib/*.h) \
		$(BPF_USER_SRCS) $(BPF_OUT)/linubia.skel.h $(wildcard exporter/*.h tools/*.h)
	@mkdir -p $(@D)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror $(LNB_INCLUDES) -Ilib -Ibpf \
		-I$(BPF_OUT) -Itools -Iexporter -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ fuzz/fuzz-exporter.c $(EXPORTER_CORE) $(LIB_SRCS) \
		$(BPF_USER_SRCS) -lmnl -lbpf -lcrypt -pthread

# Seeds: one valid input per parser (first byte = which).
$(PROM_OUT)/fuzz-seeds/.done:
	@mkdir -p $(@D)
	printf '\000application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' >$(@D)/accept
	printf '\001gzip, deflate;q=0.5, *;q=0' >$(@D)/encoding
	printf '\002# users\nprom:$$6$$lnbsaltsalt$$5Cmz6ZtCtTZ6FfAfWgbx2Qe2b8s0YRr1VShzEPcQq7D3DTUpwkp9Lfz6d3kLEg6aM/ZR9G5mJ5BjE8XjXkP5x/\r\n' >$(@D)/auth
	printf '\003[::1]:10771' >$(@D)/listen
	printf '\004j\303\251r\303\264me"\\\n\377' >$(@D)/name
	touch $@

test-prometheus-fuzz: $(PROM_FUZZ) $(PROM_OUT)/fuzz-seeds/.done
	fuzz/run.sh $(PROM_FUZZ) $(PROM_OUT)/fuzz-seeds $(PROM_OUT)/fuzz-corpus $(PROM_FUZZ_SECONDS)

TEST_TARGETS += test-prometheus-fuzz
.PHONY: test-prometheus-fuzz

# End to end, natively over the eBPF backend (root, ~4 min).
PROM_DEPS := $(EXPORTER) $(LINUBIA) $(BPF_TOOL) $(TRAFFIC) $(BIN)/lib-snapshot-uids

test-prometheus: $(PROM_DEPS)
	python3 tests/prometheus/test_prometheus.py

TEST_TARGETS += test-prometheus
.PHONY: test-prometheus

# The kernel module in the QEMU guest (lean: equality, promtool, privileges).
test-prometheus-kmod: kmod $(EXPORTER) $(LINUBIA) $(TRAFFIC)
	$(VM) --timeout 900 -- python3 tests/prometheus/test_prometheus_kmod.py $(PROM_TESTS)

TEST_TARGETS += test-prometheus-kmod
.PHONY: test-prometheus-kmod

# Figures for docs/benchmarks.md (natively, eBPF backend, root; ~15 min).
bench-prometheus: $(EXPORTER) $(LINUBIA) $(AGENTX) $(BPF_TOOL) $(BIN)/lib-snapshot-uids
	bench/prometheus-bench.sh

BENCH_TARGETS += bench-prometheus
.PHONY: bench-prometheus

# The exposition writer alone (no backend, no root): text / OpenMetrics,
# plain / gzip, 10,000 and 100,000 synthetic records.
PROM_WRITER_BENCH := $(PROM_OUT)/prometheus-writer-bench
$(PROM_WRITER_BENCH): bench/prometheus-writer-bench.c $(EXPORTER_SHARED) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(EXPORTER_CFLAGS) -Ilib -o $@ $(filter %.c,$^) $(LIB_A) $(LIB_LIBS) -lisal -lz

bench-prometheus-writer: $(PROM_WRITER_BENCH)
	$< 10000 9
	$< 100000 3

BENCH_TARGETS += bench-prometheus-writer
.PHONY: bench-prometheus-writer
