// SPDX-License-Identifier: GPL-2.0-only
/* --uid N and --user NAME (and other 32-bit numbers) on the command line. */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* A decimal 0 .. UINT32_MAX, nothing else (no sign, no spaces, no suffix). */
static int parse_u32(const char *text, uint32_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (text[0] < '0' || text[0] > '9')
		return -1;
	v = strtoull(text, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int cli_parse_uid(const char *text, uint32_t *uid)
{
	if (!parse_u32(text, uid))
		return 0;
	return cli_usage_error("--uid %s: not a UID: expected a number from 0 to 4294967295",
			       text);
}

int cli_parse_count(const char *option, const char *text, uint32_t *count)
{
	if (!parse_u32(text, count))
		return 0;
	return cli_usage_error("%s %s: not a number: expected a number from 0 to 4294967295",
			       option, text);
}

int cli_user_uid(const char *name, uint32_t *uid)
{
	struct passwd pw, *found = NULL;
	long size = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t len = size > 0 ? (size_t)size : 1024;
	char *buf;
	int err;

	for (;;) {
		buf = malloc(len);
		if (!buf) {
			fprintf(stderr, "linubia: look up user %s: out of memory\n", name);
			return CLI_EXIT_FAILURE;
		}
		err = getpwnam_r(name, &pw, buf, len, &found);
		if (err != ERANGE || len >= (1u << 20))
			break;
		free(buf);
		len *= 2;
	}
	if (found)
		*uid = pw.pw_uid;
	free(buf);
	if (found)
		return 0;
	fprintf(stderr, "linubia: --user %s: no such user%s%s (check the name, or use --uid)\n",
		name, err ? ": " : "", err ? strerror(err) : "");
	return CLI_EXIT_NORECORD;
}

int cli_user_option(int opt, const char *arg, uint32_t *uid)
{
	return opt == 'u' ? cli_user_uid(arg, uid) : cli_parse_uid(arg, uid);
}
