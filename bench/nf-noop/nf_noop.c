// SPDX-License-Identifier: GPL-2.0-only
/*
 * lnb_nf_noop.ko: the floor of any netfilter accounting.  The same hooks as
 * linubia.ko (LOCAL_IN and LOCAL_OUT, IPv4 and IPv6), at the same priority,
 * in every network namespace, each returning NF_ACCEPT at once.  Only
 * bench/kmod-icount-bench.py loads it, to compare against.
 */
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <net/net_namespace.h>

/* kmod/hook.c's LNB_HOOK_PRIORITY. */
#define NOOP_PRIORITY	(NF_IP_PRI_LAST - 1)

static unsigned int noop_hook(void *priv, struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	return NF_ACCEPT;
}

#define NOOP_OPS(family, point) {		\
	.hook = noop_hook,			\
	.pf = (family),				\
	.hooknum = (point),			\
	.priority = NOOP_PRIORITY,		\
}

static const struct nf_hook_ops noop_ops[] = {
	NOOP_OPS(NFPROTO_IPV4, NF_INET_LOCAL_IN),
	NOOP_OPS(NFPROTO_IPV4, NF_INET_LOCAL_OUT),
	NOOP_OPS(NFPROTO_IPV6, NF_INET_LOCAL_IN),
	NOOP_OPS(NFPROTO_IPV6, NF_INET_LOCAL_OUT),
};

static int __net_init noop_net_init(struct net *net)
{
	return nf_register_net_hooks(net, noop_ops, ARRAY_SIZE(noop_ops));
}

static void __net_exit noop_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, noop_ops, ARRAY_SIZE(noop_ops));
}

static struct pernet_operations noop_net_ops = {
	.init = noop_net_init,
	.exit = noop_net_exit,
};

static int __init noop_init(void)
{
	return register_pernet_subsys(&noop_net_ops);
}

static void __exit noop_exit(void)
{
	unregister_pernet_subsys(&noop_net_ops);
}

module_init(noop_init);
module_exit(noop_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("No-op netfilter hooks at linubia.ko's places (benchmark baseline)");
