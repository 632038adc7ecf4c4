/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liblinubia - read and manage LINUBIA per-user IP traffic accounting.
 *
 * One API whatever collects the numbers: a handle picks the first backend
 * that is loaded: the kernel module (only if /sys/module/linubia exists:
 * the library never makes the kernel load it), else the eBPF backend.
 * Every function that can fail returns 0 (or a count) on success and a
 * negative errno-style code on failure; linubia_strerror() turns the code
 * into "<why> (<what to do>)" and linubia_error_detail() adds what the
 * kernel or the reply parser said about the last failure on that handle.
 *
 * The counter layout (LINUBIA_COUNTER_COUNT counters per record, their
 * order and names) comes from the UAPI header <linux/linubia.h>.
 * A handle is not thread-safe; use one per thread.
 */
#ifndef LINUBIA_H
#define LINUBIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/linubia.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LINUBIA_API __attribute__((visibility("default")))

/* Library errors, returned negated like errno values. */
enum linubia_error {
	LINUBIA_ENOBACKEND = 4096,	/* no backend: kernel module not loaded */
	LINUBIA_EBADREPLY,		/* malformed reply from the backend */
	LINUBIA_EVERSION,		/* backend speaks another ABI version */
	LINUBIA_ERROR_END
};

/* delegated_by of a record nobody delegated (no user has this UID). */
#define LINUBIA_NOT_DELEGATED	LINUBIA_UID_UNATTRIBUTED

/* One UID's record: all counters, index = enum linubia_counter. */
struct linubia_record {
	uint32_t uid;
	uint64_t first_seen_ns;		/* CLOCK_REALTIME */
	uint64_t last_reset_ns;		/* CLOCK_REALTIME, 0 if never reset */
	uint64_t counters[LINUBIA_COUNTER_COUNT];
	/* The user who delegated this UID (a user namespace's owner: see
	 * DELEGATED UIDS in <linux/linubia.h>), or LINUBIA_NOT_DELEGATED. */
	uint32_t delegated_by;
};

struct linubia_stats {
	uint32_t users;			/* records in use, incl. unattributed */
	uint32_t max_users;
	uint32_t delegated_users;	/* records of delegated UIDs */
	uint32_t max_delegated;		/* records per delegating user */
	uint64_t values[LINUBIA_STAT_COUNT];	/* index = enum linubia_stat */
};

struct linubia_config {
	bool count_loopback;
	uint32_t max_users;		/* read-only */
	uint32_t max_delegated;		/* 0 .. max_users */
};

struct linubia;			/* a connection to a backend */
struct linubia_snapshot;	/* all visible records, sorted by UID */

/* Handle ---------------------------------------------------------------- */

/* Open the first available backend (or the one named, e.g. "kmod"). */
LINUBIA_API int linubia_open(struct linubia **handle, const char *backend);
LINUBIA_API void linubia_close(struct linubia *handle);
LINUBIA_API const char *linubia_backend_name(const struct linubia *handle);
/*
 * 1 if the caller may read every record, reset and configure, 0 if it sees
 * only its own record: what the backend decides, not a guess from the
 * caller's capabilities (module: CAP_NET_ADMIN in the initial user
 * namespace, from the initial network namespace; eBPF: root).
 */
LINUBIA_API int linubia_privileged(struct linubia *handle);
/*
 * 1 if the caller reads every record, 0 if only its own: the privileged,
 * and with the module also its read group (read_gid), which reads all but
 * may not reset or configure.
 */
LINUBIA_API int linubia_reads_all(struct linubia *handle);

/* "<why> (<what to do>)" for a negative code; never NULL. */
LINUBIA_API const char *linubia_strerror(int err);
/* What the backend said about the last failure on handle, or "". */
LINUBIA_API const char *linubia_error_detail(const struct linubia *handle);

/* Records ----------------------------------------------------------------- */

/* Every record the caller may see, with the global stats, in one call. */
LINUBIA_API int linubia_snapshot_take(struct linubia *handle,
				      struct linubia_snapshot **snapshot);
LINUBIA_API void linubia_snapshot_free(struct linubia_snapshot *snapshot);
LINUBIA_API size_t linubia_snapshot_count(const struct linubia_snapshot *snapshot);
/* CLOCK_MONOTONIC ns when the snapshot was taken (for rates). */
LINUBIA_API uint64_t linubia_snapshot_time_ns(const struct linubia_snapshot *snapshot);
LINUBIA_API const struct linubia_stats *
linubia_snapshot_stats(const struct linubia_snapshot *snapshot);
/* Record i (0 <= i < count), in UID order; -ERANGE if out of range. */
LINUBIA_API int linubia_snapshot_record(const struct linubia_snapshot *snapshot,
					size_t i, struct linubia_record *record);
LINUBIA_API uint32_t linubia_snapshot_uid(const struct linubia_snapshot *snapshot,
					  size_t i);
/* Index of uid's record, or -ENOENT (binary search). */
LINUBIA_API long linubia_snapshot_find(const struct linubia_snapshot *snapshot,
				       uint32_t uid);

LINUBIA_API int linubia_get_user(struct linubia *handle, uint32_t uid,
				 struct linubia_record *record);
/* Zero uid's counters; cleared (may be NULL) gets the amounts taken off. */
LINUBIA_API int linubia_reset_user(struct linubia *handle, uint32_t uid,
				   struct linubia_record *cleared);
LINUBIA_API int linubia_reset_all(struct linubia *handle);
LINUBIA_API int linubia_get_stats(struct linubia *handle,
				  struct linubia_stats *stats);
LINUBIA_API int linubia_get_config(struct linubia *handle,
				   struct linubia_config *config);
LINUBIA_API int linubia_set_count_loopback(struct linubia *handle, bool on);
/* Records the UIDs one user delegates may make; -ERANGE above max_users. */
LINUBIA_API int linubia_set_max_delegated(struct linubia *handle, uint32_t max);
/*
 * The module's read group: its members read every record but may not reset
 * or configure (an SNMP agent or exporter running as its own user).  gid up
 * to 2^31-1, or LINUBIA_NO_GID for none; -ERANGE otherwise.  The eBPF
 * backend has none (root reads it): -EOPNOTSUPP.
 */
LINUBIA_API int linubia_get_read_gid(struct linubia *handle, uint32_t *gid);
LINUBIA_API int linubia_set_read_gid(struct linubia *handle, uint32_t gid);

/* Counter, stat and sum descriptions ------------------------------------- */

/* "in_ipv4_tcp_bytes" etc. from the UAPI lists; NULL if out of range. */
LINUBIA_API const char *linubia_counter_name(unsigned int counter);
LINUBIA_API const char *linubia_stat_name(unsigned int stat);
LINUBIA_API const char *linubia_dir_name(unsigned int dir);
LINUBIA_API const char *linubia_family_name(unsigned int family);
LINUBIA_API const char *linubia_proto_name(unsigned int proto);
LINUBIA_API const char *linubia_unit_name(unsigned int unit);

/*
 * A derived sum: the counters whose direction, family and protocol bits are
 * all in the masks (bit = 1 << enum value) and whose unit is unit.  The
 * table holds, for each unit: total (both directions), then per direction:
 * total, per family, per protocol, per family x protocol.  Names:
 * "bytes", "in_bytes", "in_ipv4_bytes", "in_tcp_bytes", "in_ipv4_tcp_bytes".
 */
struct linubia_sum {
	const char *name;
	unsigned int dir_mask;
	unsigned int family_mask;
	unsigned int proto_mask;
	unsigned int unit;
	uint64_t counter_mask;		/* bit i = counter i is included */
};

LINUBIA_API size_t linubia_sum_count(void);
LINUBIA_API const struct linubia_sum *linubia_sum_at(size_t i);
LINUBIA_API const struct linubia_sum *linubia_sum_by_name(const char *name);
LINUBIA_API uint64_t linubia_sum_value(const struct linubia_sum *sum,
				       const uint64_t counters[LINUBIA_COUNTER_COUNT]);
/* The same for record i of a snapshot, without copying it out. */
LINUBIA_API uint64_t linubia_snapshot_sum(const struct linubia_snapshot *snapshot,
					  size_t i, const struct linubia_sum *sum);

/* User names (NSS: files, LDAP, SSSD, ...) -------------------------------- */

struct linubia_names;		/* a cache of UID -> name lookups */

#define LINUBIA_UID_STRLEN 16	/* "(unattributed)" or a decimal UID + NUL */

LINUBIA_API struct linubia_names *linubia_names_new(void);
LINUBIA_API void linubia_names_free(struct linubia_names *names);
/*
 * Enumerate the user database once (getpwent: files, systemd, and LDAP/SSSD
 * where enumeration is on) into the cache: worth it before naming many
 * UIDs, as each NSS lookup of an unknown UID can cost tens of microseconds.
 * UIDs it did not list are still asked for one by one.
 */
LINUBIA_API int linubia_names_preload(struct linubia_names *names);
/* uid's user name, or NULL if NSS knows none (cached either way). */
LINUBIA_API const char *linubia_names_get(struct linubia_names *names,
					  uint32_t uid);
/* For display: the name, "(unattributed)", or the number written to buf. */
LINUBIA_API const char *linubia_names_display(struct linubia_names *names,
					      uint32_t uid,
					      char buf[LINUBIA_UID_STRLEN]);

#ifdef __cplusplus
}
#endif

#endif /* LINUBIA_H */
