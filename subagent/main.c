// SPDX-License-Identifier: GPL-2.0-only
/*
 * linubia-agentx: AgentX subagent serving LINUBIA-MIB.
 *   linubia-agentx [-f] [-x SOCKET] [-c CONFIG] [-p PIDFILE] [-L LOGOPTS]
 * -L takes snmpd's logging options (-Lo, -Le, -Lf FILE, -Ls FACILITY ...).
 * SIGTERM/SIGINT: clean exit; SIGHUP: re-read CONFIG.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "agent.h"

#define LNB_DEFAULT_CONF "/etc/linubia/linubia-agentx.conf"

struct lnb_conf {
	char socket[300];
	char pidfile[300];
	int cache_period;	/* seconds */
	int ping_interval;	/* seconds */
	int agentx_timeout;	/* seconds */
	int agentx_retries;
};

static volatile sig_atomic_t lnb_stop, lnb_hup;

static void lnb_on_signal(int sig)
{
	if (sig == SIGHUP)
		lnb_hup = 1;
	else
		lnb_stop = 1;
}

static void lnb_conf_defaults(struct lnb_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->cache_period = 5;
	c->ping_interval = 5;
	c->agentx_timeout = 1;
	c->agentx_retries = 0;
}

static int lnb_int(const char *path, int line, const char *key, const char *v, int min,
		   int max, int *out)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (*v == '\0' || *end != '\0' || n < min || n > max) {
		snmp_log(LOG_ERR, "linubia: %s:%d: %s wants an integer in %d..%d, not \"%s\"\n",
			 path, line, key, min, max, v);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/* "key value" lines, # comments.  Missing file: defaults (unless must). */
static int lnb_conf_read(const char *path, int must, struct lnb_conf *c)
{
	char buf[512], key[64], val[300];
	FILE *f = fopen(path, "r");
	int line = 0, bad = 0;

	if (!f) {
		if (!must && errno == ENOENT)
			return 0;
		snmp_log(LOG_ERR, "linubia: cannot read %s: %s (check the -c path)\n", path,
			 strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), f)) {
		line++;
		if (sscanf(buf, " %63s %299s", key, val) < 1 || key[0] == '#')
			continue;
		if (sscanf(buf, " %63s %299s", key, val) != 2) {
			snmp_log(LOG_ERR, "linubia: %s:%d: %s needs a value\n", path, line, key);
			bad = 1;
		} else if (!strcmp(key, "agentx_socket")) {
			snprintf(c->socket, sizeof(c->socket), "%s", val);
		} else if (!strcmp(key, "pid_file")) {
			snprintf(c->pidfile, sizeof(c->pidfile), "%s", val);
		} else if (!strcmp(key, "cache_period")) {
			bad |= lnb_int(path, line, key, val, 1, 3600, &c->cache_period);
		} else if (!strcmp(key, "ping_interval")) {
			bad |= lnb_int(path, line, key, val, 1, 3600, &c->ping_interval);
		} else if (!strcmp(key, "agentx_timeout")) {
			bad |= lnb_int(path, line, key, val, 1, 60, &c->agentx_timeout);
		} else if (!strcmp(key, "agentx_retries")) {
			bad |= lnb_int(path, line, key, val, 0, 10, &c->agentx_retries);
		} else {
			snmp_log(LOG_ERR, "linubia: %s:%d: unknown setting \"%s\"\n", path, line, key);
			bad = 1;
		}
	}
	fclose(f);
	return bad ? -1 : 0;
}

static void lnb_usage(FILE *out)
{
	fprintf(out, "usage: linubia-agentx [-f] [-x SOCKET] [-c CONFIG] [-p PIDFILE] [-L LOGOPTS]\n"
		"  -f          stay in the foreground\n"
		"  -x SOCKET   the master's AgentX socket (default: Net-SNMP's)\n"
		"  -c CONFIG   settings file (default " LNB_DEFAULT_CONF ")\n"
		"  -p PIDFILE  write the process id there\n"
		"  -L OPTS     logging as snmpd: -Le stderr, -Lo stdout, -Lf FILE, -Ls FACILITY\n");
}

/* The event loop: AgentX traffic, alarms (pings, reconnects), signals. */
static void lnb_loop(const char *conf_path, int conf_must)
{
	while (!lnb_stop) {
		struct timeval tv = { 1, 0 };
		int nfds = 0, block = 1, n;
		fd_set fds;

		FD_ZERO(&fds);
		snmp_select_info(&nfds, &fds, &tv, &block);
		if (block || tv.tv_sec >= 1) {	/* wake up for signals */
			tv.tv_sec = 1;
			tv.tv_usec = 0;
		}
		n = select(nfds, &fds, NULL, NULL, &tv);
		if (n > 0)
			snmp_read(&fds);
		else if (n == 0)
			snmp_timeout();
		else if (errno != EINTR)
			snmp_log(LOG_ERR, "linubia: select: %s\n", strerror(errno));
		run_alarms();
		netsnmp_check_outstanding_agent_requests();
		if (lnb_hup) {
			struct lnb_conf c;

			lnb_hup = 0;
			lnb_conf_defaults(&c);
			if (lnb_conf_read(conf_path, conf_must, &c) < 0) {
				snmp_log(LOG_ERR, "linubia: reload failed, keeping the old settings\n");
				continue;
			}
			lnb_agent_reload(c.cache_period);
			netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID,
					   NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, c.ping_interval);
			snmp_log(LOG_INFO, "linubia: reloaded %s (cache period %d s; a new "
				 "agentx_socket needs a restart)\n", conf_path, c.cache_period);
		}
	}
}

int main(int argc, char **argv)
{
	const char *conf_path = LNB_DEFAULT_CONF, *sock = NULL, *pidfile = NULL;
	int foreground = 0, conf_must = 0, logging = 0, opt, rc = 0;
	struct lnb_conf conf;
	struct sigaction sa;
	FILE *pf;

	while ((opt = getopt(argc, argv, "fhx:c:p:L:")) != -1) {
		switch (opt) {
		case 'f':
			foreground = 1;
			break;
		case 'x':
			sock = optarg;
			break;
		case 'c':
			conf_path = optarg;
			conf_must = 1;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'L':
			if (snmp_log_options(optarg, argc, argv) < 0) {
				lnb_usage(stderr);
				return 2;
			}
			logging = 1;
			break;
		case 'h':
			lnb_usage(stdout);
			return 0;
		default:
			lnb_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		lnb_usage(stderr);
		return 2;
	}
	if (!logging) {
		if (foreground)
			snmp_enable_stderrlog();
		else
			snmp_enable_syslog_ident("linubia-agentx", LOG_DAEMON);
	}
	lnb_conf_defaults(&conf);
	if (lnb_conf_read(conf_path, conf_must, &conf) < 0)
		return 1;
	if (sock)
		snprintf(conf.socket, sizeof(conf.socket), "%s", sock);
	if (pidfile)
		snprintf(conf.pidfile, sizeof(conf.pidfile), "%s", pidfile);

	/* No MIB files, no snmp.conf, no persistent state: all is compiled in. */
	setenv("MIBS", "", 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	if (conf.socket[0])
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET,
				      conf.socket);
	/* Better to disconnect and reconnect than to wait (keepalived). */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_TIMEOUT,
			   conf.agentx_timeout * ONE_SEC);
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_RETRIES,
			   conf.agentx_retries);

	if (!foreground && netsnmp_daemonize(1, !logging) != 0) {
		snmp_log(LOG_ERR, "linubia: cannot become a daemon\n");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = lnb_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (init_agent("linubia-agentx") != 0) {
		snmp_log(LOG_ERR, "linubia: init_agent failed\n");
		return 1;
	}
	/* init_agent() resets it: set after, or no reconnection ever. */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
			   conf.ping_interval);
	if (lnb_agent_register(conf.cache_period) < 0) {
		rc = 1;
		goto out;
	}
	init_snmp("linubia-agentx");
	if (conf.pidfile[0]) {
		pf = fopen(conf.pidfile, "w");
		if (!pf) {
			snmp_log(LOG_ERR, "linubia: cannot write pid file %s: %s\n", conf.pidfile,
				 strerror(errno));
			rc = 1;
			goto out;
		}
		fprintf(pf, "%ld\n", (long)getpid());
		fclose(pf);
	}
	snmp_log(LOG_INFO, "linubia-agentx: started (AgentX %s, cache %d s)\n",
		 conf.socket[0] ? conf.socket : "default socket", conf.cache_period);
	lnb_loop(conf_path, conf_must);
	snmp_log(LOG_INFO, "linubia-agentx: stopping\n");
	if (conf.pidfile[0])
		unlink(conf.pidfile);
out:
	lnb_agent_shutdown();
	snmp_shutdown("linubia-agentx");
	shutdown_agent();
	return rc;
}
