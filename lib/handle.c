// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The public handle: picks a backend and forwards each call to its ops
 * table, keeping what went wrong for linubia_error_detail().  A new backend
 * (eBPF) is one more entry in lnb_backends[]; the API does not change.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct linubia {
	const struct lnb_backend_ops *ops;
	void *priv;
	struct lnb_detail detail;
};

/*
 * Tried in this order by linubia_open(h, NULL); each says "not available"
 * unless it is loaded, so a host running the eBPF backend uses it even
 * where the module is installed.
 */
static const struct lnb_backend_ops *const lnb_backends[] = {
	&lnb_backend_kmod,	/* first: exact for every packet it sees */
	&lnb_backend_ebpf,
};

void lnb_detail_set(struct lnb_detail *detail, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail->text, sizeof(detail->text), fmt, ap);
	va_end(ap);
}

static struct lnb_detail *lnb_fresh_detail(struct linubia *h)
{
	h->detail.text[0] = '\0';
	return &h->detail;
}

int linubia_open(struct linubia **handle, const char *backend)
{
	struct linubia *h;
	int err = -LINUBIA_ENOBACKEND;

	if (!handle)
		return -EINVAL;
	*handle = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	for (size_t i = 0; i < LNB_ARRAY_SIZE(lnb_backends); i++) {
		const struct lnb_backend_ops *ops = lnb_backends[i];

		if (backend && strcmp(backend, ops->name))
			continue;
		err = ops->open(&h->priv, lnb_fresh_detail(h));
		if (err == -LINUBIA_ENOBACKEND && !backend)
			continue;
		if (!err)
			h->ops = ops;
		break;
	}
	if (err) {
		free(h);
		return err;
	}
	*handle = h;
	return 0;
}

void linubia_close(struct linubia *h)
{
	if (!h)
		return;
	h->ops->close(h->priv);
	free(h);
}

const char *linubia_backend_name(const struct linubia *h)
{
	return h ? h->ops->name : NULL;
}

const char *linubia_error_detail(const struct linubia *h)
{
	return h ? h->detail.text : "";
}

int linubia_privileged(struct linubia *h)
{
	if (!h)
		return -EINVAL;
	return h->ops->privileged(h->priv);
}

int linubia_reads_all(struct linubia *h)
{
	if (!h)
		return -EINVAL;
	return h->ops->reads_all(h->priv);
}

int linubia_snapshot_take(struct linubia *h, struct linubia_snapshot **snapshot)
{
	struct linubia_snapshot *s;
	int err;

	if (!h || !snapshot)
		return -EINVAL;
	*snapshot = NULL;
	s = lnb_snapshot_new();
	if (!s)
		return -ENOMEM;
	err = h->ops->dump(h->priv, s, lnb_fresh_detail(h));
	if (!err)
		err = lnb_snapshot_finish(s, &h->detail);
	if (err) {
		linubia_snapshot_free(s);
		return err;
	}
	*snapshot = s;
	return 0;
}

int linubia_get_user(struct linubia *h, uint32_t uid, struct linubia_record *record)
{
	if (!h || !record)
		return -EINVAL;
	return h->ops->get_user(h->priv, uid, record, lnb_fresh_detail(h));
}

int linubia_reset_user(struct linubia *h, uint32_t uid, struct linubia_record *cleared)
{
	struct linubia_record scratch;

	if (!h)
		return -EINVAL;
	return h->ops->reset_user(h->priv, uid, cleared ? cleared : &scratch,
				  lnb_fresh_detail(h));
}

int linubia_reset_all(struct linubia *h)
{
	if (!h)
		return -EINVAL;
	return h->ops->reset_all(h->priv, lnb_fresh_detail(h));
}

int linubia_get_stats(struct linubia *h, struct linubia_stats *stats)
{
	if (!h || !stats)
		return -EINVAL;
	return h->ops->get_stats(h->priv, stats, lnb_fresh_detail(h));
}

int linubia_get_config(struct linubia *h, struct linubia_config *config)
{
	if (!h || !config)
		return -EINVAL;
	return h->ops->get_config(h->priv, config, lnb_fresh_detail(h));
}

int linubia_set_count_loopback(struct linubia *h, bool on)
{
	if (!h)
		return -EINVAL;
	return h->ops->set_count_loopback(h->priv, on, lnb_fresh_detail(h));
}

int linubia_set_max_delegated(struct linubia *h, uint32_t max)
{
	if (!h)
		return -EINVAL;
	return h->ops->set_max_delegated(h->priv, max, lnb_fresh_detail(h));
}

int linubia_get_read_gid(struct linubia *h, uint32_t *gid)
{
	if (!h || !gid)
		return -EINVAL;
	return h->ops->get_read_gid(h->priv, gid, lnb_fresh_detail(h));
}

int linubia_set_read_gid(struct linubia *h, uint32_t gid)
{
	if (!h)
		return -EINVAL;
	return h->ops->set_read_gid(h->priv, gid, lnb_fresh_detail(h));
}
