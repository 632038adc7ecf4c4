// SPDX-License-Identifier: GPL-2.0-only
/*
 * The settings file.  One setting per line, "key value", '#' starts a
 * comment line; every unknown key, missing or malformed value is reported
 * with its line number and the whole file is refused (defaults are never
 * silently used for a line the operator wrote).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

void lnb_conf_defaults(struct lnb_dconf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->spool_dir, sizeof(c->spool_dir), "/var/lib/linubia-diameter");
	c->interval = 300;
	c->scan = 10;
	c->retry = 10;
	c->answer_timeout = 30;
	c->reconnect = 30;
	c->watchdog = 30;
	c->spool_max = 100000;
}

static int lnb_copy(char *dst, size_t size, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n >= size)
		return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

static int lnb_long(const char *v, long min, long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

struct lnb_key {
	const char *name;
	size_t off;		/* in struct lnb_dconf */
	size_t size;		/* string settings: buffer size; 0 = integer */
	long min, max;
	int is_long;
};

#define LNB_STR(k, f) { k, offsetof(struct lnb_dconf, f), sizeof(((struct lnb_dconf *)0)->f), 0, 0, 0 }
#define LNB_INT(k, f, lo, hi) { k, offsetof(struct lnb_dconf, f), 0, lo, hi, 0 }
#define LNB_LONG(k, f, lo, hi) { k, offsetof(struct lnb_dconf, f), 0, lo, hi, 1 }
static const struct lnb_key lnb_keys[] = {
	LNB_STR("identity", identity),
	LNB_STR("realm", realm),
	LNB_STR("destination_realm", dest_realm),
	LNB_STR("freediameter_conf", fd_conf),
	LNB_STR("tls_cert", tls_cert),
	LNB_STR("tls_key", tls_key),
	LNB_STR("tls_ca", tls_ca),
	LNB_STR("spool_dir", spool_dir),
	LNB_STR("pid_file", pid_file),
	LNB_STR("backend", backend),
	LNB_STR("netns", netns),
	LNB_INT("interval", interval, 1, 86400),
	LNB_INT("scan", scan, 1, 3600),
	LNB_INT("retry", retry, 1, 3600),
	LNB_INT("answer_timeout", answer_timeout, 1, 3600),
	LNB_INT("reconnect", reconnect, 1, 3600),
	LNB_INT("watchdog", watchdog, 6, 3600),
	LNB_LONG("spool_max", spool_max, 10, 100000000),
};

static int lnb_set(struct lnb_dconf *c, const struct lnb_key *k, const char *v,
		   const char *path, int line, FILE *err)
{
	char *field = (char *)c + k->off;
	long n;

	if (k->size) {
		if (lnb_copy(field, k->size, v) == 0)
			return 0;
		fprintf(err, "linubia: %s:%d: %s is empty or longer than %zu characters\n",
			path, line, k->name, k->size - 1);
		return -1;
	}
	if (lnb_long(v, k->min, k->max, &n) < 0) {
		fprintf(err, "linubia: %s:%d: %s wants an integer in %ld..%ld, not \"%s\"\n",
			path, line, k->name, k->min, k->max, v);
		return -1;
	}
	if (k->is_long)
		*(long *)(void *)field = n;
	else
		*(int *)(void *)field = (int)n;
	return 0;
}

/* "peer DIAMETER-ID HOST [PORT]" */
static int lnb_peer(struct lnb_dconf *c, char **w, int nw, const char *path, int line, FILE *err)
{
	struct lnb_peer *p;
	long port = 0;

	if (nw < 3 || nw > 4) {
		fprintf(err, "linubia: %s:%d: peer wants DIAMETER-ID HOST [PORT]\n", path, line);
		return -1;
	}
	if (c->npeers == LNB_MAX_PEERS) {
		fprintf(err, "linubia: %s:%d: at most %d peers\n", path, line, LNB_MAX_PEERS);
		return -1;
	}
	if (nw == 4 && lnb_long(w[3], 1, 65535, &port) < 0) {
		fprintf(err, "linubia: %s:%d: peer port must be 1..65535, not \"%s\"\n", path,
			line, w[3]);
		return -1;
	}
	p = &c->peers[c->npeers];
	if (lnb_copy(p->id, sizeof(p->id), w[1]) < 0 ||
	    lnb_copy(p->host, sizeof(p->host), w[2]) < 0) {
		fprintf(err, "linubia: %s:%d: peer name or host longer than %d characters\n",
			path, line, LNB_NAME_MAX - 1);
		return -1;
	}
	p->port = (int)port;
	c->npeers++;
	return 0;
}

/* Split line into at most max words (spaces/tabs); -1 if more. */
static int lnb_words(char *line, char **w, int max)
{
	int n = 0;

	for (char *tok = strtok(line, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
		if (n == max)
			return -1;
		w[n++] = tok;
	}
	return n;
}

int lnb_conf_read(const char *path, struct lnb_dconf *c, FILE *err)
{
	char *buf = NULL, *w[6];
	size_t cap = 0;
	int line = 0, bad = 0, nw;
	FILE *f;

	lnb_conf_defaults(c);
	f = fopen(path, "r");
	if (!f) {
		fprintf(err, "linubia: cannot read %s: %s (check the -c path)\n", path,
			strerror(errno));
		return -1;
	}
	while (getline(&buf, &cap, f) >= 0) {
		const struct lnb_key *k = NULL;

		line++;
		nw = lnb_words(buf, w, 5);
		if (nw == 0 || w[0][0] == '#')
			continue;
		if (nw < 0) {
			fprintf(err, "linubia: %s:%d: too many words\n", path, line);
			bad = 1;
			continue;
		}
		if (!strcmp(w[0], "peer")) {
			bad |= lnb_peer(c, w, nw, path, line, err) < 0;
			continue;
		}
		for (size_t i = 0; i < sizeof(lnb_keys) / sizeof(lnb_keys[0]); i++)
			if (!strcmp(w[0], lnb_keys[i].name))
				k = &lnb_keys[i];
		if (!k) {
			fprintf(err, "linubia: %s:%d: unknown setting \"%s\"\n", path, line, w[0]);
			bad = 1;
		} else if (nw != 2) {
			fprintf(err, "linubia: %s:%d: %s wants exactly one value\n", path, line,
				w[0]);
			bad = 1;
		} else {
			bad |= lnb_set(c, k, w[1], path, line, err) < 0;
		}
	}
	if (ferror(f)) {
		fprintf(err, "linubia: cannot read %s: %s\n", path, strerror(errno));
		bad = 1;
	}
	free(buf);
	fclose(f);
	if (!bad && c->backend[0] && strcmp(c->backend, "kmod") && strcmp(c->backend, "ebpf")) {
		fprintf(err, "linubia: %s: backend must be kmod or ebpf, not \"%s\"\n", path,
			c->backend);
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* A DiameterIdentity or realm: an FQDN (letters, digits, '.', '-', '_');
 * extra: one more character allowed (':' in IPv6 addresses). */
static int lnb_name_ok(const char *s, char extra)
{
	if (!*s)
		return 1;	/* missing: reported below */
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '_' || (extra && *s == extra)))
			return 0;
	return 1;
}

int lnb_conf_tls(const struct lnb_dconf *c)
{
	return c->tls_cert[0] && c->tls_key[0] && c->tls_ca[0];
}

int lnb_conf_peer_port(const struct lnb_dconf *c, const struct lnb_peer *p)
{
	if (p->port)
		return p->port;
	return lnb_conf_tls(c) ? LNB_TLS_PORT : LNB_PORT;
}

/* The three TLS files: all or none, readable now (freeDiameter reads them
 * at each start), and quotable in freeDiameter's configuration. */
static int lnb_tls_check(const struct lnb_dconf *c, const char *path, FILE *err)
{
	const char *files[] = { c->tls_cert, c->tls_key, c->tls_ca };
	const char *keys[] = { "tls_cert", "tls_key", "tls_ca" };
	int given = 0, bad = 0;

	for (int i = 0; i < 3; i++)
		given += files[i][0] != '\0';
	if (given == 0)
		return 0;
	if (c->fd_conf[0]) {
		fprintf(err, "linubia: %s: tls_cert, tls_key and tls_ca do not apply with "
			"freediameter_conf (give TLS_Cred and TLS_CA there)\n", path);
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		if (!files[i][0]) {
			fprintf(err, "linubia: %s: %s is missing (tls_cert, tls_key and tls_ca "
				"go together)\n", path, keys[i]);
			bad = 1;
		} else if (files[i][0] != '/') {
			fprintf(err, "linubia: %s: %s %s: an absolute path, please\n", path,
				keys[i], files[i]);
			bad = 1;
		} else if (strpbrk(files[i], "\"\\")) {
			fprintf(err, "linubia: %s: %s \"%s\": a path without '\"' or '\\', "
				"please\n", path, keys[i], files[i]);
			bad = 1;
		} else if (access(files[i], R_OK) < 0) {
			fprintf(err, "linubia: %s: %s %s: cannot read it: %s\n", path, keys[i],
				files[i], strerror(errno));
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

int lnb_conf_check(const struct lnb_dconf *c, const char *path, FILE *err)
{
	const char *names[] = { c->identity, c->realm, c->dest_realm };
	const char *keys[] = { "identity", "realm", "destination_realm" };
	int bad = lnb_tls_check(c, path, err) < 0;

	for (int i = 0; i < 3; i++) {
		if (!lnb_name_ok(names[i], 0)) {
			fprintf(err, "linubia: %s: %s \"%s\" is not a host or realm name "
				"(letters, digits, '.', '-', '_')\n", path, keys[i], names[i]);
			bad = 1;
		}
	}
	for (int i = 0; i < c->npeers; i++) {
		if (!lnb_name_ok(c->peers[i].id, 0) || !lnb_name_ok(c->peers[i].host, ':')) {
			fprintf(err, "linubia: %s: peer \"%s\" \"%s\": not a host name or "
				"address\n", path, c->peers[i].id, c->peers[i].host);
			bad = 1;
		}
	}

	if (!c->dest_realm[0]) {
		fprintf(err, "linubia: %s: destination_realm is missing (the accounting "
			"server's realm)\n", path);
		bad = 1;
	}
	if (c->fd_conf[0])
		return bad ? -1 : 0;
	if (!c->identity[0] || !c->realm[0]) {
		fprintf(err, "linubia: %s: identity and realm are missing (this host's "
			"DiameterIdentity and realm, or freediameter_conf)\n", path);
		bad = 1;
	}
	if (c->npeers == 0) {
		fprintf(err, "linubia: %s: no peer (add \"peer DIAMETER-ID HOST [PORT]\", "
			"or freediameter_conf)\n", path);
		bad = 1;
	}
	return bad ? -1 : 0;
}
