// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fresh records for UIDs seen for the first time, made ahead in process
 * context by a work item: in softirq only GFP_ATOMIC is possible, and
 * alloc_percpu_gfp() there can only use already populated percpu chunks
 * (one allocation per record failed for 0.5-2 % of a burst of 30k-100k new
 * UIDs).  Per-CPU counter blocks ("hot", counters.c) are carved out of
 * percpu allocations of LNB_BLOCK blocks, as long as the machine's hot
 * capacity lasts; records made after that count in their cold atomics.
 */
#include <linux/ktime.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "internal.h"

/* Records and hot blocks kept ready; refilled when half are used. */
#define LNB_RESERVE		1024
/* Hot blocks per percpu allocation (16 KiB: below PCPU_MIN_UNIT_SIZE). */
#define LNB_BLOCK		64

/* One percpu allocation holding LNB_BLOCK hot counter blocks. */
struct lnb_block {
	struct list_head node;
	struct lnb_pcpu __percpu *slots;
};

static struct {
	struct kmem_cache *cache;
	spinlock_t lock;
	unsigned int want;			/* records to keep ready */
	unsigned int nr_recs;
	struct lnb_user *recs[LNB_RESERVE];
	unsigned int nr_hot;			/* hot blocks handed out */
	unsigned int max_hot;			/* the machine's hot capacity */
	unsigned int nr_slots;
	struct lnb_pcpu __percpu *slots[LNB_RESERVE];
	struct work_struct refill;
	struct list_head blocks;		/* touched by the refill only */
} rsv;

unsigned int lnb_hot_capacity(void)
{
	return rsv.max_hot;
}

unsigned int lnb_nr_hot(void)
{
	return READ_ONCE(rsv.nr_hot);
}

size_t lnb_record_bytes(void)
{
	return kmem_cache_size(rsv.cache);
}

size_t lnb_hot_bytes(void)
{
	return sizeof(struct lnb_pcpu) * num_possible_cpus();
}

static void lnb_record_init(struct lnb_user *u, u32 uid)
{
	u->uid = uid;
	u->delegated_by = LNB_NOT_DELEGATED;
	u->first_seen_ns = ktime_get_real_ns();
}

/* A cold record (init, and the GFP_ATOMIC fallback of the hot path). */
struct lnb_user *lnb_record_alloc(u32 uid, gfp_t gfp)
{
	struct lnb_user *u = kmem_cache_zalloc(rsv.cache, gfp);

	if (!u)
		return NULL;
	seqcount_init(&u->reset_seq);
	lnb_record_init(u, uid);
	return u;
}

/* Hot blocks are freed with their allocation, in lnb_reserve_destroy(). */
void lnb_record_free(struct lnb_user *u)
{
	kmem_cache_free(rsv.cache, u);
}

/* Hand a hot block to @u if any is ready; lock held. */
static void lnb_attach_slot(struct lnb_user *u)
{
	if (rsv.nr_slots) {
		u->hot = rsv.slots[--rsv.nr_slots];
		rsv.nr_hot++;
	}
}

/* A fresh record for @uid without sleeping, or NULL if none could be had. */
struct lnb_user *lnb_reserve_take(u32 uid)
{
	struct lnb_user *u = NULL;
	bool low;

	spin_lock_bh(&rsv.lock);
	if (rsv.nr_recs)
		u = rsv.recs[--rsv.nr_recs];
	low = rsv.nr_recs < rsv.want / 2 ||
	      (rsv.nr_slots < LNB_RESERVE / 2 && rsv.nr_hot + rsv.nr_slots < rsv.max_hot);
	spin_unlock_bh(&rsv.lock);
	if (low)
		schedule_work(&rsv.refill);
	if (!u)
		u = lnb_record_alloc(uid, GFP_ATOMIC | __GFP_NOWARN);
	if (!u)
		return NULL;
	lnb_record_init(u, uid);
	if (!u->hot) {
		spin_lock_bh(&rsv.lock);
		lnb_attach_slot(u);
		spin_unlock_bh(&rsv.lock);
	}
	return u;
}

/* Give back a record that was never inserted (counters still zero). */
void lnb_reserve_put(struct lnb_user *u)
{
	spin_lock_bh(&rsv.lock);
	if (u->hot && rsv.nr_slots < LNB_RESERVE) {
		rsv.slots[rsv.nr_slots++] = u->hot;
		rsv.nr_hot--;
		u->hot = NULL;
	}
	if (!u->hot && rsv.nr_recs < LNB_RESERVE) {
		rsv.recs[rsv.nr_recs++] = u;
		u = NULL;
	}
	spin_unlock_bh(&rsv.lock);
	if (u)
		lnb_record_free(u);	/* a hot block not taken back stays allocated */
}

/* Carve one percpu allocation into hot blocks, up to @n of them. */
static int lnb_add_block(unsigned int n)
{
	struct lnb_block *b;
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
	list_add(&b->node, &rsv.blocks);
	spin_lock_bh(&rsv.lock);
	for (i = 0; i < min_t(unsigned int, n, LNB_BLOCK); i++) {
		lnb_pcpu_init(b->slots + i);
		rsv.slots[rsv.nr_slots++] = b->slots + i;
	}
	spin_unlock_bh(&rsv.lock);
	return 0;
}

static unsigned int lnb_slot_room(void)
{
	unsigned int room;

	spin_lock_bh(&rsv.lock);
	room = min(LNB_RESERVE - rsv.nr_slots,
		   rsv.max_hot - min(rsv.max_hot, rsv.nr_hot + rsv.nr_slots));
	spin_unlock_bh(&rsv.lock);
	return room;
}

static unsigned int lnb_rec_room(void)
{
	unsigned int room;

	spin_lock_bh(&rsv.lock);
	room = rsv.want - min(rsv.want, rsv.nr_recs);
	spin_unlock_bh(&rsv.lock);
	return room;
}

/* Process context: top the reserve up with sleeping allocations. */
static void lnb_reserve_refill(struct work_struct *work)
{
	struct lnb_user *u;
	unsigned int room;

	while ((room = lnb_slot_room()) && !lnb_add_block(room))
		cond_resched();
	while (lnb_rec_room()) {
		u = lnb_record_alloc(0, GFP_KERNEL);
		if (!u)
			break;
		lnb_reserve_put(u);
		cond_resched();
	}
}

/*
 * @max_records: records the table may ever hold (bounds what is kept
 * ready); @max_hot: how many of them may have a hot block.
 */
int lnb_reserve_init(unsigned int max_records, unsigned int max_hot)
{
	rsv.cache = KMEM_CACHE(lnb_user, 0);
	if (!rsv.cache)
		return -ENOMEM;
	spin_lock_init(&rsv.lock);
	INIT_WORK(&rsv.refill, lnb_reserve_refill);
	INIT_LIST_HEAD(&rsv.blocks);
	rsv.want = min_t(unsigned int, max_records, LNB_RESERVE);
	rsv.max_hot = max_hot;
	rsv.nr_recs = 0;
	rsv.nr_slots = 0;
	rsv.nr_hot = 0;
	lnb_reserve_refill(NULL);
	return 0;
}

/* After every hook and reader is gone: nothing schedules the refill any more. */
void lnb_reserve_destroy(void)
{
	struct lnb_block *b, *tmp;

	cancel_work_sync(&rsv.refill);
	while (rsv.nr_recs)
		lnb_record_free(rsv.recs[--rsv.nr_recs]);
	list_for_each_entry_safe(b, tmp, &rsv.blocks, node) {
		free_percpu(b->slots);
		kfree(b);
	}
	kmem_cache_destroy(rsv.cache);
}
