# SPDX-License-Identifier: GPL-2.0-only
# NMS recipes (conf/mrtg, conf/prometheus, conf/cacti) tested for real:
#   test-nms   MRTG, snmp_exporter + Prometheus and the Cacti data query against
#              a private snmpd + linubia-agentx over the eBPF backend, natively
#              as root (~3 min; run it under flock /tmp/lnb-ebpf.lock).
NMS_DEPS := $(AGENTX) $(LINUBIA) $(BPF_TOOL) $(TRAFFIC) $(BUILD)/mibs/base/SNMPv2-SMI.txt

test-nms: $(NMS_DEPS)
	LINUBIA_MIBDIRS=$(SNMP_MIBDIRS) python3 tests/nms/test_nms.py

TEST_TARGETS += test-nms
.PHONY: test-nms
