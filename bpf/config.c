// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Runtime configuration in the lnb_config map, which the loader fills
 * before the programs are attached (bpf/load.c).  It stores skip_loopback
 * so that the map's all-zero initial state counts loopback traffic, as the
 * module does.  Every call first checks that the handle still reads the
 * loaded backend: a write to the maps of an unloaded one would "succeed"
 * and change nothing.
 */
#include <errno.h>

#include <bpf/bpf.h>

#include "internal.h"

int lnb_config_read(const struct linubia_bpf *h, struct lnb_bpf_config *cfg,
		    struct linubia_bpf_error *err)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(h->fd[LNB_MAP_CONFIG], &zero, cfg))
		return lnb_fail(err, errno, "read the configuration", "retry");
	return 0;
}

int linubia_bpf_get_count_loopback(struct linubia_bpf *h, bool *on,
				   struct linubia_bpf_error *err)
{
	struct lnb_bpf_config cfg;
	int ret = lnb_check_current(h, err);

	if (!ret)
		ret = lnb_config_read(h, &cfg, err);
	if (!ret)
		*on = !cfg.skip_loopback;
	return ret;
}

int linubia_bpf_get_max_delegated(struct linubia_bpf *h, uint32_t *max,
				  struct linubia_bpf_error *err)
{
	struct lnb_bpf_config cfg;
	int ret = lnb_check_current(h, err);

	if (!ret)
		ret = lnb_config_read(h, &cfg, err);
	if (!ret)
		*max = cfg.max_delegated;
	return ret;
}

/* Read, change and write the configuration under the lock. */
static int lnb_config_change(struct linubia_bpf *h, bool set_loopback, bool on,
			     bool set_max, uint32_t max, struct linubia_bpf_error *err)
{
	struct lnb_bpf_config cfg;
	__u32 zero = 0;
	int lock, ret;

	ret = lnb_need_root(err, "configure");
	if (ret)
		return ret;
	lock = lnb_lock(err, "configure");
	if (lock < 0)
		return lock;
	ret = lnb_check_current(h, err);
	if (!ret)
		ret = lnb_config_read(h, &cfg, err);
	if (!ret && set_max && max > cfg.max_users)
		ret = lnb_failf(err, ERANGE, "use at most max_users",
				"set max_delegated: %u is above max_users %u", max, cfg.max_users);
	if (!ret) {
		if (set_loopback)
			cfg.skip_loopback = !on;
		if (set_max)
			cfg.max_delegated = max;
		if (bpf_map_update_elem(h->fd[LNB_MAP_CONFIG], &zero, &cfg, BPF_EXIST))
			ret = lnb_fail(err, errno, "write the configuration", "retry");
	}
	lnb_unlock(lock);
	return ret;
}

int linubia_bpf_set_count_loopback(struct linubia_bpf *h, bool on,
				   struct linubia_bpf_error *err)
{
	return lnb_config_change(h, true, on, false, 0, err);
}

int linubia_bpf_set_max_delegated(struct linubia_bpf *h, uint32_t max,
				  struct linubia_bpf_error *err)
{
	return lnb_config_change(h, false, false, true, max, err);
}
