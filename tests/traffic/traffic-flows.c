// SPDX-License-Identifier: GPL-2.0-only
/*
 * linubia-traffic: the TCP, UDP and ICMP echo flows. Each function runs in
 * its own (already namespaced and uid-switched) process and fills in a
 * side_report with what it sent and received and the socket's own counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <linux/errqueue.h>
#include <linux/tcp.h>

#include "traffic.h"

#define TCP_STATE_CLOSE 7	/* include/net/tcp_states.h */
#define UDP_DRAIN_MS 1000	/* udp server: wait after the client is done */
#define ICMP_ERROR_WAIT_MS 1000	/* udp --closed: wait per datagram */
#define IO_BUFFER_BYTES 65536

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

static int make_socket(const struct traffic_config *cfg, int type, int protocol)
{
	int fd = socket(cfg->family, type | SOCK_CLOEXEC, protocol);

	if (fd < 0 && protocol == (cfg->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6) &&
	    errno == EACCES)
		die("socket(%s ping): %s: gid %u is not in sysctl net.ipv4.ping_group_range",
		    family_name(cfg->family), strerror(errno), (unsigned int)getgid());
	if (fd < 0)
		die("socket(%s): %s", family_name(cfg->family), strerror(errno));
	return fd;
}

static void set_int_option(int fd, int level, int name, int value, const char *what)
{
	if (setsockopt(fd, level, name, &value, sizeof(value)) < 0)
		die("setsockopt(%s): %s", what, strerror(errno));
}

static void set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		die("fcntl(O_NONBLOCK): %s", strerror(errno));
}

/* An 8-byte destination options header: next header, length 0, PadN(4). */
static void set_dstopts(int fd)
{
	static const unsigned char dstopts[DSTOPTS_HEADER_BYTES] = {
		0, 0, 1, 4, 0, 0, 0, 0,
	};

	if (setsockopt(fd, IPPROTO_IPV6, IPV6_DSTOPTS, dstopts, sizeof(dstopts)) < 0)
		die("setsockopt(IPV6_DSTOPTS): %s", strerror(errno));
}

/* Creates the client's socket; with --dstopts sets the sticky option. */
static int client_socket(const struct traffic_config *cfg, int type, int protocol)
{
	int fd = make_socket(cfg, type, protocol);

	if (cfg->dstopts) {
		set_dstopts(fd);
		if (cfg->client_uid >= 0)
			drop_net_raw();
	}
	return fd;
}

static void bind_to(int fd, const struct traffic_config *cfg, const char *addr,
		    unsigned int port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_sockaddr(cfg->family, addr, port, &ss);

	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		die("bind %s port %u: %s", addr, port, strerror(errno));
}

static unsigned int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		die("getsockname: %s", strerror(errno));
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void signal_ready(int ready_fd, unsigned int port)
{
	uint16_t msg = (uint16_t)port;

	write_all(ready_fd, &msg, sizeof(msg), "ready message to parent");
	if (close(ready_fd) < 0)
		die("close ready pipe: %s", strerror(errno));
}

static void fill_pattern(char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('a' + i % 26);
}

static char *alloc_buffer(size_t len)
{
	char *buf = malloc(len ? len : 1);

	if (!buf)
		die("malloc(%zu): out of memory", len);
	fill_pattern(buf, len);
	return buf;
}

/* ---- TCP ---------------------------------------------------------------- */

static struct tcp_info read_tcp_info(int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
		die("getsockopt(TCP_INFO): %s", strerror(errno));
	if (len < offsetof(struct tcp_info, tcpi_rcv_ooopack) + sizeof(info.tcpi_rcv_ooopack))
		die("getsockopt(TCP_INFO): kernel returned only %u bytes", (unsigned int)len);
	return info;
}

static void record_tcp_info(int fd, struct side_report *rep)
{
	struct tcp_info info = read_tcp_info(fd);

	rep->tcp_info_valid = true;
	rep->tcp_state = info.tcpi_state;
	rep->tcp_options = info.tcpi_options;
	rep->segs_out = info.tcpi_segs_out;
	rep->segs_in = info.tcpi_segs_in;
	rep->total_retrans = info.tcpi_total_retrans;
	rep->bytes_sent = info.tcpi_bytes_sent;
	rep->bytes_received = info.tcpi_bytes_received;
	rep->bytes_retrans = info.tcpi_bytes_retrans;
	rep->rcv_ooopack = info.tcpi_rcv_ooopack;
}

/*
 * Polls TCP_INFO until the connection is fully closed (our FIN acked and,
 * on the client, the peer's FIN acked): only then are the counters final.
 */
static void wait_tcp_closed(int fd, const struct timespec *deadline, int timeout_s,
			    const char *who)
{
	static const struct timespec one_ms = { .tv_sec = 0, .tv_nsec = 1000000 };

	while (read_tcp_info(fd).tcpi_state != TCP_STATE_CLOSE) {
		if (ms_until(deadline) == 0)
			die("timed out after %d s waiting for the %s's TCP connection to reach CLOSE (FIN not acked)",
			    timeout_s, who);
		if (nanosleep(&one_ms, NULL) < 0 && errno != EINTR)
			die("nanosleep: %s", strerror(errno));
	}
}

/* Reads until EOF, returning the number of payload bytes. */
static uint64_t read_until_eof(int fd, const struct timespec *deadline, int timeout_s,
			       const char *what)
{
	char buf[IO_BUFFER_BYTES];
	uint64_t total = 0;

	for (;;) {
		ssize_t n;

		wait_for_fd(fd, POLLIN, deadline, timeout_s, what);
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			die("read (%s): %s", what, strerror(errno));
		if (n == 0)
			return total;
		total += (uint64_t)n;
	}
}

/* TCP options in a Linux SYN, from this netns's sysctls (tcp_syn_options()). */
static unsigned int read_sysctl_flag(const char *path)
{
	FILE *f = fopen(path, "re");
	int value;

	if (!f)
		die("open %s: %s", path, strerror(errno));
	if (fscanf(f, "%d", &value) != 1)
		die("read %s: not a number", path);
	if (fclose(f) != 0)
		die("close %s: %s", path, strerror(errno));
	return value != 0;
}

static uint8_t offered_syn_option_bytes(void)
{
	unsigned int ts = read_sysctl_flag("/proc/sys/net/ipv4/tcp_timestamps");
	unsigned int sack = read_sysctl_flag("/proc/sys/net/ipv4/tcp_sack");
	unsigned int ws = read_sysctl_flag("/proc/sys/net/ipv4/tcp_window_scaling");

	/* MSS 4; TS 10 (+SACK-perm 2 or 2 NOPs); else NOP NOP SACK-perm; NOP WS 3 */
	return (uint8_t)(4 + (ts ? 12 : sack ? 4 : 0) + (ws ? 4 : 0));
}

void tcp_server(const struct traffic_config *cfg, int ready_fd, struct side_report *rep)
{
	struct timespec deadline = deadline_after(cfg->timeout_s);
	int listener = make_socket(cfg, SOCK_STREAM, 0);
	int conn;

	set_int_option(listener, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	bind_to(listener, cfg, cfg->server_addr, cfg->port);
	if (listen(listener, 1) < 0)
		die("listen: %s", strerror(errno));
	set_nonblocking(listener);
	signal_ready(ready_fd, bound_port(listener));

	wait_for_fd(listener, POLLIN, &deadline, cfg->timeout_s, "the client's TCP connection");
	conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (conn < 0)
		die("accept: %s", strerror(errno));
	if (close(listener) < 0)
		die("close listener: %s", strerror(errno));

	rep->payload_received = read_until_eof(conn, &deadline, cfg->timeout_s,
					       "the client's data and FIN");
	if (shutdown(conn, SHUT_WR) < 0)
		die("shutdown(SHUT_WR) on server: %s", strerror(errno));
	wait_tcp_closed(conn, &deadline, cfg->timeout_s, "server");
	record_tcp_info(conn, rep);
	if (close(conn) < 0)
		die("close: %s", strerror(errno));
}

/* Non-blocking connect with a deadline; returns 0 or the connect error. */
static int connect_with_deadline(int fd, const struct traffic_config *cfg, unsigned int port,
				 const struct timespec *deadline)
{
	struct sockaddr_storage ss;
	socklen_t len = make_sockaddr(cfg->family, cfg->server_addr, port, &ss);
	int err = 0;
	socklen_t errlen = sizeof(err);

	if (connect(fd, (struct sockaddr *)&ss, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	wait_for_fd(fd, POLLOUT, deadline, cfg->timeout_s, "the TCP connection to be established");
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0)
		die("getsockopt(SO_ERROR): %s", strerror(errno));
	return err;
}

static void send_tcp_payload(int fd, const struct traffic_config *cfg,
			     const struct timespec *deadline, struct side_report *rep)
{
	char *buf = alloc_buffer(cfg->size);
	struct timespec start;

	if (clock_gettime(CLOCK_MONOTONIC, &start) < 0)
		die("clock_gettime: %s", strerror(errno));
	while (rep->payload_sent < cfg->bytes) {
		uint64_t left = cfg->bytes - rep->payload_sent;
		size_t chunk = left < cfg->size ? (size_t)left : cfg->size;
		ssize_t n;

		wait_for_fd(fd, POLLOUT, deadline, cfg->timeout_s, "room in the TCP send buffer");
		n = send(fd, buf, chunk, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			die("send: %s", strerror(errno));
		rep->payload_sent += (uint64_t)n;
		pace_until(&start, rep->payload_sent, cfg->rate);
	}
	free(buf);
}

void tcp_client(const struct traffic_config *cfg, unsigned int port, struct side_report *rep)
{
	struct timespec deadline = deadline_after(cfg->timeout_s);
	int fd = client_socket(cfg, SOCK_STREAM, 0);
	int err;

	rep->syn_option_bytes = offered_syn_option_bytes();
	set_nonblocking(fd);
	bind_to(fd, cfg, cfg->client_addr, 0);
	err = connect_with_deadline(fd, cfg, port, &deadline);
	if (cfg->closed) {
		if (err != ECONNREFUSED)
			die("connect to closed port %u: expected ECONNREFUSED, got %s",
			    port, err ? strerror(err) : "success");
		rep->connect_refused = true;
	} else {
		if (err != 0)
			die("connect to %s port %u: %s", cfg->server_addr, port, strerror(err));
		send_tcp_payload(fd, cfg, &deadline, rep);
		if (shutdown(fd, SHUT_WR) < 0)
			die("shutdown(SHUT_WR) on client: %s", strerror(errno));
		rep->payload_received = read_until_eof(fd, &deadline, cfg->timeout_s,
						       "the server's FIN");
		wait_tcp_closed(fd, &deadline, cfg->timeout_s, "client");
	}
	record_tcp_info(fd, rep);
	if (close(fd) < 0)
		die("close: %s", strerror(errno));
}

/* ---- UDP ---------------------------------------------------------------- */

/* Receives what is queued without blocking; returns false once nothing is. */
static bool receive_datagrams(int fd, char *buf, struct side_report *rep)
{
	for (;;) {
		ssize_t n = recv(fd, buf, IO_BUFFER_BYTES, MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n < 0)
			die("recv (udp server): %s", strerror(errno));
		rep->datagrams_received++;
		rep->payload_received += (uint64_t)n;
	}
}

/*
 * Counts datagrams until all arrived; once the parent says the client is
 * done, waits at most UDP_DRAIN_MS more, so loss shows up in the report.
 */
void udp_server(const struct traffic_config *cfg, int ready_fd, int done_fd,
		struct side_report *rep)
{
	struct timespec deadline = deadline_after(cfg->timeout_s);
	int fd = make_socket(cfg, SOCK_DGRAM, 0);
	char *buf = alloc_buffer(IO_BUFFER_BYTES);
	bool client_done = false;

	set_int_option(fd, SOL_SOCKET, SO_RCVBUF, 4 << 20, "SO_RCVBUF");
	bind_to(fd, cfg, cfg->server_addr, cfg->port);
	signal_ready(ready_fd, bound_port(fd));

	while (rep->datagrams_received < cfg->count) {
		/* Once the client is done, stop polling done_fd: its POLLHUP
		 * would wake us at once forever and the drain timeout below
		 * would never fire if a datagram was lost. */
		struct pollfd pfd[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = client_done ? -1 : done_fd, .events = POLLIN },
		};
		int timeout = client_done ? UDP_DRAIN_MS : ms_until(&deadline);
		int n = poll(pfd, 2, timeout);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("poll (udp server): %s", strerror(errno));
		if (n == 0) {
			warn_msg("udp server: got %llu of %llu datagrams (%s)",
				 (unsigned long long)rep->datagrams_received,
				 (unsigned long long)cfg->count,
				 client_done ? "no more arrived after the client finished"
					     : "deadline passed");
			break;
		}
		if (pfd[1].revents)
			client_done = true;
		if (pfd[0].revents & POLLIN)
			receive_datagrams(fd, buf, rep);
	}
	free(buf);
	if (close(fd) < 0)
		die("close: %s", strerror(errno));
}

/* Reads the error queue, counting the ICMP errors the kernel queued. */
static void drain_error_queue(int fd, struct side_report *rep)
{
	for (;;) {
		char data[IO_BUFFER_BYTES], control[512];
		struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control, .msg_controllen = sizeof(control),
		};
		ssize_t n = recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0)
			die("recvmsg(MSG_ERRQUEUE): %s", strerror(errno));
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			struct sock_extended_err ee;

			if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
			      (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
				continue;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			if (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6)
				rep->icmp_errors++;
			if (ee.ee_errno == ECONNREFUSED)
				rep->econnrefused = true;
		}
	}
}

/* --closed: waits briefly for the ICMP error this datagram should cause. */
static void collect_icmp_error(int fd, struct side_report *rep)
{
	struct pollfd pfd = { .fd = fd, .events = 0 };
	int n;

	do {
		n = poll(&pfd, 1, ICMP_ERROR_WAIT_MS);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		die("poll (udp client): %s", strerror(errno));
	if (n > 0 && (pfd.revents & POLLERR))
		drain_error_queue(fd, rep);
}

/* Sends one datagram; an ECONNREFUSED left by an earlier ICMP error is retried. */
static void send_datagram(int fd, const char *buf, size_t len, struct side_report *rep)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		ssize_t n = send(fd, buf, len, 0);

		if (n >= 0) {
			rep->datagrams_sent++;
			rep->payload_sent += (uint64_t)n;
			return;
		}
		if (errno == ECONNREFUSED) {
			rep->econnrefused = true;
			continue;
		}
		if (errno != EINTR)
			die("send (udp, %zu bytes): %s", len, strerror(errno));
	}
	die("send (udp): ECONNREFUSED repeatedly");
}

void udp_client(const struct traffic_config *cfg, unsigned int port, struct side_report *rep)
{
	int fd = client_socket(cfg, SOCK_DGRAM, 0);
	char *buf = alloc_buffer(cfg->size);
	struct sockaddr_storage ss;
	socklen_t len = make_sockaddr(cfg->family, cfg->server_addr, port, &ss);
	struct timespec start;

	if (cfg->closed && cfg->family == AF_INET)
		set_int_option(fd, IPPROTO_IP, IP_RECVERR, 1, "IP_RECVERR");
	if (cfg->closed && cfg->family == AF_INET6)
		set_int_option(fd, IPPROTO_IPV6, IPV6_RECVERR, 1, "IPV6_RECVERR");
	bind_to(fd, cfg, cfg->client_addr, 0);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		die("connect (udp) to %s port %u: %s", cfg->server_addr, port, strerror(errno));
	if (clock_gettime(CLOCK_MONOTONIC, &start) < 0)
		die("clock_gettime: %s", strerror(errno));
	for (uint64_t i = 0; i < cfg->count; i++) {
		send_datagram(fd, buf, cfg->size, rep);
		if (cfg->closed)
			collect_icmp_error(fd, rep);
		pace_until(&start, rep->payload_sent, cfg->rate);
	}
	free(buf);
	if (close(fd) < 0)
		die("close: %s", strerror(errno));
}

/* ---- ICMP echo (ping socket) ------------------------------------------- */

struct echo_header {
	uint8_t type, code;
	uint16_t checksum, id, sequence;
};

static bool is_reply_to(const char *buf, ssize_t n, int family, uint16_t seq)
{
	struct echo_header h;
	uint8_t reply = family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;

	if (n < (ssize_t)sizeof(h))
		return false;
	memcpy(&h, buf, sizeof(h));
	return h.type == reply && ntohs(h.sequence) == seq;
}

/* Waits for the echo reply with this sequence number; false on deadline. */
static bool await_echo_reply(int fd, const struct traffic_config *cfg, uint16_t seq,
			     char *buf, size_t buflen, struct side_report *rep)
{
	struct timespec deadline = deadline_after(cfg->timeout_s);

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n = poll(&pfd, 1, ms_until(&deadline));
		ssize_t got;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("poll (ping): %s", strerror(errno));
		if (n == 0)
			return false;
		got = recv(fd, buf, buflen, MSG_DONTWAIT | MSG_TRUNC);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0)
			die("recv (ping): %s", strerror(errno));
		if (!is_reply_to(buf, got, cfg->family, seq))
			continue;
		rep->datagrams_received++;
		rep->payload_received += (uint64_t)got - sizeof(struct echo_header);
		return true;
	}
}

void ping_client(const struct traffic_config *cfg, struct side_report *rep)
{
	int protocol = cfg->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int fd = client_socket(cfg, SOCK_DGRAM, protocol);
	size_t len = sizeof(struct echo_header) + cfg->size;
	char *buf = alloc_buffer(len);
	char *reply = alloc_buffer(IO_BUFFER_BYTES);
	struct sockaddr_storage ss;
	socklen_t sslen = make_sockaddr(cfg->family, cfg->server_addr, 0, &ss);
	struct timespec start;

	bind_to(fd, cfg, cfg->client_addr, 0);
	if (clock_gettime(CLOCK_MONOTONIC, &start) < 0)
		die("clock_gettime: %s", strerror(errno));
	for (uint64_t i = 0; i < cfg->count; i++) {
		struct echo_header h = {
			.type = cfg->family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST,
			.sequence = htons((uint16_t)i),
		};

		memcpy(buf, &h, sizeof(h));
		if (sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sslen) < 0)
			die("sendto (ping %s): %s", cfg->server_addr, strerror(errno));
		rep->datagrams_sent++;
		rep->payload_sent += cfg->size;
		if (!await_echo_reply(fd, cfg, (uint16_t)i, reply, IO_BUFFER_BYTES, rep)) {
			warn_msg("no echo reply for sequence %llu within %d s",
				 (unsigned long long)i, cfg->timeout_s);
			break;
		}
		pace_until(&start, rep->payload_sent, cfg->rate);
	}
	free(reply);
	free(buf);
	if (close(fd) < 0)
		die("close: %s", strerror(errno));
}
