// SPDX-License-Identifier: GPL-2.0-only
/*
 * libmicrohttpd parses HTTP, runs one internal polling thread and calls
 * http_handle() per request; we never look at raw bytes.  The handler and
 * every response callback run in that one thread, so the scrape counter and
 * the collector need no locks.
 */
#include <microhttpd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "negotiate.h"

#define HTTP_BLOCK (64 * 1024)

struct http_server {
	struct http_opts opts;
	struct MHD_Daemon *daemon;
	unsigned int in_flight;		/* scrapes whose body is not done */
};

struct http_scrape {
	struct http_server *server;
	struct scrape *scrape;
};

static enum MHD_Result http_text(struct MHD_Connection *conn, unsigned int status,
				 const char *text, const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result http_landing(struct http_server *s, struct MHD_Connection *conn)
{
	static char page[512];
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!page[0])
		snprintf(page, sizeof(page),
			 "<html><head><title>LINUBIA exporter</title></head><body>\n"
			 "<h1>LINUBIA exporter</h1>\n<p>Per-user IP traffic accounting: "
			 "<a href=\"%s\">metrics</a></p>\n</body></html>\n", s->opts.telemetry_path);
	r = MHD_create_response_from_buffer(strlen(page), page, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static bool http_authorized(struct http_server *s, struct MHD_Connection *conn)
{
	char *password = NULL;
	char *user = MHD_basic_auth_get_username_password(conn, &password);
	bool ok = user && password && auth_check(s->opts.auth, user, password);

	if (password) {
		explicit_bzero(password, strlen(password));
		MHD_free(password);
	}
	if (user)
		MHD_free(user);
	return ok;
}

static enum MHD_Result http_unauthorized(struct MHD_Connection *conn)
{
	static const char text[] = "authentication required\n";
	struct MHD_Response *r = MHD_create_response_from_buffer(sizeof(text) - 1, (void *)text,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	ret = MHD_queue_basic_auth_fail_response(conn, "linubia-exporter", r);
	MHD_destroy_response(r);
	return ret;
}

static ssize_t http_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_scrape *hs = cls;
	ssize_t n = scrape_read(hs->scrape, buf, max);

	(void)pos;
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n ? n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void http_scrape_free(void *cls)
{
	struct http_scrape *hs = cls;

	hs->server->in_flight--;
	scrape_free(hs->scrape);
	free(hs);
}

static enum MHD_Result http_metrics(struct http_server *s, struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);
	const char *coding = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT_ENCODING);
	enum om_format format = negotiate_format(accept);
	bool gzip = negotiate_gzip(coding);
	struct http_scrape *hs;
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (s->opts.max_requests && s->in_flight >= s->opts.max_requests)
		return http_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				 "too many scrapes in flight (--web.max-requests)\n", NULL);
	hs = calloc(1, sizeof(*hs));
	if (!hs || !(hs->scrape = scrape_new(s->opts.collector, format, gzip))) {
		free(hs);
		log_error("a scrape: out of memory");
		return http_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
	}
	hs->server = s;
	s->in_flight++;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_BLOCK, http_read, hs,
					      http_scrape_free);
	if (!r) {
		http_scrape_free(hs);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				format == OM_OPENMETRICS ? OM_CONTENT_TYPE_OPENMETRICS :
							   OM_CONTENT_TYPE_TEXT);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	if (gzip)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);	/* frees hs if it was not queued */
	return ret;
}

static enum MHD_Result http_handle(void *cls, struct MHD_Connection *conn, const char *url,
				   const char *method, const char *version,
				   const char *upload_data, size_t *upload_data_size,
				   void **req_cls)
{
	struct http_server *s = cls;

	(void)version;
	(void)upload_data;
	(void)req_cls;
	if (*upload_data_size) {	/* a GET with a body: ignore the body */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return http_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n",
				 "GET, HEAD");
	if (s->opts.auth && !http_authorized(s, conn))
		return http_unauthorized(conn);
	if (!strcmp(url, s->opts.telemetry_path))
		return http_metrics(s, conn);
	if (!strcmp(url, "/"))
		return http_landing(s, conn);
	return http_text(conn, MHD_HTTP_NOT_FOUND, "not found\n", NULL);
}

struct http_server *http_start(const struct http_opts *opts)
{
	struct http_server *s = calloc(1, sizeof(*s));
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)opts->tls_key_pem },
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)opts->tls_cert_pem },
		{ MHD_OPTION_END, 0, NULL },
	};

	if (!s) {
		log_error("start the HTTP server: out of memory");
		return NULL;
	}
	s->opts = *opts;
	if (opts->tls_cert_pem) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			log_error("TLS: this libmicrohttpd has no TLS support (install Debian's "
				  "libmicrohttpd12, built with GnuTLS)");
			free(s);
			return NULL;
		}
		flags |= MHD_USE_TLS;
	}
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, http_handle, s,
				     MHD_OPTION_LISTEN_SOCKET, opts->listen_fd,
				     MHD_OPTION_CONNECTION_LIMIT, 64u,
				     MHD_OPTION_CONNECTION_TIMEOUT, 60u,
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
				     MHD_OPTION_ARRAY, opts->tls_cert_pem ? tls : tls + 2,
				     MHD_OPTION_END);
	if (!s->daemon) {
		log_error("start the HTTP server: libmicrohttpd refused (%s)",
			  opts->tls_cert_pem ? "check the TLS certificate and key" :
					       "see its message above");
		free(s);
		return NULL;
	}
	return s;
}

void http_stop(struct http_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);
	free(s);
}
