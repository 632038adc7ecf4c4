/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Definitions shared by the user-space files of the eBPF backend.
 */
#ifndef LINUBIA_BPF_INTERNAL_H
#define LINUBIA_BPF_INTERNAL_H

#include <linux/types.h>

#include "linubia-bpf.h"
#include "maps.h"

#define LNB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Serialises load, unload, resets and configuration changes. */
#define LNB_BPF_LOCK_FILE	"/run/linubia-bpf.lock"

/* The pinned maps, index = enum lnb_map. */
enum lnb_map {
	LNB_MAP_USERS, LNB_MAP_BASE, LNB_MAP_SLOTS, LNB_MAP_STATS, LNB_MAP_CONFIG,
	LNB_MAP_RANGES, LNB_MAP_COUNT
};
extern const char *const lnb_map_names[LNB_MAP_COUNT];

struct linubia_bpf {
	int fd[LNB_MAP_COUNT];
	uint32_t max_entries;		/* of users and base */
	uint32_t users_map_id;		/* to notice an unload or reload */
	const struct lnb_bpf_slots *slots;	/* lnb_slots, mapped read-only */
};

/* error.c: fill err with "<what>: <why> (<todo>)"; return -errnum. */
int lnb_fail(struct linubia_bpf_error *err, int errnum, const char *what,
	     const char *todo);
int lnb_failf(struct linubia_bpf_error *err, int errnum, const char *todo,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int lnb_need_root(struct linubia_bpf_error *err, const char *what);

/* pins.c: bpffs, the pin directory, the lock. */
int lnb_pin_path(char *buf, size_t len, const char *name);
int lnb_bpffs_ensure(struct linubia_bpf_error *err);
int lnb_pin_dir_make(struct linubia_bpf_error *err);
int lnb_lock(struct linubia_bpf_error *err, const char *what);
void lnb_unlock(int lock_fd);
bool lnb_pin_exists(const char *name);

/* cgroup.c: the cgroup v2 root, from /proc/self/mountinfo. */
int lnb_cgroup_root(char *path, size_t len, struct linubia_bpf_error *err);
/* 0 if this process is in the initial cgroup namespace, else -EPERM. */
int lnb_cgroup_ns_initial(struct linubia_bpf_error *err);

/* maps.c: reading the pinned maps. */
/* 0 if h still reads the loaded backend, else -ESTALE (unloaded/reloaded). */
int lnb_check_current(const struct linubia_bpf *h, struct linubia_bpf_error *err);
#define LNB_WALK_CHUNK	256	/* entries per BPF_MAP_LOOKUP_BATCH call */
/* A batch of n keys and values (valid during the call); 0 goes on. */
typedef int (*lnb_batch_fn)(const void *keys, const void *values, __u32 n, void *arg);
/* 0, fn's nonzero return, or -errno. */
int lnb_walk_map(int fd, size_t key_size, size_t value_size, lnb_batch_fn fn, void *arg);
int lnb_read_map(int fd, size_t key_size, size_t value_size, void **keys,
		 void **values, size_t *count);
int64_t lnb_tai_offset(void);
/* config.c: the configuration element (the loader writes it first). */
int lnb_config_read(const struct linubia_bpf *h, struct lnb_bpf_config *cfg,
		    struct linubia_bpf_error *err);

/* slots.c: the fast-path slots (see lnb_slots in maps.h). */
int lnb_slots_map(struct linubia_bpf *h, struct linubia_bpf_error *err);
void lnb_slots_unmap(struct linubia_bpf *h);
/* c[] += what uid counted in its slot, if it has one. */
void lnb_slots_add(const struct linubia_bpf *h, __u32 uid, __u64 *c);
__u32 lnb_slots_used(const struct linubia_bpf *h);

#endif /* LINUBIA_BPF_INTERNAL_H */
