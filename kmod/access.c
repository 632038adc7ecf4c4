// SPDX-License-Identifier: GPL-2.0-only
/*
 * Who may read every record, reset and configure: the opener of the
 * netlink socket or /proc file, with CAP_NET_ADMIN in the initial user
 * namespace, from the initial network namespace.  Members of the read
 * group (read_gid: snmpd's or an exporter's group) may read every record
 * from the initial network namespace, nothing more.  The state is global, so
 * a container with its own network namespace is no admin even with
 * CAP_NET_ADMIN (often granted to VPN containers), nor is a uid-0 process
 * without the capability (a container without user namespace).  Both
 * checks use the opener's credentials, as netlink_capable() does, so a
 * descriptor passed to a less privileged process keeps what its opener had
 * and a more privileged process cannot be tricked through one.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/moduleparam.h>
#include <net/net_namespace.h>

#include "internal.h"

static int read_gid = -1;
module_param(read_gid, int, 0444);
MODULE_PARM_DESC(read_gid,
		 "Members of this group (initial user namespace) may read every record; -1 = none (default; also settable over netlink)");

int lnb_access_init(void)
{
	if (read_gid < -1) {
		pr_err("linubia: read_gid=%d: a group ID, or -1 for none\n", read_gid);
		return -EINVAL;
	}
	return 0;
}

u32 lnb_read_gid(void)
{
	return (u32)READ_ONCE(read_gid);
}

void lnb_set_read_gid(u32 gid)
{
	WRITE_ONCE(read_gid, (int)gid);
}

/* The opener's fsgid, egid or a supplementary group is the read group. */
static bool lnb_in_read_group(const struct cred *cred)
{
	kgid_t gid = make_kgid(&init_user_ns, lnb_read_gid());
	const struct group_info *gi = cred->group_info;
	int i;

	if (!gid_valid(gid))
		return false;
	if (gid_eq(cred->fsgid, gid) || gid_eq(cred->egid, gid))
		return true;
	for (i = 0; i < gi->ngroups; i++)
		if (gid_eq(gi->gid[i], gid))
			return true;
	return false;
}

bool lnb_reader_file(const struct file *file, const struct net *net)
{
	return net_eq(net, &init_net) &&
	       (lnb_in_read_group(file->f_cred) ||
		file_ns_capable(file, &init_user_ns, CAP_NET_ADMIN));
}

bool lnb_admin_file(const struct file *file, const struct net *net)
{
	return net_eq(net, &init_net) &&
	       file_ns_capable(file, &init_user_ns, CAP_NET_ADMIN);
}

/* The opener's fsuid in the initial user namespace: its "own" record. */
u32 lnb_file_uid(const struct file *file)
{
	return from_kuid_munged(&init_user_ns, file->f_cred->fsuid);
}
