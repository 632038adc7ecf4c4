// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linked against the shared library with nothing but the public header:
 * the exported API is enough for a client (sum table, names, errors).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <linubia.h>

static void sum_table_through_the_shared_library(void **state)
{
	const struct linubia_sum *s = linubia_sum_by_name("out_ipv6_bytes");

	(void)state;
	assert_non_null(s);
	assert_int_equal(s->dir_mask, 1u << LINUBIA_DIR_OUT);
	assert_int_equal(s->family_mask, 1u << LINUBIA_FAMILY_IPV6);
	assert_int_equal(s->unit, LINUBIA_UNIT_BYTES);
	assert_ptr_equal(linubia_sum_at(0), linubia_sum_by_name("bytes"));
}

static void handles_refuse_null(void **state)
{
	(void)state;
	assert_int_equal(linubia_open(NULL, NULL), -EINVAL);
	assert_int_equal(linubia_reset_all(NULL), -EINVAL);
	assert_int_equal(linubia_snapshot_take(NULL, NULL), -EINVAL);
	assert_string_equal(linubia_error_detail(NULL), "");
	linubia_close(NULL);
	linubia_snapshot_free(NULL);
	linubia_names_free(NULL);
}

static void unknown_backend_name(void **state)
{
	struct linubia *h = (struct linubia *)&h;

	(void)state;
	assert_int_equal(linubia_open(&h, "no-such-backend"), -LINUBIA_ENOBACKEND);
	assert_null(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sum_table_through_the_shared_library),
		cmocka_unit_test(handles_refuse_null),
		cmocka_unit_test(unknown_backend_name),
	};

	return cmocka_run_group_tests_name("public", tests, NULL, NULL);
}
