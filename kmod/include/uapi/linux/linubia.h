/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * linubia.h - the LINUBIA user/kernel ABI: counter layout and generic netlink.
 *
 * This header is the single source of truth.  The kernel module, the eBPF
 * programs, liblinubia, the CLI, the /proc view and the MIB column mapping
 * are all driven from the lists below; nothing re-declares them by hand.
 *
 * RECORDS
 * -------
 * The module keeps one record per UID of the initial user namespace.  A
 * packet is charged to the UID that owns the local socket it belongs to.
 * Packets with no owning user socket (closed ports, TIME_WAIT, kernel-made
 * RSTs and ICMP errors, scans, table full) are charged to the record of the
 * reserved UID LINUBIA_UID_UNATTRIBUTED (4294967295).
 *
 * Each record holds LINUBIA_COUNTER_COUNT 64-bit counters:
 * direction {in, out} x family {ipv4, ipv6} x protocol {tcp, udp, icmp,
 * other} x unit {bytes, packets}.  Bytes are IP-level (IP header + payload,
 * no link layer), exact per wire packet under TSO/GSO/GRO.  The index of a
 * counter is LINUBIA_COUNTER(dir, family, proto, unit); LINUBIA_COUNTERS()
 * lists all of them in index order with their names.
 *
 * GENERIC NETLINK FAMILY "linubia", version 1
 * ------------------------------------------
 * LINUBIA_CMD_GET_USER
 *   dump (NLM_F_DUMP): one message per record.  A caller without
 *   CAP_NET_ADMIN in the initial user namespace gets only its own record.
 *   do: needs LINUBIA_A_UID; unprivileged callers may only ask for their own
 *   UID (-EPERM otherwise); -ENOENT when the UID has no record.
 *   Reply attributes:
 *     LINUBIA_A_UID            u32
 *     LINUBIA_A_FIRST_SEEN_NS  u64  CLOCK_REALTIME ns when the record was made
 *     LINUBIA_A_LAST_RESET_NS  u64  CLOCK_REALTIME ns of the last reset, 0 if none
 *     LINUBIA_A_COUNTERS       nested: attribute type = counter index + 1,
 *                              payload u64; counters that are 0 are omitted;
 *                              type 0 (LINUBIA_NEST_PAD) is alignment padding.
 *     LINUBIA_A_DELEGATED_BY   u32  only on a record of a delegated UID: the
 *                              user who delegated it (see DELEGATED UIDS)
 *
 * LINUBIA_CMD_RESET (CAP_NET_ADMIN)
 *   LINUBIA_A_UID (one record) or LINUBIA_A_RESET_ALL (flag).  Increments
 *   racing with the reset are neither lost nor counted twice.  A one-UID
 *   reset replies with the record's attributes (as GET_USER) where
 *   LINUBIA_A_COUNTERS holds exactly the amounts the reset took off, so a
 *   poller that adds them up loses nothing; -ENOENT if the UID has no record.
 *
 * LINUBIA_CMD_GET_STATS
 *   Reply: LINUBIA_A_USERS (u32, records in use incl. the unattributed one),
 *   LINUBIA_A_MAX_USERS (u32), LINUBIA_A_DELEGATED_USERS (u32, records of
 *   delegated UIDs), LINUBIA_A_MAX_DELEGATED (u32), LINUBIA_A_STATS nested:
 *   attribute type = stat index + 1 (see LINUBIA_STATS()), payload u64, all
 *   present.
 *
 * LINUBIA_CMD_GET_CONFIG / LINUBIA_CMD_SET_CONFIG (set: CAP_NET_ADMIN)
 *   LINUBIA_A_COUNT_LOOPBACK (u8, 0 or 1), LINUBIA_A_MAX_DELEGATED (u32,
 *   0 .. max_users), LINUBIA_A_READ_GID (u32, a group of the initial user
 *   namespace, LINUBIA_NO_GID for none), LINUBIA_A_MAX_USERS (u32, get only).
 *
 * WHO MAY DO WHAT
 * ---------------
 * "Admin" = the requesting socket's opener has CAP_NET_ADMIN in the initial
 * user namespace AND the socket lives in the initial network namespace.  A
 * container with its own network namespace (even with CAP_NET_ADMIN) or a
 * uid-0 process without the capability is not an admin.  Admins dump and
 * get every record, reset and configure; everyone else dumps or gets only
 * the record of the socket opener's fsuid (as mapped into the initial user
 * namespace); RESET and SET_CONFIG answer -EPERM with an extack message.
 * Members of the read group (read_gid: the opener's fsgid, egid or a
 * supplementary group), from the initial network namespace, dump and get
 * every record too, but may not reset or configure.
 *
 * DELEGATED UIDS
 * --------------
 * A UID is delegated when the socket's creator runs in a user namespace
 * (rootless containers, subordinate UIDs from /etc/subuid): its delegating
 * user is the owner of the outermost such namespace (the child of the
 * initial one), and a packet of the owner's own UID is not delegated.  At
 * most max_delegated records are made for the UIDs one user delegates; the
 * traffic of further delegated UIDs is charged to the delegating user's own
 * record (and counted in the delegated_over_bound statistic), never to
 * another user or the unattributed record.
 *
 * All u64 attributes are host byte order and 8-byte aligned with
 * LINUBIA_A_PAD.  Malformed requests get -EINVAL with an extack message.
 */
#ifndef _UAPI_LINUX_LINUBIA_H
#define _UAPI_LINUX_LINUBIA_H

#define LINUBIA_GENL_NAME	"linubia"
#define LINUBIA_GENL_VERSION	1

/* The record for traffic no user socket owns. */
#define LINUBIA_UID_UNATTRIBUTED	4294967295U

/* LINUBIA_A_READ_GID: no read group. */
#define LINUBIA_NO_GID			4294967295U

/* Default bound on the records one user's delegated UIDs may make. */
#define LINUBIA_DEFAULT_MAX_DELEGATED	1024

/* The four dimensions of a record: X(ENUM_SUFFIX, name). */
#define LINUBIA_DIRS(X)		X(IN, in) X(OUT, out)
#define LINUBIA_FAMILIES(X)	X(IPV4, ipv4) X(IPV6, ipv6)
#define LINUBIA_PROTOS(X)	X(TCP, tcp) X(UDP, udp) X(ICMP, icmp) X(OTHER, other)
#define LINUBIA_UNITS(X)	X(BYTES, bytes) X(PACKETS, packets)

#define LINUBIA_ENUM_DIR(E, n)		LINUBIA_DIR_##E,
#define LINUBIA_ENUM_FAMILY(E, n)	LINUBIA_FAMILY_##E,
#define LINUBIA_ENUM_PROTO(E, n)	LINUBIA_PROTO_##E,
#define LINUBIA_ENUM_UNIT(E, n)		LINUBIA_UNIT_##E,
enum linubia_dir { LINUBIA_DIRS(LINUBIA_ENUM_DIR) LINUBIA_DIR_COUNT };
enum linubia_family { LINUBIA_FAMILIES(LINUBIA_ENUM_FAMILY) LINUBIA_FAMILY_COUNT };
enum linubia_proto { LINUBIA_PROTOS(LINUBIA_ENUM_PROTO) LINUBIA_PROTO_COUNT };
enum linubia_unit { LINUBIA_UNITS(LINUBIA_ENUM_UNIT) LINUBIA_UNIT_COUNT };

/* Index of one counter: the last dimension varies fastest. */
#define LINUBIA_COUNTER(dir, family, proto, unit)			\
	((((dir) * LINUBIA_FAMILY_COUNT + (family)) * LINUBIA_PROTO_COUNT +	\
	  (proto)) * LINUBIA_UNIT_COUNT + (unit))

/*
 * Every counter in index order: X(ENUM_SUFFIX, "name", dir, family, proto,
 * unit).  Consumers expand it into their own tables (names for /proc and
 * JSON, MIB columns, ...); the order is checked against LINUBIA_COUNTER().
 */
#define LINUBIA_COUNTERS(X)						\
	X(IN_IPV4_TCP_BYTES,     "in_ipv4_tcp_bytes",     IN,  IPV4, TCP,   BYTES)   \
	X(IN_IPV4_TCP_PACKETS,   "in_ipv4_tcp_packets",   IN,  IPV4, TCP,   PACKETS) \
	X(IN_IPV4_UDP_BYTES,     "in_ipv4_udp_bytes",     IN,  IPV4, UDP,   BYTES)   \
	X(IN_IPV4_UDP_PACKETS,   "in_ipv4_udp_packets",   IN,  IPV4, UDP,   PACKETS) \
	X(IN_IPV4_ICMP_BYTES,    "in_ipv4_icmp_bytes",    IN,  IPV4, ICMP,  BYTES)   \
	X(IN_IPV4_ICMP_PACKETS,  "in_ipv4_icmp_packets",  IN,  IPV4, ICMP,  PACKETS) \
	X(IN_IPV4_OTHER_BYTES,   "in_ipv4_other_bytes",   IN,  IPV4, OTHER, BYTES)   \
	X(IN_IPV4_OTHER_PACKETS, "in_ipv4_other_packets", IN,  IPV4, OTHER, PACKETS) \
	X(IN_IPV6_TCP_BYTES,     "in_ipv6_tcp_bytes",     IN,  IPV6, TCP,   BYTES)   \
	X(IN_IPV6_TCP_PACKETS,   "in_ipv6_tcp_packets",   IN,  IPV6, TCP,   PACKETS) \
	X(IN_IPV6_UDP_BYTES,     "in_ipv6_udp_bytes",     IN,  IPV6, UDP,   BYTES)   \
	X(IN_IPV6_UDP_PACKETS,   "in_ipv6_udp_packets",   IN,  IPV6, UDP,   PACKETS) \
	X(IN_IPV6_ICMP_BYTES,    "in_ipv6_icmp_bytes",    IN,  IPV6, ICMP,  BYTES)   \
	X(IN_IPV6_ICMP_PACKETS,  "in_ipv6_icmp_packets",  IN,  IPV6, ICMP,  PACKETS) \
	X(IN_IPV6_OTHER_BYTES,   "in_ipv6_other_bytes",   IN,  IPV6, OTHER, BYTES)   \
	X(IN_IPV6_OTHER_PACKETS, "in_ipv6_other_packets", IN,  IPV6, OTHER, PACKETS) \
	X(OUT_IPV4_TCP_BYTES,    "out_ipv4_tcp_bytes",    OUT, IPV4, TCP,   BYTES)   \
	X(OUT_IPV4_TCP_PACKETS,  "out_ipv4_tcp_packets",  OUT, IPV4, TCP,   PACKETS) \
	X(OUT_IPV4_UDP_BYTES,    "out_ipv4_udp_bytes",    OUT, IPV4, UDP,   BYTES)   \
	X(OUT_IPV4_UDP_PACKETS,  "out_ipv4_udp_packets",  OUT, IPV4, UDP,   PACKETS) \
	X(OUT_IPV4_ICMP_BYTES,   "out_ipv4_icmp_bytes",   OUT, IPV4, ICMP,  BYTES)   \
	X(OUT_IPV4_ICMP_PACKETS, "out_ipv4_icmp_packets", OUT, IPV4, ICMP,  PACKETS) \
	X(OUT_IPV4_OTHER_BYTES,  "out_ipv4_other_bytes",  OUT, IPV4, OTHER, BYTES)   \
	X(OUT_IPV4_OTHER_PACKETS,"out_ipv4_other_packets",OUT, IPV4, OTHER, PACKETS) \
	X(OUT_IPV6_TCP_BYTES,    "out_ipv6_tcp_bytes",    OUT, IPV6, TCP,   BYTES)   \
	X(OUT_IPV6_TCP_PACKETS,  "out_ipv6_tcp_packets",  OUT, IPV6, TCP,   PACKETS) \
	X(OUT_IPV6_UDP_BYTES,    "out_ipv6_udp_bytes",    OUT, IPV6, UDP,   BYTES)   \
	X(OUT_IPV6_UDP_PACKETS,  "out_ipv6_udp_packets",  OUT, IPV6, UDP,   PACKETS) \
	X(OUT_IPV6_ICMP_BYTES,   "out_ipv6_icmp_bytes",   OUT, IPV6, ICMP,  BYTES)   \
	X(OUT_IPV6_ICMP_PACKETS, "out_ipv6_icmp_packets", OUT, IPV6, ICMP,  PACKETS) \
	X(OUT_IPV6_OTHER_BYTES,  "out_ipv6_other_bytes",  OUT, IPV6, OTHER, BYTES)   \
	X(OUT_IPV6_OTHER_PACKETS,"out_ipv6_other_packets",OUT, IPV6, OTHER, PACKETS)

#define LINUBIA_ENUM_COUNTER(E, name, d, f, p, u) LINUBIA_C_##E,
enum linubia_counter {
	LINUBIA_COUNTERS(LINUBIA_ENUM_COUNTER)
	LINUBIA_COUNTER_COUNT
};

/*
 * Global statistics: X(ENUM_SUFFIX, "name").  The unattributed_* entries
 * count packets charged to LINUBIA_UID_UNATTRIBUTED, by reason:
 *   no_socket    no local socket owns it (closed port, scan, ICMP echo
 *                request, ping socket replies on ingress, NDP, ...)
 *   time_wait    the owner is a TIME_WAIT socket (no user left)
 *   kernel       sent or received by a kernel socket (IPv4 RST and ICMP
 *                errors from the per-netns control sockets, NDP/MLD, ...)
 *   table_full   the UID had no record and max_users was reached
 *   no_memory    allocating the UID's record failed (GFP_ATOMIC)
 * delegated_over_bound counts packets of delegated UIDs charged to their
 * delegating user because it already had max_delegated such records.
 */
#define LINUBIA_STATS(X)						\
	X(SLOW_LOOKUPS,          "slow_lookups")			\
	X(UNATTR_NO_SOCKET,      "unattributed_no_socket")		\
	X(UNATTR_TIME_WAIT,      "unattributed_time_wait")		\
	X(UNATTR_KERNEL,         "unattributed_kernel")		\
	X(UNATTR_TABLE_FULL,     "unattributed_table_full")		\
	X(UNATTR_NO_MEMORY,      "unattributed_no_memory")		\
	X(TABLE_FULL_BYTES,      "table_full_bytes")			\
	X(DELEGATED_OVER_BOUND,  "delegated_over_bound")

#define LINUBIA_ENUM_STAT(E, name) LINUBIA_S_##E,
enum linubia_stat {
	LINUBIA_STATS(LINUBIA_ENUM_STAT)
	LINUBIA_STAT_COUNT
};

enum linubia_cmd {
	LINUBIA_CMD_UNSPEC,
	LINUBIA_CMD_GET_USER,
	LINUBIA_CMD_RESET,
	LINUBIA_CMD_GET_STATS,
	LINUBIA_CMD_GET_CONFIG,
	LINUBIA_CMD_SET_CONFIG,
	__LINUBIA_CMD_MAX
};
#define LINUBIA_CMD_MAX (__LINUBIA_CMD_MAX - 1)

enum linubia_attr {
	LINUBIA_A_UNSPEC,
	LINUBIA_A_PAD,
	LINUBIA_A_UID,
	LINUBIA_A_RESET_ALL,
	LINUBIA_A_FIRST_SEEN_NS,
	LINUBIA_A_LAST_RESET_NS,
	LINUBIA_A_COUNTERS,
	LINUBIA_A_USERS,
	LINUBIA_A_MAX_USERS,
	LINUBIA_A_STATS,
	LINUBIA_A_COUNT_LOOPBACK,
	LINUBIA_A_DELEGATED_BY,
	LINUBIA_A_DELEGATED_USERS,
	LINUBIA_A_MAX_DELEGATED,
	LINUBIA_A_READ_GID,
	__LINUBIA_A_MAX
};
#define LINUBIA_A_MAX (__LINUBIA_A_MAX - 1)

/* Inside LINUBIA_A_COUNTERS / LINUBIA_A_STATS: type = index + 1, 0 pads. */
#define LINUBIA_NEST_PAD	0
#define LINUBIA_NEST_TYPE(index)	((index) + 1)

#endif /* _UAPI_LINUX_LINUBIA_H */
