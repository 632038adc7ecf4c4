/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Builds netlink reply streams the way the kernel module does (or
 * deliberately not), for the parser's unit tests and the fuzzer's seeds.
 */
#ifndef LNB_MSGBUILD_H
#define LNB_MSGBUILD_H

#include <libmnl/libmnl.h>
#include <stddef.h>
#include <stdint.h>

#include "linubia.h"

#define MB_SEQ 42
#define MB_PORTID 4711
#define MB_FAMILY 0x1c

struct mb {
	_Alignas(8) char buf[1 << 16];
	size_t len;
};

void mb_reset(struct mb *m);
/* Start a message at the end of the stream; finished by the next one. */
struct nlmsghdr *mb_msg(struct mb *m, uint16_t type, uint16_t flags);
struct nlmsghdr *mb_genl(struct mb *m, uint8_t cmd, uint8_t version, uint16_t flags);
/* Close the current message: account its length in the stream. */
void mb_end(struct mb *m, struct nlmsghdr *nlh);
/* A u64 the way the kernel puts it: a PAD attribute first if unaligned. */
void mb_put_u64(struct nlmsghdr *nlh, uint16_t type, uint64_t v);
/* A record message as the module sends it (zero counters omitted;
 * DELEGATED_BY only if r->delegated_by is neither 0 nor NOT_DELEGATED, so
 * that { .uid = N } builds an undelegated record). */
void mb_record(struct mb *m, uint8_t cmd, const struct linubia_record *r);
void mb_stats(struct mb *m, const struct linubia_stats *s);
void mb_config(struct mb *m, uint8_t count_loopback, uint32_t max_users, uint32_t max_delegated);
void mb_done(struct mb *m, int error);
/* NLMSG_ERROR with code error (0 = ACK) and an extack text (or NULL). */
void mb_error(struct mb *m, int error, const char *text, int capped);

#endif /* LNB_MSGBUILD_H */
