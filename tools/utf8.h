/* SPDX-License-Identifier: GPL-2.0-only */
/* UTF-8 validation shared by the JSON and Prometheus/OpenMetrics escapers. */
#ifndef LINUBIA_UTF8_H
#define LINUBIA_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one.
 * Stops at a NUL byte: s must be NUL-terminated. */
size_t utf8_sequence(const unsigned char *s);

#endif /* LINUBIA_UTF8_H */
