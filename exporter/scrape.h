/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What one scrape serves: a snapshot taken when the request arrives, written
 * by the exposition writer as the client reads, gzip-compressed on the fly.
 * The collector keeps what lives across scrapes: the backend handle (reopened
 * after an unload or reload) and the user-name cache.
 */
#ifndef LINUBIA_EXPORTER_SCRAPE_H
#define LINUBIA_EXPORTER_SCRAPE_H

#include <stdbool.h>
#include <sys/types.h>

#include "format-openmetrics.h"

struct collector_opts {
	const char *backend;	/* NULL: the first available */
	bool numeric;		/* user label = the UID, no NSS lookups */
	unsigned int names_ttl;	/* seconds between background name refreshes */
};

struct collector;
struct scrape;

struct collector *collector_new(const struct collector_opts *opts);
void collector_free(struct collector *c);
/* Open the backend now: 0, or the error (also logged). */
int collector_probe(struct collector *c);
/* Start resolving the current users' names in the background. */
void collector_warm(struct collector *c);

/* A scrape in format, snapshot taken now; NULL when out of memory.  If the
 * backend cannot be read, the scrape serves linubia_up 0. */
struct scrape *scrape_new(struct collector *c, enum om_format format, bool gzip);
/* The next bytes of the body: > 0, 0 at the end, -1 on error. */
ssize_t scrape_read(struct scrape *s, char *buf, size_t max);
void scrape_free(struct scrape *s);

#endif /* LINUBIA_EXPORTER_SCRAPE_H */
