// SPDX-License-Identifier: GPL-2.0-only
/*
 * Writes seed inputs for fuzz-parse into a directory: well-formed replies
 * of each kind, so the fuzzer starts from the real message shapes.
 * Usage: make-seeds DIR
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <stdio.h>
#include <string.h>

#include "../tests/unit/msgbuild.h"

static struct mb m;

static int write_seed(const char *dir, const char *name, unsigned char mode)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(&mode, 1, 1, f) != 1 || fwrite(m.buf, 1, m.len, f) != m.len ||
	    fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct linubia_record r = { .uid = 1001, .first_seen_ns = 1, .last_reset_ns = 2 };
	struct linubia_stats s = { .users = 2, .max_users = 10 };
	struct nlmsghdr *nlh;
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: make-seeds DIR\n");
		return 2;
	}
	r.counters[LINUBIA_C_IN_IPV4_TCP_BYTES] = 1234;
	r.counters[LINUBIA_C_OUT_IPV6_ICMP_PACKETS] = 5;
	mb_reset(&m);
	mb_record(&m, LINUBIA_CMD_GET_USER, &r);
	r.uid = LINUBIA_UID_UNATTRIBUTED;
	mb_record(&m, LINUBIA_CMD_GET_USER, &r);
	mb_done(&m, 0);
	bad |= write_seed(argv[1], "dump", 0);

	mb_reset(&m);
	mb_stats(&m, &s);
	mb_error(&m, 0, NULL, 1);
	bad |= write_seed(argv[1], "stats", 1);

	mb_reset(&m);
	mb_config(&m, 1, 10, 5);
	mb_error(&m, 0, NULL, 1);
	bad |= write_seed(argv[1], "config", 2);

	mb_reset(&m);
	nlh = mb_genl(&m, CTRL_CMD_NEWFAMILY, 2, 0);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x21);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 1);
	mb_end(&m, nlh);
	mb_error(&m, 0, NULL, 1);
	bad |= write_seed(argv[1], "family", 3);

	mb_reset(&m);
	mb_error(&m, -EPERM, "needs CAP_NET_ADMIN", 0);
	bad |= write_seed(argv[1], "error", 0);
	return bad;
}
