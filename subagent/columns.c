// SPDX-License-Identifier: GPL-2.0-only
/* LINUBIA-MIB column -> liblinubia sum mapping (see columns.h). */
#include <stdio.h>
#include <string.h>

#include "columns.h"

#define LNB_F(f)	(1u << LINUBIA_FAMILY_##f)
#define LNB_P(p)	(1u << LINUBIA_PROTO_##p)
#define LNB_F_ALL	((1u << LINUBIA_FAMILY_COUNT) - 1)
#define LNB_P_ALL	((1u << LINUBIA_PROTO_COUNT) - 1)

/* Keep in the order of mibs/LINUBIA-MIB.txt (linubiaUserEntry 3..38). */
struct lnb_column lnb_user_columns[] = {
	{ 3, "linubiaUserInOctets", "in_bytes", LINUBIA_DIR_IN, LNB_F_ALL, LNB_P_ALL, LINUBIA_UNIT_BYTES, NULL },
	{ 4, "linubiaUserInPkts", "in_packets", LINUBIA_DIR_IN, LNB_F_ALL, LNB_P_ALL, LINUBIA_UNIT_PACKETS, NULL },
	{ 5, "linubiaUserOutOctets", "out_bytes", LINUBIA_DIR_OUT, LNB_F_ALL, LNB_P_ALL, LINUBIA_UNIT_BYTES, NULL },
	{ 6, "linubiaUserOutPkts", "out_packets", LINUBIA_DIR_OUT, LNB_F_ALL, LNB_P_ALL, LINUBIA_UNIT_PACKETS, NULL },
	{ 7, "linubiaUserIpv4InOctets", "in_ipv4_bytes", LINUBIA_DIR_IN, LNB_F(IPV4), LNB_P_ALL, LINUBIA_UNIT_BYTES, NULL },
	{ 8, "linubiaUserIpv4InPkts", "in_ipv4_packets", LINUBIA_DIR_IN, LNB_F(IPV4), LNB_P_ALL, LINUBIA_UNIT_PACKETS, NULL },
	{ 9, "linubiaUserIpv4OutOctets", "out_ipv4_bytes", LINUBIA_DIR_OUT, LNB_F(IPV4), LNB_P_ALL, LINUBIA_UNIT_BYTES, NULL },
	{ 10, "linubiaUserIpv4OutPkts", "out_ipv4_packets", LINUBIA_DIR_OUT, LNB_F(IPV4), LNB_P_ALL, LINUBIA_UNIT_PACKETS, NULL },
	{ 11, "linubiaUserIpv6InOctets", "in_ipv6_bytes", LINUBIA_DIR_IN, LNB_F(IPV6), LNB_P_ALL, LINUBIA_UNIT_BYTES, NULL },
	{ 12, "linubiaUserIpv6InPkts", "in_ipv6_packets", LINUBIA_DIR_IN, LNB_F(IPV6), LNB_P_ALL, LINUBIA_UNIT_PACKETS, NULL },
	{ 13, "linubiaUserIpv6OutOctets", "out_ipv6_bytes", LINUBIA_DIR_OUT, LNB_F(IPV6), LNB_P_ALL, LINUBIA_UNIT_BYTES, NULL },
	{ 14, "linubiaUserIpv6OutPkts", "out_ipv6_packets", LINUBIA_DIR_OUT, LNB_F(IPV6), LNB_P_ALL, LINUBIA_UNIT_PACKETS, NULL },
	{ 15, "linubiaUserTcpInOctets", "in_tcp_bytes", LINUBIA_DIR_IN, LNB_F_ALL, LNB_P(TCP), LINUBIA_UNIT_BYTES, NULL },
	{ 16, "linubiaUserTcpInPkts", "in_tcp_packets", LINUBIA_DIR_IN, LNB_F_ALL, LNB_P(TCP), LINUBIA_UNIT_PACKETS, NULL },
	{ 17, "linubiaUserTcpOutOctets", "out_tcp_bytes", LINUBIA_DIR_OUT, LNB_F_ALL, LNB_P(TCP), LINUBIA_UNIT_BYTES, NULL },
	{ 18, "linubiaUserTcpOutPkts", "out_tcp_packets", LINUBIA_DIR_OUT, LNB_F_ALL, LNB_P(TCP), LINUBIA_UNIT_PACKETS, NULL },
	{ 19, "linubiaUserUdpInOctets", "in_udp_bytes", LINUBIA_DIR_IN, LNB_F_ALL, LNB_P(UDP), LINUBIA_UNIT_BYTES, NULL },
	{ 20, "linubiaUserUdpInPkts", "in_udp_packets", LINUBIA_DIR_IN, LNB_F_ALL, LNB_P(UDP), LINUBIA_UNIT_PACKETS, NULL },
	{ 21, "linubiaUserUdpOutOctets", "out_udp_bytes", LINUBIA_DIR_OUT, LNB_F_ALL, LNB_P(UDP), LINUBIA_UNIT_BYTES, NULL },
	{ 22, "linubiaUserUdpOutPkts", "out_udp_packets", LINUBIA_DIR_OUT, LNB_F_ALL, LNB_P(UDP), LINUBIA_UNIT_PACKETS, NULL },
	{ 23, "linubiaUserIpv4TcpInOctets", "in_ipv4_tcp_bytes", LINUBIA_DIR_IN, LNB_F(IPV4), LNB_P(TCP), LINUBIA_UNIT_BYTES, NULL },
	{ 24, "linubiaUserIpv4TcpInPkts", "in_ipv4_tcp_packets", LINUBIA_DIR_IN, LNB_F(IPV4), LNB_P(TCP), LINUBIA_UNIT_PACKETS, NULL },
	{ 25, "linubiaUserIpv4TcpOutOctets", "out_ipv4_tcp_bytes", LINUBIA_DIR_OUT, LNB_F(IPV4), LNB_P(TCP), LINUBIA_UNIT_BYTES, NULL },
	{ 26, "linubiaUserIpv4TcpOutPkts", "out_ipv4_tcp_packets", LINUBIA_DIR_OUT, LNB_F(IPV4), LNB_P(TCP), LINUBIA_UNIT_PACKETS, NULL },
	{ 27, "linubiaUserIpv4UdpInOctets", "in_ipv4_udp_bytes", LINUBIA_DIR_IN, LNB_F(IPV4), LNB_P(UDP), LINUBIA_UNIT_BYTES, NULL },
	{ 28, "linubiaUserIpv4UdpInPkts", "in_ipv4_udp_packets", LINUBIA_DIR_IN, LNB_F(IPV4), LNB_P(UDP), LINUBIA_UNIT_PACKETS, NULL },
	{ 29, "linubiaUserIpv4UdpOutOctets", "out_ipv4_udp_bytes", LINUBIA_DIR_OUT, LNB_F(IPV4), LNB_P(UDP), LINUBIA_UNIT_BYTES, NULL },
	{ 30, "linubiaUserIpv4UdpOutPkts", "out_ipv4_udp_packets", LINUBIA_DIR_OUT, LNB_F(IPV4), LNB_P(UDP), LINUBIA_UNIT_PACKETS, NULL },
	{ 31, "linubiaUserIpv6TcpInOctets", "in_ipv6_tcp_bytes", LINUBIA_DIR_IN, LNB_F(IPV6), LNB_P(TCP), LINUBIA_UNIT_BYTES, NULL },
	{ 32, "linubiaUserIpv6TcpInPkts", "in_ipv6_tcp_packets", LINUBIA_DIR_IN, LNB_F(IPV6), LNB_P(TCP), LINUBIA_UNIT_PACKETS, NULL },
	{ 33, "linubiaUserIpv6TcpOutOctets", "out_ipv6_tcp_bytes", LINUBIA_DIR_OUT, LNB_F(IPV6), LNB_P(TCP), LINUBIA_UNIT_BYTES, NULL },
	{ 34, "linubiaUserIpv6TcpOutPkts", "out_ipv6_tcp_packets", LINUBIA_DIR_OUT, LNB_F(IPV6), LNB_P(TCP), LINUBIA_UNIT_PACKETS, NULL },
	{ 35, "linubiaUserIpv6UdpInOctets", "in_ipv6_udp_bytes", LINUBIA_DIR_IN, LNB_F(IPV6), LNB_P(UDP), LINUBIA_UNIT_BYTES, NULL },
	{ 36, "linubiaUserIpv6UdpInPkts", "in_ipv6_udp_packets", LINUBIA_DIR_IN, LNB_F(IPV6), LNB_P(UDP), LINUBIA_UNIT_PACKETS, NULL },
	{ 37, "linubiaUserIpv6UdpOutOctets", "out_ipv6_udp_bytes", LINUBIA_DIR_OUT, LNB_F(IPV6), LNB_P(UDP), LINUBIA_UNIT_BYTES, NULL },
	{ 38, "linubiaUserIpv6UdpOutPkts", "out_ipv6_udp_packets", LINUBIA_DIR_OUT, LNB_F(IPV6), LNB_P(UDP), LINUBIA_UNIT_PACKETS, NULL },
};
const size_t lnb_user_column_count = sizeof(lnb_user_columns) / sizeof(lnb_user_columns[0]);

/* Detail table: MIB numbering -> UAPI enums (MIB enums start at 1). */
static const unsigned int lnb_detail_dir[] = {
	LINUBIA_DIR_IN, LINUBIA_DIR_IN, LINUBIA_DIR_OUT, LINUBIA_DIR_OUT };
static const unsigned int lnb_detail_unit[] = {
	LINUBIA_UNIT_BYTES, LINUBIA_UNIT_PACKETS, LINUBIA_UNIT_BYTES, LINUBIA_UNIT_PACKETS };
static const unsigned int lnb_mib_family[] = { LINUBIA_FAMILY_IPV4, LINUBIA_FAMILY_IPV6 };
static const unsigned int lnb_mib_proto[] = {
	LINUBIA_PROTO_TCP, LINUBIA_PROTO_UDP, LINUBIA_PROTO_ICMP, LINUBIA_PROTO_OTHER };
#define LNB_NDETAIL	(LNB_COL_DETAIL_LAST - LNB_COL_DETAIL_FIRST + 1)
#define LNB_NFAM	(sizeof(lnb_mib_family) / sizeof(lnb_mib_family[0]))
#define LNB_NPROTO	(sizeof(lnb_mib_proto) / sizeof(lnb_mib_proto[0]))
static const struct linubia_sum *lnb_detail[LNB_NDETAIL][LNB_NFAM][LNB_NPROTO];

struct lnb_coord {
	unsigned int dir, family, proto, unit;
};
#define LNB_COORD(E, name, d, f, p, u)					\
	{ LINUBIA_DIR_##d, LINUBIA_FAMILY_##f, LINUBIA_PROTO_##p, LINUBIA_UNIT_##u },
static const struct lnb_coord lnb_coords[] = { LINUBIA_COUNTERS(LNB_COORD) };

unsigned long long lnb_counter_mask(unsigned int dir_mask, unsigned int family_mask,
				    unsigned int proto_mask, unsigned int unit)
{
	unsigned long long mask = 0;

	for (unsigned int c = 0; c < LINUBIA_COUNTER_COUNT; c++) {
		const struct lnb_coord *k = &lnb_coords[c];

		if ((dir_mask >> k->dir & 1) && (family_mask >> k->family & 1) &&
		    (proto_mask >> k->proto & 1) && k->unit == unit)
			mask |= 1ULL << c;
	}
	return mask;
}

/* The sum called name must exist and count exactly these counters. */
static const struct linubia_sum *lnb_resolve(const char *name, unsigned int dir_mask,
					     unsigned int family_mask,
					     unsigned int proto_mask, unsigned int unit,
					     char *err, size_t errlen)
{
	const struct linubia_sum *sum = linubia_sum_by_name(name);
	unsigned long long want = lnb_counter_mask(dir_mask, family_mask, proto_mask, unit);

	if (!sum) {
		snprintf(err, errlen, "liblinubia has no sum named \"%s\"", name);
		return NULL;
	}
	if (sum->dir_mask != dir_mask || sum->family_mask != family_mask ||
	    sum->proto_mask != proto_mask || sum->unit != unit ||
	    sum->counter_mask != want || want == 0) {
		snprintf(err, errlen, "sum \"%s\" counts mask %#llx, the MIB column expects %#llx",
			 name, (unsigned long long)sum->counter_mask, want);
		return NULL;
	}
	return sum;
}

int lnb_columns_init(char *err, size_t errlen)
{
	for (size_t i = 0; i < lnb_user_column_count; i++) {
		struct lnb_column *c = &lnb_user_columns[i];

		if (c->column != LNB_COL_USER_FIRST_COUNTER + i) {
			snprintf(err, errlen, "%s: column %u out of order", c->descriptor, c->column);
			return -1;
		}
		c->sum = lnb_resolve(c->sum_name, 1u << c->dir, c->family_mask, c->proto_mask,
				     c->unit, err, errlen);
		if (!c->sum)
			return -1;
	}
	if (LNB_COL_USER_FIRST_COUNTER + lnb_user_column_count != LNB_COL_USER_DISCONTINUITY) {
		snprintf(err, errlen, "%zu counter columns do not end before column %d",
			 lnb_user_column_count, LNB_COL_USER_DISCONTINUITY);
		return -1;
	}
	for (unsigned int d = 0; d < LNB_NDETAIL; d++) {
		for (unsigned int f = 0; f < LNB_NFAM; f++) {
			for (unsigned int p = 0; p < LNB_NPROTO; p++) {
				char name[64];

				snprintf(name, sizeof(name), "%s_%s_%s_%s",
					 linubia_dir_name(lnb_detail_dir[d]),
					 linubia_family_name(lnb_mib_family[f]),
					 linubia_proto_name(lnb_mib_proto[p]),
					 linubia_unit_name(lnb_detail_unit[d]));
				lnb_detail[d][f][p] = lnb_resolve(name, 1u << lnb_detail_dir[d],
								  1u << lnb_mib_family[f],
								  1u << lnb_mib_proto[p],
								  lnb_detail_unit[d], err, errlen);
				if (!lnb_detail[d][f][p])
					return -1;
			}
		}
	}
	return 0;
}

const struct lnb_column *lnb_user_column(unsigned int col)
{
	if (col < LNB_COL_USER_FIRST_COUNTER || col >= LNB_COL_USER_DISCONTINUITY)
		return NULL;
	return &lnb_user_columns[col - LNB_COL_USER_FIRST_COUNTER];
}

const struct linubia_sum *lnb_detail_sum(unsigned int col, unsigned int family,
					 unsigned int proto)
{
	if (col < LNB_COL_DETAIL_FIRST || col > LNB_COL_DETAIL_LAST ||
	    family < 1 || family > LNB_NFAM || proto < 1 || proto > LNB_NPROTO)
		return NULL;
	return lnb_detail[col - LNB_COL_DETAIL_FIRST][family - 1][proto - 1];
}
