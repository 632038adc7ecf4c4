// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for linubia-diameter's spool journal parser
 * (diameter/spool.c): any bytes after the magic.  The parser must never
 * read out of bounds, leak, or hand the sink anything malformed; whatever
 * it accepts must encode back to the same bytes (built with -DLNB_FUZZING:
 * checksums are not checked, or no mutation would get past them; the
 * re-encoding check then compares everything but the CRC fields).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spool.h"

struct sink {
	struct lnb_spool_sink s;
	struct lnb_buf again;		/* what was accepted, encoded again */
};

static int on_session(struct lnb_spool_sink *s, struct lnb_session *x)
{
	struct sink *k = (struct sink *)(void *)s;

	if (!x->sid[0] || !x->user[0] || x->closed > 1 || x->interval == 0)
		abort();
	lnb_enc_session(&k->again, x);
	lnb_session_free(x);
	return 0;
}

static int on_record(struct lnb_spool_sink *s, struct lnb_rec *r)
{
	struct sink *k = (struct sink *)(void *)s;

	if (r->type < 2 || r->type > 4 || !r->sid[0] || !r->user[0])
		abort();
	lnb_enc_record(&k->again, r);
	lnb_rec_free(r);
	return 0;
}

static int on_done(struct lnb_spool_sink *s, uint64_t seq, int reason)
{
	struct sink *k = (struct sink *)(void *)s;

	lnb_enc_done(&k->again, seq, reason);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink k = { { on_session, on_record, on_done }, { 0 } };
	uint8_t *buf = malloc(size + LNB_SPOOL_MAGIC_LEN);
	size_t good = 0;
	int rc;

	if (!buf)
		return 0;
	/* half the inputs as they come (magic checks), half behind the magic */
	if (size && (data[0] & 1)) {
		memcpy(buf, LNB_SPOOL_MAGIC, LNB_SPOOL_MAGIC_LEN);
		memcpy(buf + LNB_SPOOL_MAGIC_LEN, data, size);
		size += LNB_SPOOL_MAGIC_LEN;
	} else {
		memcpy(buf, data, size);
	}
	lnb_put_raw(&k.again, LNB_SPOOL_MAGIC, LNB_SPOOL_MAGIC_LEN);
	rc = lnb_spool_parse(buf, size, &k.s, &good);
	if (rc >= 0 && (good > size || (rc == 0 && good != size)))
		abort();
	/* the accepted part re-encodes byte for byte */
	if (rc >= 0 && good >= LNB_SPOOL_MAGIC_LEN && !k.again.oom) {
		size_t off = LNB_SPOOL_MAGIC_LEN;

		if (k.again.len != good)
			abort();
		while (off < good) {	/* each entry: length, CRC (skipped), payload */
			size_t n = (size_t)buf[off] | (size_t)buf[off + 1] << 8 |
				   (size_t)buf[off + 2] << 16 | (size_t)buf[off + 3] << 24;

			if (memcmp(k.again.p + off, buf + off, 4) ||
			    memcmp(k.again.p + off + 8, buf + off + 8, n))
				abort();
			off += 8 + n;
		}
	}
	lnb_buf_free(&k.again);
	free(buf);
	return 0;
}
