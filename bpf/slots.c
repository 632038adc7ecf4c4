// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading the fast-path slots (lnb_slots, see maps.h): the array is mapped
 * read-only, so a snapshot reads it with no syscall.  The programs change
 * it meanwhile, hence the atomic loads: each value is one the program
 * wrote, and a later read never sees less.
 */
#include <errno.h>
#include <sys/mman.h>

#include "internal.h"

int lnb_slots_map(struct linubia_bpf *h, struct linubia_bpf_error *err)
{
	void *p = mmap(NULL, sizeof(*h->slots), PROT_READ, MAP_SHARED,
		       h->fd[LNB_MAP_SLOTS], 0);

	if (p == MAP_FAILED)
		return lnb_fail(err, errno, "map the fast-path slots",
				"run `linubia-bpf unload`, then load again");
	h->slots = p;
	return 0;
}

void lnb_slots_unmap(struct linubia_bpf *h)
{
	if (h->slots)
		munmap((void *)h->slots, sizeof(*h->slots));
	h->slots = NULL;
}

/* uid's slot, or -1: the programs' probe order (lnb_slot_counters). */
static int lnb_slot_find(const struct lnb_bpf_slots *s, __u32 uid)
{
	__u32 me = uid + 1;

	if (uid == LINUBIA_UID_UNATTRIBUTED)
		return -1;
	for (__u32 n = 0; n < LNB_BPF_SLOT_PROBES; n++) {
		__u32 at = lnb_bpf_slot(uid, n);
		__u32 owner = __atomic_load_n(&s->owner[at], __ATOMIC_ACQUIRE);

		if (owner == me)
			return (int)at;
		if (!owner)
			return -1;
	}
	return -1;
}

void lnb_slots_add(const struct linubia_bpf *h, __u32 uid, __u64 *c)
{
	int at = lnb_slot_find(h->slots, uid);

	if (at < 0)
		return;
	for (int i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		c[i] += __atomic_load_n(&h->slots->c[at][i], __ATOMIC_RELAXED);
}

__u32 lnb_slots_used(const struct linubia_bpf *h)
{
	__u32 used = 0;

	for (__u32 i = 0; i < LNB_BPF_SLOTS; i++)
		used += __atomic_load_n(&h->slots->owner[i], __ATOMIC_RELAXED) != 0;
	return used;
}
