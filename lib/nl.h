/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A generic netlink socket with request/reply transactions (libmnl).  The
 * replies go through the pure parser in parse.c.
 */
#ifndef LNB_NL_H
#define LNB_NL_H

#include <libmnl/libmnl.h>

#include "parse.h"

struct lnb_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;	/* resolved id of LINUBIA_GENL_NAME */
	char *rx;		/* receive buffer; records accumulate elsewhere */
	size_t rx_size;
};

/* Buffer big enough for any request we send (a few small attributes). */
#define LNB_NL_REQ_SIZE 256

/* Open, bind and resolve the family; -LINUBIA_ENOBACKEND if unregistered. */
int lnb_nl_open(struct lnb_nl *nl, struct lnb_detail *detail);
void lnb_nl_close(struct lnb_nl *nl);
/* Start a request for cmd of our family in buf (LNB_NL_REQ_SIZE bytes). */
struct nlmsghdr *lnb_nl_request(struct lnb_nl *nl, void *buf, uint8_t cmd,
				uint16_t flags);
/* Send req and feed every reply message to fn until the ACK or DONE. */
int lnb_nl_transact(struct lnb_nl *nl, struct nlmsghdr *req, lnb_msg_fn fn,
		    void *arg, struct lnb_detail *detail);

#endif /* LNB_NL_H */
