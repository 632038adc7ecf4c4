/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liblinubia internals: the error detail buffer, the backend ops table
 * every backend fills, and the snapshot builder the backends feed.
 */
#ifndef LNB_INTERNAL_H
#define LNB_INTERNAL_H

#include "linubia.h"

#define LNB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Bit masks over counters fit one uint64_t. */
_Static_assert(LINUBIA_COUNTER_COUNT <= 64, "counter masks are 64 bits wide");

/* What went wrong, in words, for linubia_error_detail(). */
struct lnb_detail {
	char text[256];
};

void lnb_detail_set(struct lnb_detail *detail, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A backend.  Every function returns 0 or a negative code and may explain a
 * failure in detail.  open() returns -LINUBIA_ENOBACKEND when the backend is
 * not available on this machine, so that the next one is tried.
 */
struct lnb_backend_ops {
	const char *name;
	int (*open)(void **priv, struct lnb_detail *detail);
	void (*close)(void *priv);
	int (*privileged)(void *priv);
	/* 1 if dumps show every record (privileged, or a read-only reader). */
	int (*reads_all)(void *priv);
	/* Add every visible record to snapshot (lnb_snapshot_add) and fill
	 * its stats; the caller sorts. */
	int (*dump)(void *priv, struct linubia_snapshot *snapshot,
		    struct lnb_detail *detail);
	int (*get_user)(void *priv, uint32_t uid, struct linubia_record *record,
			struct lnb_detail *detail);
	int (*reset_user)(void *priv, uint32_t uid, struct linubia_record *cleared,
			  struct lnb_detail *detail);
	int (*reset_all)(void *priv, struct lnb_detail *detail);
	int (*get_stats)(void *priv, struct linubia_stats *stats,
			 struct lnb_detail *detail);
	int (*get_config)(void *priv, struct linubia_config *config,
			  struct lnb_detail *detail);
	int (*set_count_loopback)(void *priv, bool on, struct lnb_detail *detail);
	int (*set_max_delegated)(void *priv, uint32_t max, struct lnb_detail *detail);
	int (*get_read_gid)(void *priv, uint32_t *gid, struct lnb_detail *detail);
	int (*set_read_gid)(void *priv, uint32_t gid, struct lnb_detail *detail);
};

extern const struct lnb_backend_ops lnb_backend_kmod;
extern const struct lnb_backend_ops lnb_backend_ebpf;

/* Snapshot builder (snapshot.c). */
struct linubia_snapshot *lnb_snapshot_new(void);
/* Store a record compactly (only its non-zero counters). */
int lnb_snapshot_add(struct linubia_snapshot *snapshot,
		     const struct linubia_record *record);
/* The same from its fields, for backends that hold no linubia_record. */
int lnb_snapshot_add_fields(struct linubia_snapshot *snapshot, uint32_t uid,
			    uint64_t first_seen_ns, uint64_t last_reset_ns,
			    uint32_t delegated_by,
			    const uint64_t counters[LINUBIA_COUNTER_COUNT]);
void lnb_snapshot_set_stats(struct linubia_snapshot *snapshot,
			    const struct linubia_stats *stats);
/* Sort by UID and stamp the time; -LINUBIA_EBADREPLY on a repeated UID. */
int lnb_snapshot_finish(struct linubia_snapshot *snapshot,
			struct lnb_detail *detail);

#endif /* LNB_INTERNAL_H */
