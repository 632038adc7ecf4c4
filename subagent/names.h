/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * User names for linubiaUserName, looked up by a thread of their own.
 *
 * An NSS lookup may block for seconds (LDAP, SSSD); done while answering
 * an AgentX request it would stall the session (1 s timeout, 0 retries).
 * So request handling only peeks at a cache; UIDs it does not find there
 * are queued for the resolver thread; a peek waits for it only within a
 * time budget its caller sets per request (a local /etc/passwd answers in
 * microseconds, a dead LDAP server never holds a request up for longer),
 * and answers an empty name if it has not looked the UID up by then.  "No such user" is remembered for
 * negative_ttl seconds, then asked again (an account created later gets
 * its name); names found are kept until the cache is dropped (SIGHUP).
 */
#ifndef LNB_NAMES_H
#define LNB_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* Looks a UID up: 1 and the name in buf, 0 if unknown (or failed). */
typedef int (*lnb_lookup_fn)(uint32_t uid, char *buf, size_t len);

struct lnb_names;

/* NULL on failure.  lookup NULL: NSS (getpwuid_r). */
struct lnb_names *lnb_names_start(lnb_lookup_fn lookup, unsigned int negative_ttl);
void lnb_names_stop(struct lnb_names *names);
/*
 * Never runs a lookup; waits for the resolver at most *budget_ns, which it
 * reduces by the time it waited.  1: known, name in buf ("" if NSS knows no
 * such user); 0: not known yet (queued; buf is "").
 */
int lnb_names_peek(struct lnb_names *names, uint32_t uid, char *buf, size_t len,
		   uint64_t *budget_ns);
/* Queue uid for a lookup if it is not known yet (e.g. a new snapshot's). */
void lnb_names_want(struct lnb_names *names, uint32_t uid);

#endif
