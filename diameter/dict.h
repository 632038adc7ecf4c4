/* SPDX-License-Identifier: GPL-2.0-only */
/* The LINUBIA AVPs in a freeDiameter dictionary (avps.h). */
#ifndef LNB_DIAMETER_DICT_H
#define LNB_DIAMETER_DICT_H

struct dictionary;

/* The sixteen Linux-* AVPs; 0 or an errno (already defined alike is fine). */
int lnb_dict_define_linux(struct dictionary *dict);
/* Accounting-Input/Output-Octets/-Packets, only where no extension
 * (dict_nasreq) defined them already. */
int lnb_dict_define_std(struct dictionary *dict);

#endif
