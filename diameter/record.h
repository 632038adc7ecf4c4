/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What linubia-diameter keeps: one session per UID (the state that makes
 * the next record) and the accounting records waiting for a positive ACA.
 */
#ifndef LNB_DIAMETER_RECORD_H
#define LNB_DIAMETER_RECORD_H

#include <stdint.h>

#include <linubia.h>

#include "avps.h"

/* Accounting-Record-Type (RFC 6733 section 9.8.1). */
enum lnb_rec_type { LNB_START = 2, LNB_INTERIM = 3, LNB_STOP = 4 };

struct lnb_session {
	uint32_t uid;
	int closed;			/* its STOP was made */
	uint32_t next_recno;		/* Accounting-Record-Number of the next record */
	uint32_t interval;		/* Acct-Interim-Interval in force, s */
	uint64_t first_seen_ns;		/* the backend record this session follows */
	uint64_t last_reset_ns;
	uint64_t base[LINUBIA_COUNTER_COUNT];	/* counters already reported before START */
	uint64_t last[LINUBIA_COUNTER_COUNT];	/* counters at the last read */
	char *sid;			/* Session-Id */
	char *user;			/* User-Name */
	uint64_t next_due_ms;		/* CLOCK_MONOTONIC; not persisted */
	uint64_t seen;			/* scan generation that last found it */
};

enum lnb_rec_state { LNB_WAITING, LNB_INFLIGHT };

struct lnb_rec {
	uint64_t seq;			/* spool order, unique */
	uint32_t uid;
	uint32_t type;			/* enum lnb_rec_type */
	uint32_t recno;
	uint32_t eteid;			/* End-to-End Identifier, kept for re-sends */
	uint64_t event_time;		/* Event-Timestamp, Unix seconds */
	uint32_t interval;		/* Acct-Interim-Interval to announce */
	uint64_t counters[LINUBIA_COUNTER_COUNT];	/* since START (backend - base) */
	char *sid;
	char *user;
	/* in memory only */
	int state;			/* enum lnb_rec_state */
	int resend;			/* set the T flag: it may have been sent before */
	int superseding;		/* marked for supersession in the scan being built */
	uint64_t retry_at_ms;		/* CLOCK_MONOTONIC */
	struct lnb_rec *prev, *next;	/* pending list, spool order */
	/* the outcome, filled in by the answer callback (acr.c) */
	uint32_t ans_result;		/* Result-Code, 0 = no answer in time */
	uint32_t ans_interval;		/* Acct-Interim-Interval of the ACA, 0 if none */
	int ans_local;			/* made by our own freeDiameter (no route) */
	struct lnb_rec *done_next;
};

void lnb_session_free(struct lnb_session *s);
void lnb_rec_free(struct lnb_rec *r);

#endif
