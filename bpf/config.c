// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Runtime configuration in the lnb_config map.  The map stores
 * skip_loopback so that its all-zero initial state is the default (count
 * loopback traffic, as the module does) without an initialisation step.
 */
#include <errno.h>

#include <bpf/bpf.h>

#include "internal.h"

int linubia_bpf_get_count_loopback(struct linubia_bpf *h, bool *on,
				   struct linubia_bpf_error *err)
{
	struct lnb_bpf_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(h->fd[LNB_MAP_CONFIG], &zero, &cfg))
		return lnb_fail(err, errno, "read the configuration", "retry");
	*on = !cfg.skip_loopback;
	return 0;
}

int linubia_bpf_set_count_loopback(struct linubia_bpf *h, bool on,
				   struct linubia_bpf_error *err)
{
	struct lnb_bpf_config cfg = { .skip_loopback = !on };
	__u32 zero = 0;
	int lock, ret;

	ret = lnb_need_root(err, "configure");
	if (ret)
		return ret;
	lock = lnb_lock(err, "configure");
	if (lock < 0)
		return lock;
	if (bpf_map_update_elem(h->fd[LNB_MAP_CONFIG], &zero, &cfg, BPF_ANY))
		ret = lnb_fail(err, errno, "set count_loopback", "retry");
	lnb_unlock(lock);
	return ret;
}
