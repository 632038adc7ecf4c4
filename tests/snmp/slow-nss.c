// SPDX-License-Identifier: GPL-2.0-only
/*
 * LD_PRELOAD shim for tests: every getpwuid_r() takes LNB_SLOW_NSS_MS
 * milliseconds before asking the real one, as with an LDAP server that
 * answers slowly.  The subagent must answer AgentX requests regardless.
 */
#include <dlfcn.h>
#include <pwd.h>
#include <stdlib.h>
#include <time.h>

typedef int (*lnb_getpwuid_r_fn)(uid_t, struct passwd *, char *, size_t, struct passwd **);

int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len, struct passwd **result)
{
	lnb_getpwuid_r_fn real = (lnb_getpwuid_r_fn)dlsym(RTLD_NEXT, "getpwuid_r");
	const char *ms = getenv("LNB_SLOW_NSS_MS");
	long delay = ms ? atol(ms) : 0;
	struct timespec ts = { delay / 1000, (delay % 1000) * 1000000L };

	if (!real)
		return -1;
	if (delay > 0)
		nanosleep(&ts, NULL);
	return real(uid, pw, buf, len, result);
}
