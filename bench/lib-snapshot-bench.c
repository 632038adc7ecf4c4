// SPDX-License-Identifier: GPL-2.0-only
/*
 * Timing for docs/benchmarks-lib.md.
 *   lib-snapshot-bench snapshot ROUNDS        linubia_snapshot_take() in-process
 *   lib-snapshot-bench exec ROUNDS -- CMD...  a command, stdout to /dev/null
 *   lib-snapshot-bench parse ROUNDS RECORDS   the user-space half natively:
 *       parse a kernel-shaped dump of RECORDS records (two non-zero counters
 *       each, 32 KiB reads) into a snapshot, no kernel involved
 *   lib-snapshot-bench walk ROUNDS CHUNK      the kernel half over eBPF alone:
 *       BPF_MAP_LOOKUP_BATCH over the pinned lnb_users map, CHUNK entries
 *       per call into one reused buffer, nothing kept (needs the backend)
 *   lib-snapshot-bench walk-private ROUNDS CHUNK RECORDS   the same over a
 *       private map of lnb_users' shape filled with RECORDS entries (no
 *       pins touched: runs while the backend is not loaded)
 * Prints one line: records, median/min/max wall ms, peak RSS in KiB (of this
 * process, or the largest of the children).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/types.h>

#include "linubia.h"
#include "maps.h"
#include "msgbuild.h"
#include "parse.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const char *what, size_t records, double *ms, int rounds, long rss_kib)
{
	qsort(ms, (size_t)rounds, sizeof(*ms), cmp_double);
	printf("%s records=%zu rounds=%d median_ms=%.1f min_ms=%.1f max_ms=%.1f rss_kib=%ld\n",
	       what, records, rounds, ms[rounds / 2], ms[0], ms[rounds - 1], rss_kib);
}

static int bench_snapshot(int rounds, double *ms)
{
	struct linubia_snapshot *s;
	struct linubia *h;
	struct rusage ru;
	size_t records = 0;
	int err = linubia_open(&h, NULL);

	if (err) {
		fprintf(stderr, "lib-snapshot-bench: open: %s\n", linubia_strerror(err));
		return 1;
	}
	for (int i = 0; i < rounds; i++) {
		double start = now_ms();

		err = linubia_snapshot_take(h, &s);
		ms[i] = now_ms() - start;
		if (err) {
			fprintf(stderr, "lib-snapshot-bench: snapshot: %s (%s)\n",
				linubia_strerror(err), linubia_error_detail(h));
			linubia_close(h);
			return 1;
		}
		records = linubia_snapshot_count(s);
		linubia_snapshot_free(s);
	}
	linubia_close(h);
	getrusage(RUSAGE_SELF, &ru);
	report("snapshot", records, ms, rounds, ru.ru_maxrss);
	return 0;
}

static int parse_record(const struct nlmsghdr *nlh, void *arg, struct lnb_detail *d)
{
	struct linubia_record r;
	int err = lnb_parse_record(nlh, LINUBIA_CMD_GET_USER, &r, d);

	return err ? err : lnb_snapshot_add(arg, &r);
}

/* Dump chunks of ~32 KiB, as the kernel sends them; records in hash order. */
static int bench_parse(int rounds, double *ms, size_t records)
{
	const struct lnb_reply_expect expect = { MB_SEQ, MB_PORTID, MB_FAMILY };
	size_t per_chunk = 0, nchunks;
	struct mb *chunks;
	struct rusage ru;

	{
		struct mb probe;
		struct linubia_record r = { .uid = 1 };

		r.counters[LINUBIA_C_OUT_IPV4_UDP_BYTES] = 29;
		r.counters[LINUBIA_C_OUT_IPV4_UDP_PACKETS] = 1;
		mb_reset(&probe);
		while (probe.len < 32768 - 512) {
			mb_record(&probe, LINUBIA_CMD_GET_USER, &r);
			per_chunk++;
		}
	}
	nchunks = (records + per_chunk - 1) / per_chunk;
	chunks = calloc(nchunks, sizeof(*chunks));
	if (!chunks)
		return 1;
	for (size_t i = 0; i < records; i++) {
		struct linubia_record r = { .uid = (uint32_t)((i * 2654435761u) % 4000000000u),
					    .first_seen_ns = i };

		r.counters[LINUBIA_C_OUT_IPV4_UDP_BYTES] = 29;
		r.counters[LINUBIA_C_OUT_IPV4_UDP_PACKETS] = 1;
		mb_record(&chunks[i / per_chunk], LINUBIA_CMD_GET_USER, &r);
	}
	mb_done(&chunks[nchunks - 1], 0);
	for (int k = 0; k < rounds; k++) {
		struct linubia_snapshot *s = lnb_snapshot_new();
		struct lnb_detail d;
		double start = now_ms();
		int ret = LNB_STREAM_MORE;

		for (size_t c = 0; c < nchunks && ret == LNB_STREAM_MORE; c++)
			ret = lnb_parse_stream(chunks[c].buf, chunks[c].len, &expect,
					       parse_record, s, &d);
		if (ret == LNB_STREAM_END)
			ret = lnb_snapshot_finish(s, &d);
		ms[k] = now_ms() - start;
		if (ret || linubia_snapshot_count(s) != records) {
			fprintf(stderr, "lib-snapshot-bench: parse failed: %d %s\n", ret, d.text);
			return 1;
		}
		linubia_snapshot_free(s);
	}
	free(chunks);
	getrusage(RUSAGE_SELF, &ru);
	report("parse", records, ms, rounds, ru.ru_maxrss);
	return 0;
}

/* One full batch walk of map fd into a reused buffer; entries or -errno. */
static long walk_once(int fd, __u32 chunk, void *keys, void *vals)
{
	__u32 in = 0, out = 0, n;
	long total = 0;
	bool first = true;

	for (;;) {
		int ret;

		n = chunk;
		ret = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &n, NULL);
		if (ret && errno != ENOENT)
			return -errno;
		total += n;
		if (ret)
			return total;
		in = out;
		first = false;
	}
}

/* A private hash map shaped like lnb_users, with records entries. */
static int make_private_map(size_t records)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	struct lnb_bpf_user *vals = calloc(1024, sizeof(*vals));
	__u32 keys[1024];
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "lnb_bench", sizeof(__u32),
				sizeof(struct lnb_bpf_user), (__u32)records + 100, &opts);

	if (fd < 0 || !vals) {
		fprintf(stderr, "lib-snapshot-bench: map create: %s\n", strerror(errno));
		free(vals);
		return -1;
	}
	for (size_t i = 0; i < 1024; i++) {
		vals[i].c[LINUBIA_C_OUT_IPV4_UDP_BYTES] = 29;
		vals[i].c[LINUBIA_C_OUT_IPV4_UDP_PACKETS] = 1;
	}
	for (size_t done = 0; done < records;) {
		__u32 n = records - done < 1024 ? (__u32)(records - done) : 1024;

		for (__u32 i = 0; i < n; i++)
			keys[i] = (__u32)(300000 + done + i);
		if (bpf_map_update_batch(fd, keys, vals, &n, NULL)) {
			fprintf(stderr, "lib-snapshot-bench: map fill: %s\n", strerror(errno));
			close(fd);
			free(vals);
			return -1;
		}
		done += n;
	}
	free(vals);
	return fd;
}

static int bench_walk(int rounds, double *ms, __u32 chunk, size_t private_records)
{
	const char *path = LNB_BPF_PIN_DIR "/lnb_users";
	int fd = private_records ? make_private_map(private_records) : bpf_obj_get(path);
	__u32 *keys = calloc(chunk, sizeof(*keys));
	struct lnb_bpf_user *vals = calloc(chunk, sizeof(*vals));
	struct rusage ru;
	long n = 0;

	if (fd < 0 || !keys || !vals) {
		fprintf(stderr, "lib-snapshot-bench: walk: %s: %s\n",
			private_records ? "private map" : path, strerror(errno));
		free(keys);
		free(vals);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	for (int i = 0; i < rounds && n >= 0; i++) {
		double start = now_ms();

		n = walk_once(fd, chunk, keys, vals);
		ms[i] = now_ms() - start;
	}
	close(fd);
	free(keys);
	free(vals);
	if (n < 0) {
		fprintf(stderr, "lib-snapshot-bench: walk: %s\n", strerror((int)-n));
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("chunk=%u ", chunk);
	report(private_records ? "walk-private" : "walk", (size_t)n, ms, rounds, ru.ru_maxrss);
	return 0;
}

static int bench_exec(int rounds, double *ms, char **cmd)
{
	long rss = 0;

	for (int i = 0; i < rounds; i++) {
		double start = now_ms();
		struct rusage ru;
		int status;
		pid_t pid = fork();

		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);

			if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
				_exit(126);
			execvp(cmd[0], cmd);
			_exit(127);
		}
		if (pid < 0 || wait4(pid, &status, 0, &ru) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "lib-snapshot-bench: %s failed\n", cmd[0]);
			return 1;
		}
		ms[i] = now_ms() - start;
		if (ru.ru_maxrss > rss)
			rss = ru.ru_maxrss;
	}
	report("exec", 0, ms, rounds, rss);
	return 0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 2 ? atoi(argv[2]) : 0;
	double *ms;
	int ret;

	bool snapshot = argc == 3 && !strcmp(argv[1], "snapshot");
	bool parse = argc == 4 && !strcmp(argv[1], "parse");
	bool exec = argc >= 5 && !strcmp(argv[1], "exec") && !strcmp(argv[3], "--");
	bool walk = argc == 4 && !strcmp(argv[1], "walk");
	bool walk_private = argc == 5 && !strcmp(argv[1], "walk-private");
	unsigned long chunk = walk || walk_private ? strtoul(argv[3], NULL, 10) : 1;

	if (rounds < 1 || rounds > 1000 || chunk < 1 || chunk > 1000000 ||
	    !(snapshot || parse || exec || walk || walk_private)) {
		fprintf(stderr, "usage: lib-snapshot-bench snapshot ROUNDS | parse ROUNDS RECORDS | "
			"exec ROUNDS -- CMD... | walk ROUNDS CHUNK | "
			"walk-private ROUNDS CHUNK RECORDS\n");
		return 2;
	}
	ms = calloc((size_t)rounds, sizeof(*ms));
	if (!ms)
		return 1;
	if (snapshot)
		ret = bench_snapshot(rounds, ms);
	else if (parse)
		ret = bench_parse(rounds, ms, strtoul(argv[3], NULL, 10));
	else if (walk || walk_private)
		ret = bench_walk(rounds, ms, (__u32)chunk,
				 walk_private ? strtoul(argv[4], NULL, 10) : 0);
	else
		ret = bench_exec(rounds, ms, argv + 4);
	free(ms);
	return ret;
}
