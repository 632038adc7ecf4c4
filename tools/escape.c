// SPDX-License-Identifier: GPL-2.0-only
/*
 * String escaping for JSON and CSV.  User names come from NSS and may hold
 * any bytes: JSON gets valid UTF-8 (bad bytes become U+FFFD), quotes,
 * backslashes and control characters escaped.
 */
#include <stddef.h>

#include "cli.h"
#include "utf8.h"

void json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	while (*p) {
		size_t len = utf8_sequence(p);

		if (len == 0) {
			fputs("\\ufffd", out);
			p++;
		} else if (*p == '"' || *p == '\\') {
			fputc('\\', out);
			fputc(*p++, out);
		} else if (*p < 0x20 || *p == 0x7F) {
			fprintf(out, "\\u%04x", *p++);
		} else {
			fwrite(p, 1, len, out);
			p += len;
		}
	}
	fputc('"', out);
}

void csv_field(FILE *out, const char *s)
{
	bool quote = false;

	for (const char *p = s; *p; p++)
		if (*p == ',' || *p == '"' || *p == '\n' || *p == '\r')
			quote = true;
	if (!quote) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			fputc('"', out);
		fputc(*p, out);
	}
	fputc('"', out);
}
