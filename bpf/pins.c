// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where the backend lives between runs: bpffs (mounted if missing), the
 * versioned pin directory (mode 0700: root only), and the lock file that
 * serialises the commands that change anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "internal.h"

#define LNB_BPF_FS_MAGIC	0xcafe4a11

int lnb_pin_path(char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", LNB_BPF_PIN_DIR, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool lnb_pin_exists(const char *name)
{
	char path[128];

	return !lnb_pin_path(path, sizeof(path), name) && access(path, F_OK) == 0;
}

int lnb_bpffs_ensure(struct linubia_bpf_error *err)
{
	struct statfs st;

	if (statfs(LNB_BPF_FS, &st) == 0 && st.f_type == LNB_BPF_FS_MAGIC)
		return 0;
	if (mkdir(LNB_BPF_FS, 0700) && errno != EEXIST)
		return lnb_fail(err, errno, "create " LNB_BPF_FS,
				"mount bpffs there: mount -t bpf bpf " LNB_BPF_FS);
	if (mount("bpf", LNB_BPF_FS, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0700"))
		return lnb_fail(err, errno, "mount bpffs on " LNB_BPF_FS,
				"mount it by hand: mount -t bpf bpf " LNB_BPF_FS);
	return 0;
}

static int lnb_mkdir_private(const char *dir, struct linubia_bpf_error *err)
{
	if (mkdir(dir, 0700) && errno != EEXIST)
		return lnb_failf(err, errno, "is bpffs mounted read-only?",
				 "create %s", dir);
	/* An existing directory may have been made with a laxer mode. */
	if (chmod(dir, 0700))
		return lnb_failf(err, errno, "remove it and load again",
				 "set mode 0700 on %s", dir);
	return 0;
}

int lnb_pin_dir_make(struct linubia_bpf_error *err)
{
	int ret = lnb_mkdir_private(LNB_BPF_PIN_PARENT, err);

	return ret ? ret : lnb_mkdir_private(LNB_BPF_PIN_DIR, err);
}

/* Returns the lock's fd (>= 0) or -errno. */
int lnb_lock(struct linubia_bpf_error *err, const char *what)
{
	int fd = open(LNB_BPF_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		      0600);

	if (fd < 0)
		return lnb_failf(err, errno, "is /run writable?",
				 "%s: open lock file " LNB_BPF_LOCK_FILE, what);
	if (flock(fd, LOCK_EX)) {
		int e = errno;

		close(fd);
		return lnb_failf(err, e, "retry",
				 "%s: lock " LNB_BPF_LOCK_FILE, what);
	}
	return fd;
}

void lnb_unlock(int lock_fd)
{
	if (lock_fd >= 0)
		close(lock_fd);		/* drops the flock */
}
