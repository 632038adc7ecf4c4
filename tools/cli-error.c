// SPDX-License-Identifier: GPL-2.0-only
/*
 * Error messages and exit codes: "linubia: <what failed>: <why> (<what to
 * do>)", where the library supplies "<why> (<what to do>)".
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "cli.h"

static int cli_exit_code(int err)
{
	switch (-err) {
	case LINUBIA_ENOBACKEND:
		return CLI_EXIT_NOBACKEND;
	case EPERM:
	case EACCES:
		return CLI_EXIT_PERMISSION;
	case ENOENT:
		return CLI_EXIT_NORECORD;
	default:
		return CLI_EXIT_FAILURE;
	}
}

int cli_fail(struct linubia *h, int err, const char *what_fmt, ...)
{
	const char *detail = linubia_error_detail(h);
	va_list ap;

	fputs("linubia: ", stderr);
	va_start(ap, what_fmt);
	vfprintf(stderr, what_fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", linubia_strerror(err));
	/* What the parser or the kernel said, when it adds something. */
	if (detail[0] && (err == -LINUBIA_EBADREPLY || err == -LINUBIA_EVERSION ||
			  cli_exit_code(err) == CLI_EXIT_FAILURE))
		fprintf(stderr, "linubia: detail: %s\n", detail);
	return cli_exit_code(err);
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("linubia: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see linubia --help)\n", stderr);
	return CLI_EXIT_USAGE;
}

int cli_open(struct linubia **h)
{
	int err = linubia_open(h, NULL);

	if (err)
		return cli_fail(NULL, err, "connect to the accounting backend");
	return 0;
}
