// SPDX-License-Identifier: GPL-2.0-only
/*
 * The netlink reply parser against crafted streams: valid dumps, split
 * dumps, truncated and oversized attributes, unknown attributes, wrong
 * versions, kernel errors with extack.  Each bad case must give a clear
 * error code and a detail that names what was wrong.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "msgbuild.h"
#include "parse.h"

static struct mb stream;

struct collected {
	struct linubia_record records[8];
	size_t count;
};

static int collect(const struct nlmsghdr *nlh, void *arg, struct lnb_detail *detail)
{
	struct collected *c = arg;

	if (c->count == 8)
		return -E2BIG;
	return lnb_parse_record(nlh, LINUBIA_CMD_GET_USER, &c->records[c->count++], detail);
}

static const struct lnb_reply_expect expect = { MB_SEQ, MB_PORTID, MB_FAMILY };

static int parse(struct collected *c, struct lnb_detail *d)
{
	memset(c, 0, sizeof(*c));
	memset(d, 0, sizeof(*d));
	return lnb_parse_stream(stream.buf, stream.len, &expect, collect, c, d);
}

/* A record with distinct values in a few counters (and zeros elsewhere). */
static struct linubia_record sample(uint32_t uid)
{
	struct linubia_record r = { .uid = uid, .first_seen_ns = 1000 + uid,
				    .last_reset_ns = uid % 2 ? 0 : 7 };

	r.counters[LINUBIA_C_IN_IPV4_TCP_BYTES] = 1500ull * uid;
	r.counters[LINUBIA_C_IN_IPV4_TCP_PACKETS] = uid;
	r.counters[LINUBIA_C_OUT_IPV6_UDP_BYTES] = UINT64_MAX - uid;
	r.counters[LINUBIA_C_OUT_IPV6_OTHER_PACKETS] = 3;
	return r;
}

/* Field by field: the struct has padding that memcmp would read. */
static void assert_record_equal(const struct linubia_record *got,
				const struct linubia_record *want)
{
	assert_int_equal(got->uid, want->uid);
	assert_int_equal(got->first_seen_ns, want->first_seen_ns);
	assert_int_equal(got->last_reset_ns, want->last_reset_ns);
	assert_int_equal(got->delegated_by, want->delegated_by ? want->delegated_by
							     : LINUBIA_NOT_DELEGATED);
	for (unsigned int c = 0; c < LINUBIA_COUNTER_COUNT; c++)
		if (got->counters[c] != want->counters[c])
			fail_msg("uid %u counter %s: got %llu, expected %llu", want->uid,
				 linubia_counter_name(c), (unsigned long long)got->counters[c],
				 (unsigned long long)want->counters[c]);
}

static void assert_detail_has(const struct lnb_detail *d, const char *needle)
{
	if (!strstr(d->text, needle))
		fail_msg("detail \"%s\" does not mention \"%s\"", d->text, needle);
}

static void setup_stream(void)
{
	mb_reset(&stream);
}

/* Valid streams ------------------------------------------------------------ */

static void dump_of_three_records(void **state)
{
	struct linubia_record want[3] = { sample(1001), sample(0), sample(LINUBIA_UID_UNATTRIBUTED) };
	struct collected c;
	struct lnb_detail d;

	(void)state;
	setup_stream();
	for (int i = 0; i < 3; i++)
		mb_record(&stream, LINUBIA_CMD_GET_USER, &want[i]);
	mb_done(&stream, 0);
	assert_int_equal(parse(&c, &d), LNB_STREAM_END);
	assert_int_equal(c.count, 3);
	for (int i = 0; i < 3; i++)
		assert_record_equal(&c.records[i], &want[i]);
}

static void dump_split_across_reads(void **state)
{
	struct linubia_record r = sample(5);
	struct collected c;
	struct lnb_detail d;

	(void)state;
	setup_stream();
	mb_record(&stream, LINUBIA_CMD_GET_USER, &r);
	assert_int_equal(parse(&c, &d), LNB_STREAM_MORE);
	assert_int_equal(c.count, 1);
	setup_stream();
	mb_done(&stream, 0);
	assert_int_equal(parse(&c, &d), LNB_STREAM_END);
	assert_int_equal(c.count, 0);
}

static void record_with_all_counters_zero(void **state)
{
	struct linubia_record r = { .uid = 9, .first_seen_ns = 1 };
	struct collected c;
	struct lnb_detail d;

	(void)state;
	setup_stream();
	mb_record(&stream, LINUBIA_CMD_GET_USER, &r);	/* an empty COUNTERS nest */
	mb_done(&stream, 0);
	assert_int_equal(parse(&c, &d), LNB_STREAM_END);
	assert_record_equal(&c.records[0], &r);
}

static void delegated_by_is_parsed_and_checked(void **state)
{
	struct linubia_record r = sample(200001), plain = sample(1010);
	struct nlmsghdr *nlh;
	struct collected c;
	struct lnb_detail d;

	(void)state;
	r.delegated_by = 1010;
	setup_stream();
	mb_record(&stream, LINUBIA_CMD_GET_USER, &r);
	mb_record(&stream, LINUBIA_CMD_GET_USER, &plain);
	mb_done(&stream, 0);
	assert_int_equal(parse(&c, &d), LNB_STREAM_END);
	assert_int_equal(c.count, 2);
	assert_int_equal(c.records[0].delegated_by, 1010);
	assert_int_equal(c.records[1].delegated_by, LINUBIA_NOT_DELEGATED);

	/* delegated by root: 0 is a user like any other */
	setup_stream();
	nlh = mb_genl(&stream, LINUBIA_CMD_GET_USER, LINUBIA_GENL_VERSION, NLM_F_MULTI);
	mnl_attr_put_u32(nlh, LINUBIA_A_UID, 100000);
	mnl_attr_put_u32(nlh, LINUBIA_A_DELEGATED_BY, 0);
	mb_put_u64(nlh, LINUBIA_A_FIRST_SEEN_NS, 1);
	mb_put_u64(nlh, LINUBIA_A_LAST_RESET_NS, 0);
	mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, LINUBIA_A_COUNTERS));
	mb_end(&stream, nlh);
	mb_done(&stream, 0);
	assert_int_equal(parse(&c, &d), LNB_STREAM_END);
	assert_int_equal(c.records[0].delegated_by, 0);

	/* the "nobody" value, a wrong length, twice: refused */
	for (int bad = 0; bad < 3; bad++) {
		setup_stream();
		nlh = mb_genl(&stream, LINUBIA_CMD_GET_USER, LINUBIA_GENL_VERSION, NLM_F_MULTI);
		mnl_attr_put_u32(nlh, LINUBIA_A_UID, 100000);
		if (bad == 0)
			mnl_attr_put_u32(nlh, LINUBIA_A_DELEGATED_BY, LINUBIA_NOT_DELEGATED);
		else if (bad == 1)
			mnl_attr_put_u16(nlh, LINUBIA_A_DELEGATED_BY, 7);
		else
			for (int k = 0; k < 2; k++)
				mnl_attr_put_u32(nlh, LINUBIA_A_DELEGATED_BY, 7);
		mb_put_u64(nlh, LINUBIA_A_FIRST_SEEN_NS, 1);
		mb_put_u64(nlh, LINUBIA_A_LAST_RESET_NS, 0);
		mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, LINUBIA_A_COUNTERS));
		mb_end(&stream, nlh);
		mb_done(&stream, 0);
		assert_int_equal(parse(&c, &d), -LINUBIA_EBADREPLY);
		assert_detail_has(&d, bad == 0 ? "no user can be" : bad == 1 ? "DELEGATED_BY has 2 bytes"
							  : "DELEGATED_BY appears twice");
	}
}

static void other_sequence_numbers_are_skipped(void **state)
{
	struct linubia_record stale = sample(1), mine = sample(2);
	struct nlmsghdr *nlh;
	struct collected c;
	struct lnb_detail d;

	(void)state;
	setup_stream();
	nlh = (struct nlmsghdr *)(stream.buf + stream.len);
	mb_record(&stream, LINUBIA_CMD_GET_USER, &stale);
	nlh->nlmsg_seq = MB_SEQ - 1;
	mb_record(&stream, LINUBIA_CMD_GET_USER, &mine);
	mb_done(&stream, 0);
	assert_int_equal(parse(&c, &d), LNB_STREAM_END);
	assert_int_equal(c.count, 1);
	assert_int_equal(c.records[0].uid, 2);
}

static void unknown_attributes_and_counters_are_ignored(void **state)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct collected c;
	struct lnb_detail d;

	(void)state;
	setup_stream();
	nlh = mb_genl(&stream, LINUBIA_CMD_GET_USER, LINUBIA_GENL_VERSION, NLM_F_MULTI);
	mnl_attr_put_u32(nlh, 200, 0xdead);		/* a newer module's attribute */
	mnl_attr_put_u32(nlh, LINUBIA_A_UID, 77);
	mb_put_u64(nlh, LINUBIA_A_FIRST_SEEN_NS, 5);
	mb_put_u64(nlh, LINUBIA_A_LAST_RESET_NS, 6);
	nest = mnl_attr_nest_start(nlh, LINUBIA_A_COUNTERS);
	mnl_attr_put_u64(nlh, LINUBIA_NEST_TYPE(LINUBIA_COUNTER_COUNT + 3), 1);	/* newer counter */
	mnl_attr_put_u32(nlh, LINUBIA_NEST_TYPE(LINUBIA_COUNTER_COUNT), 1);
	mnl_attr_put_u64(nlh, LINUBIA_NEST_TYPE(LINUBIA_C_IN_IPV6_ICMP_BYTES), 99);
	mnl_attr_nest_end(nlh, nest);
	mb_end(&stream, nlh);
	mb_done(&stream, 0);
	assert_int_equal(parse(&c, &d), LNB_STREAM_END);
	assert_int_equal(c.records[0].uid, 77);
	assert_int_equal(c.records[0].counters[LINUBIA_C_IN_IPV6_ICMP_BYTES], 99);
	for (unsigned int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		if (i != LINUBIA_C_IN_IPV6_ICMP_BYTES)
			assert_int_equal(c.records[0].counters[i], 0);
}

/* Malformed records -------------------------------------------------------- */

/* A record message with the given UID attribute payload length. */
static void put_uid_of_len(struct nlmsghdr *nlh, size_t len)
{
	char payload[16] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	mnl_attr_put(nlh, LINUBIA_A_UID, len, payload);
}

static void finish_record(struct nlmsghdr *nlh)
{
	mb_put_u64(nlh, LINUBIA_A_FIRST_SEEN_NS, 5);
	mb_put_u64(nlh, LINUBIA_A_LAST_RESET_NS, 6);
	mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, LINUBIA_A_COUNTERS));
	mb_end(&stream, nlh);
	mb_done(&stream, 0);
}

static void short_and_long_uid_are_refused(void **state)
{
	static const size_t bad[] = { 0, 2, 3, 5, 8 };
	struct collected c;
	struct lnb_detail d;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nlmsghdr *nlh;

		setup_stream();
		nlh = mb_genl(&stream, LINUBIA_CMD_GET_USER, LINUBIA_GENL_VERSION, 0);
		put_uid_of_len(nlh, bad[i]);
		finish_record(nlh);
		assert_int_equal(parse(&c, &d), -LINUBIA_EBADREPLY);
		assert_detail_has(&d, "attribute UID has");
	}
}

static void oversized_counter_is_refused(void **state)
{
	char nine[9] = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct collected c;
	struct lnb_detail d;

	(void)state;
	setup_stream();
	nlh = mb_genl(&stream, LINUBIA_CMD_GET_USER, LINUBIA_GENL_VERSION, 0);
	mnl_attr_put_u32(nlh, LINUBIA_A_UID, 1);
	mb_put_u64(nlh, LINUBIA_A_FIRST_SEEN_NS, 5);
	mb_put_u64(nlh, LINUBIA_A_LAST_RESET_NS, 6);
	nest = mnl_attr_nest_start(nlh, LINUBIA_A_COUNTERS);
	mnl_attr_put(nlh, LINUBIA_NEST_TYPE(0), sizeof(nine), nine);
	mnl_attr_nest_end(nlh, nest);
	mb_end(&stream, nlh);
	mb_done(&stream, 0);
	assert_int_equal(parse(&c, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "COUNTERS has 9 bytes, expected 8");
}

static void attribute_longer_than_message_is_refused(void **state)
{
	struct nlmsghdr *nlh;
	struct nlattr *uid;
	struct collected c;
	struct lnb_detail d;

	(void)state;
	setup_stream();
	nlh = mb_genl(&stream, LINUBIA_CMD_GET_USER, LINUBIA_GENL_VERSION, 0);
	uid = (struct nlattr *)((char *)nlh + nlh->nlmsg_len);
	mnl_attr_put_u32(nlh, LINUBIA_A_UID, 1);
	uid->nla_len = 200;	/* claims far more than the message holds */
	mb_end(&stream, nlh);
	mb_done(&stream, 0);
	assert_int_equal(parse(&c, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "claims 200 bytes");
}

static void attribute_shorter_than_its_header_is_refused(void **state)
{
	struct nlmsghdr *nlh;
	struct nlattr *uid;
	struct collected c;
	struct lnb_detail d;

	(void)state;
	setup_stream();
	nlh = mb_genl(&stream, LINUBIA_CMD_GET_USER, LINUBIA_GENL_VERSION, 0);
	uid = (struct nlattr *)((char *)nlh + nlh->nlmsg_len);
	mnl_attr_put_u32(nlh, LINUBIA_A_UID, 1);
	uid->nla_len = 2;
	mb_end(&stream, nlh);
	mb_done(&stream, 0);
	assert_int_equal(parse(&c, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "claims 2 bytes");
}

static void truncated_nest_entry_is_refused(void **state)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct collected c;
	struct lnb_detail d;

	(void)state;
	setup_stream();
	nlh = mb_genl(&stream, LINUBIA_CMD_GET_USER, LINUBIA_GENL_VERSION, 0);
	mnl_attr_put_u32(nlh, LINUBIA_A_UID, 1);
	mb_put_u64(nlh, LINUBIA_A_FIRST_SEEN_NS, 5);
	mb_put_u64(nlh, LINUBIA_A_LAST_RESET_NS, 6);
	nest = mnl_attr_nest_start(nlh, LINUBIA_A_COUNTERS);
	mnl_attr_put_u64(nlh, LINUBIA_NEST_TYPE(1), 5);
	mnl_attr_nest_end(nlh, nest);
	nest->nla_len -= 4;	/* the nest ends inside its last entry */
	mb_end(&stream, nlh);
	mb_done(&stream, 0);
	assert_int_equal(parse(&c, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "COUNTERS: attribute 2 claims 12 bytes, 8 left");
}

static void missing_and_repeated_attributes_are_refused(void **state)
{
	struct linubia_record r = sample(3);
	struct nlmsghdr *nlh;
	struct collected c;
	struct lnb_detail d;

	(void)state;
	setup_stream();
	nlh = mb_genl(&stream, LINUBIA_CMD_GET_USER, LINUBIA_GENL_VERSION, 0);
	mb_put_u64(nlh, LINUBIA_A_FIRST_SEEN_NS, 5);
	mb_end(&stream, nlh);
	mb_done(&stream, 0);
	assert_int_equal(parse(&c, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "lacks attribute UID");

	setup_stream();
	nlh = mb_genl(&stream, LINUBIA_CMD_GET_USER, LINUBIA_GENL_VERSION, 0);
	mnl_attr_put_u32(nlh, LINUBIA_A_UID, 1);
	mnl_attr_put_u32(nlh, LINUBIA_A_UID, 2);
	finish_record(nlh);
	assert_int_equal(parse(&c, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "UID appears twice");

	/* The same counter twice inside the nest. */
	setup_stream();
	mb_record(&stream, LINUBIA_CMD_GET_USER, &r);
	{
		struct nlmsghdr *m = (struct nlmsghdr *)stream.buf;
		struct nlattr *nest = NULL, *a;

		mnl_attr_for_each(a, m, GENL_HDRLEN)
			if (mnl_attr_get_type(a) == LINUBIA_A_COUNTERS)
				nest = a;
		assert_non_null(nest);
		a = mnl_attr_get_payload(nest);
		while (mnl_attr_get_type(a) == LINUBIA_NEST_PAD)
			a = mnl_attr_next(a);
		/* Turn the second entry into a copy of the first's type. */
		struct nlattr *second = mnl_attr_next(a);

		while (mnl_attr_get_type(second) == LINUBIA_NEST_PAD)
			second = mnl_attr_next(second);
		second->nla_type = a->nla_type;
	}
	mb_done(&stream, 0);
	assert_int_equal(parse(&c, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "appears twice");
}

static void wrong_version_and_command_are_refused(void **state)
{
	struct nlmsghdr *nlh;
	struct collected c;
	struct lnb_detail d;

	(void)state;
	setup_stream();
	nlh = mb_genl(&stream, LINUBIA_CMD_GET_USER, LINUBIA_GENL_VERSION + 1, 0);
	mnl_attr_put_u32(nlh, LINUBIA_A_UID, 1);
	finish_record(nlh);
	assert_int_equal(parse(&c, &d), -LINUBIA_EVERSION);
	assert_detail_has(&d, "ABI version 2");

	setup_stream();
	nlh = mb_genl(&stream, LINUBIA_CMD_GET_STATS, LINUBIA_GENL_VERSION, 0);
	mnl_attr_put_u32(nlh, LINUBIA_A_UID, 1);
	finish_record(nlh);
	assert_int_equal(parse(&c, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "has command 3");
}

static void message_without_genl_header_is_refused(void **state)
{
	struct nlmsghdr *nlh;
	struct collected c;
	struct lnb_detail d;

	(void)state;
	setup_stream();
	nlh = mb_msg(&stream, MB_FAMILY, 0);	/* a bare netlink header */
	mb_end(&stream, nlh);
	assert_int_equal(parse(&c, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "no generic netlink header");
}

/* Broken streams ----------------------------------------------------------- */

static void truncated_and_stray_bytes_are_refused(void **state)
{
	struct linubia_record r = sample(4);
	struct collected c;
	struct lnb_detail d;

	(void)state;
	setup_stream();
	mb_record(&stream, LINUBIA_CMD_GET_USER, &r);
	stream.len -= 8;	/* the read ended inside the message */
	assert_int_equal(parse(&c, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "message claims");

	setup_stream();
	mb_record(&stream, LINUBIA_CMD_GET_USER, &r);
	stream.len += 7;	/* fewer bytes than a header */
	assert_int_equal(parse(&c, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "7 stray bytes");

	setup_stream();
	mb_record(&stream, LINUBIA_CMD_GET_USER, &r);
	((struct nlmsghdr *)stream.buf)->nlmsg_len = 8;
	assert_int_equal(parse(&c, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "message claims 8 bytes");
}

static void unexpected_message_type_is_refused(void **state)
{
	struct nlmsghdr *nlh;
	struct collected c;
	struct lnb_detail d;

	(void)state;
	setup_stream();
	nlh = mb_msg(&stream, MB_FAMILY + 1, 0);
	mb_end(&stream, nlh);
	assert_int_equal(parse(&c, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "message of type 29, expected 28");
}

static void kernel_errors_carry_their_extack(void **state)
{
	struct collected c;
	struct lnb_detail d;

	(void)state;
	for (int capped = 0; capped < 2; capped++) {
		setup_stream();
		mb_error(&stream, -EPERM, "reading another user's record needs CAP_NET_ADMIN",
			 capped);
		assert_int_equal(parse(&c, &d), -EPERM);
		assert_string_equal(d.text, "reading another user's record needs CAP_NET_ADMIN");
	}
	setup_stream();
	mb_error(&stream, -ENOENT, NULL, 1);
	assert_int_equal(parse(&c, &d), -ENOENT);
	assert_string_equal(d.text, "");

	setup_stream();
	mb_error(&stream, 0, NULL, 1);	/* an ACK */
	assert_int_equal(parse(&c, &d), LNB_STREAM_END);

	setup_stream();
	mb_error(&stream, 12345, NULL, 1);
	assert_int_equal(parse(&c, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "code 12345");
}

static void failed_dump_reports_its_error(void **state)
{
	struct collected c;
	struct lnb_detail d;

	(void)state;
	setup_stream();
	mb_done(&stream, -EMSGSIZE);
	assert_int_equal(parse(&c, &d), -EMSGSIZE);
}

/* Stats, config, family ------------------------------------------------------- */

static int parse_stats_msg(const struct nlmsghdr *nlh, void *arg, struct lnb_detail *d)
{
	return lnb_parse_stats(nlh, arg, d);
}

static int parse_config_msg(const struct nlmsghdr *nlh, void *arg, struct lnb_detail *d)
{
	return lnb_parse_config(nlh, arg, d);
}

static void stats_valid_and_incomplete(void **state)
{
	struct linubia_stats want = { .users = 3, .max_users = 1000, .delegated_users = 7,
				      .max_delegated = 500 }, got;
	struct lnb_detail d = { "" };
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	(void)state;
	for (unsigned int i = 0; i < LINUBIA_STAT_COUNT; i++)
		want.values[i] = 100 + i;
	setup_stream();
	mb_stats(&stream, &want);
	mb_error(&stream, 0, NULL, 1);
	assert_int_equal(lnb_parse_stream(stream.buf, stream.len, &expect, parse_stats_msg,
					  &got, &d), LNB_STREAM_END);
	assert_int_equal(got.users, want.users);
	assert_int_equal(got.max_users, want.max_users);
	assert_int_equal(got.delegated_users, want.delegated_users);
	assert_int_equal(got.max_delegated, want.max_delegated);
	for (unsigned int i = 0; i < LINUBIA_STAT_COUNT; i++)
		assert_int_equal(got.values[i], want.values[i]);

	setup_stream();
	nlh = mb_genl(&stream, LINUBIA_CMD_GET_STATS, LINUBIA_GENL_VERSION, 0);
	mnl_attr_put_u32(nlh, LINUBIA_A_USERS, 1);
	mnl_attr_put_u32(nlh, LINUBIA_A_MAX_USERS, 1);
	nest = mnl_attr_nest_start(nlh, LINUBIA_A_STATS);
	for (unsigned int i = 0; i < LINUBIA_STAT_COUNT; i++)
		mnl_attr_put_u64(nlh, LINUBIA_NEST_TYPE(i), 1);
	mnl_attr_nest_end(nlh, nest);
	mb_end(&stream, nlh);
	assert_int_equal(lnb_parse_stream(stream.buf, stream.len, &expect, parse_stats_msg,
					  &got, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "reply lacks attribute DELEGATED_USERS");

	setup_stream();
	nlh = mb_genl(&stream, LINUBIA_CMD_GET_STATS, LINUBIA_GENL_VERSION, 0);
	mnl_attr_put_u32(nlh, LINUBIA_A_USERS, 1);
	mnl_attr_put_u32(nlh, LINUBIA_A_MAX_USERS, 1);
	mnl_attr_put_u32(nlh, LINUBIA_A_DELEGATED_USERS, 1);
	mnl_attr_put_u32(nlh, LINUBIA_A_MAX_DELEGATED, 1);
	nest = mnl_attr_nest_start(nlh, LINUBIA_A_STATS);
	mnl_attr_put_u64(nlh, LINUBIA_NEST_TYPE(0), 1);	/* only the first stat */
	mnl_attr_nest_end(nlh, nest);
	mb_end(&stream, nlh);
	assert_int_equal(lnb_parse_stream(stream.buf, stream.len, &expect, parse_stats_msg,
					  &got, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "STATS lacks entries");
}

static void config_values_are_checked(void **state)
{
	struct linubia_config got;
	struct lnb_detail d = { "" };

	(void)state;
	setup_stream();
	mb_config(&stream, 1, 5000, 1024);
	mb_error(&stream, 0, NULL, 1);
	assert_int_equal(lnb_parse_stream(stream.buf, stream.len, &expect, parse_config_msg,
					  &got, &d), LNB_STREAM_END);
	assert_true(got.count_loopback);
	assert_int_equal(got.max_users, 5000);
	assert_int_equal(got.max_delegated, 1024);

	setup_stream();
	mb_config(&stream, 2, 5000, 1024);
	assert_int_equal(lnb_parse_stream(stream.buf, stream.len, &expect, parse_config_msg,
					  &got, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "COUNT_LOOPBACK is 2");
}

static int parse_read_gid_msg(const struct nlmsghdr *nlh, void *arg, struct lnb_detail *d)
{
	return lnb_parse_read_gid(nlh, arg, d);
}

/* READ_GID from the same GET_CONFIG reply: present, missing, wrong size. */
static void read_gid_reply(void **state)
{
	struct lnb_detail d = { "" };
	struct nlmsghdr *nlh;
	uint32_t gid = 0;

	(void)state;
	setup_stream();
	nlh = mb_genl(&stream, LINUBIA_CMD_GET_CONFIG, LINUBIA_GENL_VERSION, 0);
	mnl_attr_put_u8(nlh, LINUBIA_A_COUNT_LOOPBACK, 1);
	mnl_attr_put_u32(nlh, LINUBIA_A_READ_GID, 2000);
	mb_end(&stream, nlh);
	mb_error(&stream, 0, NULL, 1);
	assert_int_equal(lnb_parse_stream(stream.buf, stream.len, &expect, parse_read_gid_msg,
					  &gid, &d), LNB_STREAM_END);
	assert_int_equal(gid, 2000);

	setup_stream();
	mb_config(&stream, 1, 5000, 1024);	/* an older module: no READ_GID */
	assert_int_equal(lnb_parse_stream(stream.buf, stream.len, &expect, parse_read_gid_msg,
					  &gid, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "READ_GID");

	setup_stream();
	nlh = mb_genl(&stream, LINUBIA_CMD_GET_CONFIG, LINUBIA_GENL_VERSION, 0);
	mnl_attr_put_u16(nlh, LINUBIA_A_READ_GID, 7);
	mb_end(&stream, nlh);
	assert_int_equal(lnb_parse_stream(stream.buf, stream.len, &expect, parse_read_gid_msg,
					  &gid, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "READ_GID");
}

static void family_reply(void **state)
{
	struct lnb_detail d = { "" };
	struct nlmsghdr *nlh;
	uint16_t id = 0;
	uint32_t version = 0;

	(void)state;
	setup_stream();
	nlh = mb_genl(&stream, CTRL_CMD_NEWFAMILY, 2, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "linubia");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x21);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 1);
	assert_int_equal(lnb_parse_family(nlh, &id, &version, &d), 0);
	assert_int_equal(id, 0x21);
	assert_int_equal(version, 1);

	setup_stream();
	nlh = mb_genl(&stream, CTRL_CMD_NEWFAMILY, 2, 0);
	mnl_attr_put_u32(nlh, CTRL_ATTR_FAMILY_ID, 0x21);	/* u32 where u16 belongs */
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 1);
	assert_int_equal(lnb_parse_family(nlh, &id, &version, &d), -LINUBIA_EBADREPLY);
	assert_detail_has(&d, "CTRL_ATTR_FAMILY_ID has 4 bytes, expected 2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dump_of_three_records),
		cmocka_unit_test(dump_split_across_reads),
		cmocka_unit_test(record_with_all_counters_zero),
		cmocka_unit_test(delegated_by_is_parsed_and_checked),
		cmocka_unit_test(other_sequence_numbers_are_skipped),
		cmocka_unit_test(unknown_attributes_and_counters_are_ignored),
		cmocka_unit_test(short_and_long_uid_are_refused),
		cmocka_unit_test(oversized_counter_is_refused),
		cmocka_unit_test(attribute_longer_than_message_is_refused),
		cmocka_unit_test(attribute_shorter_than_its_header_is_refused),
		cmocka_unit_test(truncated_nest_entry_is_refused),
		cmocka_unit_test(missing_and_repeated_attributes_are_refused),
		cmocka_unit_test(wrong_version_and_command_are_refused),
		cmocka_unit_test(message_without_genl_header_is_refused),
		cmocka_unit_test(truncated_and_stray_bytes_are_refused),
		cmocka_unit_test(unexpected_message_type_is_refused),
		cmocka_unit_test(kernel_errors_carry_their_extack),
		cmocka_unit_test(failed_dump_reports_its_error),
		cmocka_unit_test(stats_valid_and_incomplete),
		cmocka_unit_test(config_values_are_checked),
		cmocka_unit_test(read_gid_reply),
		cmocka_unit_test(family_reply),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
