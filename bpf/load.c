// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Load and unload: the skeleton's programs are attached at the cgroup v2
 * root with bpf_links (never an exclusive attach: other programs there keep
 * running), and the links and maps are pinned, so accounting goes on with no
 * process left.  Unload detaches the links synchronously before removing the
 * pins, so no program is attached once it returns.
 *
 * The object holds two program pairs (see linubia.bpf.c); only the one the
 * running kernel supports is loaded, chosen from its BTF.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "linubia.skel.h"

static const char *const lnb_link_pins[LINUBIA_DIR_COUNT] = {
	[LINUBIA_DIR_IN] = LNB_BPF_PIN_LINK_IN,
	[LINUBIA_DIR_OUT] = LNB_BPF_PIN_LINK_OUT,
};

/* libbpf's messages (the verifier log) only when asked for. */
static int lnb_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || !getenv("LINUBIA_BPF_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

enum lnb_variant { LNB_VARIANT_KFUNC, LNB_VARIANT_PROBE_READ };

/* As linubia_bpf_status() reports them (from the programs' names). */
static const char *const lnb_variant_names[] = {
	[LNB_VARIANT_KFUNC] = "kfunc",
	[LNB_VARIANT_PROBE_READ] = "probe_read",
};

/*
 * The kfunc pair needs bpf_cast_to_kern_ctx and bpf_rdonly_cast (Linux
 * 6.2); older kernels get the probe_read pair.  LINUBIA_BPF_VARIANT forces
 * one, so that both can be tested on a new kernel.
 */
static int lnb_pick_variant(enum lnb_variant *variant, struct linubia_bpf_error *err)
{
	const char *forced = getenv("LINUBIA_BPF_VARIANT");
	struct btf *btf;

	if (forced && *forced) {
		for (size_t i = 0; i < LNB_ARRAY_SIZE(lnb_variant_names); i++) {
			if (!strcmp(forced, lnb_variant_names[i])) {
				*variant = i;
				return 0;
			}
		}
		return lnb_failf(err, EINVAL, "use kfunc or probe_read, or unset it",
				 "load: LINUBIA_BPF_VARIANT=%s", forced);
	}
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return lnb_fail(err, errno, "load: read the kernel's BTF",
				"needs a kernel built with CONFIG_DEBUG_INFO_BTF");
	if (btf__find_by_name_kind(btf, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC) > 0 &&
	    btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0)
		*variant = LNB_VARIANT_KFUNC;
	else
		*variant = LNB_VARIANT_PROBE_READ;
	btf__free(btf);
	return 0;
}

/* Load only the chosen pair: the other may not pass this kernel's verifier. */
static int lnb_select_programs(struct lnb_skel *skel, enum lnb_variant variant,
			       struct bpf_program **in, struct bpf_program **out,
			       struct linubia_bpf_error *err)
{
	bool pr = variant == LNB_VARIANT_PROBE_READ;

	if (bpf_program__set_autoload(skel->progs.lnb_ingress, !pr) ||
	    bpf_program__set_autoload(skel->progs.lnb_egress, !pr) ||
	    bpf_program__set_autoload(skel->progs.lnb_ingress_pr, pr) ||
	    bpf_program__set_autoload(skel->progs.lnb_egress_pr, pr))
		return lnb_fail(err, errno, "load: select the programs", "report a bug");
	*in = pr ? skel->progs.lnb_ingress_pr : skel->progs.lnb_ingress;
	*out = pr ? skel->progs.lnb_egress_pr : skel->progs.lnb_egress;
	return 0;
}

static bool lnb_any_map_pinned(void)
{
	for (int i = 0; i < LNB_MAP_COUNT; i++)
		if (lnb_pin_exists(lnb_map_names[i]))
			return true;
	return false;
}

static int lnb_set_pin_paths(struct lnb_skel *skel, uint32_t max_users,
			     struct linubia_bpf_error *err)
{
	struct bpf_map *maps[LNB_MAP_COUNT] = {
		[LNB_MAP_USERS] = skel->maps.lnb_users,
		[LNB_MAP_BASE] = skel->maps.lnb_base,
		[LNB_MAP_SLOTS] = skel->maps.lnb_slots,
		[LNB_MAP_STATS] = skel->maps.lnb_stats,
		[LNB_MAP_CONFIG] = skel->maps.lnb_config,
		[LNB_MAP_RANGES] = skel->maps.lnb_ranges,
	};
	char path[128];
	int ret;

	/* One more entry than users: the unattributed record. */
	if (bpf_map__set_max_entries(maps[LNB_MAP_USERS], max_users + 1) ||
	    bpf_map__set_max_entries(maps[LNB_MAP_BASE], max_users + 1))
		return lnb_fail(err, errno, "load: size the maps", "try a smaller --max-users");
	for (int i = 0; i < LNB_MAP_COUNT; i++) {
		ret = lnb_pin_path(path, sizeof(path), lnb_map_names[i]);
		if (!ret)
			ret = bpf_map__set_pin_path(maps[i], path);
		if (ret)
			return lnb_fail(err, ret, "load: set pin path", "report a bug");
	}
	return 0;
}

/*
 * The record unattributed traffic and table-full overflow go to, counted
 * in the users statistic.  Before the programs are attached: nothing else
 * writes lnb_stats yet.  Maps a failed load left keep theirs (EEXIST).
 */
static int lnb_add_unattributed(struct lnb_skel *skel, struct linubia_bpf_error *err)
{
	int stats_fd = bpf_map__fd(skel->maps.lnb_stats);
	__u32 uid = LINUBIA_UID_UNATTRIBUTED, zero = 0;
	struct lnb_bpf_user rec = { .delegated_by = LNB_BPF_NOT_DELEGATED };
	struct lnb_bpf_stats st;
	struct timespec ts;

	if (clock_gettime(CLOCK_TAI, &ts))
		return lnb_fail(err, errno, "load: read CLOCK_TAI", "report a bug");
	rec.first_seen_tai_ns = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.lnb_users), &uid, &rec, BPF_NOEXIST))
		return errno == EEXIST ? 0 :
		       lnb_fail(err, errno, "load: add the unattributed record",
				"run `linubia-bpf unload`, then load again");
	if (bpf_map_lookup_elem(stats_fd, &zero, &st))
		return lnb_fail(err, errno, "load: read the statistics", "report a bug");
	st.users++;
	if (bpf_map_update_elem(stats_fd, &zero, &st, BPF_EXIST))
		return lnb_fail(err, errno, "load: count the unattributed record", "report a bug");
	return 0;
}

/*
 * The configuration the programs read, before they are attached: the
 * delegation bounds (max_users is the map's, fixed at load).  Maps a
 * failed load left keep their count_loopback.
 */
static int lnb_init_config(struct lnb_skel *skel, uint32_t max_users, uint32_t max_delegated,
			   struct linubia_bpf_error *err)
{
	int fd = bpf_map__fd(skel->maps.lnb_config);
	struct lnb_bpf_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &cfg))
		return lnb_fail(err, errno, "load: read the configuration", "report a bug");
	cfg.max_users = max_users;
	cfg.max_delegated = max_delegated;
	if (bpf_map_update_elem(fd, &zero, &cfg, BPF_EXIST))
		return lnb_fail(err, errno, "load: write the configuration", "report a bug");
	return 0;
}

static int lnb_attach(struct bpf_program *prog, int cgroup_fd, const char *pin,
		      const char *cgroup, struct linubia_bpf_error *err)
{
	struct bpf_link *link = bpf_program__attach_cgroup(prog, cgroup_fd);
	char path[128];
	int ret;

	if (!link)
		return lnb_failf(err, errno, "is another program attached there exclusively?",
				 "load: attach %s at %s", bpf_program__name(prog), cgroup);
	ret = lnb_pin_path(path, sizeof(path), pin);
	if (!ret)
		ret = bpf_link__pin(link, path);
	if (ret)
		ret = lnb_failf(err, ret, "check " LNB_BPF_PIN_DIR, "load: pin link %s", path);
	/* Closes our fd only: the pin keeps the link (and the program) alive. */
	bpf_link__destroy(link);
	return ret;
}

static int lnb_unload_locked(bool quiet_if_empty, struct linubia_bpf_error *err);

static int lnb_load_locked(uint32_t max_users, uint32_t max_delegated,
			   struct linubia_bpf_error *err)
{
	bool had_maps = lnb_any_map_pinned();
	struct bpf_program *prog_in = NULL, *prog_out = NULL;
	enum lnb_variant variant = LNB_VARIANT_KFUNC;
	struct lnb_skel *skel = NULL;
	char cgroup[256];
	int cgroup_fd = -1, ret;

	if (lnb_pin_exists(LNB_BPF_PIN_LINK_IN) || lnb_pin_exists(LNB_BPF_PIN_LINK_OUT))
		return lnb_fail(err, EEXIST, "load: already loaded",
				"run `linubia-bpf unload` first to load it again");
	libbpf_set_print(lnb_libbpf_print);
	ret = lnb_cgroup_ns_initial(err);
	if (!ret)
		ret = lnb_pick_variant(&variant, err);
	if (!ret)
		ret = lnb_pin_dir_make(err);
	if (!ret)
		ret = lnb_cgroup_root(cgroup, sizeof(cgroup), err);
	if (ret)
		return ret;
	cgroup_fd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgroup_fd < 0)
		return lnb_failf(err, errno, "check the cgroup2 mount", "load: open %s", cgroup);

	skel = lnb_skel__open();
	if (!skel) {
		ret = lnb_fail(err, errno, "load: open the BPF object", "report a bug");
		goto out;
	}
	ret = lnb_select_programs(skel, variant, &prog_in, &prog_out, err);
	if (!ret)
		ret = lnb_set_pin_paths(skel, max_users, err);
	if (ret)
		goto out;
	/* Maps already pinned (a load that failed halfway) are reused. */
	ret = lnb_skel__load(skel);
	if (ret) {
		ret = lnb_failf(err, ret,
				had_maps ? "maps of another size are pinned: run `linubia-bpf unload`" :
				variant == LNB_VARIANT_KFUNC ?
				"LINUBIA_BPF_DEBUG=1 shows the verifier log" :
				"needs BTF, and bpf_probe_read_kernel, which lockdown=confidentiality "
				"forbids; LINUBIA_BPF_DEBUG=1 shows the verifier log",
				"load: load the BPF programs (variant %s) and maps",
				lnb_variant_names[variant]);
		goto out;
	}
	ret = lnb_add_unattributed(skel, err);
	if (!ret)
		ret = lnb_init_config(skel, max_users, max_delegated, err);
	if (!ret)
		ret = lnb_attach(prog_in, cgroup_fd, LNB_BPF_PIN_LINK_IN, cgroup, err);
	if (!ret)
		ret = lnb_attach(prog_out, cgroup_fd, LNB_BPF_PIN_LINK_OUT, cgroup, err);
out:
	lnb_skel__destroy(skel);
	close(cgroup_fd);
	/* Leave nothing half-attached; keep counters a previous run pinned. */
	if (ret && !had_maps)
		lnb_unload_locked(true, NULL);
	return ret;
}

int linubia_bpf_load(const struct linubia_bpf_load_opts *opts, struct linubia_bpf_error *err)
{
	uint32_t max_users = opts && opts->max_users ? opts->max_users : LNB_BPF_DEFAULT_MAX_USERS;
	uint32_t max_delegated = LINUBIA_DEFAULT_MAX_DELEGATED;
	int lock, ret;

	if (max_users >= UINT32_MAX - 1)
		return lnb_fail(err, EINVAL, "load: max_users too large", "use at most 4294967293");
	if (opts && opts->max_delegated_set) {
		if (opts->max_delegated > max_users)
			return lnb_failf(err, ERANGE, "use at most max_users",
					 "load: max_delegated %u is above max_users %u",
					 opts->max_delegated, max_users);
		max_delegated = opts->max_delegated;
	} else if (max_delegated > max_users) {
		max_delegated = max_users;
	}
	ret = lnb_need_root(err, "load");
	if (!ret)
		ret = lnb_bpffs_ensure(err);
	if (ret)
		return ret;
	lock = lnb_lock(err, "load");
	if (lock < 0)
		return lock;
	ret = lnb_load_locked(max_users, max_delegated, err);
	lnb_unlock(lock);
	return ret;
}

/* Detach now: dropping the pin alone would detach later, from a workqueue. */
static int lnb_detach_link(const char *pin, struct linubia_bpf_error *err)
{
	char path[128];
	int fd, ret = 0;

	if (lnb_pin_path(path, sizeof(path), pin))
		return lnb_fail(err, ENAMETOOLONG, "unload: pin path", "report a bug");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : lnb_failf(err, errno, "check " LNB_BPF_PIN_DIR,
						       "unload: open %s", path);
	if (bpf_link_detach(fd))
		ret = lnb_failf(err, errno, "report a bug", "unload: detach %s", path);
	close(fd);
	return ret;
}

static int lnb_unpin(const char *name, int *removed, struct linubia_bpf_error *err)
{
	char path[128];

	if (lnb_pin_path(path, sizeof(path), name))
		return lnb_fail(err, ENAMETOOLONG, "unload: pin path", "report a bug");
	if (unlink(path) == 0) {
		(*removed)++;
		return 0;
	}
	return errno == ENOENT ? 0 : lnb_failf(err, errno, "remove it by hand",
						"unload: remove %s", path);
}

static int lnb_unload_locked(bool quiet_if_empty, struct linubia_bpf_error *err)
{
	int removed = 0, ret = 0;

	for (int d = 0; d < LINUBIA_DIR_COUNT && !ret; d++) {
		ret = lnb_detach_link(lnb_link_pins[d], err);
		if (!ret)
			ret = lnb_unpin(lnb_link_pins[d], &removed, err);
	}
	for (int i = 0; i < LNB_MAP_COUNT && !ret; i++)
		ret = lnb_unpin(lnb_map_names[i], &removed, err);
	if (ret)
		return ret;
	if (rmdir(LNB_BPF_PIN_DIR) && errno != ENOENT)
		return lnb_fail(err, errno, "unload: remove " LNB_BPF_PIN_DIR,
				"something else is pinned there: remove it by hand");
	/* Other versions may still live next to ours. */
	if (rmdir(LNB_BPF_PIN_PARENT) && errno != ENOENT && errno != ENOTEMPTY)
		return lnb_fail(err, errno, "unload: remove " LNB_BPF_PIN_PARENT,
				"remove it by hand");
	if (!removed && !quiet_if_empty)
		return lnb_fail(err, ENOENT, "unload: not loaded", "nothing to do");
	return 0;
}

int linubia_bpf_unload(struct linubia_bpf_error *err)
{
	int lock, ret;

	ret = lnb_need_root(err, "unload");
	if (ret)
		return ret;
	lock = lnb_lock(err, "unload");
	if (lock < 0)
		return lock;
	ret = lnb_unload_locked(false, err);
	lnb_unlock(lock);
	return ret;
}
