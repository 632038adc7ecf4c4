/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The netlink reply parser: pure functions over byte buffers (no socket),
 * so the unit tests and the fuzzer feed it crafted messages directly.
 * Every length is checked before the bytes behind it are read.
 */
#ifndef LNB_PARSE_H
#define LNB_PARSE_H

#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* Which messages of a stream are ours. */
struct lnb_reply_expect {
	uint32_t seq;
	uint32_t portid;
	uint16_t family;	/* nlmsg_type of data messages */
};

/* Called for each data message of the stream; 0 or a negative code. */
typedef int (*lnb_msg_fn)(const struct nlmsghdr *nlh, void *arg,
			  struct lnb_detail *detail);

enum { LNB_STREAM_END = 0, LNB_STREAM_MORE = 1 };

/*
 * Walk the messages of one recv() buffer.  Returns LNB_STREAM_END after the
 * ACK or NLMSG_DONE, LNB_STREAM_MORE if the buffer ended before them, the
 * kernel's negative errno (its extack message in detail), or
 * -LINUBIA_EBADREPLY.  Messages of other sequence numbers are skipped.
 * buf must be 4-byte aligned.
 */
int lnb_parse_stream(const void *buf, size_t len,
		     const struct lnb_reply_expect *expect, lnb_msg_fn fn,
		     void *arg, struct lnb_detail *detail);

/*
 * Single messages, as handed to an lnb_msg_fn (lnb_parse_stream has checked
 * that nlmsg_len bytes are there).  A GET_USER or RESET reply into record:
 */
int lnb_parse_record(const struct nlmsghdr *nlh, uint8_t cmd,
		     struct linubia_record *record, struct lnb_detail *detail);
int lnb_parse_stats(const struct nlmsghdr *nlh, struct linubia_stats *stats,
		    struct lnb_detail *detail);
int lnb_parse_config(const struct nlmsghdr *nlh, struct linubia_config *config,
		     struct lnb_detail *detail);
/* The module's read group from a GET_CONFIG reply (LINUBIA_NO_GID: none). */
int lnb_parse_read_gid(const struct nlmsghdr *nlh, uint32_t *gid, struct lnb_detail *detail);
/* The generic netlink controller's answer to CTRL_CMD_GETFAMILY. */
int lnb_parse_family(const struct nlmsghdr *nlh, uint16_t *id,
		     uint32_t *version, struct lnb_detail *detail);

#endif /* LNB_PARSE_H */
