// SPDX-License-Identifier: GPL-2.0-only
/*
 * linubia-icount-load: one fixed workload between two processes, timed by
 * the guest's CLOCK_MONOTONIC for bench/kmod-icount-bench.py.  Under QEMU
 * with -icount shift=0 that clock advances one nanosecond per executed
 * instruction, so the printed "ns" is the instruction count of the
 * transfer: both processes, the network stack, softirqs and every hook.
 *
 *   linubia-icount-load --proto tcp|udp --server-addr A [--server-ns NS]
 *       [--client-ns NS] [--server-uid U] [--client-uid U]
 *       [--bytes N] [--count N] [--size N] [--connected] [--timeout S]
 *
 * TCP: the client writes --bytes in --size writes, the server reads them.
 * UDP: the client sends --count datagrams of --size payload bytes from a
 * connected socket; the server reads them from a socket that is connected
 * back to the client (--connected, as iperf3's) or not (as a DNS server's:
 * no early demux).  Everything that is not the transfer (process start,
 * namespaces, handshake, one warm-up datagram, teardown) happens outside
 * the timed window: the parent reads the clock when both sides are ready
 * and again when the server has received everything.  Prints one JSON
 * object: ns, wire packets (TCP: both sides' segments from TCP_INFO;
 * UDP: datagrams), payload bytes, and the CPU's idle time in the window
 * from /proc/stat (10 ms ticks; anything but 0 means the window holds
 * waiting, not only work).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "traffic.h"

struct load {
	enum traffic_proto proto;
	const char *server_addr;
	const char *server_ns, *client_ns;
	long long server_uid, client_uid;
	uint64_t bytes, count;
	size_t size;
	bool connected;
	int timeout_s;
};

/* What a side tells the parent when it is ready and when it is done. */
struct side_msg {
	uint32_t port;
	uint64_t segs_out;	/* TCP_INFO tcpi_segs_out */
	uint64_t received;	/* payload bytes (TCP) or datagrams (UDP) */
};

static void usage_exit(void)
{
	fputs("usage: linubia-icount-load --proto tcp|udp --server-addr A [--server-ns NS]\n"
	      "           [--client-ns NS] [--server-uid U] [--client-uid U] [--bytes N]\n"
	      "           [--count N] [--size N] [--connected] [--timeout SECONDS]\n", stderr);
	exit(2);
}

static unsigned long long parse_num(const char *s, const char *what,
				    unsigned long long min, unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die("%s: %s is not a number within %llu..%llu", what, s, min, max);
	return v;
}

static void parse_args(int argc, char **argv, struct load *l)
{
	static const struct option opts[] = {
		{ "proto", required_argument, NULL, 'p' },
		{ "server-addr", required_argument, NULL, 'a' },
		{ "server-ns", required_argument, NULL, 'S' },
		{ "client-ns", required_argument, NULL, 'C' },
		{ "server-uid", required_argument, NULL, 's' },
		{ "client-uid", required_argument, NULL, 'c' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 'z' },
		{ "connected", no_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*l = (struct load){ .proto = PROTO_TCP, .server_uid = -1, .client_uid = -1,
			    .bytes = 64ull << 20, .count = 20000, .timeout_s = 600 };
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!strcmp(optarg, "tcp"))
				l->proto = PROTO_TCP;
			else if (!strcmp(optarg, "udp"))
				l->proto = PROTO_UDP;
			else
				die("--proto: %s is neither tcp nor udp", optarg);
			break;
		case 'a': l->server_addr = optarg; break;
		case 'S': l->server_ns = optarg; break;
		case 'C': l->client_ns = optarg; break;
		case 's': l->server_uid = (long long)parse_num(optarg, "--server-uid", 0, 0xfffffffeu); break;
		case 'c': l->client_uid = (long long)parse_num(optarg, "--client-uid", 0, 0xfffffffeu); break;
		case 'b': l->bytes = parse_num(optarg, "--bytes", 1, 1ull << 40); break;
		case 'n': l->count = parse_num(optarg, "--count", 1, 100000000); break;
		case 'z': l->size = parse_num(optarg, "--size", 1, 65507); break;
		case 'k': l->connected = true; break;
		case 't': l->timeout_s = (int)parse_num(optarg, "--timeout", 1, 86400); break;
		default: usage_exit();
		}
	}
	if (optind != argc || !l->server_addr)
		usage_exit();
	if (!l->size)
		l->size = l->proto == PROTO_TCP ? 128 * 1024 : 64;
}

static uint64_t segs_out(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		die("getsockopt(TCP_INFO): %s", strerror(errno));
	return ti.tcpi_segs_out;
}

static void enter(const char *ns, long long uid)
{
	if (ns)
		enter_netns(ns);
	if (uid >= 0)
		become_uid(uid, false);
}

static void send_msg(int fd, const struct side_msg *m)
{
	write_all(fd, m, sizeof(*m), "report pipe");
}

static void recv_msg(int fd, struct side_msg *m, const struct timespec *dl,
		     int timeout_s, const char *what)
{
	if (!read_all(fd, m, sizeof(*m), dl, timeout_s, what))
		die("%s: the process exited early", what);
}

/* Blocks until the parent closes its end of @quit_fd. */
static void wait_quit(int quit_fd, const struct load *l)
{
	struct timespec dl = deadline_after(l->timeout_s);
	char c;

	if (read_all(quit_fd, &c, 1, &dl, l->timeout_s, "the end of the run"))
		die("unexpected byte on the quit pipe");
}

static int server_socket(const struct load *l, int type, struct side_msg *m)
{
	struct sockaddr_storage ss;
	socklen_t len = make_sockaddr(AF_INET, l->server_addr, 0, &ss);
	int fd = socket(AF_INET, type, 0);

	if (fd < 0)
		die("server socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		die("bind %s: %s", l->server_addr, strerror(errno));
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		die("getsockname: %s", strerror(errno));
	m->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* Reads everything, then reports; stays alive until told to quit. */
static void server(const struct load *l, int ready_fd, int done_fd, int quit_fd)
{
	struct timespec dl = deadline_after(l->timeout_s);
	struct timeval tv = { .tv_sec = l->timeout_s };
	size_t buflen = l->proto == PROTO_TCP ? l->size : l->size + 1;
	struct side_msg m = { 0 };
	char *buf = malloc(buflen);
	int fd, lfd = -1;

	if (!buf)
		die("out of memory");
	enter(l->server_ns, l->server_uid);
	if (l->proto == PROTO_TCP) {
		lfd = server_socket(l, SOCK_STREAM, &m);
		if (listen(lfd, 1) < 0)
			die("listen: %s", strerror(errno));
		send_msg(ready_fd, &m);
		wait_for_fd(lfd, POLLIN, &dl, l->timeout_s, "the client to connect");
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			die("accept: %s", strerror(errno));
		m.segs_out = segs_out(fd);
	} else {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int rcvbuf = 64 << 20;

		fd = server_socket(l, SOCK_DGRAM, &m);
		/* All datagrams queue without loss (net.core.rmem_max allowing). */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
			die("SO_RCVBUF: %s", strerror(errno));
		send_msg(ready_fd, &m);
		wait_for_fd(fd, POLLIN, &dl, l->timeout_s, "the warm-up datagram");
		if (recvfrom(fd, buf, buflen, 0, (struct sockaddr *)&peer, &plen) < 0)
			die("recvfrom: %s", strerror(errno));
		if (l->connected && connect(fd, (struct sockaddr *)&peer, plen) < 0)
			die("connect back to the client: %s", strerror(errno));
	}
	/* Blocking reads, as a server's; a lost datagram ends in a timeout. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		die("SO_RCVTIMEO: %s", strerror(errno));
	send_msg(ready_fd, &m);

	while (l->proto == PROTO_TCP ? m.received < l->bytes : m.received < l->count) {
		ssize_t n = recv(fd, buf, buflen, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			die("nothing received for %d s after %" PRIu64 " %s (lost datagrams?)",
			    l->timeout_s, m.received, l->proto == PROTO_TCP ? "bytes" : "datagrams");
		if (n < 0)
			die("recv: %s", strerror(errno));
		if (n == 0)
			die("the client closed after %" PRIu64 " bytes", m.received);
		if (l->proto == PROTO_UDP && (size_t)n != l->size)
			die("datagram of %zd bytes, expected %zu", n, l->size);
		m.received += l->proto == PROTO_TCP ? (uint64_t)n : 1;
	}
	if (l->proto == PROTO_TCP)
		m.segs_out = segs_out(fd) - m.segs_out;
	send_msg(done_fd, &m);
	wait_quit(quit_fd, l);
	free(buf);
	if (close(fd) < 0 || (lfd >= 0 && close(lfd) < 0))
		die("close: %s", strerror(errno));
}

/* Connects, waits for the start, sends everything; reports when told to quit. */
static void client(const struct load *l, unsigned int port, int ready_fd,
		   int go_fd, int done_fd, int quit_fd)
{
	struct timespec dl = deadline_after(l->timeout_s);
	struct sockaddr_storage ss;
	socklen_t len = make_sockaddr(AF_INET, l->server_addr, port, &ss);
	struct side_msg m = { 0 };
	char *buf = calloc(1, l->size);
	uint64_t sent = 0;
	int fd;
	char c;

	if (!buf)
		die("out of memory");
	enter(l->client_ns, l->client_uid);
	fd = socket(AF_INET, l->proto == PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0)
		die("client socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		die("connect %s:%u: %s", l->server_addr, port, strerror(errno));
	if (l->proto == PROTO_TCP)
		m.segs_out = segs_out(fd);
	else if (send(fd, buf, l->size, 0) < 0)
		die("send the warm-up datagram: %s", strerror(errno));
	send_msg(ready_fd, &m);
	if (!read_all(go_fd, &c, 1, &dl, l->timeout_s, "the start"))
		die("the parent exited before the start");

	while (l->proto == PROTO_TCP ? sent < l->bytes : sent < l->count) {
		size_t want = l->size;
		ssize_t n;

		if (l->proto == PROTO_TCP && l->bytes - sent < want)
			want = (size_t)(l->bytes - sent);
		n = send(fd, buf, want, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("send: %s", strerror(errno));
		sent += l->proto == PROTO_TCP ? (uint64_t)n : 1;
	}
	wait_quit(quit_fd, l);
	if (l->proto == PROTO_TCP)
		m.segs_out = segs_out(fd) - m.segs_out;
	m.received = sent;
	send_msg(done_fd, &m);
	free(buf);
	if (close(fd) < 0)
		die("close: %s", strerror(errno));
}

/* Idle time of the CPUs so far, in USER_HZ ticks (/proc/stat). */
static unsigned long long idle_ticks(void)
{
	unsigned long long v[5] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	if (!f)
		die("open /proc/stat: %s", strerror(errno));
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4]) != 5)
		die("/proc/stat: no cpu line");
	fclose(f);
	return v[3] + v[4];	/* idle + iowait */
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		die("clock_gettime: %s", strerror(errno));
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
}

static void close_fd(int fd)
{
	if (close(fd) < 0)
		die("close: %s", strerror(errno));
}

/* A child keeps no write end of the parent's pipes: their EOF must come. */
static pid_t spawn(int go_wr, int quit_wr)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		close_fd(go_wr);
		close_fd(quit_wr);
	}
	return pid;
}

static void reap(pid_t pid, const char *what)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		die("the %s failed", what);
}

int main(int argc, char **argv)
{
	int sready[2], sdone[2], cready[2], cdone[2], go[2], quit[2];
	struct side_msg sm, cm, sd, cd;
	unsigned long long idle0, idle1;
	struct timespec dl;
	pid_t spid, cpid;
	uint64_t t0, t1;
	struct load l;

	parse_args(argc, argv, &l);
	dl = deadline_after(l.timeout_s);
	make_pipe(sready);
	make_pipe(sdone);
	make_pipe(cready);
	make_pipe(cdone);
	make_pipe(go);
	make_pipe(quit);

	spid = spawn(go[1], quit[1]);
	if (spid == 0) {
		server(&l, sready[1], sdone[1], quit[0]);
		exit(0);
	}
	recv_msg(sready[0], &sm, &dl, l.timeout_s, "the server to listen");
	cpid = spawn(go[1], quit[1]);
	if (cpid == 0) {
		client(&l, sm.port, cready[1], go[0], cdone[1], quit[0]);
		exit(0);
	}
	recv_msg(cready[0], &cm, &dl, l.timeout_s, "the client to connect");
	recv_msg(sready[0], &sm, &dl, l.timeout_s, "the server to accept");

	idle0 = idle_ticks();
	t0 = now_ns();
	write_all(go[1], "g", 1, "start pipe");
	recv_msg(sdone[0], &sd, &dl, l.timeout_s, "the server to receive everything");
	t1 = now_ns();
	idle1 = idle_ticks();

	close_fd(quit[1]);
	recv_msg(cdone[0], &cd, &dl, l.timeout_s, "the client's report");
	reap(cpid, "client");
	reap(spid, "server");

	if (l.proto == PROTO_TCP)
		printf("{\"ns\": %" PRIu64 ", \"packets\": %" PRIu64 ", \"client_segs_out\": %" PRIu64
		       ", \"server_segs_out\": %" PRIu64 ", \"bytes\": %" PRIu64
		       ", \"idle_ticks\": %llu}\n", t1 - t0, cd.segs_out + sd.segs_out,
		       cd.segs_out, sd.segs_out, sd.received, idle1 - idle0);
	else
		printf("{\"ns\": %" PRIu64 ", \"packets\": %" PRIu64 ", \"bytes\": %" PRIu64
		       ", \"idle_ticks\": %llu}\n", t1 - t0, sd.received,
		       sd.received * l.size, idle1 - idle0);
	return 0;
}
