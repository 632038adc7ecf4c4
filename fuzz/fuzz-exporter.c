// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for linubia-exporter's parsers of untrusted text: the
 * Accept and Accept-Encoding header values (from any HTTP client), the
 * basic-auth file and --web.listen-address (from the admin), and the label
 * escaping of user names (from NSS).  The first byte picks the parser; the
 * rest is its input.  Nothing may crash, read out of bounds or leak.
 */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "format-openmetrics.h"
#include "listen.h"
#include "negotiate.h"

static const char *fuzz_name(void *ctx, uint32_t uid, char buf[LINUBIA_UID_STRLEN])
{
	(void)uid;
	(void)buf;
	return ctx;
}

static void fuzz_writer(const char *name)
{
	struct linubia_record r = { .uid = 7 };
	struct linubia_stats st = { .users = 1 };
	struct om_source src = { .single = &r, .stats = &st, .backend = name, .up = true,
				 .user_name = fuzz_name, .user_ctx = (void *)name };
	char buf[113];

	for (int f = OM_TEXT; f <= OM_OPENMETRICS; f++) {
		struct om_writer *w = om_writer_new((enum om_format)f, &src);

		if (!w)
			continue;
		while (om_writer_read(w, buf, sizeof(buf)) > 0)
			;
		om_writer_free(w);
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char err[AUTH_ERR_LEN > LISTEN_ERR_LEN ? AUTH_ERR_LEN : LISTEN_ERR_LEN];
	char host[64], port[8], *text;
	struct auth *a = NULL;

	if (size < 1)
		return 0;
	text = malloc(size);	/* the rest, NUL-terminated */
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0:
		(void)negotiate_format(text);
		break;
	case 1:
		(void)negotiate_gzip(text);
		break;
	case 2:	/* not NUL-terminated: the parser gets a length */
		if (auth_parse((const char *)data + 1, size - 1, &a, err) == 0) {
			(void)auth_check(a, "", "");	/* no such user: no hashing */
			auth_free(a);
		}
		break;
	case 3:
		(void)listen_split(text, host, sizeof(host), port, sizeof(port), err);
		break;
	default:
		fuzz_writer(text);
		break;
	}
	free(text);
	return 0;
}
