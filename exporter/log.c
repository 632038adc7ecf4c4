// SPDX-License-Identifier: GPL-2.0-only
/* Log lines: one write per line, so lines from two threads never mix. */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"

static void log_line(const char *level, const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "linubia-exporter: %s", level), m;

	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	n += m < 0 ? 0 : m;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;	/* cut, keep the newline */
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("", fmt, ap);
	va_end(ap);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("error: ", fmt, ap);
	va_end(ap);
}
