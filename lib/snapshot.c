// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Snapshots: every visible record, sorted by UID.  Stored compactly because
 * a full record is LINUBIA_COUNTER_COUNT x 8 bytes and most counters of most
 * users are zero (the module omits them too): each entry keeps a mask of its
 * non-zero counters and the index of their values in one shared pool.
 * 100k users with a handful of non-zero counters each take a few MB.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "reserve.h"

struct lnb_entry {
	uint32_t uid;
	uint32_t values;	/* index of its first value in the pool */
	uint64_t mask;		/* bit i = counter i is non-zero */
	uint64_t first_seen_ns;
	uint64_t last_reset_ns;
	uint32_t delegated_by;
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

int lnb_snapshot_add(struct linubia_snapshot *s, const struct linubia_record *r)
{
	return lnb_snapshot_add_fields(s, r->uid, r->first_seen_ns, r->last_reset_ns,
				       r->delegated_by, r->counters);
}

int lnb_snapshot_add_fields(struct linubia_snapshot *s, uint32_t uid,
			    uint64_t first_seen_ns, uint64_t last_reset_ns,
			    uint32_t delegated_by,
			    const uint64_t counters[LINUBIA_COUNTER_COUNT])
{
	struct lnb_entry *e;
	uint64_t *values;
	size_t n;
	uint64_t mask = 0;
	int err;

	/* Room for every counter, so that nothing is counted twice. */
	err = lnb_reserve((void **)&s->entries, &s->entries_cap, s->count, 1,
			  sizeof(*s->entries));
	if (!err)
		err = lnb_reserve((void **)&s->values, &s->values_cap, s->nvalues,
				  LINUBIA_COUNTER_COUNT, sizeof(*s->values));
	if (err)
		return err;
	if (s->nvalues > UINT32_MAX - LINUBIA_COUNTER_COUNT)
		return -ENOMEM;		/* entries index values with 32 bits */
	/* The mask first, then only the non-zero values (most are zero). */
	for (unsigned int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		mask |= (uint64_t)(counters[i] != 0) << i;
	values = s->values + s->nvalues;
	n = 0;
	for (uint64_t todo = mask; todo; todo &= todo - 1)
		values[n++] = counters[__builtin_ctzll(todo)];
	e = &s->entries[s->count++];
	e->uid = uid;
	e->values = (uint32_t)s->nvalues;
	e->mask = mask;
	e->first_seen_ns = first_seen_ns;
	e->last_reset_ns = last_reset_ns;
	e->delegated_by = delegated_by;
	s->nvalues += n;
	return 0;
}

void lnb_snapshot_set_stats(struct linubia_snapshot *s,
			    const struct linubia_stats *stats)
{
	s->stats = *stats;
}

/*
 * Sort the entries by UID: an LSD radix sort on the 32-bit UID in three
 * 11-bit digits (histograms of all three in one pass; a digit every entry
 * shares is skipped), through one scratch array freed at the end.
 * Backends deliver hash order.
 */
static int lnb_sort_entries(struct linubia_snapshot *s)
{
	enum { BITS = 11, BUCKETS = 1 << BITS, DIGITS = (32 + BITS - 1) / BITS };
	struct lnb_entry *from = s->entries, *to, *spare;
	size_t (*count)[BUCKETS];
	bool sorted = true;

	for (size_t i = 1; i < s->count && sorted; i++)
		sorted = s->entries[i - 1].uid <= s->entries[i].uid;
	if (sorted)
		return 0;
	to = malloc(s->count * sizeof(*to));
	count = calloc(DIGITS, sizeof(*count));
	if (!to || !count) {
		free(to);
		free(count);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->count; i++)
		for (unsigned int d = 0; d < DIGITS; d++)
			count[d][(from[i].uid >> (d * BITS)) & (BUCKETS - 1)]++;
	for (unsigned int d = 0; d < DIGITS; d++) {
		unsigned int shift = d * BITS;
		size_t at = 0;

		if (count[d][(from[0].uid >> shift) & (BUCKETS - 1)] == s->count)
			continue;	/* every entry has this digit */
		for (size_t b = 0; b < BUCKETS; b++) {
			size_t n = count[d][b];

			count[d][b] = at;
			at += n;
		}
		for (size_t i = 0; i < s->count; i++)
			to[count[d][(from[i].uid >> shift) & (BUCKETS - 1)]++] = from[i];
		spare = from;
		from = to;
		to = spare;
	}
	free(count);
	/* from holds the result; the other array is scratch. */
	free(from == s->entries ? to : s->entries);
	if (from != s->entries) {
		s->entries = from;
		s->entries_cap = s->count;
	}
	return 0;
}

/* Give back what the doubling arrays did not use (snapshots may live long). */
static void lnb_shrink(void **array, size_t *cap, size_t used, size_t size)
{
	void *p;

	if (!used || *cap - used < 1024)
		return;
	p = realloc(*array, used * size);
	if (p) {
		*array = p;
		*cap = used;
	}
}

int lnb_snapshot_finish(struct linubia_snapshot *s, struct lnb_detail *detail)
{
	struct timespec now;
	int err;

	/* Before the sort, whose scratch array is as large as the entries. */
	lnb_shrink((void **)&s->entries, &s->entries_cap, s->count, sizeof(*s->entries));
	lnb_shrink((void **)&s->values, &s->values_cap, s->nvalues, sizeof(*s->values));
	err = lnb_sort_entries(s);
	if (err)
		return err;
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
	r->delegated_by = e->delegated_by;
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
