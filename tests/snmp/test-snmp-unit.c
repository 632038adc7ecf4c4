// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmocka tests of the subagent's core: OID <-> instance arithmetic and its
 * ordering at the UID edges (0, 2^31-1, 2^31, 2^32-2, 2^32-1), the 32-bit
 * masking of sign-extended sub-identifiers, Counter64 halves, the column ->
 * sum mapping (against liblinubia, the UAPI list and mibs/LINUBIA-MIB.txt)
 * and the discontinuity arithmetic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pthread.h>
#include <time.h>

#include "columns.h"
#include "names.h"
#include "view.h"

static const uint32_t uids[] = { 0, 1, 2147483647u, 2147483648u, 4294967294u, 4294967295u };
#define NUIDS (sizeof(uids) / sizeof(uids[0]))

static uint32_t uid_at(const void *ctx, size_t i)
{
	return ((const uint32_t *)ctx)[i];
}

static const struct lnb_rows rows = { NUIDS, uid_at, uids };
static const struct lnb_rows empty = { 0, uid_at, uids };

static void expect_next(const uint64_t *oid, size_t len, const uint32_t *want, size_t wlen)
{
	struct lnb_inst in;
	uint32_t got[LNB_MAX_SUBIDS];

	if (!want) {
		assert_int_equal(lnb_next(oid, len, &rows, &in), 0);
		return;
	}
	assert_int_equal(lnb_next(oid, len, &rows, &in), 1);
	assert_int_equal(lnb_inst_oid(&in, got), wlen);
	assert_memory_equal(got, want, wlen * sizeof(uint32_t));
}

static void test_walk_order(void **state)
{
	uint64_t cur[LNB_MAX_SUBIDS] = { 0 };
	size_t len = 0, n = 0;
	uint32_t prev[LNB_MAX_SUBIDS], sub[LNB_MAX_SUBIDS];
	size_t plen = 0;
	struct lnb_inst in;

	(void)state;
	while (lnb_next(cur, len, &rows, &in)) {
		size_t l = lnb_inst_oid(&in, sub);

		/* strictly increasing */
		if (plen) {
			size_t m = l < plen ? l : plen, i;

			for (i = 0; i < m && sub[i] == prev[i]; i++)
				;
			assert_true(i < m ? sub[i] > prev[i] : l > plen);
		}
		memcpy(prev, sub, sizeof(sub));
		plen = l;
		for (size_t i = 0; i < l; i++)
			cur[i] = sub[i];
		len = l;
		n++;
	}
	assert_int_equal(n, LNB_SCALAR_LAST + (LNB_COL_USER_LAST - 1) * NUIDS +
			 (LNB_COL_DETAIL_LAST - LNB_COL_DETAIL_FIRST + 1) * NUIDS *
			 LNB_DETAIL_FAMILIES * LNB_DETAIL_PROTOS);
}

static void test_next_edges(void **state)
{
	(void)state;
	{ uint64_t o[] = { 2, 1, 2, 2147483647u };
	  uint32_t w[] = { 2, 1, 2, 2147483648u }; expect_next(o, 4, w, 4); }
	{ uint64_t o[] = { 2, 1, 2, 2147483648u };
	  uint32_t w[] = { 2, 1, 2, 4294967294u }; expect_next(o, 4, w, 4); }
	{ uint64_t o[] = { 2, 1, 2, 4294967294u };
	  uint32_t w[] = { 2, 1, 2, 4294967295u }; expect_next(o, 4, w, 4); }
	{ uint64_t o[] = { 2, 1, 2, 4294967295u };
	  uint32_t w[] = { 2, 1, 3, 0 }; expect_next(o, 4, w, 4); }
	/* sign-extended 2^31 as 5.9.3's AgentX delivers it */
	{ uint64_t o[] = { 2, 1, 2, 0xffffffff80000000ull };
	  uint32_t w[] = { 2, 1, 2, 4294967294u }; expect_next(o, 4, w, 4); }
	{ uint64_t o[] = { 2, 1, 40, 4294967295u };
	  uint32_t w[] = { 3, 1, 3, 0, 1, 1 }; expect_next(o, 4, w, 6); }
	{ uint64_t o[] = { 3, 1, 3, 0, 2, 4 };
	  uint32_t w[] = { 3, 1, 3, 1, 1, 1 }; expect_next(o, 6, w, 6); }
	{ uint64_t o[] = { 3, 1, 3, 0 };
	  uint32_t w[] = { 3, 1, 3, 0, 1, 1 }; expect_next(o, 4, w, 6); }
	{ uint64_t o[] = { 3, 1, 3, 0, 1 };
	  uint32_t w[] = { 3, 1, 3, 0, 1, 1 }; expect_next(o, 5, w, 6); }
	{ uint64_t o[] = { 3, 1, 3, 0, 1, 1, 7 };
	  uint32_t w[] = { 3, 1, 3, 0, 1, 2 }; expect_next(o, 7, w, 6); }
	{ uint64_t o[] = { 1 };
	  uint32_t w[] = { 1, 1, 0 }; expect_next(o, 1, w, 3); }
	{ uint64_t o[] = { 1, LNB_SCALAR_LAST, 0 };
	  uint32_t w[] = { 2, 1, 2, 0 }; expect_next(o, 3, w, 4); }
	{ uint64_t o[] = { 2, 1, 1 };	/* the not-accessible index column */
	  uint32_t w[] = { 2, 1, 2, 0 }; expect_next(o, 3, w, 4); }
	{ uint64_t o[] = { 3, 1, 6, 4294967295u, 2, 4 }; expect_next(o, 6, NULL, 0); }
	{ uint64_t o[] = { 4 }; expect_next(o, 1, NULL, 0); }
}

static void test_empty_table(void **state)
{
	struct lnb_inst in;
	uint64_t o[] = { 1, LNB_SCALAR_LAST, 0 };

	(void)state;
	assert_int_equal(lnb_next(o, 3, &empty, &in), 0);
	assert_int_equal(lnb_next(o, 0, &empty, &in), 1);
	assert_int_equal(in.branch, LNB_BRANCH_SCALARS);
}

static void test_lookup(void **state)
{
	struct lnb_inst in;

	(void)state;
	{ uint64_t o[] = { 2, 1, 3, 0xffffffff80000000ull };
	  assert_int_equal(lnb_lookup(o, 4, &rows, &in), LNB_INSTANCE);
	  assert_int_equal(in.uid, 2147483648u);
	  assert_int_equal(in.row, 3); }
	{ uint64_t o[] = { 2, 1, 40, 4294967295u };
	  assert_int_equal(lnb_lookup(o, 4, &rows, &in), LNB_INSTANCE);
	  assert_int_equal(in.row, 5); }
	{ uint64_t o[] = { 3, 1, 6, 0xffffffffffffffffull, 2, 3 };
	  assert_int_equal(lnb_lookup(o, 6, &rows, &in), LNB_INSTANCE);
	  assert_int_equal(in.uid, 4294967295u);
	  assert_int_equal(in.family, 2);
	  assert_int_equal(in.proto, 3); }
	{ uint64_t o[] = { 1, 4, 0 };
	  assert_int_equal(lnb_lookup(o, 3, &rows, &in), LNB_INSTANCE);
	  assert_int_equal(in.column, LNB_SCALAR_BACKEND_STATUS); }
	{ uint64_t o[] = { 1, LNB_SCALAR_LAST + 1, 0 };
	  assert_int_equal(lnb_lookup(o, 3, &rows, &in), LNB_NO_OBJECT); }
	{ uint64_t o[] = { 1, 1, 1 }; assert_int_equal(lnb_lookup(o, 3, &rows, &in), LNB_NO_INSTANCE); }
	{ uint64_t o[] = { 1, 1 }; assert_int_equal(lnb_lookup(o, 2, &rows, &in), LNB_NO_INSTANCE); }
	{ uint64_t o[] = { 2, 1, 3, 5 }; assert_int_equal(lnb_lookup(o, 4, &rows, &in), LNB_NO_INSTANCE); }
	{ uint64_t o[] = { 2, 1, 3, 0, 0 }; assert_int_equal(lnb_lookup(o, 5, &rows, &in), LNB_NO_INSTANCE); }
	{ uint64_t o[] = { 2, 1, 1, 0 }; assert_int_equal(lnb_lookup(o, 4, &rows, &in), LNB_NO_OBJECT); }
	{ uint64_t o[] = { 2, 1, 41, 0 }; assert_int_equal(lnb_lookup(o, 4, &rows, &in), LNB_NO_OBJECT); }
	{ uint64_t o[] = { 3, 1, 3, 0, 3, 1 }; assert_int_equal(lnb_lookup(o, 6, &rows, &in), LNB_NO_INSTANCE); }
	{ uint64_t o[] = { 3, 1, 3, 0, 1, 5 }; assert_int_equal(lnb_lookup(o, 6, &rows, &in), LNB_NO_INSTANCE); }
}

static void test_lower_bound(void **state)
{
	(void)state;
	assert_int_equal(lnb_rows_lower_bound(&rows, 0), 0);
	assert_int_equal(lnb_rows_lower_bound(&rows, 2), 2);
	assert_int_equal(lnb_rows_lower_bound(&rows, 2147483648u), 3);
	assert_int_equal(lnb_rows_lower_bound(&rows, 4294967295u), 5);
	assert_int_equal(lnb_rows_lower_bound(&rows, 4294967296ull), 6);
	assert_int_equal(lnb_rows_lower_bound(&empty, 0), 0);
}

static void test_counter64(void **state)
{
	(void)state;
	assert_int_equal(lnb_c64_high(0), 0);
	assert_int_equal(lnb_c64_low(0xffffffffu), 0xffffffffu);
	assert_int_equal(lnb_c64_high(0x100000000ull), 1);
	assert_int_equal(lnb_c64_low(0x100000000ull), 0);
	assert_int_equal(lnb_c64_high(0xfedcba9876543210ull), 0xfedcba98u);
	assert_int_equal(lnb_c64_low(0xfedcba9876543210ull), 0x76543210u);
	assert_int_equal(lnb_c64_high(UINT64_MAX), 0xffffffffu);
}

static void test_columns(void **state)
{
	char err[256] = "";
	unsigned long long all_in_bytes = 0;

	(void)state;
	assert_int_equal(lnb_columns_init(err, sizeof(err)), 0);
	assert_int_equal(lnb_user_column_count, LNB_COL_USER_DISCONTINUITY - LNB_COL_USER_FIRST_COUNTER);
	for (size_t i = 0; i < lnb_user_column_count; i++) {
		const struct lnb_column *c = &lnb_user_columns[i];

		assert_ptr_equal(lnb_user_column(c->column), c);
		assert_ptr_equal(c->sum, linubia_sum_by_name(c->sum_name));
		assert_int_equal(c->sum->counter_mask,
				 lnb_counter_mask(1u << c->dir, c->family_mask, c->proto_mask, c->unit));
	}
	assert_null(lnb_user_column(LNB_COL_USER_NAME));
	assert_null(lnb_user_column(LNB_COL_USER_DISCONTINUITY));
	/* the eight detail rows of a unit and direction add up to the total */
	for (unsigned int f = 1; f <= LNB_DETAIL_FAMILIES; f++)
		for (unsigned int p = 1; p <= LNB_DETAIL_PROTOS; p++) {
			unsigned long long m = lnb_detail_sum(3, f, p)->counter_mask;

			assert_int_equal(__builtin_popcountll(m), 1);
			assert_int_equal(all_in_bytes & m, 0);
			all_in_bytes |= m;
		}
	assert_int_equal(all_in_bytes, linubia_sum_by_name("in_bytes")->counter_mask);
	assert_int_equal(lnb_detail_sum(6, 2, 4)->counter_mask,
			 1ull << LINUBIA_COUNTER(LINUBIA_DIR_OUT, LINUBIA_FAMILY_IPV6,
						 LINUBIA_PROTO_OTHER, LINUBIA_UNIT_PACKETS));
	assert_null(lnb_detail_sum(7, 1, 1));
	assert_null(lnb_detail_sum(3, 3, 1));
	assert_null(lnb_detail_sum(3, 1, 0));
}

/* The column numbers in the MIB file are the ones the agent serves. */
static void test_columns_match_mib(void **state)
{
	FILE *f = fopen(LNB_MIB_FILE, "r");
	char line[256], obj[128] = "";
	unsigned int seen = 0;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char name[128];
		unsigned int col;

		if (sscanf(line, "%127s OBJECT-TYPE", name) == 1 && strstr(line, "OBJECT-TYPE"))
			snprintf(obj, sizeof(obj), "%s", name);
		if (sscanf(line, " ::= { linubiaUserEntry %u }", &col) == 1) {
			const struct lnb_column *c = lnb_user_column(col);

			if (c) {
				assert_string_equal(c->descriptor, obj);
				seen++;
			} else {
				assert_true(col == LNB_COL_USER_NAME || col == 1 ||
					    col == LNB_COL_USER_DISCONTINUITY ||
					    col == LNB_COL_USER_RESET);
			}
		}
	}
	fclose(f);
	assert_int_equal(seen, lnb_user_column_count);
}

static void test_discontinuity(void **state)
{
	const uint64_t s = 1000000000ull, ms = 1000000ull;
	const uint64_t now = 1800000000ull * s;
	const uint64_t epoch = now - 100 * s;	/* sysUpTime 10000 at now */

	(void)state;
	assert_int_equal(lnb_discontinuity_ticks(0, epoch, now), 0);		/* never */
	assert_int_equal(lnb_discontinuity_ticks(now - 200 * s, epoch, now), 0);	/* before start */
	assert_int_equal(lnb_discontinuity_ticks(epoch, epoch, now), 0);		/* at start */
	assert_int_equal(lnb_discontinuity_ticks(now - 10 * s, epoch, now), 9000);
	assert_int_equal(lnb_discontinuity_ticks(now - 15 * ms, epoch, now), 9998);
	assert_int_equal(lnb_discontinuity_ticks(now, epoch, now), 10000);
	assert_int_equal(lnb_discontinuity_ticks(now + 5 * s, epoch, now), 10000);	/* clock step */
}

/* Readings a tick apart keep the epoch (no jitter); a restart moves it. */
static void test_uptime_epoch(void **state)
{
	const uint64_t s = 1000000000ull, ms = 1000000ull;
	const uint64_t now = 1800000000ull * s;
	uint64_t e0 = lnb_uptime_epoch(0, now, 10000);

	(void)state;
	assert_int_equal(e0, now - 100 * s);
	/* 5 s later, sysUpTime read 9 ms "late" (truncated): same epoch */
	assert_int_equal(lnb_uptime_epoch(e0, now + 5 * s + 9 * ms, 10500), e0);
	assert_int_equal(lnb_uptime_epoch(e0, now + 5 * s, 10501), e0);
	/* the same event then reads the same ticks whatever the reading */
	assert_int_equal(lnb_discontinuity_ticks(now - 10 * s + 3 * ms, e0, now + 5 * s), 9000);
	/* master restarted 1 s ago: a new epoch */
	assert_int_equal(lnb_uptime_epoch(e0, now + 60 * s, 100), now + 59 * s);
	/* clock stepped back by 1 h: a new epoch */
	assert_int_equal(lnb_uptime_epoch(e0, now - 3600 * s + 5 * s, 10500), e0 - 3600 * s);
	/* master just started: uptime 0 */
	assert_int_equal(lnb_uptime_epoch(e0, now + 60 * s, 0), now + 60 * s);
}

/*
 * Names: a lookup that blocks (a slow LDAP) never blocks a peek, which is
 * what request handling does; "no such user" is asked again after the TTL.
 */
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fake_cond = PTHREAD_COND_INITIALIZER;
static int fake_open;		/* lookups block until set */
static int fake_calls[8];
static int fake_knows_5;	/* uid 5 "created" later */

static int fake_lookup(uint32_t uid, char *buf, size_t len)
{
	pthread_mutex_lock(&fake_lock);
	while (!fake_open)
		pthread_cond_wait(&fake_cond, &fake_lock);
	if (uid < 8)
		fake_calls[uid]++;
	pthread_mutex_unlock(&fake_lock);
	if (uid == 7 || (uid == 5 && fake_knows_5)) {
		snprintf(buf, len, "user%u", uid);
		return 1;
	}
	return 0;
}

static void fake_set(int *what, int v)
{
	pthread_mutex_lock(&fake_lock);
	*what = v;
	pthread_cond_broadcast(&fake_cond);
	pthread_mutex_unlock(&fake_lock);
}

/* Peek until known (each peek is instant); fails after 60 s. */
static int peek_until_known(struct lnb_names *n, uint32_t uid, char *buf, size_t len)
{
	struct timespec start, now, pause = { 0, 1000000 };
	uint64_t no_wait = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (lnb_names_peek(n, uid, buf, len, &no_wait))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > 60)
			return 0;
		nanosleep(&pause, NULL);
	}
}

/*
 * Peek until the name is the expected one; fails after 60 s. The retry
 * answers "" until the resolver thread has run, and under valgrind on a
 * loaded machine that thread may not run for a long time: a deadline, not
 * a count of peeks (10,000 instant peeks once lost that race in CI).
 */
static int peek_until_named(struct lnb_names *n, uint32_t uid, const char *want,
			    char *buf, size_t len)
{
	struct timespec start, now, pause = { 0, 1000000 };
	uint64_t no_wait = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (lnb_names_peek(n, uid, buf, len, &no_wait) && !strcmp(buf, want))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > 60)
			return 0;
		nanosleep(&pause, NULL);
	}
}

static void test_names_never_block(void **state)
{
	struct lnb_names *n = lnb_names_start(fake_lookup, 0);
	char buf[64];

	(void)state;
	assert_non_null(n);
	/* The lookups block: peeks answer within their budget, "" and not
	 * known; the budget is used up, not exceeded. */
	for (int i = 0; i < 1000; i++) {
		uint64_t budget = i ? 0 : 20000000u;
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(lnb_names_peek(n, 7, buf, sizeof(buf), &budget), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		assert_string_equal(buf, "");
		assert_int_equal(budget, 0);
		assert_true((t1.tv_sec - t0.tv_sec) * 1000000000 + t1.tv_nsec - t0.tv_nsec <
			    2000000000);	/* the lookup itself never ends */
	}
	lnb_names_want(n, 5);
	fake_set(&fake_open, 1);
	assert_int_equal(peek_until_known(n, 7, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "user7");
	assert_int_equal(peek_until_known(n, 5, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "");	/* no such user (yet) */
	/* TTL 0: the negative entry expires; the user now exists. */
	fake_set(&fake_knows_5, 1);
	assert_int_equal(peek_until_named(n, 5, "user5", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "user5");
	assert_true(fake_calls[5] >= 2);
	assert_int_equal(fake_calls[7], 1);	/* positive answers are kept */
	lnb_names_stop(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_order),
		cmocka_unit_test(test_next_edges),
		cmocka_unit_test(test_empty_table),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_lower_bound),
		cmocka_unit_test(test_counter64),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_columns_match_mib),
		cmocka_unit_test(test_discontinuity),
		cmocka_unit_test(test_uptime_epoch),
		cmocka_unit_test(test_names_never_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
