// SPDX-License-Identifier: GPL-2.0-only
/*
 * The exporter's listening socket, made here rather than by libmicrohttpd
 * so that the address syntax is the one every Prometheus exporter takes
 * (--web.listen-address=":10771", "127.0.0.1:10771", "[::1]:10771") and
 * a host name resolves like anywhere else (getaddrinfo).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listen.h"

int listen_split(const char *address, char *host, size_t hostlen, char *port,
		 size_t portlen, char err[LISTEN_ERR_LEN])
{
	const char *colon, *h = address;
	size_t hlen;

	if (address[0] == '[') {
		const char *close = strchr(address, ']');

		if (!close || close[1] != ':') {
			snprintf(err, LISTEN_ERR_LEN, "expected [IPv6]:PORT");
			return -1;
		}
		h = address + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(address, ':');
		if (!colon || memchr(address, ':', (size_t)(colon - address))) {
			snprintf(err, LISTEN_ERR_LEN, "expected HOST:PORT, :PORT or [IPv6]:PORT");
			return -1;
		}
		hlen = (size_t)(colon - address);
	}
	if (hlen >= hostlen || strlen(colon + 1) >= portlen) {
		snprintf(err, LISTEN_ERR_LEN, "host or port too long");
		return -1;
	}
	if (!colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strlen(colon + 1) > 5 || atoi(colon + 1) > 65535) {
		snprintf(err, LISTEN_ERR_LEN, "the port must be a number from 0 to 65535");
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	strcpy(port, colon + 1);
	return 0;
}

static int listen_on(const struct addrinfo *ai, char err[LISTEN_ERR_LEN])
{
	int one = 1, zero = 0;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);

	if (fd < 0) {
		snprintf(err, LISTEN_ERR_LEN, "socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (ai->ai_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)))) {
		snprintf(err, LISTEN_ERR_LEN, "setsockopt: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
		snprintf(err, LISTEN_ERR_LEN, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The first address of host:port (family: AF_UNSPEC, or one) we can listen on. */
static int listen_first(const char *host, const char *port, int family,
			char err[LISTEN_ERR_LEN])
{
	struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	int fd = -1, rc = getaddrinfo(host, port, &hints, &res);

	if (rc) {
		snprintf(err, LISTEN_ERR_LEN, "%s", gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = listen_on(ai, err);
	freeaddrinfo(res);
	return fd;
}

int listen_open(const char *address, char err[LISTEN_ERR_LEN])
{
	char host[256], port[16];
	int fd;

	if (listen_split(address, host, sizeof(host), port, sizeof(port), err))
		return -1;
	if (host[0])
		return listen_first(host, port, AF_UNSPEC, err);
	/* No host: the IPv6 wildcard (it takes IPv4 too), or IPv4's on hosts
	 * without IPv6. */
	fd = listen_first(NULL, port, AF_INET6, err);
	return fd >= 0 ? fd : listen_first(NULL, port, AF_INET, err);
}
