/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * HTTP content negotiation for /metrics: which exposition format an Accept
 * header asks for, and whether Accept-Encoding allows gzip.  Pure functions
 * over header values (libmicrohttpd parses the HTTP itself); fuzzed.
 */
#ifndef LINUBIA_EXPORTER_NEGOTIATE_H
#define LINUBIA_EXPORTER_NEGOTIATE_H

#include <stdbool.h>

#include "format-openmetrics.h"

/* OpenMetrics when the client rates application/openmetrics-text (version
 * 1.0.0, 0.0.1 or none) above the text format, else the text format 0.0.4
 * (also for a missing header or nothing acceptable, as client_golang does). */
enum om_format negotiate_format(const char *accept);

/* true if accept_encoding (may be NULL) allows gzip: "gzip", "x-gzip" or
 * "*" with a q-value above 0, gzip's own q-value winning over "*". */
bool negotiate_gzip(const char *accept_encoding);

#endif /* LINUBIA_EXPORTER_NEGOTIATE_H */
