/* SPDX-License-Identifier: GPL-2.0-only */
/* linubia-diameter's settings file: "key value..." lines, # comments. */
#ifndef LNB_DIAMETER_CONF_H
#define LNB_DIAMETER_CONF_H

#include <limits.h>
#include <stdio.h>

#define LNB_MAX_PEERS 8
#define LNB_NAME_MAX 256	/* DiameterIdentity, realm, host: at most 255 */
#define LNB_PORT 3868		/* Diameter over TCP */
#define LNB_TLS_PORT 5658	/* Diameter over TLS from the first byte */

struct lnb_peer {
	char id[LNB_NAME_MAX];		/* DiameterIdentity (Origin-Host of its CEA) */
	char host[LNB_NAME_MAX];	/* address or name to connect to */
	int port;			/* 0: 3868, or 5658 with TLS (RFC 6733 2.1) */
};

struct lnb_dconf {
	char identity[LNB_NAME_MAX];	/* our Origin-Host */
	char realm[LNB_NAME_MAX];	/* our Origin-Realm */
	char dest_realm[LNB_NAME_MAX];	/* Destination-Realm of every ACR */
	struct lnb_peer peers[LNB_MAX_PEERS];
	int npeers;
	char fd_conf[PATH_MAX];		/* a freeDiameter config instead of the above */
	char tls_cert[PATH_MAX];	/* PEM: our certificate (CN = identity) */
	char tls_key[PATH_MAX];		/* PEM: its private key */
	char tls_ca[PATH_MAX];		/* PEM: the CA(s) the servers' certificates chain to */
	char spool_dir[PATH_MAX];
	char pid_file[PATH_MAX];
	char backend[16];		/* "" = the first available */
	char netns[PATH_MAX];		/* network namespace of the Diameter side, "" = ours */
	int interval;			/* Acct-Interim-Interval, s */
	int scan;			/* s between two reads of the counters */
	int retry;			/* s before an unanswered record goes again */
	int answer_timeout;		/* s to wait for an ACA */
	int reconnect;			/* s between connection attempts (Tc) */
	int watchdog;			/* s between watchdogs (Tw) */
	long spool_max;			/* records kept unanswered at most */
};

void lnb_conf_defaults(struct lnb_dconf *c);
/* Parse path into c (defaults first).  0, or -1 after printing every
 * problem as "linubia: PATH:LINE: ..." to err. */
int lnb_conf_read(const char *path, struct lnb_dconf *c, FILE *err);
/* The settings that must be present, the TLS files readable; -1 after
 * saying what is wrong. */
int lnb_conf_check(const struct lnb_dconf *c, const char *path, FILE *err);
/* TLS on: all three tls_ files given. */
int lnb_conf_tls(const struct lnb_dconf *c);
/* The port to connect to peer p. */
int lnb_conf_peer_port(const struct lnb_dconf *c, const struct lnb_peer *p);

#endif
