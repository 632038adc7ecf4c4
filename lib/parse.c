// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Netlink reply parsing for the kernel-module backend.  Pure functions over
 * buffers: no socket, no allocation.  A reply that breaks the ABI in any
 * way (short or long attribute, missing or repeated attribute, other
 * version or command) is refused with -LINUBIA_EBADREPLY or
 * -LINUBIA_EVERSION and a detail saying what was wrong; attributes and
 * counters a newer module adds are skipped.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

typedef int (*lnb_attr_fn)(const struct nlattr *attr, void *arg,
			   struct lnb_detail *detail);

static const char *const lnb_attr_names[] = {
	[LINUBIA_A_UID] = "UID",
	[LINUBIA_A_FIRST_SEEN_NS] = "FIRST_SEEN_NS",
	[LINUBIA_A_LAST_RESET_NS] = "LAST_RESET_NS",
	[LINUBIA_A_COUNTERS] = "COUNTERS",
	[LINUBIA_A_USERS] = "USERS",
	[LINUBIA_A_MAX_USERS] = "MAX_USERS",
	[LINUBIA_A_STATS] = "STATS",
	[LINUBIA_A_COUNT_LOOPBACK] = "COUNT_LOOPBACK",
	[LINUBIA_A_DELEGATED_BY] = "DELEGATED_BY",
	[LINUBIA_A_DELEGATED_USERS] = "DELEGATED_USERS",
	[LINUBIA_A_MAX_DELEGATED] = "MAX_DELEGATED",
	[LINUBIA_A_READ_GID] = "READ_GID",
};

static const char *lnb_attr_name(unsigned int type)
{
	if (type < LNB_ARRAY_SIZE(lnb_attr_names) && lnb_attr_names[type])
		return lnb_attr_names[type];
	return "?";
}

static int lnb_bad(struct lnb_detail *detail, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int lnb_bad(struct lnb_detail *detail, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail->text, sizeof(detail->text), fmt, ap);
	va_end(ap);
	return -LINUBIA_EBADREPLY;
}

/* Call fn for each attribute of [start, start + len), checking each length. */
static int lnb_walk_attrs(const void *start, size_t len, const char *where,
			  lnb_attr_fn fn, void *arg, struct lnb_detail *detail)
{
	const char *base = start;
	size_t off = 0;

	while (off < len) {
		const struct nlattr *attr = (const void *)(base + off);
		size_t left = len - off;
		int err;

		if (left < sizeof(*attr))
			return lnb_bad(detail, "%s: %zu stray bytes after the last attribute",
				       where, left);
		if (attr->nla_len < sizeof(*attr) || attr->nla_len > left)
			return lnb_bad(detail, "%s: attribute %u claims %u bytes, %zu left",
				       where, mnl_attr_get_type(attr), attr->nla_len, left);
		err = fn(attr, arg, detail);
		if (err)
			return err;
		off += MNL_ALIGN(attr->nla_len);
	}
	return 0;
}

/* The payload of attr must be exactly want bytes. */
static int lnb_expect_len(const struct nlattr *attr, size_t want,
			  const char *name, struct lnb_detail *detail)
{
	size_t have = mnl_attr_get_payload_len(attr);

	if (have != want)
		return lnb_bad(detail, "attribute %s has %zu bytes, expected %zu",
			       name, have, want);
	return 0;
}

static uint64_t lnb_get_u64(const struct nlattr *attr)
{
	uint64_t v;

	memcpy(&v, mnl_attr_get_payload(attr), sizeof(v));
	return v;
}

static uint32_t lnb_get_u32(const struct nlattr *attr)
{
	uint32_t v;

	memcpy(&v, mnl_attr_get_payload(attr), sizeof(v));
	return v;
}

/* Mark type seen; a second occurrence is an error. */
static int lnb_once(uint64_t *seen, unsigned int type, const char *name,
		    struct lnb_detail *detail)
{
	uint64_t bit = UINT64_C(1) << type;

	if (*seen & bit)
		return lnb_bad(detail, "attribute %s appears twice", name);
	*seen |= bit;
	return 0;
}

/* A nest of u64 values whose attribute type is index + 1 (0 pads). */
struct lnb_u64_nest {
	const char *what;
	uint64_t *values;
	unsigned int count;
	uint64_t seen;		/* bit i = value i was present */
};

static int lnb_u64_nest_attr(const struct nlattr *attr, void *arg,
			     struct lnb_detail *detail)
{
	struct lnb_u64_nest *nest = arg;
	unsigned int type = mnl_attr_get_type(attr);
	unsigned int index = type - 1;
	uint64_t bit;
	int err;

	if (type == LINUBIA_NEST_PAD || index >= nest->count)
		return 0;	/* padding, or an entry of a newer module */
	err = lnb_expect_len(attr, sizeof(uint64_t), nest->what, detail);
	if (err)
		return err;
	bit = UINT64_C(1) << index;
	if (nest->seen & bit)
		return lnb_bad(detail, "%s entry %u appears twice", nest->what, type);
	nest->seen |= bit;
	nest->values[index] = lnb_get_u64(attr);
	return 0;
}

static int lnb_parse_u64_nest(const struct nlattr *attr, struct lnb_u64_nest *nest,
			      struct lnb_detail *detail)
{
	return lnb_walk_attrs(mnl_attr_get_payload(attr),
			      mnl_attr_get_payload_len(attr), nest->what,
			      lnb_u64_nest_attr, nest, detail);
}

/*
 * The attributes after the generic netlink header of a message of family
 * LINUBIA with command cmd.  The stream parser has checked nlmsg_len.
 */
static int lnb_genl_attrs(const struct nlmsghdr *nlh, uint8_t cmd,
			  lnb_attr_fn fn, void *arg, struct lnb_detail *detail)
{
	const struct genlmsghdr *genl;
	size_t len = nlh->nlmsg_len;

	if (len < NLMSG_HDRLEN + GENL_HDRLEN)
		return lnb_bad(detail, "message of %zu bytes has no generic netlink header", len);
	genl = mnl_nlmsg_get_payload(nlh);
	if (genl->version != LINUBIA_GENL_VERSION) {
		lnb_detail_set(detail, "the module replied with ABI version %u, liblinubia speaks %u",
			       genl->version, LINUBIA_GENL_VERSION);
		return -LINUBIA_EVERSION;
	}
	if (genl->cmd != cmd)
		return lnb_bad(detail, "reply to command %u has command %u", cmd, genl->cmd);
	return lnb_walk_attrs((const char *)genl + GENL_HDRLEN,
			      len - NLMSG_HDRLEN - GENL_HDRLEN, "message",
			      fn, arg, detail);
}

/* Which of the attributes in need are missing from seen; 0 if none. */
static int lnb_require(uint64_t seen, const unsigned int *need, size_t n,
		       struct lnb_detail *detail)
{
	for (size_t i = 0; i < n; i++)
		if (!(seen & (UINT64_C(1) << need[i])))
			return lnb_bad(detail, "reply lacks attribute %s",
				       lnb_attr_name(need[i]));
	return 0;
}

/* Records ----------------------------------------------------------------- */

struct lnb_record_ctx {
	struct linubia_record *record;
	uint64_t seen;
};

static int lnb_record_attr(const struct nlattr *attr, void *arg,
			   struct lnb_detail *detail)
{
	struct lnb_record_ctx *ctx = arg;
	struct linubia_record *r = ctx->record;
	unsigned int type = mnl_attr_get_type(attr);
	struct lnb_u64_nest counters = {
		"COUNTERS", r->counters, LINUBIA_COUNTER_COUNT, 0
	};
	const char *name = lnb_attr_name(type);
	int err;

	switch (type) {
	case LINUBIA_A_UID:
	case LINUBIA_A_FIRST_SEEN_NS:
	case LINUBIA_A_LAST_RESET_NS:
	case LINUBIA_A_COUNTERS:
	case LINUBIA_A_DELEGATED_BY:
		err = lnb_once(&ctx->seen, type, name, detail);
		if (err)
			return err;
		break;
	default:
		return 0;	/* padding, or an attribute of a newer module */
	}
	switch (type) {
	case LINUBIA_A_UID:
		err = lnb_expect_len(attr, sizeof(uint32_t), name, detail);
		if (!err)
			r->uid = lnb_get_u32(attr);
		return err;
	case LINUBIA_A_FIRST_SEEN_NS:
		err = lnb_expect_len(attr, sizeof(uint64_t), name, detail);
		if (!err)
			r->first_seen_ns = lnb_get_u64(attr);
		return err;
	case LINUBIA_A_LAST_RESET_NS:
		err = lnb_expect_len(attr, sizeof(uint64_t), name, detail);
		if (!err)
			r->last_reset_ns = lnb_get_u64(attr);
		return err;
	case LINUBIA_A_DELEGATED_BY:
		err = lnb_expect_len(attr, sizeof(uint32_t), name, detail);
		if (!err)
			r->delegated_by = lnb_get_u32(attr);
		if (!err && r->delegated_by == LINUBIA_NOT_DELEGATED)
			return lnb_bad(detail, "DELEGATED_BY is %u, which no user can be",
				       r->delegated_by);
		return err;
	default:
		return lnb_parse_u64_nest(attr, &counters, detail);
	}
}

int lnb_parse_record(const struct nlmsghdr *nlh, uint8_t cmd,
		     struct linubia_record *record, struct lnb_detail *detail)
{
	static const unsigned int need[] = {
		LINUBIA_A_UID, LINUBIA_A_FIRST_SEEN_NS, LINUBIA_A_LAST_RESET_NS,
		LINUBIA_A_COUNTERS,
	};
	struct lnb_record_ctx ctx = { record, 0 };
	int err;

	memset(record, 0, sizeof(*record));
	record->delegated_by = LINUBIA_NOT_DELEGATED;	/* absent: nobody */
	err = lnb_genl_attrs(nlh, cmd, lnb_record_attr, &ctx, detail);
	if (err)
		return err;
	return lnb_require(ctx.seen, need, LNB_ARRAY_SIZE(need), detail);
}

/* Stats ------------------------------------------------------------------- */

struct lnb_stats_ctx {
	struct linubia_stats *stats;
	uint64_t seen;
	uint64_t values_seen;
};

static int lnb_stats_attr(const struct nlattr *attr, void *arg,
			  struct lnb_detail *detail)
{
	struct lnb_stats_ctx *ctx = arg;
	unsigned int type = mnl_attr_get_type(attr);
	const char *name = lnb_attr_name(type);
	struct lnb_u64_nest nest = {
		"STATS", ctx->stats->values, LINUBIA_STAT_COUNT, 0
	};
	uint32_t *u32 = NULL;
	int err;

	switch (type) {
	case LINUBIA_A_USERS:
		u32 = &ctx->stats->users;
		break;
	case LINUBIA_A_MAX_USERS:
		u32 = &ctx->stats->max_users;
		break;
	case LINUBIA_A_DELEGATED_USERS:
		u32 = &ctx->stats->delegated_users;
		break;
	case LINUBIA_A_MAX_DELEGATED:
		u32 = &ctx->stats->max_delegated;
		break;
	case LINUBIA_A_STATS:
		break;
	default:
		return 0;
	}
	err = lnb_once(&ctx->seen, type, name, detail);
	if (err)
		return err;
	if (u32) {
		err = lnb_expect_len(attr, sizeof(*u32), name, detail);
		if (!err)
			*u32 = lnb_get_u32(attr);
		return err;
	}
	err = lnb_parse_u64_nest(attr, &nest, detail);
	ctx->values_seen = nest.seen;
	return err;
}

int lnb_parse_stats(const struct nlmsghdr *nlh, struct linubia_stats *stats,
		    struct lnb_detail *detail)
{
	static const unsigned int need[] = {
		LINUBIA_A_USERS, LINUBIA_A_MAX_USERS, LINUBIA_A_DELEGATED_USERS,
		LINUBIA_A_MAX_DELEGATED, LINUBIA_A_STATS,
	};
	_Static_assert(LINUBIA_STAT_COUNT < 64, "stat masks are 64 bits wide");
	const uint64_t all = (UINT64_C(1) << LINUBIA_STAT_COUNT) - 1;
	struct lnb_stats_ctx ctx = { stats, 0, 0 };
	int err;

	memset(stats, 0, sizeof(*stats));
	err = lnb_genl_attrs(nlh, LINUBIA_CMD_GET_STATS, lnb_stats_attr, &ctx, detail);
	if (!err)
		err = lnb_require(ctx.seen, need, LNB_ARRAY_SIZE(need), detail);
	if (err)
		return err;
	if (ctx.values_seen != all)
		return lnb_bad(detail, "STATS lacks entries (mask %#llx of %#llx)",
			       (unsigned long long)ctx.values_seen,
			       (unsigned long long)all);
	return 0;
}

/* Config ------------------------------------------------------------------ */

struct lnb_config_ctx {
	struct linubia_config *config;
	uint64_t seen;
};

static int lnb_config_attr(const struct nlattr *attr, void *arg,
			   struct lnb_detail *detail)
{
	struct lnb_config_ctx *ctx = arg;
	unsigned int type = mnl_attr_get_type(attr);
	const char *name = lnb_attr_name(type);
	uint8_t on;
	int err;

	if (type != LINUBIA_A_COUNT_LOOPBACK && type != LINUBIA_A_MAX_USERS &&
	    type != LINUBIA_A_MAX_DELEGATED)
		return 0;
	err = lnb_once(&ctx->seen, type, name, detail);
	if (err)
		return err;
	if (type != LINUBIA_A_COUNT_LOOPBACK) {
		err = lnb_expect_len(attr, sizeof(uint32_t), name, detail);
		if (!err)
			*(type == LINUBIA_A_MAX_USERS ? &ctx->config->max_users
						      : &ctx->config->max_delegated) =
				lnb_get_u32(attr);
		return err;
	}
	err = lnb_expect_len(attr, sizeof(uint8_t), name, detail);
	if (err)
		return err;
	on = mnl_attr_get_u8(attr);
	if (on > 1)
		return lnb_bad(detail, "COUNT_LOOPBACK is %u, expected 0 or 1", on);
	ctx->config->count_loopback = on;
	return 0;
}

int lnb_parse_config(const struct nlmsghdr *nlh, struct linubia_config *config,
		     struct lnb_detail *detail)
{
	static const unsigned int need[] = {
		LINUBIA_A_COUNT_LOOPBACK, LINUBIA_A_MAX_USERS, LINUBIA_A_MAX_DELEGATED,
	};
	struct lnb_config_ctx ctx = { config, 0 };
	int err;

	memset(config, 0, sizeof(*config));
	err = lnb_genl_attrs(nlh, LINUBIA_CMD_GET_CONFIG, lnb_config_attr, &ctx, detail);
	if (err)
		return err;
	return lnb_require(ctx.seen, need, LNB_ARRAY_SIZE(need), detail);
}

/* READ_GID of a GET_CONFIG reply: the module's read group. */
struct lnb_read_gid_ctx {
	uint32_t *gid;
	uint64_t seen;
};

static int lnb_read_gid_attr(const struct nlattr *attr, void *arg,
			     struct lnb_detail *detail)
{
	struct lnb_read_gid_ctx *ctx = arg;
	unsigned int type = mnl_attr_get_type(attr);
	int err;

	if (type != LINUBIA_A_READ_GID)
		return 0;
	err = lnb_once(&ctx->seen, type, lnb_attr_name(type), detail);
	if (!err)
		err = lnb_expect_len(attr, sizeof(uint32_t), lnb_attr_name(type), detail);
	if (!err)
		*ctx->gid = lnb_get_u32(attr);
	return err;
}

int lnb_parse_read_gid(const struct nlmsghdr *nlh, uint32_t *gid, struct lnb_detail *detail)
{
	static const unsigned int need[] = { LINUBIA_A_READ_GID };
	struct lnb_read_gid_ctx ctx = { gid, 0 };
	int err;

	err = lnb_genl_attrs(nlh, LINUBIA_CMD_GET_CONFIG, lnb_read_gid_attr, &ctx, detail);
	if (err)
		return err;
	return lnb_require(ctx.seen, need, LNB_ARRAY_SIZE(need), detail);
}

/* Family resolution ------------------------------------------------------ */

struct lnb_family_ctx {
	uint16_t *id;
	uint32_t *version;
	uint64_t seen;
};

static int lnb_family_attr(const struct nlattr *attr, void *arg,
			   struct lnb_detail *detail)
{
	struct lnb_family_ctx *ctx = arg;
	unsigned int type = mnl_attr_get_type(attr);
	int err;

	if (type == CTRL_ATTR_FAMILY_ID) {
		err = lnb_expect_len(attr, sizeof(uint16_t), "CTRL_ATTR_FAMILY_ID", detail);
		if (!err)
			*ctx->id = mnl_attr_get_u16(attr);
	} else if (type == CTRL_ATTR_VERSION) {
		err = lnb_expect_len(attr, sizeof(uint32_t), "CTRL_ATTR_VERSION", detail);
		if (!err)
			*ctx->version = lnb_get_u32(attr);
	} else {
		return 0;
	}
	if (!err)
		ctx->seen |= UINT64_C(1) << type;
	return err;
}

int lnb_parse_family(const struct nlmsghdr *nlh, uint16_t *id,
		     uint32_t *version, struct lnb_detail *detail)
{
	struct lnb_family_ctx ctx = { id, version, 0 };
	const struct genlmsghdr *genl;
	int err;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return lnb_bad(detail, "controller reply of %u bytes has no header",
			       nlh->nlmsg_len);
	genl = mnl_nlmsg_get_payload(nlh);
	err = lnb_walk_attrs((const char *)genl + GENL_HDRLEN,
			     nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN,
			     "controller reply", lnb_family_attr, &ctx, detail);
	if (err)
		return err;
	if (!(ctx.seen & (UINT64_C(1) << CTRL_ATTR_FAMILY_ID)) ||
	    !(ctx.seen & (UINT64_C(1) << CTRL_ATTR_VERSION)))
		return lnb_bad(detail, "controller reply lacks the family id or version");
	return 0;
}

/* Message streams ---------------------------------------------------------- */

struct lnb_extack_ctx {
	struct lnb_detail *detail;
};

static int lnb_extack_attr(const struct nlattr *attr, void *arg,
			   struct lnb_detail *detail)
{
	struct lnb_extack_ctx *ctx = arg;
	const char *msg = mnl_attr_get_payload(attr);
	size_t len = mnl_attr_get_payload_len(attr);

	(void)detail;
	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
		lnb_detail_set(ctx->detail, "%.*s", (int)strnlen(msg, len), msg);
	return 0;
}

/* An NLMSG_ERROR: 0 for an ACK, else the kernel's -errno with its extack. */
static int lnb_parse_error(const struct nlmsghdr *nlh, struct lnb_detail *detail)
{
	size_t len = nlh->nlmsg_len - NLMSG_HDRLEN;
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct lnb_detail tlv_detail = { "" };
	struct lnb_extack_ctx ctx = { detail };
	size_t off = sizeof(*err);
	int code;

	if (len < sizeof(int))
		return lnb_bad(detail, "error message of %zu bytes", len);
	memcpy(&code, &err->error, sizeof(code));
	if (code == 0)
		return 0;
	if (code > 0 || code < -4095)
		return lnb_bad(detail, "error message with code %d", code);
	detail->text[0] = '\0';
	if (len < sizeof(*err) || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return code;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		/* The request is echoed whole before the TLVs. */
		if (err->msg.nlmsg_len < NLMSG_HDRLEN)
			return code;
		off += MNL_ALIGN(err->msg.nlmsg_len - NLMSG_HDRLEN);
	}
	if (off > len)
		return code;
	/* A malformed TLV area only loses the message, not the error. */
	(void)lnb_walk_attrs((const char *)err + off, len - off, "extack",
			     lnb_extack_attr, &ctx, &tlv_detail);
	return code;
}

/* NLMSG_DONE carries the dump's final status (0 or -errno). */
static int lnb_parse_done(const struct nlmsghdr *nlh, struct lnb_detail *detail)
{
	size_t len = nlh->nlmsg_len - NLMSG_HDRLEN;
	int code;

	if (len < sizeof(int))
		return LNB_STREAM_END;
	memcpy(&code, mnl_nlmsg_get_payload(nlh), sizeof(code));
	if (code > 0 || code < -4095)
		return lnb_bad(detail, "dump ended with code %d", code);
	if (code < 0)
		lnb_detail_set(detail, "the dump failed in the kernel");
	return code < 0 ? code : LNB_STREAM_END;
}

int lnb_parse_stream(const void *buf, size_t len,
		     const struct lnb_reply_expect *expect, lnb_msg_fn fn,
		     void *arg, struct lnb_detail *detail)
{
	const char *p = buf;
	size_t off = 0;

	while (off < len) {
		const struct nlmsghdr *nlh = (const void *)(p + off);
		size_t left = len - off;
		int err;

		if (left < NLMSG_HDRLEN)
			return lnb_bad(detail, "%zu stray bytes after the last message", left);
		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > left)
			return lnb_bad(detail, "message claims %u bytes, %zu left",
				       nlh->nlmsg_len, left);
		off += MNL_ALIGN(nlh->nlmsg_len);
		if (nlh->nlmsg_seq != expect->seq || nlh->nlmsg_pid != expect->portid)
			continue;	/* left over from an earlier request */
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			continue;
		case NLMSG_ERROR:
			return lnb_parse_error(nlh, detail);
		case NLMSG_DONE:
			return lnb_parse_done(nlh, detail);
		case NLMSG_OVERRUN:
			return lnb_bad(detail, "netlink overrun");
		default:
			if (nlh->nlmsg_type != expect->family)
				return lnb_bad(detail, "message of type %u, expected %u",
					       nlh->nlmsg_type, expect->family);
			err = fn(nlh, arg, detail);
			if (err)
				return err;
		}
	}
	return LNB_STREAM_MORE;
}
