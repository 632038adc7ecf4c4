// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel-module backend: the generic netlink family "linubia"
 * (kmod/include/uapi/linux/linubia.h documents every command).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nl.h"

/*
 * The handle: the netlink socket first, so that the ops below may treat
 * priv as the struct lnb_nl *, and whether its opener is the module's admin.
 */
struct lnb_kmod {
	struct lnb_nl nl;
	int admin;		/* -1: not asked yet */
	int reader;		/* reads every record; -1: not asked yet */
};

/*
 * Present while the module is loaded.  Resolving the family of an absent
 * module would make the kernel load it (CTRL_CMD_GETFAMILY requests
 * "net-pf-16-proto-16-family-linubia", MODULE_ALIAS_GENL_FAMILY): on a
 * host that runs the eBPF backend with the module merely installed, a
 * mere `linubia show` would switch backends.
 */
#define LNB_SYSFS_MODULE "/sys/module/" LINUBIA_GENL_NAME

static int lnb_kmod_open(void **priv, struct lnb_detail *detail)
{
	struct lnb_kmod *k;
	int err;

	if (access(LNB_SYSFS_MODULE, F_OK)) {
		lnb_detail_set(detail, "the kernel module is not loaded (%s: %s)",
			       LNB_SYSFS_MODULE, strerror(errno));
		return -LINUBIA_ENOBACKEND;
	}
	k = malloc(sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->admin = -1;
	k->reader = -1;
	err = lnb_nl_open(&k->nl, detail);
	if (err) {
		free(k);
		return err;
	}
	*priv = k;
	return 0;
}

static void lnb_kmod_close(void *priv)
{
	lnb_nl_close(priv);
	free(priv);
}

static int lnb_no_reply_expected(const struct nlmsghdr *nlh, void *arg,
				 struct lnb_detail *detail);

/*
 * The module decides from the socket's opener and network namespace
 * (CAP_NET_ADMIN in the initial user namespace, the initial network
 * namespace), which capget() in the caller's own user namespace cannot
 * tell: container root would think it sees everything.  So ask it: an
 * empty SET_CONFIG is refused with EPERM for a non-admin before anything
 * else, and with EINVAL ("no setting given") for an admin; it changes
 * nothing either way.  Asked once: the opener's rights stay the socket's.
 */
static int lnb_kmod_privileged(void *priv)
{
	struct lnb_kmod *k = priv;
	struct lnb_detail scratch;
	char buf[LNB_NL_REQ_SIZE];
	int err;

	if (k->admin >= 0)
		return k->admin;
	err = lnb_nl_transact(&k->nl, lnb_nl_request(&k->nl, buf, LINUBIA_CMD_SET_CONFIG, 0),
			      lnb_no_reply_expected, NULL, &scratch);
	if (err == -EINVAL || err == 0)
		k->admin = 1;
	else if (err == -EPERM || err == -EACCES)
		k->admin = 0;
	else
		return err;
	return k->admin;
}

struct lnb_dump_ctx {
	struct linubia_snapshot *snapshot;
	struct linubia_record record;	/* scratch, reused per message */
};

static int lnb_kmod_dump_msg(const struct nlmsghdr *nlh, void *arg,
			     struct lnb_detail *detail)
{
	struct lnb_dump_ctx *ctx = arg;
	int err;

	err = lnb_parse_record(nlh, LINUBIA_CMD_GET_USER, &ctx->record, detail);
	if (err)
		return err;
	return lnb_snapshot_add(ctx->snapshot, &ctx->record);
}

static int lnb_kmod_get_stats(void *priv, struct linubia_stats *stats,
			      struct lnb_detail *detail);

static int lnb_kmod_dump(void *priv, struct linubia_snapshot *snapshot,
			 struct lnb_detail *detail)
{
	char buf[LNB_NL_REQ_SIZE];
	struct lnb_nl *nl = priv;
	struct lnb_dump_ctx *ctx;
	struct linubia_stats stats;
	int err;

	ctx = malloc(sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->snapshot = snapshot;
	err = lnb_nl_transact(nl, lnb_nl_request(nl, buf, LINUBIA_CMD_GET_USER, NLM_F_DUMP),
			      lnb_kmod_dump_msg, ctx, detail);
	free(ctx);
	if (!err)
		err = lnb_kmod_get_stats(priv, &stats, detail);
	if (!err)
		lnb_snapshot_set_stats(snapshot, &stats);
	return err;
}

/* A request answered by exactly one message, parsed into out. */
struct lnb_one_reply {
	int (*parse)(const struct nlmsghdr *nlh, void *out, struct lnb_detail *detail);
	void *out;
	int got;
};

static int lnb_one_reply_msg(const struct nlmsghdr *nlh, void *arg,
			     struct lnb_detail *detail)
{
	struct lnb_one_reply *reply = arg;

	if (reply->got++) {
		lnb_detail_set(detail, "more than one reply message");
		return -LINUBIA_EBADREPLY;
	}
	return reply->parse(nlh, reply->out, detail);
}

static int lnb_kmod_ask_one(struct lnb_nl *nl, struct nlmsghdr *req,
			    struct lnb_one_reply *reply, struct lnb_detail *detail)
{
	int err = lnb_nl_transact(nl, req, lnb_one_reply_msg, reply, detail);

	if (!err && !reply->got) {
		lnb_detail_set(detail, "no reply message before the ACK");
		return -LINUBIA_EBADREPLY;
	}
	return err;
}

static int lnb_user_reply(const struct nlmsghdr *nlh, void *out,
			  struct lnb_detail *detail)
{
	return lnb_parse_record(nlh, LINUBIA_CMD_GET_USER, out, detail);
}

static int lnb_reset_reply(const struct nlmsghdr *nlh, void *out,
			   struct lnb_detail *detail)
{
	return lnb_parse_record(nlh, LINUBIA_CMD_RESET, out, detail);
}

static int lnb_stats_reply(const struct nlmsghdr *nlh, void *out,
			   struct lnb_detail *detail)
{
	return lnb_parse_stats(nlh, out, detail);
}

static int lnb_config_reply(const struct nlmsghdr *nlh, void *out,
			    struct lnb_detail *detail)
{
	return lnb_parse_config(nlh, out, detail);
}

static int lnb_read_gid_reply(const struct nlmsghdr *nlh, void *out,
			      struct lnb_detail *detail)
{
	return lnb_parse_read_gid(nlh, out, detail);
}

static int lnb_kmod_get_user(void *priv, uint32_t uid, struct linubia_record *record,
			     struct lnb_detail *detail)
{
	char buf[LNB_NL_REQ_SIZE];
	struct lnb_nl *nl = priv;
	struct nlmsghdr *nlh = lnb_nl_request(nl, buf, LINUBIA_CMD_GET_USER, 0);
	struct lnb_one_reply reply = { lnb_user_reply, record, 0 };

	mnl_attr_put_u32(nlh, LINUBIA_A_UID, uid);
	return lnb_kmod_ask_one(nl, nlh, &reply, detail);
}

/*
 * Admins read every record, and so do members of the module's read group
 * (read_gid), who may not reset or configure.  The module decides; ask it
 * for the unattributed record, which is nobody's own: EPERM means the
 * opener sees only its own record.  Asked once, like the admin question.
 */
static int lnb_kmod_reads_all(void *priv)
{
	struct lnb_kmod *k = priv;
	struct linubia_record scratch;
	struct lnb_detail detail;
	int err;

	if (k->reader >= 0)
		return k->reader;
	err = lnb_kmod_get_user(priv, LINUBIA_UID_UNATTRIBUTED, &scratch, &detail);
	if (err == 0 || err == -ENOENT)
		k->reader = 1;
	else if (err == -EPERM || err == -EACCES)
		k->reader = 0;
	else
		return err;
	return k->reader;
}

static int lnb_kmod_reset_user(void *priv, uint32_t uid, struct linubia_record *cleared,
			       struct lnb_detail *detail)
{
	char buf[LNB_NL_REQ_SIZE];
	struct lnb_nl *nl = priv;
	struct nlmsghdr *nlh = lnb_nl_request(nl, buf, LINUBIA_CMD_RESET, 0);
	struct lnb_one_reply reply = { lnb_reset_reply, cleared, 0 };

	mnl_attr_put_u32(nlh, LINUBIA_A_UID, uid);
	return lnb_kmod_ask_one(nl, nlh, &reply, detail);
}

static int lnb_no_reply_expected(const struct nlmsghdr *nlh, void *arg,
				 struct lnb_detail *detail)
{
	(void)nlh;
	(void)arg;
	lnb_detail_set(detail, "unexpected reply message");
	return -LINUBIA_EBADREPLY;
}

static int lnb_kmod_reset_all(void *priv, struct lnb_detail *detail)
{
	char buf[LNB_NL_REQ_SIZE];
	struct lnb_nl *nl = priv;
	struct nlmsghdr *nlh = lnb_nl_request(nl, buf, LINUBIA_CMD_RESET, 0);

	mnl_attr_put(nlh, LINUBIA_A_RESET_ALL, 0, NULL);
	return lnb_nl_transact(nl, nlh, lnb_no_reply_expected, NULL, detail);
}

static int lnb_kmod_get_stats(void *priv, struct linubia_stats *stats,
			      struct lnb_detail *detail)
{
	char buf[LNB_NL_REQ_SIZE];
	struct lnb_nl *nl = priv;
	struct lnb_one_reply reply = { lnb_stats_reply, stats, 0 };

	return lnb_kmod_ask_one(nl, lnb_nl_request(nl, buf, LINUBIA_CMD_GET_STATS, 0),
				&reply, detail);
}

static int lnb_kmod_get_config(void *priv, struct linubia_config *config,
			       struct lnb_detail *detail)
{
	char buf[LNB_NL_REQ_SIZE];
	struct lnb_nl *nl = priv;
	struct lnb_one_reply reply = { lnb_config_reply, config, 0 };

	return lnb_kmod_ask_one(nl, lnb_nl_request(nl, buf, LINUBIA_CMD_GET_CONFIG, 0),
				&reply, detail);
}

static int lnb_kmod_set_count_loopback(void *priv, bool on, struct lnb_detail *detail)
{
	char buf[LNB_NL_REQ_SIZE];
	struct lnb_nl *nl = priv;
	struct nlmsghdr *nlh = lnb_nl_request(nl, buf, LINUBIA_CMD_SET_CONFIG, 0);

	mnl_attr_put_u8(nlh, LINUBIA_A_COUNT_LOOPBACK, on);
	return lnb_nl_transact(nl, nlh, lnb_no_reply_expected, NULL, detail);
}

static int lnb_kmod_set_max_delegated(void *priv, uint32_t max, struct lnb_detail *detail)
{
	char buf[LNB_NL_REQ_SIZE];
	struct lnb_nl *nl = priv;
	struct nlmsghdr *nlh = lnb_nl_request(nl, buf, LINUBIA_CMD_SET_CONFIG, 0);

	mnl_attr_put_u32(nlh, LINUBIA_A_MAX_DELEGATED, max);
	return lnb_nl_transact(nl, nlh, lnb_no_reply_expected, NULL, detail);
}

static int lnb_kmod_get_read_gid(void *priv, uint32_t *gid, struct lnb_detail *detail)
{
	char buf[LNB_NL_REQ_SIZE];
	struct lnb_nl *nl = priv;
	struct lnb_one_reply reply = { lnb_read_gid_reply, gid, 0 };

	return lnb_kmod_ask_one(nl, lnb_nl_request(nl, buf, LINUBIA_CMD_GET_CONFIG, 0),
				&reply, detail);
}

static int lnb_kmod_set_read_gid(void *priv, uint32_t gid, struct lnb_detail *detail)
{
	char buf[LNB_NL_REQ_SIZE];
	struct lnb_nl *nl = priv;
	struct nlmsghdr *nlh = lnb_nl_request(nl, buf, LINUBIA_CMD_SET_CONFIG, 0);

	mnl_attr_put_u32(nlh, LINUBIA_A_READ_GID, gid);
	return lnb_nl_transact(nl, nlh, lnb_no_reply_expected, NULL, detail);
}

const struct lnb_backend_ops lnb_backend_kmod = {
	.name = "kmod",
	.open = lnb_kmod_open,
	.close = lnb_kmod_close,
	.privileged = lnb_kmod_privileged,
	.reads_all = lnb_kmod_reads_all,
	.dump = lnb_kmod_dump,
	.get_user = lnb_kmod_get_user,
	.reset_user = lnb_kmod_reset_user,
	.reset_all = lnb_kmod_reset_all,
	.get_stats = lnb_kmod_get_stats,
	.get_config = lnb_kmod_get_config,
	.set_count_loopback = lnb_kmod_set_count_loopback,
	.set_max_delegated = lnb_kmod_set_max_delegated,
	.get_read_gid = lnb_kmod_get_read_gid,
	.set_read_gid = lnb_kmod_set_read_gid,
};
