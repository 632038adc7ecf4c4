/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Version guards.  Each shim names the release that introduced the real
 * thing.  make test-matrix builds (W=1 + sparse, zero warnings) and tests
 * the module on Debian 12's 6.1, 6.12 and 6.12 PREEMPT_RT (mk/kernels.mk):
 * from 6.1 to 6.12 one thing the module uses changed (SCTP's transport
 * lookup, 6.2), shimmed below.
 * Below 6.1 (down to 5.10) the shims are written from the sources, untested.
 */
#ifndef LINUBIA_COMPAT_H
#define LINUBIA_COMPAT_H

#include <linux/version.h>
#include <linux/log2.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
/* 6.1: kmalloc_size_roundup(); an upper bound is good enough for sizing. */
#define kmalloc_size_roundup(size) roundup_pow_of_two(size)
#endif

/* 5.13: the per-netns IPv6 defrag can be disabled again on exit. */
#define LNB_HAVE_DEFRAG_DISABLE \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(5, 13, 0))

/* 6.2: sctp_transport_lookup_process() takes the incoming interface. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define LNB_SCTP_LOOKUP(fn, cb, net, local, peer, arg, dif) \
	fn(cb, net, local, peer, arg, dif)
#else
#define LNB_SCTP_LOOKUP(fn, cb, net, local, peer, arg, dif) \
	fn(cb, net, local, peer, arg)
#endif

#endif /* LINUBIA_COMPAT_H */
