/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * HTTP basic authentication for the exporter: a file of "user:hash" lines,
 * the hash in crypt(3) form (yescrypt $y$, bcrypt $2b$/$2y$, SHA-512 $6$,
 * as `mkpasswd`, `htpasswd -B` or `openssl passwd -6` write them).
 */
#ifndef LINUBIA_EXPORTER_AUTH_H
#define LINUBIA_EXPORTER_AUTH_H

#include <stdbool.h>
#include <stddef.h>

struct auth;

#define AUTH_ERR_LEN 256

/* Parse the file's text (len bytes, need not be NUL-terminated).  On error
 * returns -1 and err says what and on which line. */
int auth_parse(const char *text, size_t len, struct auth **out, char err[AUTH_ERR_LEN]);
/* Read and parse path (at most 1 MiB). */
int auth_load(const char *path, struct auth **out, char err[AUTH_ERR_LEN]);
/* true if user and password match a line.  Not thread-safe (caches the
 * last password verified per user: hashing costs tens of milliseconds). */
bool auth_check(struct auth *a, const char *user, const char *password);
size_t auth_users(const struct auth *a);
void auth_free(struct auth *a);

#endif /* LINUBIA_EXPORTER_AUTH_H */
