// SPDX-License-Identifier: GPL-2.0-only
/*
 * The basic-auth user file.  Lines: "user:hash", blank lines and lines
 * starting with '#' are ignored.  Hashes are checked with crypt_checksalt()
 * when loading, so a plain-text password or a method libcrypt cannot verify
 * is refused with the line number instead of never matching.  A verified
 * password is remembered per user (a slow hash on every scrape would cost
 * more than the scrape) and compared in constant time.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"

#define AUTH_MAX_FILE (1u << 20)

struct auth_user {
	char *name;
	char *hash;
	char *verified;		/* last password that matched, or NULL */
};

struct auth {
	struct auth_user *users;
	size_t count;
	struct crypt_data *crypt;	/* 32 KiB: on the heap, once */
};

void auth_free(struct auth *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->count; i++) {
		free(a->users[i].name);
		free(a->users[i].hash);
		if (a->users[i].verified) {
			explicit_bzero(a->users[i].verified, strlen(a->users[i].verified));
			free(a->users[i].verified);
		}
	}
	free(a->users);
	free(a->crypt);
	free(a);
}

size_t auth_users(const struct auth *a)
{
	return a->count;
}

static int auth_add(struct auth *a, const char *line, size_t len, unsigned int lineno,
		    char err[AUTH_ERR_LEN])
{
	const char *colon = memchr(line, ':', len);
	struct auth_user *users, *u;
	size_t ulen;

	if (!colon || colon == line) {
		snprintf(err, AUTH_ERR_LEN, "line %u: expected user:hash", lineno);
		return -1;
	}
	ulen = (size_t)(colon - line);
	if (memchr(line, '\0', len)) {
		snprintf(err, AUTH_ERR_LEN, "line %u: NUL byte", lineno);
		return -1;
	}
	for (size_t i = 0; i < a->count; i++) {
		if (strlen(a->users[i].name) == ulen && !memcmp(a->users[i].name, line, ulen)) {
			snprintf(err, AUTH_ERR_LEN, "line %u: user %.*s listed twice", lineno,
				 (int)(ulen > 64 ? 64 : ulen), line);
			return -1;
		}
	}
	users = realloc(a->users, (a->count + 1) * sizeof(*users));
	if (!users) {
		snprintf(err, AUTH_ERR_LEN, "out of memory");
		return -1;
	}
	a->users = users;
	u = &users[a->count];
	u->name = strndup(line, ulen);
	u->hash = strndup(colon + 1, len - ulen - 1);
	u->verified = NULL;
	if (!u->name || !u->hash) {
		free(u->name);
		free(u->hash);
		snprintf(err, AUTH_ERR_LEN, "out of memory");
		return -1;
	}
	a->count++;
	/* Only hashes of a method this libcrypt supports: never a plain
	 * password, and no DES (crypt_checksalt calls it legacy). */
	if (u->hash[0] != '$' || crypt_checksalt(u->hash) != CRYPT_SALT_OK) {
		snprintf(err, AUTH_ERR_LEN, "line %u: the password of %s is not a crypt(3) hash "
			 "libcrypt accepts (make one with mkpasswd -m yescrypt, htpasswd -nB or "
			 "openssl passwd -6)", lineno, u->name);
		return -1;
	}
	return 0;
}

int auth_parse(const char *text, size_t len, struct auth **out, char err[AUTH_ERR_LEN])
{
	struct auth *a = calloc(1, sizeof(*a));
	const char *p = text, *end = text + len;
	unsigned int lineno = 0;

	err[0] = '\0';
	if (!a || !(a->crypt = calloc(1, sizeof(*a->crypt)))) {
		auth_free(a);
		snprintf(err, AUTH_ERR_LEN, "out of memory");
		return -1;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		size_t n = (size_t)(eol - p);

		lineno++;
		if (n && p[n - 1] == '\r')
			n--;
		if (n && p[0] != '#' && auth_add(a, p, n, lineno, err)) {
			auth_free(a);
			return -1;
		}
		p = nl ? nl + 1 : end;
	}
	if (a->count == 0) {
		auth_free(a);
		snprintf(err, AUTH_ERR_LEN, "no user:hash line");
		return -1;
	}
	*out = a;
	return 0;
}

int auth_load(const char *path, struct auth **out, char err[AUTH_ERR_LEN])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	int ret = -1;

	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, AUTH_ERR_LEN, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)AUTH_MAX_FILE) {
		snprintf(err, AUTH_ERR_LEN, "not a regular file of at most 1 MiB");
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		snprintf(err, AUTH_ERR_LEN, "out of memory");
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, AUTH_ERR_LEN, "%s", n ? strerror(errno) : "file shrank");
			goto out;
		}
		len += (size_t)n;
	}
	ret = auth_parse(text, len, out, err);
out:
	if (text) {
		explicit_bzero(text, len);
		free(text);
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Equal strings, in time that depends on the lengths only. */
static bool same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

bool auth_check(struct auth *a, const char *user, const char *password)
{
	struct auth_user *u = NULL;
	const char *hashed;

	for (size_t i = 0; i < a->count; i++)
		if (!strcmp(a->users[i].name, user))
			u = &a->users[i];
	if (!u)
		return false;
	if (u->verified && same(u->verified, password))
		return true;
	hashed = crypt_r(password, u->hash, a->crypt);
	if (!hashed || hashed[0] == '*' || !same(hashed, u->hash))
		return false;
	if (u->verified) {
		explicit_bzero(u->verified, strlen(u->verified));
		free(u->verified);
	}
	u->verified = strdup(password);	/* NULL: just slower next time */
	return true;
}
