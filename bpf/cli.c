// SPDX-License-Identifier: GPL-2.0-only
/*
 * linubia-bpf: the command-line front end of the eBPF backend, for tests and
 * `make run` until the linubia CLI drives the backend through liblinubia.
 * `show` prints the same table as the module's /proc/linubia.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linubia-bpf.h"

#define LNB_COUNTER_NAME(E, name, d, f, p, u) name,
static const char *const counter_names[] = { LINUBIA_COUNTERS(LNB_COUNTER_NAME) };
#define LNB_STAT_NAME(E, name) name,
static const char *const stat_names[] = { LINUBIA_STATS(LNB_STAT_NAME) };

_Static_assert(sizeof(counter_names) / sizeof(counter_names[0]) == LINUBIA_COUNTER_COUNT,
	       "one name per counter");

static const char usage[] =
	"usage: linubia-bpf load [--max-users N] [--max-delegated N]   attach and pin (root)\n"
	"       linubia-bpf unload                 detach, remove the pins (root)\n"
	"       linubia-bpf status\n"
	"       linubia-bpf show                   every record, as /proc/linubia\n"
	"       linubia-bpf stats\n"
	"       linubia-bpf reset UID|--all        prints what a UID's reset took off\n"
	"       linubia-bpf config [count_loopback=on|off | max_delegated=N]\n";

static int fail(const struct linubia_bpf_error *err)
{
	fprintf(stderr, "linubia-bpf: %s\n", err->text);
	return 1;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > UINT32_MAX || s[0] == '-')
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static void print_header(void)
{
	printf("uid first_seen_ns last_reset_ns");
	for (int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		printf(" %s", counter_names[i]);
	putchar('\n');
}

static void print_record(const struct linubia_bpf_record *r)
{
	printf("%" PRIu32 " %" PRIu64 " %" PRIu64, r->uid, r->first_seen_ns, r->last_reset_ns);
	for (int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		printf(" %" PRIu64, r->counters[i]);
	putchar('\n');
}

static int cmd_load(int argc, char **argv)
{
	struct linubia_bpf_load_opts opts = { 0 };
	struct linubia_bpf_error err;

	for (int i = 0; i < argc; i += 2) {
		if (i + 1 < argc && !strcmp(argv[i], "--max-users")) {
			if (parse_u32(argv[i + 1], &opts.max_users) || !opts.max_users) {
				fprintf(stderr, "linubia-bpf: load: bad --max-users %s "
					"(give a number > 0)\n", argv[i + 1]);
				return 2;
			}
		} else if (i + 1 < argc && !strcmp(argv[i], "--max-delegated")) {
			if (parse_u32(argv[i + 1], &opts.max_delegated)) {
				fprintf(stderr, "linubia-bpf: load: bad --max-delegated %s "
					"(give a number)\n", argv[i + 1]);
				return 2;
			}
			opts.max_delegated_set = true;
		} else {
			fputs(usage, stderr);
			return 2;
		}
	}
	return linubia_bpf_load(&opts, &err) ? fail(&err) : 0;
}

static int cmd_status(void)
{
	struct linubia_bpf_status st;
	struct linubia_bpf_error err;

	if (linubia_bpf_status(&st, &err))
		return fail(&err);
	printf("loaded %s\npins %s\ncgroup %s\n", st.loaded ? "yes" : "no", st.pin_dir, st.cgroup);
	if (!st.loaded)
		return 0;
	printf("variant %s\n", st.variant);
	printf("ingress link %u prog %u\negress link %u prog %u\n",
	       st.link_id[LINUBIA_DIR_IN], st.prog_id[LINUBIA_DIR_IN],
	       st.link_id[LINUBIA_DIR_OUT], st.prog_id[LINUBIA_DIR_OUT]);
	printf("users %u\nmax_users %u\ncount_loopback %s\n", st.users, st.max_users,
	       st.count_loopback ? "on" : "off");
	printf("delegated_users %u\nmax_delegated %u\n", st.delegated_users, st.max_delegated);
	printf("slots_used %u\nslots %u\n", st.slots_used, st.slots);
	return 0;
}

/* The commands that read or change the pinned maps. */
static int cmd_show(struct linubia_bpf *h, struct linubia_bpf_error *err)
{
	struct linubia_bpf_record *recs;
	size_t n;

	if (linubia_bpf_read_all(h, &recs, &n, err))
		return -1;
	print_header();
	for (size_t i = 0; i < n; i++)
		print_record(&recs[i]);
	free(recs);
	return 0;
}

static int cmd_stats(struct linubia_bpf *h, struct linubia_bpf_error *err)
{
	struct linubia_bpf_stats st;

	if (linubia_bpf_read_stats(h, &st, err))
		return -1;
	printf("users %u\nmax_users %u\n", st.users, st.max_users);
	printf("delegated_users %u\nmax_delegated %u\n", st.delegated_users, st.max_delegated);
	for (int i = 0; i < LINUBIA_STAT_COUNT; i++)
		printf("%s %" PRIu64 "\n", stat_names[i], st.values[i]);
	return 0;
}

static int cmd_reset(struct linubia_bpf *h, const char *arg, struct linubia_bpf_error *err)
{
	struct linubia_bpf_record cleared;
	uint32_t uid;

	if (!strcmp(arg, "--all"))
		return linubia_bpf_reset_all(h, err) ? -1 : 0;
	if (parse_u32(arg, &uid)) {
		snprintf(err->text, sizeof(err->text), "reset: bad uid %s (give a number or --all)",
			 arg);
		return -1;
	}
	if (linubia_bpf_reset_user(h, uid, &cleared, err))
		return -1;
	print_header();
	print_record(&cleared);
	return 0;
}

static int cmd_config(struct linubia_bpf *h, int argc, char **argv,
		      struct linubia_bpf_error *err)
{
	uint32_t max;
	bool on;

	if (argc == 1 && !strncmp(argv[0], "max_delegated=", 14)) {
		if (parse_u32(argv[0] + 14, &max)) {
			snprintf(err->text, sizeof(err->text),
				 "config: bad %s (give max_delegated=N, N a number)", argv[0]);
			return -1;
		}
		return linubia_bpf_set_max_delegated(h, max, err) ? -1 : 0;
	}
	if (argc == 1) {
		if (!strcmp(argv[0], "count_loopback=on"))
			on = true;
		else if (!strcmp(argv[0], "count_loopback=off"))
			on = false;
		else {
			snprintf(err->text, sizeof(err->text),
				 "config: unknown setting %s (use count_loopback=on|off or "
				 "max_delegated=N)", argv[0]);
			return -1;
		}
		return linubia_bpf_set_count_loopback(h, on, err) ? -1 : 0;
	}
	if (linubia_bpf_get_count_loopback(h, &on, err) ||
	    linubia_bpf_get_max_delegated(h, &max, err))
		return -1;
	printf("count_loopback %s\nmax_delegated %u\n", on ? "on" : "off", max);
	return 0;
}

static int with_handle(const char *cmd, int argc, char **argv)
{
	struct linubia_bpf_error err;
	struct linubia_bpf *h;
	int ret;

	if (linubia_bpf_open(&h, &err))
		return fail(&err);
	if (!strcmp(cmd, "show") && argc == 0)
		ret = cmd_show(h, &err);
	else if (!strcmp(cmd, "stats") && argc == 0)
		ret = cmd_stats(h, &err);
	else if (!strcmp(cmd, "reset") && argc == 1)
		ret = cmd_reset(h, argv[0], &err);
	else if (!strcmp(cmd, "config") && argc <= 1)
		ret = cmd_config(h, argc, argv, &err);
	else {
		linubia_bpf_close(h);
		fputs(usage, stderr);
		return 2;
	}
	linubia_bpf_close(h);
	if (fflush(stdout)) {
		perror("linubia-bpf: write output");
		return 1;
	}
	return ret ? fail(&err) : 0;
}

int main(int argc, char **argv)
{
	struct linubia_bpf_error err;

	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "load"))
		return cmd_load(argc - 2, argv + 2);
	if (!strcmp(argv[1], "unload") && argc == 2)
		return linubia_bpf_unload(&err) ? fail(&err) : 0;
	if (!strcmp(argv[1], "status") && argc == 2)
		return cmd_status();
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	return with_handle(argv[1], argc - 2, argv + 2);
}
