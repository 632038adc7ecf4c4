/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The AVPs of a LINUBIA accounting record, once, for the dictionary
 * extension, the daemon and the tests: X(code, "AVP-Name", "liblinubia sum",
 * mandatory).  Every value is an Unsigned64 cumulative since the session's
 * START.
 *
 * Direction (RFC 7155 section 10.1): "Input" is what the NAS received FROM
 * the user.  Here the host plays the NAS and the user is the local socket
 * owner, so Input = the user's egress (liblinubia "out"), Output = the
 * user's ingress ("in").  The sixteen Linux-* AVPs of the 2007 design follow
 * the same rule.  Their codes sit in IANA's space with no vendor: they are
 * sent with the M bit clear, so a server that does not know them ignores
 * them (RFC 6733 section 4.1).
 */
#ifndef LNB_DIAMETER_AVPS_H
#define LNB_DIAMETER_AVPS_H

#define LNB_LINUX_AVPS(X)						\
	X(5001, "Linux-Input-IPV4-Octets",      "out_ipv4_bytes",     0)	\
	X(5002, "Linux-Output-IPV4-Octets",     "in_ipv4_bytes",      0)	\
	X(5003, "Linux-Input-IPV6-Octets",      "out_ipv6_bytes",     0)	\
	X(5004, "Linux-Output-IPV6-Octets",     "in_ipv6_bytes",      0)	\
	X(5005, "Linux-Input-TCP-Octets",       "out_tcp_bytes",      0)	\
	X(5006, "Linux-Output-TCP-Octets",      "in_tcp_bytes",       0)	\
	X(5007, "Linux-Input-UDP-Octets",       "out_udp_bytes",      0)	\
	X(5008, "Linux-Output-UDP-Octets",      "in_udp_bytes",       0)	\
	X(5101, "Linux-Input-IPV4-TCP-Octets",  "out_ipv4_tcp_bytes", 0)	\
	X(5102, "Linux-Output-IPV4-TCP-Octets", "in_ipv4_tcp_bytes",  0)	\
	X(5103, "Linux-Input-IPV4-UDP-Octets",  "out_ipv4_udp_bytes", 0)	\
	X(5104, "Linux-Output-IPV4-UDP-Octets", "in_ipv4_udp_bytes",  0)	\
	X(5105, "Linux-Input-IPV6-TCP-Octets",  "out_ipv6_tcp_bytes", 0)	\
	X(5106, "Linux-Output-IPV6-TCP-Octets", "in_ipv6_tcp_bytes",  0)	\
	X(5107, "Linux-Input-IPV6-UDP-Octets",  "out_ipv6_udp_bytes", 0)	\
	X(5108, "Linux-Output-IPV6-UDP-Octets", "in_ipv6_udp_bytes",  0)

/* RFC 7155 section 10: defined by dict_nasreq.fdx (Debian's extensions). */
#define LNB_STD_AVPS(X)							\
	X(363, "Accounting-Input-Octets",   "out_bytes",   1)		\
	X(364, "Accounting-Output-Octets",  "in_bytes",    1)		\
	X(365, "Accounting-Input-Packets",  "out_packets", 1)		\
	X(366, "Accounting-Output-Packets", "in_packets",  1)

#define LNB_AVPS(X) LNB_STD_AVPS(X) LNB_LINUX_AVPS(X)

#define LNB_AVP_COUNT_ONE(code, name, sum, m) +1
enum { LNB_AVP_COUNT = 0 LNB_AVPS(LNB_AVP_COUNT_ONE) };

#endif /* LNB_DIAMETER_AVPS_H */
