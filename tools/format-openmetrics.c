// SPDX-License-Identifier: GPL-2.0-only
/*
 * LINUBIA's records in the Prometheus text format and OpenMetrics, written
 * in batches (one record's lines at a time) into a pending buffer that
 * om_writer_read() drains.  Names follow the Prometheus conventions: base
 * units and _total for counters, dimensions as labels (direction, family,
 * protocol from the UAPI counter list), no sums PromQL can derive.
 *
 *   linubia_user_bytes_total{uid,user,direction,family,protocol}   counter
 *   linubia_user_packets_total{...}                                 counter
 *   linubia_records, linubia_records_limit                          gauges
 *   linubia_unattributed_packets_total{reason}, linubia_<stat>_total
 *   linubia_backend_info{backend,scope}, linubia_up
 *
 * OpenMetrics adds <name>_created per user series: the record's last reset,
 * or its creation, so a LINUBIA reset is a counter reset with a new start.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format-openmetrics.h"
#include "utf8.h"

/* Direction, family, protocol and unit of each counter, from the UAPI list. */
#define OM_DIMS(E, name, d, f, p, u) \
	{ LINUBIA_DIR_##d, LINUBIA_FAMILY_##f, LINUBIA_PROTO_##p, LINUBIA_UNIT_##u },
static const struct om_dims {
	unsigned char dir, family, proto, unit;
} om_dims[LINUBIA_COUNTER_COUNT] = { LINUBIA_COUNTERS(OM_DIMS) };

static const char *const om_unit_help[LINUBIA_UNIT_COUNT] = {
	[LINUBIA_UNIT_BYTES] = "IP-level bytes (IP header and payload, no link layer) the user's "
		"sockets received (in) and sent (out), by address family and protocol. "
		"uid 4294967295 (unattributed) is traffic no user socket owns.",
	[LINUBIA_UNIT_PACKETS] = "IP packets (wire packets: every GSO segment counts) the user's "
		"sockets received (in) and sent (out), by address family and protocol. "
		"uid 4294967295 (unattributed) is traffic no user socket owns.",
};

#define OM_UNATTR_PREFIX "unattributed_"

static const struct om_stat_help {
	const char *stat;
	const char *help;
} om_stat_help[] = {
	{ "slow_lookups", "Packets whose owning socket the backend had to look up itself "
		"(no early demux): a cost indicator." },
	{ "table_full_bytes", "IP bytes charged to the unattributed record because the "
		"record table was full (see linubia_records_limit)." },
	{ "delegated_over_bound", "Packets of delegated UIDs (rootless containers, subordinate "
		"UIDs) charged to their delegating user, who already had max_delegated such "
		"records." },
};

struct om_buf {
	char *p;
	size_t len, cap;
	bool failed;
};

enum om_stage { OM_USERS, OM_TAIL, OM_DONE };

struct om_writer {
	enum om_format format;
	struct om_source src;
	size_t nrecords;
	enum om_stage stage;
	unsigned int unit;		/* family being written in OM_USERS */
	size_t rec;			/* next record of that family */
	bool header_done;
	struct om_buf pend;		/* written, not yet read */
	size_t pend_off;
	struct om_buf labels;		/* `{uid="N",user="NAME",direction="` */
	/* `in",family="ipv4",protocol="tcp"} ` per counter */
	char *label_tail[LINUBIA_COUNTER_COUNT];
	size_t label_tail_len[LINUBIA_COUNTER_COUNT];
};

/* Output buffer ----------------------------------------------------------- */

static bool om_reserve(struct om_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (b->failed)
		return false;
	if (b->len + more <= b->cap)
		return true;
	while (cap < b->len + more)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void om_put(struct om_buf *b, const char *s, size_t n)
{
	if (!om_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void om_puts(struct om_buf *b, const char *s)
{
	om_put(b, s, strlen(s));
}

static void om_putc(struct om_buf *b, char c)
{
	om_put(b, &c, 1);
}

static void om_put_u64(struct om_buf *b, uint64_t v)
{
	char digits[20];
	size_t n = sizeof(digits);

	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	om_put(b, digits + n, sizeof(digits) - n);
}

/* ns since the epoch as seconds with milliseconds: "1795990724.834". */
static void om_put_seconds(struct om_buf *b, uint64_t ns)
{
	uint64_t ms = ns / 1000000 % 1000;
	char frac[4] = { '.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10),
			 (char)('0' + ms % 10) };

	om_put_u64(b, ns / 1000000000);
	om_put(b, frac, sizeof(frac));
}

/* A label value: valid UTF-8 (bad bytes become U+FFFD), \ " and newline
 * escaped as both formats require. */
static void om_put_label_value(struct om_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t len = utf8_sequence(p);

		if (len == 0) {
			om_puts(b, "\xEF\xBF\xBD");
			p++;
		} else if (*p == '\\' || *p == '"') {
			om_putc(b, '\\');
			om_putc(b, (char)*p++);
		} else if (*p == '\n') {
			om_puts(b, "\\n");
			p++;
		} else {
			om_put(b, (const char *)p, len);
			p += len;
		}
	}
}

/* Families ---------------------------------------------------------------- */

/* HELP/TYPE (and UNIT) of a family.  base is the OpenMetrics family name;
 * the text format names counters base_total and info metrics base_info. */
static void om_family(struct om_writer *w, const char *base, const char *type,
		      const char *unit, const char *help)
{
	struct om_buf *b = &w->pend;
	const char *suffix = "";

	if (w->format == OM_TEXT && !strcmp(type, "counter"))
		suffix = "_total";
	if (w->format == OM_TEXT && !strcmp(type, "info")) {
		suffix = "_info";
		type = "gauge";
	}
	om_puts(b, "# HELP ");
	om_puts(b, base);
	om_puts(b, suffix);
	om_putc(b, ' ');
	om_puts(b, help);
	om_puts(b, "\n# TYPE ");
	om_puts(b, base);
	om_puts(b, suffix);
	om_putc(b, ' ');
	om_puts(b, type);
	om_putc(b, '\n');
	if (w->format == OM_OPENMETRICS && unit) {
		om_puts(b, "# UNIT ");
		om_puts(b, base);
		om_putc(b, ' ');
		om_puts(b, unit);
		om_putc(b, '\n');
	}
}

/* One unlabelled sample: name value. */
static void om_sample(struct om_buf *b, const char *name, const char *suffix, uint64_t v)
{
	om_puts(b, name);
	om_puts(b, suffix);
	om_putc(b, ' ');
	om_put_u64(b, v);
	om_putc(b, '\n');
}

static const char *om_user_family(unsigned int unit)
{
	return unit == LINUBIA_UNIT_BYTES ? "linubia_user_bytes" : "linubia_user_packets";
}

static void om_record_lines(struct om_writer *w, const struct linubia_record *r)
{
	const char *family = om_user_family(w->unit);
	struct om_buf *b = &w->pend, *l = &w->labels;
	uint64_t created = r->last_reset_ns ? r->last_reset_ns : r->first_seen_ns;
	char ubuf[LINUBIA_UID_STRLEN];

	l->len = 0;
	om_puts(l, "{uid=\"");
	om_put_u64(l, r->uid);
	om_puts(l, "\",user=\"");
	om_put_label_value(l, w->src.user_name(w->src.user_ctx, r->uid, ubuf));
	om_puts(l, "\",direction=\"");
	if (l->failed) {
		b->failed = true;
		return;
	}
	for (unsigned int c = 0; c < LINUBIA_COUNTER_COUNT; c++) {
		if (om_dims[c].unit != w->unit)
			continue;
		om_puts(b, family);
		om_puts(b, "_total");
		om_put(b, l->p, l->len);
		om_put(b, w->label_tail[c], w->label_tail_len[c]);
		om_put_u64(b, r->counters[c]);
		om_putc(b, '\n');
		if (w->format != OM_OPENMETRICS)
			continue;
		om_puts(b, family);
		om_puts(b, "_created");
		om_put(b, l->p, l->len);
		om_put(b, w->label_tail[c], w->label_tail_len[c]);
		om_put_seconds(b, created);
		om_putc(b, '\n');
	}
}

/* The next batch of the user families: a header or one record. */
static void om_users_batch(struct om_writer *w)
{
	struct linubia_record r;

	if (!w->header_done) {
		om_family(w, om_user_family(w->unit), "counter",
			  w->unit == LINUBIA_UNIT_BYTES ? "bytes" : NULL, om_unit_help[w->unit]);
		w->header_done = true;
		return;
	}
	if (w->rec < w->nrecords) {
		if (w->src.single)
			r = *w->src.single;
		else if (linubia_snapshot_record(w->src.snapshot, w->rec, &r))
			memset(&r, 0, sizeof(r));	/* cannot happen: rec < count */
		om_record_lines(w, &r);
		w->rec++;
		return;
	}
	w->rec = 0;
	w->header_done = false;
	if (++w->unit == LINUBIA_UNIT_COUNT)
		w->stage = OM_TAIL;
}

static const char *om_stat_help_of(const char *stat)
{
	for (size_t i = 0; i < sizeof(om_stat_help) / sizeof(om_stat_help[0]); i++)
		if (!strcmp(om_stat_help[i].stat, stat))
			return om_stat_help[i].help;
	return "A LINUBIA statistic (LINUBIA_STATS in kmod/include/uapi/linux/linubia.h).";
}

static bool om_is_unattributed(const char *stat)
{
	return !strncmp(stat, OM_UNATTR_PREFIX, strlen(OM_UNATTR_PREFIX));
}

/* linubia_unattributed_packets_total{reason="no_socket"} ... */
static void om_unattributed(struct om_writer *w)
{
	struct om_buf *b = &w->pend;
	const char *suffix = "_total";

	om_family(w, "linubia_unattributed_packets", "counter", NULL,
		  "Packets charged to the unattributed record (uid 4294967295), by reason "
		  "(LINUBIA_STATS in kmod/include/uapi/linux/linubia.h).");
	for (unsigned int s = 0; s < LINUBIA_STAT_COUNT; s++) {
		const char *name = linubia_stat_name(s);

		if (!om_is_unattributed(name))
			continue;
		om_puts(b, "linubia_unattributed_packets");
		om_puts(b, suffix);
		om_puts(b, "{reason=\"");
		om_puts(b, name + strlen(OM_UNATTR_PREFIX));
		om_puts(b, "\"} ");
		om_put_u64(b, w->src.stats->values[s]);
		om_putc(b, '\n');
	}
}

static void om_stats(struct om_writer *w)
{
	const struct linubia_stats *st = w->src.stats;
	struct om_buf *b = &w->pend;
	bool unattributed_done = false;
	char base[64];

	om_family(w, "linubia_records", "gauge", NULL,
		  "Records in use, the unattributed one included.");
	om_sample(b, "linubia_records", "", st->users);
	om_family(w, "linubia_records_limit", "gauge", NULL,
		  "The most records the backend can hold; traffic of further users goes to the "
		  "unattributed record (reason table_full).");
	om_sample(b, "linubia_records_limit", "", st->max_users);
	for (unsigned int s = 0; s < LINUBIA_STAT_COUNT; s++) {
		const char *name = linubia_stat_name(s);
		size_t len = strlen(name);

		if (om_is_unattributed(name)) {
			if (!unattributed_done)
				om_unattributed(w);
			unattributed_done = true;
			continue;
		}
		snprintf(base, sizeof(base), "linubia_%s", name);
		om_family(w, base, "counter",
			  len > 6 && !strcmp(name + len - 6, "_bytes") ? "bytes" : NULL,
			  om_stat_help_of(name));
		om_sample(b, base, "_total", st->values[s]);
	}
}

static void om_tail(struct om_writer *w)
{
	struct om_buf *b = &w->pend;

	if (w->src.up) {
		om_stats(w);
		om_family(w, "linubia_backend", "info", NULL,
			  "The accounting backend the numbers come from (kmod: the kernel module, "
			  "ebpf: the eBPF programs); scope own: the reader may see only its own "
			  "record.");
		om_puts(b, "linubia_backend_info{backend=\"");
		om_put_label_value(b, w->src.backend);
		om_puts(b, w->src.all_users ? "\",scope=\"all\"} 1\n" : "\",scope=\"own\"} 1\n");
	}
	om_family(w, "linubia_up", "gauge", NULL,
		  "1 if the accounting backend could be read for this exposition, 0 if not.");
	om_sample(b, "linubia_up", "", w->src.up ? 1 : 0);
	if (w->format == OM_OPENMETRICS)
		om_puts(b, "# EOF\n");
	w->stage = OM_DONE;
}

/* Writer ------------------------------------------------------------------ */

struct om_writer *om_writer_new(enum om_format format, const struct om_source *src)
{
	struct om_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->format = format;
	w->src = *src;
	w->stage = src->up ? OM_USERS : OM_TAIL;
	if (src->up)
		w->nrecords = src->single ? 1 : linubia_snapshot_count(src->snapshot);
	for (unsigned int c = 0; c < LINUBIA_COUNTER_COUNT; c++) {
		struct om_buf t = { 0 };

		om_puts(&t, linubia_dir_name(om_dims[c].dir));
		om_puts(&t, "\",family=\"");
		om_puts(&t, linubia_family_name(om_dims[c].family));
		om_puts(&t, "\",protocol=\"");
		om_puts(&t, linubia_proto_name(om_dims[c].proto));
		om_puts(&t, "\"} ");
		w->label_tail[c] = t.p;
		w->label_tail_len[c] = t.len;
		if (t.failed) {
			om_writer_free(w);
			return NULL;
		}
	}
	return w;
}

void om_writer_free(struct om_writer *w)
{
	if (!w)
		return;
	for (unsigned int c = 0; c < LINUBIA_COUNTER_COUNT; c++)
		free(w->label_tail[c]);
	free(w->pend.p);
	free(w->labels.p);
	free(w);
}

ssize_t om_writer_read(struct om_writer *w, char *buf, size_t len)
{
	size_t out = 0;

	while (out < len) {
		size_t n;

		if (w->pend_off == w->pend.len) {
			w->pend.len = 0;
			w->pend_off = 0;
			if (w->stage == OM_DONE)
				break;
			if (w->stage == OM_USERS)
				om_users_batch(w);
			else
				om_tail(w);
			if (w->pend.failed)
				return -ENOMEM;
			continue;
		}
		n = w->pend.len - w->pend_off;
		if (n > len - out)
			n = len - out;
		memcpy(buf + out, w->pend.p + w->pend_off, n);
		w->pend_off += n;
		out += n;
	}
	return (ssize_t)out;
}

int om_write_file(FILE *out, enum om_format format, const struct om_source *src)
{
	struct om_writer *w = om_writer_new(format, src);
	char buf[16384];
	ssize_t n;

	if (!w)
		return -ENOMEM;
	while ((n = om_writer_read(w, buf, sizeof(buf))) > 0)
		if (fwrite_unlocked(buf, 1, (size_t)n, out) != (size_t)n)
			break;
	om_writer_free(w);
	if (n < 0)
		return (int)n;
	return ferror(out) ? -EIO : 0;
}
