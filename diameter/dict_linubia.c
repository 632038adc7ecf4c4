// SPDX-License-Identifier: GPL-2.0-only
/*
 * dict_linubia.fdx: a freeDiameter extension that names the sixteen
 * Linux-* AVPs (codes 5001-5008, 5101-5108, Unsigned64, M clear) so that
 * any freeDiameter server (app_acct, dbg_msg_dumps, ...) can use them:
 *   LoadExtension = "dict_linubia.fdx";
 */
#include <freeDiameter/extension.h>

#include "dict.h"

static int lnb_dict_entry(char *conffile)
{
	(void)conffile;
	return lnb_dict_define_linux(fd_g_config->cnf_dict);
}

EXTENSION_ENTRY("dict_linubia", lnb_dict_entry);
