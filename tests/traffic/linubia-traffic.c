// SPDX-License-Identifier: GPL-2.0-only
/*
 * linubia-traffic: makes one TCP, UDP or ICMP echo flow between a server
 * process and a client process (each optionally in its own network namespace
 * and under its own uid) and prints, as JSON, what each side sent and
 * received, the sockets' own counters, and the IP-level totals (bytes and
 * wire packets) that a per-uid accounting module must have charged.
 *
 * Derived IP-level totals (IP header + payload, no link layer; one packet per
 * wire segment; datagrams larger than the MTU count once at full size):
 *
 *   L3 = 20 (IPv4) or 40 (IPv6); X = 8 on packets the client sends with
 *   --dstopts, else 0.
 *   TCP: T = 20 + 12 if timestamps were negotiated (tcpi_options).
 *        SYN options S_c = 4 (MSS) + 12 (TS, SACK-perm in its padding) or
 *        4 (NOP NOP SACK-perm) + 4 (NOP WS), offered by the client's sysctls;
 *        SYN-ACK options S_s the same from the negotiated tcpi_options.
 *     client out = segs_out packets,
 *                  bytes_sent + segs_out*(L3+X+T) + (20+S_c - T)
 *     client in  = segs_in packets,
 *                  payload_received + segs_in*(L3+T) + (20+S_s - T)
 *     The accepted socket never counts the SYN-ACK (sent by the request
 *     sock); its segs_in covers the SYN (tcp_create_openreq_child() starts
 *     it at 1) and the handshake ACK (counted by tcp_child_process()):
 *     server out = segs_out+1 packets,
 *                  bytes_sent + (segs_out+1)*(L3+T) + (20+S_s - T)
 *     server in  = segs_in packets,
 *                  payload_received + segs_in*(L3+X+T) + (20+S_c - T)
 *     --closed: client out as above (only the SYN), client in = segs_in
 *     RSTs of L3 + 20 bytes each (no options).
 *   bytes_sent is tcpi_bytes_sent (payload incl. retransmissions);
 *   payload_received is what read() returned (tcpi_bytes_received would
 *   also count the FIN's sequence number).
 *   UDP: per datagram L3 + X + 8 + payload (either direction).
 *     --closed: client in = one ICMP error per error queued:
 *     IPv4 20 + 8 + min(20 + 8 + size, 548), IPv6 40 + 8 + min(40 + X + 8 +
 *     size, 1232) (RFC 792/4443 quoting limits).
 *   ping: per echo request L3 + 8 + size; per reply the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/wait.h>
#include <linux/tcp.h>

#include "traffic.h"

struct ip_totals {
	uint64_t out_bytes, out_packets, in_bytes, in_packets;
};

/* Our server and client pids, killed if the parent dies early. */
static pid_t children[2] = { -1, -1 };

struct child {
	pid_t pid;
	int result_fd;		/* report comes back here */
	int ready_fd;		/* server: port number once listening/bound */
	int done_fd;		/* server: parent writes when the client is done */
};

static void usage(FILE *out)
{
	fputs("usage: linubia-traffic --proto tcp|udp|ping --family 4|6\n"
	      "         --server-addr ADDR --client-addr ADDR\n"
	      "         [--server-ns NAME] [--client-ns NAME] [--server-uid N] [--client-uid N]\n"
	      "         [--port P] [--bytes N | --count N] [--size N] [--rate BYTES_PER_SEC]\n"
	      "         [--dstopts] [--closed] [--timeout SECONDS] [--json]\n", out);
}

static unsigned long long parse_number(const char *arg, const char *option,
				       unsigned long long max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v > max)
		die("%s: invalid number '%s' (0..%llu)", option, arg, max);
	return v;
}

static enum traffic_proto parse_proto(const char *arg)
{
	if (!strcmp(arg, "tcp"))
		return PROTO_TCP;
	if (!strcmp(arg, "udp"))
		return PROTO_UDP;
	if (!strcmp(arg, "ping"))
		return PROTO_PING;
	die("--proto: expected tcp, udp or ping, got '%s'", arg);
}

static void check_config(const struct traffic_config *cfg, bool bytes_set, bool count_set)
{
	if (!cfg->server_addr || !cfg->client_addr)
		die("--server-addr and --client-addr are required");
	if (cfg->family == 0)
		die("--family 4|6 is required");
	if (cfg->dstopts && cfg->family != AF_INET6)
		die("--dstopts needs --family 6");
	if (cfg->dstopts && cfg->proto == PROTO_PING)
		die("--dstopts does not work with ping: Linux ignores sticky IPv6 options on ping sockets");
	if (cfg->closed && cfg->proto == PROTO_PING)
		die("--closed makes no sense with ping");
	if (cfg->proto == PROTO_TCP && count_set)
		die("--count is for udp and ping; use --bytes with tcp");
	if (cfg->proto != PROTO_TCP && bytes_set)
		die("--bytes is for tcp; use --count with udp and ping");
	if (cfg->size == 0 && cfg->proto == PROTO_TCP)
		die("--size must be at least 1 with tcp");
	if (cfg->proto != PROTO_TCP && cfg->size > 65000)
		die("--size: at most 65000 bytes per datagram");
	if (cfg->closed && cfg->port == 0)
		die("--closed needs --port (a port nobody listens on)");
	if (cfg->timeout_s == 0)
		die("--timeout must be at least 1 second");
}

static void parse_args(int argc, char **argv, struct traffic_config *cfg)
{
	static const struct option options[] = {
		{ "proto", required_argument, NULL, 'P' },
		{ "family", required_argument, NULL, 'f' },
		{ "server-addr", required_argument, NULL, 'S' },
		{ "client-addr", required_argument, NULL, 'C' },
		{ "server-ns", required_argument, NULL, 's' },
		{ "client-ns", required_argument, NULL, 'c' },
		{ "server-uid", required_argument, NULL, 'U' },
		{ "client-uid", required_argument, NULL, 'u' },
		{ "port", required_argument, NULL, 'p' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 'z' },
		{ "rate", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "dstopts", no_argument, NULL, 'd' },
		{ "closed", no_argument, NULL, 'x' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool bytes_set = false, count_set = false, size_set = false;
	int opt;

	*cfg = (struct traffic_config){
		.proto = PROTO_TCP, .server_uid = -1, .client_uid = -1,
		.bytes = 1 << 20, .count = 10, .size = 65536, .timeout_s = 60,
	};
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'P': cfg->proto = parse_proto(optarg); break;
		case 'f':
			if (strcmp(optarg, "4") && strcmp(optarg, "6"))
				die("--family: expected 4 or 6, got '%s'", optarg);
			cfg->family = optarg[0] == '4' ? AF_INET : AF_INET6;
			break;
		case 'S': cfg->server_addr = optarg; break;
		case 'C': cfg->client_addr = optarg; break;
		case 's': cfg->server_ns = optarg; break;
		case 'c': cfg->client_ns = optarg; break;
		case 'U': cfg->server_uid = (long long)parse_number(optarg, "--server-uid", 4294967294ULL); break;
		case 'u': cfg->client_uid = (long long)parse_number(optarg, "--client-uid", 4294967294ULL); break;
		case 'p': cfg->port = (unsigned int)parse_number(optarg, "--port", 65535); break;
		case 'b': cfg->bytes = parse_number(optarg, "--bytes", UINT64_MAX); bytes_set = true; break;
		case 'n': cfg->count = parse_number(optarg, "--count", 65535); count_set = true; break;
		case 'z': cfg->size = (size_t)parse_number(optarg, "--size", 1 << 30); size_set = true; break;
		case 'r': cfg->rate = parse_number(optarg, "--rate", UINT64_MAX); break;
		case 't': cfg->timeout_s = (int)parse_number(optarg, "--timeout", 86400); break;
		case 'd': cfg->dstopts = true; break;
		case 'x': cfg->closed = true; break;
		case 'j': break;	/* JSON is the only output format */
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(1);
		}
	}
	if (optind != argc)
		die("unexpected argument '%s'", argv[optind]);
	if (!size_set && cfg->proto != PROTO_TCP)
		cfg->size = 56;
	check_config(cfg, bytes_set, count_set);
}

static void make_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
}

static void close_fd(int fd)
{
	if (fd >= 0 && close(fd) < 0)
		die("close: %s", strerror(errno));
}

/* In the child: namespace, then identity, then the flow; report to parent. */
static void run_side(const struct traffic_config *cfg, bool is_server, int result_fd,
		     int ready_fd, int done_fd, unsigned int port)
{
	struct side_report rep;
	const char *ns = is_server ? cfg->server_ns : cfg->client_ns;
	long long uid = is_server ? cfg->server_uid : cfg->client_uid;

	children[0] = children[1] = -1;	/* not ours to kill */
	memset(&rep, 0, sizeof(rep));
	if (ns)
		enter_netns(ns);
	if (uid >= 0)
		become_uid(uid, !is_server && cfg->dstopts);
	rep.uid = (int64_t)geteuid();
	if (is_server && cfg->proto == PROTO_TCP)
		tcp_server(cfg, ready_fd, &rep);
	else if (is_server)
		udp_server(cfg, ready_fd, done_fd, &rep);
	else if (cfg->proto == PROTO_TCP)
		tcp_client(cfg, port, &rep);
	else if (cfg->proto == PROTO_UDP)
		udp_client(cfg, port, &rep);
	else
		ping_client(cfg, &rep);
	write_all(result_fd, &rep, sizeof(rep), "report to parent");
	exit(0);
}

static struct child start_server(const struct traffic_config *cfg)
{
	int result[2], ready[2], done[2];
	struct child c;

	make_pipe(result);
	make_pipe(ready);
	make_pipe(done);
	c.pid = fork();
	if (c.pid < 0)
		die("fork server: %s", strerror(errno));
	if (c.pid == 0) {
		close_fd(result[0]);
		close_fd(ready[0]);
		close_fd(done[1]);
		run_side(cfg, true, result[1], ready[1], done[0], 0);
	}
	close_fd(result[1]);
	close_fd(ready[1]);
	close_fd(done[0]);
	c.result_fd = result[0];
	c.ready_fd = ready[0];
	c.done_fd = done[1];
	return c;
}

static struct child start_client(const struct traffic_config *cfg, unsigned int port)
{
	int result[2];
	struct child c = { .ready_fd = -1, .done_fd = -1 };

	make_pipe(result);
	c.pid = fork();
	if (c.pid < 0)
		die("fork client: %s", strerror(errno));
	if (c.pid == 0) {
		close_fd(result[0]);
		run_side(cfg, false, result[1], -1, -1, port);
	}
	close_fd(result[1]);
	c.result_fd = result[0];
	return c;
}

static void kill_children(void)
{
	for (int i = 0; i < 2; i++)
		if (children[i] > 0)
			kill(children[i], SIGKILL);
}

static unsigned int wait_server_ready(const struct child *server, const struct timespec *deadline,
				      int timeout_s)
{
	uint16_t port;

	if (!read_all(server->ready_fd, &port, sizeof(port), deadline, timeout_s,
		      "the server to listen/bind"))
		die("server process failed before it was listening/bound");
	close_fd(server->ready_fd);
	return port;
}

/* UDP server: stop waiting soon. EPIPE: it already had everything and left. */
static void tell_server_client_is_done(const struct child *server)
{
	ssize_t n;

	do {
		n = write(server->done_fd, "d", 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EPIPE)
		die("write client-done message to server: %s", strerror(errno));
	close_fd(server->done_fd);
}

static void collect_report(const struct child *c, const char *who, struct side_report *rep,
			   const struct timespec *deadline, int timeout_s)
{
	char what[64];
	int status;

	snprintf(what, sizeof(what), "the %s's report", who);
	if (!read_all(c->result_fd, rep, sizeof(*rep), deadline, timeout_s, what))
		die("%s process failed (see its message above)", who);
	close_fd(c->result_fd);
	if (waitpid(c->pid, &status, 0) < 0)
		die("waitpid %s: %s", who, strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("%s process exited abnormally (status %d)", who, status);
}

static uint64_t syn_ack_option_bytes(uint8_t tcpi_options)
{
	bool ts = tcpi_options & TCPI_OPT_TIMESTAMPS, sack = tcpi_options & TCPI_OPT_SACK;

	return 4 + (ts ? 12 : sack ? 4 : 0) + ((tcpi_options & TCPI_OPT_WSCALE) ? 4 : 0);
}

/* Derived totals for TCP; see the formula at the top of this file. */
static void derive_tcp(const struct traffic_config *cfg, const struct side_report *cl,
		       const struct side_report *sv, struct ip_totals *c, struct ip_totals *s)
{
	uint64_t l3 = cfg->family == AF_INET ? 20 : 40;
	uint64_t x = cfg->dstopts ? DSTOPTS_HEADER_BYTES : 0;
	uint64_t t = 20 + ((cl->tcp_options & TCPI_OPT_TIMESTAMPS) ? 12 : 0);
	uint64_t syn = 20 + cl->syn_option_bytes;
	uint64_t synack = 20 + syn_ack_option_bytes(cl->tcp_options);

	c->out_packets = cl->segs_out;
	c->out_bytes = cl->bytes_sent + cl->segs_out * (l3 + x + t) + syn - t;
	if (cfg->closed) {
		c->in_packets = cl->segs_in;
		c->in_bytes = cl->segs_in * (l3 + 20);
		return;
	}
	c->in_packets = cl->segs_in;
	c->in_bytes = cl->payload_received + cl->segs_in * (l3 + t) + synack - t;
	s->out_packets = sv->segs_out + 1;
	s->out_bytes = sv->bytes_sent + (sv->segs_out + 1) * (l3 + t) + synack - t;
	s->in_packets = sv->segs_in;
	s->in_bytes = sv->payload_received + sv->segs_in * (l3 + x + t) + syn - t;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Size of the ICMP error the server's kernel sends for one datagram. */
static uint64_t icmp_error_bytes(const struct traffic_config *cfg)
{
	uint64_t x = cfg->dstopts ? DSTOPTS_HEADER_BYTES : 0;

	if (cfg->family == AF_INET)
		return 28 + min_u64(28 + cfg->size, 576 - 28);
	return 48 + min_u64(48 + x + cfg->size, 1280 - 48);
}

static void derive_datagrams(const struct traffic_config *cfg, const struct side_report *cl,
			     const struct side_report *sv, struct ip_totals *c, struct ip_totals *s)
{
	uint64_t l3 = cfg->family == AF_INET ? 20 : 40;
	uint64_t x = cfg->dstopts ? DSTOPTS_HEADER_BYTES : 0;
	uint64_t l4 = 8;	/* UDP header or ICMP echo header */

	c->out_packets = cl->datagrams_sent;
	c->out_bytes = cl->payload_sent + cl->datagrams_sent * (l3 + x + l4);
	if (cfg->proto == PROTO_PING) {
		c->in_packets = cl->datagrams_received;
		c->in_bytes = cl->payload_received + cl->datagrams_received * (l3 + l4);
	} else if (cfg->closed) {
		c->in_packets = cl->icmp_errors;
		c->in_bytes = cl->icmp_errors * icmp_error_bytes(cfg);
	} else {
		s->in_packets = sv->datagrams_received;
		s->in_bytes = sv->payload_received + sv->datagrams_received * (l3 + x + l4);
	}
}

static void print_side(const char *name, const struct side_report *r, const struct ip_totals *t,
		       bool last)
{
	printf("\"%s\":{\"uid\":%" PRId64 ",\"payload_sent\":%" PRIu64
	       ",\"payload_received\":%" PRIu64 ",\"datagrams_sent\":%" PRIu64
	       ",\"datagrams_received\":%" PRIu64 ",\"segs_out\":%" PRIu64
	       ",\"segs_in\":%" PRIu64 ",\"retrans\":%" PRIu64 ",\"bytes_retrans\":%" PRIu64
	       ",\"timestamps\":%s,\"connect_refused\":%s,\"econnrefused\":%s"
	       ",\"icmp_errors\":%" PRIu64 ",\"ip_out_bytes\":%" PRIu64
	       ",\"ip_out_packets\":%" PRIu64 ",\"ip_in_bytes\":%" PRIu64
	       ",\"ip_in_packets\":%" PRIu64 ",\"rcv_ooopack\":%" PRIu64 "}%s",
	       name, r->uid, r->payload_sent, r->payload_received, r->datagrams_sent,
	       r->datagrams_received, r->segs_out, r->segs_in, r->total_retrans,
	       r->bytes_retrans, (r->tcp_options & TCPI_OPT_TIMESTAMPS) ? "true" : "false",
	       r->connect_refused ? "true" : "false", r->econnrefused ? "true" : "false",
	       r->icmp_errors, t->out_bytes, t->out_packets, t->in_bytes, t->in_packets,
	       r->rcv_ooopack, last ? "" : ",");
}

static bool flow_complete(const struct traffic_config *cfg, const struct side_report *cl,
			  const struct side_report *sv)
{
	if (cfg->proto == PROTO_TCP)
		return cfg->closed ? cl->connect_refused
				   : sv->payload_received == cfg->bytes && cl->total_retrans == 0 &&
					     sv->total_retrans == 0;
	if (cfg->proto == PROTO_PING)
		return cl->datagrams_received == cfg->count;
	if (cfg->closed)
		return cl->icmp_errors == cfg->count;
	return sv->datagrams_received == cfg->count;
}

/*
 * Why the derived totals may differ from what was on the wire, or NULL if
 * they are exact.  A retransmitted segment may also have arrived the first
 * time (the receiver's counters show no duplicate payload); segments received
 * out of order with SACK on make the receiver add SACK blocks no counter
 * reports; a lost datagram was counted by its sender only.
 */
static const char *inexact_reason(const struct traffic_config *cfg, const struct side_report *cl,
				  const struct side_report *sv, char *buf, size_t len)
{
	const struct side_report *sides[2] = { cl, sv };
	static const char *const names[2] = { "client", "server" };

	if (cfg->proto == PROTO_TCP && !cfg->closed) {
		for (int i = 0; i < 2; i++) {
			if (sides[i]->total_retrans) {
				snprintf(buf, len, "the %s retransmitted %" PRIu64 " segments (%" PRIu64
					 " payload bytes)", names[i], sides[i]->total_retrans,
					 sides[i]->bytes_retrans);
				return buf;
			}
			if ((sides[i]->tcp_options & TCPI_OPT_SACK) && sides[i]->rcv_ooopack) {
				snprintf(buf, len, "the %s received %" PRIu64
					 " segments out of order with SACK on (its SACK blocks are in no counter)",
					 names[i], sides[i]->rcv_ooopack);
				return buf;
			}
		}
	}
	if (flow_complete(cfg, cl, sv))
		return NULL;
	if (cfg->proto == PROTO_TCP && cfg->closed)
		snprintf(buf, len, "the connection to the closed port was not refused");
	else if (cfg->proto == PROTO_TCP)
		snprintf(buf, len, "the server received %" PRIu64 " of %" PRIu64 " payload bytes",
			 sv->payload_received, cfg->bytes);
	else if (cfg->proto == PROTO_PING)
		snprintf(buf, len, "%" PRIu64 " of %" PRIu64 " echo replies arrived",
			 cl->datagrams_received, cfg->count);
	else if (cfg->closed)
		snprintf(buf, len, "%" PRIu64 " of %" PRIu64 " ICMP errors arrived",
			 cl->icmp_errors, cfg->count);
	else
		snprintf(buf, len, "the server received %" PRIu64 " of %" PRIu64
			 " datagrams (the others were lost)", sv->datagrams_received, cfg->count);
	return buf;
}

static void print_json(const struct traffic_config *cfg, const struct side_report *cl,
		       const struct side_report *sv, bool has_server)
{
	static const char *const proto_names[] = { "tcp", "udp", "ping" };
	struct ip_totals c = { 0 }, s = { 0 };
	char why_buf[160];
	const char *why = inexact_reason(cfg, cl, sv, why_buf, sizeof(why_buf));

	if (cfg->proto == PROTO_TCP)
		derive_tcp(cfg, cl, sv, &c, &s);
	else
		derive_datagrams(cfg, cl, sv, &c, &s);
	printf("{\"proto\":\"%s\",\"family\":%d,\"closed\":%s,\"dstopts\":%s"
	       ",\"ext_hdr_bytes\":%d,\"complete\":%s,\"exact\":%s,\"inexact\":\"%s\",",
	       proto_names[cfg->proto], cfg->family == AF_INET ? 4 : 6,
	       cfg->closed ? "true" : "false", cfg->dstopts ? "true" : "false",
	       cfg->dstopts ? DSTOPTS_HEADER_BYTES : 0,
	       flow_complete(cfg, cl, sv) ? "true" : "false", why ? "false" : "true",
	       why ? why : "");
	print_side("client", cl, &c, false);
	if (has_server)
		print_side("server", sv, &s, true);
	else
		printf("\"server\":null");
	printf("}\n");
	if (fflush(stdout) != 0 || ferror(stdout))
		die("write stdout: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	struct traffic_config cfg;
	struct side_report client_rep, server_rep;
	struct child server = { .pid = -1 }, client;
	struct timespec deadline;
	bool has_server;
	unsigned int port;

	parse_args(argc, argv, &cfg);
	has_server = cfg.proto != PROTO_PING && !cfg.closed;
	memset(&server_rep, 0, sizeof(server_rep));
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		die("signal(SIGPIPE): %s", strerror(errno));
	if (atexit(kill_children) != 0)
		die("atexit: failed");
	deadline = deadline_after(cfg.timeout_s + 10);
	port = cfg.port;
	if (has_server) {
		server = start_server(&cfg);
		children[0] = server.pid;
		port = wait_server_ready(&server, &deadline, cfg.timeout_s);
	}
	client = start_client(&cfg, port);
	children[1] = client.pid;
	collect_report(&client, "client", &client_rep, &deadline, cfg.timeout_s);
	children[1] = -1;
	if (has_server) {
		tell_server_client_is_done(&server);
		collect_report(&server, "server", &server_rep, &deadline, cfg.timeout_s);
		children[0] = -1;
	}
	print_json(&cfg, &client_rep, &server_rep, has_server);
	return 0;
}
