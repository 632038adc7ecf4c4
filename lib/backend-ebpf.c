// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The eBPF backend: reads and resets the maps the cgroup_skb programs of
 * bpf/ keep pinned in bpffs (bpf/linubia-bpf.h).  Tried after the kernel
 * module; "not available" when nothing is pinned.  Root only: the pins are
 * mode 0700.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "linubia-bpf.h"

/* Both structs have the same fields; copy them one by one all the same. */
static void lnb_ebpf_record(struct linubia_record *to,
			    const struct linubia_bpf_record *from)
{
	to->uid = from->uid;
	to->first_seen_ns = from->first_seen_ns;
	to->last_reset_ns = from->last_reset_ns;
	to->delegated_by = from->delegated_by;
	memcpy(to->counters, from->counters, sizeof(to->counters));
}

static void lnb_ebpf_stats(struct linubia_stats *to,
			   const struct linubia_bpf_stats *from)
{
	to->users = from->users;
	to->max_users = from->max_users;
	to->delegated_users = from->delegated_users;
	to->max_delegated = from->max_delegated;
	memcpy(to->values, from->values, sizeof(to->values));
}

/*
 * Unloaded (or reloaded) under an open handle (-ESTALE: every call checks):
 * "no backend", as for the module going away; the caller reopens.
 */
static int lnb_ebpf_fail(int err, const struct linubia_bpf_error *e,
			 struct lnb_detail *detail)
{
	if (err)
		lnb_detail_set(detail, "%s", e->text);
	return err == -ESTALE ? -LINUBIA_ENOBACKEND : err;
}

static int lnb_ebpf_open(void **priv, struct lnb_detail *detail)
{
	struct linubia_bpf_error e = { "" };
	struct linubia_bpf *h;
	int err;

	err = linubia_bpf_open(&h, &e);
	if (err == -ENOENT)
		return -LINUBIA_ENOBACKEND;
	if (err)
		return lnb_ebpf_fail(err, &e, detail);
	*priv = h;
	return 0;
}

static void lnb_ebpf_close(void *priv)
{
	linubia_bpf_close(priv);
}

/*
 * The backend's rule (bpf/error.c): root reads, resets and configures
 * everything, nobody else anything; opening already required it.
 */
static int lnb_ebpf_privileged(void *priv)
{
	(void)priv;
	return geteuid() == 0;
}

static int lnb_ebpf_get_stats(void *priv, struct linubia_stats *stats,
			      struct lnb_detail *detail)
{
	struct linubia_bpf_error e = { "" };
	struct linubia_bpf_stats st;
	int err;

	err = linubia_bpf_read_stats(priv, &st, &e);
	if (err)
		return lnb_ebpf_fail(err, &e, detail);
	lnb_ebpf_stats(stats, &st);
	return 0;
}

static int lnb_ebpf_add(const struct linubia_bpf_record *r, void *snapshot)
{
	return lnb_snapshot_add_fields(snapshot, r->uid, r->first_seen_ns, r->last_reset_ns,
				       r->delegated_by, r->counters);
}

/*
 * The records stream from the map, a small chunk at a time, straight into
 * the snapshot's sparse store (sorted once, by lnb_snapshot_finish); the
 * statistics come with them, users counted by the same walk.
 */
static int lnb_ebpf_dump(void *priv, struct linubia_snapshot *snapshot,
			 struct lnb_detail *detail)
{
	struct linubia_bpf_error e = { "" };
	struct linubia_bpf_stats st;
	struct linubia_stats stats;
	int err;

	err = linubia_bpf_read_each(priv, lnb_ebpf_add, snapshot, &st, &e);
	if (err)
		return lnb_ebpf_fail(err, &e, detail);
	lnb_ebpf_stats(&stats, &st);
	lnb_snapshot_set_stats(snapshot, &stats);
	return 0;
}

static int lnb_ebpf_get_user(void *priv, uint32_t uid,
			     struct linubia_record *record,
			     struct lnb_detail *detail)
{
	struct linubia_bpf_error e = { "" };
	struct linubia_bpf_record r;
	int err;

	err = linubia_bpf_get_user(priv, uid, &r, &e);
	if (err)
		return lnb_ebpf_fail(err, &e, detail);
	lnb_ebpf_record(record, &r);
	return 0;
}

static int lnb_ebpf_reset_user(void *priv, uint32_t uid,
			       struct linubia_record *cleared,
			       struct lnb_detail *detail)
{
	struct linubia_bpf_error e = { "" };
	struct linubia_bpf_record r;
	int err;

	err = linubia_bpf_reset_user(priv, uid, &r, &e);
	if (err)
		return lnb_ebpf_fail(err, &e, detail);
	if (cleared)
		lnb_ebpf_record(cleared, &r);
	return 0;
}

static int lnb_ebpf_reset_all(void *priv, struct lnb_detail *detail)
{
	struct linubia_bpf_error e = { "" };

	return lnb_ebpf_fail(linubia_bpf_reset_all(priv, &e), &e, detail);
}

static int lnb_ebpf_get_config(void *priv, struct linubia_config *config,
			       struct lnb_detail *detail)
{
	struct linubia_bpf_error e = { "" };
	struct linubia_stats stats;
	bool on;
	int err;

	err = linubia_bpf_get_count_loopback(priv, &on, &e);
	if (err)
		return lnb_ebpf_fail(err, &e, detail);
	err = lnb_ebpf_get_stats(priv, &stats, detail);
	if (err)
		return err;
	config->count_loopback = on;
	config->max_users = stats.max_users;
	config->max_delegated = stats.max_delegated;
	return 0;
}

static int lnb_ebpf_set_count_loopback(void *priv, bool on,
				       struct lnb_detail *detail)
{
	struct linubia_bpf_error e = { "" };

	return lnb_ebpf_fail(linubia_bpf_set_count_loopback(priv, on, &e), &e,
			     detail);
}

static int lnb_ebpf_set_max_delegated(void *priv, uint32_t max,
				      struct lnb_detail *detail)
{
	struct linubia_bpf_error e = { "" };

	return lnb_ebpf_fail(linubia_bpf_set_max_delegated(priv, max, &e), &e, detail);
}

/* The pins are root's (bpffs itself is mode 0700 under systemd): no group reads them. */
static int lnb_ebpf_no_read_group(struct lnb_detail *detail)
{
	lnb_detail_set(detail, "the eBPF backend has no read group: only root reads it");
	return -EOPNOTSUPP;
}

static int lnb_ebpf_get_read_gid(void *priv, uint32_t *gid, struct lnb_detail *detail)
{
	(void)priv;
	(void)gid;
	return lnb_ebpf_no_read_group(detail);
}

static int lnb_ebpf_set_read_gid(void *priv, uint32_t gid, struct lnb_detail *detail)
{
	(void)priv;
	(void)gid;
	return lnb_ebpf_no_read_group(detail);
}

const struct lnb_backend_ops lnb_backend_ebpf = {
	.name = "ebpf",
	.open = lnb_ebpf_open,
	.close = lnb_ebpf_close,
	.privileged = lnb_ebpf_privileged,
	.reads_all = lnb_ebpf_privileged,
	.dump = lnb_ebpf_dump,
	.get_user = lnb_ebpf_get_user,
	.reset_user = lnb_ebpf_reset_user,
	.reset_all = lnb_ebpf_reset_all,
	.get_stats = lnb_ebpf_get_stats,
	.get_config = lnb_ebpf_get_config,
	.set_count_loopback = lnb_ebpf_set_count_loopback,
	.set_max_delegated = lnb_ebpf_set_max_delegated,
	.get_read_gid = lnb_ebpf_get_read_gid,
	.set_read_gid = lnb_ebpf_set_read_gid,
};
