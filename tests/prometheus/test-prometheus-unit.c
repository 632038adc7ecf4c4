// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pure pieces of the Prometheus output: the exposition writer (against
 * golden files, escaping, _created, any read size), content negotiation,
 * the basic-auth file and --web.listen-address.
 */
#include <crypt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "format-openmetrics.h"
#include "listen.h"
#include "negotiate.h"

#ifndef GOLDEN_DIR
#error "GOLDEN_DIR: the folder of the golden files"
#endif

/* Writer ------------------------------------------------------------------ */

static const char *fixed_name(void *ctx, uint32_t uid, char buf[LINUBIA_UID_STRLEN])
{
	(void)buf;
	(void)uid;
	return ctx;
}

/* One record with counter i = 1000 + i (the last one 2^64 - 1), known stats. */
static void fixture(struct linubia_record *r, struct linubia_stats *st)
{
	memset(r, 0, sizeof(*r));
	r->uid = 1000;
	r->first_seen_ns = UINT64_C(1795990724834646170);
	for (unsigned int c = 0; c < LINUBIA_COUNTER_COUNT; c++)
		r->counters[c] = 1000 + c;
	r->counters[LINUBIA_COUNTER_COUNT - 1] = UINT64_MAX;
	memset(st, 0, sizeof(*st));
	st->users = 3;
	st->max_users = 114912;
	for (unsigned int s = 0; s < LINUBIA_STAT_COUNT; s++)
		st->values[s] = 10 * (s + 1);
}

/* The whole exposition, read len bytes at a time. */
static char *expose(enum om_format f, const struct om_source *src, size_t len)
{
	struct om_writer *w = om_writer_new(f, src);
	char *text = NULL, *buf = malloc(len);
	size_t total = 0;
	ssize_t n;

	assert_non_null(w);
	assert_non_null(buf);
	while ((n = om_writer_read(w, buf, len)) > 0) {
		text = realloc(text, total + (size_t)n + 1);
		assert_non_null(text);
		memcpy(text + total, buf, (size_t)n);
		total += (size_t)n;
	}
	assert_int_equal(n, 0);
	assert_int_equal(om_writer_read(w, buf, len), 0);	/* stays at the end */
	om_writer_free(w);
	free(buf);
	if (!text)
		text = calloc(1, 1);
	text[total] = '\0';
	return text;
}

static char *read_golden(const char *name)
{
	char path[512], *text;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	text = malloc((size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	text[len] = '\0';
	fclose(f);
	return text;
}

static void expect_golden(const char *got, const char *golden)
{
	char *want = read_golden(golden);

	if (strcmp(got, want)) {
		size_t i = 0;

		while (got[i] && got[i] == want[i])
			i++;
		fail_msg("%s differs at byte %zu: got \"%.80s\", expected \"%.80s\"", golden, i,
			 got + i, want + i);
	}
	free(want);
}

static void writer_matches_golden_files(void **state)
{
	struct linubia_record r;
	struct linubia_stats st;
	struct om_source src = { .single = &r, .stats = &st, .backend = "kmod",
				 .all_users = true, .up = true, .user_name = fixed_name,
				 .user_ctx = "alice" };
	char *text;

	(void)state;
	fixture(&r, &st);
	text = expose(OM_TEXT, &src, 65536);
	expect_golden(text, "golden-text.prom");
	free(text);
	text = expose(OM_OPENMETRICS, &src, 65536);
	expect_golden(text, "golden-openmetrics.txt");
	free(text);
}

static void writer_any_read_size(void **state)
{
	struct linubia_record r;
	struct linubia_stats st;
	struct om_source src = { .single = &r, .stats = &st, .backend = "ebpf", .up = true,
				 .user_name = fixed_name, .user_ctx = "bob" };
	static const size_t sizes[] = { 1, 2, 3, 7, 64, 100, 4095 };
	char *whole;

	(void)state;
	fixture(&r, &st);
	for (int f = OM_TEXT; f <= OM_OPENMETRICS; f++) {
		whole = expose((enum om_format)f, &src, 1 << 20);
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			char *part = expose((enum om_format)f, &src, sizes[i]);

			assert_string_equal(part, whole);
			free(part);
		}
		free(whole);
	}
}

static void expect_user_label(const char *name, const char *want)
{
	struct linubia_record r;
	struct linubia_stats st;
	struct om_source src = { .single = &r, .stats = &st, .backend = "kmod", .up = true,
				 .user_name = fixed_name, .user_ctx = (void *)name };
	char *text, label[256];

	fixture(&r, &st);
	text = expose(OM_TEXT, &src, 4096);
	snprintf(label, sizeof(label), "{uid=\"1000\",user=\"%s\",direction=\"in\"", want);
	if (!strstr(text, label))
		fail_msg("user name \"%s\": no %s in the output", name, label);
	free(text);
}

static void writer_escapes_label_values(void **state)
{
	(void)state;
	expect_user_label("alice", "alice");
	expect_user_label("a\"b\\c", "a\\\"b\\\\c");
	expect_user_label("two\nlines", "two\\nlines");
	expect_user_label("tab\there", "tab\there");		/* allowed as is */
	expect_user_label("j\xc3\xa9r\xc3\xb4me", "j\xc3\xa9r\xc3\xb4me");
	expect_user_label("bad\xff", "bad\xef\xbf\xbd");	/* U+FFFD */
	expect_user_label("\xc0\x80", "\xef\xbf\xbd\xef\xbf\xbd");	/* overlong NUL */
	expect_user_label("", "");
}

static void writer_created_is_last_reset_or_first_seen(void **state)
{
	struct linubia_record r;
	struct linubia_stats st;
	struct om_source src = { .single = &r, .stats = &st, .backend = "kmod", .up = true,
				 .user_name = fixed_name, .user_ctx = "u" };
	char *text;

	(void)state;
	fixture(&r, &st);
	r.first_seen_ns = UINT64_C(1700000000005999999);	/* ms truncated: .005 */
	text = expose(OM_OPENMETRICS, &src, 4096);
	assert_non_null(strstr(text, "protocol=\"tcp\"} 1700000000.005\n"));
	free(text);
	r.last_reset_ns = UINT64_C(1700000123040000000);
	text = expose(OM_OPENMETRICS, &src, 4096);
	assert_non_null(strstr(text, "protocol=\"tcp\"} 1700000123.040\n"));
	assert_null(strstr(text, "1700000000.005"));
	free(text);
	text = expose(OM_TEXT, &src, 4096);
	assert_null(strstr(text, "_created"));		/* OpenMetrics only */
	free(text);
}

static void writer_down_is_only_up_zero(void **state)
{
	struct om_source src = { .up = false };
	char *text;

	(void)state;
	text = expose(OM_TEXT, &src, 64);
	assert_string_equal(text, "# HELP linubia_up 1 if the accounting backend could be read "
				  "for this exposition, 0 if not.\n# TYPE linubia_up gauge\n"
				  "linubia_up 0\n");
	free(text);
	text = expose(OM_OPENMETRICS, &src, 64);
	assert_non_null(strstr(text, "\nlinubia_up 0\n# EOF\n"));
	assert_null(strstr(text, "linubia_user"));
	free(text);
}

static void writer_scope_own(void **state)
{
	struct linubia_record r;
	struct linubia_stats st;
	struct om_source src = { .single = &r, .stats = &st, .backend = "kmod",
				 .all_users = false, .up = true, .user_name = fixed_name,
				 .user_ctx = "u" };
	char *text;

	(void)state;
	fixture(&r, &st);
	text = expose(OM_TEXT, &src, 4096);
	assert_non_null(strstr(text, "\nlinubia_backend_info{backend=\"kmod\",scope=\"own\"} 1\n"));
	free(text);
}

/* Negotiation ------------------------------------------------------------- */

static void negotiation_of_formats(void **state)
{
	static const struct {
		const char *accept;
		enum om_format want;
	} cases[] = {
		{ NULL, OM_TEXT },
		{ "", OM_TEXT },
		{ "*/*", OM_TEXT },
		/* Prometheus 2.42's scrape header */
		{ "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
		  "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", OM_OPENMETRICS },
		{ "application/openmetrics-text", OM_OPENMETRICS },
		{ "Application/OpenMetrics-Text; Version=\"1.0.0\"", OM_OPENMETRICS },
		{ "application/openmetrics-text;version=0.0.1", OM_OPENMETRICS },
		{ "application/openmetrics-text;version=2.0.0", OM_TEXT },
		{ "application/openmetrics-text;q=0", OM_TEXT },
		{ "application/openmetrics-text;q=0.4, text/plain;q=0.5", OM_TEXT },
		{ "text/plain;q=0.4 , application/openmetrics-text;q=0.5", OM_OPENMETRICS },
		{ "application/openmetrics-text, text/plain", OM_TEXT },	/* a tie: text */
		{ "application/openmetrics-text;q=1.5", OM_TEXT },	/* bad q: not acceptable */
		{ "application/openmetrics-text;q=0.0001", OM_TEXT },
		{ "application/openmetrics-text;q", OM_TEXT },
		{ "application/json", OM_TEXT },
		{ ",,;;==,", OM_TEXT },
		{ "text/html,application/xhtml+xml,*/*;q=0.8", OM_TEXT },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (negotiate_format(cases[i].accept) != cases[i].want)
			fail_msg("Accept: %s: expected %s", cases[i].accept ? cases[i].accept : "(none)",
				 cases[i].want == OM_TEXT ? "text" : "OpenMetrics");
}

static void negotiation_of_gzip(void **state)
{
	static const struct {
		const char *value;
		bool want;
	} cases[] = {
		{ NULL, false }, { "", false }, { "gzip", true }, { "GZIP", true },
		{ "x-gzip", true }, { "identity", false }, { "deflate, gzip;q=0.5", true },
		{ "gzip;q=0", false }, { "*", true }, { "*;q=0", false },
		{ "gzip;q=0, *", false },		/* gzip's own value wins */
		{ "*, gzip;q=0", false }, { "br, *;q=0.1", true }, { "gzip;q=bad", false },
		{ " gzip ; q = 1 ", true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (negotiate_gzip(cases[i].value) != cases[i].want)
			fail_msg("Accept-Encoding: %s: expected %s",
				 cases[i].value ? cases[i].value : "(none)",
				 cases[i].want ? "gzip" : "identity");
}

/* Basic auth -------------------------------------------------------------- */

static char *hash_of(const char *password, const char *setting)
{
	struct crypt_data data;
	char *h;

	memset(&data, 0, sizeof(data));
	assert_non_null(setting);
	h = crypt_r(password, setting, &data);
	assert_non_null(h);
	assert_true(h[0] == '$');
	return strdup(h);
}

static void auth_file_accepts_hashes(void **state)
{
	char *sha = hash_of("s3cret", "$6$lnbsaltsalt$");
	static const char random_bytes[16] = "lnb-fixed-salt!";
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	char *yes = hash_of("other pass", crypt_gensalt_rn("$y$", 0, random_bytes,
							    sizeof(random_bytes), setting,
							    sizeof(setting)));
	char text[1024], err[AUTH_ERR_LEN];
	struct auth *a = NULL;

	(void)state;
	snprintf(text, sizeof(text), "# prometheus users\n\nprom:%s\r\nbackup:%s", sha, yes);
	assert_int_equal(auth_parse(text, strlen(text), &a, err), 0);
	assert_int_equal(auth_users(a), 2);
	assert_true(auth_check(a, "prom", "s3cret"));
	assert_true(auth_check(a, "prom", "s3cret"));		/* the cached path */
	assert_false(auth_check(a, "prom", "s3cret "));
	assert_false(auth_check(a, "prom", "s3cre"));
	assert_false(auth_check(a, "prom", ""));
	assert_false(auth_check(a, "backup", "s3cret"));
	assert_true(auth_check(a, "backup", "other pass"));
	assert_false(auth_check(a, "nobody", "s3cret"));
	assert_false(auth_check(a, "", ""));
	auth_free(a);
	free(sha);
	free(yes);
}

static void expect_auth_error(const char *text, const char *want)
{
	char err[AUTH_ERR_LEN];
	struct auth *a = NULL;

	if (auth_parse(text, strlen(text), &a, err) == 0)
		fail_msg("auth file \"%s\" was accepted", text);
	if (!strstr(err, want))
		fail_msg("auth file \"%s\": error \"%s\" lacks \"%s\"", text, err, want);
}

static void auth_file_refuses_bad_lines(void **state)
{
	char *sha = hash_of("x", "$6$lnbsaltsalt$"), text[512];

	(void)state;
	expect_auth_error("", "no user:hash line");
	expect_auth_error("# only a comment\n", "no user:hash line");
	expect_auth_error("prom:plaintext\n", "line 1: the password of prom is not a crypt(3) hash");
	expect_auth_error("#\nprom:abDES0123456\n", "line 2:");		/* DES: legacy */
	expect_auth_error("prom\n", "line 1: expected user:hash");
	expect_auth_error(":$6$x$y\n", "line 1: expected user:hash");
	snprintf(text, sizeof(text), "prom:%s\nprom:%s\n", sha, sha);
	expect_auth_error(text, "line 2: user prom listed twice");
	free(sha);
}

/* Listen addresses -------------------------------------------------------- */

static void listen_addresses(void **state)
{
	char host[64], port[8], err[LISTEN_ERR_LEN];

	(void)state;
	assert_int_equal(listen_split(":10771", host, sizeof(host), port, sizeof(port), err), 0);
	assert_string_equal(host, "");
	assert_string_equal(port, "10771");
	assert_int_equal(listen_split("127.0.0.1:9", host, sizeof(host), port, sizeof(port), err), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(listen_split("[::1]:80", host, sizeof(host), port, sizeof(port), err), 0);
	assert_string_equal(host, "::1");
	assert_string_equal(port, "80");
	assert_int_equal(listen_split("localhost:1", host, sizeof(host), port, sizeof(port), err), 0);
	assert_string_equal(host, "localhost");
	assert_int_equal(listen_split("10771", host, sizeof(host), port, sizeof(port), err), -1);
	assert_int_equal(listen_split("::1:80", host, sizeof(host), port, sizeof(port), err), -1);
	assert_int_equal(listen_split("[::1]80", host, sizeof(host), port, sizeof(port), err), -1);
	assert_int_equal(listen_split("host:", host, sizeof(host), port, sizeof(port), err), -1);
	assert_int_equal(listen_split("host:http", host, sizeof(host), port, sizeof(port), err), -1);
	assert_int_equal(listen_split("h:123456789", host, sizeof(host), port, sizeof(port), err), -1);
	assert_int_equal(listen_split("h:65536", host, sizeof(host), port, sizeof(port), err), -1);
	assert_int_equal(listen_split("h:65535", host, sizeof(host), port, sizeof(port), err), 0);
	assert_int_equal(listen_open("127.0.0.1:99999", err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writer_matches_golden_files),
		cmocka_unit_test(writer_any_read_size),
		cmocka_unit_test(writer_escapes_label_values),
		cmocka_unit_test(writer_created_is_last_reset_or_first_seen),
		cmocka_unit_test(writer_down_is_only_up_zero),
		cmocka_unit_test(writer_scope_own),
		cmocka_unit_test(negotiation_of_formats),
		cmocka_unit_test(negotiation_of_gzip),
		cmocka_unit_test(auth_file_accepts_hashes),
		cmocka_unit_test(auth_file_refuses_bad_lines),
		cmocka_unit_test(listen_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
