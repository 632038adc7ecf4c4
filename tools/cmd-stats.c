// SPDX-License-Identifier: GPL-2.0-only
/*
 * `linubia stats` (global counters, from the UAPI stat list, and the
 * bound on delegated UIDs with the users who reached it) and
 * `linubia config [count_loopback=on|off | max_delegated=N | read_gid=N|none]`.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A delegating user and how many records its delegated UIDs hold. */
struct stats_owner {
	uint32_t uid;
	uint32_t records;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The delegating users with at least max records (their further delegated
 * UIDs are charged to them), from a snapshot: *owners is malloc()ed.
 */
static int stats_at_bound(const struct linubia_snapshot *s, uint32_t max,
			  struct stats_owner **owners, size_t *n)
{
	size_t count = linubia_snapshot_count(s), nby = 0;
	uint32_t *by = malloc((count ? count : 1) * sizeof(*by));
	struct linubia_record r;

	*owners = malloc((count ? count : 1) * sizeof(**owners));
	*n = 0;
	if (!by || !*owners) {
		free(by);
		free(*owners);
		*owners = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < count; i++)
		if (!linubia_snapshot_record(s, i, &r) && r.delegated_by != LINUBIA_NOT_DELEGATED)
			by[nby++] = r.delegated_by;
	qsort(by, nby, sizeof(*by), cmp_u32);
	for (size_t i = 0, j; i < nby; i = j) {
		for (j = i; j < nby && by[j] == by[i]; j++)
			;
		if (j - i >= max)
			(*owners)[(*n)++] = (struct stats_owner){ by[i], (uint32_t)(j - i) };
	}
	free(by);
	return 0;
}

static void stats_print_owners(const struct stats_owner *owners, size_t n, bool json)
{
	struct linubia_names *names = linubia_names_new();
	char ubuf[LINUBIA_UID_STRLEN];

	if (json)
		fputs(",\"at_bound\":[", stdout);
	else
		printf("%-24s %s", "at_bound", n ? "" : "none\n");
	for (size_t i = 0; i < n; i++) {
		if (json) {
			printf("%s{\"uid\":%" PRIu32 ",\"user\":", i ? "," : "", owners[i].uid);
			if (names && linubia_names_get(names, owners[i].uid))
				json_string(stdout, linubia_names_get(names, owners[i].uid));
			else
				fputs("null", stdout);
			printf(",\"records\":%" PRIu32 "}", owners[i].records);
		} else {
			printf("%s%s (%" PRIu32 " records)%s", i ? ", " : "",
			       linubia_names_display(names, owners[i].uid, ubuf), owners[i].records,
			       i + 1 == n ? "\n" : "");
		}
	}
	if (json)
		putchar(']');
	linubia_names_free(names);
}

int cmd_stats(int argc, char **argv)
{
	bool json = argc == 2 && !strcmp(argv[1], "--json");
	struct linubia_snapshot *snap = NULL;
	struct stats_owner *owners = NULL;
	struct linubia_stats stats;
	struct linubia *h;
	size_t nowners = 0;
	int ret, err, all_users;

	if (argc > 2 || (argc == 2 && !json))
		return cli_usage_error("stats: unexpected argument '%s'", argv[argc - 1]);
	ret = cli_open(&h);
	if (ret)
		return ret;
	/* Who is at the bound needs every record: only for who reads them all. */
	all_users = linubia_reads_all(h) == 1;
	err = all_users ? linubia_snapshot_take(h, &snap) : linubia_get_stats(h, &stats);
	if (!err && all_users) {
		stats = *linubia_snapshot_stats(snap);
		err = stats_at_bound(snap, stats.max_delegated, &owners, &nowners);
	}
	if (err) {
		ret = cli_fail(h, err, "read the statistics");
	} else if (json) {
		putchar('{');
		json_stats_fields(stdout, &stats);
		if (all_users)
			stats_print_owners(owners, nowners, true);
		puts("}");
	} else {
		printf("%-24s %" PRIu32 "\n", "users", stats.users);
		printf("%-24s %" PRIu32 "\n", "max_users", stats.max_users);
		printf("%-24s %" PRIu32 "\n", "delegated_users", stats.delegated_users);
		printf("%-24s %" PRIu32 "\n", "max_delegated", stats.max_delegated);
		for (unsigned int s = 0; s < LINUBIA_STAT_COUNT; s++)
			printf("%-24s %" PRIu64 "\n", linubia_stat_name(s), stats.values[s]);
		if (all_users)
			stats_print_owners(owners, nowners, false);
	}
	free(owners);
	linubia_snapshot_free(snap);
	linubia_close(h);
	return ret;
}

/* A setting of `linubia config`. */
struct config_set {
	enum { SET_NONE, SET_LOOPBACK, SET_MAX_DELEGATED, SET_READ_GID } what;
	bool on;
	uint32_t max;		/* max_delegated, or read_gid */
};

/* A decimal uint32 (no sign, no blanks); -1 if it is not one. */
static int config_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* count_loopback=on|off|1|0, max_delegated=N or read_gid=N|none; -1 if not a
 * setting we know. */
static int config_parse(const char *setting, struct config_set *set)
{
	if (!strcmp(setting, "count_loopback=on") || !strcmp(setting, "count_loopback=1")) {
		*set = (struct config_set){ SET_LOOPBACK, true, 0 };
		return 0;
	}
	if (!strcmp(setting, "count_loopback=off") || !strcmp(setting, "count_loopback=0")) {
		*set = (struct config_set){ SET_LOOPBACK, false, 0 };
		return 0;
	}
	if (!strncmp(setting, "max_delegated=", 14)) {
		*set = (struct config_set){ SET_MAX_DELEGATED, false, 0 };
		return config_u32(setting + 14, &set->max);
	}
	if (!strcmp(setting, "read_gid=none")) {
		*set = (struct config_set){ SET_READ_GID, false, LINUBIA_NO_GID };
		return 0;
	}
	if (!strncmp(setting, "read_gid=", 9)) {
		*set = (struct config_set){ SET_READ_GID, false, 0 };
		/* LINUBIA_NO_GID is spelt "none" */
		return config_u32(setting + 9, &set->max) || set->max == LINUBIA_NO_GID ? -1 : 0;
	}
	return -1;
}

/* read_gid=N|none, or nothing where the backend has no read group (eBPF). */
static int config_print_read_gid(struct linubia *h)
{
	uint32_t gid;
	int err = linubia_get_read_gid(h, &gid);

	if (err == -EOPNOTSUPP)
		return 0;
	if (err)
		return cli_fail(h, err, "read the read group");
	if (gid == LINUBIA_NO_GID)
		printf("read_gid=none\n");
	else
		printf("read_gid=%" PRIu32 "\n", gid);
	return 0;
}

int cmd_config(int argc, char **argv)
{
	struct config_set set = { SET_NONE, false, 0 };
	struct linubia_config config;
	struct linubia *h;
	int ret, err;

	if (argc > 2)
		return cli_usage_error("config: one setting at a time");
	if (argc == 2 && config_parse(argv[1], &set))
		return cli_usage_error("config: unknown setting '%s': expected count_loopback=on|off, "
				       "max_delegated=N or read_gid=N|none", argv[1]);
	ret = cli_open(&h);
	if (ret)
		return ret;
	if (set.what != SET_NONE) {
		err = set.what == SET_LOOPBACK ? linubia_set_count_loopback(h, set.on)
		      : set.what == SET_READ_GID ? linubia_set_read_gid(h, set.max)
						 : linubia_set_max_delegated(h, set.max);
		if (err)
			ret = cli_fail(h, err, "set %s", argv[1]);
	} else {
		err = linubia_get_config(h, &config);
		if (err) {
			ret = cli_fail(h, err, "read the configuration");
		} else {
			printf("count_loopback=%s\n", config.count_loopback ? "on" : "off");
			printf("max_users=%" PRIu32 "\n", config.max_users);
			printf("max_delegated=%" PRIu32 "\n", config.max_delegated);
			ret = config_print_read_gid(h);
		}
	}
	linubia_close(h);
	return ret;
}
