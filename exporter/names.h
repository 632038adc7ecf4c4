/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exporter's user-name cache.  Scrapes never wait for NSS for a user
 * seen before: every names_ttl seconds a background thread resolves all
 * UIDs of the latest snapshot into a fresh cache and swaps it in, so renames
 * and new entries show up without a cold cache.  Only a UID never seen is
 * looked up during the scrape (once).
 */
#ifndef LINUBIA_EXPORTER_NAMES_H
#define LINUBIA_EXPORTER_NAMES_H

#include "linubia.h"

struct names;
struct names_ref;

struct names *names_new(unsigned int ttl_seconds);
/* Stops (joins) a refresh in progress. */
void names_free(struct names *n);
/* Resolve snapshot's UIDs in the background now (at startup). */
void names_warm(struct names *n, const struct linubia_snapshot *snapshot);
/* The current cache for one scrape, refreshed in the background from
 * snapshot's UIDs if older than the TTL; NULL when out of memory.  The
 * reference is used from one thread at a time (libmicrohttpd's). */
struct names_ref *names_acquire(struct names *n, const struct linubia_snapshot *snapshot);
const char *names_display(struct names_ref *r, uint32_t uid, char buf[LINUBIA_UID_STRLEN]);
void names_release(struct names *n, struct names_ref *r);

#endif /* LINUBIA_EXPORTER_NAMES_H */
