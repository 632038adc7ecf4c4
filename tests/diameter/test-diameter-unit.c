// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of linubia-diameter's parts that need no Diameter peer: the
 * spool journal (encoding, a parser that survives torn and damaged files),
 * the session logic (START, INTERIM when due, STOP + START on a reset,
 * STOP when a record goes, continuing after a restart, superseding in a
 * full spool) and the settings file.  With LNB_SPOOL_SEEDS=DIR it also
 * writes journal images there for the fuzzer.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "fdconf.h"
#include "spool.h"
#include "state.h"

#define N LINUBIA_COUNTER_COUNT

/* Spool encoding ----------------------------------------------------------- */

struct collect {
	struct lnb_spool_sink sink;
	struct lnb_session *s[8];
	struct lnb_rec *r[8];
	uint64_t done[8];
	int ns, nr, nd;
	int nr_all;		/* records parsed, kept or not */
};

static int col_session(struct lnb_spool_sink *sink, struct lnb_session *s)
{
	struct collect *c = (struct collect *)(void *)sink;

	if (c->ns == 8) {
		lnb_session_free(s);
		return 0;
	}
	c->s[c->ns++] = s;
	return 0;
}

static int col_record(struct lnb_spool_sink *sink, struct lnb_rec *r)
{
	struct collect *c = (struct collect *)(void *)sink;

	c->nr_all++;
	if (c->nr == 8) {
		lnb_rec_free(r);
		return 0;
	}
	c->r[c->nr++] = r;
	return 0;
}

static int col_done(struct lnb_spool_sink *sink, uint64_t seq, int reason)
{
	struct collect *c = (struct collect *)(void *)sink;

	(void)reason;
	if (c->nd < 8)
		c->done[c->nd++] = seq;
	return 0;
}

static void col_init(struct collect *c)
{
	memset(c, 0, sizeof(*c));
	c->sink.session = col_session;
	c->sink.record = col_record;
	c->sink.done = col_done;
}

static void col_free(struct collect *c)
{
	for (int i = 0; i < c->ns; i++)
		lnb_session_free(c->s[i]);
	for (int i = 0; i < c->nr; i++)
		lnb_rec_free(c->r[i]);
	col_init(c);
}

static struct lnb_session sample_session(void)
{
	static char sid[] = "host.example;1;2;1001", user[] = "alice";
	struct lnb_session s = { .uid = 1001, .next_recno = 7, .interval = 300,
				 .first_seen_ns = 11, .last_reset_ns = 22, .sid = sid,
				 .user = user };

	for (int i = 0; i < N; i++) {
		s.base[i] = (uint64_t)i * 1000;
		s.last[i] = UINT64_MAX - (uint64_t)i;
	}
	return s;
}

static struct lnb_rec sample_rec(void)
{
	static char sid[] = "host.example;1;2;1001", user[] = "alice";
	struct lnb_rec r = { .seq = 42, .uid = 1001, .type = LNB_INTERIM, .recno = 6,
			     .eteid = 0xdeadbeef, .event_time = 1700000000, .interval = 300,
			     .sid = sid, .user = user };

	for (int i = 0; i < N; i++)
		r.counters[i] = (uint64_t)1 << (i % 64);
	return r;
}

/* magic, session, record, done */
static void sample_image(struct lnb_buf *b)
{
	struct lnb_session s = sample_session();
	struct lnb_rec r = sample_rec();

	lnb_put_raw(b, LNB_SPOOL_MAGIC, LNB_SPOOL_MAGIC_LEN);
	lnb_enc_session(b, &s);
	lnb_enc_record(b, &r);
	lnb_enc_done(b, 42, LNB_DONE_ANSWERED);
}

static void test_spool_round_trip(void **state)
{
	struct lnb_session s = sample_session();
	struct lnb_rec r = sample_rec();
	struct lnb_buf b = { 0 };
	struct collect c;
	size_t good;

	(void)state;
	col_init(&c);
	sample_image(&b);
	assert_false(b.oom);
	assert_int_equal(lnb_spool_parse(b.p, b.len, &c.sink, &good), 0);
	assert_int_equal(good, b.len);
	assert_int_equal(c.ns, 1);
	assert_int_equal(c.nr, 1);
	assert_int_equal(c.nd, 1);
	assert_int_equal(c.done[0], 42);
	assert_int_equal(c.s[0]->uid, s.uid);
	assert_int_equal(c.s[0]->next_recno, 7);
	assert_int_equal(c.s[0]->interval, 300);
	assert_int_equal(c.s[0]->first_seen_ns, 11);
	assert_int_equal(c.s[0]->last_reset_ns, 22);
	assert_memory_equal(c.s[0]->base, s.base, sizeof(s.base));
	assert_memory_equal(c.s[0]->last, s.last, sizeof(s.last));
	assert_string_equal(c.s[0]->sid, s.sid);
	assert_string_equal(c.s[0]->user, "alice");
	assert_int_equal(c.r[0]->seq, 42);
	assert_int_equal(c.r[0]->type, LNB_INTERIM);
	assert_int_equal(c.r[0]->recno, 6);
	assert_int_equal(c.r[0]->eteid, 0xdeadbeef);
	assert_int_equal(c.r[0]->event_time, 1700000000);
	assert_memory_equal(c.r[0]->counters, r.counters, sizeof(r.counters));
	col_free(&c);
	lnb_buf_free(&b);
}

/* Every prefix of a journal is "torn" at worst, never "damaged". */
static void test_spool_torn_tail(void **state)
{
	struct lnb_buf b = { 0 };
	struct collect c;
	size_t good;

	(void)state;
	sample_image(&b);
	for (size_t len = LNB_SPOOL_MAGIC_LEN; len < b.len; len++) {
		int rc;

		col_init(&c);
		rc = lnb_spool_parse(b.p, len, &c.sink, &good);
		assert_true(rc == 0 || rc == 1);
		assert_true(good <= len);
		assert_int_equal(rc == 0, good == len);
		col_free(&c);
	}
	lnb_buf_free(&b);
}

static void test_spool_damage_in_the_middle(void **state)
{
	struct lnb_buf b = { 0 };
	struct collect c;
	size_t good;

	(void)state;
	sample_image(&b);
	b.p[LNB_SPOOL_MAGIC_LEN + 20] ^= 0x10;	/* inside the session entry */
	col_init(&c);
	assert_int_equal(lnb_spool_parse(b.p, b.len, &c.sink, &good), 2);
	assert_int_equal(good, LNB_SPOOL_MAGIC_LEN);
	assert_int_equal(c.ns + c.nr + c.nd, 0);
	col_free(&c);
	b.p[0] = 'X';
	assert_int_equal(lnb_spool_parse(b.p, b.len, &c.sink, &good), -1);
	lnb_buf_free(&b);
}

/* Sessions ----------------------------------------------------------------- */

static char tmpl[] = "/tmp/lnbd-unit-XXXXXX";
static char *dir;

static const char *names(void *ctx, uint32_t uid, char buf[LINUBIA_UID_STRLEN])
{
	(void)ctx;
	if (uid == 1001)
		return "alice";
	snprintf(buf, LINUBIA_UID_STRLEN, "%u", uid);
	return buf;
}

static struct linubia_record krec(uint32_t uid, uint64_t first, uint64_t reset, uint64_t v)
{
	struct linubia_record k = { .uid = uid, .first_seen_ns = first, .last_reset_ns = reset };

	for (int i = 0; i < N; i++)
		k.counters[i] = v * (uint64_t)(i + 1);
	return k;
}

static void scan(struct lnb_state *st, struct linubia_record *k, size_t n, uint64_t ms,
		 struct lnb_scan_result *res)
{
	struct lnb_read rd = { k, n, ms, 1700000000 + ms / 1000, names, NULL };

	lnb_state_scan(st, &rd, res);
	assert_int_equal(res->err, 0);
}

static void open_state(struct lnb_state *st, long max)
{
	char msg[256];

	lnb_state_init(st, "host.test", 10, max, 12345);
	assert_int_equal(lnb_state_open(st, dir, msg, sizeof(msg)), 0);
}

static int setup_dir(void **state)
{
	(void)state;
	strcpy(tmpl, "/tmp/lnbd-unit-XXXXXX");
	dir = mkdtemp(tmpl);
	return dir ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	return system(path);
}

static off_t file_size(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_size;
}

/* n sample records as one batch; *mid_size: the file while still encoding. */
static int write_batch(struct lnb_spool *sp, int n, off_t *mid_size)
{
	struct lnb_rec r = sample_rec();
	struct lnb_spool_batch w;

	lnb_spool_batch_begin(&w, sp);
	for (int i = 0; i < n; i++) {
		r.seq = (uint64_t)i + 1;
		lnb_enc_record(&w.buf, &r);
		lnb_spool_batch_flush(&w);
		assert_true(w.buf.len < LNB_SPOOL_PART + 4096);	/* memory stays bounded */
		if (i == n - 1)
			*mid_size = file_size(sp->fd);
	}
	return lnb_spool_batch_end(&w);
}

/* A big batch goes out in parts before its end; one that fails part-way
 * is cut back whole (a file size limit makes a part fail with EFBIG). */
static void test_spool_batch_in_parts_and_cut_back(void **state)
{
	struct lnb_spool sp = { .dirfd = -1 };
	struct rlimit old, lim;
	struct lnb_buf img = { 0 };
	struct collect c;
	char path[512];
	off_t mid, start;
	size_t good;

	(void)state;
	snprintf(path, sizeof(path), "%s/journal", dir);
	sp.fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	assert_true(sp.fd >= 0);
	assert_int_equal(write(sp.fd, LNB_SPOOL_MAGIC, LNB_SPOOL_MAGIC_LEN), LNB_SPOOL_MAGIC_LEN);
	sp.bytes = LNB_SPOOL_MAGIC_LEN;

	assert_int_equal(write_batch(&sp, 5000, &mid), 0);
	assert_true(mid > LNB_SPOOL_PART);	/* parts were on disk before the end */
	assert_int_equal(file_size(sp.fd), (off_t)sp.bytes);
	start = file_size(sp.fd);

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)start + 3 * LNB_SPOOL_PART / 2;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(write_batch(&sp, 10000, &mid), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_true(mid > start);		/* a part of it had been written */
	assert_int_equal(file_size(sp.fd), start);	/* and was cut back */
	assert_int_equal(sp.bytes, (uint64_t)start);

	/* what stays is exactly the first batch */
	assert_int_equal(lseek(sp.fd, 0, SEEK_SET), 0);
	for (;;) {
		uint8_t chunk[65536];
		ssize_t n = read(sp.fd, chunk, sizeof(chunk));

		assert_true(n >= 0);
		if (n == 0)
			break;
		lnb_put_raw(&img, chunk, (size_t)n);
	}
	col_init(&c);
	assert_int_equal(lnb_spool_parse(img.p, img.len, &c.sink, &good), 0);
	assert_int_equal(c.nr_all, 5000);
	col_free(&c);
	lnb_buf_free(&img);
	close(sp.fd);
}

/* The pending records, oldest first, as an array (for checks). */
static size_t pending(struct lnb_state *st, struct lnb_rec **out, size_t max)
{
	size_t n = 0;

	for (struct lnb_rec *r = st->head; r && n < max; r = r->next)
		out[n++] = r;
	return n;
}

static void expect_counters(const struct lnb_rec *r, uint64_t v)
{
	for (int i = 0; i < N; i++)
		assert_int_equal(r->counters[i], v * (uint64_t)(i + 1));
}

static void answer_all(struct lnb_state *st)
{
	struct lnb_buf b = { 0 };

	while (st->head)
		lnb_state_answered(st, st->head, &b);
	assert_int_equal(lnb_state_flush(st, &b), 0);
}

static void test_start_interim_and_restart(void **state)
{
	struct linubia_record k[2] = { krec(1001, 5, 0, 3), krec(1002, 6, 0, 1) };
	struct lnb_scan_result res;
	struct lnb_rec *p[16];
	struct lnb_state st;
	char sid[128];
	size_t n;

	(void)state;
	open_state(&st, 1000);
	scan(&st, k, 2, 1000, &res);
	assert_int_equal(res.made, 2);
	n = pending(&st, p, 16);
	assert_int_equal(n, 2);
	assert_int_equal(p[0]->type, LNB_START);
	assert_int_equal(p[0]->recno, 0);
	assert_string_equal(p[0]->user, "alice");
	assert_string_equal(p[1]->user, "1002");
	expect_counters(p[0], 3);	/* a new record: everything since it began */
	assert_non_null(strstr(p[0]->sid, "host.test;"));
	snprintf(sid, sizeof(sid), "%s", p[0]->sid);
	/* nothing more until the interval (10 s, randomised) is over */
	k[0] = krec(1001, 5, 0, 4);
	scan(&st, k, 2, 1500, &res);
	assert_int_equal(res.made, 0);
	scan(&st, k, 2, 1000 + 10 * 1000 + 1, &res);
	assert_int_equal(res.made, 2);
	n = pending(&st, p, 16);
	assert_int_equal(p[2]->type, LNB_INTERIM);
	assert_int_equal(p[2]->recno, 1);
	expect_counters(p[2], 4);	/* cumulative since START */
	/* one answered, then a crash: the rest is loaded again */
	{
		struct lnb_buf b = { 0 };

		lnb_state_answered(&st, st.head, &b);
		assert_int_equal(lnb_state_flush(&st, &b), 0);
	}
	lnb_state_free(&st);
	open_state(&st, 1000);
	n = pending(&st, p, 16);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(p[i]->resend, 1);	/* the T flag */
	assert_int_equal(st.sessions.count, 2);
	/* the session goes on: same Session-Id, next number */
	k[0] = krec(1001, 5, 0, 9);
	scan(&st, k, 2, 100000, &res);
	n = pending(&st, p, 16);
	assert_int_equal(n, 5);
	assert_string_equal(p[3]->sid, sid);
	assert_int_equal(p[3]->recno, 2);
	expect_counters(p[3], 9);
	lnb_state_free(&st);
}

static void test_reset_stop_then_start(void **state)
{
	struct linubia_record k = krec(1001, 5, 0, 7);
	struct lnb_scan_result res;
	struct lnb_rec *p[8];
	struct lnb_state st;

	(void)state;
	open_state(&st, 1000);
	scan(&st, &k, 1, 1000, &res);
	answer_all(&st);
	k = krec(1001, 5, 0, 8);	/* read, no record due */
	scan(&st, &k, 1, 2000, &res);
	assert_int_equal(res.made, 0);
	k = krec(1001, 5, 99, 1);	/* reset: last_reset_ns moved */
	scan(&st, &k, 1, 3000, &res);
	assert_int_equal(res.made, 2);
	assert_int_equal(pending(&st, p, 8), 2);
	assert_int_equal(p[0]->type, LNB_STOP);
	assert_int_equal(p[0]->recno, 1);
	expect_counters(p[0], 8);	/* the last values read before the reset */
	assert_int_equal(p[1]->type, LNB_START);
	assert_int_equal(p[1]->recno, 0);
	assert_string_not_equal(p[0]->sid, p[1]->sid);
	expect_counters(p[1], 1);
	answer_all(&st);
	/* a counter going down with the same ids is a reset too */
	k = krec(1001, 5, 99, 0);
	scan(&st, &k, 1, 4000, &res);
	assert_int_equal(res.made, 2);
	assert_int_equal(pending(&st, p, 8), 2);
	assert_int_equal(p[0]->type, LNB_STOP);
	expect_counters(p[0], 1);
	answer_all(&st);
	/* a reset seen only by its time: more traffic since than before it */
	k = krec(1001, 5, 123, 50);
	scan(&st, &k, 1, 4500, &res);
	assert_int_equal(res.made, 2);
	assert_int_equal(pending(&st, p, 8), 2);
	assert_int_equal(p[0]->type, LNB_STOP);
	expect_counters(p[0], 0);
	assert_int_equal(p[1]->type, LNB_START);
	expect_counters(p[1], 50);
	answer_all(&st);
	/* the record goes: STOP, then the closed session is forgotten */
	scan(&st, NULL, 0, 5000, &res);
	assert_int_equal(pending(&st, p, 8), 1);
	assert_int_equal(p[0]->type, LNB_STOP);
	answer_all(&st);
	assert_int_equal(st.sessions.count, 1);
	scan(&st, NULL, 0, 6000, &res);
	assert_int_equal(st.sessions.count, 0);
	lnb_state_free(&st);
}

/* The server's Acct-Interim-Interval (in an ACA) wins for its session. */
static void test_server_interval_wins(void **state)
{
	struct linubia_record k = krec(1001, 5, 0, 1);
	struct lnb_scan_result res;
	struct lnb_rec *p[8];
	struct lnb_state st;
	char sid[128];

	(void)state;
	open_state(&st, 1000);
	scan(&st, &k, 1, 1000, &res);
	assert_int_equal(pending(&st, p, 8), 1);
	snprintf(sid, sizeof(sid), "%s", p[0]->sid);
	answer_all(&st);
	lnb_state_set_interval(&st, 1001, "other;1;2;1001", 2, 1000);	/* not its session */
	assert_int_equal(lnb_sessions_get(&st.sessions, 1001)->interval, 10);
	lnb_state_set_interval(&st, 1001, sid, 2, 1000);
	assert_int_equal(lnb_sessions_get(&st.sessions, 1001)->interval, 2);
	/* due within the server's 2 s, then every 2 s, announcing 2 */
	scan(&st, &k, 1, 3001, &res);
	assert_int_equal(res.made, 1);
	assert_int_equal(pending(&st, p, 8), 1);
	assert_int_equal(p[0]->interval, 2);
	scan(&st, &k, 1, 4000, &res);
	assert_int_equal(res.made, 0);
	scan(&st, &k, 1, 5002, &res);
	assert_int_equal(res.made, 1);
	lnb_state_free(&st);
}

/* After a clean stop, the same backend record is not reported twice. */
static void test_clean_stop_then_new_session_from_base(void **state)
{
	struct linubia_record k = krec(1001, 5, 0, 10);
	struct lnb_scan_result res;
	struct lnb_rec *p[8];
	struct lnb_state st;

	(void)state;
	open_state(&st, 1000);
	scan(&st, &k, 1, 1000, &res);
	lnb_state_stop_all(&st, 1700000001, &res);
	assert_int_equal(res.made, 1);
	answer_all(&st);
	lnb_state_free(&st);
	open_state(&st, 1000);
	k = krec(1001, 5, 0, 12);
	scan(&st, &k, 1, 1000, &res);
	assert_int_equal(pending(&st, p, 8), 1);
	assert_int_equal(p[0]->type, LNB_START);
	expect_counters(p[0], 2);	/* only what came after the STOP */
	lnb_state_free(&st);
}

static void test_full_spool_supersedes_interims(void **state)
{
	struct linubia_record k[2] = { krec(1001, 5, 0, 1), krec(1002, 6, 0, 1) };
	struct lnb_scan_result res;
	struct lnb_rec *p[16];
	struct lnb_state st;
	uint64_t ms = 1000;

	(void)state;
	open_state(&st, 4);
	scan(&st, k, 2, ms, &res);	/* 2 STARTs */
	for (int i = 2; i <= 5; i++) {
		ms += 10001;
		k[0] = krec(1001, 5, 0, (uint64_t)i);
		k[1] = krec(1002, 6, 0, (uint64_t)i);
		scan(&st, k, 2, ms, &res);
	}
	/* at most 4 waiting: the STARTs stay, each session's newest INTERIM */
	assert_int_equal(pending(&st, p, 16), 4);
	assert_int_equal(p[0]->type, LNB_START);
	assert_int_equal(p[1]->type, LNB_START);
	assert_int_equal(p[2]->type, LNB_INTERIM);
	assert_int_equal(p[3]->type, LNB_INTERIM);
	expect_counters(p[2], 5);
	expect_counters(p[3], 5);
	assert_true(st.stats.superseded >= 4);
	/* a new user needs room: the oldest INTERIM of another goes */
	{
		struct linubia_record k3[3] = { k[0], k[1], krec(1003, 7, 0, 1) };

		scan(&st, k3, 3, ms + 1, &res);
		assert_int_equal(res.made, 1);
		assert_int_equal(res.superseded, 1);
		assert_int_equal(pending(&st, p, 16), 4);
	}
	lnb_state_free(&st);
}

/* Only STARTs waiting and no room: the new START is not made, and comes
 * once there is room (nothing of the backend's is lost: it is cumulative). */
static void test_full_spool_without_interims(void **state)
{
	struct linubia_record k[3] = { krec(1001, 5, 0, 1), krec(1002, 6, 0, 1),
				       krec(1003, 7, 0, 4) };
	struct lnb_scan_result res;
	struct lnb_rec *p[8];
	struct lnb_state st;

	(void)state;
	open_state(&st, 2);
	scan(&st, k, 2, 1000, &res);
	assert_int_equal(res.made, 2);
	scan(&st, k, 3, 2000, &res);
	assert_int_equal(res.made, 0);
	assert_int_equal(res.not_made, 1);
	assert_int_equal(st.stats.not_made, 1);
	answer_all(&st);
	scan(&st, k, 3, 3000, &res);
	assert_int_equal(res.made, 1);
	assert_int_equal(pending(&st, p, 8), 1);
	assert_int_equal(p[0]->type, LNB_START);
	assert_int_equal(p[0]->uid, 1003);
	expect_counters(p[0], 4);
	lnb_state_free(&st);
}

/* Seeds for the fuzzer: real journals. */
static void write_seeds(void)
{
	const char *out = getenv("LNB_SPOOL_SEEDS");
	struct lnb_buf b = { 0 };
	char path[4096];
	FILE *f;

	if (!out)
		return;
	sample_image(&b);
	snprintf(path, sizeof(path), "%s/journal-sample", out);
	f = fopen(path, "w");
	if (f) {
		fwrite(b.p, 1, b.len, f);
		fclose(f);
	}
	lnb_buf_free(&b);
}

/* Settings ----------------------------------------------------------------- */

static int conf_from(const char *text, struct lnb_dconf *c, char *err, size_t errsize)
{
	char path[] = "/tmp/lnbd-conf-XXXXXX";
	int fd = mkstemp(path), rc;
	FILE *e = fmemopen(err, errsize, "w");

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	memset(err, 0, errsize);
	rc = lnb_conf_read(path, c, e);
	if (rc == 0)
		rc = lnb_conf_check(c, path, e);
	fclose(e);
	unlink(path);
	return rc;
}

static void test_conf(void **state)
{
	struct lnb_dconf c;
	char err[1024];

	(void)state;
	assert_int_equal(conf_from("# comment\nidentity h.example\nrealm example\n"
				   "destination_realm acct.example\npeer a.acct.example 192.0.2.1\n"
				   "peer b.acct.example 192.0.2.2 3869\ninterval 60\n", &c, err,
				   sizeof(err)), 0);
	assert_string_equal(c.identity, "h.example");
	assert_int_equal(c.npeers, 2);
	assert_int_equal(lnb_conf_peer_port(&c, &c.peers[0]), 3868);
	assert_int_equal(lnb_conf_peer_port(&c, &c.peers[1]), 3869);
	assert_int_equal(c.interval, 60);
	assert_int_equal(c.scan, 10);
	assert_string_equal(c.spool_dir, "/var/lib/linubia-diameter");

	assert_int_equal(conf_from("interval 0\n", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":1: interval wants an integer in 1..86400, not \"0\""));
	assert_int_equal(conf_from("\n\nfoo 1\n", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":3: unknown setting \"foo\""));
	assert_int_equal(conf_from("peer x 192.0.2.1 70000\n", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "peer port must be 1..65535"));
	assert_int_equal(conf_from("backend zfs\n", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "backend must be kmod or ebpf"));
	{
		char big[600];

		memset(big, 'a', sizeof(big));
		memcpy(big, "realm ", 6);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(conf_from(big, &c, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "realm is empty or longer than 255 characters"));
	}
	assert_int_equal(conf_from("identity h\nrealm r\n", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "destination_realm is missing"));
	assert_non_null(strstr(err, "no peer"));
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* TLS: the three files together, readable, absolute; then freeDiameter's
 * configuration has TLS_Cred/TLS_CA and peers without No_TLS on 5658
 * unless a port is given. */
static void test_conf_tls(void **state)
{
	const char *base = "identity h.example\nrealm example\ndestination_realm acct.example\n"
			   "peer a.acct.example 192.0.2.1\npeer b.acct.example 192.0.2.2 3869\n";
	char text[2048], err[1024], dir[] = "/tmp/lnbd-tls-XXXXXX", pem[3][64], out[96];
	const char *names[] = { "cert.pem", "key.pem", "ca.pem" };
	struct lnb_dconf c;
	char *fdc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 3; i++) {
		FILE *f;

		snprintf(pem[i], sizeof(pem[i]), "%s/%s", dir, names[i]);
		f = fopen(pem[i], "w");
		assert_non_null(f);
		fclose(f);
	}
	snprintf(text, sizeof(text), "%stls_cert %s\ntls_key %s\n", base, pem[0], pem[1]);
	assert_int_equal(conf_from(text, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "tls_ca is missing (tls_cert, tls_key and tls_ca go together)"));

	snprintf(text, sizeof(text), "%stls_cert %s\ntls_key %s/nothing.pem\ntls_ca ca.pem\n",
		 base, pem[0], dir);
	assert_int_equal(conf_from(text, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nothing.pem: cannot read it: No such file or directory"));
	assert_non_null(strstr(err, "tls_ca ca.pem: an absolute path, please"));

	snprintf(text, sizeof(text), "%sfreediameter_conf /etc/fd.conf\ntls_cert %s\n", base,
		 pem[0]);
	assert_int_equal(conf_from(text, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "do not apply with freediameter_conf"));

	snprintf(text, sizeof(text), "%stls_cert %s\ntls_key %s\ntls_ca %s\n", base, pem[0],
		 pem[1], pem[2]);
	assert_int_equal(conf_from(text, &c, err, sizeof(err)), 0);
	assert_true(lnb_conf_tls(&c));
	snprintf(out, sizeof(out), "%s/freediameter.conf", dir);
	assert_int_equal(lnb_fdconf_write(&c, out, err, sizeof(err)), 0);
	fdc = slurp(out);
	snprintf(text, sizeof(text), "TLS_Cred = \"%s\", \"%s\";\nTLS_CA = \"%s\";\n", pem[0],
		 pem[1], pem[2]);
	assert_non_null(strstr(fdc, text));
	assert_non_null(strstr(fdc, "ConnectPeer = \"a.acct.example\" { ConnectTo = "
				    "\"192.0.2.1\"; Port = 5658; No_SCTP; };"));
	assert_non_null(strstr(fdc, "ConnectPeer = \"b.acct.example\" { ConnectTo = "
				    "\"192.0.2.2\"; Port = 3869; No_SCTP; };"));
	assert_null(strstr(fdc, "No_TLS"));

	/* without TLS: the plain port, No_TLS, no credentials */
	assert_int_equal(conf_from(base, &c, err, sizeof(err)), 0);
	assert_int_equal(lnb_fdconf_write(&c, out, err, sizeof(err)), 0);
	fdc = slurp(out);
	assert_null(strstr(fdc, "TLS_Cred"));
	assert_non_null(strstr(fdc, "\"192.0.2.1\"; Port = 3868; No_TLS; No_SCTP; };"));

	unlink(out);
	for (int i = 0; i < 3; i++)
		unlink(pem[i]);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spool_round_trip),
		cmocka_unit_test(test_spool_torn_tail),
		cmocka_unit_test(test_spool_damage_in_the_middle),
		cmocka_unit_test_setup_teardown(test_start_interim_and_restart, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_reset_stop_then_start, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_server_interval_wins, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_clean_stop_then_new_session_from_base,
						setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_full_spool_supersedes_interims, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_full_spool_without_interims, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_spool_batch_in_parts_and_cut_back, setup_dir,
						teardown_dir),
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_conf_tls),
	};

	write_seeds();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
