/* SPDX-License-Identifier: GPL-2.0-only */
/* LINUBIA-MIB handlers: registration, snapshot cache, SET transactions. */
#ifndef LNB_AGENT_H
#define LNB_AGENT_H

/* Register linubiaObjects with the agent; 0 or -1 (logged). */
int lnb_agent_register(int cache_seconds);
/* New snapshot period from the next request on. */
void lnb_agent_set_cache_period(int cache_seconds);
/* SIGHUP: new cache period, forget cached user names. */
void lnb_agent_reload(int cache_seconds);
/* Take linubiaObjects out of the agent (a dlmod before it is unloaded). */
void lnb_agent_unregister(void);
void lnb_agent_shutdown(void);

#endif
