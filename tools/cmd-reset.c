// SPDX-License-Identifier: GPL-2.0-only
/*
 * `linubia reset --uid N | --user NAME | --all [-y]`: zero counters.  One
 * UID prints what the reset took off (the kernel returns exactly that);
 * --all asks first unless -y, and refuses without a terminal to ask on.
 */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct reset_opts {
	bool one_uid;
	uint32_t uid;
	bool all;
	bool yes;
	bool raw;
	bool json;
};

static int reset_parse(int argc, char **argv, struct reset_opts *o)
{
	static const struct option longopts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "uid", required_argument, NULL, 'U' },
		{ "all", no_argument, NULL, 'a' },
		{ "yes", no_argument, NULL, 'y' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, err;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "u:U:aybj", longopts, NULL)) != -1) {
		switch (opt) {
		case 'u':
		case 'U':
			err = cli_user_option(opt, optarg, &o->uid);
			if (err)
				return err;
			o->one_uid = true;
			break;
		case 'a':
			o->all = true;
			break;
		case 'y':
			o->yes = true;
			break;
		case 'b':
			o->raw = true;
			break;
		case 'j':
			o->json = true;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error("reset: unexpected argument '%s'", argv[optind]);
	if (o->one_uid == o->all)
		return cli_usage_error("reset: give exactly one of --uid N, --user NAME, --all");
	return 0;
}

/* Ask on the terminal; false if the answer is not yes or nobody can answer. */
static bool reset_confirmed(void)
{
	char answer[16];

	if (!isatty(STDIN_FILENO))
		return false;
	fprintf(stderr, "Reset the counters of ALL users? [y/N] ");
	if (!fgets(answer, sizeof(answer), stdin))
		return false;
	return answer[0] == 'y' || answer[0] == 'Y';
}

static int reset_all(struct linubia *h, const struct reset_opts *o)
{
	int err;

	if (!o->yes && !reset_confirmed()) {
		fprintf(stderr, "linubia: reset all: not confirmed%s (nothing was reset)\n",
			isatty(STDIN_FILENO) ? "" : ": stdin is not a terminal, add -y");
		return CLI_EXIT_USAGE;
	}
	err = linubia_reset_all(h);
	if (err)
		return cli_fail(h, err, "reset all");
	if (!o->json)
		printf("reset all users\n");
	return CLI_EXIT_OK;
}

static int reset_one(struct linubia *h, const struct reset_opts *o)
{
	const struct linubia_sum *in = linubia_sum_by_name("in_bytes");
	const struct linubia_sum *out = linubia_sum_by_name("out_bytes");
	struct linubia_names *names = linubia_names_new();
	char ubuf[LINUBIA_UID_STRLEN], a[CLI_NUM_LEN], b[CLI_NUM_LEN];
	struct linubia_record cleared;
	int err;

	err = linubia_reset_user(h, o->uid, &cleared);
	if (err) {
		linubia_names_free(names);
		return cli_fail(h, err, "reset uid %" PRIu32, o->uid);
	}
	if (o->json) {
		json_record(stdout, &cleared, linubia_names_get(names, cleared.uid),
			    cleared.delegated_by == LINUBIA_NOT_DELEGATED ? NULL :
			    linubia_names_get(names, cleared.delegated_by));
		putchar('\n');
	} else {
		printf("reset uid %" PRIu32 " (%s): took off %s in, %s out\n", cleared.uid,
		       linubia_names_display(names, cleared.uid, ubuf),
		       cli_bytes(a, linubia_sum_value(in, cleared.counters), o->raw),
		       cli_bytes(b, linubia_sum_value(out, cleared.counters), o->raw));
	}
	linubia_names_free(names);
	return CLI_EXIT_OK;
}

int cmd_reset(int argc, char **argv)
{
	struct reset_opts o;
	struct linubia *h;
	int ret;

	ret = reset_parse(argc, argv, &o);
	if (ret)
		return ret;
	ret = cli_open(&h);
	if (ret)
		return ret;
	ret = o.all ? reset_all(h, &o) : reset_one(h, &o);
	linubia_close(h);
	if (fflush(stdout))
		ret = CLI_EXIT_FAILURE;
	return ret;
}
