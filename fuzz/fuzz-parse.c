// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the netlink reply parser.  The first byte picks
 * which reply the rest is parsed as (dump into a snapshot, stats, config,
 * family); the rest is one recv() buffer.  The parser must never read out
 * of bounds, crash or leak, whatever the bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "../tests/unit/msgbuild.h"
#include "parse.h"

static int fuzz_record(const struct nlmsghdr *nlh, void *arg, struct lnb_detail *d)
{
	struct linubia_record r;
	int err = lnb_parse_record(nlh, LINUBIA_CMD_GET_USER, &r, d);

	return err ? err : lnb_snapshot_add(arg, &r);
}

static int fuzz_stats(const struct nlmsghdr *nlh, void *arg, struct lnb_detail *d)
{
	struct linubia_stats s;

	(void)arg;
	return lnb_parse_stats(nlh, &s, d);
}

static int fuzz_config(const struct nlmsghdr *nlh, void *arg, struct lnb_detail *d)
{
	struct linubia_config c;
	uint32_t gid;
	int err, err_gid;

	(void)arg;
	err = lnb_parse_config(nlh, &c, d);
	/* the same reply, as the read group's getter reads it */
	err_gid = lnb_parse_read_gid(nlh, &gid, d);
	return err ? err : err_gid;
}

static int fuzz_family(const struct nlmsghdr *nlh, void *arg, struct lnb_detail *d)
{
	uint16_t id;
	uint32_t version;

	(void)arg;
	return lnb_parse_family(nlh, &id, &version, d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const lnb_msg_fn fns[] = { fuzz_record, fuzz_stats, fuzz_config, fuzz_family };
	const struct lnb_reply_expect expect = { MB_SEQ, MB_PORTID, MB_FAMILY };
	struct linubia_snapshot *snapshot;
	struct lnb_detail detail;
	void *buf;

	if (size < 1)
		return 0;
	/* The receive buffer is aligned in real use: keep that. */
	buf = malloc(size - 1 ? size - 1 : 1);
	snapshot = lnb_snapshot_new();
	if (buf && snapshot) {
		memcpy(buf, data + 1, size - 1);
		if (lnb_parse_stream(buf, size - 1, &expect, fns[data[0] % 4], snapshot,
				     &detail) == LNB_STREAM_END)
			(void)lnb_snapshot_finish(snapshot, &detail);
		/* The detail must always be a terminated string. */
		if (memchr(detail.text, '\0', sizeof(detail.text)) == NULL)
			abort();
	}
	linubia_snapshot_free(snapshot);
	free(buf);
	return 0;
}
