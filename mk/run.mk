# SPDX-License-Identifier: GPL-2.0-only
# `make run` natively (scripts/run-native.sh) as a test: it starts, shows
# the demo users through the CLI and SNMP, and leaves nothing behind, both
# when it stops by itself and on Ctrl-C.
TEST_TARGETS += test-run

test-run: $(BPF_TOOL) $(AGENTX) $(LINUBIA) $(TRAFFIC) $(BUILD)/mibs/base/SNMPv2-SMI.txt
	python3 tests/run/test_run.py

.PHONY: test-run
