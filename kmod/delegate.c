// SPDX-License-Identifier: GPL-2.0-only
/*
 * Who delegated a UID.  A user with subordinate UIDs (newuidmap, rootless
 * containers) can make a socket of each of them; left unbounded, one user
 * would fill the table and make everyone else's traffic unattributed.  The
 * delegating user is the owner of the outermost user namespace (the child
 * of the initial one) that the socket's creator runs in.  Called only when
 * a UID has no record yet, never per packet of a known user.
 *
 * The creator's credentials hang off the socket's file.  A socket can lack
 * one: a TCP child not accepted yet, an orphan after close().  Then the UID
 * ranges learned from earlier sockets of the same namespaces (their uid_map
 * extents) name the owner; failing that the socket's network namespace's
 * user namespace does; failing that the UID is not delegated.
 */
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/spinlock.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "internal.h"

/* Learned UID ranges; disjoint, sorted by first UID. */
#define LNB_MAX_RANGES		4096
/* Extents of one namespace's uid_map looked at (the kernel allows 340). */
#define LNB_LEARN_EXTENTS	8

struct lnb_range {
	u32 first;
	u32 count;
	u32 owner;
};

static DEFINE_SPINLOCK(lnb_ranges_lock);
static unsigned int lnb_nr_ranges;
static struct lnb_range lnb_ranges[LNB_MAX_RANGES];

/* Index of the first range that ends after @uid (may be lnb_nr_ranges). */
static unsigned int lnb_range_find(u32 uid)
{
	unsigned int lo = 0, hi = lnb_nr_ranges;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct lnb_range *r = &lnb_ranges[mid];

		if ((u64)r->first + r->count <= uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static u32 lnb_range_owner(u32 uid)
{
	u32 owner = LNB_NOT_DELEGATED;
	unsigned int i;

	spin_lock_bh(&lnb_ranges_lock);
	i = lnb_range_find(uid);
	if (i < lnb_nr_ranges && lnb_ranges[i].first <= uid)
		owner = lnb_ranges[i].owner;
	spin_unlock_bh(&lnb_ranges_lock);
	return owner;
}

/* Insert @nr, replacing what it overlaps (stale: the newest mapping wins). */
static void lnb_range_add(const struct lnb_range *nr)
{
	u64 end = (u64)nr->first + nr->count;
	unsigned int i, j;

	spin_lock_bh(&lnb_ranges_lock);
	i = lnb_range_find(nr->first);
	if (i < lnb_nr_ranges && lnb_ranges[i].first == nr->first &&
	    lnb_ranges[i].count == nr->count && lnb_ranges[i].owner == nr->owner)
		goto out;	/* known: the common case */
	for (j = i; j < lnb_nr_ranges && lnb_ranges[j].first < end; j++)
		;
	if (j == i && lnb_nr_ranges == LNB_MAX_RANGES)
		goto out;	/* full: sockets with a file still work */
	memmove(&lnb_ranges[i + 1], &lnb_ranges[j],
		(lnb_nr_ranges - j) * sizeof(lnb_ranges[0]));
	lnb_nr_ranges -= j - i;
	lnb_nr_ranges++;
	lnb_ranges[i] = *nr;
out:
	spin_unlock_bh(&lnb_ranges_lock);
}

/* The namespace below the initial one that @ns is in, or NULL if @ns is it. */
static const struct user_namespace *lnb_outermost(const struct user_namespace *ns)
{
	if (ns == &init_user_ns)
		return NULL;
	while (ns->parent != &init_user_ns)
		ns = ns->parent;
	return ns;
}

/*
 * Copy @top's UID ranges (its uid_map is written once, then read without
 * locks: nr_extents first, as map_id_down() does).  Its lower UIDs are
 * UIDs of the initial namespace, since its parent is that one.
 */
static unsigned int lnb_copy_extents(const struct user_namespace *top, u32 owner,
				     struct lnb_range *out)
{
	const struct uid_gid_map *map = &top->uid_map;
	const struct uid_gid_extent *e;
	unsigned int n, i, k = 0;

	n = READ_ONCE(map->nr_extents);
	smp_rmb();
	e = n <= UID_GID_MAP_MAX_BASE_EXTENTS ? map->extent : map->forward;
	for (i = 0; i < min_t(unsigned int, n, LNB_LEARN_EXTENTS); i++) {
		if (!e[i].count || (e[i].count == 1 && e[i].lower_first == owner))
			continue;	/* the owner's own UID is not delegated */
		out[k].first = e[i].lower_first;
		out[k].count = e[i].count;
		out[k].owner = owner;
		k++;
	}
	return k;
}

static u32 lnb_owner_of(const struct user_namespace *top)
{
	return from_kuid_munged(&init_user_ns, top->owner);
}

/*
 * The delegating user of @uid, the owner of @sk (a full socket), or
 * LNB_NOT_DELEGATED.  Any context; @sk is held by the caller.
 */
u32 lnb_delegator(struct sock *sk, u32 uid)
{
	struct lnb_range learned[LNB_LEARN_EXTENTS];
	const struct user_namespace *top = NULL;
	u32 owner = LNB_NOT_DELEGATED;
	unsigned int n = 0, i;
	bool has_file;

	/* As nft_meta's skuid: the file and its creds are stable under it. */
	read_lock_bh(&sk->sk_callback_lock);
	has_file = sk->sk_socket && sk->sk_socket->file;
	if (has_file)
		top = lnb_outermost(sk->sk_socket->file->f_cred->user_ns);
	if (top) {
		owner = lnb_owner_of(top);
		n = lnb_copy_extents(top, owner, learned);
	}
	read_unlock_bh(&sk->sk_callback_lock);

	for (i = 0; i < n; i++)
		lnb_range_add(&learned[i]);
	if (!has_file) {
		owner = lnb_range_owner(uid);
		if (owner == LNB_NOT_DELEGATED) {
			top = lnb_outermost(sock_net(sk)->user_ns);
			if (top)
				owner = lnb_owner_of(top);
		}
	}
	return owner == uid ? LNB_NOT_DELEGATED : owner;
}

void lnb_delegate_destroy(void)
{
	lnb_nr_ranges = 0;
}
