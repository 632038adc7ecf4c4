// SPDX-License-Identifier: GPL-2.0-only
/*
 * `linubia stats` (global counters, from the UAPI stat list) and
 * `linubia config [count_loopback=on|off]`.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

int cmd_stats(int argc, char **argv)
{
	bool json = argc == 2 && !strcmp(argv[1], "--json");
	struct linubia_stats stats;
	struct linubia *h;
	int ret, err;

	if (argc > 2 || (argc == 2 && !json))
		return cli_usage_error("stats: unexpected argument '%s'", argv[argc - 1]);
	ret = cli_open(&h);
	if (ret)
		return ret;
	err = linubia_get_stats(h, &stats);
	if (err) {
		ret = cli_fail(h, err, "read the statistics");
	} else if (json) {
		putchar('{');
		json_stats_fields(stdout, &stats);
		puts("}");
	} else {
		printf("%-24s %" PRIu32 "\n", "users", stats.users);
		printf("%-24s %" PRIu32 "\n", "max_users", stats.max_users);
		for (unsigned int s = 0; s < LINUBIA_STAT_COUNT; s++)
			printf("%-24s %" PRIu64 "\n", linubia_stat_name(s), stats.values[s]);
	}
	linubia_close(h);
	return ret;
}

/* count_loopback=on|off|1|0 -> 1 or 0; -1 if not a setting we know. */
static int config_parse(const char *setting)
{
	if (!strcmp(setting, "count_loopback=on") || !strcmp(setting, "count_loopback=1"))
		return 1;
	if (!strcmp(setting, "count_loopback=off") || !strcmp(setting, "count_loopback=0"))
		return 0;
	return -1;
}

int cmd_config(int argc, char **argv)
{
	struct linubia_config config;
	struct linubia *h;
	int ret, err;
	int on = argc == 2 ? config_parse(argv[1]) : -1;

	if (argc > 2)
		return cli_usage_error("config: one setting at a time");
	if (argc == 2 && on < 0)
		return cli_usage_error("config: unknown setting '%s': expected count_loopback=on|off",
				       argv[1]);
	ret = cli_open(&h);
	if (ret)
		return ret;
	if (argc == 2) {
		err = linubia_set_count_loopback(h, on == 1);
		if (err)
			ret = cli_fail(h, err, "set %s", argv[1]);
	} else {
		err = linubia_get_config(h, &config);
		if (err) {
			ret = cli_fail(h, err, "read the configuration");
		} else {
			printf("count_loopback=%s\n", config.count_loopback ? "on" : "off");
			printf("max_users=%" PRIu32 "\n", config.max_users);
		}
	}
	linubia_close(h);
	return ret;
}
