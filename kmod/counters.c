// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where a record's amounts live.  Per-CPU counters for every record would
 * cost 256 bytes per user per possible CPU (16 KiB per user on 64 CPUs), so
 * only the first records made get a per-CPU block ("hot", lock-free adds:
 * see lnb_ctr_t), as many as LNB_HOT_BUDGET holds on this machine; the
 * others ("cold") add to shared atomics.  Amounts = cold + all CPU shares.
 *
 * Reset = fetch the amounts, then subtract exactly them from the cold part
 * (it may wrap: the sum stays right modulo 2^64).  Increments racing with it
 * stay counted.  A reset runs inside the record's reset_seq write section,
 * so a reader sees it whole or not at all and never sums a fetched share
 * with a subtraction made after it (which would read as ~2^64).
 */
#include <linux/bottom_half.h>
#include <linux/ktime.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/string.h>

#include "internal.h"

void lnb_pcpu_init(struct lnb_pcpu __percpu *pcpu)
{
	int cpu;

	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(pcpu, cpu)->syncp);
}

static void lnb_user_sum(const struct lnb_user *u, u64 out[LINUBIA_COUNTER_COUNT])
{
	struct lnb_pcpu __percpu *hot = READ_ONCE(u->hot);
	u64 snap[LINUBIA_COUNTER_COUNT];
	unsigned int start, i;
	int cpu;

	for (i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		out[i] = (u64)atomic64_read(&u->cold[i]);
	if (!hot)
		return;
	for_each_possible_cpu(cpu) {
		const struct lnb_pcpu *pc = per_cpu_ptr(hot, cpu);

		do {
			start = u64_stats_fetch_begin(&pc->syncp);
			for (i = 0; i < LINUBIA_COUNTER_COUNT; i++)
				snap[i] = lnb_ctr_read(&pc->c[i]);
		} while (u64_stats_fetch_retry(&pc->syncp, start));
		for (i = 0; i < LINUBIA_COUNTER_COUNT; i++)
			out[i] += snap[i];
	}
}

/* The record's amounts and, if wanted, its last reset time, consistently. */
void lnb_user_read(const struct lnb_user *u, u64 out[LINUBIA_COUNTER_COUNT],
		   u64 *last_reset_ns)
{
	unsigned int seq;

	do {
		seq = read_seqcount_begin(&u->reset_seq);
		lnb_user_sum(u, out);
		if (last_reset_ns)
			*last_reset_ns = u->last_reset_ns;
	} while (read_seqcount_retry(&u->reset_seq, seq));
}

/*
 * Caller serialises resets (table.c's reset_lock); @seen gets what went.
 * Returns the reset's time (CLOCK_REALTIME ns), now the record's last.
 */
u64 lnb_user_reset_locked(struct lnb_user *u, u64 seen[LINUBIA_COUNTER_COUNT])
{
	u64 now = ktime_get_real_ns();
	unsigned int i;

	preempt_disable();	/* a seqcount_t writer must not be preempted */
	write_seqcount_begin(&u->reset_seq);
	lnb_user_sum(u, seen);
	for (i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		atomic64_sub(seen[i], &u->cold[i]);
	u->last_reset_ns = now;
	write_seqcount_end(&u->reset_seq);
	preempt_enable();
	return now;
}
