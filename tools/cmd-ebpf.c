// SPDX-License-Identifier: GPL-2.0-only
/*
 * `linubia ebpf load [--max-users N] [--max-delegated N] | unload | status`: start and stop the
 * eBPF backend on hosts that cannot load the module.  Once loaded, every
 * other command reads it through liblinubia like the module.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "linubia-bpf.h"

static int ebpf_fail(int err, const struct linubia_bpf_error *e)
{
	fprintf(stderr, "linubia: ebpf: %s\n", e->text);
	if (err == -EPERM || err == -EACCES)
		return CLI_EXIT_PERMISSION;
	return CLI_EXIT_FAILURE;
}

static int ebpf_load(int argc, char **argv)
{
	struct linubia_bpf_load_opts opts = { 0 };
	struct linubia_bpf_error e = { "" };
	int err;

	for (int i = 1; i < argc; i += 2) {
		if (i + 1 < argc && !strcmp(argv[i], "--max-users")) {
			err = cli_parse_count("ebpf load --max-users", argv[i + 1], &opts.max_users);
			if (err)
				return err;
			if (!opts.max_users)
				return cli_usage_error("ebpf load --max-users 0: give a number > 0");
		} else if (i + 1 < argc && !strcmp(argv[i], "--max-delegated")) {
			err = cli_parse_count("ebpf load --max-delegated", argv[i + 1],
					      &opts.max_delegated);
			if (err)
				return err;
			opts.max_delegated_set = true;
		} else {
			return cli_usage_error("usage: linubia ebpf load [--max-users N] "
					       "[--max-delegated N]");
		}
	}
	err = linubia_bpf_load(&opts, &e);
	return err ? ebpf_fail(err, &e) : CLI_EXIT_OK;
}

static int ebpf_status(void)
{
	struct linubia_bpf_error e = { "" };
	struct linubia_bpf_status st;
	int err;

	err = linubia_bpf_status(&st, &e);
	if (err)
		return ebpf_fail(err, &e);
	printf("loaded          %s\n", st.loaded ? "yes" : "no");
	printf("pins            %s\n", st.pin_dir);
	printf("cgroup          %s\n", st.cgroup);
	if (st.loaded) {
		printf("ingress         link %u prog %u\n", st.link_id[LINUBIA_DIR_IN],
		       st.prog_id[LINUBIA_DIR_IN]);
		printf("egress          link %u prog %u\n", st.link_id[LINUBIA_DIR_OUT],
		       st.prog_id[LINUBIA_DIR_OUT]);
		printf("variant         %s\n", st.variant);
		printf("users           %u\n", st.users);
		printf("max_users       %u\n", st.max_users);
		printf("delegated_users %u\n", st.delegated_users);
		printf("max_delegated   %u\n", st.max_delegated);
		printf("fast slots      %u of %u in use\n", st.slots_used, st.slots);
		printf("count_loopback  %s\n", st.count_loopback ? "on" : "off");
	}
	/* Scripts ask "is it loaded?" by the exit status, as for show. */
	return st.loaded ? CLI_EXIT_OK : CLI_EXIT_NOBACKEND;
}

int cmd_ebpf(int argc, char **argv)
{
	struct linubia_bpf_error e = { "" };
	int err;

	if (argc >= 2 && !strcmp(argv[1], "load"))
		return ebpf_load(argc - 1, argv + 1);
	if (argc == 2 && !strcmp(argv[1], "unload")) {
		err = linubia_bpf_unload(&e);
		return err ? ebpf_fail(err, &e) : CLI_EXIT_OK;
	}
	if (argc == 2 && !strcmp(argv[1], "status"))
		return ebpf_status();
	return cli_usage_error("usage: linubia ebpf load [--max-users N] [--max-delegated N] | "
			       "unload | status");
}
