// SPDX-License-Identifier: GPL-2.0-only
/* Netlink reply streams for tests: see msgbuild.h. */
#include <linux/genetlink.h>
#include <string.h>

#include "msgbuild.h"

void mb_reset(struct mb *m)
{
	memset(m->buf, 0, sizeof(m->buf));
	m->len = 0;
}

struct nlmsghdr *mb_msg(struct mb *m, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->buf + m->len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = MB_SEQ;
	nlh->nlmsg_pid = MB_PORTID;
	return nlh;
}

struct nlmsghdr *mb_genl(struct mb *m, uint8_t cmd, uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = mb_msg(m, MB_FAMILY, flags);
	struct genlmsghdr *genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));

	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

void mb_end(struct mb *m, struct nlmsghdr *nlh)
{
	m->len += MNL_ALIGN(nlh->nlmsg_len);
}

void mb_put_u64(struct nlmsghdr *nlh, uint16_t type, uint64_t v)
{
	/* The payload must land 8-byte aligned, as nla_put_u64_64bit does. */
	if ((nlh->nlmsg_len + MNL_ATTR_HDRLEN) % 8)
		mnl_attr_put(nlh, LINUBIA_A_PAD, 0, NULL);
	mnl_attr_put_u64(nlh, type, v);
}

void mb_record(struct mb *m, uint8_t cmd, const struct linubia_record *r)
{
	struct nlmsghdr *nlh = mb_genl(m, cmd, LINUBIA_GENL_VERSION, NLM_F_MULTI);
	struct nlattr *nest;

	mnl_attr_put_u32(nlh, LINUBIA_A_UID, r->uid);
	mb_put_u64(nlh, LINUBIA_A_FIRST_SEEN_NS, r->first_seen_ns);
	mb_put_u64(nlh, LINUBIA_A_LAST_RESET_NS, r->last_reset_ns);
	if (r->delegated_by && r->delegated_by != LINUBIA_NOT_DELEGATED)
		mnl_attr_put_u32(nlh, LINUBIA_A_DELEGATED_BY, r->delegated_by);
	nest = mnl_attr_nest_start(nlh, LINUBIA_A_COUNTERS);
	for (unsigned int c = 0; c < LINUBIA_COUNTER_COUNT; c++) {
		if (!r->counters[c])
			continue;
		if ((nlh->nlmsg_len + MNL_ATTR_HDRLEN) % 8)
			mnl_attr_put(nlh, LINUBIA_NEST_PAD, 0, NULL);
		mnl_attr_put_u64(nlh, LINUBIA_NEST_TYPE(c), r->counters[c]);
	}
	mnl_attr_nest_end(nlh, nest);
	mb_end(m, nlh);
}

void mb_stats(struct mb *m, const struct linubia_stats *s)
{
	struct nlmsghdr *nlh = mb_genl(m, LINUBIA_CMD_GET_STATS, LINUBIA_GENL_VERSION, 0);
	struct nlattr *nest;

	mnl_attr_put_u32(nlh, LINUBIA_A_USERS, s->users);
	mnl_attr_put_u32(nlh, LINUBIA_A_MAX_USERS, s->max_users);
	mnl_attr_put_u32(nlh, LINUBIA_A_DELEGATED_USERS, s->delegated_users);
	mnl_attr_put_u32(nlh, LINUBIA_A_MAX_DELEGATED, s->max_delegated);
	nest = mnl_attr_nest_start(nlh, LINUBIA_A_STATS);
	for (unsigned int i = 0; i < LINUBIA_STAT_COUNT; i++)
		mnl_attr_put_u64(nlh, LINUBIA_NEST_TYPE(i), s->values[i]);
	mnl_attr_nest_end(nlh, nest);
	mb_end(m, nlh);
}

void mb_config(struct mb *m, uint8_t count_loopback, uint32_t max_users, uint32_t max_delegated)
{
	struct nlmsghdr *nlh = mb_genl(m, LINUBIA_CMD_GET_CONFIG, LINUBIA_GENL_VERSION, 0);

	mnl_attr_put_u8(nlh, LINUBIA_A_COUNT_LOOPBACK, count_loopback);
	mnl_attr_put_u32(nlh, LINUBIA_A_MAX_USERS, max_users);
	mnl_attr_put_u32(nlh, LINUBIA_A_MAX_DELEGATED, max_delegated);
	mb_end(m, nlh);
}

void mb_done(struct mb *m, int error)
{
	struct nlmsghdr *nlh = mb_msg(m, NLMSG_DONE, NLM_F_MULTI);
	int *code = mnl_nlmsg_put_extra_header(nlh, sizeof(*code));

	*code = error;
	mb_end(m, nlh);
}

void mb_error(struct mb *m, int error, const char *text, int capped)
{
	uint16_t flags = (capped ? NLM_F_CAPPED : 0) | (text ? NLM_F_ACK_TLVS : 0);
	struct nlmsghdr *nlh = mb_msg(m, NLMSG_ERROR, flags);
	struct nlmsgerr *err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));

	err->error = error;
	/* The echoed request header; uncapped, its 8-byte payload follows. */
	err->msg.nlmsg_len = capped ? NLMSG_HDRLEN : NLMSG_HDRLEN + 8;
	err->msg.nlmsg_type = MB_FAMILY;
	err->msg.nlmsg_seq = MB_SEQ;
	if (!capped)
		mnl_nlmsg_put_extra_header(nlh, 8);
	if (text)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, text);
	mb_end(m, nlh);
}
