// SPDX-License-Identifier: GPL-2.0-only
/*
 * The command's pure pieces: unit formatting, JSON and CSV escaping, row
 * order, JSON record output, and the NSS name cache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"

static void byte_units(void **state)
{
	char b[CLI_NUM_LEN];

	(void)state;
	assert_string_equal(cli_bytes(b, 0, false), "0 B");
	assert_string_equal(cli_bytes(b, 1023, false), "1023 B");
	assert_string_equal(cli_bytes(b, 1024, false), "1.0 KiB");
	assert_string_equal(cli_bytes(b, 1536, false), "1.5 KiB");
	assert_string_equal(cli_bytes(b, 1048575, false), "1.0 MiB");	/* not "1024.0 KiB" */
	assert_string_equal(cli_bytes(b, 1047961, false), "1023.4 KiB");
	assert_string_equal(cli_bytes(b, 5ull << 30, false), "5.0 GiB");
	assert_string_equal(cli_bytes(b, UINT64_MAX, false), "16.0 EiB");
	assert_string_equal(cli_bytes(b, UINT64_MAX, true), "18446744073709551615");
	assert_string_equal(cli_bytes(b, 1536, true), "1536");
}

static void rate_units(void **state)
{
	char b[CLI_NUM_LEN];

	(void)state;
	assert_string_equal(cli_byte_rate(b, 0, false), "0 B/s");
	assert_string_equal(cli_byte_rate(b, 100000, false), "97.7 KiB/s");
	assert_string_equal(cli_byte_rate(b, 100000.4, true), "100000");
	assert_string_equal(cli_count_rate(b, 999, false), "999/s");
	assert_string_equal(cli_count_rate(b, 1500, false), "1.5k/s");
	assert_string_equal(cli_count_rate(b, 2.5e6, false), "2.5M/s");
	assert_string_equal(cli_count_rate(b, 1500, true), "1500");
}

/* What f wrote to a memory stream, for comparing. */
static char *captured(void (*write)(FILE *, const char *), const char *in)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	write(f, in);
	assert_int_equal(fclose(f), 0);
	return text;
}

static void expect_json(const char *in, const char *want)
{
	char *got = captured(json_string, in);

	if (strcmp(got, want))
		fail_msg("json_string(\"%s\"): got %s, expected %s", in, got, want);
	free(got);
}

static void json_escaping(void **state)
{
	(void)state;
	expect_json("alice", "\"alice\"");
	expect_json("", "\"\"");
	expect_json("a\"b\\c", "\"a\\\"b\\\\c\"");
	expect_json("tab\there\nnl\x01\x1f\x7f", "\"tab\\u0009here\\u000anl\\u0001\\u001f\\u007f\"");
	expect_json("j\xc3\xa9r\xc3\xb4me \xe2\x82\xac \xf0\x9f\x98\x80",
		    "\"j\xc3\xa9r\xc3\xb4me \xe2\x82\xac \xf0\x9f\x98\x80\"");	/* valid UTF-8 kept */
	expect_json("bad\xff", "\"bad\\ufffd\"");
	expect_json("\xc0\x80", "\"\\ufffd\\ufffd\"");		/* overlong NUL */
	expect_json("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");	/* surrogate */
	expect_json("cut\xe2\x82", "\"cut\\ufffd\\ufffd\"");		/* truncated at the end */
	expect_json("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");	/* > U+10FFFF */
}

static void csv_quoting(void **state)
{
	char *got;

	(void)state;
	got = captured(csv_field, "plain");
	assert_string_equal(got, "plain");
	free(got);
	got = captured(csv_field, "a,b");
	assert_string_equal(got, "\"a,b\"");
	free(got);
	got = captured(csv_field, "say \"hi\"\n");
	assert_string_equal(got, "\"say \"\"hi\"\"\n\"");
	free(got);
}

static void row_order(void **state)
{
	struct cli_row_key keys[] = {
		{ .value = 5, .name = "carol", .uid = 30, .row = 0 },
		{ .value = 9, .name = "alice", .uid = 20, .row = 1 },
		{ .value = 5, .name = "bob", .uid = 10, .row = 2 },
		{ .value = 0, .name = "bob", .uid = 5, .row = 3 },
	};
	size_t by_value[] = { 1, 2, 0, 3 }, by_uid[] = { 3, 2, 1, 0 }, by_name[] = { 1, 3, 2, 0 };

	(void)state;
	cli_sort_keys(keys, 4, CLI_SORT_VALUE_DESC);
	for (int i = 0; i < 4; i++)
		assert_int_equal(keys[i].row, by_value[i]);
	cli_sort_keys(keys, 4, CLI_SORT_UID);
	for (int i = 0; i < 4; i++)
		assert_int_equal(keys[i].row, by_uid[i]);
	cli_sort_keys(keys, 4, CLI_SORT_NAME);
	for (int i = 0; i < 4; i++)
		assert_int_equal(keys[i].row, by_name[i]);
}

static void json_record_has_every_counter(void **state)
{
	struct linubia_record r = { .uid = 1001, .first_seen_ns = 11, .last_reset_ns = 0 };
	char *text = NULL, key[64];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	for (unsigned int c = 0; c < LINUBIA_COUNTER_COUNT; c++)
		r.counters[c] = 1000 + c;
	r.delegated_by = LINUBIA_NOT_DELEGATED;
	json_record(f, &r, "a\"b", NULL);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(text, "{\"uid\":1001,\"user\":\"a\\\"b\",\"unattributed\":false,"
				     "\"delegated_by\":null,\"delegated_by_user\":null,"
				     "\"first_seen_ns\":11,\"last_reset_ns\":0,"));
	for (unsigned int c = 0; c < LINUBIA_COUNTER_COUNT; c++) {
		snprintf(key, sizeof(key), "\"%s\":%u", linubia_counter_name(c), 1000 + c);
		if (!strstr(text, key))
			fail_msg("%s missing from %s", key, text);
	}
	/* in_bytes = the 8 in_*_bytes counters: 1000+0, +2, ... +14 */
	assert_non_null(strstr(text, "\"totals\":{\"in_bytes\":8056,"));
	free(text);
}

static void json_record_names_its_delegating_user(void **state)
{
	struct linubia_record r = { .uid = 231072, .first_seen_ns = 1, .delegated_by = 1010 };
	char *text = NULL, line[512];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	json_record(f, &r, NULL, "alice");
	json_record(f, &r, NULL, NULL);
	csv_header(f);
	csv_record(f, &r, NULL);
	r.delegated_by = LINUBIA_NOT_DELEGATED;
	csv_record(f, &r, NULL);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(text, "{\"uid\":231072,\"user\":null,\"unattributed\":false,"
				     "\"delegated_by\":1010,\"delegated_by_user\":\"alice\","));
	assert_non_null(strstr(text, "\"delegated_by\":1010,\"delegated_by_user\":null,"));
	/* CSV: delegated_by is the last column, empty when nobody delegated */
	assert_non_null(strstr(text, "_packets,delegated_by\n"));
	snprintf(line, sizeof(line), ",0,1010\n231072,");
	assert_non_null(strstr(text, line));
	assert_int_equal(text[strlen(text) - 2], ',');
	free(text);
}

static void names_from_nss(void **state)
{
	struct linubia_names *n = linubia_names_new();
	char buf[LINUBIA_UID_STRLEN];
	const char *root;

	(void)state;
	assert_non_null(n);
	root = linubia_names_get(n, 0);
	assert_string_equal(root, "root");
	assert_ptr_equal(linubia_names_get(n, 0), root);	/* cached */
	assert_null(linubia_names_get(n, 3999999999u));
	assert_string_equal(linubia_names_display(n, 3999999999u, buf), "3999999999");
	assert_string_equal(linubia_names_display(n, LINUBIA_UID_UNATTRIBUTED, buf),
			    "(unattributed)");
	/* Enough UIDs to grow the table several times; root stays. */
	for (uint32_t uid = 4000000; uid < 4001000; uid++)
		assert_null(linubia_names_get(n, uid));
	assert_string_equal(linubia_names_get(n, 0), "root");
	linubia_names_free(n);

	/* Preloaded: the same answers (root, nobody) from one enumeration. */
	n = linubia_names_new();
	assert_int_equal(linubia_names_preload(n), 0);
	assert_string_equal(linubia_names_get(n, 0), "root");
	assert_string_equal(linubia_names_get(n, 65534), "nobody");
	assert_null(linubia_names_get(n, 3999999999u));
	linubia_names_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(byte_units),
		cmocka_unit_test(rate_units),
		cmocka_unit_test(json_escaping),
		cmocka_unit_test(csv_quoting),
		cmocka_unit_test(row_order),
		cmocka_unit_test(json_record_has_every_counter),
		cmocka_unit_test(json_record_names_its_delegating_user),
		cmocka_unit_test(names_from_nss),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
