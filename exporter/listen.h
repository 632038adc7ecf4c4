/* SPDX-License-Identifier: GPL-2.0-only */
/* --web.listen-address: "[HOST]:PORT" to a listening TCP socket. */
#ifndef LINUBIA_EXPORTER_LISTEN_H
#define LINUBIA_EXPORTER_LISTEN_H

#include <stddef.h>

#define LISTEN_ERR_LEN 256

/* Split "host:port", "[v6]:port" or ":port" (host empty = every address).
 * host gets at most hostlen - 1 bytes; -1 with err on a malformed address. */
int listen_split(const char *address, char *host, size_t hostlen, char *port,
		 size_t portlen, char err[LISTEN_ERR_LEN]);
/* A listening socket (close-on-exec) for address, or -1 with err.  An empty
 * host listens on IPv6 and IPv4 (a dual-stack socket). */
int listen_open(const char *address, char err[LISTEN_ERR_LEN]);

#endif /* LINUBIA_EXPORTER_LISTEN_H */
