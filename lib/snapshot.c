// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Snapshots: every visible record, sorted by UID.  Stored compactly because
 * a full record is LINUBIA_COUNTER_COUNT x 8 bytes and most counters of most
 * users are zero (the module omits them too): each entry keeps a mask of its
 * non-zero counters and the index of their values in one shared pool.
 * 100k users with a handful of non-zero counters each take a few MB.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

struct lnb_entry {
	uint32_t uid;
	uint64_t mask;		/* bit i = counter i is non-zero */
	uint64_t first_seen_ns;
	uint64_t last_reset_ns;
	size_t values;		/* index of its first value in the pool */
};

struct linubia_snapshot {
	struct lnb_entry *entries;
	size_t count, entries_cap;
	uint64_t *values;
	size_t nvalues, values_cap;
	struct linubia_stats stats;
	uint64_t time_ns;
};

struct linubia_snapshot *lnb_snapshot_new(void)
{
	return calloc(1, sizeof(struct linubia_snapshot));
}

void linubia_snapshot_free(struct linubia_snapshot *s)
{
	if (!s)
		return;
	free(s->entries);
	free(s->values);
	free(s);
}

/* Make room for n more items of size in *array (doubling). */
static int lnb_reserve(void **array, size_t *cap, size_t used, size_t n,
		       size_t size)
{
	size_t want = *cap ? *cap : 64;
	void *grown;

	if (used + n <= *cap)
		return 0;
	while (want < used + n) {
		if (want > SIZE_MAX / 2 / size)
			return -ENOMEM;
		want *= 2;
	}
	grown = realloc(*array, want * size);
	if (!grown)
		return -ENOMEM;
	*array = grown;
	*cap = want;
	return 0;
}

int lnb_snapshot_add(struct linubia_snapshot *s, const struct linubia_record *r)
{
	struct lnb_entry *e;
	unsigned int nonzero = 0;
	int err;

	for (unsigned int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		nonzero += r->counters[i] != 0;
	err = lnb_reserve((void **)&s->entries, &s->entries_cap, s->count, 1,
			  sizeof(*s->entries));
	if (!err)
		err = lnb_reserve((void **)&s->values, &s->values_cap, s->nvalues,
				  nonzero, sizeof(*s->values));
	if (err)
		return err;
	e = &s->entries[s->count++];
	e->uid = r->uid;
	e->first_seen_ns = r->first_seen_ns;
	e->last_reset_ns = r->last_reset_ns;
	e->values = s->nvalues;
	e->mask = 0;
	for (unsigned int i = 0; i < LINUBIA_COUNTER_COUNT; i++) {
		if (!r->counters[i])
			continue;
		e->mask |= UINT64_C(1) << i;
		s->values[s->nvalues++] = r->counters[i];
	}
	return 0;
}

void lnb_snapshot_set_stats(struct linubia_snapshot *s,
			    const struct linubia_stats *stats)
{
	s->stats = *stats;
}

static int lnb_entry_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct lnb_entry *)a)->uid;
	uint32_t y = ((const struct lnb_entry *)b)->uid;

	return (x > y) - (x < y);
}

int lnb_snapshot_finish(struct linubia_snapshot *s, struct lnb_detail *detail)
{
	struct timespec now;

	if (s->count > 1)	/* entries is NULL when there are none */
		qsort(s->entries, s->count, sizeof(*s->entries), lnb_entry_cmp);
	for (size_t i = 1; i < s->count; i++) {
		if (s->entries[i].uid == s->entries[i - 1].uid) {
			lnb_detail_set(detail, "UID %u appears twice in the dump",
				       s->entries[i].uid);
			return -LINUBIA_EBADREPLY;
		}
	}
	if (clock_gettime(CLOCK_MONOTONIC, &now))
		return -errno;
	s->time_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	return 0;
}

size_t linubia_snapshot_count(const struct linubia_snapshot *s)
{
	return s->count;
}

uint64_t linubia_snapshot_time_ns(const struct linubia_snapshot *s)
{
	return s->time_ns;
}

const struct linubia_stats *linubia_snapshot_stats(const struct linubia_snapshot *s)
{
	return &s->stats;
}

uint32_t linubia_snapshot_uid(const struct linubia_snapshot *s, size_t i)
{
	return i < s->count ? s->entries[i].uid : LINUBIA_UID_UNATTRIBUTED;
}

/* Value of counter c of entry e (0 if not stored). */
static uint64_t lnb_entry_value(const struct linubia_snapshot *s,
				const struct lnb_entry *e, unsigned int c)
{
	uint64_t bit = UINT64_C(1) << c;

	if (!(e->mask & bit))
		return 0;
	return s->values[e->values + __builtin_popcountll(e->mask & (bit - 1))];
}

int linubia_snapshot_record(const struct linubia_snapshot *s, size_t i,
			    struct linubia_record *r)
{
	const struct lnb_entry *e;
	size_t v;

	if (i >= s->count)
		return -ERANGE;
	e = &s->entries[i];
	r->uid = e->uid;
	r->first_seen_ns = e->first_seen_ns;
	r->last_reset_ns = e->last_reset_ns;
	v = e->values;
	for (unsigned int c = 0; c < LINUBIA_COUNTER_COUNT; c++)
		r->counters[c] = (e->mask >> c) & 1 ? s->values[v++] : 0;
	return 0;
}

long linubia_snapshot_find(const struct linubia_snapshot *s, uint32_t uid)
{
	size_t lo = 0, hi = s->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->entries[mid].uid == uid)
			return (long)mid;
		if (s->entries[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}

uint64_t linubia_snapshot_sum(const struct linubia_snapshot *s, size_t i,
			      const struct linubia_sum *sum)
{
	const struct lnb_entry *e;
	uint64_t total = 0, todo;

	if (i >= s->count || !sum)
		return 0;
	e = &s->entries[i];
	for (todo = e->mask & sum->counter_mask; todo; todo &= todo - 1)
		total += lnb_entry_value(s, e, (unsigned int)__builtin_ctzll(todo));
	return total;
}
