// SPDX-License-Identifier: GPL-2.0-only
/*
 * Each NSS lookup of a UID that the user database does not list costs from
 * tens of microseconds (files) to milliseconds (SSSD/LDAP asking a server):
 * 10,000 such UIDs would make every scrape after a cache expiry take
 * seconds.  So a cache is never expired in place: the refresher thread
 * builds a new one (getpwent() once, then getpwuid_r() for the rest) and
 * swaps it in under the lock.  Caches are reference-counted: a scrape
 * keeps the one it started with until its body is done.
 *
 * Threads: libmicrohttpd's thread acquires, looks up (inserting the UIDs it
 * had to ask NSS for) and releases; the refresher only touches its private
 * new cache until the swap.  The lock covers the current pointer, the
 * reference counts and the refresher's state.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "names.h"

struct names_ref {
	struct linubia_names *cache;
	unsigned int refs;
	struct timespec born;
};

struct names {
	pthread_mutex_t lock;
	struct names_ref *current;
	unsigned int ttl;
	unsigned int generation;	/* caches the refresher made */
	bool running, done;		/* refresher thread state */
	pthread_t thread;
};

struct refresh_job {
	struct names *n;
	uint32_t *uids;
	size_t count;
};

static struct names_ref *ref_new(void)
{
	struct names_ref *r = calloc(1, sizeof(*r));

	if (r && !(r->cache = linubia_names_new())) {
		free(r);
		return NULL;
	}
	if (r) {
		r->refs = 1;
		clock_gettime(CLOCK_MONOTONIC, &r->born);
	}
	return r;
}

/* Drop a reference; the caller holds the lock (or is the only thread). */
static void ref_put(struct names_ref *r)
{
	if (r && --r->refs == 0) {
		linubia_names_free(r->cache);
		free(r);
	}
}

struct names *names_new(unsigned int ttl_seconds)
{
	struct names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->current = ref_new();
	if (!n->current || pthread_mutex_init(&n->lock, NULL)) {
		ref_put(n->current);
		free(n);
		return NULL;
	}
	n->ttl = ttl_seconds;
	return n;
}

static void *refresh_main(void *arg)
{
	struct refresh_job *job = arg;
	struct names *n = job->n;
	struct names_ref *fresh = ref_new();

	if (fresh) {
		(void)linubia_names_preload(fresh->cache);	/* one pass: the listed users */
		for (size_t i = 0; i < job->count; i++)
			(void)linubia_names_get(fresh->cache, job->uids[i]);
		clock_gettime(CLOCK_MONOTONIC, &fresh->born);
	} else {
		log_error("refresh the user names: out of memory");
	}
	pthread_mutex_lock(&n->lock);
	if (fresh) {
		ref_put(n->current);
		n->current = fresh;
		n->generation++;
	}
	n->done = true;
	pthread_mutex_unlock(&n->lock);
	free(job->uids);
	free(job);
	return NULL;
}

/* Join a finished refresher; the caller holds the lock. */
static void reap(struct names *n)
{
	if (n->running && n->done) {
		pthread_join(n->thread, NULL);
		n->running = false;
	}
}

/* Start a refresh of snapshot's UIDs unless one runs; the caller holds the lock. */
static void start_refresh(struct names *n, const struct linubia_snapshot *snapshot)
{
	struct refresh_job *job;
	size_t count = linubia_snapshot_count(snapshot);

	reap(n);
	if (n->running)
		return;
	job = calloc(1, sizeof(*job));
	if (job)
		job->uids = malloc((count ? count : 1) * sizeof(*job->uids));
	if (!job || !job->uids) {
		if (job)
			free(job);
		log_error("refresh the user names: out of memory");
		return;
	}
	job->n = n;
	job->count = count;
	for (size_t i = 0; i < count; i++)
		job->uids[i] = linubia_snapshot_uid(snapshot, i);
	n->done = false;
	if (pthread_create(&n->thread, NULL, refresh_main, job)) {
		log_error("refresh the user names: cannot start a thread");
		free(job->uids);
		free(job);
		return;
	}
	n->running = true;
}

static double age(const struct names_ref *r)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - r->born.tv_sec) + (now.tv_nsec - r->born.tv_nsec) / 1e9;
}

void names_warm(struct names *n, const struct linubia_snapshot *snapshot)
{
	pthread_mutex_lock(&n->lock);
	start_refresh(n, snapshot);
	pthread_mutex_unlock(&n->lock);
}

struct names_ref *names_acquire(struct names *n, const struct linubia_snapshot *snapshot)
{
	struct names_ref *r;
	bool wait;

	pthread_mutex_lock(&n->lock);
	reap(n);
	/* The very first cache is still being made (startup): waiting for it
	 * costs no more than asking NSS here, and asks once. */
	wait = n->running && n->generation == 0;
	pthread_mutex_unlock(&n->lock);
	if (wait) {
		pthread_join(n->thread, NULL);
		pthread_mutex_lock(&n->lock);
		n->running = false;
		pthread_mutex_unlock(&n->lock);
	}
	pthread_mutex_lock(&n->lock);
	if (age(n->current) >= n->ttl)
		start_refresh(n, snapshot);
	r = n->current;
	r->refs++;
	pthread_mutex_unlock(&n->lock);
	return r;
}

const char *names_display(struct names_ref *r, uint32_t uid, char buf[LINUBIA_UID_STRLEN])
{
	return linubia_names_display(r->cache, uid, buf);
}

void names_release(struct names *n, struct names_ref *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&n->lock);
	ref_put(r);
	pthread_mutex_unlock(&n->lock);
}

void names_free(struct names *n)
{
	if (!n)
		return;
	if (n->running)
		pthread_join(n->thread, NULL);
	ref_put(n->current);
	pthread_mutex_destroy(&n->lock);
	free(n);
}
