// SPDX-License-Identifier: GPL-2.0-only
/*
 * linubia: per-user IP traffic accounting, the admin's view.
 * `linubia [show]`, `top`, `reset`, `stats`, `config`; see linubia(1).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef LINUBIA_VERSION
#define LINUBIA_VERSION "0.1"
#endif

static const char usage_text[] =
"usage: linubia [show] [--user NAME | --uid N] [--sort KEY] [--bytes] [--numeric]\n"
"                      [--json | --csv | --format FORMAT]\n"
"       linubia top [--interval SECONDS] [--iterations N] [--bytes] [--numeric]\n"
"       linubia reset --user NAME | --uid N | --all [-y] [--bytes] [--json]\n"
"       linubia stats [--json]\n"
"       linubia config [count_loopback=on|off | max_delegated=N | read_gid=N|none]\n"
"       linubia ebpf load [--max-users N] [--max-delegated N] | unload | status\n"
"       linubia --help | --version\n"
"\n"
"Per-user IP traffic: bytes and packets in and out, per IPv4/IPv6 and\n"
"TCP/UDP/ICMP/other, counted by the linubia kernel module.\n"
"\n"
"  show     table of users, most traffic first (KiB/MiB/GiB; --bytes: raw);\n"
"           --sort uid|user|SUM (bytes, in_bytes, out_tcp_packets, ...);\n"
"           --json / --csv: every raw counter (docs/cli-json.md), UID order\n"
"           unless --sort; --numeric: no user name lookups;\n"
"           --format table|json|csv|prometheus|openmetrics (--prometheus,\n"
"           --openmetrics): metrics for Prometheus (docs/prometheus.md)\n"
"  top      live rates per user, refreshed every second; q or Ctrl-C quits;\n"
"           one line per active user and interval when not on a terminal\n"
"  reset    zero one user's counters (prints what was taken off) or all\n"
"           (asks unless -y); needs CAP_NET_ADMIN\n"
"  stats    global counters, the bound on records of delegated UIDs\n"
"           (user namespaces, subordinate UIDs) and the users at it\n"
"  config   show or change settings (changing needs CAP_NET_ADMIN);\n"
"           max_delegated=N: records one user's delegated UIDs may make;\n"
"           read_gid=N|none: the module's read group, whose members see\n"
"           every record but may not reset or configure (not with eBPF)\n"
"  ebpf     load, unload or show the eBPF backend (hosts without the module; root)\n"
"\n"
"Without CAP_NET_ADMIN the kernel shows you only your own record.\n"
"\n"
"Exit status: 0 ok, 1 other failure, 2 usage error or --all not confirmed,\n"
"3 no backend loaded, 4 permission denied, 5 no such user or record.\n";

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "show", cmd_show },
	{ "top", cmd_top },
	{ "reset", cmd_reset },
	{ "stats", cmd_stats },
	{ "config", cmd_config },
	{ "ebpf", cmd_ebpf },
};

int main(int argc, char **argv)
{
	static char show_name[] = "show";

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
			  !strcmp(argv[1], "help"))) {
		fputs(usage_text, stdout);
		return CLI_EXIT_OK;
	}
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
		printf("linubia %s\n", LINUBIA_VERSION);
		return CLI_EXIT_OK;
	}
	/* No command, or options first: show. */
	if (argc < 2 || argv[1][0] == '-') {
		argv[0] = show_name;
		return cmd_show(argc, argv);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	return cli_usage_error("unknown command '%s'", argv[1]);
}
