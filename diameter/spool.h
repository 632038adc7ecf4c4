/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The spool: an append-only journal in spool_dir that holds every record
 * from before it is sent until a positive ACA (RFC 6733 section 9.4), and
 * the state of every session, so that a crash, SIGKILL or reboot loses
 * nothing and continues each session where it was.
 *
 * File "journal": the 8-byte magic "LNBDSPL1", then entries
 *   u32 length, u32 CRC-32 of the payload, payload (little-endian)
 * payload: u8 kind, then
 *   SESSION  uid, closed, next_recno, interval, first_seen_ns, last_reset_ns,
 *            base[32], last[32], Session-Id, User-Name
 *   RECORD   seq, uid, type, recno, eteid, event_time, interval, counters[32],
 *            Session-Id, User-Name
 *   DONE     seq, reason (answered, superseded, dropped)
 * A torn last entry (crash during write) is ignored; a damaged one in the
 * middle stops the load there and the file is kept aside for the operator.
 * lnb_spool_compact() rewrites the live part (sessions + pending records)
 * into a new file and renames it over the journal.
 */
#ifndef LNB_DIAMETER_SPOOL_H
#define LNB_DIAMETER_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

enum lnb_entry_kind { LNB_E_SESSION = 1, LNB_E_RECORD = 2, LNB_E_DONE = 3 };
enum lnb_done_reason { LNB_DONE_ANSWERED = 1, LNB_DONE_SUPERSEDED = 2, LNB_DONE_DROPPED = 3 };

#define LNB_SPOOL_MAGIC "LNBDSPL1"
#define LNB_SPOOL_MAGIC_LEN 8
#define LNB_STR_MAX 4096	/* Session-Id and User-Name, bytes */

/* A growable byte buffer; oom is sticky. */
struct lnb_buf {
	uint8_t *p;
	size_t len, cap;
	int oom;
};

void lnb_buf_free(struct lnb_buf *b);
void lnb_put_raw(struct lnb_buf *b, const void *p, size_t n);
void lnb_enc_session(struct lnb_buf *b, const struct lnb_session *s);
void lnb_enc_record(struct lnb_buf *b, const struct lnb_rec *r);
void lnb_enc_done(struct lnb_buf *b, uint64_t seq, int reason);

/* What a parse hands over; the callee owns s and r.  Non-zero stops. */
struct lnb_spool_sink {
	int (*session)(struct lnb_spool_sink *sink, struct lnb_session *s);
	int (*record)(struct lnb_spool_sink *sink, struct lnb_rec *r);
	int (*done)(struct lnb_spool_sink *sink, uint64_t seq, int reason);
};

/*
 * Parse a journal image (magic included).  *good = bytes of whole valid
 * entries.  Returns 0 if it all parsed, 1 if it ended in a torn entry
 * (only the tail is bad), 2 if an entry in the middle is damaged, -1 if
 * the magic is wrong, -ENOMEM, or the sink's non-zero value.
 */
int lnb_spool_parse(const uint8_t *buf, size_t len, struct lnb_spool_sink *sink, size_t *good);

uint32_t lnb_crc32(const uint8_t *p, size_t n);

/* The file side. */
struct lnb_spool {
	int dirfd;
	int fd;			/* journal, opened for append */
	uint64_t bytes;		/* journal size */
};

/* Open (creating) dir and its journal; read the journal into sink.  The
 * messages say what failed; -errno. */
int lnb_spool_open(struct lnb_spool *sp, const char *dir, struct lnb_spool_sink *sink,
		   char *msg, size_t msgsize);
/* Append b in one write (+ fdatasync if sync).  On failure the journal is
 * cut back to its old size: nothing half-written remains.  -errno. */
int lnb_spool_append(struct lnb_spool *sp, const struct lnb_buf *b, int sync);
/*
 * A batch written while it is encoded, so that memory stays bounded
 * (10,000 new users' STARTs are 10 MB): encode whole entries into w->buf,
 * call lnb_spool_batch_flush() after each; it writes once a part is
 * LNB_SPOOL_PART bytes.  lnb_spool_batch_end() writes the rest, makes it
 * durable with one fdatasync and frees the buffer; on any failure the
 * journal is cut back to where the batch began.  -errno.
 */
#define LNB_SPOOL_PART (1024 * 1024)
struct lnb_spool_batch {
	struct lnb_spool *sp;
	struct lnb_buf buf;
	uint64_t start;		/* journal size before the batch */
	int err;
};
void lnb_spool_batch_begin(struct lnb_spool_batch *w, struct lnb_spool *sp);
void lnb_spool_batch_flush(struct lnb_spool_batch *w);
int lnb_spool_batch_end(struct lnb_spool_batch *w);
/* Replace the journal by image (magic + live entries), atomically. */
int lnb_spool_replace(struct lnb_spool *sp, const struct lnb_buf *image);
void lnb_spool_close(struct lnb_spool *sp);

#endif
