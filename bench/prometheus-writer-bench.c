// SPDX-License-Identifier: GPL-2.0-only
/*
 * The exposition writer alone, without a backend or HTTP: a snapshot of N
 * synthetic records (two non-zero counters each, like one datagram per
 * user) written in the text format and OpenMetrics, plain and gzipped as
 * linubia-exporter does it (libdeflate level 1, one gzip member per MiB of
 * text).  No backend, no HTTP, no root.  Prints the median of ROUNDS.
 * Usage: prometheus-writer-bench N ROUNDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libdeflate.h>

#include "format-openmetrics.h"
#include "internal.h"

static const char *numeric(void *ctx, uint32_t uid, char buf[LINUBIA_UID_STRLEN])
{
	(void)ctx;
	if (uid == LINUBIA_UID_UNATTRIBUTED)
		return "(unattributed)";
	snprintf(buf, LINUBIA_UID_STRLEN, "%u", uid);
	return buf;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#define MEMBER (1 << 20)

/* One full exposition; returns the bytes produced (compressed if gz). */
static size_t expose(enum om_format f, const struct om_source *src, bool gz)
{
	static char plain[MEMBER], packed[2 * MEMBER];
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(1);
	struct om_writer *w = om_writer_new(f, src);
	size_t total = 0;
	ssize_t n;

	if (!w || !c || libdeflate_gzip_compress_bound(c, MEMBER) > sizeof(packed))
		exit(1);
	while ((n = om_writer_read(w, plain, MEMBER)) > 0) {
		size_t z = gz ? libdeflate_gzip_compress(c, plain, (size_t)n, packed,
							 sizeof(packed)) : (size_t)n;

		if (!z)
			exit(1);
		total += z;
	}
	if (n < 0)
		exit(1);
	libdeflate_free_compressor(c);
	om_writer_free(w);
	return total;
}

int main(int argc, char **argv)
{
	struct linubia_snapshot *s = lnb_snapshot_new();
	struct linubia_record r = { .first_seen_ns = UINT64_C(1795990724834646170) };
	struct linubia_stats st = { .max_users = 200000 };
	struct lnb_detail d;
	unsigned long n, rounds;

	if (argc != 3 || !s)
		return fprintf(stderr, "usage: prometheus-writer-bench N ROUNDS\n"), 2;
	n = strtoul(argv[1], NULL, 10);
	rounds = strtoul(argv[2], NULL, 10);
	for (unsigned long i = 0; i < n; i++) {
		r.uid = (uint32_t)(500000 + i);
		r.counters[LINUBIA_C_OUT_IPV4_UDP_BYTES] = 29 + i;
		r.counters[LINUBIA_C_OUT_IPV4_UDP_PACKETS] = 1;
		if (lnb_snapshot_add(s, &r))
			return 1;
	}
	st.users = (uint32_t)n;
	lnb_snapshot_set_stats(s, &st);
	if (lnb_snapshot_finish(s, &d))
		return 1;
	for (int f = OM_TEXT; f <= OM_OPENMETRICS; f++) {
		for (int gz = 0; gz <= 1; gz++) {
			struct om_source src = { .snapshot = s, .stats = &st, .backend = "ebpf",
						 .all_users = true, .up = true, .user_name = numeric };
			double *t = calloc(rounds, sizeof(*t));
			size_t bytes = 0;

			for (unsigned long k = 0; k < rounds; k++) {
				double t0 = now_ms();

				bytes = expose((enum om_format)f, &src, gz);
				t[k] = now_ms() - t0;
			}
			qsort(t, rounds, sizeof(*t), cmp);
			printf("%lu records, %-11s %-5s %8.1f ms median (min %.1f) %11zu bytes\n", n,
			       f == OM_TEXT ? "text" : "OpenMetrics", gz ? "gzip" : "plain",
			       t[rounds / 2], t[0], bytes);
			free(t);
		}
	}
	linubia_snapshot_free(s);
	return 0;
}
