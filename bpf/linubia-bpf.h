/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * linubia-bpf.h - the C API of the eBPF backend, for liblinubia and the
 * linubia-bpf front end.
 *
 * load() attaches the cgroup_skb programs at the cgroup v2 root with
 * bpf_links and pins the links and maps under /sys/fs/bpf/linubia/v4 (mode
 * 0700): accounting then runs with no process left and survives loader
 * restarts, until unload().  A handle (open()) reads and resets the pinned
 * maps.  Everything here is for root only: the functions check it and say so.
 *
 * Every function returns 0 or a negative errno value; on failure, err (may
 * be NULL) holds "<what failed>: <why> (<what to do>)".  A function given a
 * handle returns -ESTALE once the backend it opened was unloaded or
 * reloaded (it never reads or writes the detached maps): open it again.  The counter layout
 * comes from <linux/linubia.h>.  A handle is not thread-safe.
 */
#ifndef LINUBIA_BPF_H
#define LINUBIA_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/linubia.h>

struct linubia_bpf_error {
	char text[256];
};

/* Same shape as liblinubia's struct linubia_record. */
struct linubia_bpf_record {
	uint32_t uid;
	uint64_t first_seen_ns;		/* CLOCK_REALTIME */
	uint64_t last_reset_ns;		/* CLOCK_REALTIME, 0 if never reset */
	uint64_t counters[LINUBIA_COUNTER_COUNT];
	/* The user who delegated this UID (see DELEGATED UIDS in the UAPI
	 * header), or LNB_BPF_NOT_DELEGATED (UINT32_MAX). */
	uint32_t delegated_by;
};

struct linubia_bpf_stats {
	uint32_t users;			/* records in use, incl. unattributed */
	uint32_t max_users;
	uint32_t delegated_users;	/* records of delegated UIDs */
	uint32_t max_delegated;		/* per delegating user */
	uint64_t values[LINUBIA_STAT_COUNT];	/* index = enum linubia_stat */
};

struct linubia_bpf_load_opts {
	uint32_t max_users;		/* 0: LNB_BPF_DEFAULT_MAX_USERS */
	/* Records per delegating user, 0 .. max_users, if set; else
	 * LINUBIA_DEFAULT_MAX_DELEGATED clamped to max_users. */
	bool max_delegated_set;
	uint32_t max_delegated;
};

struct linubia_bpf_status {
	bool loaded;			/* both links pinned */
	char pin_dir[64];
	char cgroup[256];		/* where the programs are attached */
	uint32_t prog_id[LINUBIA_DIR_COUNT];	/* index = enum linubia_dir */
	uint32_t link_id[LINUBIA_DIR_COUNT];
	/* The program pair attached: "kfunc" (Linux >= 6.2) or "probe_read"
	 * (older kernels; see docs/ebpf.md), "" when not loaded. */
	char variant[16];
	uint32_t users;
	uint32_t max_users;
	uint32_t delegated_users;
	uint32_t max_delegated;
	/* Users counting in a fast-path slot (no hash lookup per packet). */
	uint32_t slots_used;
	uint32_t slots;
	bool count_loopback;
};

struct linubia_bpf;			/* the opened pinned maps */

/* Load, attach and pin; -EEXIST if already loaded. */
int linubia_bpf_load(const struct linubia_bpf_load_opts *opts,
		     struct linubia_bpf_error *err);
/* Detach and remove every pin (leftovers of a failed load too); -ENOENT
 * if there was nothing to remove. */
int linubia_bpf_unload(struct linubia_bpf_error *err);
/* Works whether loaded or not (st->loaded says which). */
int linubia_bpf_status(struct linubia_bpf_status *st,
		       struct linubia_bpf_error *err);

/* -ENOENT when not loaded, -EPERM when not root. */
int linubia_bpf_open(struct linubia_bpf **handle, struct linubia_bpf_error *err);
void linubia_bpf_close(struct linubia_bpf *handle);

/*
 * Every record, in map order (not sorted), one at a time: fn(record, arg),
 * the record valid during the call only; a nonzero return stops the walk
 * and is returned.  Memory does not grow with the number of records (the
 * map is read in small chunks).  stats (may be NULL) gets the statistics,
 * with users = the number of records handed to fn.
 */
typedef int (*linubia_bpf_record_fn)(const struct linubia_bpf_record *record, void *arg);
int linubia_bpf_read_each(struct linubia_bpf *h, linubia_bpf_record_fn fn, void *arg,
			  struct linubia_bpf_stats *stats, struct linubia_bpf_error *err);
/* Every record, sorted by UID, in a malloc()ed array the caller frees. */
int linubia_bpf_read_all(struct linubia_bpf *h, struct linubia_bpf_record **records,
			 size_t *count, struct linubia_bpf_error *err);
/* -ENOENT if uid has no record. */
int linubia_bpf_get_user(struct linubia_bpf *h, uint32_t uid,
			 struct linubia_bpf_record *record,
			 struct linubia_bpf_error *err);
int linubia_bpf_read_stats(struct linubia_bpf *h, struct linubia_bpf_stats *stats,
			   struct linubia_bpf_error *err);

/*
 * Zero uid's counters; cleared (may be NULL) gets the record with exactly
 * the amounts taken off.  Increments racing with a reset are neither lost
 * nor counted twice; resets are serialised across processes.
 */
int linubia_bpf_reset_user(struct linubia_bpf *h, uint32_t uid,
			   struct linubia_bpf_record *cleared,
			   struct linubia_bpf_error *err);
int linubia_bpf_reset_all(struct linubia_bpf *h, struct linubia_bpf_error *err);

int linubia_bpf_get_count_loopback(struct linubia_bpf *h, bool *on,
				   struct linubia_bpf_error *err);
int linubia_bpf_set_count_loopback(struct linubia_bpf *h, bool on,
				   struct linubia_bpf_error *err);
/* Records per delegating user from now on; -ERANGE above max_users. */
int linubia_bpf_get_max_delegated(struct linubia_bpf *h, uint32_t *max,
				  struct linubia_bpf_error *err);
int linubia_bpf_set_max_delegated(struct linubia_bpf *h, uint32_t max,
				  struct linubia_bpf_error *err);

#endif /* LINUBIA_BPF_H */
