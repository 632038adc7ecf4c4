// SPDX-License-Identifier: GPL-2.0-only
/*
 * The exposition writer alone, without a backend or HTTP: a snapshot of N
 * synthetic records (two non-zero counters each, like one datagram per
 * user) written in the text format and OpenMetrics, plain and gzipped as
 * linubia-exporter does it (ISA-L igzip level 1, streaming), and through
 * zlib level 1 for comparison.  No backend, no HTTP, no root.  Prints the
 * median of ROUNDS.
 * Usage: prometheus-writer-bench N ROUNDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

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

#define CHUNK (1 << 16)

enum packer { PLAIN, ISAL, ZLIB };
static const char *const packer_names[] = { "plain", "igzip", "zlib" };

/* One full exposition; returns the bytes produced (compressed unless PLAIN). */
static size_t expose(enum om_format f, const struct om_source *src, enum packer how)
{
	static char plain[CHUNK];
	static uint8_t out[CHUNK], level_buf[ISAL_DEF_LVL1_DEFAULT];
	static struct isal_zstream iz;
	struct om_writer *w = om_writer_new(f, src);
	z_stream z = { 0 };
	size_t total = 0;
	ssize_t n;

	if (!w)
		exit(1);
	isal_deflate_init(&iz);
	iz.gzip_flag = IGZIP_GZIP;
	iz.level = 1;
	iz.level_buf = level_buf;
	iz.level_buf_size = sizeof(level_buf);
	if (how == ZLIB && deflateInit2(&z, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		exit(1);
	do {
		n = om_writer_read(w, plain, CHUNK);
		if (n < 0)
			exit(1);
		if (how == PLAIN) {
			total += (size_t)n;
		} else if (how == ISAL) {
			iz.next_in = (uint8_t *)plain;
			iz.avail_in = (uint32_t)n;
			iz.end_of_stream = n < CHUNK;
			do {
				iz.next_out = out;
				iz.avail_out = sizeof(out);
				if (isal_deflate(&iz) != COMP_OK)
					exit(1);
				total += sizeof(out) - iz.avail_out;
			} while (iz.avail_out == 0 ||
				 (iz.end_of_stream && iz.internal_state.state != ZSTATE_END));
		} else {
			z.next_in = (Bytef *)plain;
			z.avail_in = (uInt)n;
			do {
				z.next_out = out;
				z.avail_out = sizeof(out);
				deflate(&z, n < CHUNK ? Z_FINISH : Z_NO_FLUSH);
				total += sizeof(out) - z.avail_out;
			} while (z.avail_out == 0);
		}
	} while (n == CHUNK);
	if (how == ZLIB)
		deflateEnd(&z);
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
		for (int how = PLAIN; how <= ZLIB; how++) {
			struct om_source src = { .snapshot = s, .stats = &st, .backend = "ebpf",
						 .all_users = true, .up = true, .user_name = numeric };
			double *t = calloc(rounds, sizeof(*t));
			size_t bytes = 0;

			for (unsigned long k = 0; k < rounds; k++) {
				double t0 = now_ms();

				bytes = expose((enum om_format)f, &src, (enum packer)how);
				t[k] = now_ms() - t0;
			}
			qsort(t, rounds, sizeof(*t), cmp);
			printf("%lu records, %-11s %-5s %8.1f ms median (min %.1f) %11zu bytes\n", n,
			       f == OM_TEXT ? "text" : "OpenMetrics", packer_names[how],
			       t[rounds / 2], t[0], bytes);
			free(t);
		}
	}
	linubia_snapshot_free(s);
	return 0;
}
