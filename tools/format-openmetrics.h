/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LINUBIA's records as Prometheus metrics: the Prometheus text format 0.0.4
 * (node_exporter's textfile collector, plain scrapes) and OpenMetrics 1.0.0.
 * Used by `linubia show --format prometheus|openmetrics` and by
 * linubia-exporter; the metric names are documented in docs/prometheus.md.
 *
 * The writer is incremental: om_writer_read() hands out the next bytes of
 * the exposition, so an HTTP server can stream (and compress) a body of
 * tens of megabytes without ever holding it.
 */
#ifndef LINUBIA_FORMAT_OPENMETRICS_H
#define LINUBIA_FORMAT_OPENMETRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "linubia.h"

enum om_format {
	OM_TEXT,		/* Prometheus text format 0.0.4 */
	OM_OPENMETRICS,		/* OpenMetrics 1.0.0: _created, UNIT, info, # EOF */
};

#define OM_CONTENT_TYPE_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define OM_CONTENT_TYPE_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* The user label of uid: a name, "(unattributed)" or the number in buf. */
typedef const char *om_user_fn(void *ctx, uint32_t uid, char buf[LINUBIA_UID_STRLEN]);

/* What to expose.  With up == false only `linubia_up 0` is written. */
struct om_source {
	const struct linubia_snapshot *snapshot;	/* the records, or NULL and: */
	const struct linubia_record *single;		/* one record (show --uid) */
	const struct linubia_stats *stats;
	const char *backend;		/* "kmod", "ebpf" */
	bool all_users;			/* false: the reader saw only its own record */
	bool up;
	om_user_fn *user_name;
	void *user_ctx;
};

struct om_writer;

/* NULL when out of memory.  src and what it points to must outlive w. */
struct om_writer *om_writer_new(enum om_format format, const struct om_source *src);
/* The next bytes of the exposition into buf: len bytes unless the end
 * comes first, 0 at the end, -ENOMEM. */
ssize_t om_writer_read(struct om_writer *w, char *buf, size_t len);
void om_writer_free(struct om_writer *w);

/* The whole exposition to out: 0, -ENOMEM or -EIO (errno tells why). */
int om_write_file(FILE *out, enum om_format format, const struct om_source *src);

#endif /* LINUBIA_FORMAT_OPENMETRICS_H */
