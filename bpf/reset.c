// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Resets never touch what the programs count: they copy a record's current
 * counters into its baseline (lnb_base), and readers subtract.  An increment
 * racing with the copy is either in the copy (and reported as taken off) or
 * after it (and still in the record): never lost, never counted twice.
 * Resets are serialised by the lock file, so two of them never take the
 * same amount.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include <bpf/bpf.h>

#include "internal.h"

static __u64 lnb_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Caller holds the lock; user is the record just read, with its slot's counts. */
static int lnb_rebase(struct linubia_bpf *h, __u32 uid, const struct lnb_bpf_user *user,
		      __u64 now, struct linubia_bpf_record *cleared,
		      struct linubia_bpf_error *err)
{
	struct lnb_bpf_base old = { 0 }, base;

	if (bpf_map_lookup_elem(h->fd[LNB_MAP_BASE], &uid, &old) && errno != ENOENT)
		return lnb_failf(err, errno, "retry", "reset uid %u: read its baseline", uid);
	for (int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		base.c[i] = user->c[i];
	base.last_reset_ns = now;
	if (bpf_map_update_elem(h->fd[LNB_MAP_BASE], &uid, &base, BPF_ANY))
		return lnb_failf(err, errno, "retry", "reset uid %u: write its baseline", uid);
	if (cleared) {
		cleared->uid = uid;
		cleared->first_seen_ns = user->first_seen_tai_ns - lnb_tai_offset();
		cleared->last_reset_ns = now;
		cleared->delegated_by = user->delegated_by;
		for (int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
			cleared->counters[i] = user->c[i] - old.c[i];
	}
	return 0;
}

int linubia_bpf_reset_user(struct linubia_bpf *h, uint32_t uid,
			   struct linubia_bpf_record *cleared, struct linubia_bpf_error *err)
{
	struct lnb_bpf_user user;
	int lock, ret;

	ret = lnb_need_root(err, "reset");
	if (ret)
		return ret;
	lock = lnb_lock(err, "reset");
	if (lock < 0)
		return lock;
	/* Never write the baselines of an unloaded backend. */
	ret = lnb_check_current(h, err);
	if (!ret && bpf_map_lookup_elem(h->fd[LNB_MAP_USERS], &uid, &user)) {
		ret = errno == ENOENT ?
		      lnb_failf(err, ENOENT, "check the uid", "reset: uid %u has no record", uid) :
		      lnb_failf(err, errno, "retry", "reset: read the record of uid %u", uid);
	} else if (!ret) {
		lnb_slots_add(h, uid, user.c);
		ret = lnb_rebase(h, uid, &user, lnb_realtime_ns(), cleared, err);
	}
	lnb_unlock(lock);
	return ret;
}

int linubia_bpf_reset_all(struct linubia_bpf *h, struct linubia_bpf_error *err)
{
	void *keys = NULL, *vals = NULL;
	size_t n = 0;
	__u64 now;
	int lock, ret;

	ret = lnb_need_root(err, "reset");
	if (ret)
		return ret;
	lock = lnb_lock(err, "reset");
	if (lock < 0)
		return lock;
	ret = lnb_check_current(h, err);
	if (!ret) {
		ret = lnb_read_map(h->fd[LNB_MAP_USERS], sizeof(__u32),
				   sizeof(struct lnb_bpf_user), &keys, &vals, &n);
		if (ret)
			ret = lnb_fail(err, ret, "reset all: read the records", "retry");
	}
	now = lnb_realtime_ns();
	for (size_t i = 0; i < n && !ret; i++) {
		__u32 uid = ((__u32 *)keys)[i];
		struct lnb_bpf_user *user = &((struct lnb_bpf_user *)vals)[i];

		lnb_slots_add(h, uid, user->c);
		ret = lnb_rebase(h, uid, user, now, NULL, err);
	}
	lnb_unlock(lock);
	free(keys);
	free(vals);
	return ret;
}
