// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Names of counters, stats and dimensions, expanded from the UAPI lists so
 * that nothing here restates the layout.
 */
#include "internal.h"

#define LNB_COUNTER_NAME(E, name, d, f, p, u) name,
static const char *const lnb_counter_names[] = {
	LINUBIA_COUNTERS(LNB_COUNTER_NAME)
};

/* The list's order must match LINUBIA_COUNTER(). */
#define LNB_CHECK_COUNTER(E, name, d, f, p, u)				\
	_Static_assert(LINUBIA_C_##E ==					\
		       LINUBIA_COUNTER(LINUBIA_DIR_##d, LINUBIA_FAMILY_##f,	\
				       LINUBIA_PROTO_##p, LINUBIA_UNIT_##u),	\
		       "LINUBIA_COUNTERS out of order at " name);
LINUBIA_COUNTERS(LNB_CHECK_COUNTER)
_Static_assert(LINUBIA_COUNTER_COUNT == LINUBIA_DIR_COUNT * LINUBIA_FAMILY_COUNT *
	       LINUBIA_PROTO_COUNT * LINUBIA_UNIT_COUNT, "one counter per combination");

#define LNB_STAT_NAME(E, name) name,
static const char *const lnb_stat_names[] = { LINUBIA_STATS(LNB_STAT_NAME) };

#define LNB_DIM_NAME(E, n) #n,
static const char *const lnb_dir_names[] = { LINUBIA_DIRS(LNB_DIM_NAME) };
static const char *const lnb_family_names[] = { LINUBIA_FAMILIES(LNB_DIM_NAME) };
static const char *const lnb_proto_names[] = { LINUBIA_PROTOS(LNB_DIM_NAME) };
static const char *const lnb_unit_names[] = { LINUBIA_UNITS(LNB_DIM_NAME) };

#define LNB_NAME_AT(table, i) ((i) < LNB_ARRAY_SIZE(table) ? (table)[i] : NULL)

const char *linubia_counter_name(unsigned int counter)
{
	return LNB_NAME_AT(lnb_counter_names, counter);
}

const char *linubia_stat_name(unsigned int stat)
{
	return LNB_NAME_AT(lnb_stat_names, stat);
}

const char *linubia_dir_name(unsigned int dir)
{
	return LNB_NAME_AT(lnb_dir_names, dir);
}

const char *linubia_family_name(unsigned int family)
{
	return LNB_NAME_AT(lnb_family_names, family);
}

const char *linubia_proto_name(unsigned int proto)
{
	return LNB_NAME_AT(lnb_proto_names, proto);
}

const char *linubia_unit_name(unsigned int unit)
{
	return LNB_NAME_AT(lnb_unit_names, unit);
}
