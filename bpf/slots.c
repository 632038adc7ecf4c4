// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading the fast-path slots (lnb_slots, see maps.h): the array is mapped
 * read-only, so a snapshot reads it with no syscall, finding a user's slot
 * with the programs' own lnb_bpf_slot_find().  The programs change it
 * meanwhile, hence the atomic loads of counters: each value is one the
 * program wrote, and a later read never sees less.
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

void lnb_slots_add(const struct linubia_bpf *h, __u32 uid, __u64 *c)
{
	__u32 free, at = lnb_bpf_slot_find(h->slots->owner, uid, &free);

	if (at >= LNB_BPF_SLOTS)
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
