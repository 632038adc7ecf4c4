// SPDX-License-Identifier: GPL-2.0-only
/*
 * The per-packet path: netfilter hooks at LOCAL_IN and LOCAL_OUT for IPv4
 * and IPv6 in every network namespace.  Each packet is classified (family,
 * transport protocol, wire segments, IP-level bytes), its owner found, and
 * the owner's per-CPU counters bumped.  Nothing here sleeps or locks except
 * the first packet of a UID never seen before (see table.c).
 */
#include <linux/cred.h>
#include <linux/highuid.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/sctp.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/uidgid.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "compat.h"
#include "internal.h"

/*
 * After every filter, security and NAT hook, so traffic a firewall dropped
 * is not billed; only conntrack's confirm (INT_MAX) runs later.
 */
#define LNB_HOOK_PRIORITY	(NF_IP_PRI_LAST - 1)

struct lnb_pkt {
	enum linubia_family family;
	enum linubia_proto proto;
	u8 l4proto;			/* IPPROTO_*, after IPv6 extension headers */
	unsigned int l4off;		/* offset of the transport header */
};

static enum linubia_proto lnb_proto_of(u8 l4proto, u8 icmp_proto)
{
	if (l4proto == IPPROTO_TCP)
		return LINUBIA_PROTO_TCP;
	if (l4proto == IPPROTO_UDP)
		return LINUBIA_PROTO_UDP;
	if (l4proto == icmp_proto)
		return LINUBIA_PROTO_ICMP;
	return LINUBIA_PROTO_OTHER;
}

/*
 * Transport header bytes every wire segment of a GSO skb repeats: TCP's
 * (with options), UDP's (UDP GSO), SCTP's common header (SCTP GSO: each
 * packet carries it before its chunks).
 */
static unsigned int lnb_l4_hdr_len(const struct sk_buff *skb, u8 l4proto,
				   unsigned int off)
{
	struct tcphdr _th;
	const struct tcphdr *th;

	if (l4proto == IPPROTO_UDP)
		return sizeof(struct udphdr);
	if (l4proto == IPPROTO_SCTP)
		return sizeof(struct sctphdr);
	if (l4proto != IPPROTO_TCP)
		return 0;
	th = skb_header_pointer(skb, off, sizeof(_th), &_th);
	return th ? th->doff * 4 : 0;
}

static void lnb_parse_ipv4(const struct sk_buff *skb, struct lnb_pkt *pkt)
{
	const struct iphdr *iph = ip_hdr(skb);

	pkt->family = LINUBIA_FAMILY_IPV4;
	pkt->l4proto = iph->protocol;
	pkt->proto = lnb_proto_of(iph->protocol, IPPROTO_ICMP);
	pkt->l4off = skb_network_offset(skb) + iph->ihl * 4;
}

/* IPv6: walk the extension headers (if any) to the transport protocol. */
static void lnb_parse_ipv6(const struct sk_buff *skb, struct lnb_pkt *pkt)
{
	u8 nexthdr = ipv6_hdr(skb)->nexthdr;
	int off = skb_network_offset(skb) + sizeof(struct ipv6hdr);
	__be16 frag_off;

	pkt->family = LINUBIA_FAMILY_IPV6;
	/* The usual transports need no walk (ipv6_ext_hdr() is a call). */
	if (nexthdr != IPPROTO_TCP && nexthdr != IPPROTO_UDP &&
	    nexthdr != IPPROTO_ICMPV6)
		off = ipv6_skip_exthdr(skb, off, &nexthdr, &frag_off);
	if (off < 0) {
		pkt->proto = LINUBIA_PROTO_OTHER;
		pkt->l4proto = NEXTHDR_NONE;
		pkt->l4off = skb_network_offset(skb) + sizeof(struct ipv6hdr);
		return;
	}
	pkt->l4proto = nexthdr;
	pkt->proto = lnb_proto_of(nexthdr, IPPROTO_ICMPV6);
	pkt->l4off = off;
}

/*
 * Wire packets in a TSO/GSO/GRO skb (gso_segs) and the header bytes each
 * repeats: the network headers and the transport header (*hdr_len).  Only
 * such skbs pay for reading the transport header.
 */
static noinline unsigned int lnb_gso_segs(const struct sk_buff *skb,
					  const struct lnb_pkt *pkt,
					  unsigned int *hdr_len)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);
	unsigned int payload;

	*hdr_len = pkt->l4off - skb_network_offset(skb) +
		   lnb_l4_hdr_len(skb, pkt->l4proto, pkt->l4off);
	if (shinfo->gso_segs)
		return shinfo->gso_segs;
	/* Some drivers leave gso_segs 0: derive it from gso_size. */
	if (skb->len <= *hdr_len || !shinfo->gso_size ||
	    shinfo->gso_size == GSO_BY_FRAGS)
		return 1;
	payload = skb->len - *hdr_len;
	return DIV_ROUND_UP(payload, shinfo->gso_size);
}

/*
 * The socket's UID in the initial user namespace: from_kuid_munged() there
 * without the call, as init_user_ns maps every valid kuid to itself.
 */
static u32 lnb_init_uid(const struct sock *sk)
{
	kuid_t kuid = sk->sk_uid;

	return likely(uid_valid(kuid)) ? __kuid_val(kuid) : overflowuid;
}

/*
 * The full socket owning a (possibly mini) socket and its UID, or NULL and
 * why there is none.
 */
static struct sock *lnb_sock_owner(struct sock *sk, u32 *uid,
				   enum linubia_stat *why)
{
	if (sk->sk_state == TCP_TIME_WAIT) {
		*why = LINUBIA_S_UNATTR_TIME_WAIT;
		return NULL;
	}
	sk = sk_to_full_sk(sk);	/* request sock -> listener */
	if (!sk || !sk_fullsock(sk)) {
		*why = LINUBIA_S_UNATTR_NO_SOCKET;
		return NULL;
	}
	if (sk->sk_kern_sock) {
		*why = LINUBIA_S_UNATTR_KERNEL;
		return NULL;
	}
	*uid = lnb_init_uid(sk);
	return sk;
}

/* The record to charge for @skb; *why is set when it is not its owner's. */
static struct lnb_user *lnb_charge_to(struct sk_buff *skb,
				      const struct nf_hook_state *state,
				      const struct lnb_pkt *pkt,
				      enum linubia_stat *why)
{
	struct sock *sk = skb->sk, *owner;
	struct lnb_user *user;
	bool referenced = false;
	u32 uid;

	if (state->hook == NF_INET_LOCAL_OUT) {
		/* IPv6 RSTs leave with skb->sk unset; state->sk is the sender. */
		if (!sk)
			sk = state->sk;
	} else if (!sk) {
		/* No early demux (always the case on loopback): look it up. */
		sk = lnb_lookup_ingress(skb, state, pkt->l4proto, pkt->l4off);
		referenced = sk;
	}
	if (!sk) {
		*why = LINUBIA_S_UNATTR_NO_SOCKET;
		return lnb_unattributed();
	}
	owner = lnb_sock_owner(sk, &uid, why);
	user = owner ? lnb_user_get(uid, owner, why) : lnb_unattributed();
	if (referenced)
		sock_gen_put(sk);
	return user;
}

static bool lnb_skip_loopback(const struct nf_hook_state *state)
{
	const struct net_device *dev =
		state->hook == NF_INET_LOCAL_OUT ? state->out : state->in;

	return dev && (dev->flags & IFF_LOOPBACK) && !lnb_count_loopback();
}

/* No reason yet: the packet is its owner's. */
#define LNB_NO_REASON	LINUBIA_STAT_COUNT

static unsigned int lnb_hook(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state)
{
	enum linubia_stat why = LNB_NO_REASON;
	enum linubia_dir dir;
	struct lnb_user *user;
	struct lnb_pkt pkt;
	unsigned int segs = 1, hdr_len;
	u64 bytes = skb->len;

	if (lnb_skip_loopback(state))
		return NF_ACCEPT;
	if (state->pf == NFPROTO_IPV4)
		lnb_parse_ipv4(skb, &pkt);
	else
		lnb_parse_ipv6(skb, &pkt);

	if (skb_is_gso(skb)) {
		segs = lnb_gso_segs(skb, &pkt, &hdr_len);
		bytes += (u64)(segs - 1) * hdr_len;
	}
	dir = state->hook == NF_INET_LOCAL_OUT ? LINUBIA_DIR_OUT :
						 LINUBIA_DIR_IN;

	user = lnb_charge_to(skb, state, &pkt, &why);
	if (unlikely(why != LNB_NO_REASON)) {
		lnb_stat_add(why, segs);
		if (why == LINUBIA_S_UNATTR_TABLE_FULL)
			lnb_stat_add(LINUBIA_S_TABLE_FULL_BYTES, bytes);
	}
	lnb_user_add(user, LINUBIA_COUNTER(dir, pkt.family, pkt.proto,
					   LINUBIA_UNIT_BYTES), bytes, segs);
	return NF_ACCEPT;
}

static const struct nf_hook_ops lnb_hook_ops[] = {
	{
		.hook = lnb_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = LNB_HOOK_PRIORITY,
	}, {
		.hook = lnb_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = LNB_HOOK_PRIORITY,
	}, {
		.hook = lnb_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = LNB_HOOK_PRIORITY,
	}, {
		.hook = lnb_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = LNB_HOOK_PRIORITY,
	},
};

/*
 * IPv6 reassembles after LOCAL_IN unless nf_defrag_ipv6 runs (as for
 * xt_socket): enable it so ingress counts datagrams after reassembly, like
 * IPv4 does on its own.
 */
static int __net_init lnb_net_init(struct net *net)
{
	int err;

	err = nf_defrag_ipv6_enable(net);
	if (err)
		return err;
	err = nf_register_net_hooks(net, lnb_hook_ops, ARRAY_SIZE(lnb_hook_ops));
#if LNB_HAVE_DEFRAG_DISABLE
	if (err)
		nf_defrag_ipv6_disable(net);
#endif
	return err;
}

static void __net_exit lnb_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, lnb_hook_ops, ARRAY_SIZE(lnb_hook_ops));
#if LNB_HAVE_DEFRAG_DISABLE
	nf_defrag_ipv6_disable(net);
#endif
}

static struct pernet_operations lnb_net_ops = {
	.init = lnb_net_init,
	.exit = lnb_net_exit,
};

int lnb_hooks_init(void)
{
	BUILD_BUG_ON(LINUBIA_COUNTER_COUNT != LINUBIA_DIR_COUNT *
		     LINUBIA_FAMILY_COUNT * LINUBIA_PROTO_COUNT *
		     LINUBIA_UNIT_COUNT);
	return register_pernet_subsys(&lnb_net_ops);
}

/* Unregistering waits for packets in the hooks (synchronize_net). */
void lnb_hooks_exit(void)
{
	unregister_pernet_subsys(&lnb_net_ops);
}
