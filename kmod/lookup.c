// SPDX-License-Identifier: GPL-2.0-only
/*
 * The owner of an ingress packet that no early demux gave a socket.  The
 * kernel's netfilter lookup (nf_socket, as xt_socket uses it) knows TCP and
 * UDP, and ICMP errors quoting them.  Beyond it, wherever the kernel
 * exports a lookup: UDP-Lite (the UDP lookup on its own table), SCTP
 * (sctp.c), and raw sockets of the packet's IP protocol (the first one
 * bound to it, as raw_v4_input() delivers to each; raw_diag's exports).
 * Ping sockets stay unknown: the kernel exports no ping socket lookup.
 * Every socket returned holds a reference: the caller sock_gen_put()s it.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_socket.h>
#include <net/raw.h>
#include <net/rawv6.h>
#include <net/sock.h>
#include <net/udp.h>
#include <net/udplite.h>

#include "compat.h"
#include "internal.h"

static struct sock *lnb_hold(struct sock *sk)
{
	return sk && refcount_inc_not_zero(&sk->sk_refcnt) ? sk : NULL;
}

/* The first raw socket of @proto that would receive this IPv4 packet. */
static struct sock *lnb_raw4(struct net *net, const struct sk_buff *skb,
			     int dif)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct hlist_head *head;
	struct sock *sk;

	head = &raw_v4_hashinfo.ht[raw_hashfunc(net, iph->protocol)];
	sk_for_each_rcu(sk, head)
		if (raw_v4_match(net, sk, iph->protocol, iph->saddr, iph->daddr,
				 dif, 0))
			return lnb_hold(sk);
	return NULL;
}

static struct sock *lnb_raw6(struct net *net, const struct sk_buff *skb,
			     u8 nexthdr, int dif)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct hlist_head *head;
	struct sock *sk;

	head = &raw_v6_hashinfo.ht[raw_hashfunc(net, nexthdr)];
	sk_for_each_rcu(sk, head)
		if (raw_v6_match(net, sk, nexthdr, &ip6h->daddr, &ip6h->saddr,
				 dif, 0))
			return lnb_hold(sk);
	return NULL;
}

static struct sock *lnb_udplite4(struct net *net, struct sk_buff *skb,
				 unsigned int off, int dif)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct udphdr _uh;
	const struct udphdr *uh = skb_header_pointer(skb, off, sizeof(_uh), &_uh);

	if (!uh)
		return NULL;
	return lnb_hold(__udp4_lib_lookup(net, iph->saddr, uh->source,
					  iph->daddr, uh->dest, dif, 0,
					  &udplite_table, NULL));
}

static struct sock *lnb_udplite6(struct net *net, struct sk_buff *skb,
				 unsigned int off, int dif)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct udphdr _uh;
	const struct udphdr *uh = skb_header_pointer(skb, off, sizeof(_uh), &_uh);

	if (!uh)
		return NULL;
	return lnb_hold(__udp6_lib_lookup(net, &ip6h->saddr, uh->source,
					  &ip6h->daddr, uh->dest, dif, 0,
					  &udplite_table, NULL));
}

/*
 * The socket an ingress packet is for, or NULL.  @l4proto and @l4off: its
 * transport protocol and offset as the hook parsed them.  Caller holds
 * rcu_read_lock() (netfilter hooks do).
 */
struct sock *lnb_lookup_ingress(struct sk_buff *skb,
				const struct nf_hook_state *state,
				u8 l4proto, unsigned int l4off)
{
	struct net_device *in = state->in;
	struct net *net = state->net;
	bool v4 = state->pf == NFPROTO_IPV4;
	struct sock *sk;

	lnb_stat_add(LINUBIA_S_SLOW_LOOKUPS, 1);
	sk = v4 ? nf_sk_lookup_slow_v4(net, skb, in) :
		  nf_sk_lookup_slow_v6(net, skb, in);
	if (sk || !in)
		return sk;
	if (l4proto == IPPROTO_UDPLITE)
		sk = v4 ? lnb_udplite4(net, skb, l4off, in->ifindex) :
			  lnb_udplite6(net, skb, l4off, in->ifindex);
	else if (l4proto == IPPROTO_SCTP)
		sk = lnb_sctp_lookup(net, skb, v4, l4off, in->ifindex);
	if (sk)
		return sk;
	return v4 ? lnb_raw4(net, skb, in->ifindex) :
		    lnb_raw6(net, skb, l4proto, in->ifindex);
}
