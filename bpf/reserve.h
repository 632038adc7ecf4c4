/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Growing arrays, shared by the eBPF backend (bpf/) and liblinubia (lib/). */
#ifndef LINUBIA_RESERVE_H
#define LINUBIA_RESERVE_H

#include <stddef.h>

/* Make room for n more items of size in *array (doubling); 0 or -ENOMEM. */
int lnb_reserve(void **array, size_t *cap, size_t used, size_t n, size_t size);

#endif
