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

#include "internal.h"

const char *const lnb_map_names[LNB_MAP_COUNT] = {
	[LNB_MAP_USERS] = "lnb_users",
	[LNB_MAP_BASE] = "lnb_base",
	[LNB_MAP_STATS] = "lnb_stats",
	[LNB_MAP_CONFIG] = "lnb_config",
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
	*handle = h;
	return 0;
fail:
	linubia_bpf_close(h);
	return ret;
}

void linubia_bpf_close(struct linubia_bpf *h)
{
	if (!h)
		return;
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
 * Every (key, value) of a hash map into malloc()ed arrays, with few
 * syscalls.  With keys == NULL, only counts them (in one reused chunk).
 * Returns 0 or -errno.  Entries added meanwhile may be missed.
 */
int lnb_read_map(int fd, size_t key_size, size_t value_size, void **keys,
		 void **values, size_t *count)
{
	enum { CHUNK = 1024 };	/* far more than one hash bucket ever holds */
	__u32 batch_in = 0, batch_out = 0, n;
	void *kbuf = NULL, *vbuf = NULL;
	bool keep = keys != NULL;
	size_t have = 0, cap = 0, at;
	bool first = true;
	int ret;

	for (;;) {
		if (cap - have < CHUNK && (keep || !cap)) {
			cap += cap + CHUNK;
			if (lnb_grow(&kbuf, key_size, cap) || lnb_grow(&vbuf, value_size, cap)) {
				ret = -ENOMEM;
				goto fail;
			}
		}
		at = keep ? have : 0;
		n = CHUNK;
		ret = bpf_map_lookup_batch(fd, first ? NULL : &batch_in, &batch_out,
					   (char *)kbuf + at * key_size,
					   (char *)vbuf + at * value_size, &n, NULL);
		if (ret && errno != ENOENT) {
			ret = -errno;
			goto fail;
		}
		have += n;
		if (ret)
			break;		/* ENOENT: the whole map was read */
		batch_in = batch_out;
		first = false;
	}
	*count = have;
	if (keep) {
		*keys = kbuf;
		*values = vbuf;
		return 0;
	}
	ret = 0;
fail:
	free(kbuf);
	free(vbuf);
	if (keep)
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
