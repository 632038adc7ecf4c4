// SPDX-License-Identifier: GPL-2.0-only
/*
 * `linubia show`: the records as a table sorted by traffic (largest first),
 * as JSON / CSV for scripts (UID order unless --sort is given), or as
 * Prometheus / OpenMetrics metrics (format-openmetrics.c, UID order).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "format-openmetrics.h"

/* Table columns: each is a derived sum of liblinubia. */
static const struct show_column {
	const char *header;
	const char *sum;
} show_columns[] = {
	{ "IN", "in_bytes" },		{ "OUT", "out_bytes" },
	{ "IN-IPV4", "in_ipv4_bytes" },	{ "OUT-IPV4", "out_ipv4_bytes" },
	{ "IN-IPV6", "in_ipv6_bytes" },	{ "OUT-IPV6", "out_ipv6_bytes" },
	{ "IN-TCP", "in_tcp_bytes" },	{ "OUT-TCP", "out_tcp_bytes" },
	{ "IN-UDP", "in_udp_bytes" },	{ "OUT-UDP", "out_udp_bytes" },
};
#define SHOW_NCOLUMNS (sizeof(show_columns) / sizeof(show_columns[0]))

enum show_format { SHOW_TABLE, SHOW_JSON, SHOW_CSV, SHOW_PROMETHEUS, SHOW_OPENMETRICS };

static const char *const show_format_names[] = {
	[SHOW_TABLE] = "table", [SHOW_JSON] = "json", [SHOW_CSV] = "csv",
	[SHOW_PROMETHEUS] = "prometheus", [SHOW_OPENMETRICS] = "openmetrics",
};
#define SHOW_NFORMATS (sizeof(show_format_names) / sizeof(show_format_names[0]))

struct show_opts {
	bool one_uid;
	uint32_t uid;
	const char *sort;	/* NULL: bytes (table) or UID order (JSON, CSV) */
	bool raw;
	bool numeric;
	enum show_format format;
};

/* The rows to print: a snapshot, or the one record of --uid/--user. */
struct show_rows {
	const struct linubia_snapshot *snapshot;
	const struct linubia_record *single;
	size_t count;
};

static void rows_record(const struct show_rows *rows, size_t i,
			struct linubia_record *r)
{
	if (rows->single)
		*r = *rows->single;
	else
		(void)linubia_snapshot_record(rows->snapshot, i, r);
}

static uint64_t rows_sum(const struct show_rows *rows, size_t i,
			 const struct linubia_sum *sum)
{
	if (rows->single)
		return linubia_sum_value(sum, rows->single->counters);
	return linubia_snapshot_sum(rows->snapshot, i, sum);
}

static uint32_t rows_uid(const struct show_rows *rows, size_t i)
{
	return rows->single ? rows->single->uid : linubia_snapshot_uid(rows->snapshot, i);
}

/* Sorting ----------------------------------------------------------------- */

/* The sort keys of "uid", "user" and the sums. */
static bool show_sort_known(const char *sort)
{
	return !strcmp(sort, "uid") || !strcmp(sort, "user") ||
	       linubia_sum_by_name(sort);
}

/* Row order for sort; NULL on allocation failure.  uid_buf holds the
 * display texts of numeric UIDs for the name sort. */
static struct cli_row_key *show_order(const struct show_rows *rows, const char *sort,
				   struct linubia_names *names,
				   char (*uid_buf)[LINUBIA_UID_STRLEN])
{
	const struct linubia_sum *sum = linubia_sum_by_name(sort);
	struct cli_row_key *keys = calloc(rows->count ? rows->count : 1, sizeof(*keys));

	if (!keys)
		return NULL;
	for (size_t i = 0; i < rows->count; i++) {
		keys[i].row = i;
		keys[i].uid = rows_uid(rows, i);
		if (sum)
			keys[i].value = rows_sum(rows, i, sum);
		else if (!strcmp(sort, "user"))
			keys[i].name = linubia_names_display(names, keys[i].uid, uid_buf[i]);
	}
	cli_sort_keys(keys, rows->count, sum ? CLI_SORT_VALUE_DESC :
			  !strcmp(sort, "user") ? CLI_SORT_NAME : CLI_SORT_UID);
	return keys;
}

/* Output ------------------------------------------------------------------ */

static const char *show_user(struct linubia_names *names, uint32_t uid,
			     const struct show_opts *o, char buf[LINUBIA_UID_STRLEN])
{
	if (o->numeric) {
		if (uid == LINUBIA_UID_UNATTRIBUTED)
			return "(unattributed)";
		snprintf(buf, LINUBIA_UID_STRLEN, "%" PRIu32, uid);
		return buf;
	}
	return linubia_names_display(names, uid, buf);
}

/*
 * The table: a last column DELEGATED-BY names the user who delegated each
 * row's UID (user namespaces, subordinate UIDs), only when a row has one.
 */
static void show_table(const struct show_rows *rows, const struct cli_row_key *keys,
		       struct linubia_names *names, const struct show_opts *o)
{
	const struct linubia_sum *sums[SHOW_NCOLUMNS];
	int widths[SHOW_NCOLUMNS];
	char num[CLI_NUM_LEN], ubuf[LINUBIA_UID_STRLEN], bybuf[LINUBIA_UID_STRLEN];
	struct linubia_record r;
	const char *by;
	bool delegated = false;
	int user_width = 4;

	for (size_t c = 0; c < SHOW_NCOLUMNS; c++) {
		sums[c] = linubia_sum_by_name(show_columns[c].sum);
		widths[c] = (int)strlen(show_columns[c].header);
		if (!o->raw && widths[c] < 10)
			widths[c] = 10;	/* "1023.9 KiB" */
	}
	for (size_t i = 0; i < rows->count; i++) {
		size_t len = strlen(show_user(names, rows_uid(rows, i), o, ubuf));

		if ((int)len > user_width)
			user_width = (int)len;
		rows_record(rows, i, &r);
		delegated |= r.delegated_by != LINUBIA_NOT_DELEGATED;
		for (size_t c = 0; o->raw && c < SHOW_NCOLUMNS; c++) {
			int w = (int)strlen(cli_bytes(num, rows_sum(rows, i, sums[c]), true));

			if (w > widths[c])
				widths[c] = w;
		}
	}
	printf("%-*s %10s", user_width, "USER", "UID");
	for (size_t c = 0; c < SHOW_NCOLUMNS; c++)
		printf(" %*s", widths[c], show_columns[c].header);
	if (delegated)
		printf(" DELEGATED-BY");
	putchar('\n');
	for (size_t k = 0; k < rows->count; k++) {
		size_t i = keys[k].row;
		uint32_t uid = rows_uid(rows, i);

		printf("%-*s %10" PRIu32, user_width, show_user(names, uid, o, ubuf), uid);
		for (size_t c = 0; c < SHOW_NCOLUMNS; c++)
			printf(" %*s", widths[c], cli_bytes(num, rows_sum(rows, i, sums[c]), o->raw));
		rows_record(rows, i, &r);
		by = cli_delegated_by(names, &r, o->numeric, bybuf);
		if (delegated)
			printf(" %s", by ? by : "-");
		putchar('\n');
	}
}

static void show_json(const struct show_rows *rows, const struct cli_row_key *keys,
		      struct linubia_names *names, const struct show_opts *o,
		      const struct linubia_stats *stats, bool all_users,
		      const char *backend)
{
	struct linubia_record r;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	out_str(stdout, "{\"schema\":1,\"backend\":");
	json_string(stdout, backend);
	out_str(stdout, all_users ? ",\"scope\":\"all\"" : ",\"scope\":\"own\"");
	out_str(stdout, ",\"time_ns\":");
	out_u64(stdout, (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec);
	out_str(stdout, ",\"stats\":{");
	json_stats_fields(stdout, stats);
	out_str(stdout, "},\"users\":[");
	for (size_t k = 0; k < rows->count; k++) {
		rows_record(rows, keys[k].row, &r);
		if (k)
			out_str(stdout, ",\n");
		else
			out_str(stdout, "\n");
		json_record(stdout, &r, o->numeric ? NULL : linubia_names_get(names, r.uid),
			    o->numeric || r.delegated_by == LINUBIA_NOT_DELEGATED ? NULL :
			    linubia_names_get(names, r.delegated_by));
	}
	out_str(stdout, "\n]}\n");
}

static void show_csv(const struct show_rows *rows, const struct cli_row_key *keys,
		     struct linubia_names *names, const struct show_opts *o)
{
	struct linubia_record r;

	csv_header(stdout);
	for (size_t k = 0; k < rows->count; k++) {
		rows_record(rows, keys[k].row, &r);
		csv_record(stdout, &r, o->numeric ? NULL : linubia_names_get(names, r.uid));
	}
}

struct show_om_ctx {
	struct linubia_names *names;
	const struct show_opts *o;
};

static const char *show_om_user(void *ctx, uint32_t uid, char buf[LINUBIA_UID_STRLEN])
{
	struct show_om_ctx *c = ctx;

	return show_user(c->names, uid, c->o, buf);
}

/* Prometheus text or OpenMetrics: always in UID order. */
static int show_exposition(const struct show_rows *rows, struct linubia_names *names,
			   const struct show_opts *o, const struct linubia_stats *stats,
			   bool all_users, const char *backend)
{
	struct show_om_ctx ctx = { names, o };
	struct om_source src = {
		.snapshot = rows->snapshot, .single = rows->single, .stats = stats,
		.backend = backend, .all_users = all_users, .up = true,
		.user_name = show_om_user, .user_ctx = &ctx,
	};
	int err = om_write_file(stdout, o->format == SHOW_OPENMETRICS ? OM_OPENMETRICS : OM_TEXT,
				&src);

	if (err == -ENOMEM) {
		fprintf(stderr, "linubia: show: out of memory (free some memory and retry)\n");
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;	/* a write error is reported by show_rows */
}

static int show_format_option(const char *name, struct show_opts *o)
{
	for (size_t f = 0; f < SHOW_NFORMATS; f++) {
		if (!strcmp(name, show_format_names[f])) {
			o->format = (enum show_format)f;
			return 0;
		}
	}
	return cli_usage_error("--format %s: unknown format: use table, json, csv, prometheus "
			       "or openmetrics", name);
}

/* Options ----------------------------------------------------------------- */

static int show_parse(int argc, char **argv, struct show_opts *o)
{
	static const struct option longopts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "uid", required_argument, NULL, 'U' },
		{ "sort", required_argument, NULL, 's' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "numeric", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ "openmetrics", no_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, err;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "u:U:s:bnjc", longopts, NULL)) != -1) {
		switch (opt) {
		case 'u':
		case 'U':
			err = cli_user_option(opt, optarg, &o->uid);
			if (err)
				return err;
			o->one_uid = true;
			break;
		case 's':
			if (!show_sort_known(optarg))
				return cli_usage_error("--sort %s: unknown key: use uid, user or "
						       "a sum such as bytes, in_bytes, out_tcp_packets",
						       optarg);
			o->sort = optarg;
			break;
		case 'b':
			o->raw = true;
			break;
		case 'n':
			o->numeric = true;
			break;
		case 'j':
			o->format = SHOW_JSON;
			break;
		case 'c':
			o->format = SHOW_CSV;
			break;
		case 'f':
			err = show_format_option(optarg, o);
			if (err)
				return err;
			break;
		case 'P':
			o->format = SHOW_PROMETHEUS;
			break;
		case 'O':
			o->format = SHOW_OPENMETRICS;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error("show: unexpected argument '%s'", argv[optind]);
	if (o->sort && (o->format == SHOW_PROMETHEUS || o->format == SHOW_OPENMETRICS))
		return cli_usage_error("--sort %s: the %s format is always in UID order", o->sort,
				       show_format_names[o->format]);
	return 0;
}

/* Show rows (already fetched) in the requested format. */
static int show_rows(struct show_rows *rows, const struct show_opts *o,
		     const struct linubia_stats *stats, bool all_users,
		     const char *backend)
{
	const char *sort = o->sort ? o->sort : o->format == SHOW_TABLE ? "bytes" : "uid";
	char (*uid_buf)[LINUBIA_UID_STRLEN] = NULL;
	struct linubia_names *names = linubia_names_new();
	struct cli_row_key *keys = NULL;
	static char outbuf[1 << 16];
	int ret = CLI_EXIT_OK;

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	/* One pass over the user database beats one NSS query per row. */
	if (names && !o->numeric && rows->count > 64)
		(void)linubia_names_preload(names);
	if (!strcmp(sort, "user"))
		uid_buf = calloc(rows->count ? rows->count : 1, sizeof(*uid_buf));
	if (names && (uid_buf || strcmp(sort, "user")))
		keys = show_order(rows, sort, names, uid_buf);
	if (!keys) {
		fprintf(stderr, "linubia: show: out of memory (free some memory and retry)\n");
		ret = CLI_EXIT_FAILURE;
	} else if (o->format == SHOW_JSON) {
		show_json(rows, keys, names, o, stats, all_users, backend);
	} else if (o->format == SHOW_CSV) {
		show_csv(rows, keys, names, o);
	} else if (o->format == SHOW_PROMETHEUS || o->format == SHOW_OPENMETRICS) {
		ret = show_exposition(rows, names, o, stats, all_users, backend);
	} else {
		show_table(rows, keys, names, o);
	}
	free(keys);
	free(uid_buf);
	linubia_names_free(names);
	if (fflush(stdout) || ferror(stdout)) {
		perror("linubia: show: writing the output");
		ret = CLI_EXIT_FAILURE;
	}
	return ret;
}

static void show_scope_note(const struct show_opts *o, size_t count)
{
	if (o->format != SHOW_TABLE || o->one_uid)
		return;
	fprintf(stderr, "linubia: note: showing only your own traffic%s (the kernel shows "
		"other users' records only to CAP_NET_ADMIN and the module's read group: "
		"run as root to see all)\n",
		count ? "" : ", and you have none yet");
}

int cmd_show(int argc, char **argv)
{
	struct linubia_snapshot *snapshot = NULL;
	struct linubia_record record;
	struct linubia_stats stats;
	struct show_rows rows = { 0 };
	struct show_opts o;
	struct linubia *h;
	int ret, err, all_users;

	ret = show_parse(argc, argv, &o);
	if (ret)
		return ret;
	ret = cli_open(&h);
	if (ret)
		return ret;
	all_users = linubia_reads_all(h) == 1;
	if (o.one_uid) {
		err = linubia_get_user(h, o.uid, &record);
		if (!err)
			err = linubia_get_stats(h, &stats);
		if (err) {
			ret = cli_fail(h, err, "show uid %" PRIu32, o.uid);
			goto out;
		}
		rows.single = &record;
		rows.count = 1;
	} else {
		err = linubia_snapshot_take(h, &snapshot);
		if (err) {
			ret = cli_fail(h, err, "read the records");
			goto out;
		}
		rows.snapshot = snapshot;
		rows.count = linubia_snapshot_count(snapshot);
		stats = *linubia_snapshot_stats(snapshot);
	}
	if (!all_users)
		show_scope_note(&o, rows.count);
	ret = show_rows(&rows, &o, &stats, all_users, linubia_backend_name(h));
out:
	linubia_snapshot_free(snapshot);
	linubia_close(h);
	return ret;
}
