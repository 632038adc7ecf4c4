/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The maps shared by the BPF programs (linubia.bpf.c) and the loader: value
 * layouts and pin names.  The counter layout itself comes from
 * <linux/linubia.h>; include the integer types (vmlinux.h in BPF,
 * <linux/types.h> in user space) before this file.
 *
 * Bump LNB_BPF_PIN_VERSION whenever a layout or a map's type changes:
 * libbpf would otherwise reuse an old pinned map whose sizes happen to match.
 */
#ifndef LINUBIA_BPF_MAPS_H
#define LINUBIA_BPF_MAPS_H

#include <linux/linubia.h>

#define LNB_BPF_FS		"/sys/fs/bpf"
#define LNB_BPF_PIN_PARENT	LNB_BPF_FS "/linubia"
#define LNB_BPF_PIN_VERSION	"v4"
#define LNB_BPF_PIN_DIR		LNB_BPF_PIN_PARENT "/" LNB_BPF_PIN_VERSION

/* Pin names under LNB_BPF_PIN_DIR: the maps keep their own names. */
#define LNB_BPF_PIN_LINK_IN	"link_ingress"
#define LNB_BPF_PIN_LINK_OUT	"link_egress"

#define LNB_BPF_DEFAULT_MAX_USERS	65536

/* delegated_by of a record nobody delegated: no user can have that UID. */
#define LNB_BPF_NOT_DELEGATED		LINUBIA_UID_UNATTRIBUTED

/*
 * lnb_users: uid -> counters, written only by the programs (atomic adds).
 * Every user seen has a record here (max_users bounds them); most of its
 * counting happens in its slot of lnb_slots, if it has one.
 */
struct lnb_bpf_user {
	__u64 c[LINUBIA_COUNTER_COUNT];
	/*
	 * CLOCK_TAI: BPF cannot read REALTIME, and TAI differs from it by a
	 * whole number of seconds, so the conversion is exact and stable.
	 */
	__u64 first_seen_tai_ns;
	/*
	 * Delegation (the module's DELEGATED UIDS, see the UAPI header):
	 * who delegated this UID (LNB_BPF_NOT_DELEGATED if nobody), set when
	 * the record is made; and on a delegating user's own record, how many
	 * records its delegated UIDs hold (atomic, at most max_delegated).
	 */
	__u32 delegated_by;
	__u32 nr_delegated;
};

/*
 * lnb_base: uid -> what resets took off, written only by user space.  A
 * reader reports user - base; a reset copies user into base, so increments
 * racing with it stay in user and are never lost.
 */
struct lnb_bpf_base {
	__u64 c[LINUBIA_COUNTER_COUNT];
	__u64 last_reset_ns;		/* CLOCK_REALTIME */
};

/*
 * lnb_slots: one element, the fast path.  Finding a user in the lnb_users
 * hash cost more than all the rest of a program run (docs/ebpf.md), so a
 * user whose record exists claims a slot of this direct-mapped array
 * (compare-and-swap of its owner, uid + 1; never freed while loaded) and
 * its counters grow there from then on.  A user's amounts are its record's
 * plus its slot's.  Users beyond the slots, or whose probes are all taken,
 * keep counting in lnb_users, as everyone did without slots.
 *
 * Claims take a uid's probes in order, so a free probe means none of the
 * later ones is the uid's.  The unattributed record never takes a slot
 * (uid + 1 would be 0).  Readers map the array (BPF_F_MMAPABLE).
 */
#define LNB_BPF_SLOT_BITS	12
#define LNB_BPF_SLOTS		(1u << LNB_BPF_SLOT_BITS)
#define LNB_BPF_SLOT_PROBES	4

struct lnb_bpf_slots {
	__u32 owner[LNB_BPF_SLOTS];	/* uid + 1; 0 = free */
	__u64 c[LNB_BPF_SLOTS][LINUBIA_COUNTER_COUNT];
};

/* Probe n of uid: Fibonacci hashing, then the next slots. */
static inline __u32 lnb_bpf_slot(__u32 uid, __u32 n)
{
	return (((__u32)(uid * 0x9e3779b1u) >> (32 - LNB_BPF_SLOT_BITS)) + n) &
	       (LNB_BPF_SLOTS - 1);
}

/*
 * uid's slot, or LNB_BPF_SLOTS if it has none; then *free is the first free
 * probe it may claim, or LNB_BPF_SLOTS if others hold every probe (for
 * good: slots are never freed while loaded).  The programs and the readers
 * both find slots here, so they agree on the probe order.
 */
static inline __u32 lnb_bpf_slot_find(const __u32 *owner, __u32 uid, __u32 *free)
{
	__u32 n, at, o;

	*free = LNB_BPF_SLOTS;
	if (uid + 1 == 0)
		return LNB_BPF_SLOTS;	/* the unattributed record: never slotted */
	for (n = 0; n < LNB_BPF_SLOT_PROBES; n++) {
		at = lnb_bpf_slot(uid, n);
		/* READ_ONCE (a slot may be claimed meanwhile); clang's BPF
		 * target has no __atomic_load_n. */
		o = *(const volatile __u32 *)&owner[at];
		if (o == uid + 1)
			return at;
		if (!o) {
			*free = at;	/* claims go in probe order: no later one is ours */
			return LNB_BPF_SLOTS;
		}
	}
	return LNB_BPF_SLOTS;
}

/* lnb_stats: one element, the global statistics (atomic adds). */
struct lnb_bpf_stats {
	__u64 s[LINUBIA_STAT_COUNT];
	/* Records in lnb_users (never deleted while loaded): counting them
	 * would walk the whole map. */
	__u64 users;
	/* Records of delegated UIDs (atomic; at most max_users / 2). */
	__u64 delegated;
};

/* lnb_config: one element, written by the loader, then by configure. */
struct lnb_bpf_config {
	__u32 skip_loopback;		/* count_loopback = !skip_loopback */
	__u32 max_delegated;		/* records per delegating user */
	__u32 max_users;		/* the loader's; delegated records <= half */
	__u32 reserved;
};

/*
 * lnb_ranges: first UID -> a UID range of a user namespace and its owner,
 * learned from the uid_map of the outermost user namespace of sockets that
 * have a file, for the sockets that have none (as kmod/delegate.c does).
 * Overlapping stale ranges are not removed: the first match wins.
 */
#define LNB_BPF_MAX_RANGES	4096
#define LNB_BPF_LEARN_EXTENTS	8	/* of one namespace's uid_map (340 max) */

struct lnb_bpf_range {
	__u32 count;
	__u32 owner;
};

#endif /* LINUBIA_BPF_MAPS_H */
