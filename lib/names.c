// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * UID -> user name through NSS (getpwuid_r, so LDAP and SSSD accounts
 * resolve), cached in an open-addressing hash: a table of 100k users asks
 * NSS once per UID, and a UID NSS does not know is remembered as such.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct lnb_name_slot {
	uint32_t uid;
	unsigned char used;
	char *name;		/* NULL: NSS knows no such user */
};

struct linubia_names {
	struct lnb_name_slot *slots;
	size_t cap, used;	/* cap is a power of two */
	char *buf;		/* getpwuid_r scratch space */
	size_t buf_size;
};

struct linubia_names *linubia_names_new(void)
{
	struct linubia_names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->cap = 256;
	n->slots = calloc(n->cap, sizeof(*n->slots));
	if (!n->slots) {
		free(n);
		return NULL;
	}
	return n;
}

void linubia_names_free(struct linubia_names *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->cap; i++)
		free(n->slots[i].name);
	free(n->slots);
	free(n->buf);
	free(n);
}

static size_t lnb_uid_hash(uint32_t uid, size_t cap)
{
	return (size_t)((uid * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (cap - 1);
}

static struct lnb_name_slot *lnb_slot(struct lnb_name_slot *slots, size_t cap,
				      uint32_t uid)
{
	size_t i = lnb_uid_hash(uid, cap);

	while (slots[i].used && slots[i].uid != uid)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

/* Keep the load below one half. */
static int lnb_names_grow(struct linubia_names *n)
{
	size_t cap = n->cap * 2;
	struct lnb_name_slot *slots;

	if ((n->used + 1) * 2 <= n->cap)
		return 0;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < n->cap; i++)
		if (n->slots[i].used)
			*lnb_slot(slots, cap, n->slots[i].uid) = n->slots[i];
	free(n->slots);
	n->slots = slots;
	n->cap = cap;
	return 0;
}

/* The getpwuid_r scratch buffer, allocated on first use. */
static int lnb_names_buf(struct linubia_names *n)
{
	long size = sysconf(_SC_GETPW_R_SIZE_MAX);

	if (n->buf)
		return 0;
	n->buf_size = size > 0 ? (size_t)size : 1024;
	n->buf = malloc(n->buf_size);
	return n->buf ? 0 : -ENOMEM;
}

static int lnb_names_bigger_buf(struct linubia_names *n);

/* Ask NSS; *name is NULL if it knows no such UID. */
static int lnb_nss_name(struct linubia_names *n, uint32_t uid, char **name)
{
	struct passwd pw, *found = NULL;
	int err;

	*name = NULL;
	if (lnb_names_buf(n))
		return -ENOMEM;
	while ((err = getpwuid_r(uid, &pw, n->buf, n->buf_size, &found)) == ERANGE) {
		err = lnb_names_bigger_buf(n);
		if (err)
			return err;
	}
	if (err || !found)
		return 0;	/* unknown, or NSS failed: show the number */
	*name = strdup(found->pw_name);
	return *name ? 0 : -ENOMEM;
}

/* Remember uid -> name (name may be NULL); takes ownership of name. */
static int lnb_names_put(struct linubia_names *n, uint32_t uid, char *name)
{
	struct lnb_name_slot *slot;

	if (lnb_names_grow(n)) {
		free(name);
		return -ENOMEM;
	}
	slot = lnb_slot(n->slots, n->cap, uid);
	if (slot->used) {	/* first answer wins, as with getpwuid_r */
		free(name);
		return 0;
	}
	slot->uid = uid;
	slot->used = 1;
	slot->name = name;
	n->used++;
	return 0;
}

/* Grow the scratch buffer after ERANGE; -ERANGE past 1 MiB. */
static int lnb_names_bigger_buf(struct linubia_names *n)
{
	char *bigger;

	if (n->buf_size >= (1u << 20))
		return -ERANGE;
	bigger = realloc(n->buf, n->buf_size * 2);
	if (!bigger)
		return -ENOMEM;
	n->buf = bigger;
	n->buf_size *= 2;
	return 0;
}

int linubia_names_preload(struct linubia_names *n)
{
	struct passwd pw, *found;
	int err = 0, rc;

	if (!n)
		return -EINVAL;
	if (lnb_names_buf(n))
		return -ENOMEM;
	setpwent();
	for (;;) {
		rc = getpwent_r(&pw, n->buf, n->buf_size, &found);
		if (rc == ERANGE) {
			err = lnb_names_bigger_buf(n);
			if (err)
				break;
			continue;
		}
		if (rc || !found)
			break;	/* ENOENT: the end */
		if (!lnb_slot(n->slots, n->cap, pw.pw_uid)->used) {
			char *name = strdup(pw.pw_name);

			err = name ? lnb_names_put(n, pw.pw_uid, name) : -ENOMEM;
			if (err)
				break;
		}
	}
	endpwent();
	return err;
}

const char *linubia_names_get(struct linubia_names *n, uint32_t uid)
{
	struct lnb_name_slot *slot;
	char *name = NULL;

	if (!n || uid == LINUBIA_UID_UNATTRIBUTED)
		return NULL;
	slot = lnb_slot(n->slots, n->cap, uid);
	if (slot->used)
		return slot->name;
	/* On failure (out of memory) the number will do. */
	if (lnb_nss_name(n, uid, &name) || lnb_names_put(n, uid, name))
		return NULL;
	return name;
}

const char *linubia_names_display(struct linubia_names *n, uint32_t uid,
				  char buf[LINUBIA_UID_STRLEN])
{
	const char *name;

	if (uid == LINUBIA_UID_UNATTRIBUTED)
		return "(unattributed)";
	name = linubia_names_get(n, uid);
	if (name)
		return name;
	snprintf(buf, LINUBIA_UID_STRLEN, "%u", uid);
	return buf;
}
