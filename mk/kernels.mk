# SPDX-License-Identifier: GPL-2.0-only
# The kernel matrix.  Every other suite runs on the default kernel (KVER,
# the newest Debian 6.1).  On Debian 12's 6.12 and its PREEMPT_RT flavour,
# make test runs (at its end; ~9 min under TCG on 2 cores):
#   kmod-check-K   W=1 + sparse, zero warnings, on both
#   test-kmod-K    the module subset below on both (exactness to the byte,
#                  the reset races, table-full overflow, rmmod under traffic,
#                  SCTP through the 6.2 lookup shim, ...; not the
#                  2 x 65,536-UID flood: minutes under TCG)
#   test-cross-lean-6.12  the module/eBPF cross-check with the kfunc pair
#                  (the issue's pairing: probe_read on 6.1, kfunc on 6.12),
#                  without its SCTP/UDP-Lite/raw case (~2 min; the module's
#                  SCTP case above covers the shim, the case runs on 6.1)
# make test-matrix runs all of it plus the whole cross-check on both kernels
# (test-cross-K).  Any of them works for any installed kernel:
# make test-kmod-6.1-rt.  The whole module suite on one kernel:
# make test-kmod KVER=6.12.
#   test-debug-kernel   opt-in, not in make test: the module suite under a
#                  6.1 kernel built from Debian's linux-source with lockdep,
#                  the RCU checker, might_sleep, KASAN and kmemleak, then a
#                  kmemleak scan.  First build: 19 min of CPU (103 min wall
#                  on the shared 2-core machine), cached in build/debug-kernel;
#                  DEBUG_KMOD_TESTS="..." narrows the suite.
MATRIX_KERNELS := 6.12 6.12-rt
MATRIX_KMOD_TESTS := tcp_udp_ipv4_ipv6_concurrent_users tcp_bulk_with_tso_gso_gro \
	datagrams_larger_than_mtu ipv6_destination_options_header ipv6_dstopts_with_gso \
	loopback_counted_and_switch_off reset_one_user_while_others_send \
	resets_racing_with_traffic_lose_nothing reset_all table_full_goes_to_unattributed \
	counters_never_go_backwards_while_resets_run closed_ports_tcp_and_udp unprivileged_ping_socket \
	rootless_container_counts_for_host_uid only_the_initial_namespaces_administer \
	sctp_one_to_one_and_one_to_many_with_gso burst_of_new_users_all_get_records \
	unload_while_traffic_flows_20_times
# The cross-check without sctp_udplite_and_raw_sockets_agree (100-150 s).
LEAN_CROSS_TESTS := variant_matches_the_kernel tcp_udp_ipv4_ipv6_several_users \
	tcp_bulk_with_tso_gso_gro datagrams_larger_than_mtu rootless_container_counts_for_host_uid \
	ipv6_synack_unseen_by_ebpf_before_6_5 ping_socket_replies_differ_as_documented \
	closed_ports_differ_as_documented

kmod-check-%:
	$(MAKE) --no-print-directory kmod-check KVER=$*

test-kmod-%:
	$(MAKE) --no-print-directory test-kmod KVER=$* KMOD_TESTS="$(MATRIX_KMOD_TESTS)"

test-cross-%:
	$(MAKE) --no-print-directory test-cross KVER=$*

test-cross-lean-%:
	$(MAKE) --no-print-directory test-cross KVER=$* CROSS_TESTS="$(LEAN_CROSS_TESTS)"

# In make test, after every suite of the default kernel (Makefile).
MATRIX_TEST_TARGETS := $(foreach k,$(MATRIX_KERNELS),kmod-check-$(k)) \
	$(foreach k,$(MATRIX_KERNELS),test-kmod-$(k)) test-cross-lean-6.12
MATRIX_TARGETS := $(foreach k,$(MATRIX_KERNELS),kmod-check-$(k) test-kmod-$(k) test-cross-$(k))

test-matrix:
	@for t in $(MATRIX_TARGETS); do \
		echo "=== make $$t"; \
		$(MAKE) --no-print-directory $$t || { echo "make test-matrix: $$t FAILED"; exit 1; }; \
	done
.PHONY: test-matrix

# --- the debug kernel --------------------------------------------------------
DEBUG_KERNEL := $(BUILD)/debug-kernel
DEBUG_KERNEL_SRC ?= /usr/src/linux-source-6.1.tar.xz
DEBUG_KMOD_TESTS ?=

debug-kernel:
	@scripts/deps.sh debug-kernel
	tests/vm/build-debug-kernel.sh $(DEBUG_KERNEL_SRC) $(DEBUG_KERNEL)

# Checkers make everything slower: more memory and time for the guest.
test-debug-kernel: debug-kernel $(TRAFFIC) $(BIN)/lib-snapshot-uids
	$(MAKE) --no-print-directory kmod KVER=$$(cat $(DEBUG_KERNEL)/kver) KROOT=$(DEBUG_KERNEL)/root
	$(MAKE) --no-print-directory debug-kernel-run KVER=$$(cat $(DEBUG_KERNEL)/kver) \
		KROOT=$(DEBUG_KERNEL)/root

debug-kernel-run:
	$(VM) --timeout 5400 --mem 3072 -- tests/kmod/debug-kernel-run.sh $(DEBUG_KMOD_TESTS)

.PHONY: debug-kernel test-debug-kernel debug-kernel-run

# Which kernel scripts/kver.sh picks (the running one, a series' newest, a
# release) on a fake root and on this host: tests/kver, first in make test.
test-kver:
	tests/kver/test-kver.sh
.PHONY: test-kver
