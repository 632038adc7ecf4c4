/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Definitions shared by the files of linubia.ko.  The user-visible layout
 * (counters, statistics, netlink) lives in include/uapi/linux/linubia.h.
 */
#ifndef LINUBIA_INTERNAL_H
#define LINUBIA_INTERNAL_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/u64_stats_sync.h>
#include <linux/linubia.h>

/* One CPU's share of a record's counters (as nft_counter.c). */
struct lnb_pcpu {
	u64 c[LINUBIA_COUNTER_COUNT];
	struct u64_stats_sync syncp;
};

/* The record of one UID.  Never freed while the module is loaded. */
struct lnb_user {
	struct hlist_node node;		/* in its bucket, RCU, tail-added */
	u32 uid;			/* in the initial user namespace */
	u64 first_seen_ns;		/* CLOCK_REALTIME */
	u64 last_reset_ns;		/* CLOCK_REALTIME, 0 = never */
	struct lnb_pcpu __percpu *pcpu;
	bool own_pcpu;			/* else a slot of a reserve block */
};

/* table.c: the UID hash table, records, global statistics. */
int lnb_table_init(unsigned int *max_users);
void lnb_table_destroy(void);
struct lnb_user *lnb_user_lookup(u32 uid);
struct lnb_user *lnb_user_get(u32 uid, enum linubia_stat *why_unattributed);
struct lnb_user *lnb_unattributed(void);
void lnb_user_add(struct lnb_user *u, unsigned int bytes_counter,
		  u64 bytes, u64 packets);
void lnb_user_read(const struct lnb_user *u, u64 out[LINUBIA_COUNTER_COUNT]);
int lnb_user_reset(u32 uid, u64 cleared[LINUBIA_COUNTER_COUNT]);
void lnb_reset_all(void);
void lnb_stat_add(enum linubia_stat stat, u64 val);
void lnb_stats_read(u64 out[LINUBIA_STAT_COUNT]);
unsigned int lnb_nr_records(void);
unsigned int lnb_max_users(void);
unsigned int lnb_nr_buckets(void);
struct hlist_head *lnb_bucket(unsigned int i);

/* hook.c: the per-packet path, registered in every network namespace. */
int lnb_hooks_init(void);
void lnb_hooks_exit(void);

/* netlink.c and procfs.c: the two views. */
int lnb_netlink_init(void);
void lnb_netlink_exit(void);
int lnb_procfs_init(void);
void lnb_procfs_exit(void);

/* main.c: runtime configuration. */
bool lnb_count_loopback(void);
void lnb_set_count_loopback(bool on);

#endif /* LINUBIA_INTERNAL_H */
