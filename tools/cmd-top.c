// SPDX-License-Identifier: GPL-2.0-only
/*
 * `linubia top`: per-user rates (bytes/s, packets/s, in and out) from two
 * snapshots an interval apart, busiest first.  A full-screen ANSI view on a
 * terminal ('q' or Ctrl-C quits); one line per active user and interval
 * when stdout is not a terminal.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "term.h"

enum { TOP_IN_BYTES, TOP_OUT_BYTES, TOP_IN_PACKETS, TOP_OUT_PACKETS, TOP_NRATES };
static const char *const top_sum_names[TOP_NRATES] = {
	"in_bytes", "out_bytes", "in_packets", "out_packets",
};

struct top_row {
	uint32_t uid;
	double rate[TOP_NRATES];
};

struct top_opts {
	double interval;	/* seconds */
	unsigned long iterations;	/* 0: until q */
	bool raw;
	bool numeric;
};

static int top_row_cmp(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;
	double tx = x->rate[TOP_IN_BYTES] + x->rate[TOP_OUT_BYTES];
	double ty = y->rate[TOP_IN_BYTES] + y->rate[TOP_OUT_BYTES];

	if (tx != ty)
		return tx < ty ? 1 : -1;
	return (x->uid > y->uid) - (x->uid < y->uid);
}

/*
 * Rates between prev and cur (both sorted by UID), busiest first.  A record
 * that is new, or whose counters went down (reset), counts from zero.
 */
static struct top_row *top_rates(const struct linubia_snapshot *prev,
				 const struct linubia_snapshot *cur, size_t *nrows)
{
	const struct linubia_sum *sums[TOP_NRATES];
	size_t n = linubia_snapshot_count(cur), np = linubia_snapshot_count(prev), j = 0;
	double seconds = (double)(linubia_snapshot_time_ns(cur) -
				  linubia_snapshot_time_ns(prev)) / 1e9;
	struct top_row *rows = calloc(n ? n : 1, sizeof(*rows));

	if (!rows)
		return NULL;
	for (int k = 0; k < TOP_NRATES; k++)
		sums[k] = linubia_sum_by_name(top_sum_names[k]);
	for (size_t i = 0; i < n; i++) {
		uint32_t uid = linubia_snapshot_uid(cur, i);
		bool known;

		while (j < np && linubia_snapshot_uid(prev, j) < uid)
			j++;
		known = j < np && linubia_snapshot_uid(prev, j) == uid;
		rows[i].uid = uid;
		for (int k = 0; k < TOP_NRATES; k++) {
			uint64_t now = linubia_snapshot_sum(cur, i, sums[k]);
			uint64_t then = known ? linubia_snapshot_sum(prev, j, sums[k]) : 0;
			uint64_t delta = now >= then ? now - then : now;

			rows[i].rate[k] = seconds > 0 ? (double)delta / seconds : 0;
		}
	}
	qsort(rows, n, sizeof(*rows), top_row_cmp);
	*nrows = n;
	return rows;
}

static bool top_active(const struct top_row *row)
{
	for (int k = 0; k < TOP_NRATES; k++)
		if (row->rate[k] > 0)
			return true;
	return false;
}

static void top_print_row(const struct top_row *row, struct linubia_names *names,
			  const struct top_opts *o, const char *prefix)
{
	char ubuf[LINUBIA_UID_STRLEN], a[CLI_NUM_LEN], b[CLI_NUM_LEN];
	char c[CLI_NUM_LEN], d[CLI_NUM_LEN];
	const char *user = ubuf;

	if (o->numeric)
		snprintf(ubuf, sizeof(ubuf), "%" PRIu32, row->uid);
	else
		user = linubia_names_display(names, row->uid, ubuf);

	printf("%s%-16s %10" PRIu32 " %12s %12s %10s %10s\n", prefix, user, row->uid,
	       cli_byte_rate(a, row->rate[TOP_IN_BYTES], o->raw),
	       cli_byte_rate(b, row->rate[TOP_OUT_BYTES], o->raw),
	       cli_count_rate(c, row->rate[TOP_IN_PACKETS], o->raw),
	       cli_count_rate(d, row->rate[TOP_OUT_PACKETS], o->raw));
}

static void top_header(const char *prefix)
{
	printf("%s%-16s %10s %12s %12s %10s %10s\n", prefix, "USER", "UID", "IN/s",
	       "OUT/s", "IN-PKT/s", "OUT-PKT/s");
}

/* One full screen: title, totals, the busiest rows that fit. */
static void top_screen(const struct top_row *rows, size_t n, struct linubia_names *names,
		       const struct top_opts *o, bool all_users)
{
	double total[TOP_NRATES] = { 0 };
	char a[CLI_NUM_LEN], b[CLI_NUM_LEN], clock[16];
	size_t fit = (size_t)(term_rows() > 6 ? term_rows() - 5 : 1);
	time_t now = time(NULL);
	struct tm tm;

	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < TOP_NRATES; k++)
			total[k] += rows[i].rate[k];
	if (!localtime_r(&now, &tm) || !strftime(clock, sizeof(clock), "%H:%M:%S", &tm))
		strcpy(clock, "?");
	printf("\033[H\033[2J");
	printf("linubia top - %s, every %.1f s, %zu users%s (q or Ctrl-C quits)\n", clock,
	       o->interval, n, all_users ? "" : ", only your own traffic");
	printf("total in %s, out %s\n\n", cli_byte_rate(a, total[TOP_IN_BYTES], o->raw),
	       cli_byte_rate(b, total[TOP_OUT_BYTES], o->raw));
	top_header("");
	for (size_t i = 0; i < n && i < fit; i++)
		top_print_row(&rows[i], names, o, "");
	fflush(stdout);
}

/* Line output: the active users of this interval, prefixed by the time. */
static void top_lines(const struct top_row *rows, size_t n, struct linubia_names *names,
		      const struct top_opts *o)
{
	char prefix[32];
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(prefix, sizeof(prefix), "%lld.%03ld ", (long long)now.tv_sec,
		 now.tv_nsec / 1000000);
	for (size_t i = 0; i < n; i++)
		if (top_active(&rows[i]))
			top_print_row(&rows[i], names, o, prefix);
	fflush(stdout);
}

static int top_parse(int argc, char **argv, struct top_opts *o)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "numeric", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int opt;

	memset(o, 0, sizeof(*o));
	o->interval = 1.0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "d:n:b", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			o->interval = strtod(optarg, &end);
			if (*end || !(o->interval >= 0.1 && o->interval <= 3600))
				return cli_usage_error("--interval %s: expected seconds from 0.1 to 3600",
						       optarg);
			break;
		case 'n':
			o->iterations = strtoul(optarg, &end, 10);
			if (*end || optarg[0] < '0' || optarg[0] > '9')
				return cli_usage_error("--iterations %s: expected a count", optarg);
			break;
		case 'b':
			o->raw = true;
			break;
		case 'N':
			o->numeric = true;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error("top: unexpected argument '%s'", argv[optind]);
	return 0;
}

static uint64_t top_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleep until deadline (monotonic ns); true if the user asked to quit. */
static bool top_wait(uint64_t deadline)
{
	uint64_t now;

	while (!term_stop && (now = top_now_ns()) < deadline) {
		uint64_t ms = (deadline - now + 999999) / 1000000;

		if (term_wait_quit((int)(ms > 1000000 ? 1000000 : ms)))
			return true;
	}
	return term_stop != 0;
}

static int top_loop(struct linubia *h, const struct top_opts *o, bool tty)
{
	uint64_t step = (uint64_t)(o->interval * 1e9), deadline;
	struct linubia_snapshot *prev = NULL, *cur = NULL;
	struct linubia_names *names = linubia_names_new();
	bool all_users = linubia_reads_all(h) == 1;
	int ret = CLI_EXIT_OK, err;

	if (!names)
		return cli_fail(h, -ENOMEM, "top");
	err = linubia_snapshot_take(h, &prev);
	if (err)
		goto fail;
	if (!tty)
		top_header("time ");
	deadline = linubia_snapshot_time_ns(prev) + step;
	for (unsigned long i = 0; !o->iterations || i < o->iterations; i++) {
		struct top_row *rows;
		size_t n;

		if (top_wait(deadline))
			break;
		err = linubia_snapshot_take(h, &cur);
		if (err)
			goto fail;
		rows = top_rates(prev, cur, &n);
		if (!rows) {
			err = -ENOMEM;
			goto fail;
		}
		if (tty)
			top_screen(rows, n, names, o, all_users);
		else
			top_lines(rows, n, names, o);
		free(rows);
		linubia_snapshot_free(prev);
		prev = cur;
		cur = NULL;
		deadline += step;
		if (deadline < top_now_ns())	/* fell behind: do not race */
			deadline = top_now_ns() + step;
	}
	goto out;
fail:
	if (tty)
		printf("\n");
	ret = cli_fail(h, err, "top: read the records");
out:
	linubia_snapshot_free(prev);
	linubia_snapshot_free(cur);
	linubia_names_free(names);
	return ret;
}

int cmd_top(int argc, char **argv)
{
	bool tty = isatty(STDOUT_FILENO);
	struct top_opts o;
	struct linubia *h;
	int ret;

	ret = top_parse(argc, argv, &o);
	if (ret)
		return ret;
	ret = cli_open(&h);
	if (ret)
		return ret;
	term_catch_signals();
	if (tty) {
		term_raw();
		printf("\033[?25l");	/* hide the cursor while drawing */
	}
	ret = top_loop(h, &o, tty);
	if (tty) {
		printf("\033[?25h");
		fflush(stdout);
		term_restore();
	}
	linubia_close(h);
	return ret;
}
