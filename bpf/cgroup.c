// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The cgroup v2 root, where the programs are attached: found in
 * /proc/self/mountinfo, so hybrid v1/v2 hosts (cgroup2 at
 * /sys/fs/cgroup/unified) work like pure v2 ones.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* The initial cgroup namespace's inode number (PROC_CGROUP_INIT_INO). */
#define LNB_CGROUP_INIT_INO	0xEFFFFFFBU

/*
 * In a cgroup namespace (a container), mountinfo shows the namespace's own
 * root as "/": attaching there would count only the sockets of that
 * subtree, silently.  Only the initial cgroup namespace will do.
 */
int lnb_cgroup_ns_initial(struct linubia_bpf_error *err)
{
	char link[64];
	unsigned int ino;
	ssize_t n;

	/* The link's text ("cgroup:[N]") carries the namespace's number;
	 * the nsfs inode itself need not (Linux 6.18 numbers them apart). */
	n = readlink("/proc/self/ns/cgroup", link, sizeof(link) - 1);
	if (n < 0)
		return errno == ENOENT ? 0 :	/* no cgroup namespaces in this kernel */
		       lnb_fail(err, errno, "load: read /proc/self/ns/cgroup", "is /proc mounted?");
	link[n] = '\0';
	if (sscanf(link, "cgroup:[%u]", &ino) != 1)
		return lnb_failf(err, EINVAL, "report a bug", "load: /proc/self/ns/cgroup is %s",
				 link);
	if (ino != LNB_CGROUP_INIT_INO)
		return lnb_fail(err, EPERM, "load: this process is in a cgroup namespace, whose "
				"\"/\" is only a subtree of the host's cgroups",
				"load from the initial cgroup namespace, e.g. nsenter -t 1 -C "
				"linubia ebpf load");
	return 0;
}

/*
 * mountinfo: "id parent major:minor root mountpoint options [optional...] -
 * fstype source superoptions".  Only a mount of the hierarchy's root ("/")
 * will do: a cgroup namespace or a bind mount may show a subtree, and
 * attaching there would miss the sockets of every other cgroup.
 */
static bool lnb_parse_mount(char *line, char **root, char **mnt)
{
	char *dash = strstr(line, " - ");
	char *save = NULL, *tok;
	int field = 0;

	if (!dash || strncmp(dash + 3, "cgroup2 ", 8) != 0)
		return false;
	*dash = '\0';
	for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (field == 3)
			*root = tok;
		else if (field == 4)
			*mnt = tok;
		field++;
	}
	return field >= 5;
}

int lnb_cgroup_root(char *path, size_t len, struct linubia_bpf_error *err)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, *root, *mnt;
	size_t cap = 0;
	int ret = -ENOENT;

	if (!f)
		return lnb_fail(err, errno, "open /proc/self/mountinfo",
				"is /proc mounted?");
	while (getline(&line, &cap, f) > 0) {
		if (!lnb_parse_mount(line, &root, &mnt) || strcmp(root, "/") != 0)
			continue;
		if (strlen(mnt) >= len) {
			ret = -ENAMETOOLONG;
			break;
		}
		/* mountinfo escapes spaces as \040: such paths are not supported. */
		strcpy(path, mnt);
		ret = 0;
		break;
	}
	free(line);
	fclose(f);
	if (ret == -ENAMETOOLONG)
		return lnb_fail(err, -ret, "cgroup v2 mount point", "mount it at a shorter path");
	if (ret)
		return lnb_fail(err, ENOENT, "find the cgroup v2 root in /proc/self/mountinfo",
				"mount it: mount -t cgroup2 none /sys/fs/cgroup/unified");
	return 0;
}
