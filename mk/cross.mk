# SPDX-License-Identifier: GPL-2.0-only
# Cross-check of the two backends (tests/cross): linubia.ko and the eBPF
# backend loaded together in Debian's kernel under QEMU, counting the same
# traffic.  Narrow it with CROSS_TESTS="test_name ...".
CROSS_TESTS ?=

TEST_TARGETS += test-cross

test-cross: kmod $(TRAFFIC) $(BPF_TOOL)
	$(VM) --timeout 900 -- python3 tests/cross/test_cross.py $(CROSS_TESTS)

.PHONY: test-cross
