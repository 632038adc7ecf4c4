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
#define LNB_BPF_PIN_VERSION	"v1"
#define LNB_BPF_PIN_DIR		LNB_BPF_PIN_PARENT "/" LNB_BPF_PIN_VERSION

/* Pin names under LNB_BPF_PIN_DIR: the maps keep their own names. */
#define LNB_BPF_PIN_LINK_IN	"link_ingress"
#define LNB_BPF_PIN_LINK_OUT	"link_egress"

#define LNB_BPF_DEFAULT_MAX_USERS	65536

/* lnb_users: uid -> counters, written only by the programs (atomic adds). */
struct lnb_bpf_user {
	__u64 c[LINUBIA_COUNTER_COUNT];
	/*
	 * CLOCK_TAI: BPF cannot read REALTIME, and TAI differs from it by a
	 * whole number of seconds, so the conversion is exact and stable.
	 */
	__u64 first_seen_tai_ns;
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

/* lnb_stats: one element, the global statistics (atomic adds). */
struct lnb_bpf_stats {
	__u64 s[LINUBIA_STAT_COUNT];
};

/* lnb_config: one element; all zero is the default configuration. */
struct lnb_bpf_config {
	__u32 skip_loopback;		/* count_loopback = !skip_loopback */
};

#endif /* LINUBIA_BPF_MAPS_H */
