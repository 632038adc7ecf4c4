// SPDX-License-Identifier: GPL-2.0-only
/*
 * The generic netlink family "linubia": dump and get records, reset, global
 * statistics and configuration.  The attribute layout is documented at the
 * top of include/uapi/linux/linubia.h.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/rculist.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "compat.h"
#include "internal.h"

static const struct nla_policy lnb_policy[LINUBIA_A_MAX + 1] = {
	[LINUBIA_A_UID]			= { .type = NLA_U32 },
	[LINUBIA_A_RESET_ALL]		= { .type = NLA_FLAG },
	[LINUBIA_A_COUNT_LOOPBACK]	= NLA_POLICY_MAX(NLA_U8, 1),
	[LINUBIA_A_MAX_DELEGATED]	= { .type = NLA_U32 },
	[LINUBIA_A_READ_GID]		= { .type = NLA_U32 },
	/* Reply-only attributes are refused in requests. */
	[LINUBIA_A_FIRST_SEEN_NS]	= { .type = NLA_REJECT },
	[LINUBIA_A_LAST_RESET_NS]	= { .type = NLA_REJECT },
	[LINUBIA_A_COUNTERS]		= { .type = NLA_REJECT },
	[LINUBIA_A_USERS]		= { .type = NLA_REJECT },
	[LINUBIA_A_MAX_USERS]		= { .type = NLA_REJECT },
	[LINUBIA_A_STATS]		= { .type = NLA_REJECT },
	[LINUBIA_A_DELEGATED_BY]	= { .type = NLA_REJECT },
	[LINUBIA_A_DELEGATED_USERS]	= { .type = NLA_REJECT },
};

static struct genl_family lnb_family;

/* The requesting socket: its opener decides (access.c). */
static struct sock *lnb_requester(const struct sk_buff *skb)
{
	return NETLINK_CB(skb).sk;
}

static bool lnb_is_admin(const struct sk_buff *skb)
{
	struct sock *sk = lnb_requester(skb);

	return lnb_admin_file(sk->sk_socket->file, sock_net(sk));
}

/* May the requester read every record (admin, or the read group)? */
static bool lnb_is_reader(const struct sk_buff *skb)
{
	struct sock *sk = lnb_requester(skb);

	return lnb_reader_file(sk->sk_socket->file, sock_net(sk));
}

static u32 lnb_caller_uid(const struct sk_buff *skb)
{
	return lnb_file_uid(lnb_requester(skb)->sk_socket->file);
}

/* Reset and configuration: admins only, with a message saying why not. */
static int lnb_need_admin(const struct sk_buff *skb, struct genl_info *info)
{
	if (lnb_is_admin(skb))
		return 0;
	NL_SET_ERR_MSG_MOD(info->extack,
			   "needs CAP_NET_ADMIN in the initial user and network namespace");
	return -EPERM;
}

/* A nest of u64 values whose attribute type is index + 1, zeros omitted. */
static int lnb_put_u64_nest(struct sk_buff *skb, int type, const u64 *vals,
			    unsigned int n, bool skip_zero)
{
	struct nlattr *nest;
	unsigned int i;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		if (skip_zero && !vals[i])
			continue;
		if (nla_put_u64_64bit(skb, LINUBIA_NEST_TYPE(i), vals[i],
				      LINUBIA_NEST_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int lnb_put_record(struct sk_buff *skb, const struct lnb_user *u,
			  const u64 *c, u64 last_reset_ns, u32 portid, u32 seq,
			  int flags, u8 cmd)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &lnb_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, LINUBIA_A_UID, u->uid) ||
	    nla_put_u64_64bit(skb, LINUBIA_A_FIRST_SEEN_NS, u->first_seen_ns,
			      LINUBIA_A_PAD) ||
	    nla_put_u64_64bit(skb, LINUBIA_A_LAST_RESET_NS, last_reset_ns,
			      LINUBIA_A_PAD) ||
	    (u->delegated_by != LNB_NOT_DELEGATED &&
	     nla_put_u32(skb, LINUBIA_A_DELEGATED_BY, u->delegated_by)) ||
	    lnb_put_u64_nest(skb, LINUBIA_A_COUNTERS, c, LINUBIA_COUNTER_COUNT,
			     true)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int lnb_put_user(struct sk_buff *skb, const struct lnb_user *u,
			u32 portid, u32 seq, int flags)
{
	u64 c[LINUBIA_COUNTER_COUNT], last_reset_ns;

	lnb_user_read(u, c, &last_reset_ns);
	return lnb_put_record(skb, u, c, last_reset_ns, portid, seq, flags,
			      LINUBIA_CMD_GET_USER);
}

/*
 * Dump cursor in cb->args: [0] bucket, [1] index in the bucket (stable,
 * records are tail-added and never removed), [2] 0 for an admin, else the
 * caller's UID + 1: such a caller sees only its own record.  Decided once,
 * at the start of the dump, from the requesting socket's opener.
 */
enum { LNB_CB_BUCKET, LNB_CB_INDEX, LNB_CB_ONLY_UID };

static int lnb_dump_start(struct netlink_callback *cb)
{
	cb->args[LNB_CB_ONLY_UID] =
		lnb_is_reader(cb->skb) ? 0 : (unsigned long)lnb_caller_uid(cb->skb) + 1;
	return 0;
}

static int lnb_dump_own(struct sk_buff *skb, struct netlink_callback *cb)
{
	u32 uid = cb->args[LNB_CB_ONLY_UID] - 1;
	struct lnb_user *u;
	int err = 0;

	if (cb->args[LNB_CB_BUCKET])
		return 0;
	rcu_read_lock();
	u = lnb_user_lookup(uid);
	if (u)
		err = lnb_put_user(skb, u, NETLINK_CB(cb->skb).portid,
				   cb->nlh->nlmsg_seq, NLM_F_MULTI);
	rcu_read_unlock();
	if (err)
		return err;
	cb->args[LNB_CB_BUCKET] = 1;
	return skb->len;
}

static int lnb_dump_users(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long bucket = cb->args[LNB_CB_BUCKET];
	unsigned long index = cb->args[LNB_CB_INDEX];
	struct lnb_user *u;
	unsigned long i;
	int err = 0;

	if (cb->args[LNB_CB_ONLY_UID])
		return lnb_dump_own(skb, cb);

	rcu_read_lock();
	for (; bucket < lnb_nr_buckets(); bucket++, index = 0) {
		i = 0;
		hlist_for_each_entry_rcu(u, lnb_bucket(bucket), node) {
			if (i++ < index)
				continue;
			err = lnb_put_user(skb, u, NETLINK_CB(cb->skb).portid,
					   cb->nlh->nlmsg_seq, NLM_F_MULTI);
			if (err) {
				index = i - 1;
				goto out;
			}
		}
	}
out:
	rcu_read_unlock();
	cb->args[LNB_CB_BUCKET] = bucket;
	cb->args[LNB_CB_INDEX] = index;
	/* A record that fits no empty message can never be sent. */
	if (err && !skb->len)
		return err;
	return skb->len;
}

static int lnb_get_user(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	struct lnb_user *u;
	u32 uid;
	int err;

	if (!info->attrs[LINUBIA_A_UID]) {
		NL_SET_ERR_MSG_MOD(info->extack, "missing LINUBIA_A_UID");
		return -EINVAL;
	}
	uid = nla_get_u32(info->attrs[LINUBIA_A_UID]);
	if (uid != lnb_caller_uid(skb) && !lnb_is_reader(skb)) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "reading another user's record needs CAP_NET_ADMIN or the read group, in the initial network namespace");
		return -EPERM;
	}
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	rcu_read_lock();
	u = lnb_user_lookup(uid);
	err = u ? lnb_put_user(msg, u, info->snd_portid, info->snd_seq, 0) :
		  -ENOENT;
	rcu_read_unlock();
	if (err) {
		if (err == -ENOENT)
			NL_SET_ERR_MSG_MOD(info->extack, "no record for this UID");
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* Reset one UID, replying with the counters it cleared. */
static int lnb_reset_one(struct genl_info *info, struct nlattr *attr)
{
	u64 cleared[LINUBIA_COUNTER_COUNT], last_reset_ns;
	u32 uid = nla_get_u32(attr);
	struct sk_buff *msg;
	struct lnb_user *u;
	int err;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	if (lnb_user_reset(uid, cleared, &last_reset_ns)) {
		nlmsg_free(msg);
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "no record for this UID");
		return -ENOENT;
	}
	rcu_read_lock();
	u = lnb_user_lookup(uid);	/* records are never removed */
	err = lnb_put_record(msg, u, cleared, last_reset_ns, info->snd_portid,
			     info->snd_seq, 0, LINUBIA_CMD_RESET);
	rcu_read_unlock();
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

static int lnb_reset(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *uid = info->attrs[LINUBIA_A_UID];
	bool all = nla_get_flag(info->attrs[LINUBIA_A_RESET_ALL]);
	int err = lnb_need_admin(skb, info);

	if (err)
		return err;
	if (!!uid == all) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "reset needs exactly one of LINUBIA_A_UID and LINUBIA_A_RESET_ALL");
		return -EINVAL;
	}
	if (uid)
		return lnb_reset_one(info, uid);
	lnb_reset_all();
	return 0;
}

/* Start a reply to @info; the caller fills it and calls lnb_reply_end(). */
static struct sk_buff *lnb_reply_start(struct genl_info *info, u8 cmd,
				       void **hdr)
{
	struct sk_buff *msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);

	if (!msg)
		return NULL;
	*hdr = genlmsg_put_reply(msg, info, &lnb_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int lnb_reply_end(struct sk_buff *msg, void *hdr, struct genl_info *info,
			 int fill_err)
{
	if (fill_err) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int lnb_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	u64 stats[LINUBIA_STAT_COUNT];
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = lnb_reply_start(info, LINUBIA_CMD_GET_STATS, &hdr);
	if (!msg)
		return -ENOMEM;
	lnb_stats_read(stats);
	err = nla_put_u32(msg, LINUBIA_A_USERS, lnb_nr_records()) ||
	      nla_put_u32(msg, LINUBIA_A_MAX_USERS, lnb_max_users()) ||
	      nla_put_u32(msg, LINUBIA_A_DELEGATED_USERS, lnb_nr_delegated()) ||
	      nla_put_u32(msg, LINUBIA_A_MAX_DELEGATED, lnb_max_delegated()) ||
	      lnb_put_u64_nest(msg, LINUBIA_A_STATS, stats, LINUBIA_STAT_COUNT,
			       false);
	return lnb_reply_end(msg, hdr, info, err);
}

static int lnb_get_config(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = lnb_reply_start(info, LINUBIA_CMD_GET_CONFIG, &hdr);
	if (!msg)
		return -ENOMEM;
	err = nla_put_u8(msg, LINUBIA_A_COUNT_LOOPBACK, lnb_count_loopback()) ||
	      nla_put_u32(msg, LINUBIA_A_MAX_USERS, lnb_max_users()) ||
	      nla_put_u32(msg, LINUBIA_A_MAX_DELEGATED, lnb_max_delegated()) ||
	      nla_put_u32(msg, LINUBIA_A_READ_GID, lnb_read_gid());
	return lnb_reply_end(msg, hdr, info, err);
}

/* Every value is checked before any is applied: all or nothing. */
static int lnb_set_config(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *loopback = info->attrs[LINUBIA_A_COUNT_LOOPBACK];
	struct nlattr *max_delegated = info->attrs[LINUBIA_A_MAX_DELEGATED];
	struct nlattr *read_gid = info->attrs[LINUBIA_A_READ_GID];
	int err = lnb_need_admin(skb, info);

	if (err)
		return err;
	if (!loopback && !max_delegated && !read_gid) {
		NL_SET_ERR_MSG_MOD(info->extack, "no setting given");
		return -EINVAL;
	}
	if (max_delegated && nla_get_u32(max_delegated) > lnb_max_users()) {
		NL_SET_ERR_MSG_ATTR(info->extack, max_delegated,
				    "max_delegated must not exceed max_users");
		return -ERANGE;
	}
	if (read_gid && nla_get_u32(read_gid) != LINUBIA_NO_GID &&
	    nla_get_u32(read_gid) > INT_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack, read_gid,
				    "read_gid must be a group ID up to 2^31-1, or 4294967295 for none");
		return -ERANGE;
	}
	if (max_delegated)
		lnb_set_max_delegated(nla_get_u32(max_delegated));
	if (read_gid)
		lnb_set_read_gid(nla_get_u32(read_gid));
	if (loopback)
		lnb_set_count_loopback(nla_get_u8(loopback));
	return 0;
}

static const struct genl_ops lnb_ops[] = {
	{
		.cmd = LINUBIA_CMD_GET_USER,
		.start = lnb_dump_start,
		.dumpit = lnb_dump_users,
		.doit = lnb_get_user,
	}, {
		.cmd = LINUBIA_CMD_RESET,
		.doit = lnb_reset,
	}, {
		.cmd = LINUBIA_CMD_GET_STATS,
		.doit = lnb_get_stats,
	}, {
		.cmd = LINUBIA_CMD_GET_CONFIG,
		.doit = lnb_get_config,
	}, {
		.cmd = LINUBIA_CMD_SET_CONFIG,
		.doit = lnb_set_config,
	},
};

static struct genl_family lnb_family __ro_after_init = {
	.name = LINUBIA_GENL_NAME,
	.version = LINUBIA_GENL_VERSION,
	.maxattr = LINUBIA_A_MAX,
	.policy = lnb_policy,
	/* Containers may read their own record; the rest is init_net only. */
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = lnb_ops,
	.n_ops = ARRAY_SIZE(lnb_ops),
	/* resv_start_op 0: every command strictly validated (a new family). */
};

int lnb_netlink_init(void)
{
	return genl_register_family(&lnb_family);
}

void lnb_netlink_exit(void)
{
	genl_unregister_family(&lnb_family);
}
