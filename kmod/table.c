// SPDX-License-Identifier: GPL-2.0-only
/*
 * The UID table: a fixed-size hash of records with RCU lookups, per-CPU
 * counters updated without locks, and inserts under a spinlock only for a
 * UID not seen before.  Records live until the module is unloaded, so the
 * hot path never takes a reference.  New records come from a reserve that
 * a work item refills in process context, their per-CPU counters carved
 * out of blocks of LNB_BLOCK slots: in softirq, alloc_percpu_gfp() can only
 * use already populated percpu chunks, and one allocation per record could
 * not keep up with a burst of new UIDs (0.5-2 % failed at 30k-100k).
 */
#include <linux/hash.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "internal.h"

/* The default max_users keeps records and buckets within this budget. */
#define LNB_TABLE_BUDGET	(64UL << 20)
#define LNB_MAX_USERS_CAP	(1U << 22)
/* Preallocated records for new UIDs; refilled when half are used. */
#define LNB_RESERVE		1024
/* Counter slots per percpu block (16 KiB: well below PCPU_MIN_UNIT_SIZE). */
#define LNB_BLOCK		64

/* A percpu allocation holding the counters of LNB_BLOCK records. */
struct lnb_block {
	struct list_head node;
	struct lnb_pcpu __percpu *slots;
};

struct lnb_stats_pcpu {
	u64 s[LINUBIA_STAT_COUNT];
	struct u64_stats_sync syncp;
};

static struct {
	struct hlist_head *buckets;
	unsigned int bits;
	unsigned int max_users;		/* user records, unattributed excluded */
	atomic_t nr_records;		/* including the unattributed record */
	spinlock_t insert_lock;		/* writers of the bucket lists */
	struct mutex reset_lock;	/* serialises resets: fetch + subtract */
	struct lnb_user *unattributed;
	struct lnb_stats_pcpu __percpu *stats;
	spinlock_t reserve_lock;
	unsigned int nr_reserve;
	struct lnb_user *reserve[LNB_RESERVE];
	struct work_struct refill;
	struct list_head blocks;	/* touched by the refill work only */
} tbl;

static struct hlist_head *lnb_bucket_of(u32 uid)
{
	return &tbl.buckets[hash_32(uid, tbl.bits)];
}

struct hlist_head *lnb_bucket(unsigned int i)
{
	return &tbl.buckets[i];
}

unsigned int lnb_nr_buckets(void)
{
	return 1U << tbl.bits;
}

unsigned int lnb_nr_records(void)
{
	return atomic_read(&tbl.nr_records);
}

unsigned int lnb_max_users(void)
{
	return tbl.max_users;
}

struct lnb_user *lnb_unattributed(void)
{
	return tbl.unattributed;
}

/* Bytes one record costs: the struct, one counter block per CPU, a bucket. */
static size_t lnb_bytes_per_user(void)
{
	return kmalloc_size_roundup(sizeof(struct lnb_user)) +
	       sizeof(struct lnb_pcpu) * num_possible_cpus() +
	       sizeof(struct hlist_head);
}

static void lnb_pcpu_init(struct lnb_pcpu __percpu *pcpu)
{
	int cpu;

	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(pcpu, cpu)->syncp);
}

/* A record with counters of its own (init, and the atomic fallback). */
static struct lnb_user *lnb_user_alloc(u32 uid, gfp_t gfp)
{
	struct lnb_user *u;

	u = kzalloc(sizeof(*u), gfp);
	if (!u)
		return NULL;
	u->pcpu = alloc_percpu_gfp(struct lnb_pcpu, gfp);
	if (!u->pcpu) {
		kfree(u);
		return NULL;
	}
	u->own_pcpu = true;
	lnb_pcpu_init(u->pcpu);
	u->uid = uid;
	u->first_seen_ns = ktime_get_real_ns();
	return u;
}

/* Block slots are freed with their block, in lnb_table_destroy(). */
static void lnb_user_free(struct lnb_user *u)
{
	if (u->own_pcpu)
		free_percpu(u->pcpu);
	kfree(u);
}

/* Room left in the reserve, without growing past max_users records. */
static unsigned int lnb_reserve_room(void)
{
	unsigned int used, room;

	spin_lock_bh(&tbl.reserve_lock);
	used = atomic_read(&tbl.nr_records) + tbl.nr_reserve;
	room = LNB_RESERVE - tbl.nr_reserve;
	spin_unlock_bh(&tbl.reserve_lock);
	if (used >= tbl.max_users + 1)
		return 0;
	return min(room, tbl.max_users + 1 - used);
}

/* Put a fresh, unused record back in the reserve (or free it). */
static void lnb_reserve_put(struct lnb_user *u)
{
	spin_lock_bh(&tbl.reserve_lock);
	if (tbl.nr_reserve < LNB_RESERVE) {
		tbl.reserve[tbl.nr_reserve++] = u;
		u = NULL;
	}
	spin_unlock_bh(&tbl.reserve_lock);
	if (u)
		lnb_user_free(u);
}

/* One block of counters and up to LNB_BLOCK records using its slots. */
static int lnb_reserve_add_block(unsigned int n)
{
	struct lnb_block *b;
	struct lnb_user *u;
	unsigned int i;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->slots = __alloc_percpu(sizeof(struct lnb_pcpu) * LNB_BLOCK,
				  __alignof__(struct lnb_pcpu));
	if (!b->slots) {
		kfree(b);
		return -ENOMEM;
	}
	list_add(&b->node, &tbl.blocks);
	for (i = 0; i < min_t(unsigned int, n, LNB_BLOCK); i++) {
		u = kzalloc(sizeof(*u), GFP_KERNEL);
		if (!u)
			return -ENOMEM;
		u->pcpu = b->slots + i;
		lnb_pcpu_init(u->pcpu);
		lnb_reserve_put(u);
	}
	return 0;
}

/* Process context: top the reserve up with sleeping allocations. */
static void lnb_reserve_refill(struct work_struct *work)
{
	unsigned int room;

	while ((room = lnb_reserve_room()) && !lnb_reserve_add_block(room))
		cond_resched();
}

/* A fresh record for @uid without allocating, or NULL if none is left. */
static struct lnb_user *lnb_reserve_take(u32 uid)
{
	struct lnb_user *u = NULL;
	unsigned int left;

	spin_lock_bh(&tbl.reserve_lock);
	if (tbl.nr_reserve)
		u = tbl.reserve[--tbl.nr_reserve];
	left = tbl.nr_reserve;
	spin_unlock_bh(&tbl.reserve_lock);
	if (left < LNB_RESERVE / 2)
		schedule_work(&tbl.refill);
	if (u) {
		u->uid = uid;
		u->first_seen_ns = ktime_get_real_ns();
	}
	return u;
}

/* Caller holds rcu_read_lock() or insert_lock. */
struct lnb_user *lnb_user_lookup(u32 uid)
{
	struct lnb_user *u;

	hlist_for_each_entry_rcu(u, lnb_bucket_of(uid), node,
				 lockdep_is_held(&tbl.insert_lock))
		if (u->uid == uid)
			return u;
	return NULL;
}

static void lnb_insert_locked(struct lnb_user *u)
{
	/* Tail insert keeps positions in a bucket stable for dump cursors. */
	hlist_add_tail_rcu(&u->node, lnb_bucket_of(u->uid));
	atomic_inc(&tbl.nr_records);
}

/*
 * The record to charge for @uid, made on first sight.  Never NULL: when the
 * table is full or memory is short, the unattributed record is returned and
 * *why_unattributed says why.  Caller holds rcu_read_lock(); any context.
 */
struct lnb_user *lnb_user_get(u32 uid, enum linubia_stat *why_unattributed)
{
	struct lnb_user *u, *fresh;

	u = lnb_user_lookup(uid);
	if (likely(u))
		return u;

	if (atomic_read(&tbl.nr_records) > tbl.max_users) {
		*why_unattributed = LINUBIA_S_UNATTR_TABLE_FULL;
		return tbl.unattributed;
	}
	fresh = lnb_reserve_take(uid);
	if (!fresh)
		fresh = lnb_user_alloc(uid, GFP_ATOMIC | __GFP_NOWARN);
	if (!fresh) {
		*why_unattributed = LINUBIA_S_UNATTR_NO_MEMORY;
		return tbl.unattributed;
	}

	spin_lock_bh(&tbl.insert_lock);
	u = lnb_user_lookup(uid);
	if (!u && atomic_read(&tbl.nr_records) <= tbl.max_users) {
		lnb_insert_locked(fresh);
		u = fresh;
		fresh = NULL;
	}
	spin_unlock_bh(&tbl.insert_lock);

	if (fresh)
		lnb_reserve_put(fresh);	/* another CPU made it first */
	if (!u) {
		*why_unattributed = LINUBIA_S_UNATTR_TABLE_FULL;
		return tbl.unattributed;
	}
	return u;
}

/* Lock-free per-packet update; BHs off so softirq cannot interleave. */
void lnb_user_add(struct lnb_user *u, unsigned int bytes_counter,
		  u64 bytes, u64 packets)
{
	struct lnb_pcpu *pc;

	local_bh_disable();
	pc = this_cpu_ptr(u->pcpu);
	u64_stats_update_begin(&pc->syncp);
	pc->c[bytes_counter] += bytes;
	pc->c[bytes_counter + 1] += packets;
	u64_stats_update_end(&pc->syncp);
	local_bh_enable();
}

void lnb_user_read(const struct lnb_user *u, u64 out[LINUBIA_COUNTER_COUNT])
{
	u64 snap[LINUBIA_COUNTER_COUNT];
	unsigned int start, i;
	int cpu;

	memset(out, 0, sizeof(u64) * LINUBIA_COUNTER_COUNT);
	for_each_possible_cpu(cpu) {
		const struct lnb_pcpu *pc = per_cpu_ptr(u->pcpu, cpu);

		do {
			start = u64_stats_fetch_begin(&pc->syncp);
			memcpy(snap, pc->c, sizeof(snap));
		} while (u64_stats_fetch_retry(&pc->syncp, start));
		for (i = 0; i < LINUBIA_COUNTER_COUNT; i++)
			out[i] += snap[i];
	}
}

/*
 * Reset = fetch the totals, then subtract exactly what was fetched from this
 * CPU's share.  Increments that land between the two stay counted; the
 * caller holds reset_lock so two resets never subtract the same amount.
 */
static void lnb_user_reset_locked(struct lnb_user *u,
				  u64 seen[LINUBIA_COUNTER_COUNT])
{
	struct lnb_pcpu *pc;
	unsigned int i;

	lockdep_assert_held(&tbl.reset_lock);
	lnb_user_read(u, seen);
	local_bh_disable();
	pc = this_cpu_ptr(u->pcpu);
	u64_stats_update_begin(&pc->syncp);
	for (i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		pc->c[i] -= seen[i];
	u64_stats_update_end(&pc->syncp);
	local_bh_enable();
	WRITE_ONCE(u->last_reset_ns, ktime_get_real_ns());
}

/* Reset one record; @cleared gets exactly what was taken off it. */
int lnb_user_reset(u32 uid, u64 cleared[LINUBIA_COUNTER_COUNT])
{
	struct lnb_user *u;

	mutex_lock(&tbl.reset_lock);
	rcu_read_lock();
	u = lnb_user_lookup(uid);
	if (u)
		lnb_user_reset_locked(u, cleared);
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
		hlist_for_each_entry_rcu(u, &tbl.buckets[i], node)
			lnb_user_reset_locked(u, cleared);
		rcu_read_unlock();
		cond_resched();
	}
	mutex_unlock(&tbl.reset_lock);
}

void lnb_stat_add(enum linubia_stat stat, u64 val)
{
	struct lnb_stats_pcpu *st;

	local_bh_disable();
	st = this_cpu_ptr(tbl.stats);
	u64_stats_update_begin(&st->syncp);
	st->s[stat] += val;
	u64_stats_update_end(&st->syncp);
	local_bh_enable();
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
			memcpy(snap, st->s, sizeof(snap));
		} while (u64_stats_fetch_retry(&st->syncp, start));
		for (i = 0; i < LINUBIA_STAT_COUNT; i++)
			out[i] += snap[i];
	}
}

/*
 * *max_users == 0 asks for the default: as many records as fit in
 * LNB_TABLE_BUDGET on this machine (it shrinks with the CPU count, since
 * every record holds one counter block per possible CPU).
 */
int lnb_table_init(unsigned int *max_users)
{
	unsigned long want = *max_users;
	int cpu;

	if (!want)
		want = LNB_TABLE_BUDGET / lnb_bytes_per_user();
	want = clamp(want, 1UL, (unsigned long)LNB_MAX_USERS_CAP);
	*max_users = want;

	tbl.max_users = want;
	tbl.bits = ilog2(roundup_pow_of_two(want));
	tbl.buckets = kvcalloc(1UL << tbl.bits, sizeof(*tbl.buckets),
			       GFP_KERNEL);
	if (!tbl.buckets)
		return -ENOMEM;
	spin_lock_init(&tbl.insert_lock);
	spin_lock_init(&tbl.reserve_lock);
	mutex_init(&tbl.reset_lock);
	INIT_WORK(&tbl.refill, lnb_reserve_refill);
	INIT_LIST_HEAD(&tbl.blocks);
	atomic_set(&tbl.nr_records, 0);

	tbl.stats = alloc_percpu(struct lnb_stats_pcpu);
	if (!tbl.stats)
		goto err_buckets;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(tbl.stats, cpu)->syncp);

	tbl.unattributed = lnb_user_alloc(LINUBIA_UID_UNATTRIBUTED, GFP_KERNEL);
	if (!tbl.unattributed)
		goto err_stats;
	spin_lock_bh(&tbl.insert_lock);
	lnb_insert_locked(tbl.unattributed);
	spin_unlock_bh(&tbl.insert_lock);
	lnb_reserve_refill(NULL);
	pr_info("linubia: max_users=%lu (%zu bytes per record, %u CPUs)\n",
		want, lnb_bytes_per_user(), num_possible_cpus());
	return 0;

err_stats:
	free_percpu(tbl.stats);
err_buckets:
	kvfree(tbl.buckets);
	return -ENOMEM;
}

/*
 * Called after every hook and reader is gone (so nothing schedules the
 * refill any more): no RCU grace period needed.
 */
void lnb_table_destroy(void)
{
	struct lnb_block *b, *btmp;
	struct hlist_node *tmp;
	struct lnb_user *u;
	unsigned int i;

	cancel_work_sync(&tbl.refill);
	while (tbl.nr_reserve)
		lnb_user_free(tbl.reserve[--tbl.nr_reserve]);
	for (i = 0; i < lnb_nr_buckets(); i++)
		hlist_for_each_entry_safe(u, tmp, &tbl.buckets[i], node)
			lnb_user_free(u);
	list_for_each_entry_safe(b, btmp, &tbl.blocks, node) {
		free_percpu(b->slots);
		kfree(b);
	}
	free_percpu(tbl.stats);
	kvfree(tbl.buckets);
}
