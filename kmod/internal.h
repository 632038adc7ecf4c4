/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Definitions shared by the files of linubia.ko.  The user-visible layout
 * (counters, statistics, netlink) lives in include/uapi/linux/linubia.h.
 */
#ifndef LINUBIA_INTERNAL_H
#define LINUBIA_INTERNAL_H

#include <linux/atomic.h>
#include <linux/bottom_half.h>
#include <linux/hash.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/seqlock.h>
#include <linux/types.h>
#include <linux/u64_stats_sync.h>
#include <linux/linubia.h>

struct sock;
struct net;
struct cred;
struct sk_buff;

/*
 * Per-CPU u64 counters, bumped in any context.  On 64-bit, this_cpu_add()
 * alone is safe against preemption and interrupts (one instruction on x86)
 * and readers load whole u64s, so adds need neither BHs off nor a seqcount
 * (as SNMP_ADD_STATS64() in include/net/snmp.h).  On 32-bit, writers run
 * with BHs off inside the u64_stats seqcount that readers retry on.
 */
#if BITS_PER_LONG == 64
typedef u64 lnb_ctr_t;
#define lnb_ctr_read(c)		READ_ONCE(*(c))
#else
typedef u64_stats_t lnb_ctr_t;
#define lnb_ctr_read(c)		u64_stats_read(c)
#endif

/* One CPU's share of a hot record's counters. */
struct lnb_pcpu {
	lnb_ctr_t c[LINUBIA_COUNTER_COUNT];
	struct u64_stats_sync syncp;	/* empty on 64-bit */
};

/* "Not delegated" in lnb_user.delegated_by: no user can own that UID. */
#define LNB_NOT_DELEGATED	LINUBIA_UID_UNATTRIBUTED

/*
 * The record of one UID.  Never freed while the module is loaded.  Its
 * counters live in one of two places (counters.c): a hot record has a
 * per-CPU block (lock-free adds), a cold one only the shared atomics.
 * Amounts = cold + the sum of the per-CPU shares.
 */
struct lnb_user {
	struct hlist_node node;		/* in its bucket, RCU, tail-added */
	u32 uid;			/* in the initial user namespace */
	u32 delegated_by;		/* LNB_NOT_DELEGATED, or its delegating user */
	atomic_t nr_delegated;		/* records of UIDs this user delegated */
	u64 first_seen_ns;		/* CLOCK_REALTIME */
	seqcount_t reset_seq;		/* readers see a reset whole or not at all */
	u64 last_reset_ns;		/* CLOCK_REALTIME, 0 = never; under reset_seq */
	struct lnb_pcpu __percpu *hot;	/* NULL: cold (set once, before insert) */
	atomic64_t cold[LINUBIA_COUNTER_COUNT];
};

/*
 * The per-packet update (any context): @bytes and @packets to the counter
 * pair at @bytes_counter.  Inline: it is most of what a packet costs.
 */
static inline void lnb_user_add(struct lnb_user *u, unsigned int bytes_counter,
				u64 bytes, u64 packets)
{
	struct lnb_pcpu __percpu *hot = READ_ONCE(u->hot);
#if BITS_PER_LONG != 64
	struct lnb_pcpu *pc;
#endif

	if (unlikely(!hot)) {
		atomic64_add(bytes, &u->cold[bytes_counter]);
		atomic64_add(packets, &u->cold[bytes_counter + 1]);
		return;
	}
#if BITS_PER_LONG == 64
	this_cpu_add(hot->c[bytes_counter], bytes);
	this_cpu_add(hot->c[bytes_counter + 1], packets);
#else
	/* BHs off: softirq must not interleave with the seqcount writer. */
	local_bh_disable();
	pc = this_cpu_ptr(hot);
	u64_stats_update_begin(&pc->syncp);
	u64_stats_add(&pc->c[bytes_counter], bytes);
	u64_stats_add(&pc->c[bytes_counter + 1], packets);
	u64_stats_update_end(&pc->syncp);
	local_bh_enable();
#endif
}

/* counters.c: where a record's amounts live, read and reset. */
void lnb_user_read(const struct lnb_user *u, u64 out[LINUBIA_COUNTER_COUNT],
		   u64 *last_reset_ns);
u64 lnb_user_reset_locked(struct lnb_user *u, u64 seen[LINUBIA_COUNTER_COUNT]);
void lnb_pcpu_init(struct lnb_pcpu __percpu *pcpu);

/* reserve.c: fresh records and hot counter blocks, made in process context. */
int lnb_reserve_init(unsigned int max_records, unsigned int max_hot);
void lnb_reserve_destroy(void);
struct lnb_user *lnb_reserve_take(u32 uid);
void lnb_reserve_put(struct lnb_user *u);
void lnb_record_free(struct lnb_user *u);
struct lnb_user *lnb_record_alloc(u32 uid, gfp_t gfp);
unsigned int lnb_hot_capacity(void);
unsigned int lnb_nr_hot(void);
size_t lnb_record_bytes(void);
size_t lnb_hot_bytes(void);

/* delegate.c: who delegated the UID of a socket (user namespaces). */
u32 lnb_delegator(struct sock *sk, u32 uid);
void lnb_delegate_destroy(void);

/* table.c: the UID hash table, records, global statistics. */
int lnb_table_init(unsigned int *max_users, int *max_delegated);
void lnb_table_destroy(void);
struct lnb_user *lnb_user_make(u32 uid, struct sock *sk, enum linubia_stat *why);
bool lnb_insert_lock_held(void);

/* The UID hash: its buckets, for the per-packet lookup without a call. */
struct lnb_uid_hash {
	struct hlist_head *buckets;
	unsigned int bits;		/* >= 1: hash_32(x, 0) would shift by 32 */
};
extern struct lnb_uid_hash lnb_uids;

static inline struct hlist_head *lnb_uid_bucket(u32 uid)
{
	return &lnb_uids.buckets[hash_32(uid, lnb_uids.bits)];
}

/* Caller holds rcu_read_lock() or the table's insert lock. */
static inline struct lnb_user *lnb_user_lookup(u32 uid)
{
	struct lnb_user *u;

	hlist_for_each_entry_rcu(u, lnb_uid_bucket(uid), node,
				 lnb_insert_lock_held())
		if (u->uid == uid)
			return u;
	return NULL;
}

/*
 * The record to charge for @uid, made on first sight.  Never NULL: when the
 * table is full or memory is short, the unattributed record is returned; a
 * delegated UID beyond its user's bound gets its delegating user's record.
 * Either way *why says so (else it is left alone).  @sk: the full socket
 * owning the packet, for the delegation check (NULL: not delegated).
 * Caller holds rcu_read_lock(); any context.
 */
static inline struct lnb_user *lnb_user_get(u32 uid, struct sock *sk,
					    enum linubia_stat *why)
{
	struct lnb_user *u = lnb_user_lookup(uid);

	if (likely(u))
		return u;
	return lnb_user_make(uid, sk, why);
}
struct lnb_user *lnb_unattributed(void);
int lnb_user_reset(u32 uid, u64 cleared[LINUBIA_COUNTER_COUNT], u64 *reset_ns);
void lnb_reset_all(void);
void lnb_stat_add(enum linubia_stat stat, u64 val);
void lnb_stats_read(u64 out[LINUBIA_STAT_COUNT]);
unsigned int lnb_nr_records(void);
unsigned int lnb_nr_delegated(void);
unsigned int lnb_max_users(void);
unsigned int lnb_max_delegated(void);
int lnb_set_max_delegated(unsigned int max);
unsigned int lnb_nr_buckets(void);
struct hlist_head *lnb_bucket(unsigned int i);

/* lookup.c, sctp.c: the socket of an ingress packet without one. */
struct nf_hook_state;
struct sock *lnb_lookup_ingress(struct sk_buff *skb,
				const struct nf_hook_state *state,
				u8 l4proto, unsigned int l4off);
struct sock *lnb_sctp_lookup(struct net *net, struct sk_buff *skb, bool v4,
			     unsigned int off, int dif);
int lnb_sctp_init(void);
void lnb_sctp_exit(void);

/* hook.c: the per-packet path, registered in every network namespace. */
int lnb_hooks_init(void);
void lnb_hooks_exit(void);

/* netlink.c and procfs.c: the two views. */
int lnb_netlink_init(void);
void lnb_netlink_exit(void);
int lnb_procfs_init(void);
void lnb_procfs_exit(void);

/* access.c: who may read everything, reset and configure. */
int lnb_access_init(void);
bool lnb_admin_file(const struct file *file, const struct net *net);
bool lnb_reader_file(const struct file *file, const struct net *net);
u32 lnb_file_uid(const struct file *file);
u32 lnb_read_gid(void);
void lnb_set_read_gid(u32 gid);

/* main.c: runtime configuration. */
bool lnb_count_loopback(void);
void lnb_set_count_loopback(bool on);

#endif /* LINUBIA_INTERNAL_H */
