// SPDX-License-Identifier: GPL-2.0-only
/* The freeDiameter configuration written from linubia-diameter.conf. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdconf.h"

/* freeDiameter's ConnectTo wants a numeric address. */
static int lnb_numeric(const char *host, char *out, size_t size, char *msg, size_t msgsize)
{
	struct addrinfo hints, *ai = NULL;
	int err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	err = getaddrinfo(host, NULL, &hints, &ai);
	if (err) {
		snprintf(msg, msgsize, "cannot resolve peer host %s: %s (give its address)",
			 host, gai_strerror(err));
		return -EINVAL;
	}
	err = getnameinfo(ai->ai_addr, ai->ai_addrlen, out, (socklen_t)size, NULL, 0,
			  NI_NUMERICHOST);
	freeaddrinfo(ai);
	if (err) {
		snprintf(msg, msgsize, "cannot use peer host %s: %s", host, gai_strerror(err));
		return -EINVAL;
	}
	return 0;
}

int lnb_fdconf_write(const struct lnb_dconf *c, const char *path, char *msg, size_t msgsize)
{
	char tmp[PATH_MAX + 8], addr[NI_MAXHOST];
	FILE *f;
	int fd, err = 0, tls = lnb_conf_tls(c);

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(msg, msgsize, "path too long: %s", path);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		snprintf(msg, msgsize, "cannot write %s: %s", tmp, strerror(-err));
		return err;
	}
	fprintf(f, "# written by linubia-diameter from its own configuration at each start\n"
		"Identity = \"%s\";\nRealm = \"%s\";\n"
		"Port = 0;\nSecPort = 0;\nNo_SCTP;\nNoRelay;\n"
		"TcTimer = %d;\nTwTimer = %d;\n",
		c->identity, c->realm, c->reconnect, c->watchdog);
	/* TLS from the first byte (RFC 6733 2.1), not after the CER (RFC
	 * 3588's method); freeDiameter checks the server's certificate
	 * against tls_ca and its name against the peer's DiameterIdentity. */
	if (tls)
		fprintf(f, "TLS_Cred = \"%s\", \"%s\";\nTLS_CA = \"%s\";\n", c->tls_cert,
			c->tls_key, c->tls_ca);
	for (int i = 0; i < c->npeers && !err; i++) {
		err = lnb_numeric(c->peers[i].host, addr, sizeof(addr), msg, msgsize);
		if (!err)
			fprintf(f, "ConnectPeer = \"%s\" { ConnectTo = \"%s\"; Port = %d; %s"
				"No_SCTP; };\n", c->peers[i].id, addr,
				lnb_conf_peer_port(c, &c->peers[i]), tls ? "" : "No_TLS; ");
	}
	if (fclose(f) != 0 && !err) {
		err = -errno;
		snprintf(msg, msgsize, "cannot write %s: %s", tmp, strerror(-err));
	}
	if (!err && rename(tmp, path) < 0) {
		err = -errno;
		snprintf(msg, msgsize, "cannot rename %s: %s", tmp, strerror(-err));
	}
	if (err)
		unlink(tmp);
	return err;
}
