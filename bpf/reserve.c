// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "reserve.h"

int lnb_reserve(void **array, size_t *cap, size_t used, size_t n, size_t size)
{
	size_t want = *cap ? *cap : 64;
	void *grown;

	if (used + n <= *cap)
		return 0;
	while (want < used + n) {
		if (want > SIZE_MAX / 2 / size)
			return -ENOMEM;
		want *= 2;
	}
	grown = realloc(*array, want * size);
	if (!grown)
		return -ENOMEM;
	*array = grown;
	*cap = want;
	return 0;
}
