// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The opened pinned maps (a handle) and reading a whole map in batches.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <valgrind/memcheck.h>

#include "internal.h"

const char *const lnb_map_names[LNB_MAP_COUNT] = {
	[LNB_MAP_USERS] = "lnb_users",
	[LNB_MAP_BASE] = "lnb_base",
	[LNB_MAP_SLOTS] = "lnb_slots",
	[LNB_MAP_STATS] = "lnb_stats",
	[LNB_MAP_CONFIG] = "lnb_config",
	[LNB_MAP_RANGES] = "lnb_ranges",
};

int linubia_bpf_open(struct linubia_bpf **handle, struct linubia_bpf_error *err)
{
	struct bpf_map_info info;
	__u32 info_len = sizeof(info);
	struct linubia_bpf *h;
	char path[128];
	int ret;

	ret = lnb_need_root(err, "read");
	if (ret)
		return ret;
	h = calloc(1, sizeof(*h));
	if (!h)
		return lnb_fail(err, ENOMEM, "open the eBPF backend", "free some memory");
	for (int i = 0; i < LNB_MAP_COUNT; i++)
		h->fd[i] = -1;
	for (int i = 0; i < LNB_MAP_COUNT; i++) {
		ret = lnb_pin_path(path, sizeof(path), lnb_map_names[i]);
		h->fd[i] = ret ? -1 : bpf_obj_get(path);
		if (h->fd[i] < 0) {
			ret = errno == ENOENT ?
			      lnb_fail(err, ENOENT, "open the eBPF backend: not loaded",
				       "run `linubia-bpf load`") :
			      lnb_failf(err, errno, "check " LNB_BPF_PIN_DIR, "open %s", path);
			goto fail;
		}
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(h->fd[LNB_MAP_USERS], &info, &info_len)) {
		ret = lnb_fail(err, errno, "read the users map's size", "report a bug");
		goto fail;
	}
	h->max_entries = info.max_entries;
	h->users_map_id = info.id;
	ret = lnb_slots_map(h, err);
	if (ret)
		goto fail;
	*handle = h;
	return 0;
fail:
	linubia_bpf_close(h);
	return ret;
}

/*
 * An unload unpins the maps, but open descriptors keep them alive: without
 * this check a long-running reader (the subagent, `linubia top`) would go on
 * reading detached counters that no program updates any more -- and after
 * an unload + load, the old ones instead of the new.
 */
int lnb_check_current(const struct linubia_bpf *h, struct linubia_bpf_error *err)
{
	struct bpf_map_info info;
	__u32 info_len = sizeof(info);
	char path[128];
	int fd, ret;

	if (!lnb_pin_exists(LNB_BPF_PIN_LINK_IN))
		return lnb_fail(err, ESTALE, "use the eBPF backend: it was unloaded",
				"load it again: linubia ebpf load");
	ret = lnb_pin_path(path, sizeof(path), lnb_map_names[LNB_MAP_USERS]);
	if (ret)
		return lnb_fail(err, -ret, "read the eBPF backend", "report a bug");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return lnb_fail(err, ESTALE, "use the eBPF backend: it was unloaded",
				"load it again: linubia ebpf load");
	memset(&info, 0, sizeof(info));
	ret = bpf_obj_get_info_by_fd(fd, &info, &info_len) ? -errno : 0;
	close(fd);
	if (ret)
		return lnb_fail(err, -ret, "read the users map's id", "retry");
	if (info.id != h->users_map_id)
		return lnb_fail(err, ESTALE, "use the eBPF backend: it was reloaded",
				"open it again");
	return 0;
}

void linubia_bpf_close(struct linubia_bpf *h)
{
	if (!h)
		return;
	lnb_slots_unmap(h);
	for (int i = 0; i < LNB_MAP_COUNT; i++)
		if (h->fd[i] >= 0)
			close(h->fd[i]);
	free(h);
}

static int lnb_grow(void **buf, size_t elem, size_t cap)
{
	void *p = realloc(*buf, elem * cap);

	if (!p)
		return -ENOMEM;
	*buf = p;
	return 0;
}

/*
 * Walk a hash map in BPF_MAP_LOOKUP_BATCH calls of up to LNB_WALK_CHUNK
 * entries through one reused buffer, handing each batch to fn.  A small
 * chunk keeps the buffer in the CPU cache for fn, and the walk costs the
 * same syscalls-wise (the kernel's per-bucket work dominates).  Grows the
 * chunk only if one hash bucket holds more (-ENOSPC from the kernel).
 */
int lnb_walk_map(int fd, size_t key_size, size_t value_size, lnb_batch_fn fn, void *arg)
{
	__u32 batch_in = 0, batch_out = 0, n, chunk = LNB_WALK_CHUNK;
	void *kbuf = NULL, *vbuf = NULL;
	bool first = true;
	int ret;

	if (lnb_grow(&kbuf, key_size, chunk) || lnb_grow(&vbuf, value_size, chunk)) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		n = chunk;
		ret = bpf_map_lookup_batch(fd, first ? NULL : &batch_in, &batch_out,
					   kbuf, vbuf, &n, NULL);
		if (ret && errno == ENOSPC && n == 0 && chunk < (1u << 20)) {
			chunk *= 2;	/* one bucket holds more than chunk entries */
			if (lnb_grow(&kbuf, key_size, chunk) ||
			    lnb_grow(&vbuf, value_size, chunk)) {
				ret = -ENOMEM;
				goto out;
			}
			continue;
		}
		if (ret && errno != ENOENT) {
			ret = -errno;
			goto out;
		}
		if (n) {
			int stop;

			/* valgrind does not know BPF_MAP_LOOKUP_BATCH: tell it what
			 * the kernel wrote (no-op when not under valgrind) */
			VALGRIND_MAKE_MEM_DEFINED(kbuf, (size_t)n * key_size);
			VALGRIND_MAKE_MEM_DEFINED(vbuf, (size_t)n * value_size);
			VALGRIND_MAKE_MEM_DEFINED(&batch_out, sizeof(batch_out));
			stop = fn(kbuf, vbuf, n, arg);

			if (stop) {
				ret = stop;
				goto out;
			}
		}
		if (ret) {
			ret = 0;	/* ENOENT: the whole map was read */
			goto out;
		}
		batch_in = batch_out;
		first = false;
	}
out:
	free(kbuf);
	free(vbuf);
	return ret;
}

struct lnb_collect {
	size_t key_size, value_size;
	void *keys, *values;	/* NULL when only counting */
	size_t count, cap;
};

static int lnb_collect_batch(const void *keys, const void *values, __u32 n, void *arg)
{
	struct lnb_collect *c = arg;

	if (c->keys && c->count + n > c->cap) {
		size_t cap = c->cap ? c->cap : LNB_WALK_CHUNK;

		while (cap < c->count + n)
			cap *= 2;
		if (lnb_grow(&c->keys, c->key_size, cap) ||
		    lnb_grow(&c->values, c->value_size, cap))
			return -ENOMEM;
		c->cap = cap;
	}
	if (c->keys) {
		memcpy((char *)c->keys + c->count * c->key_size, keys, n * c->key_size);
		memcpy((char *)c->values + c->count * c->value_size, values,
		       n * c->value_size);
	}
	c->count += n;
	return 0;
}

/*
 * Every (key, value) of a hash map into malloc()ed arrays, with few
 * syscalls.  With keys == NULL, only counts them.  Returns 0 or -errno.
 * Entries added meanwhile may be missed.
 */
int lnb_read_map(int fd, size_t key_size, size_t value_size, void **keys,
		 void **values, size_t *count)
{
	struct lnb_collect c = { key_size, value_size, NULL, NULL, 0, 0 };
	int ret;

	if (keys) {
		/* Never NULL on success, even for an empty map. */
		c.keys = malloc(key_size);
		c.values = malloc(value_size);
		if (!c.keys || !c.values) {
			ret = -ENOMEM;
			goto fail;
		}
		c.cap = 1;
	}
	ret = lnb_walk_map(fd, key_size, value_size, lnb_collect_batch, &c);
	if (ret)
		goto fail;
	*count = c.count;
	if (keys) {
		*keys = c.keys;
		*values = c.values;
	}
	return 0;
fail:
	free(c.keys);
	free(c.values);
	if (keys)
		*keys = *values = NULL;
	return ret;
}

/*
 * CLOCK_TAI - CLOCK_REALTIME in ns: a whole number of seconds (the kernel's
 * TAI offset), so rounding two adjacent reads gives it exactly.
 */
int64_t lnb_tai_offset(void)
{
	struct timespec tai, real;
	int64_t diff;

	clock_gettime(CLOCK_TAI, &tai);
	clock_gettime(CLOCK_REALTIME, &real);
	diff = (int64_t)(tai.tv_sec - real.tv_sec) * 1000000000LL + (tai.tv_nsec - real.tv_nsec);
	return (diff + (diff >= 0 ? 500000000LL : -500000000LL)) / 1000000000LL * 1000000000LL;
}
