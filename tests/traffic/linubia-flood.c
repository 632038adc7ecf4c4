// SPDX-License-Identifier: GPL-2.0-only
/*
 * linubia-flood: one UDP datagram from a socket of each of many UIDs, as a
 * user with subordinate UIDs would do to fill an accounting table.  Run it
 * as root of a user namespace (e.g. `unshare --map-users=...`), or as root.
 *
 *   linubia-flood --uids FIRST:COUNT [--family 4|6] [--size N] [--ns NAME]
 *
 * A receiver socket is bound on the loopback address first, with the
 * caller's identity; then for each UID: setfsuid(UID) (a socket's owner is
 * the fsuid at its creation), socket(), sendto() the receiver, close(),
 * back to the caller's fsuid; every BATCH datagrams the receiver reads them
 * all (so no backlog overflows).  Prints one JSON object: datagrams sent and
 * received, and the IP-level size of one datagram (L3 + 8 + size).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <netinet/in.h>
#include <sys/fsuid.h>
#include <sys/socket.h>

#include "traffic.h"

#define BATCH 256

struct flood {
	uint32_t first, count;
	int family;
	size_t size;
	const char *ns;
	int timeout_s;
};

static void usage_exit(void)
{
	fputs("usage: linubia-flood --uids FIRST:COUNT [--family 4|6] [--size N] [--ns NAME]\n"
	      "                     [--timeout SECONDS]\n", stderr);
	exit(2);
}

static unsigned long parse_ulong(const char *s, const char *what, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		die("%s: %s is not a number up to %lu", what, s, max);
	return v;
}

static void parse_args(int argc, char **argv, struct flood *f)
{
	static const struct option opts[] = {
		{ "uids", required_argument, NULL, 'u' },
		{ "family", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 's' },
		{ "ns", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	char *colon;
	int c;

	*f = (struct flood){ .family = AF_INET, .size = 16, .timeout_s = 60 };
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			colon = strchr(optarg, ':');
			if (!colon)
				die("--uids: %s is not FIRST:COUNT", optarg);
			*colon = '\0';
			f->first = parse_ulong(optarg, "--uids FIRST", UINT32_MAX - 1);
			f->count = parse_ulong(colon + 1, "--uids COUNT", UINT32_MAX - f->first);
			break;
		case 'f':
			f->family = parse_ulong(optarg, "--family", 6) == 6 ? AF_INET6 : AF_INET;
			break;
		case 's':
			f->size = parse_ulong(optarg, "--size", 1400);
			break;
		case 'n':
			f->ns = optarg;
			break;
		case 't':
			f->timeout_s = parse_ulong(optarg, "--timeout", 3600);
			break;
		default:
			usage_exit();
		}
	}
	if (optind != argc || !f->count)
		usage_exit();
}

/* setfsuid() reports the previous value only: check with a second call. */
static void become_fsuid(uint32_t uid)
{
	setfsuid(uid);
	if ((uint32_t)setfsuid(uid) != uid)
		die("setfsuid(%" PRIu32 ") failed (needs CAP_SETUID in this user namespace)", uid);
}

static void receive(int rx, uint64_t n, char *buf, size_t size,
		    const struct timespec *deadline, int timeout_s, uint64_t *received)
{
	while (n) {
		ssize_t got;

		wait_for_fd(rx, POLLIN, deadline, timeout_s, "the flood's datagrams");
		got = recv(rx, buf, size + 1, MSG_DONTWAIT);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (got < 0)
			die("recv: %s", strerror(errno));
		if ((size_t)got != size)
			die("received a %zd-byte datagram, sent %zu", got, size);
		(*received)++;
		n--;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_storage to;
	struct timespec deadline;
	uint64_t sent = 0, received = 0, pending = 0;
	uid_t me = geteuid();
	struct flood f;
	socklen_t len;
	char *buf;
	int rx;

	parse_args(argc, argv, &f);
	if (f.ns)
		enter_netns(f.ns);
	buf = calloc(1, f.size + 1);
	if (!buf)
		die("out of memory");
	len = make_sockaddr(f.family, f.family == AF_INET ? "127.0.0.1" : "::1", 0, &to);
	rx = socket(f.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (rx < 0 || bind(rx, (struct sockaddr *)&to, len) < 0 ||
	    getsockname(rx, (struct sockaddr *)&to, &len) < 0)
		die("receiver socket on loopback: %s", strerror(errno));
	deadline = deadline_after(f.timeout_s);
	for (uint64_t i = 0; i < f.count; i++) {
		int s;

		become_fsuid(f.first + (uint32_t)i);
		s = socket(f.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			die("socket as uid %" PRIu64 ": %s", f.first + i, strerror(errno));
		become_fsuid(me);
		if (sendto(s, buf, f.size, 0, (struct sockaddr *)&to, len) != (ssize_t)f.size)
			die("sendto as uid %" PRIu64 ": %s", f.first + i, strerror(errno));
		if (close(s) < 0)
			die("close: %s", strerror(errno));
		sent++;
		if (++pending == BATCH) {
			receive(rx, pending, buf, f.size, &deadline, f.timeout_s, &received);
			pending = 0;
		}
	}
	receive(rx, pending, buf, f.size, &deadline, f.timeout_s, &received);
	printf("{\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"ip_bytes_each\":%zu}\n",
	       sent, received, (f.family == AF_INET ? 20 : 40) + 8 + f.size);
	return 0;
}
