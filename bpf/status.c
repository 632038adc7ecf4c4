// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Status: whether the links are pinned, which programs they hold, and the
 * table's size and configuration.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "internal.h"

static const char *const lnb_link_pin[LINUBIA_DIR_COUNT] = {
	[LINUBIA_DIR_IN] = LNB_BPF_PIN_LINK_IN,
	[LINUBIA_DIR_OUT] = LNB_BPF_PIN_LINK_OUT,
};

/* The loader's program pairs (bpf/load.c), by their ingress program's name. */
static const struct {
	const char *prog;
	const char *variant;
} lnb_variants[] = {
	{ "lnb_ingress", "kfunc" },
	{ "lnb_ingress_pr", "probe_read" },
};

static int lnb_prog_variant(uint32_t prog_id, char *variant, size_t len,
			    struct linubia_bpf_error *err)
{
	struct bpf_prog_info info;
	__u32 info_len = sizeof(info);
	int fd, ret = 0;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return lnb_failf(err, errno, "load again", "status: open program %u", prog_id);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len))
		ret = lnb_failf(err, errno, "report a bug", "status: read program %u", prog_id);
	close(fd);
	if (ret)
		return ret;
	for (size_t i = 0; i < LNB_ARRAY_SIZE(lnb_variants); i++) {
		if (!strcmp(info.name, lnb_variants[i].prog)) {
			snprintf(variant, len, "%s", lnb_variants[i].variant);
			return 0;
		}
	}
	return lnb_failf(err, ENOENT, "run `linubia-bpf unload`, then load again",
			 "status: program %u (%s) is not one of linubia's", prog_id, info.name);
}

/* 1 if the link is pinned (ids filled), 0 if not, or -errno. */
static int lnb_link_ids(const char *pin, uint32_t *link_id, uint32_t *prog_id,
			struct linubia_bpf_error *err)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	char path[128];
	int fd, ret = 1;

	if (lnb_pin_path(path, sizeof(path), pin))
		return lnb_fail(err, ENAMETOOLONG, "status: pin path", "report a bug");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : lnb_failf(err, errno, "check " LNB_BPF_PIN_DIR,
						       "status: open %s", path);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		ret = lnb_failf(err, errno, "report a bug", "status: read link %s", path);
	*link_id = info.id;
	*prog_id = info.prog_id;
	close(fd);
	return ret;
}

int linubia_bpf_status(struct linubia_bpf_status *st, struct linubia_bpf_error *err)
{
	struct linubia_bpf_stats stats;
	struct linubia_bpf *h;
	int ret, pinned = 0;

	memset(st, 0, sizeof(*st));
	strcpy(st->pin_dir, LNB_BPF_PIN_DIR);
	ret = lnb_need_root(err, "inspect");
	if (ret)
		return ret;
	ret = lnb_cgroup_root(st->cgroup, sizeof(st->cgroup), err);
	if (ret)
		return ret;
	for (int d = 0; d < LINUBIA_DIR_COUNT; d++) {
		ret = lnb_link_ids(lnb_link_pin[d], &st->link_id[d], &st->prog_id[d], err);
		if (ret < 0)
			return ret;
		pinned += ret;
	}
	st->loaded = pinned == LINUBIA_DIR_COUNT;
	if (!st->loaded)
		return 0;
	ret = lnb_prog_variant(st->prog_id[LINUBIA_DIR_IN], st->variant, sizeof(st->variant), err);
	if (!ret)
		ret = linubia_bpf_open(&h, err);
	if (ret)
		return ret;
	ret = linubia_bpf_read_stats(h, &stats, err);
	if (!ret)
		ret = linubia_bpf_get_count_loopback(h, &st->count_loopback, err);
	st->users = stats.users;
	st->max_users = stats.max_users;
	st->delegated_users = stats.delegated_users;
	st->max_delegated = stats.max_delegated;
	st->slots_used = lnb_slots_used(h);
	st->slots = LNB_BPF_SLOTS;
	linubia_bpf_close(h);
	return ret;
}
