// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sessions and pending records (state.h).  Single-threaded: the answer
 * callbacks of freeDiameter hand their results to the main thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "state.h"

/* Session table: open addressing, linear probing, backward-shift delete. */

static size_t lnb_hash(uint32_t uid, size_t size)
{
	return (size_t)((uid * 2654435761u) & (size - 1));
}

struct lnb_session *lnb_sessions_get(const struct lnb_session_table *t, uint32_t uid)
{
	if (!t->size)
		return NULL;
	for (size_t i = lnb_hash(uid, t->size);; i = (i + 1) & (t->size - 1)) {
		if (!t->slots[i])
			return NULL;
		if (t->slots[i]->uid == uid)
			return t->slots[i];
	}
}

static int lnb_sessions_grow(struct lnb_session_table *t)
{
	size_t size = t->size ? t->size * 2 : 1024;
	struct lnb_session **slots = calloc(size, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->size; i++) {
		struct lnb_session *s = t->slots[i];
		size_t j;

		if (!s)
			continue;
		for (j = lnb_hash(s->uid, size); slots[j]; j = (j + 1) & (size - 1))
			;
		slots[j] = s;
	}
	free(t->slots);
	t->slots = slots;
	t->size = size;
	return 0;
}

/* Insert s, replacing (and freeing) the session of the same uid. */
static int lnb_sessions_put(struct lnb_session_table *t, struct lnb_session *s)
{
	size_t i;

	if ((t->count + 1) * 2 > t->size && lnb_sessions_grow(t) < 0)
		return -ENOMEM;
	for (i = lnb_hash(s->uid, t->size); t->slots[i]; i = (i + 1) & (t->size - 1)) {
		if (t->slots[i]->uid == s->uid) {
			if (t->slots[i] != s)
				lnb_session_free(t->slots[i]);
			t->slots[i] = s;
			return 0;
		}
	}
	t->slots[i] = s;
	t->count++;
	return 0;
}

static void lnb_sessions_del(struct lnb_session_table *t, size_t i)
{
	size_t j = i;

	lnb_session_free(t->slots[i]);
	t->slots[i] = NULL;
	t->count--;
	for (;;) {
		size_t k;

		j = (j + 1) & (t->size - 1);
		if (!t->slots[j])
			return;
		k = lnb_hash(t->slots[j]->uid, t->size);
		/* move slots[j] into the hole if its home is not in (i, j] */
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			t->slots[i] = t->slots[j];
			t->slots[j] = NULL;
			i = j;
		}
	}
}

/* Pending list ----------------------------------------------------------- */

static void lnb_list_append(struct lnb_state *st, struct lnb_rec *r)
{
	r->prev = st->tail;
	r->next = NULL;
	if (st->tail)
		st->tail->next = r;
	else
		st->head = r;
	st->tail = r;
	st->pending++;
}

static void lnb_list_remove(struct lnb_state *st, struct lnb_rec *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		st->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		st->tail = r->prev;
	st->pending--;
}

/* Random numbers for jitter, End-to-End ids and Session-Ids (xorshift). */
static uint64_t lnb_rand(struct lnb_state *st)
{
	uint64_t x = st->rand_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	st->rand_state = x;
	return x;
}

void lnb_state_init(struct lnb_state *st, const char *identity, uint32_t interval,
		    long spool_max, uint64_t seed)
{
	memset(st, 0, sizeof(*st));
	st->identity = identity;
	st->interval = interval;
	st->spool_max = spool_max;
	st->next_seq = 1;
	st->rand_state = seed ? seed : 0x9e3779b97f4a7c15ull;
	st->sid_hi = (uint32_t)(seed >> 32);
	st->sid_lo = (uint32_t)lnb_rand(st);
	st->spool.fd = st->spool.dirfd = -1;
}

/* Loading ---------------------------------------------------------------- */

struct lnb_load_sink {
	struct lnb_spool_sink sink;	/* first: the parser hands this back */
	struct lnb_state *st;
};

static struct lnb_state *lnb_of(struct lnb_spool_sink *sink)
{
	return ((struct lnb_load_sink *)(void *)sink)->st;
}

static int lnb_load_session(struct lnb_spool_sink *sink, struct lnb_session *s)
{
	if (lnb_sessions_put(&lnb_of(sink)->sessions, s) < 0) {
		lnb_session_free(s);
		return -ENOMEM;
	}
	return 0;
}

static int lnb_load_record(struct lnb_spool_sink *sink, struct lnb_rec *r)
{
	struct lnb_state *st = lnb_of(sink);
	struct lnb_session *s = lnb_sessions_get(&st->sessions, r->uid);

	if (st->nload == st->capload) {
		size_t cap = st->capload ? st->capload * 2 : 1024;
		struct lnb_rec **p = realloc(st->load, cap * sizeof(*p));

		if (!p) {
			lnb_rec_free(r);
			return -ENOMEM;
		}
		st->load = p;
		st->capload = cap;
	}
	if (st->nload && st->load[st->nload - 1]->seq >= r->seq)
		st->load_sorted = 0;
	st->load[st->nload++] = r;
	if (r->seq >= st->next_seq)
		st->next_seq = r->seq + 1;
	/* the session's progress is in its records */
	if (s && !strcmp(s->sid, r->sid) && r->recno >= s->next_recno) {
		s->next_recno = r->recno + 1;
		for (int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
			s->last[i] = s->base[i] + r->counters[i];
		if (r->type == LNB_STOP)
			s->closed = 1;
	}
	return 0;
}

static int lnb_load_done(struct lnb_spool_sink *sink, uint64_t seq, int reason)
{
	struct lnb_state *st = lnb_of(sink);

	(void)reason;
	if (st->load_sorted) {
		size_t lo = 0, hi = st->nload;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (st->load[mid]->seq < seq)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < st->nload && st->load[lo]->seq == seq)
			st->load[lo]->state = -1;
		return 0;
	}
	for (size_t i = 0; i < st->nload; i++)
		if (st->load[i]->seq == seq)
			st->load[i]->state = -1;
	return 0;
}

int lnb_state_open(struct lnb_state *st, const char *dir, char *msg, size_t msgsize)
{
	struct lnb_load_sink ls = { { lnb_load_session, lnb_load_record, lnb_load_done }, st };
	int err;

	st->load_sorted = 1;
	err = lnb_spool_open(&st->spool, dir, &ls.sink, msg, msgsize);
	for (size_t i = 0; i < st->nload; i++) {
		struct lnb_rec *r = st->load[i];

		if (err || r->state == -1) {
			lnb_rec_free(r);
			continue;
		}
		/* it may have reached the server before the restart */
		r->state = LNB_WAITING;
		r->resend = 1;
		lnb_list_append(st, r);
	}
	free(st->load);
	st->load = NULL;
	st->nload = st->capload = 0;
	if (err)
		return err;
	/* a fresh journal with only what is live; if the disk is too full for
	 * the copy, the old one simply stays */
	err = lnb_state_compact(st, 1);
	if (err && !msg[0])
		snprintf(msg, msgsize, "compacting the spool failed: %s (the journal stays as it "
			 "was)", strerror(-err));
	return 0;
}

void lnb_state_free(struct lnb_state *st)
{
	struct lnb_rec *r = st->head, *next;

	for (; r; r = next) {
		next = r->next;
		lnb_rec_free(r);
	}
	st->head = st->tail = NULL;
	for (size_t i = 0; i < st->sessions.size; i++)
		lnb_session_free(st->sessions.slots[i]);
	free(st->sessions.slots);
	memset(&st->sessions, 0, sizeof(st->sessions));
	lnb_spool_close(&st->spool);
}

/* Scanning --------------------------------------------------------------- */

/* What one scan adds, applied only once it is on disk. */
struct lnb_batch {
	struct lnb_rec **recs;
	struct lnb_session **sessions;	/* new sessions, in the order made */
	struct lnb_rec **supersede;
	size_t nrecs, nsessions, nsupersede, cap;
	int oom;
};

static int lnb_batch_room(struct lnb_batch *b)
{
	size_t cap;
	void *p;

	if (b->nrecs < b->cap && b->nsessions < b->cap && b->nsupersede < b->cap)
		return 0;
	cap = b->cap ? b->cap * 2 : 256;
	p = realloc(b->recs, cap * sizeof(*b->recs));
	if (!p)
		return -1;
	b->recs = p;
	p = realloc(b->sessions, cap * sizeof(*b->sessions));
	if (!p)
		return -1;
	b->sessions = p;
	p = realloc(b->supersede, cap * sizeof(*b->supersede));
	if (!p)
		return -1;
	b->supersede = p;
	b->cap = cap;
	return 0;
}

static void lnb_batch_free(struct lnb_batch *b)
{
	free(b->recs);
	free(b->sessions);
	free(b->supersede);
}

static struct lnb_rec *lnb_make_rec(struct lnb_state *st, const struct lnb_session *s,
				    uint32_t type, uint32_t recno, const uint64_t *counters,
				    uint64_t now_s)
{
	struct lnb_rec *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->seq = st->next_seq++;
	r->uid = s->uid;
	r->type = type;
	r->recno = recno;
	/* RFC 6733 section 3: low 12 bits of the time, then 20 random bits */
	r->eteid = (uint32_t)((now_s & 0xfff) << 20) | (uint32_t)(lnb_rand(st) & 0xfffff);
	r->event_time = now_s;
	r->interval = s->interval;
	for (int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		r->counters[i] = counters[i] - s->base[i];
	r->sid = strdup(s->sid);
	r->user = strdup(s->user);
	if (!r->sid || !r->user) {
		lnb_rec_free(r);
		return NULL;
	}
	r->state = LNB_WAITING;
	return r;
}

static struct lnb_session *lnb_new_session(struct lnb_state *st, const struct linubia_record *k,
					   const uint64_t *base, const struct lnb_read *rd)
{
	struct lnb_session *s = calloc(1, sizeof(*s));
	char buf[LINUBIA_UID_STRLEN], sid[64];
	const char *user;
	size_t n;

	if (!s)
		return NULL;
	s->uid = k->uid;
	s->interval = st->interval;
	s->first_seen_ns = k->first_seen_ns;
	s->last_reset_ns = k->last_reset_ns;
	memcpy(s->base, base, sizeof(s->base));
	memcpy(s->last, k->counters, sizeof(s->last));
	/* RFC 6733 section 8.8: <DiameterIdentity>;<high 32>;<low 32>;<optional> */
	snprintf(sid, sizeof(sid), ";%u;%u;%u", st->sid_hi, st->sid_lo++, k->uid);
	n = strlen(st->identity) + strlen(sid) + 1;
	s->sid = malloc(n);
	user = rd->user_name(rd->ctx, k->uid, buf);
	s->user = strndup(user, LNB_STR_MAX);
	if (!s->sid || !s->user) {
		lnb_session_free(s);
		return NULL;
	}
	snprintf(s->sid, n, "%s%s", st->identity, sid);
	s->seen = 0;
	/* the first INTERIM at a random point of the interval (RFC 6733 9.8.2) */
	s->next_due_ms = rd->now_ms + 1 + lnb_rand(st) % ((uint64_t)s->interval * 1000);
	return s;
}

/* The oldest waiting INTERIM (of session sid, or of any if sid is NULL). */
static struct lnb_rec *lnb_oldest_interim(struct lnb_state *st, const char *sid)
{
	for (struct lnb_rec *r = st->head; r; r = r->next)
		if (r->type == LNB_INTERIM && r->state == LNB_WAITING && !r->superseding &&
		    (!sid || !strcmp(r->sid, sid)))
			return r;
	return NULL;
}

/*
 * Make room for need more records in a full spool (RFC 6733 section 9.4):
 * supersede the oldest waiting INTERIM of the same session (the new
 * record carries its values and more), else, for START and STOP, the
 * oldest waiting INTERIM of any session.  0 if there is room.
 */
static int lnb_room(struct lnb_state *st, struct lnb_batch *b, const char *sid, int need,
		    int any)
{
	while (st->pending + (long)b->nrecs - (long)b->nsupersede + need > st->spool_max) {
		struct lnb_rec *old = lnb_oldest_interim(st, sid);

		if (!old && any)
			old = lnb_oldest_interim(st, NULL);
		if (!old || lnb_batch_room(b) < 0)
			return -1;
		old->superseding = 1;
		b->supersede[b->nsupersede++] = old;
	}
	return 0;
}

static int lnb_add_rec(struct lnb_batch *b, struct lnb_rec *r)
{
	if (!r || lnb_batch_room(b) < 0) {
		lnb_rec_free(r);
		b->oom = 1;
		return -1;
	}
	b->recs[b->nrecs++] = r;
	return 0;
}

static int lnb_add_session(struct lnb_batch *b, struct lnb_session *s)
{
	if (!s || lnb_batch_room(b) < 0) {
		lnb_session_free(s);
		b->oom = 1;
		return -1;
	}
	b->sessions[b->nsessions++] = s;
	return 0;
}

static int lnb_went_down(const uint64_t *now, const uint64_t *before)
{
	for (int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		if (now[i] < before[i])
			return 1;
	return 0;
}

static const uint64_t lnb_zero[LINUBIA_COUNTER_COUNT];

/* A new session for k (after s, closed or replaced, if any) + its START. */
static void lnb_start(struct lnb_state *st, struct lnb_batch *b, const struct linubia_record *k,
		      const uint64_t *base, const struct lnb_read *rd)
{
	struct lnb_session *ns = lnb_new_session(st, k, base, rd);

	if (lnb_add_session(b, ns) < 0)
		return;
	lnb_add_rec(b, lnb_make_rec(st, ns, LNB_START, 0, k->counters, rd->now_s));
}

static void lnb_scan_one(struct lnb_state *st, struct lnb_batch *b, const struct linubia_record *k,
			 const struct lnb_read *rd, uint64_t gen, struct lnb_scan_result *res)
{
	struct lnb_session *s = lnb_sessions_get(&st->sessions, k->uid);

	if (s)
		s->seen = gen;
	if (!s || s->closed) {
		const uint64_t *base = lnb_zero;

		/* the same backend record as a session that stopped cleanly:
		 * what it reported is not reported again */
		if (s && s->first_seen_ns == k->first_seen_ns &&
		    s->last_reset_ns == k->last_reset_ns && !lnb_went_down(k->counters, s->last))
			base = s->last;
		if (lnb_room(st, b, NULL, 1, 1) < 0) {
			res->not_made++;
			return;
		}
		lnb_start(st, b, k, base, rd);
		return;
	}
	if (s->first_seen_ns != k->first_seen_ns || s->last_reset_ns != k->last_reset_ns ||
	    lnb_went_down(k->counters, s->last)) {
		/* reset (or a new record): STOP with the last values read
		 * before it, then a new session from zero */
		if (lnb_room(st, b, s->sid, 2, 1) < 0) {
			res->not_made += 2;
			return;
		}
		lnb_add_rec(b, lnb_make_rec(st, s, LNB_STOP, s->next_recno, s->last, rd->now_s));
		lnb_start(st, b, k, lnb_zero, rd);
		return;
	}
	memcpy(s->last, k->counters, sizeof(s->last));
	if (rd->now_ms < s->next_due_ms)
		return;
	if (lnb_room(st, b, s->sid, 1, 0) < 0) {
		res->not_made++;
		return;
	}
	lnb_add_rec(b, lnb_make_rec(st, s, LNB_INTERIM, s->next_recno, k->counters, rd->now_s));
}

static void lnb_batch_encode(const struct lnb_batch *b, struct lnb_spool_batch *w)
{
	size_t si = 0;

	for (size_t i = 0; i < b->nsupersede; i++) {
		lnb_enc_done(&w->buf, b->supersede[i]->seq, LNB_DONE_SUPERSEDED);
		lnb_spool_batch_flush(w);
	}
	for (size_t i = 0; i < b->nrecs; i++) {
		const struct lnb_rec *r = b->recs[i];

		/* a new session's state goes just before its START */
		if (r->type == LNB_START && si < b->nsessions &&
		    !strcmp(b->sessions[si]->sid, r->sid))
			lnb_enc_session(&w->buf, b->sessions[si++]);
		lnb_enc_record(&w->buf, r);
		lnb_spool_batch_flush(w);
	}
}

static void lnb_batch_commit(struct lnb_state *st, struct lnb_batch *b, uint64_t now_ms,
			     uint64_t gen)
{
	for (size_t i = 0; i < b->nsupersede; i++) {
		lnb_list_remove(st, b->supersede[i]);
		lnb_rec_free(b->supersede[i]);
		st->stats.superseded++;
	}
	for (size_t i = 0; i < b->nsessions; i++) {
		b->sessions[i]->seen = gen;
		/* replaces (frees) the closed or reset session of that uid */
		if (lnb_sessions_put(&st->sessions, b->sessions[i]) < 0) {
			/* only growth can fail: keep it out, its records still go */
			lnb_session_free(b->sessions[i]);
			b->sessions[i] = NULL;
		}
	}
	for (size_t i = 0; i < b->nrecs; i++) {
		struct lnb_rec *r = b->recs[i];
		struct lnb_session *s = lnb_sessions_get(&st->sessions, r->uid);

		if (s && !strcmp(s->sid, r->sid)) {
			s->next_recno = r->recno + 1;
			if (r->type == LNB_STOP)
				s->closed = 1;
			if (r->type == LNB_INTERIM) {
				s->next_due_ms += (uint64_t)s->interval * 1000;
				if (s->next_due_ms <= now_ms)
					s->next_due_ms = now_ms + (uint64_t)s->interval * 1000;
			}
		}
		lnb_list_append(st, r);
		st->stats.made++;
	}
}

static void lnb_batch_abort(struct lnb_batch *b)
{
	for (size_t i = 0; i < b->nsupersede; i++)
		b->supersede[i]->superseding = 0;
	for (size_t i = 0; i < b->nrecs; i++)
		lnb_rec_free(b->recs[i]);
	for (size_t i = 0; i < b->nsessions; i++)
		lnb_session_free(b->sessions[i]);
}

static void lnb_batch_finish(struct lnb_state *st, struct lnb_batch *b, uint64_t now_ms,
			     uint64_t gen, struct lnb_scan_result *res)
{
	res->err = 0;
	if (b->oom) {
		res->err = -ENOMEM;
	} else if (b->nrecs || b->nsupersede) {
		struct lnb_spool_batch w;
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		lnb_spool_batch_begin(&w, &st->spool);
		lnb_batch_encode(b, &w);
		/* on disk before anything is sent: one fdatasync per scan */
		res->err = lnb_spool_batch_end(&w);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		res->write_ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u +
				(uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec;
	}
	if (res->err) {
		res->not_made += b->nrecs;
		lnb_batch_abort(b);
	} else {
		res->made = b->nrecs;
		res->superseded = b->nsupersede;
		lnb_batch_commit(st, b, now_ms, gen);
	}
	st->stats.not_made += res->not_made;
	lnb_batch_free(b);
}

void lnb_state_scan(struct lnb_state *st, const struct lnb_read *rd, struct lnb_scan_result *res)
{
	static uint64_t generation = 1;
	uint64_t gen = ++generation;
	struct lnb_batch b = { 0 };

	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < rd->count; i++)
		lnb_scan_one(st, &b, &rd->recs[i], rd, gen, res);
	/* sessions whose record is gone: STOP; closed ones are forgotten */
	for (size_t i = 0; i < st->sessions.size;) {
		struct lnb_session *s = st->sessions.slots[i];

		if (!s || s->seen == gen) {
			i++;
			continue;
		}
		if (s->closed) {
			lnb_sessions_del(&st->sessions, i);	/* slot i refilled: look again */
			continue;
		}
		if (lnb_room(st, &b, s->sid, 1, 1) < 0)
			res->not_made++;
		else
			lnb_add_rec(&b, lnb_make_rec(st, s, LNB_STOP, s->next_recno, s->last,
						     rd->now_s));
		i++;
	}
	lnb_batch_finish(st, &b, rd->now_ms, gen, res);
}

void lnb_state_stop_all(struct lnb_state *st, uint64_t now_s, struct lnb_scan_result *res)
{
	struct lnb_batch b = { 0 };

	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < st->sessions.size; i++) {
		struct lnb_session *s = st->sessions.slots[i];

		if (!s || s->closed)
			continue;
		if (lnb_room(st, &b, s->sid, 1, 1) < 0)
			res->not_made++;
		else
			lnb_add_rec(&b, lnb_make_rec(st, s, LNB_STOP, s->next_recno, s->last, now_s));
	}
	lnb_batch_finish(st, &b, 0, 0, res);
}

/* Answers ---------------------------------------------------------------- */

void lnb_state_answered(struct lnb_state *st, struct lnb_rec *r, struct lnb_buf *b)
{
	lnb_enc_done(b, r->seq, LNB_DONE_ANSWERED);
	lnb_list_remove(st, r);
	lnb_rec_free(r);
	st->stats.answered++;
}

void lnb_state_failed(struct lnb_state *st, struct lnb_rec *r, uint64_t retry_at_ms)
{
	r->state = LNB_WAITING;
	r->resend = 1;
	r->retry_at_ms = retry_at_ms;
	st->stats.failed++;
}

void lnb_state_set_interval(struct lnb_state *st, uint32_t uid, const char *sid,
			    uint32_t interval, uint64_t now_ms)
{
	struct lnb_session *s = lnb_sessions_get(&st->sessions, uid);

	if (!s || strcmp(s->sid, sid) || interval == 0 || s->interval == interval)
		return;
	s->interval = interval;
	if (s->next_due_ms > now_ms + (uint64_t)interval * 1000)
		s->next_due_ms = now_ms + (uint64_t)interval * 1000;
}

/* Answered records need no fdatasync: one lost on a crash is sent again
 * with the T flag and the server drops the duplicate. */
int lnb_state_flush(struct lnb_state *st, struct lnb_buf *b)
{
	int err = b->len ? lnb_spool_append(&st->spool, b, 0) : 0;

	lnb_buf_free(b);
	return err;
}

int lnb_state_compact(struct lnb_state *st, int force)
{
	uint64_t live = LNB_SPOOL_MAGIC_LEN + st->sessions.count * 640 + (uint64_t)st->pending * 400;
	struct lnb_buf img = { 0 };
	int err;

	if (!force && (st->spool.bytes < 4 * 1024 * 1024 || st->spool.bytes < 3 * live))
		return 0;
	/* magic, every session, then the pending records in spool order */
	lnb_put_raw(&img, LNB_SPOOL_MAGIC, LNB_SPOOL_MAGIC_LEN);
	for (size_t i = 0; i < st->sessions.size; i++)
		if (st->sessions.slots[i])
			lnb_enc_session(&img, st->sessions.slots[i]);
	for (struct lnb_rec *r = st->head; r; r = r->next)
		lnb_enc_record(&img, r);
	err = lnb_spool_replace(&st->spool, &img);
	lnb_buf_free(&img);
	return err;
}
