// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Generic netlink transport: one socket per handle, one request at a time,
 * replies read into a fixed receive buffer and handed message by message to
 * a callback, so a dump of any size needs no buffer of its size.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <stdlib.h>
#include <string.h>

#include "nl.h"

/*
 * The kernel sizes dump messages by the reader's buffer, up to 32 KiB; a
 * bigger buffer leaves room, and a truncated read is reported, not parsed.
 */
#define LNB_NL_RX_SIZE (64u * 1024u)

static int lnb_family_reply(const struct nlmsghdr *nlh, void *arg,
			    struct lnb_detail *detail)
{
	struct lnb_nl *nl = arg;
	uint32_t version = 0;
	int err;

	err = lnb_parse_family(nlh, &nl->family, &version, detail);
	if (err)
		return err;
	if (version != LINUBIA_GENL_VERSION) {
		lnb_detail_set(detail, "the module speaks ABI version %u, liblinubia %u",
			       version, LINUBIA_GENL_VERSION);
		return -LINUBIA_EVERSION;
	}
	return 0;
}

static int lnb_nl_resolve(struct lnb_nl *nl, struct lnb_detail *detail)
{
	char buf[LNB_NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	int err;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, LINUBIA_GENL_NAME);

	nl->family = GENL_ID_CTRL;	/* replies come from the controller */
	err = lnb_nl_transact(nl, nlh, lnb_family_reply, nl, detail);
	if (err == -ENOENT) {
		lnb_detail_set(detail, "generic netlink family \"%s\" is not registered",
			       LINUBIA_GENL_NAME);
		return -LINUBIA_ENOBACKEND;
	}
	if (!err && nl->family == GENL_ID_CTRL)
		return -LINUBIA_EBADREPLY;
	return err;
}

int lnb_nl_open(struct lnb_nl *nl, struct lnb_detail *detail)
{
	int on = 1, err;

	memset(nl, 0, sizeof(*nl));
	nl->rx_size = LNB_NL_RX_SIZE;
	nl->rx = malloc(nl->rx_size);
	if (!nl->rx)
		return -ENOMEM;
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		lnb_detail_set(detail, "cannot open a generic netlink socket: %s",
			       strerror(errno));
		lnb_nl_close(nl);
		return err;
	}
	/* Error messages from the kernel, without an echo of our request.
	 * Old kernels lack these options: errors then come without text. */
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &on, sizeof(on));
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &on, sizeof(on));
	nl->portid = mnl_socket_get_portid(nl->sock);
	err = lnb_nl_resolve(nl, detail);
	if (err)
		lnb_nl_close(nl);
	return err;
}

void lnb_nl_close(struct lnb_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->rx);
	memset(nl, 0, sizeof(*nl));
}

struct nlmsghdr *lnb_nl_request(struct lnb_nl *nl, void *buf, uint8_t cmd,
				uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = nl->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = LINUBIA_GENL_VERSION;
	return nlh;
}

int lnb_nl_transact(struct lnb_nl *nl, struct nlmsghdr *req, lnb_msg_fn fn,
		    void *arg, struct lnb_detail *detail)
{
	struct lnb_reply_expect expect = {
		.seq = req->nlmsg_seq, .portid = nl->portid, .family = nl->family,
	};
	int ret;

	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0) {
		ret = -errno;
		lnb_detail_set(detail, "sending a netlink request: %s", strerror(errno));
		return ret;
	}
	do {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->rx, nl->rx_size);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			lnb_detail_set(detail, "receiving a netlink reply: %s",
				       errno == ENOSPC ? "message larger than the buffer"
						       : strerror(errno));
			return ret;
		}
		ret = lnb_parse_stream(nl->rx, (size_t)n, &expect, fn, arg, detail);
	} while (ret == LNB_STREAM_MORE);
	return ret;
}
