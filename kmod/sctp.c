// SPDX-License-Identifier: GPL-2.0-only
/*
 * The SCTP socket an ingress packet is for.  sctp.ko exports, for
 * sctp_diag, an association lookup by addresses and an endpoint walk.
 * Linking against them would load sctp.ko with linubia, so they are taken
 * with symbol_get() once sctp.ko is there (now, or when it loads: a module
 * notifier), and held until linubia unloads (sctp.ko cannot be unloaded
 * meanwhile).  Packets of an association (data, SACK, INIT-ACK, ...) find
 * it by addresses; INIT and COOKIE-ECHO, before the association exists,
 * belong to the endpoint bound to the destination port.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/skbuff.h>
#include <net/sctp/sctp.h>
#include <net/sock.h>

#include "compat.h"
#include "internal.h"

static typeof(&sctp_transport_lookup_process) lnb_sctp_by_addrs;
static typeof(&sctp_for_each_endpoint) lnb_sctp_each_ep;
static DEFINE_MUTEX(lnb_sctp_lock);

static void lnb_sctp_bind(void)
{
	typeof(&sctp_transport_lookup_process) by_addrs;
	typeof(&sctp_for_each_endpoint) each_ep;

	mutex_lock(&lnb_sctp_lock);
	if (lnb_sctp_by_addrs)
		goto out;
	by_addrs = symbol_get(sctp_transport_lookup_process);
	each_ep = symbol_get(sctp_for_each_endpoint);
	if (by_addrs && each_ep) {
		WRITE_ONCE(lnb_sctp_each_ep, each_ep);
		/* Published last: the hook tests this one. */
		smp_store_release(&lnb_sctp_by_addrs, by_addrs);
		pr_info("linubia: SCTP lookups on (sctp.ko held while linubia is loaded)\n");
	} else {
		if (by_addrs)
			symbol_put(sctp_transport_lookup_process);
		if (each_ep)
			symbol_put(sctp_for_each_endpoint);
	}
out:
	mutex_unlock(&lnb_sctp_lock);
}

static int lnb_module_event(struct notifier_block *nb, unsigned long state,
			    void *data)
{
	struct module *mod = data;

	if (state == MODULE_STATE_LIVE && !strcmp(mod->name, "sctp"))
		lnb_sctp_bind();
	return NOTIFY_DONE;
}

static struct notifier_block lnb_module_nb = {
	.notifier_call = lnb_module_event,
};

static int lnb_sctp_found(struct sctp_endpoint *ep, struct sctp_transport *t,
			  void *p)
{
	struct sock **out = p;

	sock_hold(ep->base.sk);
	*out = ep->base.sk;
	return 0;
}

struct lnb_sctp_port {
	const struct net *net;
	u16 port;		/* host order, as bind_addr.port */
	struct sock *sk;
};

static int lnb_sctp_endpoint(struct sctp_endpoint *ep, void *p)
{
	struct lnb_sctp_port *want = p;

	if (ep->base.bind_addr.port != want->port)
		return 0;
	sock_hold(ep->base.sk);
	want->sk = ep->base.sk;
	return 1;	/* stop the walk */
}

static void lnb_sctp_addrs(struct sk_buff *skb, bool v4, const struct sctphdr *sh,
			   union sctp_addr *local, union sctp_addr *peer)
{
	memset(local, 0, sizeof(*local));
	memset(peer, 0, sizeof(*peer));
	if (v4) {
		local->v4.sin_family = AF_INET;
		local->v4.sin_port = sh->dest;
		local->v4.sin_addr.s_addr = ip_hdr(skb)->daddr;
		peer->v4.sin_family = AF_INET;
		peer->v4.sin_port = sh->source;
		peer->v4.sin_addr.s_addr = ip_hdr(skb)->saddr;
	} else {
		local->v6.sin6_family = AF_INET6;
		local->v6.sin6_port = sh->dest;
		local->v6.sin6_addr = ipv6_hdr(skb)->daddr;
		peer->v6.sin6_family = AF_INET6;
		peer->v6.sin6_port = sh->source;
		peer->v6.sin6_addr = ipv6_hdr(skb)->saddr;
	}
}

/* The (referenced) socket of an ingress SCTP packet, or NULL. */
struct sock *lnb_sctp_lookup(struct net *net, struct sk_buff *skb, bool v4,
			     unsigned int off, int dif)
{
	typeof(&sctp_transport_lookup_process) by_addrs;
	struct lnb_sctp_port want = { .net = net };
	union sctp_addr local, peer;
	const struct sctphdr *sh;
	struct sctphdr _sh;
	struct sock *sk = NULL;
	int pos = 0;

	by_addrs = smp_load_acquire(&lnb_sctp_by_addrs);
	if (!by_addrs)
		return NULL;
	sh = skb_header_pointer(skb, off, sizeof(_sh), &_sh);
	if (!sh)
		return NULL;
	lnb_sctp_addrs(skb, v4, sh, &local, &peer);
	LNB_SCTP_LOOKUP(by_addrs, lnb_sctp_found, net, &local, &peer, &sk, dif);
	if (sk)
		return sk;
	want.port = ntohs(sh->dest);
	READ_ONCE(lnb_sctp_each_ep)(lnb_sctp_endpoint, net, &pos, &want);
	return want.sk;
}

int lnb_sctp_init(void)
{
	int err = register_module_notifier(&lnb_module_nb);

	if (err)
		return err;
	lnb_sctp_bind();	/* if sctp.ko is loaded; never loads it */
	return 0;
}

void lnb_sctp_exit(void)
{
	unregister_module_notifier(&lnb_module_nb);
	mutex_lock(&lnb_sctp_lock);
	if (lnb_sctp_by_addrs) {
		symbol_put(sctp_transport_lookup_process);
		symbol_put(sctp_for_each_endpoint);
		lnb_sctp_by_addrs = NULL;
		lnb_sctp_each_ep = NULL;
	}
	mutex_unlock(&lnb_sctp_lock);
}
