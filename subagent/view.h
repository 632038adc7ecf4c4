/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The OID arithmetic of LINUBIA-MIB over a snapshot sorted by UID, free of
 * Net-SNMP types so that it can be unit-tested: which object instance an
 * OID names (GET/SET) and which instance follows an OID (GETNEXT/GETBULK),
 * in O(log n) by binary search; the 32-bit masking that works around
 * Net-SNMP 5.9.3's sign extension of AgentX sub-identifiers >= 2^31;
 * Counter64 halves; TimeStamp arithmetic for linubiaUserDiscontinuityTime.
 *
 * OIDs here are relative to linubiaObjects (LINUBIA-MIB ::= { linubiaMIB 1 }):
 *   1.k.0                 scalars, k = 1..LNB_SCALAR_LAST
 *   2.1.col.uid           linubiaUserEntry, col = 2..LNB_COL_USER_LAST
 *   3.1.col.uid.fam.proto linubiaUserDetailEntry, col = 3..6, fam 1..2, proto 1..4
 */
#ifndef LNB_VIEW_H
#define LNB_VIEW_H

#include <stddef.h>
#include <stdint.h>

#define LNB_BRANCH_SCALARS	1
#define LNB_BRANCH_USERS	2
#define LNB_BRANCH_DETAIL	3

enum lnb_scalar {
	LNB_SCALAR_USERS = 1,
	LNB_SCALAR_MAX_USERS,
	LNB_SCALAR_BACKEND,
	LNB_SCALAR_BACKEND_STATUS,
	LNB_SCALAR_TABLE_FULL_PKTS,
	LNB_SCALAR_TABLE_FULL_OCTETS,
	LNB_SCALAR_COUNT_LOOPBACK,
	LNB_SCALAR_MAX_DELEGATED,
	LNB_SCALAR_DELEGATED_USERS,
	LNB_SCALAR_DELEGATED_OVER_BOUND,
	LNB_SCALAR_LAST = LNB_SCALAR_DELEGATED_OVER_BOUND
};

#define LNB_DETAIL_FAMILIES	2
#define LNB_DETAIL_PROTOS	4
#define LNB_MAX_SUBIDS		7	/* longest instance: 3.1.col.uid.fam.proto */

/* The rows of a snapshot: count UIDs in strictly increasing order. */
struct lnb_rows {
	size_t count;
	uint32_t (*uid_at)(const void *ctx, size_t i);
	const void *ctx;
};

/* One object instance. */
struct lnb_inst {
	unsigned int branch;	/* LNB_BRANCH_* */
	unsigned int column;	/* scalar number or table column */
	uint32_t uid;
	unsigned int family, proto;	/* detail table only (MIB numbering) */
	size_t row;		/* index in lnb_rows, tables only */
};

/* Sub-identifier as received, masked to 32 bits (5.9.3 sign extension). */
static inline uint32_t lnb_subid(uint64_t v)
{
	return (uint32_t)(v & 0xffffffffu);
}

/* First row whose UID is >= uid (count if none). */
size_t lnb_rows_lower_bound(const struct lnb_rows *rows, uint64_t uid);

enum lnb_match {
	LNB_NO_OBJECT,		/* no such object in the MIB */
	LNB_NO_INSTANCE,	/* a known column, but no such row (or bad index) */
	LNB_INSTANCE,		/* inst filled in */
};
/* Exact lookup of oid (relative to linubiaObjects). For LNB_NO_INSTANCE,
 * inst->branch/column still name the object. */
enum lnb_match lnb_lookup(const uint64_t *oid, size_t len, const struct lnb_rows *rows,
			  struct lnb_inst *inst);
/* The first instance after oid; 1 if found, 0 at the end of the MIB. */
int lnb_next(const uint64_t *oid, size_t len, const struct lnb_rows *rows,
	     struct lnb_inst *inst);
/* inst's OID relative to linubiaObjects; returns its length. */
size_t lnb_inst_oid(const struct lnb_inst *inst, uint32_t out[LNB_MAX_SUBIDS]);

/* Counter64 halves. */
static inline uint32_t lnb_c64_high(uint64_t v) { return (uint32_t)(v >> 32); }
static inline uint32_t lnb_c64_low(uint64_t v) { return (uint32_t)v; }

/*
 * The wall-clock time (CLOCK_REALTIME ns) at which sysUpTime was 0, from a
 * reading of both (now_ns, uptime_cs).  Readings disagree by up to a tick
 * (sysUpTime is truncated to centiseconds), which would make an untouched
 * row's DiscontinuityTime jitter: the previous epoch is kept while a new
 * reading agrees with it within LNB_EPOCH_SLACK_NS; a master restart or a
 * clock step moves it.  prev_epoch_ns 0 = none yet.
 */
#define LNB_EPOCH_SLACK_NS 1000000000ull
uint64_t lnb_uptime_epoch(uint64_t prev_epoch_ns, uint64_t now_ns, uint32_t uptime_cs);

/*
 * linubiaUserDiscontinuityTime in TimeTicks: the sysUpTime at which a
 * record was last made or reset (event_ns, CLOCK_REALTIME; 0 = never) for
 * the given epoch; 0 if the event happened before sysUpTime started (or
 * never).  An event stamped after now_ns (clock step) counts as now.
 */
uint32_t lnb_discontinuity_ticks(uint64_t event_ns, uint64_t epoch_ns, uint64_t now_ns);

#endif
