// SPDX-License-Identifier: GPL-2.0-only
/*
 * Machine output of records and stats: the JSON objects of
 * docs/cli-json.md and the CSV rows, with every counter of the UAPI list
 * under its UAPI name.  Written with unlocked stdio: 100k records are
 * 3.5 million numbers.
 */
#include "cli.h"

/* The per-direction totals JSON adds next to the raw counters. */
static const char *const json_totals[] = {
	"in_bytes", "in_packets", "out_bytes", "out_packets",
};
#define JSON_NTOTALS (sizeof(json_totals) / sizeof(json_totals[0]))
static const struct linubia_sum *total_sums[JSON_NTOTALS];

void out_u64(FILE *out, uint64_t v)
{
	char digits[20];
	size_t n = sizeof(digits);

	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fwrite_unlocked(digits + n, 1, sizeof(digits) - n, out);
}

void out_str(FILE *out, const char *s)
{
	fputs_unlocked(s, out);
}

/* ,"key":value (sep is "" for the first member). */
static void json_member(FILE *out, const char *sep, const char *key, uint64_t v)
{
	out_str(out, sep);
	fputc_unlocked('"', out);
	out_str(out, key);
	out_str(out, "\":");
	out_u64(out, v);
}

void json_record(FILE *out, const struct linubia_record *r, const char *user,
		 const char *by_user)
{
	out_str(out, "{\"uid\":");
	out_u64(out, r->uid);
	out_str(out, ",\"user\":");
	if (user)
		json_string(out, user);
	else
		out_str(out, "null");
	out_str(out, r->uid == LINUBIA_UID_UNATTRIBUTED ? ",\"unattributed\":true"
							: ",\"unattributed\":false");
	out_str(out, ",\"delegated_by\":");
	if (r->delegated_by == LINUBIA_NOT_DELEGATED) {
		out_str(out, "null,\"delegated_by_user\":null");
	} else {
		out_u64(out, r->delegated_by);
		out_str(out, ",\"delegated_by_user\":");
		if (by_user)
			json_string(out, by_user);
		else
			out_str(out, "null");
	}
	json_member(out, ",", "first_seen_ns", r->first_seen_ns);
	json_member(out, ",", "last_reset_ns", r->last_reset_ns);
	out_str(out, ",\"totals\":{");
	for (size_t i = 0; i < JSON_NTOTALS; i++) {
		if (!total_sums[i])	/* looked up once: the search is linear */
			total_sums[i] = linubia_sum_by_name(json_totals[i]);
		json_member(out, i ? "," : "", json_totals[i],
			    linubia_sum_value(total_sums[i], r->counters));
	}
	out_str(out, "},\"counters\":{");
	for (unsigned int c = 0; c < LINUBIA_COUNTER_COUNT; c++)
		json_member(out, c ? "," : "", linubia_counter_name(c), r->counters[c]);
	out_str(out, "}}");
}

void json_stats_fields(FILE *out, const struct linubia_stats *stats)
{
	json_member(out, "", "users", stats->users);
	json_member(out, ",", "max_users", stats->max_users);
	json_member(out, ",", "delegated_users", stats->delegated_users);
	json_member(out, ",", "max_delegated", stats->max_delegated);
	for (unsigned int s = 0; s < LINUBIA_STAT_COUNT; s++)
		json_member(out, ",", linubia_stat_name(s), stats->values[s]);
}

void csv_header(FILE *out)
{
	out_str(out, "uid,user,first_seen_ns,last_reset_ns");
	for (unsigned int c = 0; c < LINUBIA_COUNTER_COUNT; c++) {
		fputc_unlocked(',', out);
		out_str(out, linubia_counter_name(c));
	}
	out_str(out, ",delegated_by\n");
}

void csv_record(FILE *out, const struct linubia_record *r, const char *user)
{
	out_u64(out, r->uid);
	fputc_unlocked(',', out);
	csv_field(out, user ? user : "");
	fputc_unlocked(',', out);
	out_u64(out, r->first_seen_ns);
	fputc_unlocked(',', out);
	out_u64(out, r->last_reset_ns);
	for (unsigned int c = 0; c < LINUBIA_COUNTER_COUNT; c++) {
		fputc_unlocked(',', out);
		out_u64(out, r->counters[c]);
	}
	fputc_unlocked(',', out);
	if (r->delegated_by != LINUBIA_NOT_DELEGATED)
		out_u64(out, r->delegated_by);
	fputc_unlocked('\n', out);
}

const char *cli_delegated_by(struct linubia_names *names, const struct linubia_record *r,
			     bool numeric, char buf[LINUBIA_UID_STRLEN])
{
	if (r->delegated_by == LINUBIA_NOT_DELEGATED)
		return NULL;
	if (numeric) {
		snprintf(buf, LINUBIA_UID_STRLEN, "%u", r->delegated_by);
		return buf;
	}
	return linubia_names_display(names, r->delegated_by, buf);
}
