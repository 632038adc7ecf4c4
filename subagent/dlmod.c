// SPDX-License-Identifier: GPL-2.0-only
/*
 * linubia.so: LINUBIA-MIB inside snmpd, as a Net-SNMP dlmod.
 *   dlmod linubia /usr/local/lib/snmp/dlmod/linubia.so
 *   linubiaCachePeriod 5          (optional, after the dlmod line; 1..3600 s)
 * The handler, cache, column map and SET logic are agent.c's, as in
 * linubia-agentx; only these entry points differ.  snmpd's SIGHUP unloads
 * every dlmod (deinit_linubia, dlclose) and loads it again from the config.
 */
#include <stdlib.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "agent.h"

#define LNB_TOKEN_CACHE "linubiaCachePeriod"

void init_linubia(void);
void deinit_linubia(void);

static int lnb_registered;

static void lnb_parse_cache_period(const char *token, char *value)
{
	char *end;
	long n = strtol(value, &end, 10);

	(void)token;
	while (*end == ' ' || *end == '\t')
		end++;
	if (end == value || *end != '\0' || n < 1 || n > 3600) {
		config_perror("linubiaCachePeriod wants seconds, an integer in 1..3600");
		return;
	}
	if (lnb_registered)
		lnb_agent_set_cache_period((int)n);
}

void init_linubia(void)
{
	if (lnb_agent_register(5) < 0) {
		snmp_log(LOG_ERR, "linubia: LINUBIA-MIB is not served by this snmpd\n");
		return;
	}
	lnb_registered = 1;
	snmpd_register_config_handler(LNB_TOKEN_CACHE, lnb_parse_cache_period, NULL,
				      "seconds (1..3600)");
	snmp_log(LOG_INFO, "linubia: LINUBIA-MIB served in snmpd (dlmod)\n");
}

void deinit_linubia(void)
{
	if (!lnb_registered)
		return;
	snmpd_unregister_config_handler(LNB_TOKEN_CACHE);
	lnb_agent_unregister();
	lnb_agent_shutdown();
	lnb_registered = 0;
	snmp_log(LOG_INFO, "linubia: LINUBIA-MIB unloaded from snmpd\n");
}
