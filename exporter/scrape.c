// SPDX-License-Identifier: GPL-2.0-only
/*
 * One snapshot per scrape, streamed: the body of 10,000 users is tens of
 * megabytes, so it is never held.  The writer produces it as libmicrohttpd
 * asks for more, and gzip bodies are compressed on the fly by ISA-L's igzip
 * (one gzip stream; level 1 compresses this text about as well as zlib's
 * level 1, several times faster: docs/benchmarks.md).
 *
 * Everything here runs in libmicrohttpd's single polling thread: the
 * liblinubia handle needs no lock.  User names come from names.c, whose
 * cache is refreshed in the background.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <isa-l/igzip_lib.h>

#include "log.h"
#include "names.h"
#include "scrape.h"

#define PLAIN_CHUNK (1 << 16)	/* text handed to the compressor at a time */

struct collector {
	struct collector_opts opts;
	struct linubia *h;
	struct names *names;		/* NULL with --numeric */
	char last_error[512];		/* logged once until it changes */
};

struct scrape {
	struct collector *c;
	struct linubia_snapshot *snapshot;
	struct linubia_stats stats;
	struct names_ref *names;
	struct om_writer *writer;
	/* gzip */
	struct isal_zstream *z;
	uint8_t *level_buf;
	char *plain;			/* text the compressor has not taken yet */
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
	if (linubia_reads_all(c->h) != 1)
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

/* Collector --------------------------------------------------------------- */

struct collector *collector_new(const struct collector_opts *opts)
{
	struct collector *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->opts = *opts;
	if (!opts->numeric && !(c->names = names_new(opts->names_ttl))) {
		free(c);
		return NULL;
	}
	return c;
}

void collector_free(struct collector *c)
{
	if (!c)
		return;
	linubia_close(c->h);
	names_free(c->names);
	free(c);
}

void collector_warm(struct collector *c)
{
	struct linubia_snapshot *snapshot;

	if (c->names && !collector_snapshot(c, &snapshot)) {
		names_warm(c->names, snapshot);
		linubia_snapshot_free(snapshot);
	}
}

/* Scrape ------------------------------------------------------------------ */

static const char *scrape_user(void *ctx, uint32_t uid, char buf[LINUBIA_UID_STRLEN])
{
	struct scrape *s = ctx;

	if (s->names)
		return names_display(s->names, uid, buf);
	if (uid == LINUBIA_UID_UNATTRIBUTED)
		return "(unattributed)";
	snprintf(buf, LINUBIA_UID_STRLEN, "%u", uid);
	return buf;
}

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
		src.all_users = linubia_reads_all(c->h) == 1;
		src.up = true;
		if (c->names && !(s->names = names_acquire(c->names, s->snapshot)))
			goto fail;
	}
	s->writer = om_writer_new(format, &src);
	if (!s->writer)
		goto fail;
	if (gzip) {
		/* zeroed: isal_deflate_init() leaves fields it does not use at
		 * level 0 alone, and level 1 reads them */
		s->z = calloc(1, sizeof(*s->z));
		s->level_buf = malloc(ISAL_DEF_LVL1_DEFAULT);
		s->plain = malloc(PLAIN_CHUNK);
		if (!s->z || !s->level_buf || !s->plain)
			goto fail;
		isal_deflate_init(s->z);
		s->z->gzip_flag = IGZIP_GZIP;
		s->z->level = 1;
		s->z->level_buf = s->level_buf;
		s->z->level_buf_size = ISAL_DEF_LVL1_DEFAULT;
	}
	return s;
fail:
	scrape_free(s);
	return NULL;
}

static ssize_t scrape_read_gzip(struct scrape *s, char *buf, size_t max)
{
	struct isal_zstream *z = s->z;

	z->next_out = (uint8_t *)buf;
	z->avail_out = (uint32_t)(max > UINT32_MAX ? UINT32_MAX : max);
	while (z->avail_out > 0 && z->internal_state.state != ZSTATE_END) {
		if (z->avail_in == 0 && !z->end_of_stream) {
			/* The writer fills the chunk unless the text ends. */
			ssize_t n = om_writer_read(s->writer, s->plain, PLAIN_CHUNK);

			if (n < 0)
				return -1;
			z->next_in = (uint8_t *)s->plain;
			z->avail_in = (uint32_t)n;
			z->end_of_stream = n < PLAIN_CHUNK;
		}
		if (isal_deflate(z) != COMP_OK)
			return -1;
	}
	return (ssize_t)((char *)z->next_out - buf);
}

ssize_t scrape_read(struct scrape *s, char *buf, size_t max)
{
	ssize_t n;

	if (s->z)
		return scrape_read_gzip(s, buf, max);
	n = om_writer_read(s->writer, buf, max);
	return n < 0 ? -1 : n;
}

void scrape_free(struct scrape *s)
{
	if (!s)
		return;
	free(s->z);
	free(s->level_buf);
	free(s->plain);
	om_writer_free(s->writer);
	if (s->names)
		names_release(s->c->names, s->names);
	linubia_snapshot_free(s->snapshot);
	free(s);
}
