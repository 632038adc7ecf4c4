// SPDX-License-Identifier: GPL-2.0-only
/*
 * Make COUNT user records fast: for each UID from FIRST, create a UDP
 * socket owned by that UID (a socket's owner is the fsuid at creation, so
 * setfsuid() is enough: no fork) and send one datagram over loopback to a
 * root-owned receiver.  Needs root and count_loopback=on.
 * Usage: lib-snapshot-uids FIRST COUNT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "lib-snapshot-uids: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Read whatever has arrived so the receiver never drops. */
static void drain(int rx)
{
	char buf[64];

	while (recv(rx, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	socklen_t len = sizeof(to);
	unsigned long first, count;
	int rx;

	if (argc != 3) {
		fprintf(stderr, "usage: lib-snapshot-uids FIRST COUNT\n");
		return 2;
	}
	first = strtoul(argv[1], NULL, 10);
	count = strtoul(argv[2], NULL, 10);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	if (rx < 0 || bind(rx, (struct sockaddr *)&to, sizeof(to)) ||
	    getsockname(rx, (struct sockaddr *)&to, &len))
		return fail("receiver socket");
	for (unsigned long i = 0; i < count; i++) {
		uid_t uid = (uid_t)(first + i);
		int s;

		setfsuid(uid);
		if ((uid_t)setfsuid(uid) != uid)	/* returns the current fsuid */
			return fail("setfsuid");
		s = socket(AF_INET, SOCK_DGRAM, 0);
		setfsuid(0);
		if (s < 0)
			return fail("socket");
		if (sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)) != 1)
			return fail("sendto");
		close(s);
		if (i % 64 == 63)
			drain(rx);
	}
	drain(rx);
	close(rx);
	return 0;
}
