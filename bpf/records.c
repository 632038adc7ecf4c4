// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading records and statistics.  A record is what the programs counted
 * (lnb_users, plus the user's slot in lnb_slots) minus what resets took
 * off (lnb_base).  Base is read before users and slots: all only grow, so
 * the difference never goes negative even when a reset runs between the
 * reads.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "internal.h"
#include "reserve.h"

static void lnb_make_record(struct linubia_bpf_record *r, __u32 uid,
			    const struct lnb_bpf_user *u, const struct lnb_bpf_base *b,
			    int64_t tai_offset)
{
	r->uid = uid;
	r->first_seen_ns = u->first_seen_tai_ns - tai_offset;
	r->last_reset_ns = b ? b->last_reset_ns : 0;
	r->delegated_by = u->delegated_by;
	for (int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		r->counters[i] = u->c[i] - (b ? b->c[i] : 0);
}

/* The statistics element and the configuration into *stats. */
static int lnb_stats_fill(struct linubia_bpf *h, struct linubia_bpf_stats *stats,
			  struct linubia_bpf_error *err)
{
	struct lnb_bpf_config cfg;
	struct lnb_bpf_stats st;
	__u32 zero = 0;
	int ret;

	if (bpf_map_lookup_elem(h->fd[LNB_MAP_STATS], &zero, &st))
		return lnb_fail(err, errno, "read the statistics", "retry");
	ret = lnb_config_read(h, &cfg, err);
	if (ret)
		return ret;
	stats->users = st.users > UINT32_MAX ? UINT32_MAX : (uint32_t)st.users;
	stats->max_users = h->max_entries - 1;
	stats->delegated_users = st.delegated > UINT32_MAX ? UINT32_MAX : (uint32_t)st.delegated;
	stats->max_delegated = cfg.max_delegated;
	memcpy(stats->values, st.s, sizeof(stats->values));
	return 0;
}

static int lnb_cmp_uid(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Give back what the doubling did not use (they live during the walk). */
static void lnb_trim(void **array, size_t *cap, size_t used, size_t size)
{
	void *p;

	if (!used || used == *cap)
		return;
	p = realloc(*array, used * size);
	if (p) {
		*array = p;
		*cap = used;
	}
}

/*
 * The reset baselines, kept sparsely (only non-zero counters, like the
 * library's snapshots) with an open-addressing index by uid: after a
 * reset of 100k users they take a few MB instead of 100k x 272 bytes.
 */
struct lnb_base_ent {
	__u32 uid;
	__u32 values;		/* index of its first value in the pool */
	__u64 mask;		/* bit i = counter i is non-zero */
	__u64 last_reset_ns;
};

struct lnb_bases {
	struct lnb_base_ent *ents;
	size_t n, cap;
	__u64 *values;
	size_t nvalues, values_cap;
	struct lnb_base_slot {
		__u32 uid;
		__u32 ent;	/* 0 = free slot, else ents index + 1 */
	} *index;
	unsigned int bits;	/* log2 of the index's slots */
};

static void lnb_bases_free(struct lnb_bases *b)
{
	free(b->ents);
	free(b->values);
	free(b->index);
}

/* Fibonacci hashing: the product's high bits, which every uid bit feeds. */
static __u32 lnb_uid_slot(const struct lnb_bases *b, __u32 uid)
{
	return (__u32)(uid * 0x9e3779b1u) >> (32 - b->bits);
}

static int lnb_bases_batch(const void *keys, const void *values, __u32 n, void *arg)
{
	const struct lnb_bpf_base *vals = values;
	struct lnb_bases *b = arg;

	if (lnb_reserve((void **)&b->ents, &b->cap, b->n, n, sizeof(*b->ents)) ||
	    lnb_reserve((void **)&b->values, &b->values_cap, b->nvalues,
			(size_t)n * LINUBIA_COUNTER_COUNT, sizeof(*b->values)) ||
	    b->nvalues + (size_t)n * LINUBIA_COUNTER_COUNT > UINT32_MAX)
		return -ENOMEM;
	for (__u32 k = 0; k < n; k++) {
		struct lnb_base_ent *e = &b->ents[b->n++];

		memcpy(&e->uid, (const __u32 *)keys + k, sizeof(e->uid));
		e->last_reset_ns = vals[k].last_reset_ns;
		e->values = (__u32)b->nvalues;
		e->mask = 0;
		for (unsigned int i = 0; i < LINUBIA_COUNTER_COUNT; i++) {
			__u64 v = vals[k].c[i];

			b->values[b->nvalues] = v;
			b->nvalues += v != 0;
			e->mask |= (__u64)(v != 0) << i;
		}
	}
	return 0;
}

static int lnb_read_bases(struct linubia_bpf *h, struct lnb_bases *b,
			  struct linubia_bpf_error *err)
{
	size_t slots = 16;
	int ret;

	memset(b, 0, sizeof(*b));
	ret = lnb_walk_map(h->fd[LNB_MAP_BASE], sizeof(__u32), sizeof(struct lnb_bpf_base),
			   lnb_bases_batch, b);
	if (ret)
		return lnb_fail(err, ret, "read the reset baselines",
				ret == -ENOMEM ? "free some memory" : "retry");
	if (!b->n)
		return 0;
	lnb_trim((void **)&b->ents, &b->cap, b->n, sizeof(*b->ents));
	lnb_trim((void **)&b->values, &b->values_cap, b->nvalues, sizeof(*b->values));
	b->bits = 4;
	while (slots < 2 * b->n) {	/* at most half full: short probes */
		slots *= 2;
		b->bits++;
	}
	if (b->n > UINT32_MAX / 4 || !(b->index = calloc(slots, sizeof(*b->index))))
		return lnb_fail(err, ENOMEM, "read the reset baselines", "free some memory");
	for (size_t i = 0; i < b->n; i++) {
		__u32 at = lnb_uid_slot(b, b->ents[i].uid);

		while (b->index[at].ent)
			at = (at + 1) & (__u32)(slots - 1);
		b->index[at].uid = b->ents[i].uid;
		b->index[at].ent = (__u32)i + 1;
	}
	return 0;
}

/* uid's baseline, or NULL. */
static const struct lnb_base_ent *lnb_base_find(const struct lnb_bases *b, __u32 uid)
{
	__u32 last = (1u << b->bits) - 1, at;

	if (!b->n)
		return NULL;
	for (at = lnb_uid_slot(b, uid); b->index[at].ent; at = (at + 1) & last)
		if (b->index[at].uid == uid)
			return &b->ents[b->index[at].ent - 1];
	return NULL;
}

struct lnb_each_ctx {
	const struct linubia_bpf *h;
	const struct lnb_bases *bases;
	int64_t tai_offset;
	linubia_bpf_record_fn fn;
	void *arg;
	int fn_ret;		/* what stopped the walk, if fn did */
	size_t count;
	struct linubia_bpf_record r;
};

static int lnb_users_batch(const void *keys, const void *values, __u32 n, void *arg)
{
	const struct lnb_bpf_user *vals = values;
	struct lnb_each_ctx *ctx = arg;
	const struct lnb_bases *bases = ctx->bases;
	const struct lnb_base_ent *base[LNB_WALK_CHUNK];
	struct linubia_bpf_record *r = &ctx->r;
	__u32 done = 0;

	while (done < n) {
		__u32 todo = n - done < LNB_WALK_CHUNK ? n - done : LNB_WALK_CHUNK;
		__u32 uid;

		/*
		 * Baselines are found in hash order, all over memory: fetch
		 * the whole batch's from RAM in parallel (index slots, then
		 * entries, then values) before using any.
		 */
		if (bases->n) {
			for (__u32 k = 0; k < todo; k++) {
				memcpy(&uid, (const __u32 *)keys + done + k, sizeof(uid));
				__builtin_prefetch(&bases->index[lnb_uid_slot(bases, uid)]);
			}
			for (__u32 k = 0; k < todo; k++) {
				memcpy(&uid, (const __u32 *)keys + done + k, sizeof(uid));
				base[k] = lnb_base_find(bases, uid);
				if (base[k])
					__builtin_prefetch(base[k]);
			}
			for (__u32 k = 0; k < todo; k++)
				if (base[k])
					__builtin_prefetch(&bases->values[base[k]->values]);
		}
		for (__u32 k = 0; k < todo; k++) {
			const struct lnb_bpf_user *u = &vals[done + k];
			const struct lnb_base_ent *b = bases->n ? base[k] : NULL;
			__u64 c[LINUBIA_COUNTER_COUNT];

			memcpy(&r->uid, (const __u32 *)keys + done + k, sizeof(r->uid));
			r->first_seen_ns = u->first_seen_tai_ns - ctx->tai_offset;
			r->last_reset_ns = b ? b->last_reset_ns : 0;
			r->delegated_by = u->delegated_by;
			memcpy(c, u->c, sizeof(c));
			lnb_slots_add(ctx->h, r->uid, c);
			memcpy(r->counters, c, sizeof(r->counters));
			if (b) {
				const __u64 *v = &bases->values[b->values];

				for (__u64 left = b->mask; left; left &= left - 1)
					r->counters[__builtin_ctzll(left)] -= *v++;
			}
			ctx->fn_ret = ctx->fn(r, ctx->arg);
			if (ctx->fn_ret)
				return ctx->fn_ret;
			ctx->count++;
		}
		done += todo;
	}
	return 0;
}

int linubia_bpf_read_each(struct linubia_bpf *h, linubia_bpf_record_fn fn, void *arg,
			  struct linubia_bpf_stats *stats, struct linubia_bpf_error *err)
{
	struct lnb_each_ctx ctx = { .h = h, .fn = fn, .arg = arg };
	struct lnb_bases bases;
	int ret;

	ret = lnb_check_current(h, err);
	if (ret)
		return ret;
	ret = lnb_read_bases(h, &bases, err);
	if (ret) {
		lnb_bases_free(&bases);
		return ret;
	}
	ctx.bases = &bases;
	ctx.tai_offset = lnb_tai_offset();
	ret = lnb_walk_map(h->fd[LNB_MAP_USERS], sizeof(__u32), sizeof(struct lnb_bpf_user),
			   lnb_users_batch, &ctx);
	lnb_bases_free(&bases);
	if (ret && ctx.fn_ret)
		return ret < 0 ? lnb_fail(err, ret, "read the records",
					  ret == -ENOMEM ? "free some memory" : "retry") : ret;
	if (ret)
		return lnb_fail(err, ret, "read the records", "retry");
	if (!stats)
		return 0;
	ret = lnb_stats_fill(h, stats, err);
	if (!ret)
		stats->users = ctx.count > UINT32_MAX ? UINT32_MAX : (uint32_t)ctx.count;
	return ret;
}

struct lnb_all_ctx {
	struct linubia_bpf_record *recs;
	size_t n, cap;
};

static int lnb_all_add(const struct linubia_bpf_record *r, void *arg)
{
	struct lnb_all_ctx *all = arg;

	if (lnb_reserve((void **)&all->recs, &all->cap, all->n, 1, sizeof(*all->recs)))
		return -ENOMEM;
	all->recs[all->n++] = *r;
	return 0;
}

int linubia_bpf_read_all(struct linubia_bpf *h, struct linubia_bpf_record **records,
			 size_t *count, struct linubia_bpf_error *err)
{
	struct lnb_all_ctx all = { NULL, 0, 0 };
	int ret = linubia_bpf_read_each(h, lnb_all_add, &all, NULL, err);

	if (!ret && !all.recs && !(all.recs = calloc(1, sizeof(*all.recs))))
		ret = lnb_fail(err, ENOMEM, "read the records", "free some memory");
	if (ret) {
		free(all.recs);
		return ret;
	}
	qsort(all.recs, all.n, sizeof(*all.recs), lnb_cmp_uid);
	*records = all.recs;
	*count = all.n;
	return 0;
}

int linubia_bpf_get_user(struct linubia_bpf *h, uint32_t uid,
			 struct linubia_bpf_record *record, struct linubia_bpf_error *err)
{
	struct lnb_bpf_base base;
	struct lnb_bpf_user user;
	bool have_base;
	int ret;

	ret = lnb_check_current(h, err);
	if (ret)
		return ret;
	have_base = bpf_map_lookup_elem(h->fd[LNB_MAP_BASE], &uid, &base) == 0;
	if (!have_base && errno != ENOENT)
		return lnb_failf(err, errno, "retry", "read the baseline of uid %u", uid);
	if (bpf_map_lookup_elem(h->fd[LNB_MAP_USERS], &uid, &user))
		return errno == ENOENT ?
		       lnb_failf(err, ENOENT, "it has sent and received nothing since load",
				 "uid %u has no record", uid) :
		       lnb_failf(err, errno, "retry", "read the record of uid %u", uid);
	lnb_slots_add(h, uid, user.c);
	lnb_make_record(record, uid, &user, have_base ? &base : NULL, lnb_tai_offset());
	return 0;
}

int linubia_bpf_read_stats(struct linubia_bpf *h, struct linubia_bpf_stats *stats,
			   struct linubia_bpf_error *err)
{
	int ret;

	ret = lnb_check_current(h, err);
	if (ret)
		return ret;
	return lnb_stats_fill(h, stats, err);
}
