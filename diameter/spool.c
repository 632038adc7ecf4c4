// SPDX-License-Identifier: GPL-2.0-only
/*
 * The spool journal: encoding, a parser that trusts nothing it reads
 * (fuzzed: fuzz/fuzz-diameter-spool.c), and the file operations.  Format in
 * spool.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spool.h"

#define LNB_ENTRY_MAX (64 * 1024)

uint32_t lnb_crc32(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;

	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

void lnb_session_free(struct lnb_session *s)
{
	if (!s)
		return;
	free(s->sid);
	free(s->user);
	free(s);
}

void lnb_rec_free(struct lnb_rec *r)
{
	if (!r)
		return;
	free(r->sid);
	free(r->user);
	free(r);
}

/* Encoding ------------------------------------------------------------- */

void lnb_buf_free(struct lnb_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void lnb_put_raw(struct lnb_buf *b, const void *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *q;

		while (cap < b->len + n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q) {
			b->oom = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void lnb_put_u8(struct lnb_buf *b, uint8_t v)
{
	lnb_put_raw(b, &v, 1);
}

static void lnb_put_le(struct lnb_buf *b, uint64_t v, int bytes)
{
	uint8_t x[8];

	for (int i = 0; i < bytes; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	lnb_put_raw(b, x, (size_t)bytes);
}

static void lnb_put_str(struct lnb_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (n > LNB_STR_MAX) {	/* callers never make one: refuse, do not cut */
		b->oom = 1;
		return;
	}
	lnb_put_le(b, n, 2);
	lnb_put_raw(b, s, n);
}

/* Header placeholder, then the payload, then the header filled in. */
static size_t lnb_entry_begin(struct lnb_buf *b, uint8_t kind)
{
	size_t at = b->len;

	lnb_put_le(b, 0, 4);
	lnb_put_le(b, 0, 4);
	lnb_put_u8(b, kind);
	return at;
}

static void lnb_entry_end(struct lnb_buf *b, size_t at)
{
	size_t n;
	uint32_t crc;

	if (b->oom)
		return;
	n = b->len - at - 8;
	crc = lnb_crc32(b->p + at + 8, n);
	for (int i = 0; i < 4; i++) {
		b->p[at + i] = (uint8_t)(n >> (8 * i));
		b->p[at + 4 + i] = (uint8_t)(crc >> (8 * i));
	}
}

void lnb_enc_session(struct lnb_buf *b, const struct lnb_session *s)
{
	size_t at = lnb_entry_begin(b, LNB_E_SESSION);

	lnb_put_le(b, s->uid, 4);
	lnb_put_u8(b, (uint8_t)!!s->closed);
	lnb_put_le(b, s->next_recno, 4);
	lnb_put_le(b, s->interval, 4);
	lnb_put_le(b, s->first_seen_ns, 8);
	lnb_put_le(b, s->last_reset_ns, 8);
	for (int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		lnb_put_le(b, s->base[i], 8);
	for (int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		lnb_put_le(b, s->last[i], 8);
	lnb_put_str(b, s->sid);
	lnb_put_str(b, s->user);
	lnb_entry_end(b, at);
}

void lnb_enc_record(struct lnb_buf *b, const struct lnb_rec *r)
{
	size_t at = lnb_entry_begin(b, LNB_E_RECORD);

	lnb_put_le(b, r->seq, 8);
	lnb_put_le(b, r->uid, 4);
	lnb_put_le(b, r->type, 4);
	lnb_put_le(b, r->recno, 4);
	lnb_put_le(b, r->eteid, 4);
	lnb_put_le(b, r->event_time, 8);
	lnb_put_le(b, r->interval, 4);
	for (int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		lnb_put_le(b, r->counters[i], 8);
	lnb_put_str(b, r->sid);
	lnb_put_str(b, r->user);
	lnb_entry_end(b, at);
}

void lnb_enc_done(struct lnb_buf *b, uint64_t seq, int reason)
{
	size_t at = lnb_entry_begin(b, LNB_E_DONE);

	lnb_put_le(b, seq, 8);
	lnb_put_u8(b, (uint8_t)reason);
	lnb_entry_end(b, at);
}

/* Decoding ------------------------------------------------------------- */

struct lnb_rd {
	const uint8_t *p;
	size_t len, off;
	int bad;
};

static uint64_t lnb_get_le(struct lnb_rd *r, int bytes)
{
	uint64_t v = 0;

	if (r->bad || r->len - r->off < (size_t)bytes) {
		r->bad = 1;
		return 0;
	}
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)r->p[r->off + i] << (8 * i);
	r->off += (size_t)bytes;
	return v;
}

/* A string: no NUL inside, at most LNB_STR_MAX, non-empty. */
static char *lnb_get_str(struct lnb_rd *r)
{
	size_t n = (size_t)lnb_get_le(r, 2);
	char *s;

	if (r->bad || n == 0 || n > LNB_STR_MAX || r->len - r->off < n ||
	    memchr(r->p + r->off, '\0', n)) {
		r->bad = 1;
		return NULL;
	}
	s = malloc(n + 1);
	if (!s)
		return NULL;
	memcpy(s, r->p + r->off, n);
	s[n] = '\0';
	r->off += n;
	return s;
}

static int lnb_valid_type(uint64_t t)
{
	return t == LNB_START || t == LNB_INTERIM || t == LNB_STOP;
}

/* 0 ok, 1 malformed payload, -ENOMEM, or the sink's value. */
static int lnb_parse_payload(const uint8_t *p, size_t n, struct lnb_spool_sink *sink)
{
	struct lnb_rd rd = { p, n, 1, 0 };
	struct lnb_session *s;
	struct lnb_rec *r;
	uint64_t seq;
	int reason;

	switch (p[0]) {
	case LNB_E_SESSION:
		s = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		s->uid = (uint32_t)lnb_get_le(&rd, 4);
		s->closed = (int)lnb_get_le(&rd, 1);
		s->next_recno = (uint32_t)lnb_get_le(&rd, 4);
		s->interval = (uint32_t)lnb_get_le(&rd, 4);
		s->first_seen_ns = lnb_get_le(&rd, 8);
		s->last_reset_ns = lnb_get_le(&rd, 8);
		for (int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
			s->base[i] = lnb_get_le(&rd, 8);
		for (int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
			s->last[i] = lnb_get_le(&rd, 8);
		s->sid = lnb_get_str(&rd);
		s->user = lnb_get_str(&rd);
		if (!rd.bad && (!s->sid || !s->user)) {
			lnb_session_free(s);
			return -ENOMEM;
		}
		if (rd.bad || rd.off != n || s->closed > 1 || s->interval == 0) {
			lnb_session_free(s);
			return 1;
		}
		return sink->session(sink, s);
	case LNB_E_RECORD:
		r = calloc(1, sizeof(*r));
		if (!r)
			return -ENOMEM;
		r->seq = lnb_get_le(&rd, 8);
		r->uid = (uint32_t)lnb_get_le(&rd, 4);
		r->type = (uint32_t)lnb_get_le(&rd, 4);
		r->recno = (uint32_t)lnb_get_le(&rd, 4);
		r->eteid = (uint32_t)lnb_get_le(&rd, 4);
		r->event_time = lnb_get_le(&rd, 8);
		r->interval = (uint32_t)lnb_get_le(&rd, 4);
		for (int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
			r->counters[i] = lnb_get_le(&rd, 8);
		r->sid = lnb_get_str(&rd);
		r->user = lnb_get_str(&rd);
		if (!rd.bad && (!r->sid || !r->user)) {
			lnb_rec_free(r);
			return -ENOMEM;
		}
		if (rd.bad || rd.off != n || !lnb_valid_type(r->type) || r->interval == 0) {
			lnb_rec_free(r);
			return 1;
		}
		return sink->record(sink, r);
	case LNB_E_DONE:
		seq = lnb_get_le(&rd, 8);
		reason = (int)lnb_get_le(&rd, 1);
		if (rd.bad || rd.off != n || reason < LNB_DONE_ANSWERED || reason > LNB_DONE_DROPPED)
			return 1;
		return sink->done(sink, seq, reason);
	default:
		return 1;
	}
}

int lnb_spool_parse(const uint8_t *buf, size_t len, struct lnb_spool_sink *sink, size_t *good)
{
	size_t off = LNB_SPOOL_MAGIC_LEN;

	*good = 0;
	if (len < LNB_SPOOL_MAGIC_LEN || memcmp(buf, LNB_SPOOL_MAGIC, LNB_SPOOL_MAGIC_LEN))
		return -1;
	*good = off;
	while (off < len) {
		size_t n, rest = len - off;
		uint32_t crc;
		int err;

		if (rest < 8)
			return 1;
		n = (size_t)buf[off] | (size_t)buf[off + 1] << 8 | (size_t)buf[off + 2] << 16 |
		    (size_t)buf[off + 3] << 24;
		crc = (uint32_t)buf[off + 4] | (uint32_t)buf[off + 5] << 8 |
		      (uint32_t)buf[off + 6] << 16 | (uint32_t)buf[off + 7] << 24;
		if (n == 0 || n > LNB_ENTRY_MAX)
			return 2;
		if (rest - 8 < n)
			return 1;	/* the entry runs past the end: torn */
#ifndef LNB_FUZZING	/* the fuzzer could never get past a checksum */
		if (lnb_crc32(buf + off + 8, n) != crc)
			return off + 8 + n == len ? 1 : 2;
#else
		(void)crc;
#endif
		err = lnb_parse_payload(buf + off + 8, n, sink);
		if (err == 1)
			return 2;
		if (err)
			return err;
		off += 8 + n;
		*good = off;
	}
	return 0;
}

/* Files ---------------------------------------------------------------- */

static int lnb_read_all(int fd, struct lnb_buf *b)
{
	for (;;) {
		uint8_t chunk[65536];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		lnb_put_raw(b, chunk, (size_t)n);
		if (b->oom)
			return -ENOMEM;
	}
}

static int lnb_write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int lnb_spool_open(struct lnb_spool *sp, const char *dir, struct lnb_spool_sink *sink,
		   char *msg, size_t msgsize)
{
	struct lnb_buf b = { 0 };
	size_t good = 0;
	int err, rc;

	memset(sp, 0, sizeof(*sp));
	sp->dirfd = sp->fd = -1;
	msg[0] = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		err = -errno;
		snprintf(msg, msgsize, "cannot create spool directory %s: %s", dir, strerror(-err));
		return err;
	}
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0) {
		err = -errno;
		snprintf(msg, msgsize, "cannot open spool directory %s: %s", dir, strerror(-err));
		return err;
	}
	sp->fd = openat(sp->dirfd, "journal", O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (sp->fd < 0) {
		err = -errno;
		snprintf(msg, msgsize, "cannot open %s/journal: %s", dir, strerror(-err));
		goto fail;
	}
	err = lnb_read_all(sp->fd, &b);
	if (err) {
		snprintf(msg, msgsize, "cannot read %s/journal: %s", dir, strerror(-err));
		goto fail;
	}
	if (b.len == 0) {	/* new spool */
		lnb_put_raw(&b, LNB_SPOOL_MAGIC, LNB_SPOOL_MAGIC_LEN);
		err = b.oom ? -ENOMEM : lnb_write_all(sp->fd, b.p, b.len);
		if (!err && fsync(sp->fd) < 0)
			err = -errno;
		if (err) {
			snprintf(msg, msgsize, "cannot write %s/journal: %s", dir, strerror(-err));
			goto fail;
		}
		sp->bytes = b.len;
		lnb_buf_free(&b);
		return 0;
	}
	rc = lnb_spool_parse(b.p, b.len, sink, &good);
	if (rc < 0) {
		err = rc == -1 ? -EINVAL : rc;
		snprintf(msg, msgsize, rc == -1 ? "%s/journal is not a linubia-diameter spool "
			 "(move it away or choose another spool_dir)" : "cannot load %s/journal",
			 dir);
		goto fail;
	}
	if (rc == 2) {
		/* Keep the damaged file for the operator; the load continues
		 * with what came before the damage. */
		char name[64];
		int keep;

		snprintf(name, sizeof(name), "journal.damaged.%lld", (long long)time(NULL));
		keep = openat(sp->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (keep < 0 || lnb_write_all(keep, b.p, b.len) < 0 || fsync(keep) < 0) {
			err = -errno;
			if (keep >= 0)
				close(keep);
			snprintf(msg, msgsize, "%s/journal is damaged at byte %zu and could not "
				 "be saved as %s: %s", dir, good, name, strerror(-err));
			goto fail;
		}
		close(keep);
		snprintf(msg, msgsize, "%s/journal is damaged at byte %zu of %zu: loaded what "
			 "came before, the whole file is kept as %s", dir, good, b.len, name);
	} else if (rc == 1) {
		snprintf(msg, msgsize, "%s/journal ended in a torn entry (%zu bytes, from a "
			 "crash during a write): ignored", dir, b.len - good);
	}
	sp->bytes = b.len;
	if (good != b.len) {
		if (ftruncate(sp->fd, (off_t)good) < 0) {
			err = -errno;
			snprintf(msg, msgsize, "cannot cut %s/journal: %s", dir, strerror(-err));
			goto fail;
		}
		sp->bytes = good;
	}
	lnb_buf_free(&b);
	return 0;
fail:
	lnb_buf_free(&b);
	lnb_spool_close(sp);
	return err;
}

int lnb_spool_append(struct lnb_spool *sp, const struct lnb_buf *b, int sync)
{
	int err;

	if (b->oom)
		return -ENOMEM;
	err = lnb_write_all(sp->fd, b->p, b->len);
	if (!err && sync && fdatasync(sp->fd) < 0)
		err = -errno;
	if (err) {
		/* Nothing half-written may stay: a later entry after it would
		 * look like damage in the middle. */
		if (ftruncate(sp->fd, (off_t)sp->bytes) < 0)
			return err;
		return err;
	}
	sp->bytes += b->len;
	return 0;
}

void lnb_spool_batch_begin(struct lnb_spool_batch *w, struct lnb_spool *sp)
{
	memset(w, 0, sizeof(*w));
	w->sp = sp;
	w->start = sp->bytes;
}

static void lnb_spool_batch_write(struct lnb_spool_batch *w)
{
	if (w->err)
		w->buf.len = 0;	/* the batch failed: what is still encoded is dropped */
	if (w->err || !w->buf.len)
		return;
	if (w->buf.oom) {
		w->err = -ENOMEM;
		return;
	}
	w->err = lnb_write_all(w->sp->fd, w->buf.p, w->buf.len);
	if (!w->err)
		w->sp->bytes += w->buf.len;
	w->buf.len = 0;		/* the capacity is kept for the next part */
}

void lnb_spool_batch_flush(struct lnb_spool_batch *w)
{
	if (w->buf.len >= LNB_SPOOL_PART || w->buf.oom)
		lnb_spool_batch_write(w);
}

int lnb_spool_batch_end(struct lnb_spool_batch *w)
{
	lnb_spool_batch_write(w);
	if (!w->err && w->sp->bytes != w->start && fdatasync(w->sp->fd) < 0)
		w->err = -errno;
	if (w->err) {
		/* as lnb_spool_append: nothing of a failed batch may stay; the
		 * batch's error is the one to report, not the cut's */
		(void)!ftruncate(w->sp->fd, (off_t)w->start);
		w->sp->bytes = w->start;
	}
	lnb_buf_free(&w->buf);
	return w->err;
}

int lnb_spool_replace(struct lnb_spool *sp, const struct lnb_buf *image)
{
	int fd, err;

	if (image->oom)
		return -ENOMEM;
	fd = openat(sp->dirfd, "journal.new", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		    0600);
	if (fd < 0)
		return -errno;
	err = lnb_write_all(fd, image->p, image->len);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (!err && renameat(sp->dirfd, "journal.new", sp->dirfd, "journal") < 0)
		err = -errno;
	if (!err && fsync(sp->dirfd) < 0)
		err = -errno;
	if (err) {
		close(fd);
		unlinkat(sp->dirfd, "journal.new", 0);
		return err;
	}
	close(sp->fd);
	sp->fd = fd;
	sp->bytes = image->len;
	return 0;
}

void lnb_spool_close(struct lnb_spool *sp)
{
	if (sp->fd >= 0)
		close(sp->fd);
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	sp->fd = sp->dirfd = -1;
}
