// SPDX-License-Identifier: GPL-2.0-only
/*
 * linubia-exporter: LINUBIA's per-user counters for Prometheus over HTTP.
 * Options in the style of Prometheus' own exporters (--web.listen-address,
 * --web.telemetry-path, --web.max-requests); the process serves until
 * SIGTERM or SIGINT.  docs/prometheus.md describes the metrics, the
 * privileges each backend needs and the systemd unit.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http.h"
#include "listen.h"
#include "log.h"

#ifndef LINUBIA_VERSION
#define LINUBIA_VERSION "0.1"
#endif

/* Not in the Prometheus wiki's registry: see docs/prometheus.md, "Port". */
#define DEFAULT_LISTEN ":10771"
#define EXIT_USAGE 2
#define EXIT_DONE (-1)	/* --help or --version printed */

static const char usage_text[] =
"usage: linubia-exporter (--web.auth-file FILE | --web.no-auth) [options]\n"
"\n"
"Serves LINUBIA's per-user IP traffic counters to Prometheus: the text format\n"
"0.0.4 or OpenMetrics 1.0.0 by content negotiation, gzip when asked, one\n"
"snapshot of the accounting backend per scrape.\n"
"\n"
"  --web.listen-address ADDR   [HOST]:PORT to listen on (default " DEFAULT_LISTEN ",\n"
"                              every address)\n"
"  --web.telemetry-path PATH   where the metrics are (default /metrics)\n"
"  --web.max-requests N        scrapes served at once, more get 503 (default 4,\n"
"                              0 = no limit)\n"
"  --web.auth-file FILE        HTTP basic authentication: \"user:hash\" lines,\n"
"                              crypt(3) hashes (mkpasswd -m yescrypt, htpasswd -nB,\n"
"                              openssl passwd -6)\n"
"  --web.no-auth               serve without authentication: whoever can connect,\n"
"                              every local user included, reads every user's traffic\n"
"  --web.tls-cert-file FILE    serve HTTPS with this PEM certificate (chain) ...\n"
"  --web.tls-key-file FILE     ... and this PEM private key\n"
"  --backend kmod|ebpf         the accounting backend (default: the first available)\n"
"  --numeric                   user label = the UID: no user name lookups (NSS)\n"
"  --names.ttl SECONDS         resolve user names again (in the background) after\n"
"                              this long (default 300)\n"
"  --help, --version\n"
"\n"
"Reading every user's record needs CAP_NET_ADMIN with the kernel module and root\n"
"with the eBPF backend (docs/prometheus.md).  Exit status: 0 after SIGTERM or\n"
"SIGINT, 1 if it could not start, 2 for a bad command line.\n";

struct options {
	const char *listen;
	const char *path;
	unsigned long max_requests;
	const char *auth_file;
	bool no_auth;
	const char *tls_cert, *tls_key;
	struct collector_opts collector;
};

static int usage_error(const char *fmt, const char *arg)
{
	fputs("linubia-exporter: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see linubia-exporter --help)\n", stderr);
	return EXIT_USAGE;
}

static int parse_number(const char *text, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	if (text[0] < '0' || text[0] > '9')
		return -1;
	*out = strtoul(text, &end, 10);
	return errno || *end || *out > max ? -1 : 0;
}

/* 0 to run, EXIT_DONE, or the exit status (after printing why). */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "web.listen-address", required_argument, NULL, 'l' },
		{ "web.telemetry-path", required_argument, NULL, 'p' },
		{ "web.max-requests", required_argument, NULL, 'm' },
		{ "web.auth-file", required_argument, NULL, 'a' },
		{ "web.no-auth", no_argument, NULL, 'A' },
		{ "web.tls-cert-file", required_argument, NULL, 'c' },
		{ "web.tls-key-file", required_argument, NULL, 'k' },
		{ "backend", required_argument, NULL, 'b' },
		{ "numeric", no_argument, NULL, 'n' },
		{ "names.ttl", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long ttl = 300;
	int opt;

	*o = (struct options){ .listen = DEFAULT_LISTEN, .path = "/metrics", .max_requests = 4 };
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l': o->listen = optarg; break;
		case 'p': o->path = optarg; break;
		case 'm':
			if (parse_number(optarg, 1000, &o->max_requests))
				return usage_error("--web.max-requests %s: expected 0 to 1000", optarg);
			break;
		case 'a': o->auth_file = optarg; break;
		case 'A': o->no_auth = true; break;
		case 'c': o->tls_cert = optarg; break;
		case 'k': o->tls_key = optarg; break;
		case 'b':
			if (strcmp(optarg, "kmod") && strcmp(optarg, "ebpf"))
				return usage_error("--backend %s: expected kmod or ebpf", optarg);
			o->collector.backend = optarg;
			break;
		case 'n': o->collector.numeric = true; break;
		case 't':
			if (parse_number(optarg, 86400, &ttl))
				return usage_error("--names.ttl %s: expected 0 to 86400 seconds", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_DONE;
		case 'V':
			printf("linubia-exporter %s\n", LINUBIA_VERSION);
			return EXIT_DONE;
		default:
			return EXIT_USAGE;
		}
	}
	o->collector.names_ttl = (unsigned int)ttl;
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->auth_file == !o->no_auth)
		return usage_error("%s", o->no_auth ?
				   "--web.auth-file and --web.no-auth: give one, not both" :
				   "no --web.auth-file: anyone who can connect, every local user "
				   "included, would read every user's traffic (give --web.auth-file "
				   "FILE, or --web.no-auth where that is acceptable)");
	if (!o->tls_cert != !o->tls_key)
		return usage_error("%s", "TLS needs both --web.tls-cert-file and "
				   "--web.tls-key-file");
	/* The path also goes into the landing page's link. */
	if (o->path[0] != '/' || strpbrk(o->path, "\"<>&?# \t\r\n"))
		return usage_error("--web.telemetry-path %s: expected an absolute path without "
				   "quotes, <, >, &, ?, # or spaces", o->path);
	return 0;
}

/* A PEM file's text, NUL-terminated (at most 1 MiB); NULL after logging. */
static char *read_pem(const char *path, const char *what)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *text = NULL;
	struct stat st;
	size_t len = 0;

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
		log_error("read the TLS %s %s: %s (check the path and its permissions)", what,
			  path, fd < 0 || errno ? strerror(errno) : "not a file of at most 1 MiB");
		goto fail;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		log_error("read the TLS %s %s: out of memory", what, path);
		goto fail;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error("read the TLS %s %s: %s", what, path,
				  n ? strerror(errno) : "the file shrank");
			goto fail;
		}
		len += (size_t)n;
	}
	text[len] = '\0';
	close(fd);
	return text;
fail:
	free(text);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void free_secret(char *text)
{
	if (text) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
}

/* SIGTERM and SIGINT blocked before any thread starts (threads inherit the
 * mask), so only serve()'s sigwait() takes them. */
static int block_stop_signals(sigset_t *stop)
{
	sigemptyset(stop);
	sigaddset(stop, SIGTERM);
	sigaddset(stop, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, stop, NULL) || signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		log_error("set up signals: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Serve until SIGTERM or SIGINT. */
static int serve(const struct options *o, struct http_opts *http, sigset_t *stop)
{
	struct http_server *server;
	int sig = 0;

	server = http_start(http);
	if (!server)
		return EXIT_FAILURE;
	log_info("listening on %s%s, metrics at %s (%s)", o->listen,
		 o->tls_cert ? " (HTTPS)" : "", o->path,
		 o->auth_file ? "basic authentication" : "no authentication");
	while (sigwait(stop, &sig) == EINTR)
		;
	log_info("stopping (signal %d)", sig);
	http_stop(server);
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	struct http_opts http = { .listen_fd = -1 };
	struct collector *collector = NULL;
	char *cert = NULL, *key = NULL;
	struct auth *auth = NULL;
	char err[AUTH_ERR_LEN > LISTEN_ERR_LEN ? AUTH_ERR_LEN : LISTEN_ERR_LEN];
	int ret = EXIT_FAILURE;
	struct options o;
	struct stat st;
	sigset_t stop;

	ret = parse_options(argc, argv, &o);
	if (ret)
		return ret == EXIT_DONE ? EXIT_SUCCESS : ret;
	ret = EXIT_FAILURE;
	if (block_stop_signals(&stop))
		return ret;
	if (o.auth_file && auth_load(o.auth_file, &auth, err)) {
		log_error("--web.auth-file %s: %s (fix the file)", o.auth_file, err);
		goto out;
	}
	if (o.auth_file && !stat(o.auth_file, &st) && (st.st_mode & S_IROTH))
		log_info("warning: every user can read %s (chmod o-r it): the hashes can be "
			 "attacked offline", o.auth_file);
	if (o.tls_cert && (!(cert = read_pem(o.tls_cert, "certificate")) ||
			   !(key = read_pem(o.tls_key, "key"))))
		goto out;
	http.listen_fd = listen_open(o.listen, err);
	if (http.listen_fd < 0) {
		log_error("listen on %s: %s (choose another --web.listen-address)", o.listen, err);
		goto out;
	}
	collector = collector_new(&o.collector);
	if (!collector) {
		log_error("start: out of memory");
		goto out;
	}
	/* A backend not loaded yet is no reason to exit: scrapes say
	 * linubia_up 0 until it is. */
	if (!collector_probe(collector))
		collector_warm(collector);
	http.telemetry_path = o.path;
	http.max_requests = (unsigned int)o.max_requests;
	http.auth = auth;
	http.tls_cert_pem = cert;
	http.tls_key_pem = key;
	http.collector = collector;
	ret = serve(&o, &http, &stop);
	http.listen_fd = -1;	/* libmicrohttpd owns it once started */
out:
	if (http.listen_fd >= 0)
		close(http.listen_fd);
	collector_free(collector);
	auth_free(auth);
	free(cert);
	free_secret(key);
	return ret;
}
