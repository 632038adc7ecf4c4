// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading records and statistics.  A record is what the programs counted
 * (lnb_users) minus what resets took off (lnb_base).  Base is read before
 * users: both only grow, so the difference never goes negative even when a
 * reset runs between the two reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "internal.h"

static void lnb_make_record(struct linubia_bpf_record *r, __u32 uid,
			    const struct lnb_bpf_user *u, const struct lnb_bpf_base *b,
			    int64_t tai_offset)
{
	r->uid = uid;
	r->first_seen_ns = u->first_seen_tai_ns - tai_offset;
	r->last_reset_ns = b ? b->last_reset_ns : 0;
	for (int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		r->counters[i] = u->c[i] - (b ? b->c[i] : 0);
}

static int lnb_cmp_uid(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Base entries sorted by uid, for bsearch: the uid is their first field. */
struct lnb_base_entry {
	__u32 uid;
	struct lnb_bpf_base base;
};

static int lnb_read_bases(struct linubia_bpf *h, struct lnb_base_entry **out,
			  size_t *n, struct linubia_bpf_error *err)
{
	void *keys, *vals;
	int ret = lnb_read_map(h->fd[LNB_MAP_BASE], sizeof(__u32),
			       sizeof(struct lnb_bpf_base), &keys, &vals, n);

	if (ret)
		return lnb_fail(err, ret, "read the reset baselines", "retry");
	*out = calloc(*n ? *n : 1, sizeof(**out));
	if (!*out) {
		ret = lnb_fail(err, ENOMEM, "read the reset baselines", "free some memory");
	} else {
		for (size_t i = 0; i < *n; i++) {
			(*out)[i].uid = ((__u32 *)keys)[i];
			(*out)[i].base = ((struct lnb_bpf_base *)vals)[i];
		}
		qsort(*out, *n, sizeof(**out), lnb_cmp_uid);
	}
	free(keys);
	free(vals);
	return ret;
}

int linubia_bpf_read_all(struct linubia_bpf *h, struct linubia_bpf_record **records,
			 size_t *count, struct linubia_bpf_error *err)
{
	struct lnb_base_entry *bases, *b;
	struct linubia_bpf_record *recs;
	size_t nbases, n;
	void *keys, *vals;
	int64_t offset;
	int ret;

	ret = lnb_read_bases(h, &bases, &nbases, err);
	if (ret)
		return ret;
	ret = lnb_read_map(h->fd[LNB_MAP_USERS], sizeof(__u32), sizeof(struct lnb_bpf_user),
			   &keys, &vals, &n);
	if (ret) {
		free(bases);
		return lnb_fail(err, ret, "read the records", "retry");
	}
	recs = calloc(n ? n : 1, sizeof(*recs));
	if (!recs) {
		ret = lnb_fail(err, ENOMEM, "read the records", "free some memory");
		goto out;
	}
	offset = lnb_tai_offset();
	for (size_t i = 0; i < n; i++) {
		__u32 uid = ((__u32 *)keys)[i];

		b = bsearch(&uid, bases, nbases, sizeof(*bases), lnb_cmp_uid);
		lnb_make_record(&recs[i], uid, &((struct lnb_bpf_user *)vals)[i],
				b ? &b->base : NULL, offset);
	}
	qsort(recs, n, sizeof(*recs), lnb_cmp_uid);
	*records = recs;
	*count = n;
out:
	free(bases);
	free(keys);
	free(vals);
	return ret;
}

int linubia_bpf_get_user(struct linubia_bpf *h, uint32_t uid,
			 struct linubia_bpf_record *record, struct linubia_bpf_error *err)
{
	struct lnb_bpf_base base;
	struct lnb_bpf_user user;
	bool have_base;

	have_base = bpf_map_lookup_elem(h->fd[LNB_MAP_BASE], &uid, &base) == 0;
	if (!have_base && errno != ENOENT)
		return lnb_failf(err, errno, "retry", "read the baseline of uid %u", uid);
	if (bpf_map_lookup_elem(h->fd[LNB_MAP_USERS], &uid, &user))
		return errno == ENOENT ?
		       lnb_failf(err, ENOENT, "it has sent and received nothing since load",
				 "uid %u has no record", uid) :
		       lnb_failf(err, errno, "retry", "read the record of uid %u", uid);
	lnb_make_record(record, uid, &user, have_base ? &base : NULL, lnb_tai_offset());
	return 0;
}

int linubia_bpf_read_stats(struct linubia_bpf *h, struct linubia_bpf_stats *stats,
			   struct linubia_bpf_error *err)
{
	struct lnb_bpf_stats st;
	__u32 zero = 0;
	size_t users;
	int ret;

	if (bpf_map_lookup_elem(h->fd[LNB_MAP_STATS], &zero, &st))
		return lnb_fail(err, errno, "read the statistics", "retry");
	ret = lnb_read_map(h->fd[LNB_MAP_USERS], sizeof(__u32), sizeof(struct lnb_bpf_user),
			   NULL, NULL, &users);
	if (ret)
		return lnb_fail(err, ret, "count the records", "retry");
	stats->users = users;
	stats->max_users = h->max_entries - 1;
	memcpy(stats->values, st.s, sizeof(stats->values));
	return 0;
}
