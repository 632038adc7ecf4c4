/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LINUBIA-MIB's counter columns, each mapped onto one of liblinubia's named
 * derived sums (linubia_sum_by_name).  The coordinates written next to each
 * name are checked against the library's sum and against a recomputation
 * from the UAPI counter list (lnb_columns_init), at startup and in
 * tests/snmp/test-columns.c, so the MIB can never silently drift from the ABI.
 */
#ifndef LNB_COLUMNS_H
#define LNB_COLUMNS_H

#include <stddef.h>
#include <linubia.h>

/* Columns of linubiaUserEntry that are not counters. */
#define LNB_COL_USER_NAME		2
#define LNB_COL_USER_FIRST_COUNTER	3
#define LNB_COL_USER_DISCONTINUITY	39
#define LNB_COL_USER_RESET		40
#define LNB_COL_USER_LAST		40

/* linubiaUserDetailEntry: index columns 1-2, counters 3-6. */
#define LNB_COL_DETAIL_FIRST	3
#define LNB_COL_DETAIL_LAST	6

struct lnb_column {
	unsigned int column;		/* sub-identifier in the entry */
	const char *descriptor;		/* LINUBIA-MIB name */
	const char *sum_name;		/* liblinubia sum */
	unsigned int dir;		/* enum linubia_dir */
	unsigned int family_mask;	/* 1 << enum linubia_family */
	unsigned int proto_mask;	/* 1 << enum linubia_proto */
	unsigned int unit;		/* enum linubia_unit */
	const struct linubia_sum *sum;	/* resolved by lnb_columns_init */
};

extern struct lnb_column lnb_user_columns[];
extern const size_t lnb_user_column_count;

/* Resolve and check every mapping; 0, or -1 with a message in err. */
int lnb_columns_init(char *err, size_t errlen);
/* The counter column col of linubiaUserEntry, or NULL. */
const struct lnb_column *lnb_user_column(unsigned int col);
/*
 * The sum behind linubiaUserDetailEntry column col (3..6) for family
 * (1 ipv4, 2 ipv6) and protocol (1 tcp .. 4 other) as numbered in the MIB,
 * or NULL if out of range.
 */
const struct linubia_sum *lnb_detail_sum(unsigned int col, unsigned int family,
					 unsigned int proto);
/* Bit mask of the UAPI counters with these coordinates (independent of
 * liblinubia: expands LINUBIA_COUNTERS). */
unsigned long long lnb_counter_mask(unsigned int dir_mask, unsigned int family_mask,
				    unsigned int proto_mask, unsigned int unit);

#endif
