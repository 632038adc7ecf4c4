// SPDX-License-Identifier: GPL-2.0-only
/*
 * Who may read every record, reset and configure: the opener of the
 * netlink socket or /proc file, with CAP_NET_ADMIN in the initial user
 * namespace, from the initial network namespace.  The state is global, so
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
#include <net/net_namespace.h>

#include "internal.h"

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
