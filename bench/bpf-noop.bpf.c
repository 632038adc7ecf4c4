// SPDX-License-Identifier: GPL-2.0-only
/*
 * The benchmark's yardstick: cgroup_skb programs that do nothing, so their
 * run_time_ns/run_cnt is the cost of being called at all.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("cgroup_skb/ingress")
int noop_ingress(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup_skb/egress")
int noop_egress(struct __sk_buff *skb)
{
	return 1;
}
