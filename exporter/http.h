/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exporter's HTTP side on libmicrohttpd: GET/HEAD of the telemetry path
 * (content negotiation, gzip, a bound on scrapes in flight), a landing page
 * at /, basic authentication and TLS when configured.
 */
#ifndef LINUBIA_EXPORTER_HTTP_H
#define LINUBIA_EXPORTER_HTTP_H

#include "auth.h"
#include "scrape.h"

struct http_opts {
	int listen_fd;			/* a listening socket (listen.c) */
	const char *telemetry_path;	/* "/metrics" */
	unsigned int max_requests;	/* scrapes in flight; more get 503 */
	struct auth *auth;		/* NULL: no authentication */
	const char *tls_cert_pem;	/* both NULL: plain HTTP */
	const char *tls_key_pem;
	struct collector *collector;
};

struct http_server;

/* Start serving in libmicrohttpd's own thread; NULL on failure (logged). */
struct http_server *http_start(const struct http_opts *opts);
void http_stop(struct http_server *s);

#endif /* LINUBIA_EXPORTER_HTTP_H */
