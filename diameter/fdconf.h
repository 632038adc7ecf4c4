/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef LNB_DIAMETER_FDCONF_H
#define LNB_DIAMETER_FDCONF_H

#include <stddef.h>

#include "conf.h"

/*
 * freeDiameter's configuration from ours: identity, realm, no listening
 * socket (Port = 0, SecPort = 0: a client needs none, and freeDiameter
 * would bind every address), one ConnectPeer per peer (TCP; TLS when the
 * tls_ files are given), Tc and Tw timers.  Written to path; msg says what
 * failed.  -errno.
 */
int lnb_fdconf_write(const struct lnb_dconf *c, const char *path, char *msg, size_t msgsize);

#endif
