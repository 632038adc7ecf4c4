// SPDX-License-Identifier: GPL-2.0-only
/*
 * Snapshots (compact storage, UID order, lookup) and the derived-sum table,
 * each checked against an independent computation from the UAPI macros.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

/* Deterministic pseudo-random numbers (xorshift). */
static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static struct linubia_record random_record(uint32_t uid)
{
	struct linubia_record r = { .uid = uid, .first_seen_ns = rng(), .last_reset_ns = rng() };

	for (unsigned int c = 0; c < LINUBIA_COUNTER_COUNT; c++)
		r.counters[c] = rng() % 3 ? 0 : rng() >> (rng() % 64);
	return r;
}

/* Field by field: the struct has padding that memcmp would read. */
static void assert_record_equal(const struct linubia_record *got,
				const struct linubia_record *want)
{
	assert_int_equal(got->uid, want->uid);
	assert_int_equal(got->first_seen_ns, want->first_seen_ns);
	assert_int_equal(got->last_reset_ns, want->last_reset_ns);
	for (unsigned int c = 0; c < LINUBIA_COUNTER_COUNT; c++)
		if (got->counters[c] != want->counters[c])
			fail_msg("uid %u counter %s: got %llu, expected %llu", want->uid,
				 linubia_counter_name(c), (unsigned long long)got->counters[c],
				 (unsigned long long)want->counters[c]);
}

/* Snapshots ---------------------------------------------------------------- */

static void snapshot_sorts_and_keeps_every_value(void **state)
{
	enum { N = 2000 };
	struct linubia_record *want = calloc(N, sizeof(*want)), got;
	struct linubia_snapshot *s = lnb_snapshot_new();
	struct lnb_detail d = { "" };

	(void)state;
	assert_non_null(want);
	assert_non_null(s);
	/* UIDs 0, 7, 14, ... added in a scrambled order. */
	for (uint32_t i = 0; i < N; i++) {
		want[i] = random_record(i * 7);
	}
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(lnb_snapshot_add(s, &want[(i * 1237) % N]), 0);
	assert_int_equal(lnb_snapshot_finish(s, &d), 0);
	assert_int_equal(linubia_snapshot_count(s), N);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(linubia_snapshot_record(s, i, &got), 0);
		assert_record_equal(&got, &want[i]);
		assert_int_equal(linubia_snapshot_uid(s, i), want[i].uid);
		assert_int_equal(linubia_snapshot_find(s, want[i].uid), (long)i);
		for (size_t k = 0; k < linubia_sum_count(); k++) {
			const struct linubia_sum *sum = linubia_sum_at(k);

			assert_int_equal(linubia_snapshot_sum(s, i, sum),
					 linubia_sum_value(sum, want[i].counters));
		}
	}
	assert_int_equal(linubia_snapshot_find(s, 3), -ENOENT);
	assert_int_equal(linubia_snapshot_find(s, N * 7), -ENOENT);
	assert_int_equal(linubia_snapshot_record(s, N, &got), -ERANGE);
	linubia_snapshot_free(s);
	free(want);
}

/* UID i of the next test: 0, 2^32 - 1, then spread over every radix digit. */
static uint32_t spread_uid(uint32_t i)
{
	return i == 0 ? 0 : i == 1 ? UINT32_MAX : i * 2654435761u;	/* odd: distinct */
}

/* UIDs over the whole 32-bit range (every radix digit), 0 and 2^32 - 1. */
static void snapshot_sorts_uids_of_every_size(void **state)
{
	enum { N = 5000 };
	struct linubia_snapshot *s = lnb_snapshot_new();
	struct lnb_detail d = { "" };
	struct linubia_record r = { .uid = 0 }, got;

	(void)state;
	assert_non_null(s);
	for (uint32_t i = 0; i < N; i++) {
		r.uid = spread_uid(i);
		r.counters[i % LINUBIA_COUNTER_COUNT] = i + 1;
		assert_int_equal(lnb_snapshot_add(s, &r), 0);
		r.counters[i % LINUBIA_COUNTER_COUNT] = 0;
	}
	assert_int_equal(lnb_snapshot_finish(s, &d), 0);
	assert_int_equal(linubia_snapshot_count(s), N);
	assert_int_equal(linubia_snapshot_uid(s, 0), 0);
	assert_int_equal(linubia_snapshot_uid(s, N - 1), UINT32_MAX);
	for (size_t i = 1; i < N; i++)
		assert_true(linubia_snapshot_uid(s, i - 1) < linubia_snapshot_uid(s, i));
	for (uint32_t i = 0; i < N; i++) {
		long at = linubia_snapshot_find(s, spread_uid(i));

		assert_true(at >= 0);
		assert_int_equal(linubia_snapshot_record(s, (size_t)at, &got), 0);
		assert_int_equal(got.counters[i % LINUBIA_COUNTER_COUNT], i + 1);
	}
	linubia_snapshot_free(s);
}

static void snapshot_refuses_a_repeated_uid(void **state)
{
	struct linubia_snapshot *s = lnb_snapshot_new();
	struct linubia_record r = random_record(5);
	struct lnb_detail d = { "" };

	(void)state;
	assert_int_equal(lnb_snapshot_add(s, &r), 0);
	assert_int_equal(lnb_snapshot_add(s, &r), 0);
	assert_int_equal(lnb_snapshot_finish(s, &d), -LINUBIA_EBADREPLY);
	assert_non_null(strstr(d.text, "UID 5 appears twice"));
	linubia_snapshot_free(s);
}

static void empty_snapshot(void **state)
{
	struct linubia_snapshot *s = lnb_snapshot_new();
	struct lnb_detail d = { "" };

	(void)state;
	assert_int_equal(lnb_snapshot_finish(s, &d), 0);
	assert_int_equal(linubia_snapshot_count(s), 0);
	assert_int_equal(linubia_snapshot_find(s, 0), -ENOENT);
	assert_true(linubia_snapshot_time_ns(s) > 0);
	linubia_snapshot_free(s);
}

/* Sums --------------------------------------------------------------------- */

/* Names of the dimension values, for building expected names. */
static const char *dir_s[] = { "in", "out" };
static const char *fam_s[] = { "ipv4", "ipv6" };
static const char *proto_s[] = { "tcp", "udp", "icmp", "other" };
static const char *unit_s[] = { "bytes", "packets" };

static void sum_table_has_every_level(void **state)
{
	size_t n = linubia_sum_count();
	char name[64];

	(void)state;
	/* per unit: both directions + per direction (1 + 2 + 4 + 8) */
	assert_int_equal(n, 2 * (1 + 2 * (1 + 2 + 4 + 8)));
	for (int u = 0; u < 2; u++) {
		assert_non_null(linubia_sum_by_name(unit_s[u]));
		for (int d = 0; d < 2; d++) {
			snprintf(name, sizeof(name), "%s_%s", dir_s[d], unit_s[u]);
			assert_non_null(linubia_sum_by_name(name));
			for (int f = 0; f < 2; f++) {
				snprintf(name, sizeof(name), "%s_%s_%s", dir_s[d], fam_s[f], unit_s[u]);
				assert_non_null(linubia_sum_by_name(name));
				for (int p = 0; p < 4; p++) {
					snprintf(name, sizeof(name), "%s_%s_%s_%s", dir_s[d], fam_s[f],
						 proto_s[p], unit_s[u]);
					/* family x protocol sums are the raw counters */
					assert_int_equal(linubia_sum_by_name(name)->counter_mask,
							 UINT64_C(1) << LINUBIA_COUNTER(d, f, p, u));
					assert_string_equal(linubia_counter_name(LINUBIA_COUNTER(d, f, p, u)),
							    name);
				}
			}
			for (int p = 0; p < 4; p++) {
				snprintf(name, sizeof(name), "%s_%s_%s", dir_s[d], proto_s[p], unit_s[u]);
				assert_non_null(linubia_sum_by_name(name));
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			assert_string_not_equal(linubia_sum_at(i)->name, linubia_sum_at(j)->name);
	assert_null(linubia_sum_at(n));
	assert_null(linubia_sum_by_name("no_such_sum"));
}

/* Each sum's mask equals the counters its dimension masks select. */
static void sum_masks_match_their_dimensions(void **state)
{
	(void)state;
	for (size_t i = 0; i < linubia_sum_count(); i++) {
		const struct linubia_sum *s = linubia_sum_at(i);
		uint64_t want = 0;

		for (unsigned d = 0; d < LINUBIA_DIR_COUNT; d++)
			for (unsigned f = 0; f < LINUBIA_FAMILY_COUNT; f++)
				for (unsigned p = 0; p < LINUBIA_PROTO_COUNT; p++)
					if ((s->dir_mask >> d & 1) && (s->family_mask >> f & 1) &&
					    (s->proto_mask >> p & 1))
						want |= UINT64_C(1) << LINUBIA_COUNTER(d, f, p, s->unit);
		if (s->counter_mask != want)
			fail_msg("sum %s: mask %#llx, expected %#llx", s->name,
				 (unsigned long long)s->counter_mask, (unsigned long long)want);
	}
}

static void sum_values(void **state)
{
	uint64_t c[LINUBIA_COUNTER_COUNT];

	(void)state;
	for (unsigned int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		c[i] = UINT64_C(1) << i;	/* each counter one distinct bit */
	assert_int_equal(linubia_sum_value(linubia_sum_by_name("in_bytes"), c),
			 c[LINUBIA_C_IN_IPV4_TCP_BYTES] + c[LINUBIA_C_IN_IPV4_UDP_BYTES] +
			 c[LINUBIA_C_IN_IPV4_ICMP_BYTES] + c[LINUBIA_C_IN_IPV4_OTHER_BYTES] +
			 c[LINUBIA_C_IN_IPV6_TCP_BYTES] + c[LINUBIA_C_IN_IPV6_UDP_BYTES] +
			 c[LINUBIA_C_IN_IPV6_ICMP_BYTES] + c[LINUBIA_C_IN_IPV6_OTHER_BYTES]);
	assert_int_equal(linubia_sum_value(linubia_sum_by_name("out_udp_packets"), c),
			 c[LINUBIA_C_OUT_IPV4_UDP_PACKETS] + c[LINUBIA_C_OUT_IPV6_UDP_PACKETS]);
	assert_int_equal(linubia_sum_value(linubia_sum_by_name("in_ipv6_packets"), c),
			 c[LINUBIA_C_IN_IPV6_TCP_PACKETS] + c[LINUBIA_C_IN_IPV6_UDP_PACKETS] +
			 c[LINUBIA_C_IN_IPV6_ICMP_PACKETS] + c[LINUBIA_C_IN_IPV6_OTHER_PACKETS]);
	/* all bytes counters: bits 0, 2, 4, ... */
	assert_int_equal(linubia_sum_value(linubia_sum_by_name("bytes"), c),
			 UINT64_C(0x5555555555555555) & ((UINT64_C(1) << LINUBIA_COUNTER_COUNT) - 1));
	assert_int_equal(linubia_sum_value(NULL, c), 0);
}

static void names_of_the_layout(void **state)
{
	(void)state;
	assert_string_equal(linubia_counter_name(0), "in_ipv4_tcp_bytes");
	assert_string_equal(linubia_counter_name(LINUBIA_COUNTER_COUNT - 1),
			    "out_ipv6_other_packets");
	assert_null(linubia_counter_name(LINUBIA_COUNTER_COUNT));
	assert_string_equal(linubia_stat_name(0), "slow_lookups");
	assert_null(linubia_stat_name(LINUBIA_STAT_COUNT));
	assert_string_equal(linubia_dir_name(LINUBIA_DIR_OUT), "out");
	assert_string_equal(linubia_family_name(LINUBIA_FAMILY_IPV6), "ipv6");
	assert_string_equal(linubia_proto_name(LINUBIA_PROTO_ICMP), "icmp");
	assert_string_equal(linubia_unit_name(LINUBIA_UNIT_PACKETS), "packets");
}

static void errors_say_what_to_do(void **state)
{
	(void)state;
	assert_string_equal(linubia_strerror(-LINUBIA_ENOBACKEND),
			    "no accounting backend loaded (modprobe linubia; "
			    "where modules cannot load: linubia ebpf load)");
	assert_non_null(strstr(linubia_strerror(-EPERM), "CAP_NET_ADMIN"));
	assert_non_null(strstr(linubia_strerror(-LINUBIA_EVERSION), "ABI version"));
	assert_string_equal(linubia_strerror(-ETIMEDOUT), "Connection timed out");
	assert_string_equal(linubia_strerror(-99999), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(snapshot_sorts_and_keeps_every_value),
		cmocka_unit_test(snapshot_sorts_uids_of_every_size),
		cmocka_unit_test(snapshot_refuses_a_repeated_uid),
		cmocka_unit_test(empty_snapshot),
		cmocka_unit_test(sum_table_has_every_level),
		cmocka_unit_test(sum_masks_match_their_dimensions),
		cmocka_unit_test(sum_values),
		cmocka_unit_test(names_of_the_layout),
		cmocka_unit_test(errors_say_what_to_do),
	};

	return cmocka_run_group_tests_name("data", tests, NULL, NULL);
}
