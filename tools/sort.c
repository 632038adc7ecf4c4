// SPDX-License-Identifier: GPL-2.0-only
/* Row order for `linubia show`: deterministic, ties broken by UID. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int by_uid(const void *a, const void *b)
{
	const struct cli_row_key *x = a, *y = b;

	return (x->uid > y->uid) - (x->uid < y->uid);
}

static int by_value_desc(const void *a, const void *b)
{
	const struct cli_row_key *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? 1 : -1;
	return by_uid(a, b);
}

static int by_name(const void *a, const void *b)
{
	const struct cli_row_key *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : by_uid(a, b);
}

void cli_sort_keys(struct cli_row_key *keys, size_t n, enum cli_sort_by by)
{
	qsort(keys, n, sizeof(*keys), by == CLI_SORT_VALUE_DESC ? by_value_desc :
				      by == CLI_SORT_NAME ? by_name : by_uid);
}
