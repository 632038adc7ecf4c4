// SPDX-License-Identifier: GPL-2.0-only
/*
 * linubia-bpf-noop: attach the no-op cgroup_skb programs at the cgroup v2
 * root for as long as this process runs (unpinned bpf_links: they detach
 * when it exits, however it exits).  Prints "ingress PROG_ID egress PROG_ID"
 * once attached, then waits for stdin to close.
 * Usage: linubia-bpf-noop CGROUP2_PATH
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include <bpf/bpf.h>

#include "bpf-noop.skel.h"

static unsigned int prog_id(const struct bpf_program *prog)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return 0;
	return info.id;
}

int main(int argc, char **argv)
{
	struct bpf_link *in = NULL, *out = NULL;
	struct lnb_noop *skel;
	char buf[64];
	int cg, ret = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: linubia-bpf-noop CGROUP2_PATH\n");
		return 2;
	}
	cg = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		fprintf(stderr, "linubia-bpf-noop: open %s: %s (give the cgroup2 mount)\n",
			argv[1], strerror(errno));
		return 1;
	}
	skel = lnb_noop__open_and_load();
	if (!skel) {
		fprintf(stderr, "linubia-bpf-noop: load: %s (run as root)\n", strerror(errno));
		goto out;
	}
	in = bpf_program__attach_cgroup(skel->progs.noop_ingress, cg);
	out = in ? bpf_program__attach_cgroup(skel->progs.noop_egress, cg) : NULL;
	if (!in || !out) {
		fprintf(stderr, "linubia-bpf-noop: attach: %s (check the cgroup2 path)\n",
			strerror(errno));
		goto out;
	}
	printf("ingress %u egress %u\n", prog_id(skel->progs.noop_ingress),
	       prog_id(skel->progs.noop_egress));
	if (fflush(stdout))
		goto out;
	/* Stay attached until our parent closes stdin (or dies). */
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	ret = 0;
out:
	bpf_link__destroy(out);
	bpf_link__destroy(in);
	lnb_noop__destroy(skel);
	close(cg);
	return ret;
}
