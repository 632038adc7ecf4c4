// SPDX-License-Identifier: GPL-2.0-only
/*
 * Accept and Accept-Encoding (RFC 9110 12.5.1 and 12.5.3): comma-separated
 * elements "token[/token] *(; name=value)", q-values 0 to 1 with up to three
 * decimals.  The parser only scans the given string: no copies, no limits
 * to overflow; anything malformed counts as not acceptable (q = 0).
 */
#include <string.h>
#include <strings.h>

#include "negotiate.h"

#define Q_MAX 1000	/* q-values in thousandths */

struct span {
	const char *p;
	size_t len;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static struct span trim(const char *p, const char *end)
{
	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	return (struct span){ p, (size_t)(end - p) };
}

static bool span_is(struct span s, const char *word)
{
	return s.len == strlen(word) && !strncasecmp(s.p, word, s.len);
}

/* "0", "0.5", "1.000": thousandths, or -1 if not a q-value. */
static int parse_q(struct span s)
{
	int q, scale = 100;
	size_t i = 2;

	if (s.len == 0 || (s.p[0] != '0' && s.p[0] != '1'))
		return -1;
	q = (s.p[0] - '0') * Q_MAX;
	if (s.len == 1)
		return q;
	if (s.p[1] != '.' || s.len > 5)
		return -1;
	for (; i < s.len; i++, scale /= 10) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		q += (s.p[i] - '0') * scale;
	}
	return q > Q_MAX ? -1 : q;
}

/* A parameter value without its optional quotes. */
static struct span unquote(struct span v)
{
	if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"')
		return (struct span){ v.p + 1, v.len - 2 };
	return v;
}

/* One element of a list: its first part (media range or coding), the
 * version parameter (len 0 if none), and its q-value (1000 if none, -1 if
 * malformed). */
struct element {
	struct span name;
	struct span version;
	int q;
};

static struct element parse_element(const char *p, const char *end)
{
	const char *semi = memchr(p, ';', (size_t)(end - p));
	struct element e = { trim(p, semi ? semi : end), { NULL, 0 }, Q_MAX };

	while (semi) {
		const char *next, *eq;
		struct span key, value;

		p = semi + 1;
		next = memchr(p, ';', (size_t)(end - p));
		eq = memchr(p, '=', (size_t)((next ? next : end) - p));
		if (!eq) {
			e.q = -1;	/* a parameter without a value */
			return e;
		}
		key = trim(p, eq);
		value = unquote(trim(eq + 1, next ? next : end));
		if (span_is(key, "q"))
			e.q = parse_q(value);
		else if (span_is(key, "version"))
			e.version = value;
		semi = next;
	}
	return e;
}

/* Call fn for every element of a comma-separated list. */
static void each_element(const char *list, void (*fn)(const struct element *, void *),
			 void *ctx)
{
	const char *p = list, *end = list + strlen(list);

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		struct element e = parse_element(p, comma ? comma : end);

		if (e.name.len)
			fn(&e, ctx);
		p = comma ? comma + 1 : end;
	}
}

struct format_q {
	int openmetrics, text;
};

static void max_q(int *best, int q)
{
	if (q > *best)
		*best = q;
}

static void rate_format(const struct element *e, void *ctx)
{
	struct format_q *f = ctx;
	struct span v = e->version;

	if (e->q <= 0)
		return;
	if (span_is(e->name, "application/openmetrics-text")) {
		if (v.len == 0 || span_is(v, "1.0.0") || span_is(v, "0.0.1"))
			max_q(&f->openmetrics, e->q);
	} else if (span_is(e->name, "text/plain")) {
		if (v.len == 0 || span_is(v, "0.0.4"))
			max_q(&f->text, e->q);
	} else if (span_is(e->name, "*/*") || span_is(e->name, "text/*")) {
		max_q(&f->text, e->q);
	}
}

enum om_format negotiate_format(const char *accept)
{
	struct format_q f = { 0, 0 };

	if (!accept)
		return OM_TEXT;
	each_element(accept, rate_format, &f);
	return f.openmetrics > f.text ? OM_OPENMETRICS : OM_TEXT;
}

struct gzip_q {
	int gzip, star;		/* -1: not listed */
};

static void rate_coding(const struct element *e, void *ctx)
{
	struct gzip_q *g = ctx;
	int q = e->q < 0 ? 0 : e->q;

	if (span_is(e->name, "gzip") || span_is(e->name, "x-gzip"))
		max_q(&g->gzip, q);
	else if (span_is(e->name, "*"))
		max_q(&g->star, q);
}

bool negotiate_gzip(const char *accept_encoding)
{
	struct gzip_q g = { -1, -1 };

	if (!accept_encoding)
		return false;
	each_element(accept_encoding, rate_coding, &g);
	return g.gzip >= 0 ? g.gzip > 0 : g.star > 0;
}
