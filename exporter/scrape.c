// SPDX-License-Identifier: GPL-2.0-only
/*
 * One snapshot per scrape, streamed: the body of 10,000 users is tens of
 * megabytes, so it is never held.  The writer produces it as libmicrohttpd
 * asks for more; gzip bodies are a series of gzip members of 1 MiB of text
 * each (RFC 1952 allows any number; Go's reader in Prometheus, Python's and
 * zlib's gunzip read them all), compressed by libdeflate, which is about
 * three times faster than zlib on this text.
 *
 * Everything here runs in libmicrohttpd's single polling thread: the
 * liblinubia handle needs no lock.  User names come from names.c, whose
 * cache is refreshed in the background.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>

#include "log.h"
#include "names.h"
#include "scrape.h"

#define GZIP_MEMBER (1 << 20)	/* text per gzip member */

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
	/* gzip: one member at a time */
	struct libdeflate_compressor *deflater;
	char *plain, *packed;
	size_t packed_cap, packed_len, packed_off;
	unsigned long members;		/* made so far */
	bool last_member;		/* the one in packed is the last */
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
		src.all_users = linubia_privileged(c->h) == 1;
		src.up = true;
		if (c->names && !(s->names = names_acquire(c->names, s->snapshot)))
			goto fail;
	}
	s->writer = om_writer_new(format, &src);
	if (!s->writer)
		goto fail;
	if (gzip) {
		/* level 1: the text is very repetitive, more effort buys little */
		s->deflater = libdeflate_alloc_compressor(1);
		s->plain = malloc(GZIP_MEMBER);
		if (s->deflater)
			s->packed_cap = libdeflate_gzip_compress_bound(s->deflater, GZIP_MEMBER);
		s->packed = s->deflater ? malloc(s->packed_cap) : NULL;
		if (!s->deflater || !s->plain || !s->packed)
			goto fail;
	}
	return s;
fail:
	scrape_free(s);
	return NULL;
}

/* The next gzip member: up to GZIP_MEMBER bytes of text, compressed.  A
 * short read is the last member; after a full one the text may also have
 * ended exactly, and then no (empty) member follows. */
static int scrape_next_member(struct scrape *s)
{
	ssize_t n = om_writer_read(s->writer, s->plain, GZIP_MEMBER);

	if (n < 0)
		return -1;
	s->packed_len = s->packed_off = 0;
	s->last_member = n < GZIP_MEMBER;
	if (n == 0 && s->members)
		return 0;
	s->packed_len = libdeflate_gzip_compress(s->deflater, s->plain, (size_t)n, s->packed,
						 s->packed_cap);
	s->members++;
	return s->packed_len ? 0 : -1;
}

static ssize_t scrape_read_gzip(struct scrape *s, char *buf, size_t max)
{
	size_t out = 0;

	while (out < max) {
		size_t n = s->packed_len - s->packed_off;

		if (n == 0) {
			if (s->last_member)
				break;
			if (scrape_next_member(s))
				return -1;
			continue;
		}
		if (n > max - out)
			n = max - out;
		memcpy(buf + out, s->packed + s->packed_off, n);
		s->packed_off += n;
		out += n;
	}
	return (ssize_t)out;
}

ssize_t scrape_read(struct scrape *s, char *buf, size_t max)
{
	ssize_t n;

	if (s->deflater)
		return scrape_read_gzip(s, buf, max);
	n = om_writer_read(s->writer, buf, max);
	return n < 0 ? -1 : n;
}

void scrape_free(struct scrape *s)
{
	if (!s)
		return;
	if (s->deflater)
		libdeflate_free_compressor(s->deflater);
	free(s->plain);
	free(s->packed);
	om_writer_free(s->writer);
	if (s->names)
		names_release(s->c->names, s->names);
	linubia_snapshot_free(s->snapshot);
	free(s);
}
