// SPDX-License-Identifier: GPL-2.0-only
/*
 * Numbers for people: binary units for bytes (KiB, MiB, ...), decimal
 * prefixes for packet rates; or the raw number for --bytes.
 */
#include <inttypes.h>
#include <math.h>

#include "cli.h"

/* value scaled by base until its one-decimal rounding stays below base. */
static const char *cli_scaled(char buf[CLI_NUM_LEN], double value, double base,
			      const char *const units[], unsigned int nunits,
			      const char *suffix)
{
	unsigned int u = 0;

	while (u + 1 < nunits && round(value * 10) / 10 >= base) {
		value /= base;
		u++;
	}
	if (u == 0)
		snprintf(buf, CLI_NUM_LEN, "%.0f%s%s", value, units[0], suffix);
	else
		snprintf(buf, CLI_NUM_LEN, "%.1f%s%s", value, units[u], suffix);
	return buf;
}

static const char *const cli_byte_units[] = {
	" B", " KiB", " MiB", " GiB", " TiB", " PiB", " EiB",
};

static const char *const cli_count_units[] = { "", "k", "M", "G", "T", "P", "E" };

const char *cli_bytes(char buf[CLI_NUM_LEN], uint64_t bytes, bool raw)
{
	if (raw) {
		snprintf(buf, CLI_NUM_LEN, "%" PRIu64, bytes);
		return buf;
	}
	return cli_scaled(buf, (double)bytes, 1024, cli_byte_units, 7, "");
}

const char *cli_byte_rate(char buf[CLI_NUM_LEN], double per_second, bool raw)
{
	if (raw) {
		snprintf(buf, CLI_NUM_LEN, "%.0f", per_second);
		return buf;
	}
	return cli_scaled(buf, per_second, 1024, cli_byte_units, 7, "/s");
}

const char *cli_count_rate(char buf[CLI_NUM_LEN], double per_second, bool raw)
{
	if (raw) {
		snprintf(buf, CLI_NUM_LEN, "%.0f", per_second);
		return buf;
	}
	return cli_scaled(buf, per_second, 1000, cli_count_units, 7, "/s");
}
