// SPDX-License-Identifier: GPL-2.0-only
/*
 * linubia-diameter: one Diameter accounting session per user (RFC 6733
 * section 9, base accounting application 3) from liblinubia's counters,
 * with every record spooled on disk until a positive ACA.
 *   linubia-diameter [-f] [-v] [-t] [-c CONFIG] [-p PIDFILE]
 * SIGTERM/SIGINT: STOP every session, wait a little for the answers, exit.
 * SIGHUP: re-read CONFIG (interval, scan, retry, answer_timeout, spool_max).
 * SIGUSR1: log the counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <freeDiameter/freeDiameter-host.h>
#include <freeDiameter/libfdcore.h>

#include <linubia.h>

#include "acr.h"
#include "conf.h"
#include "dict.h"
#include "fdconf.h"
#include "state.h"

#define LNB_DEFAULT_CONF "/etc/linubia/linubia-diameter.conf"
#define LNB_MAX_INFLIGHT 1024	/* requests handed to freeDiameter at once */
#define LNB_STOP_WAIT_MAX 10	/* s to wait for the STOPs' answers on exit */

static int lnb_foreground, lnb_verbose;

/*
 * freeDiameter 1.2.1 can abort in its own teardown (fd_fifo_del():
 * "Assertion ++loops < 20" when a thread is slow to leave a queue).  By
 * then every record and answer of ours is on disk: say so and end with
 * the status the stop deserves instead of a core dump.
 */
static void lnb_on_teardown_abort(int sig)
{
	static const char msg[] = "linubia-diameter: freeDiameter aborted during its own "
				  "shutdown (a known 1.2.1 race); the spool was already complete\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing else to do */
	}
	_exit(0);
}

static void lnb_vlog(int prio, const char *fmt, va_list ap)
{
	if (lnb_foreground) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		fprintf(stderr, "%lld.%03ld ", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(prio, fmt, ap);
	}
}

__attribute__((format(printf, 2, 3)))
static void lnb_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lnb_vlog(prio, fmt, ap);
	va_end(ap);
}

/* freeDiameter's own messages: errors always, the rest with -v. */
static void lnb_fd_logger(int level, const char *fmt, va_list ap)
{
	char buf[1024];

	if (level < (lnb_verbose ? FD_LOG_NOTICE : FD_LOG_ERROR))
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	lnb_log(level >= FD_LOG_ERROR ? LOG_ERR : LOG_INFO, "freeDiameter: %s", buf);
}

static uint64_t lnb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct lnb_daemon {
	struct lnb_dconf conf;
	const char *conf_path;
	struct lnb_state st;
	struct linubia *lnb;
	struct linubia_names *names;
	int backend_ok;			/* 1 last read worked, -1 failed, 0 none yet */
	int fd_up;			/* fd_core_initialize() succeeded */
	long inflight;
	uint64_t next_scan_ms;
	uint64_t busy_since_ms;		/* first send while nothing was pending */
	uint64_t sent_in_burst;
	uint32_t last_error;		/* last failure logged, and when */
	uint64_t last_error_ms;
	int peers_open;
};

static const char *lnb_user_name(void *ctx, uint32_t uid, char buf[LINUBIA_UID_STRLEN])
{
	struct lnb_daemon *d = ctx;

	return linubia_names_display(d->names, uid, buf);
}

/* Read the counters and turn them into records. */
static void lnb_scan(struct lnb_daemon *d)
{
	struct linubia_snapshot *snap = NULL;
	struct linubia_record *recs = NULL;
	struct lnb_scan_result res;
	struct timespec real, t0, t1;
	struct lnb_read rd;
	size_t n = 0;
	int err;

	if (!d->lnb) {
		err = linubia_open(&d->lnb, d->conf.backend[0] ? d->conf.backend : NULL);
		if (err) {
			d->lnb = NULL;
			goto fail;
		}
		if (linubia_reads_all(d->lnb) != 1) {
			lnb_log(LOG_ERR, "linubia: reading every user's counters: permission denied "
				"(run as root, or for the module with CAP_NET_ADMIN or in its read group, read_gid)");
			linubia_close(d->lnb);
			d->lnb = NULL;
			d->backend_ok = 0;
			return;
		}
	}
	err = linubia_snapshot_take(d->lnb, &snap);
	if (err)
		goto fail;
	n = linubia_snapshot_count(snap);
	recs = calloc(n ? n : 1, sizeof(*recs));
	if (!recs) {
		err = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		linubia_snapshot_record(snap, i, &recs[i]);
	linubia_snapshot_free(snap);
	snap = NULL;
	if (d->backend_ok != 1)
		lnb_log(LOG_INFO, "linubia-diameter: reading the %s backend (%zu records)",
			linubia_backend_name(d->lnb), n);
	d->backend_ok = 1;
	clock_gettime(CLOCK_REALTIME, &real);
	rd = (struct lnb_read){ recs, n, lnb_now_ms(), (uint64_t)real.tv_sec, lnb_user_name, d };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	lnb_state_scan(&d->st, &rd, &res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(recs);
	if (res.err)
		lnb_log(LOG_ERR, "linubia: writing %zu records to the spool in %s failed: %s "
			"(free space there; they are made again at the next scan)",
			res.not_made, d->conf.spool_dir, strerror(-res.err));
	else if (res.not_made)
		lnb_log(LOG_ERR, "linubia: spool full (%ld records): %zu records not made "
			"(the server is away; raise spool_max)", d->conf.spool_max, res.not_made);
	if (res.superseded)
		lnb_log(LOG_WARNING, "linubia-diameter: spool full: %zu INTERIM records "
			"superseded by newer ones of their sessions", res.superseded);
	if (res.made)	/* made (names looked up at START) + written + fdatasync */
		lnb_log(LOG_INFO, "linubia-diameter: %zu records spooled in %.3f ms, of which "
			"%.3f ms writing (%ld waiting)", res.made,
			(double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			(double)(t1.tv_nsec - t0.tv_nsec) / 1e6, (double)res.write_ns / 1e6,
			d->st.pending);
	return;
fail:
	if (snap)
		linubia_snapshot_free(snap);
	free(recs);
	if (d->backend_ok != -1)	/* say it once, not at every scan */
		lnb_log(LOG_ERR, "linubia: reading the counters failed: %s (records are made "
			"again once the backend is back)", linubia_strerror(err));
	d->backend_ok = -1;
	if (d->lnb && err != -ENOMEM) {
		linubia_close(d->lnb);
		d->lnb = NULL;
	}
}

/* Is any configured peer open?  (With freediameter_conf: assume yes.) */
static int lnb_peers_open(struct lnb_daemon *d)
{
	if (d->conf.fd_conf[0])
		return 1;
	for (int i = 0; i < d->conf.npeers; i++) {
		struct peer_hdr *p = NULL;

		if (!fd_peer_getbyid(d->conf.peers[i].id, strlen(d->conf.peers[i].id), 1, &p) &&
		    p && fd_peer_get_state(p) == STATE_OPEN)
			return 1;
	}
	return 0;
}

static void lnb_send(struct lnb_daemon *d, uint64_t now)
{
	int open = lnb_peers_open(d);

	if (open != d->peers_open)
		lnb_log(open ? LOG_INFO : LOG_WARNING, open ? "linubia-diameter: a peer is open: "
			"sending" : "linubia-diameter: no peer open: records wait in the spool");
	d->peers_open = open;
	if (!open)
		return;
	for (struct lnb_rec *r = d->st.head; r && d->inflight < LNB_MAX_INFLIGHT; r = r->next) {
		int err;

		if (r->state != LNB_WAITING || r->retry_at_ms > now)
			continue;
		if (d->inflight == 0 && !d->busy_since_ms) {
			d->busy_since_ms = now;
			d->sent_in_burst = 0;
		}
		err = lnb_acr_send(r);
		if (err) {
			lnb_log(LOG_ERR, "linubia: sending an Accounting-Request failed: %s "
				"(re-sent in %d s)", strerror(-err), d->conf.retry);
			lnb_state_failed(&d->st, r, now + (uint64_t)d->conf.retry * 1000);
			continue;
		}
		if (r->resend)
			d->st.stats.resent++;
		d->inflight++;
		d->sent_in_burst++;
	}
}

static void lnb_answers(struct lnb_daemon *d, uint64_t now)
{
	struct lnb_rec *r = lnb_acr_take(), *next;
	struct lnb_buf done = { 0 };
	int err;

	for (; r; r = next) {
		next = r->done_next;
		d->inflight--;
		if (r->ans_interval)
			lnb_state_set_interval(&d->st, r->uid, r->sid, r->ans_interval, now);
		if (r->ans_result == 2001) {
			lnb_state_answered(&d->st, r, &done);
			continue;
		}
		if (r->ans_result != d->last_error || now - d->last_error_ms > 30000) {
			if (r->ans_result == LNB_RESULT_TIMEOUT)
				lnb_log(LOG_ERR, "linubia: no answer to an Accounting-Request within "
					"%d s (kept, re-sent with the T flag in %d s)",
					d->conf.answer_timeout, d->conf.retry);
			else if (r->ans_local && r->ans_result == 3002)
				lnb_log(LOG_ERR, "linubia: no open peer serves realm %s (check "
					"destination_realm and the peers; records kept, re-sent in "
					"%d s)", d->conf.dest_realm, d->conf.retry);
			else
				lnb_log(LOG_ERR, "linubia: the server answered %u %s to an "
					"Accounting-Request (record kept, re-sent in %d s)",
					r->ans_result, lnb_result_name(r->ans_result), d->conf.retry);
			d->last_error = r->ans_result;
			d->last_error_ms = now;
		}
		lnb_state_failed(&d->st, r, now + (uint64_t)d->conf.retry * 1000);
	}
	err = lnb_state_flush(&d->st, &done);
	if (err)
		lnb_log(LOG_ERR, "linubia: noting answers in the spool failed: %s (those records "
			"are sent again after a restart; the server drops duplicates)", strerror(-err));
	if (d->busy_since_ms && d->st.pending == 0 && d->inflight == 0) {
		lnb_log(LOG_INFO, "linubia-diameter: all answered: %" PRIu64 " records in %.3f s",
			d->sent_in_burst, (double)(now - d->busy_since_ms) / 1000.0);
		d->busy_since_ms = 0;
		malloc_trim(0);	/* a burst of 10,000 messages leaves free heap behind */
	}
	err = lnb_state_compact(&d->st, 0);
	if (err)
		lnb_log(LOG_ERR, "linubia: compacting the spool failed: %s (free space in %s)",
			strerror(-err), d->conf.spool_dir);
}

static void lnb_log_stats(struct lnb_daemon *d)
{
	const struct lnb_stats *s = &d->st.stats;

	lnb_log(LOG_INFO, "linubia-diameter: sessions %zu, waiting %ld, in flight %ld, made %"
		PRIu64 ", answered %" PRIu64 ", failed %" PRIu64 ", re-sent %" PRIu64
		", superseded %" PRIu64 ", not made %" PRIu64 ", spool %" PRIu64 " bytes",
		d->st.sessions.count, d->st.pending, d->inflight, s->made, s->answered, s->failed,
		s->resent, s->superseded, s->not_made, d->st.spool.bytes);
}

static void lnb_reload(struct lnb_daemon *d)
{
	struct lnb_dconf c;

	if (lnb_conf_read(d->conf_path, &c, stderr) < 0 ||
	    lnb_conf_check(&c, d->conf_path, stderr) < 0) {
		lnb_log(LOG_ERR, "linubia: reloading %s failed: keeping the old settings",
			d->conf_path);
		return;
	}
	d->conf.interval = c.interval;
	d->conf.scan = c.scan;
	d->conf.retry = c.retry;
	d->conf.answer_timeout = c.answer_timeout;
	d->conf.spool_max = c.spool_max;
	d->st.interval = (uint32_t)c.interval;
	d->st.spool_max = c.spool_max;
	lnb_log(LOG_INFO, "linubia-diameter: reloaded %s (interval %d s, scan %d s; identity, "
		"peers and spool_dir need a restart)", d->conf_path, c.interval, c.scan);
}

/* Until SIGTERM: scan, send, take answers. */
static void lnb_loop(struct lnb_daemon *d, int sfd)
{
	for (;;) {
		struct pollfd pfd[2] = { { sfd, POLLIN, 0 }, { lnb_acr_eventfd(), POLLIN, 0 } };
		uint64_t now = lnb_now_ms();
		int timeout = 1000;

		if (now >= d->next_scan_ms) {
			lnb_scan(d);
			d->next_scan_ms = now + (uint64_t)d->conf.scan * 1000;
		}
		lnb_send(d, now);
		if (d->next_scan_ms - now < (uint64_t)timeout)
			timeout = (int)(d->next_scan_ms - now);
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
			lnb_log(LOG_ERR, "linubia: poll: %s", strerror(errno));
			return;
		}
		lnb_answers(d, lnb_now_ms());
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP)
				lnb_reload(d);
			else if (si.ssi_signo == SIGUSR1)
				lnb_log_stats(d);
			else
				return;
		}
	}
}

/* Clean stop: a last read, STOP for every session, a short wait. */
static void lnb_stop(struct lnb_daemon *d)
{
	struct lnb_scan_result res;
	struct timespec real;
	uint64_t deadline;
	int wait = d->conf.answer_timeout < LNB_STOP_WAIT_MAX ? d->conf.answer_timeout
							      : LNB_STOP_WAIT_MAX;

	lnb_scan(d);
	clock_gettime(CLOCK_REALTIME, &real);
	lnb_state_stop_all(&d->st, (uint64_t)real.tv_sec, &res);
	if (res.err || res.not_made)
		lnb_log(LOG_ERR, "linubia: %zu STOP records could not be spooled (%s): their "
			"sessions continue at the next start", res.not_made,
			res.err ? strerror(-res.err) : "spool full");
	lnb_log(LOG_INFO, "linubia-diameter: stopping: %zu STOP records, waiting up to %d s "
		"for the answers", res.made, wait);
	deadline = lnb_now_ms() + (uint64_t)wait * 1000;
	while (lnb_now_ms() < deadline) {
		struct pollfd pfd = { lnb_acr_eventfd(), POLLIN, 0 };
		int waiting = 0;

		lnb_send(d, lnb_now_ms());
		lnb_answers(d, lnb_now_ms());
		for (struct lnb_rec *r = d->st.head; r; r = r->next)
			waiting |= r->type == LNB_STOP;
		if (!waiting && d->inflight == 0)
			break;
		poll(&pfd, 1, 100);
	}
	/* Nothing more is sent; let freeDiameter's queues drain before its
	 * shutdown (1.2.1 aborts in fd_fifo_del() when it stops while
	 * requests are still being routed). */
	deadline = lnb_now_ms() + 2000;
	while (d->inflight > 0 && lnb_now_ms() < deadline) {
		struct pollfd pfd = { lnb_acr_eventfd(), POLLIN, 0 };

		poll(&pfd, 1, 100);
		lnb_answers(d, lnb_now_ms());
	}
}

static void lnb_usage(FILE *out)
{
	fprintf(out, "usage: linubia-diameter [-f] [-v] [-t] [-c CONFIG] [-p PIDFILE]\n"
		"  -f          stay in the foreground, log to stderr (else syslog)\n"
		"  -v          also log freeDiameter's notices (connections, peers)\n"
		"  -t          check CONFIG and exit\n"
		"  -c CONFIG   settings (default " LNB_DEFAULT_CONF ")\n"
		"  -p PIDFILE  write the process id there\n");
}

/*
 * With "netns", freeDiameter's threads (and so every Diameter connection)
 * live in that network namespace while the main thread, which reads the
 * counters, stays where the daemon started: setns() moves only the calling
 * thread, and threads inherit it when they are made.  (The module answers
 * requests for every user's record only in the initial network namespace.)
 */
static int lnb_enter_netns(const char *name, int *saved)
{
	char path[PATH_MAX + 16];
	int fd;

	*saved = -1;
	if (!name[0])
		return 0;
	snprintf(path, sizeof(path), "%s%s", strchr(name, '/') ? "" : "/run/netns/", name);
	*saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*saved < 0 || fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		lnb_log(LOG_ERR, "linubia: entering network namespace %s failed: %s (check netns; "
			"needs CAP_SYS_ADMIN)", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		if (*saved >= 0)
			close(*saved);
		*saved = -1;
		return -1;
	}
	close(fd);
	return 0;
}

static void lnb_leave_netns(int saved)
{
	if (saved < 0)
		return;
	if (setns(saved, CLONE_NEWNET) < 0)
		lnb_log(LOG_ERR, "linubia: returning to the daemon's network namespace failed: %s",
			strerror(errno));
	close(saved);
}

static int lnb_fd_start_in(struct lnb_daemon *d);

/* freeDiameter up, in the configured network namespace. */
static int lnb_fd_start(struct lnb_daemon *d)
{
	int saved, rc;

	if (lnb_enter_netns(d->conf.netns, &saved) < 0)
		return -1;
	rc = lnb_fd_start_in(d);
	lnb_leave_netns(saved);
	return rc;
}

/* freeDiameter up: its configuration, our AVPs, the accounting app. */
static int lnb_fd_start_in(struct lnb_daemon *d)
{
	struct dict_object *app = NULL;
	char path[PATH_MAX + 32], msg[512];
	const char *fdc = d->conf.fd_conf;
	int err;

	fd_g_debug_lvl = lnb_verbose ? FD_LOG_NOTICE : FD_LOG_ERROR;
	err = fd_log_handler_register(lnb_fd_logger);
	if (!err)
		err = fd_core_initialize();
	if (err) {
		lnb_log(LOG_ERR, "linubia: starting freeDiameter failed: %s", strerror(err));
		return -1;
	}
	d->fd_up = 1;
	if (!fdc[0]) {
		snprintf(path, sizeof(path), "%s/freediameter.conf", d->conf.spool_dir);
		if (lnb_fdconf_write(&d->conf, path, msg, sizeof(msg)) < 0) {
			lnb_log(LOG_ERR, "linubia: %s", msg);
			return -1;
		}
		fdc = path;
	}
	err = fd_core_parseconf(fdc);
	if (err) {
		lnb_log(LOG_ERR, "linubia: freeDiameter refused %s: %s (see its message above)",
			fdc, strerror(err));
		return -1;
	}
	err = lnb_dict_define_linux(fd_g_config->cnf_dict);
	if (!err)
		err = lnb_dict_define_std(fd_g_config->cnf_dict);
	if (!err)
		err = fd_dict_search(fd_g_config->cnf_dict, DICT_APPLICATION, APPLICATION_BY_NAME,
				     "Diameter Base Accounting", &app, ENOENT);
	if (!err)
		err = fd_disp_app_support(app, NULL, 0, 1);
	if (err) {
		lnb_log(LOG_ERR, "linubia: defining the accounting AVPs failed: %s", strerror(err));
		return -1;
	}
	if (lnb_acr_init(d->conf.dest_realm, d->conf.answer_timeout, msg, sizeof(msg)) < 0) {
		lnb_log(LOG_ERR, "linubia: %s", msg);
		return -1;
	}
	err = fd_core_start();
	if (err) {
		lnb_log(LOG_ERR, "linubia: starting freeDiameter failed: %s", strerror(err));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct lnb_daemon d;
	const char *pidfile = NULL;
	int opt, check = 0, rc = 0, sfd, err;
	uint64_t seed;
	char msg[1024];
	sigset_t sigs;

	d.conf_path = LNB_DEFAULT_CONF;
	while ((opt = getopt(argc, argv, "fvtc:p:h")) != -1) {
		switch (opt) {
		case 'f': lnb_foreground = 1; break;
		case 'v': lnb_verbose = 1; break;
		case 't': check = 1; break;
		case 'c': d.conf_path = optarg; break;
		case 'p': pidfile = optarg; break;
		case 'h': lnb_usage(stdout); return 0;
		default: lnb_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "linubia: unexpected argument \"%s\"\n", argv[optind]);
		lnb_usage(stderr);
		return 2;
	}
	if (lnb_conf_read(d.conf_path, &d.conf, stderr) < 0 ||
	    lnb_conf_check(&d.conf, d.conf_path, stderr) < 0)
		return 1;
	if (check) {
		printf("%s: OK\n", d.conf_path);
		return 0;
	}
	if (pidfile)
		snprintf(d.conf.pid_file, sizeof(d.conf.pid_file), "%s", pidfile);
	if (!lnb_foreground)
		openlog("linubia-diameter", LOG_PID, LOG_DAEMON);

	/* Signals arrive through a signalfd; freeDiameter's threads inherit
	 * the mask, so none of them takes a SIGTERM meant for us. */
	/* freeDiameter's threads allocate every message: without a cap each
	 * gets its own malloc arena and the RSS grows with the thread count */
	mallopt(M_ARENA_MAX, 2);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0) {
		lnb_log(LOG_ERR, "linubia: signalfd: %s", strerror(errno));
		return 1;
	}

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
	/* the Session-Ids' high 32 bits: the start time (RFC 6733 8.8) */
	seed = (uint64_t)(uint32_t)time(NULL) << 32 | (seed & 0xffffffffu);
	lnb_state_init(&d.st, d.conf.identity, (uint32_t)d.conf.interval, d.conf.spool_max, seed);
	err = lnb_state_open(&d.st, d.conf.spool_dir, msg, sizeof(msg));
	if (err) {
		lnb_log(LOG_ERR, "linubia: %s (%s)", msg[0] ? msg : "cannot open the spool",
			strerror(-err));
		return 1;
	}
	if (msg[0])
		lnb_log(LOG_WARNING, "linubia-diameter: %s", msg);
	d.names = linubia_names_new();
	if (!d.names) {
		lnb_log(LOG_ERR, "linubia: out of memory");
		rc = 1;
		goto out_state;
	}
	/* one enumeration instead of one NSS lookup per user at START */
	if (linubia_names_preload(d.names) < 0)
		lnb_log(LOG_WARNING, "linubia-diameter: listing the users failed: names are "
			"looked up one by one");
	if (lnb_fd_start(&d) < 0) {
		rc = 1;
		goto out_fd;
	}
	if (!d.conf.identity[0]) {
		/* from freediameter_conf: its Identity names our sessions */
		snprintf(d.conf.identity, sizeof(d.conf.identity), "%.*s",
			 (int)fd_g_config->cnf_diamid_len, fd_g_config->cnf_diamid);
	}
	if (d.conf.pid_file[0]) {
		FILE *pf = fopen(d.conf.pid_file, "w");

		if (!pf || fprintf(pf, "%ld\n", (long)getpid()) < 0 || fclose(pf) != 0) {
			lnb_log(LOG_ERR, "linubia: cannot write pid file %s: %s", d.conf.pid_file,
				strerror(errno));
			rc = 1;
			goto out_fd;
		}
	}
	lnb_log(LOG_INFO, "linubia-diameter: started as %s: %zu sessions and %ld unanswered "
		"records from %s, interval %d s, scan %d s", d.conf.identity,
		d.st.sessions.count, d.st.pending, d.conf.spool_dir, d.conf.interval, d.conf.scan);
	lnb_loop(&d, sfd);
	lnb_stop(&d);
	lnb_log_stats(&d);
	if (d.conf.pid_file[0])
		unlink(d.conf.pid_file);
out_fd:
	if (d.fd_up) {
		if (rc == 0) {
			struct sigaction sa;

			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = lnb_on_teardown_abort;
			sigaction(SIGABRT, &sa, NULL);
		}
		fd_core_shutdown();
		fd_core_wait_shutdown_complete();
	}
	/* whatever was answered meanwhile is noted; the rest stays spooled */
	lnb_answers(&d, lnb_now_ms());
	lnb_acr_fini();
	linubia_names_free(d.names);
	if (d.lnb)
		linubia_close(d.lnb);
out_state:
	lnb_state_free(&d.st);
	close(sfd);
	return rc;
}
