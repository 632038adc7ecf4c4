// SPDX-License-Identifier: GPL-2.0-only
/*
 * One snapshot per scrape, streamed: the body of 10,000 users is tens of
 * megabytes, so it is never held; the writer produces it 64 KiB at a time
 * and zlib compresses that as libmicrohttpd asks for more.
 *
 * Everything here runs in libmicrohttpd's single polling thread: the
 * liblinubia handle and the name cache need no locks.  A name cache lives
 * names_ttl seconds (new users and renames show up after that) and is
 * shared by the scrapes in flight, freed by the last of them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "log.h"
#include "scrape.h"

#define SCRAPE_CHUNK (1 << 16)

struct names_ref {
	struct linubia_names *names;
	unsigned int refs;
	struct timespec born;
};

struct collector {
	struct collector_opts opts;
	struct linubia *h;
	struct names_ref *names;	/* the current cache */
	char last_error[512];		/* logged once until it changes */
};

struct scrape {
	struct collector *c;
	struct linubia_snapshot *snapshot;
	struct linubia_stats stats;
	struct names_ref *names;
	struct om_writer *writer;
	bool gzip, zdone, wdone;
	z_stream z;
	char *plain;		/* writer output not yet compressed */
};

/* Backend ----------------------------------------------------------------- */

static void collector_report(struct collector *c, int err, const char *what)
{
	char msg[sizeof(c->last_error)];

	if (!err) {
		if (c->last_error[0])
			log_info("the accounting backend (%s) can be read again",
				 linubia_backend_name(c->h));
		c->last_error[0] = '\0';
		return;
	}
	snprintf(msg, sizeof(msg), "%s: %s%s%s%s", what, linubia_strerror(err),
		 c->h && linubia_error_detail(c->h)[0] ? ": " : "",
		 c->h ? linubia_error_detail(c->h) : "",
		 err == -EPERM || err == -EACCES ?
		 " (the kernel module shows every record to CAP_NET_ADMIN; the eBPF backend "
		 "is root-only today: docs/prometheus.md)" : "");
	if (strcmp(msg, c->last_error)) {
		log_error("%s; serving linubia_up 0", msg);
		snprintf(c->last_error, sizeof(c->last_error), "%s", msg);
	}
}

static int collector_open(struct collector *c)
{
	int err;

	if (c->h)
		return 0;
	err = linubia_open(&c->h, c->opts.backend);
	if (err) {
		c->h = NULL;
		return err;
	}
	if (linubia_privileged(c->h) != 1)
		log_info("warning: the %s backend shows this process only its own record "
			 "(docs/prometheus.md: what the exporter needs)", linubia_backend_name(c->h));
	return 0;
}

int collector_probe(struct collector *c)
{
	int err = collector_open(c);

	collector_report(c, err, "open the accounting backend");
	return err;
}

/* A snapshot, reopening the backend once if the handle went stale (module
 * unloaded, eBPF backend unloaded or reloaded). */
static int collector_snapshot(struct collector *c, struct linubia_snapshot **snapshot)
{
	int err = 0;

	for (int attempt = 0; attempt < 2; attempt++) {
		err = collector_open(c);
		if (err) {
			collector_report(c, err, "open the accounting backend");
			return err;
		}
		err = linubia_snapshot_take(c->h, snapshot);
		if (!err)
			break;
		collector_report(c, err, "read the records");
		linubia_close(c->h);
		c->h = NULL;
	}
	if (!err)
		collector_report(c, 0, NULL);
	return err;
}

/* User names -------------------------------------------------------------- */

static void names_put(struct names_ref *n)
{
	if (n && --n->refs == 0) {
		linubia_names_free(n->names);
		free(n);
	}
}

static double seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

/* The current cache (a new one after names_ttl), with a reference for the
 * caller; NULL when out of memory. */
static struct names_ref *names_get(struct collector *c)
{
	struct names_ref *n = c->names;

	if (!n || seconds_since(&n->born) >= c->opts.names_ttl) {
		n = calloc(1, sizeof(*n));
		if (!n || !(n->names = linubia_names_new())) {
			free(n);
			return NULL;
		}
		/* One getpwent() pass names every listed user at once. */
		(void)linubia_names_preload(n->names);
		clock_gettime(CLOCK_MONOTONIC, &n->born);
		n->refs = 1;		/* the collector's */
		names_put(c->names);
		c->names = n;
	}
	n->refs++;
	return n;
}

static const char *scrape_user(void *ctx, uint32_t uid, char buf[LINUBIA_UID_STRLEN])
{
	struct scrape *s = ctx;

	if (s->names)
		return linubia_names_display(s->names->names, uid, buf);
	if (uid == LINUBIA_UID_UNATTRIBUTED)
		return "(unattributed)";
	snprintf(buf, LINUBIA_UID_STRLEN, "%u", uid);
	return buf;
}

/* Collector --------------------------------------------------------------- */

struct collector *collector_new(const struct collector_opts *opts)
{
	struct collector *c = calloc(1, sizeof(*c));

	if (c)
		c->opts = *opts;
	return c;
}

void collector_free(struct collector *c)
{
	if (!c)
		return;
	linubia_close(c->h);
	names_put(c->names);
	free(c);
}

/* Scrape ------------------------------------------------------------------ */

struct scrape *scrape_new(struct collector *c, enum om_format format, bool gzip)
{
	struct scrape *s = calloc(1, sizeof(*s));
	struct om_source src = { .user_name = scrape_user };

	if (!s)
		return NULL;
	s->c = c;
	src.user_ctx = s;
	if (!collector_snapshot(c, &s->snapshot)) {
		s->stats = *linubia_snapshot_stats(s->snapshot);
		src.snapshot = s->snapshot;
		src.stats = &s->stats;
		src.backend = linubia_backend_name(c->h);
		src.all_users = linubia_privileged(c->h) == 1;
		src.up = true;
		if (!c->opts.numeric && !(s->names = names_get(c)))
			goto fail;
	}
	s->writer = om_writer_new(format, &src);
	if (!s->writer)
		goto fail;
	if (gzip) {
		s->plain = malloc(SCRAPE_CHUNK);
		/* windowBits 15 + 16: a gzip header and trailer; level 1: the
		 * text is very repetitive, more effort buys little. */
		if (!s->plain || deflateInit2(&s->z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
					      Z_DEFAULT_STRATEGY) != Z_OK)
			goto fail;
		s->gzip = true;
	}
	return s;
fail:
	scrape_free(s);
	return NULL;
}

static ssize_t scrape_read_gzip(struct scrape *s, char *buf, size_t max)
{
	s->z.next_out = (Bytef *)buf;
	s->z.avail_out = (uInt)(max > UINT32_MAX ? UINT32_MAX : max);
	while (s->z.avail_out > 0 && !s->zdone) {
		int rc;

		if (s->z.avail_in == 0 && !s->wdone) {
			ssize_t n = om_writer_read(s->writer, s->plain, SCRAPE_CHUNK);

			if (n < 0)
				return -1;
			s->wdone = n == 0;
			s->z.next_in = (Bytef *)s->plain;
			s->z.avail_in = (uInt)n;
		}
		rc = deflate(&s->z, s->wdone ? Z_FINISH : Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			s->zdone = true;
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
			return -1;
	}
	return (ssize_t)((char *)s->z.next_out - buf);
}

ssize_t scrape_read(struct scrape *s, char *buf, size_t max)
{
	ssize_t n;

	if (s->gzip)
		return scrape_read_gzip(s, buf, max);
	n = om_writer_read(s->writer, buf, max);
	return n < 0 ? -1 : n;
}

void scrape_free(struct scrape *s)
{
	if (!s)
		return;
	if (s->gzip)
		deflateEnd(&s->z);
	free(s->plain);
	om_writer_free(s->writer);
	names_put(s->names);
	linubia_snapshot_free(s->snapshot);
	free(s);
}
