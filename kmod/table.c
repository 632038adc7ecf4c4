// SPDX-License-Identifier: GPL-2.0-only
/*
 * The UID table: a fixed-size hash of records with RCU lookups, inserts
 * under a spinlock only for a UID not seen before.  Records live until the
 * module is unloaded, so the hot path never takes a reference.  Records of
 * delegated UIDs (delegate.c) are bounded per delegating user and, all
 * together, to half the table, so users of the host always find room.
 */
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "compat.h"
#include "internal.h"

/*
 * The default max_users and the hot blocks each get half of this budget:
 * records cost ~0.3 KiB whatever the CPU count, hot blocks 256 bytes per
 * possible CPU (so 64 CPUs get 2048 hot records, 256 CPUs 512).
 */
#define LNB_TABLE_BUDGET	(64UL << 20)
#define LNB_MAX_USERS_CAP	(1U << 22)

struct lnb_stats_pcpu {
	lnb_ctr_t s[LINUBIA_STAT_COUNT];
	struct u64_stats_sync syncp;	/* empty on 64-bit */
};

struct lnb_uid_hash lnb_uids __read_mostly;

static struct {
	unsigned int max_users;		/* user records, unattributed excluded */
	unsigned int max_delegated;	/* per delegating user */
	atomic_t nr_records;		/* including the unattributed record */
	atomic_t nr_delegated;		/* records of delegated UIDs */
	spinlock_t insert_lock;		/* writers of the bucket lists */
	struct mutex reset_lock;	/* serialises resets: fetch + subtract */
	struct lnb_user *unattributed;
	struct lnb_stats_pcpu __percpu *stats;
} tbl;

struct hlist_head *lnb_bucket(unsigned int i)
{
	return &lnb_uids.buckets[i];
}

unsigned int lnb_nr_buckets(void)
{
	return 1U << lnb_uids.bits;
}

/* For the RCU list checker (CONFIG_PROVE_RCU_LIST) only. */
bool lnb_insert_lock_held(void)
{
#ifdef CONFIG_LOCKDEP
	return lockdep_is_held(&tbl.insert_lock);
#else
	return true;
#endif
}

unsigned int lnb_nr_records(void)
{
	return atomic_read(&tbl.nr_records);
}

unsigned int lnb_nr_delegated(void)
{
	return atomic_read(&tbl.nr_delegated);
}

unsigned int lnb_max_users(void)
{
	return tbl.max_users;
}

unsigned int lnb_max_delegated(void)
{
	return READ_ONCE(tbl.max_delegated);
}

int lnb_set_max_delegated(unsigned int max)
{
	if (max > tbl.max_users)
		return -ERANGE;
	WRITE_ONCE(tbl.max_delegated, max);
	return 0;
}

struct lnb_user *lnb_unattributed(void)
{
	return tbl.unattributed;
}

static void lnb_insert_locked(struct lnb_user *u)
{
	/* Tail insert keeps positions in a bucket stable for dump cursors. */
	hlist_add_tail_rcu(&u->node, lnb_uid_bucket(u->uid));
	atomic_inc(&tbl.nr_records);
}

/* May @owner's delegation make one more record?  insert_lock held. */
static bool lnb_delegation_fits(struct lnb_user *owner)
{
	return atomic_read(&owner->nr_delegated) < lnb_max_delegated() &&
	       atomic_read(&tbl.nr_delegated) < tbl.max_users / 2;
}

/*
 * Make @uid's record, charged to its delegating user (if any).  Returns the
 * record to charge; *why is set when that is not @uid's own record.
 */
struct lnb_user *lnb_user_make(u32 uid, struct sock *sk, enum linubia_stat *why)
{
	u32 by = sk ? lnb_delegator(sk, uid) : LNB_NOT_DELEGATED;
	struct lnb_user *owner = NULL, *u, *fresh;

	if (by != LNB_NOT_DELEGATED) {
		owner = lnb_user_get(by, NULL, why);
		if (owner == tbl.unattributed)
			return owner;
		if (!lnb_delegation_fits(owner))
			goto over_bound;
	}
	if (atomic_read(&tbl.nr_records) > tbl.max_users) {
		*why = LINUBIA_S_UNATTR_TABLE_FULL;
		return tbl.unattributed;
	}
	fresh = lnb_reserve_take(uid);
	if (!fresh) {
		*why = LINUBIA_S_UNATTR_NO_MEMORY;
		return tbl.unattributed;
	}
	fresh->delegated_by = by;

	spin_lock_bh(&tbl.insert_lock);
	u = lnb_user_lookup(uid);
	if (!u && atomic_read(&tbl.nr_records) <= tbl.max_users &&
	    (!owner || lnb_delegation_fits(owner))) {
		if (owner) {
			atomic_inc(&owner->nr_delegated);
			atomic_inc(&tbl.nr_delegated);
		}
		lnb_insert_locked(fresh);
		u = fresh;
		fresh = NULL;
	}
	spin_unlock_bh(&tbl.insert_lock);

	if (fresh)
		lnb_reserve_put(fresh);	/* another CPU made it first, or no room */
	if (u)
		return u;
	if (owner)
		goto over_bound;
	*why = LINUBIA_S_UNATTR_TABLE_FULL;
	return tbl.unattributed;

over_bound:
	*why = LINUBIA_S_DELEGATED_OVER_BOUND;
	return owner;
}

/* Reset one record; @cleared gets exactly what was taken off it. */
int lnb_user_reset(u32 uid, u64 cleared[LINUBIA_COUNTER_COUNT], u64 *reset_ns)
{
	struct lnb_user *u;

	mutex_lock(&tbl.reset_lock);
	rcu_read_lock();
	u = lnb_user_lookup(uid);
	if (u)
		*reset_ns = lnb_user_reset_locked(u, cleared);
	rcu_read_unlock();
	mutex_unlock(&tbl.reset_lock);
	return u ? 0 : -ENOENT;
}

void lnb_reset_all(void)
{
	u64 cleared[LINUBIA_COUNTER_COUNT];
	struct lnb_user *u;
	unsigned int i;

	mutex_lock(&tbl.reset_lock);
	for (i = 0; i < lnb_nr_buckets(); i++) {
		rcu_read_lock();
		hlist_for_each_entry_rcu(u, &lnb_uids.buckets[i], node)
			lnb_user_reset_locked(u, cleared);
		rcu_read_unlock();
		cond_resched();
	}
	mutex_unlock(&tbl.reset_lock);
}

/* Any context (see lnb_ctr_t). */
void lnb_stat_add(enum linubia_stat stat, u64 val)
{
#if BITS_PER_LONG == 64
	this_cpu_add(tbl.stats->s[stat], val);
#else
	struct lnb_stats_pcpu *st;

	local_bh_disable();
	st = this_cpu_ptr(tbl.stats);
	u64_stats_update_begin(&st->syncp);
	u64_stats_add(&st->s[stat], val);
	u64_stats_update_end(&st->syncp);
	local_bh_enable();
#endif
}

void lnb_stats_read(u64 out[LINUBIA_STAT_COUNT])
{
	u64 snap[LINUBIA_STAT_COUNT];
	unsigned int start, i;
	int cpu;

	memset(out, 0, sizeof(u64) * LINUBIA_STAT_COUNT);
	for_each_possible_cpu(cpu) {
		const struct lnb_stats_pcpu *st = per_cpu_ptr(tbl.stats, cpu);

		do {
			start = u64_stats_fetch_begin(&st->syncp);
			for (i = 0; i < LINUBIA_STAT_COUNT; i++)
				snap[i] = lnb_ctr_read(&st->s[i]);
		} while (u64_stats_fetch_retry(&st->syncp, start));
		for (i = 0; i < LINUBIA_STAT_COUNT; i++)
			out[i] += snap[i];
	}
}

/* Bytes one record costs whatever its kind: the record and its bucket. */
static size_t lnb_cold_bytes(void)
{
	return sizeof(struct lnb_user) + sizeof(struct hlist_head);
}

/*
 * The module parameters, validated here and set to the values in force:
 * *max_users == 0 asks for as many records as fit in half of
 * LNB_TABLE_BUDGET; *max_delegated == -1 for the default bound.
 */
int lnb_table_init(unsigned int *max_users, int *max_delegated)
{
	unsigned long want = *max_users, hot;
	int cpu, err;

	if (want > LNB_MAX_USERS_CAP) {
		pr_err("linubia: max_users=%lu is above the limit %u\n",
		       want, LNB_MAX_USERS_CAP);
		return -EINVAL;
	}
	if (!want)
		want = min_t(unsigned long, LNB_TABLE_BUDGET / 2 / lnb_cold_bytes(),
			     LNB_MAX_USERS_CAP);
	if (*max_delegated == -1)
		*max_delegated = min_t(unsigned long, LINUBIA_DEFAULT_MAX_DELEGATED, want);
	if (*max_delegated < 0 || *max_delegated > want) {
		pr_err("linubia: max_delegated=%d is not within 0 .. max_users (%lu)\n",
		       *max_delegated, want);
		return -EINVAL;
	}
	*max_users = want;
	tbl.max_users = want;
	tbl.max_delegated = *max_delegated;
	/* hash_32(x, 0) would shift by 32: at least two buckets. */
	lnb_uids.bits = max(1, ilog2(roundup_pow_of_two(want)));
	lnb_uids.buckets = kvcalloc(1UL << lnb_uids.bits,
				    sizeof(*lnb_uids.buckets), GFP_KERNEL);
	if (!lnb_uids.buckets)
		return -ENOMEM;
	spin_lock_init(&tbl.insert_lock);
	mutex_init(&tbl.reset_lock);
	atomic_set(&tbl.nr_records, 0);
	atomic_set(&tbl.nr_delegated, 0);

	err = -ENOMEM;
	tbl.stats = alloc_percpu(struct lnb_stats_pcpu);
	if (!tbl.stats)
		goto err_buckets;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(tbl.stats, cpu)->syncp);

	hot = min_t(unsigned long, want + 1, LNB_TABLE_BUDGET / 2 /
		    (sizeof(struct lnb_pcpu) * num_possible_cpus()));
	err = lnb_reserve_init(want + 1, hot);
	if (err)
		goto err_stats;
	tbl.unattributed = lnb_reserve_take(LINUBIA_UID_UNATTRIBUTED);
	if (!tbl.unattributed) {
		err = -ENOMEM;
		goto err_reserve;
	}
	spin_lock_bh(&tbl.insert_lock);
	lnb_insert_locked(tbl.unattributed);
	spin_unlock_bh(&tbl.insert_lock);
	pr_info("linubia: max_users=%lu max_delegated=%u, %u CPUs: %zu bytes per record + %zu per hot record (%lu hot)\n",
		want, tbl.max_delegated, num_possible_cpus(), lnb_cold_bytes(),
		lnb_hot_bytes(), hot);
	return 0;

err_reserve:
	lnb_reserve_destroy();
err_stats:
	free_percpu(tbl.stats);
err_buckets:
	kvfree(lnb_uids.buckets);
	return err;
}

/* Called after every hook and reader is gone and a grace period passed. */
void lnb_table_destroy(void)
{
	struct hlist_node *tmp;
	struct lnb_user *u;
	unsigned int i;

	for (i = 0; i < lnb_nr_buckets(); i++)
		hlist_for_each_entry_safe(u, tmp, &lnb_uids.buckets[i], node)
			lnb_record_free(u);
	lnb_reserve_destroy();
	lnb_delegate_destroy();
	free_percpu(tbl.stats);
	kvfree(lnb_uids.buckets);
}
