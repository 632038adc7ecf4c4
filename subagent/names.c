// SPDX-License-Identifier: GPL-2.0-only
/* User names looked up by a resolver thread (see names.h). */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "names.h"

enum lnb_name_state { LNB_NAME_FREE, LNB_NAME_PENDING, LNB_NAME_DONE };

struct lnb_name {
	uint32_t uid;
	unsigned char state;
	bool queued;		/* waiting for the resolver */
	char *name;		/* LNB_NAME_DONE: NULL = no such user */
	time_t retry_at;	/* no such user: ask again from then on */
};

struct lnb_names {
	pthread_mutex_t lock;
	pthread_cond_t work;
	pthread_cond_t done;	/* a lookup ended */
	pthread_t thread;
	bool stop;
	lnb_lookup_fn lookup;
	unsigned int negative_ttl;
	struct lnb_name *slots;	/* open addressing, at most half full */
	size_t cap, used;
	uint32_t *queue;	/* UIDs to look up, in order */
	size_t qhead, qlen, qcap;
};

static time_t lnb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int lnb_nss_lookup(uint32_t uid, char *buf, size_t len)
{
	struct passwd pw, *found = NULL;
	char *scratch;
	size_t size = 1024;
	int err, ret = 0;

	for (;;) {
		scratch = malloc(size);
		if (!scratch)
			return 0;
		err = getpwuid_r(uid, &pw, scratch, size, &found);
		if (err != ERANGE || size >= (1u << 20))
			break;
		free(scratch);
		size *= 2;
	}
	if (!err && found) {
		snprintf(buf, len, "%s", found->pw_name);
		ret = 1;
	}
	free(scratch);
	return ret;
}

static size_t lnb_hash(uint32_t uid, size_t cap)
{
	return (size_t)((uid * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (cap - 1);
}

static struct lnb_name *lnb_find(struct lnb_name *slots, size_t cap, uint32_t uid)
{
	size_t i = lnb_hash(uid, cap);

	while (slots[i].state != LNB_NAME_FREE && slots[i].uid != uid)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

/* Room for one more entry; false if out of memory. Lock held. */
static bool lnb_grow(struct lnb_names *n)
{
	size_t cap = n->cap * 2;
	struct lnb_name *slots;

	if ((n->used + 1) * 2 <= n->cap)
		return true;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return false;
	for (size_t i = 0; i < n->cap; i++)
		if (n->slots[i].state != LNB_NAME_FREE)
			*lnb_find(slots, cap, n->slots[i].uid) = n->slots[i];
	free(n->slots);
	n->slots = slots;
	n->cap = cap;
	return true;
}

static bool lnb_enqueue(struct lnb_names *n, uint32_t uid)
{
	if (n->qlen == n->qcap) {
		size_t cap = n->qcap ? n->qcap * 2 : 256;
		uint32_t *q = malloc(cap * sizeof(*q));

		if (!q)
			return false;
		for (size_t i = 0; i < n->qlen; i++)
			q[i] = n->queue[(n->qhead + i) % n->qcap];
		free(n->queue);
		n->queue = q;
		n->qcap = cap;
		n->qhead = 0;
	}
	n->queue[(n->qhead + n->qlen++) % n->qcap] = uid;
	pthread_cond_signal(&n->work);
	return true;
}

/* uid's entry, queued for a lookup if new or expired; NULL if no memory. */
static struct lnb_name *lnb_entry(struct lnb_names *n, uint32_t uid)
{
	struct lnb_name *e = lnb_find(n->slots, n->cap, uid);

	if (e->state == LNB_NAME_FREE) {
		if (!lnb_grow(n))
			return NULL;
		e = lnb_find(n->slots, n->cap, uid);
		if (!lnb_enqueue(n, uid))
			return NULL;
		e->uid = uid;
		e->state = LNB_NAME_PENDING;
		e->queued = true;
		n->used++;
	} else if (e->state == LNB_NAME_DONE && !e->name && !e->queued &&
		   lnb_now() >= e->retry_at) {
		e->queued = lnb_enqueue(n, uid);	/* answers "" meanwhile */
	}
	return e;
}

static void *lnb_resolver(void *arg)
{
	struct lnb_names *n = arg;
	char name[256];

	pthread_mutex_lock(&n->lock);
	for (;;) {
		struct lnb_name *e;
		uint32_t uid;
		int found;

		while (!n->stop && !n->qlen)
			pthread_cond_wait(&n->work, &n->lock);
		if (n->stop)
			break;
		uid = n->queue[n->qhead];
		n->qhead = (n->qhead + 1) % n->qcap;
		n->qlen--;
		pthread_mutex_unlock(&n->lock);
		found = n->lookup(uid, name, sizeof(name));	/* may block: unlocked */
		pthread_mutex_lock(&n->lock);
		e = lnb_find(n->slots, n->cap, uid);
		if (e->state == LNB_NAME_FREE || !e->queued)
			continue;
		free(e->name);
		e->name = found ? strdup(name) : NULL;
		e->state = LNB_NAME_DONE;
		e->queued = false;
		e->retry_at = lnb_now() + n->negative_ttl;
		pthread_cond_broadcast(&n->done);
	}
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

static int lnb_cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int err;

	if (pthread_condattr_init(&attr))
		return -1;
	err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) || pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
	return err ? -1 : 0;
}

static uint64_t lnb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct lnb_names *lnb_names_start(lnb_lookup_fn lookup, unsigned int negative_ttl)
{
	struct lnb_names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->lookup = lookup ? lookup : lnb_nss_lookup;
	n->negative_ttl = negative_ttl;
	n->cap = 256;
	n->slots = calloc(n->cap, sizeof(*n->slots));
	if (!n->slots || pthread_mutex_init(&n->lock, NULL)) {
		free(n->slots);
		free(n);
		return NULL;
	}
	if (pthread_cond_init(&n->work, NULL)) {
		pthread_mutex_destroy(&n->lock);
		free(n->slots);
		free(n);
		return NULL;
	}
	if (lnb_cond_init_monotonic(&n->done)) {
		pthread_cond_destroy(&n->work);
		pthread_mutex_destroy(&n->lock);
		free(n->slots);
		free(n);
		return NULL;
	}
	if (pthread_create(&n->thread, NULL, lnb_resolver, n)) {
		pthread_cond_destroy(&n->done);
		pthread_cond_destroy(&n->work);
		pthread_mutex_destroy(&n->lock);
		free(n->slots);
		free(n);
		return NULL;
	}
	return n;
}

/* Waits for a lookup in progress to end (it may take the NSS timeout). */
void lnb_names_stop(struct lnb_names *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	n->stop = true;
	pthread_cond_signal(&n->work);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->thread, NULL);
	for (size_t i = 0; i < n->cap; i++)
		free(n->slots[i].name);
	free(n->slots);
	free(n->queue);
	pthread_cond_destroy(&n->done);
	pthread_cond_destroy(&n->work);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

int lnb_names_peek(struct lnb_names *n, uint32_t uid, char *buf, size_t len,
		   uint64_t *budget_ns)
{
	uint64_t start = lnb_now_ns(), end = start + *budget_ns, now;
	struct lnb_name *e;
	struct timespec until = { (time_t)(end / 1000000000u), (long)(end % 1000000000u) };
	int known = 0;

	if (len)
		buf[0] = '\0';
	if (!n)
		return 0;
	pthread_mutex_lock(&n->lock);
	e = lnb_entry(n, uid);
	/* Within the budget, give the resolver the time it needs (the table
	 * may move when it grows: look the entry up again after a wait). */
	while (e && e->state == LNB_NAME_PENDING && *budget_ns &&
	       !pthread_cond_timedwait(&n->done, &n->lock, &until))
		e = lnb_find(n->slots, n->cap, uid);
	now = lnb_now_ns();
	*budget_ns = now >= end ? 0 : end - now;
	if (e && e->state == LNB_NAME_DONE) {
		if (e->name)
			snprintf(buf, len, "%s", e->name);
		known = 1;
	}
	pthread_mutex_unlock(&n->lock);
	return known;
}

void lnb_names_want(struct lnb_names *n, uint32_t uid)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	(void)lnb_entry(n, uid);
	pthread_mutex_unlock(&n->lock);
}
