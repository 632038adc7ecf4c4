// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The derived sums (totals per direction, family, protocol, ...), built once
 * from the UAPI dimension lists: one generic rule, no hand-written fields.
 * Exported as an iterable table so that other views (CLI columns, SNMP MIB
 * columns) map onto named sums and can test that mapping.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define LNB_ALL(count) ((1u << (count)) - 1)
#define LNB_SUM_COUNT							\
	(LINUBIA_UNIT_COUNT + LINUBIA_DIR_COUNT * LINUBIA_UNIT_COUNT *		\
	 (1 + LINUBIA_FAMILY_COUNT + LINUBIA_PROTO_COUNT +			\
	  LINUBIA_FAMILY_COUNT * LINUBIA_PROTO_COUNT))

/* Each counter's coordinates, from the UAPI list. */
struct lnb_coord {
	unsigned int dir, family, proto, unit;
};

#define LNB_COORD(E, name, d, f, p, u)					\
	{ LINUBIA_DIR_##d, LINUBIA_FAMILY_##f, LINUBIA_PROTO_##p, LINUBIA_UNIT_##u },
static const struct lnb_coord lnb_coords[] = { LINUBIA_COUNTERS(LNB_COORD) };

static struct linubia_sum lnb_sums[LNB_SUM_COUNT];
static char lnb_sum_names[LNB_SUM_COUNT][64];
static size_t lnb_nsums;
static pthread_once_t lnb_sums_once = PTHREAD_ONCE_INIT;

/* Append "_name" for a dimension restricted to exactly one value. */
static void lnb_name_part(char *buf, size_t size, unsigned int mask,
			  unsigned int all, const char *(*name)(unsigned int))
{
	size_t len = strlen(buf);

	if (mask == all || __builtin_popcount(mask) != 1)
		return;
	snprintf(buf + len, size - len, "%s%s", len ? "_" : "",
		 name((unsigned int)__builtin_ctz(mask)));
}

static void lnb_add_sum(unsigned int dirs, unsigned int families,
			unsigned int protos, unsigned int unit)
{
	struct linubia_sum *sum = &lnb_sums[lnb_nsums];
	char *name = lnb_sum_names[lnb_nsums];
	size_t size = sizeof(lnb_sum_names[0]), len;

	name[0] = '\0';
	lnb_name_part(name, size, dirs, LNB_ALL(LINUBIA_DIR_COUNT), linubia_dir_name);
	lnb_name_part(name, size, families, LNB_ALL(LINUBIA_FAMILY_COUNT),
		      linubia_family_name);
	lnb_name_part(name, size, protos, LNB_ALL(LINUBIA_PROTO_COUNT),
		      linubia_proto_name);
	len = strlen(name);
	snprintf(name + len, size - len, "%s%s", len ? "_" : "", linubia_unit_name(unit));

	sum->name = name;
	sum->dir_mask = dirs;
	sum->family_mask = families;
	sum->proto_mask = protos;
	sum->unit = unit;
	sum->counter_mask = 0;
	for (unsigned int c = 0; c < LINUBIA_COUNTER_COUNT; c++) {
		const struct lnb_coord *k = &lnb_coords[c];

		if ((dirs >> k->dir & 1) && (families >> k->family & 1) &&
		    (protos >> k->proto & 1) && k->unit == unit)
			sum->counter_mask |= UINT64_C(1) << c;
	}
	lnb_nsums++;
}

static void lnb_build_sums(void)
{
	const unsigned int all_f = LNB_ALL(LINUBIA_FAMILY_COUNT);
	const unsigned int all_p = LNB_ALL(LINUBIA_PROTO_COUNT);

	for (unsigned int u = 0; u < LINUBIA_UNIT_COUNT; u++)
		lnb_add_sum(LNB_ALL(LINUBIA_DIR_COUNT), all_f, all_p, u);
	for (unsigned int d = 0; d < LINUBIA_DIR_COUNT; d++) {
		for (unsigned int u = 0; u < LINUBIA_UNIT_COUNT; u++)
			lnb_add_sum(1u << d, all_f, all_p, u);
		for (unsigned int f = 0; f < LINUBIA_FAMILY_COUNT; f++)
			for (unsigned int u = 0; u < LINUBIA_UNIT_COUNT; u++)
				lnb_add_sum(1u << d, 1u << f, all_p, u);
		for (unsigned int p = 0; p < LINUBIA_PROTO_COUNT; p++)
			for (unsigned int u = 0; u < LINUBIA_UNIT_COUNT; u++)
				lnb_add_sum(1u << d, all_f, 1u << p, u);
		for (unsigned int f = 0; f < LINUBIA_FAMILY_COUNT; f++)
			for (unsigned int p = 0; p < LINUBIA_PROTO_COUNT; p++)
				for (unsigned int u = 0; u < LINUBIA_UNIT_COUNT; u++)
					lnb_add_sum(1u << d, 1u << f, 1u << p, u);
	}
}

static void lnb_sums_ready(void)
{
	pthread_once(&lnb_sums_once, lnb_build_sums);
}

size_t linubia_sum_count(void)
{
	lnb_sums_ready();
	return lnb_nsums;
}

const struct linubia_sum *linubia_sum_at(size_t i)
{
	lnb_sums_ready();
	return i < lnb_nsums ? &lnb_sums[i] : NULL;
}

const struct linubia_sum *linubia_sum_by_name(const char *name)
{
	lnb_sums_ready();
	for (size_t i = 0; name && i < lnb_nsums; i++)
		if (!strcmp(lnb_sums[i].name, name))
			return &lnb_sums[i];
	return NULL;
}

uint64_t linubia_sum_value(const struct linubia_sum *sum,
			   const uint64_t counters[LINUBIA_COUNTER_COUNT])
{
	uint64_t total = 0;

	for (uint64_t todo = sum ? sum->counter_mask : 0; todo; todo &= todo - 1)
		total += counters[__builtin_ctzll(todo)];
	return total;
}
