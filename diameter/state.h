/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's state, driven by the main thread only: the sessions (one
 * per UID) and the records waiting for an answer, kept in the spool.
 * lnb_state_scan() turns one read of the counters into records (START for a
 * new UID, INTERIM when due, STOP + START on a reset, STOP when a record
 * is gone); nothing changes in memory unless the records reached the disk.
 */
#ifndef LNB_DIAMETER_STATE_H
#define LNB_DIAMETER_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "spool.h"

struct lnb_session_table {
	struct lnb_session **slots;	/* open addressing, by uid; NULL = free */
	size_t size, count;
};

struct lnb_stats {
	uint64_t made;			/* records written to the spool */
	uint64_t answered;		/* positive ACAs */
	uint64_t failed;		/* error answers and timeouts (re-sent later) */
	uint64_t resent;		/* sent with the T flag */
	uint64_t superseded;		/* INTERIMs replaced by a newer one: spool full */
	uint64_t not_made;		/* records not made: spool full or write failed */
};

struct lnb_state {
	struct lnb_session_table sessions;
	struct lnb_rec *head, *tail;	/* pending, spool order */
	long pending;
	long spool_max;
	uint32_t interval;		/* configured Acct-Interim-Interval */
	uint64_t next_seq;
	const char *identity;		/* for Session-Ids */
	uint32_t sid_hi, sid_lo;
	struct lnb_spool spool;
	struct lnb_stats stats;
	uint64_t rand_state;
	/* while loading */
	struct lnb_rec **load;
	size_t nload, capload;
	int load_sorted;
};

/* A read of the counters, as the scan needs it (liblinubia records). */
struct lnb_read {
	const struct linubia_record *recs;	/* sorted by uid */
	size_t count;
	uint64_t now_ms;			/* CLOCK_MONOTONIC */
	uint64_t now_s;				/* Unix time */
	/* uid -> User-Name; buf holds a number if there is no name */
	const char *(*user_name)(void *ctx, uint32_t uid, char buf[LINUBIA_UID_STRLEN]);
	void *ctx;
};

struct lnb_scan_result {
	size_t made, superseded, not_made;
	int err;			/* -errno of the spool write, 0 */
	uint64_t write_ns;		/* encoding + write + fdatasync of the batch */
};

void lnb_state_init(struct lnb_state *st, const char *identity, uint32_t interval,
		    long spool_max, uint64_t seed);
/* Load spool_dir; msg says what happened if not all was clean. */
int lnb_state_open(struct lnb_state *st, const char *dir, char *msg, size_t msgsize);
void lnb_state_free(struct lnb_state *st);

void lnb_state_scan(struct lnb_state *st, const struct lnb_read *rd,
		    struct lnb_scan_result *res);
/* STOP for every open session (clean shutdown) with its last read values. */
void lnb_state_stop_all(struct lnb_state *st, uint64_t now_s, struct lnb_scan_result *res);

/* Answers, in the main thread.  Collect DONE entries into b; then flush. */
void lnb_state_answered(struct lnb_state *st, struct lnb_rec *r, struct lnb_buf *b);
void lnb_state_failed(struct lnb_state *st, struct lnb_rec *r, uint64_t retry_at_ms);
/* The server's Acct-Interim-Interval wins for that session. */
void lnb_state_set_interval(struct lnb_state *st, uint32_t uid, const char *sid,
			    uint32_t interval, uint64_t now_ms);
int lnb_state_flush(struct lnb_state *st, struct lnb_buf *b);
/* Rewrite the journal when it holds mostly finished entries (or force). */
int lnb_state_compact(struct lnb_state *st, int force);

struct lnb_session *lnb_sessions_get(const struct lnb_session_table *t, uint32_t uid);

#endif
