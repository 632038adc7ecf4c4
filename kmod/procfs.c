// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/linubia: the records as a text table for `cat`, one line per UID,
 * header generated from the UAPI counter list.  Mode 0400, and the opener
 * must be an admin (access.c): uid 0 in a container without capabilities,
 * or in its own network namespace, reads nothing.
 * Columns: uid first_seen_ns last_reset_ns <the counters in index order>.
 */
#include <linux/fs.h>
#include <linux/nsproxy.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/rculist.h>
#include <linux/seq_file.h>

#include "internal.h"

#define LNB_COUNTER_NAME(E, name, d, f, p, u) name,
static const char *const lnb_counter_names[] = {
	LINUBIA_COUNTERS(LNB_COUNTER_NAME)
};

/*
 * Iterator: the record at seq position @pos is the @index-th of @bucket.
 * Records never move, so a read resumes there without walking the table.
 */
struct lnb_proc_iter {
	loff_t pos;
	unsigned int bucket;
	unsigned int index;
};

static struct lnb_user *lnb_proc_at(struct lnb_proc_iter *it)
{
	struct lnb_user *u;
	unsigned int i;

	for (; it->bucket < lnb_nr_buckets(); it->bucket++, it->index = 0) {
		i = 0;
		hlist_for_each_entry_rcu(u, lnb_bucket(it->bucket), node)
			if (i++ == it->index)
				return u;
	}
	return NULL;
}

/* Position 0 is the header line; records start at 1. */
static void *lnb_proc_start(struct seq_file *m, loff_t *pos)
	__acquires(RCU)
{
	struct lnb_proc_iter *it = m->private;

	rcu_read_lock();
	if (*pos == 0)
		return SEQ_START_TOKEN;
	if (it->pos != *pos) {
		/* Not where the last read stopped (lseek): walk from the start. */
		it->bucket = 0;
		it->index = 0;
		for (it->pos = 1; it->pos < *pos && lnb_proc_at(it); it->pos++)
			it->index++;
	}
	return lnb_proc_at(it);
}

static void *lnb_proc_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct lnb_proc_iter *it = m->private;

	++*pos;
	if (v == SEQ_START_TOKEN) {
		it->bucket = 0;
		it->index = 0;
	} else {
		it->index++;
	}
	it->pos = *pos;
	return lnb_proc_at(it);
}

static void lnb_proc_stop(struct seq_file *m, void *v)
	__releases(RCU)
{
	rcu_read_unlock();
}

static int lnb_proc_show(struct seq_file *m, void *v)
{
	u64 c[LINUBIA_COUNTER_COUNT], last_reset_ns;
	const struct lnb_user *u = v;
	unsigned int i;

	if (v == SEQ_START_TOKEN) {
		seq_puts(m, "uid first_seen_ns last_reset_ns");
		for (i = 0; i < LINUBIA_COUNTER_COUNT; i++)
			seq_printf(m, " %s", lnb_counter_names[i]);
		seq_putc(m, '\n');
		return 0;
	}
	lnb_user_read(u, c, &last_reset_ns);
	seq_printf(m, "%u %llu %llu", u->uid, u->first_seen_ns, last_reset_ns);
	for (i = 0; i < LINUBIA_COUNTER_COUNT; i++)
		seq_printf(m, " %llu", c[i]);
	seq_putc(m, '\n');
	return 0;
}

static const struct seq_operations lnb_proc_ops = {
	.start = lnb_proc_start,
	.next = lnb_proc_next,
	.stop = lnb_proc_stop,
	.show = lnb_proc_show,
};

static int lnb_proc_open(struct inode *inode, struct file *file)
{
	if (!lnb_admin_file(file, current->nsproxy->net_ns))
		return -EPERM;
	return seq_open_private(file, &lnb_proc_ops, sizeof(struct lnb_proc_iter));
}

static const struct proc_ops lnb_proc_fops = {
	.proc_open = lnb_proc_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = seq_release_private,
};

int lnb_procfs_init(void)
{
	BUILD_BUG_ON(ARRAY_SIZE(lnb_counter_names) != LINUBIA_COUNTER_COUNT);
	if (!proc_create("linubia", 0400, NULL, &lnb_proc_fops))
		return -ENOMEM;
	return 0;
}

void lnb_procfs_exit(void)
{
	remove_proc_entry("linubia", NULL);
}
