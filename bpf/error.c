// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Error messages of the eBPF backend: "<what failed>: <why> (<what to do>)".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int lnb_fail(struct linubia_bpf_error *err, int errnum, const char *what,
	     const char *todo)
{
	if (errnum < 0)
		errnum = -errnum;
	if (err)
		snprintf(err->text, sizeof(err->text), "%s: %s (%s)", what,
			 strerror(errnum), todo);
	return -errnum;
}

int lnb_failf(struct linubia_bpf_error *err, int errnum, const char *todo,
	      const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return lnb_fail(err, errnum, what, todo);
}

/* The pins are root-only (0700); say so before anything fails obscurely. */
int lnb_need_root(struct linubia_bpf_error *err, const char *what)
{
	if (geteuid() == 0)
		return 0;
	if (err)
		snprintf(err->text, sizeof(err->text),
			 "%s: permission denied: only root may %s the eBPF backend (run it as root)",
			 what, what);
	return -EPERM;
}
