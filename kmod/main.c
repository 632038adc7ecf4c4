// SPDX-License-Identifier: GPL-2.0-only
/*
 * linubia.ko: per-user IP traffic accounting.  Module entry points and the
 * runtime configuration; the work is done in table.c (records), hook.c
 * (packets), netlink.c and procfs.c (views).
 */
#include <linux/build_bug.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <net/genetlink.h>

#include "internal.h"

static bool count_loopback = true;
module_param(count_loopback, bool, 0644);
MODULE_PARM_DESC(count_loopback,
		 "Count traffic on loopback devices (default: on; also settable over netlink)");

static unsigned int max_users;
module_param(max_users, uint, 0444);
MODULE_PARM_DESC(max_users,
		 "Maximum user records, up to 4194304; 0 = as many as fit in 32 MiB (default)");

static int max_delegated = -1;
module_param(max_delegated, int, 0444);
MODULE_PARM_DESC(max_delegated,
		 "Records for the UIDs one user delegates (user namespaces, subordinate UIDs), 0 .. max_users; -1 = 1024 or max_users if smaller (default; also settable over netlink)");

bool lnb_count_loopback(void)
{
	return READ_ONCE(count_loopback);
}

void lnb_set_count_loopback(bool on)
{
	WRITE_ONCE(count_loopback, on);
}

/* The counter list in the UAPI header must follow LINUBIA_COUNTER(). */
#define LNB_CHECK_COUNTER(E, name, d, f, p, u)				\
	BUILD_BUG_ON(LINUBIA_C_##E !=					\
		     LINUBIA_COUNTER(LINUBIA_DIR_##d, LINUBIA_FAMILY_##f,	\
				     LINUBIA_PROTO_##p, LINUBIA_UNIT_##u));

static void lnb_check_layout(void)
{
	LINUBIA_COUNTERS(LNB_CHECK_COUNTER)
	/* lnb_user_add() bumps bytes and the packets counter right after. */
	BUILD_BUG_ON(LINUBIA_UNIT_PACKETS != LINUBIA_UNIT_BYTES + 1);
}

static int __init lnb_init(void)
{
	int err;

	lnb_check_layout();
	err = lnb_access_init();
	if (err)
		return err;
	err = lnb_table_init(&max_users, &max_delegated);
	if (err)
		return err;
	err = lnb_sctp_init();
	if (err)
		goto err_table;
	err = lnb_hooks_init();
	if (err)
		goto err_sctp;
	err = lnb_procfs_init();
	if (err)
		goto err_hooks;
	err = lnb_netlink_init();
	if (err)
		goto err_procfs;
	return 0;

err_procfs:
	lnb_procfs_exit();
err_hooks:
	lnb_hooks_exit();
	synchronize_net();
err_sctp:
	lnb_sctp_exit();
err_table:
	lnb_table_destroy();
	return err;
}

static void __exit lnb_exit(void)
{
	lnb_netlink_exit();
	lnb_procfs_exit();
	lnb_hooks_exit();
	/* Packets still in a hook and RCU readers are done after this. */
	synchronize_net();
	lnb_sctp_exit();
	lnb_table_destroy();
}

module_init(lnb_init);
module_exit(lnb_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The LINUBIA developers");
MODULE_DESCRIPTION("Per-user IP traffic accounting");
MODULE_VERSION("0.1");
MODULE_ALIAS_GENL_FAMILY(LINUBIA_GENL_NAME);
