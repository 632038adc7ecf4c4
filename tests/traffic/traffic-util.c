// SPDX-License-Identifier: GPL-2.0-only
/*
 * linubia-traffic: error reporting, deadlines, pipes, namespaces and
 * identity switching.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "traffic.h"

void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void warn_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: warning: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static struct timespec now_monotonic(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		die("clock_gettime: %s", strerror(errno));
	return ts;
}

struct timespec deadline_after(int seconds)
{
	struct timespec ts = now_monotonic();

	ts.tv_sec += seconds;
	return ts;
}

/* Milliseconds left until the deadline, 0 when it has passed. */
int ms_until(const struct timespec *deadline)
{
	struct timespec now = now_monotonic();
	long long ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
		       (deadline->tv_nsec - now.tv_nsec) / 1000000;

	if (ms < 0)
		return 0;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* poll() one fd until an event or the deadline; dies naming what is late. */
short wait_for_fd(int fd, short events, const struct timespec *deadline,
		  int timeout_s, const char *what)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int n = poll(&pfd, 1, ms_until(deadline));

		if (n > 0)
			return pfd.revents;
		if (n == 0)
			die("timed out after %d s waiting for %s", timeout_s, what);
		if (errno != EINTR)
			die("poll while waiting for %s: %s", what, strerror(errno));
	}
}

void write_all(int fd, const void *buf, size_t len, const char *what)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("write %s: %s", what, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

/* Reads exactly len bytes; false on EOF before the first byte. */
bool read_all(int fd, void *buf, size_t len, const struct timespec *deadline,
	      int timeout_s, const char *what)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		wait_for_fd(fd, POLLIN, deadline, timeout_s, what);
		n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read %s: %s", what, strerror(errno));
		if (n == 0) {
			if (got == 0)
				return false;
			die("read %s: truncated message", what);
		}
		got += (size_t)n;
	}
	return true;
}

void enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "/run/netns/%s", name) >= (int)sizeof(path))
		die("network namespace name too long: %s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	if (setns(fd, CLONE_NEWNET) < 0)
		die("setns %s: %s", path, strerror(errno));
	if (close(fd) < 0)
		die("close %s: %s", path, strerror(errno));
}

static void set_capabilities(uint32_t caps)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	data[0].effective = caps;
	data[0].permitted = caps;
	if (syscall(SYS_capset, &hdr, data) < 0)
		die("capset: %s", strerror(errno));
}

/*
 * Switch to uid/gid N before the socket is made (its owner is fixed at
 * creation). keep_net_raw keeps CAP_NET_RAW, needed to set IPV6_DSTOPTS.
 */
void become_uid(long long uid, bool keep_net_raw)
{
	uid_t id = (uid_t)uid;

	if (keep_net_raw && prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) < 0)
		die("prctl(PR_SET_KEEPCAPS): %s", strerror(errno));
	if (setgroups(0, NULL) < 0)
		die("setgroups(0): %s", strerror(errno));
	if (setresgid(id, id, id) < 0)
		die("setresgid(%lld): %s", uid, strerror(errno));
	if (setresuid(id, id, id) < 0)
		die("setresuid(%lld): %s", uid, strerror(errno));
	if (keep_net_raw)
		set_capabilities(1u << CAP_NET_RAW);
}

/* Gives up the CAP_NET_RAW kept by become_uid(). */
void drop_net_raw(void)
{
	set_capabilities(0);
}

socklen_t make_sockaddr(int family, const char *addr, unsigned int port,
			struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
			die("bad IPv4 address: %s", addr);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
		die("bad IPv6 address: %s", addr);
	return sizeof(*sin6);
}

/* Rate pacing (not synchronisation): sleep until done/rate s after start. */
void pace_until(const struct timespec *start, uint64_t done, uint64_t rate)
{
	struct timespec when = *start;
	uint64_t ns;
	int err;

	if (rate == 0)
		return;
	ns = (uint64_t)((long double)done * 1e9L / (long double)rate);
	when.tv_sec += (time_t)(ns / 1000000000u);
	when.tv_nsec += (long)(ns % 1000000000u);
	if (when.tv_nsec >= 1000000000L) {
		when.tv_sec++;
		when.tv_nsec -= 1000000000L;
	}
	do {
		err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &when, NULL);
	} while (err == EINTR);
	if (err != 0)
		die("clock_nanosleep: %s", strerror(err));
}
