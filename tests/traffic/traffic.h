/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * linubia-traffic: shared declarations of the traffic generator used as
 * ground truth by the LINUBIA tests.
 */
#ifndef LINUBIA_TRAFFIC_H
#define LINUBIA_TRAFFIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/socket.h>

enum traffic_proto { PROTO_TCP, PROTO_UDP, PROTO_PING };

/* Bytes of the IPv6 destination options header set by --dstopts. */
#define DSTOPTS_HEADER_BYTES 8

struct traffic_config {
	enum traffic_proto proto;
	int family;			/* AF_INET or AF_INET6 */
	const char *server_addr;
	const char *client_addr;
	const char *server_ns;		/* NULL: stay in the current netns */
	const char *client_ns;
	long long server_uid;		/* -1: keep the current identity */
	long long client_uid;
	unsigned int port;		/* 0: the server picks a free port */
	uint64_t bytes;			/* tcp: payload bytes to send */
	uint64_t count;			/* udp/ping: datagrams to send */
	size_t size;			/* tcp: write size; udp/ping: payload */
	uint64_t rate;			/* payload bytes per second, 0: no pacing */
	bool dstopts;
	bool closed;
	int timeout_s;
};

/*
 * What one side observed, sent from the child process to the parent through
 * a pipe (same binary on both ends, so the raw struct is fine).
 */
struct side_report {
	int64_t uid;
	uint64_t payload_sent;
	uint64_t payload_received;
	uint64_t datagrams_sent;	/* udp datagrams / echo requests */
	uint64_t datagrams_received;	/* udp datagrams / echo replies */
	uint64_t icmp_errors;		/* ICMP errors read from the error queue */
	bool econnrefused;		/* udp --closed: ECONNREFUSED seen */
	bool connect_refused;		/* tcp --closed: connect() refused */
	bool tcp_info_valid;
	uint8_t tcp_state;
	uint8_t tcp_options;		/* tcpi_options: negotiated options */
	uint8_t syn_option_bytes;	/* TCP options in this side's SYN */
	uint64_t segs_out;
	uint64_t segs_in;
	uint64_t total_retrans;
	uint64_t bytes_sent;		/* tcpi_bytes_sent (incl. retransmits) */
	uint64_t bytes_received;	/* tcpi_bytes_received */
	uint64_t bytes_retrans;
	uint64_t rcv_ooopack;		/* tcpi_rcv_ooopack: out-of-order segments */
};

/* traffic-util.c */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct timespec deadline_after(int seconds);
int ms_until(const struct timespec *deadline);
short wait_for_fd(int fd, short events, const struct timespec *deadline,
		  int timeout_s, const char *what);
void write_all(int fd, const void *buf, size_t len, const char *what);
bool read_all(int fd, void *buf, size_t len, const struct timespec *deadline,
	      int timeout_s, const char *what);
void enter_netns(const char *name);
void become_uid(long long uid, bool keep_net_raw);
void drop_net_raw(void);
socklen_t make_sockaddr(int family, const char *addr, unsigned int port,
			struct sockaddr_storage *ss);
void pace_until(const struct timespec *start, uint64_t done, uint64_t rate);

/* traffic-flows.c */
void tcp_server(const struct traffic_config *cfg, int ready_fd,
		struct side_report *rep);
void tcp_client(const struct traffic_config *cfg, unsigned int port,
		struct side_report *rep);
void udp_server(const struct traffic_config *cfg, int ready_fd, int done_fd,
		struct side_report *rep);
void udp_client(const struct traffic_config *cfg, unsigned int port,
		struct side_report *rep);
void ping_client(const struct traffic_config *cfg, struct side_report *rep);

#endif
