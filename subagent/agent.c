// SPDX-License-Identifier: GPL-2.0-only
/*
 * LINUBIA-MIB served over one liblinubia snapshot per cache period.
 *
 * One raw handler owns all of linubiaObjects (scalars, user table, detail
 * table); Net-SNMP's cache handler in front of it takes a new snapshot when
 * the period is over, never in the middle of a PDU, so every walk within a
 * period sees one consistent state.  The OID arithmetic (GET, GETNEXT in
 * O(log n), the 32-bit masking of AgentX sub-identifiers) is in view.c; the
 * column -> counter mapping in columns.c.  GETBULK reaches us as GETNEXTs
 * (bulk_to_next helper, injected by netsnmp_register_handler).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <linubia.h>

#include "agent.h"
#include "columns.h"
#include "names.h"
#include "view.h"

/* "No such user" is asked again after this long (seconds). */
#define LNB_NAME_NEGATIVE_TTL	300
/* Time one request may wait for the resolver thread, in all (ns). */
#define LNB_NAME_BUDGET_NS	50000000u

/* LINUBIA-MIB ::= { netSnmpPlaypen 1 }; linubiaObjects ::= { linubiaMIB 1 }. */
static const oid lnb_root[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 1, 1 };
#define LNB_ROOT_LEN OID_LENGTH(lnb_root)
_Static_assert(sizeof(oid) == sizeof(uint64_t), "view.c takes 64-bit sub-identifiers");

enum { LNB_BACKEND_KMOD = 1, LNB_BACKEND_EBPF = 2, LNB_BACKEND_NONE = 3 };
enum { LNB_RUNNING = 1, LNB_NOT_LOADED = 2, LNB_NO_ACCESS = 3 };
enum { LNB_TRUE = 1, LNB_FALSE = 2 };
enum { LNB_RESET_NO_ACTION = 1, LNB_RESET_RESET = 2 };

static struct {
	struct linubia *handle;
	struct linubia_snapshot *snap;
	struct lnb_names *names;	/* looked up by their own thread */
	netsnmp_handler_registration *reg;
	netsnmp_cache *cache;	/* owned by its handler in reg's chain */
	int backend, status, count_loopback;
	uint64_t now_ns;	/* CLOCK_REALTIME at the snapshot */
	uint64_t epoch_ns;	/* when sysUpTime was 0 (lnb_uptime_epoch) */
	int last_error;		/* logged once per change */
	uint64_t name_budget_ns;	/* left for this request (lnb_handler) */
} lnb;

static uint64_t lnb_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void lnb_log_state(int err)
{
	if (err == lnb.last_error)
		return;
	lnb.last_error = err;
	if (err)
		snmp_log(LOG_WARNING, "linubia: reading the counters failed: %s\n",
			 linubia_strerror(err));
	else
		snmp_log(LOG_INFO, "linubia: reading the counters from backend %s\n",
			 linubia_backend_name(lnb.handle));
}

/* Open the backend if needed; 0 or a negative linubia error. */
static int lnb_connect(void)
{
	int err;

	if (lnb.handle)
		return 0;
	err = linubia_open(&lnb.handle, NULL);
	if (err < 0)
		lnb.handle = NULL;
	return err;
}

static void lnb_disconnect(void)
{
	linubia_close(lnb.handle);
	lnb.handle = NULL;
}

/* The handle is stale (backend unloaded, or reloaded since): open anew. */
static int lnb_reconnect_if_gone(int err)
{
	if (err != -LINUBIA_ENOBACKEND)
		return err;
	lnb_disconnect();
	return lnb_connect();
}

static int lnb_cache_load(netsnmp_cache *cache, void *magic)
{
	struct linubia_config cfg;
	int err;

	(void)cache;
	(void)magic;
	linubia_snapshot_free(lnb.snap);
	lnb.snap = NULL;
	lnb.now_ns = lnb_realtime_ns();
	lnb.epoch_ns = lnb_uptime_epoch(lnb.epoch_ns, lnb.now_ns,
					(uint32_t)netsnmp_get_agent_uptime());
	err = lnb_connect();
	if (!err)
		err = linubia_snapshot_take(lnb.handle, &lnb.snap);
	if (!err)
		err = linubia_get_config(lnb.handle, &cfg);
	if (err < 0) {
		linubia_snapshot_free(lnb.snap);
		lnb.snap = NULL;
		lnb_disconnect();	/* reopened at the next period */
		lnb.status = err == -EPERM || err == -EACCES ? LNB_NO_ACCESS : LNB_NOT_LOADED;
		lnb.backend = LNB_BACKEND_NONE;
		lnb_log_state(err);
		return 0;	/* "no backend" is a state worth caching */
	}
	/* Names for the new rows, looked up before anyone asks. */
	for (size_t i = 0; i < linubia_snapshot_count(lnb.snap); i++)
		if (linubia_snapshot_uid(lnb.snap, i) != LINUBIA_UID_UNATTRIBUTED)
			lnb_names_want(lnb.names, linubia_snapshot_uid(lnb.snap, i));
	lnb.status = LNB_RUNNING;
	lnb.backend = strcmp(linubia_backend_name(lnb.handle), "ebpf") ? LNB_BACKEND_KMOD
								       : LNB_BACKEND_EBPF;
	lnb.count_loopback = cfg.count_loopback ? LNB_TRUE : LNB_FALSE;
	lnb_log_state(0);
	return 0;
}

static void lnb_cache_free(netsnmp_cache *cache, void *magic)
{
	(void)cache;
	(void)magic;
	linubia_snapshot_free(lnb.snap);
	lnb.snap = NULL;
}

static uint32_t lnb_uid_at(const void *ctx, size_t i)
{
	return linubia_snapshot_uid(ctx, i);
}

static struct lnb_rows lnb_rows(void)
{
	struct lnb_rows rows = { 0, lnb_uid_at, lnb.snap };

	if (lnb.snap)
		rows.count = linubia_snapshot_count(lnb.snap);
	return rows;
}

static void lnb_set_c64(netsnmp_variable_list *vb, uint64_t v)
{
	struct counter64 c = { lnb_c64_high(v), lnb_c64_low(v) };

	snmp_set_var_typed_value(vb, ASN_COUNTER64, &c, sizeof(c));
}

static void lnb_set_int(netsnmp_variable_list *vb, u_char type, long v)
{
	snmp_set_var_typed_value(vb, type, &v, sizeof(v));
}

static void lnb_scalar_value(netsnmp_variable_list *vb, unsigned int k)
{
	const struct linubia_stats *st = lnb.snap ? linubia_snapshot_stats(lnb.snap) : NULL;

	switch (k) {
	case LNB_SCALAR_USERS:
		lnb_set_int(vb, ASN_GAUGE, st ? (long)st->users : 0);
		break;
	case LNB_SCALAR_MAX_USERS:
		lnb_set_int(vb, ASN_UNSIGNED, st ? (long)st->max_users : 0);
		break;
	case LNB_SCALAR_BACKEND:
		lnb_set_int(vb, ASN_INTEGER, lnb.backend);
		break;
	case LNB_SCALAR_BACKEND_STATUS:
		lnb_set_int(vb, ASN_INTEGER, lnb.status);
		break;
	case LNB_SCALAR_TABLE_FULL_PKTS:
		lnb_set_c64(vb, st ? st->values[LINUBIA_S_UNATTR_TABLE_FULL] : 0);
		break;
	case LNB_SCALAR_TABLE_FULL_OCTETS:
		lnb_set_c64(vb, st ? st->values[LINUBIA_S_TABLE_FULL_BYTES] : 0);
		break;
	case LNB_SCALAR_COUNT_LOOPBACK:
		lnb_set_int(vb, ASN_INTEGER, lnb.status == LNB_RUNNING ? lnb.count_loopback
								       : LNB_FALSE);
		break;
	case LNB_SCALAR_MAX_DELEGATED:
		lnb_set_int(vb, ASN_UNSIGNED, st ? (long)st->max_delegated : 0);
		break;
	case LNB_SCALAR_DELEGATED_USERS:
		lnb_set_int(vb, ASN_GAUGE, st ? (long)st->delegated_users : 0);
		break;
	case LNB_SCALAR_DELEGATED_OVER_BOUND:
		lnb_set_c64(vb, st ? st->values[LINUBIA_S_DELEGATED_OVER_BOUND] : 0);
		break;
	}
}

static void lnb_user_value(netsnmp_variable_list *vb, const struct lnb_inst *in)
{
	const struct lnb_column *col = lnb_user_column(in->column);
	struct linubia_record rec;
	char name[256];
	uint64_t event;

	if (col) {
		lnb_set_c64(vb, linubia_snapshot_sum(lnb.snap, in->row, col->sum));
		return;
	}
	switch (in->column) {
	case LNB_COL_USER_NAME:
		/* Never an NSS lookup here: "" until the resolver has it. */
		if (in->uid == LINUBIA_UID_UNATTRIBUTED)
			snprintf(name, sizeof(name), "(unattributed)");
		else
			lnb_names_peek(lnb.names, in->uid, name, sizeof(name),
				       &lnb.name_budget_ns);
		snmp_set_var_typed_value(vb, ASN_OCTET_STR, name, strnlen(name, 255));
		break;
	case LNB_COL_USER_DISCONTINUITY:
		linubia_snapshot_record(lnb.snap, in->row, &rec);
		event = rec.last_reset_ns > rec.first_seen_ns ? rec.last_reset_ns
							      : rec.first_seen_ns;
		lnb_set_int(vb, ASN_TIMETICKS,
			    lnb_discontinuity_ticks(event, lnb.epoch_ns, lnb.now_ns));
		break;
	case LNB_COL_USER_RESET:
		lnb_set_int(vb, ASN_INTEGER, LNB_RESET_NO_ACTION);
		break;
	}
}

static void lnb_value(netsnmp_variable_list *vb, const struct lnb_inst *in)
{
	switch (in->branch) {
	case LNB_BRANCH_SCALARS:
		lnb_scalar_value(vb, in->column);
		break;
	case LNB_BRANCH_USERS:
		lnb_user_value(vb, in);
		break;
	default:
		lnb_set_c64(vb, linubia_snapshot_sum(lnb.snap, in->row,
			    lnb_detail_sum(in->column, in->family, in->proto)));
		break;
	}
}

/* vb's name relative to linubiaObjects: sub-identifiers and their number;
 * -1 if it sorts before the subtree, 1 after it, 0 inside (or equal). */
static int lnb_relative(const netsnmp_variable_list *vb, const oid **rel, size_t *len)
{
	size_t n = vb->name_length < LNB_ROOT_LEN ? vb->name_length : LNB_ROOT_LEN;
	int c = snmp_oid_compare(vb->name, n, lnb_root, n);

	*rel = vb->name + n;
	*len = vb->name_length - n;
	if (c)
		return c;
	return vb->name_length < LNB_ROOT_LEN ? -1 : 0;
}

static void lnb_get(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *req)
{
	struct lnb_rows rows = lnb_rows();
	struct lnb_inst in;
	const oid *rel;
	size_t len;

	if (lnb_relative(req->requestvb, &rel, &len)) {
		netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
		return;
	}
	switch (lnb_lookup((const uint64_t *)rel, len, &rows, &in)) {
	case LNB_INSTANCE:
		lnb_value(req->requestvb, &in);
		break;
	case LNB_NO_INSTANCE:
		netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHINSTANCE);
		break;
	default:
		netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
		break;
	}
}

static void lnb_getnext(netsnmp_request_info *req)
{
	struct lnb_rows rows = lnb_rows();
	oid name[MAX_OID_LEN];
	uint32_t sub[LNB_MAX_SUBIDS];
	struct lnb_inst in;
	const oid *rel;
	size_t len, n;
	int pos = lnb_relative(req->requestvb, &rel, &len);

	if (pos > 0)
		return;
	if (!lnb_next((const uint64_t *)rel, pos < 0 ? 0 : len, &rows, &in))
		return;		/* end of our subtree: the agent moves on */
	memcpy(name, lnb_root, sizeof(lnb_root));
	n = lnb_inst_oid(&in, sub);
	for (size_t i = 0; i < n; i++)
		name[LNB_ROOT_LEN + i] = sub[i];
	snmp_set_var_objid(req->requestvb, name, LNB_ROOT_LEN + n);
	lnb_value(req->requestvb, &in);
}

/* SET ------------------------------------------------------------------- */

/*
 * SET transaction.  Over AgentX, RESERVE1/2 are TestSet, ACTION is
 * CommitSet, UNDO is UndoSet and COMMIT + FREE are CleanupSet, which has
 * no answer: a change made there that fails is reported to the manager as
 * noError.  So every change happens in ACTION, whose failure the manager
 * sees (commitFailed, after UNDO of the rest).  The loopback switch can be
 * undone; a reset cannot (the counters it took off are gone), so ACTION
 * makes every reversible change of the PDU first and the resets last, and
 * an UNDO after a reset that happened says undoFailed.
 */
struct lnb_set {
	int old_loopback;	/* LNB_TRUE/FALSE before ACTION */
	int done;		/* ACTION changed the backend */
};

static int lnb_set_check(netsnmp_request_info *req, struct lnb_inst *in)
{
	netsnmp_variable_list *vb = req->requestvb;
	struct lnb_rows rows = lnb_rows();
	struct linubia_record rec;
	enum lnb_match m;
	const oid *rel;
	size_t len;
	long v;
	int err;

	if (lnb_relative(vb, &rel, &len))
		return SNMP_ERR_NOCREATION;
	m = lnb_lookup((const uint64_t *)rel, len, &rows, in);
	if (m == LNB_NO_OBJECT)
		return SNMP_ERR_NOCREATION;
	if (in->branch == LNB_BRANCH_USERS && in->column == LNB_COL_USER_RESET) {
		if (len != 4)
			return SNMP_ERR_NOCREATION;
		/* The snapshot may predate a new user: ask the backend. */
		err = lnb_connect();
		if (!err)
			err = linubia_get_user(lnb.handle, in->uid, &rec);
		if (err == -LINUBIA_ENOBACKEND && !lnb_reconnect_if_gone(err))
			err = linubia_get_user(lnb.handle, in->uid, &rec);
		if (err == -ENOENT || err == -LINUBIA_ENOBACKEND)
			return SNMP_ERR_NOCREATION;
		/* The agent may not even read that row (not in the read group). */
		if (err == -EPERM || err == -EACCES)
			return SNMP_ERR_NOACCESS;
		if (err < 0)
			return SNMP_ERR_RESOURCEUNAVAILABLE;
	} else if (in->branch == LNB_BRANCH_SCALARS && in->column == LNB_SCALAR_COUNT_LOOPBACK) {
		if (m != LNB_INSTANCE)
			return SNMP_ERR_NOCREATION;
	} else {
		return m == LNB_INSTANCE ? SNMP_ERR_NOTWRITABLE : SNMP_ERR_NOCREATION;
	}
	if (vb->type != ASN_INTEGER)
		return SNMP_ERR_WRONGTYPE;
	if (vb->val_len != sizeof(long))
		return SNMP_ERR_WRONGLENGTH;
	v = *vb->val.integer;
	if (v != 1 && v != 2)
		return SNMP_ERR_WRONGVALUE;
	return SNMP_ERR_NOERROR;
}

static bool lnb_is_reset(const netsnmp_request_info *req)
{
	return req->requestvb->name[LNB_ROOT_LEN] == LNB_BRANCH_USERS;
}

static long lnb_set_value(const netsnmp_request_info *req)
{
	return req->requestvb->val.integer ? *req->requestvb->val.integer : 0;
}

/* ACTION of one varbind: the loopback switch, or a reset. */
static int lnb_set_action(netsnmp_request_info *req, struct lnb_set *st)
{
	long v = lnb_set_value(req);
	uint32_t uid;
	int err;

	if (!lnb_is_reset(req)) {
		err = linubia_set_count_loopback(lnb.handle, v == LNB_TRUE);
		if (err < 0) {
			snmp_log(LOG_ERR, "linubia: setting count_loopback failed: %s\n",
				 linubia_strerror(err));
			return SNMP_ERR_COMMITFAILED;
		}
		st->done = 1;
		return SNMP_ERR_NOERROR;
	}
	if (v != LNB_RESET_RESET)
		return SNMP_ERR_NOERROR;	/* noAction */
	uid = lnb_subid(req->requestvb->name[LNB_ROOT_LEN + 3]);
	err = linubia_reset_user(lnb.handle, uid, NULL);
	if (err < 0) {
		snmp_log(LOG_ERR, "linubia: reset of uid %u failed: %s\n", uid,
			 linubia_strerror(err));
		return SNMP_ERR_COMMITFAILED;
	}
	st->done = 1;
	snmp_log(LOG_INFO, "linubia: counters of uid %u reset\n", uid);
	return SNMP_ERR_NOERROR;
}

static int lnb_set_step(int mode, netsnmp_request_info *req)
{
	struct lnb_set *st = netsnmp_request_get_list_data(req, "lnb_set");
	struct linubia_config cfg;
	struct lnb_inst in;
	int err;

	switch (mode) {
	case MODE_SET_RESERVE1:
		return lnb_set_check(req, &in);
	case MODE_SET_RESERVE2:
		st = SNMP_MALLOC_TYPEDEF(struct lnb_set);
		if (!st)
			return SNMP_ERR_RESOURCEUNAVAILABLE;
		netsnmp_request_add_list_data(req, netsnmp_create_data_list("lnb_set", st, free));
		err = lnb_connect();
		if (!err)
			err = linubia_get_config(lnb.handle, &cfg);
		if (err == -LINUBIA_ENOBACKEND && !lnb_reconnect_if_gone(err))
			err = linubia_get_config(lnb.handle, &cfg);
		if (err < 0)
			return SNMP_ERR_RESOURCEUNAVAILABLE;
		st->old_loopback = cfg.count_loopback ? LNB_TRUE : LNB_FALSE;
		return SNMP_ERR_NOERROR;
	case MODE_SET_ACTION:
		return st ? lnb_set_action(req, st) : SNMP_ERR_GENERR;
	case MODE_SET_UNDO:
		if (!st || !st->done)
			return SNMP_ERR_NOERROR;
		if (lnb_is_reset(req)) {
			snmp_log(LOG_WARNING, "linubia: a reset cannot be undone (uid %u)\n",
				 lnb_subid(req->requestvb->name[LNB_ROOT_LEN + 3]));
			return SNMP_ERR_UNDOFAILED;
		}
		if (linubia_set_count_loopback(lnb.handle, st->old_loopback == LNB_TRUE) < 0)
			return SNMP_ERR_UNDOFAILED;
		return SNMP_ERR_NOERROR;
	default:		/* COMMIT: done in ACTION; FREE: list data freed with the request */
		return SNMP_ERR_NOERROR;
	}
}

/*
 * ACTION in two passes: the reversible changes, then (only if they all
 * worked) the resets, so that a failure never follows a reset that cannot
 * be undone unless a reset itself fails.
 */
static void lnb_set_actions(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	bool failed = false;

	for (int pass = 0; pass < 2; pass++) {
		for (netsnmp_request_info *req = requests; req; req = req->next) {
			int err;

			if (req->processed || lnb_is_reset(req) != (pass == 1))
				continue;
			if (failed)
				break;
			err = lnb_set_step(MODE_SET_ACTION, req);
			if (err != SNMP_ERR_NOERROR) {
				netsnmp_set_request_error(reqinfo, req, err);
				failed = true;
			}
		}
	}
}

static int lnb_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
		       netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	(void)handler;
	(void)reginfo;
	lnb.name_budget_ns = LNB_NAME_BUDGET_NS;
	if (reqinfo->mode == MODE_SET_ACTION) {
		lnb_set_actions(reqinfo, requests);
		return SNMP_ERR_NOERROR;
	}
	for (netsnmp_request_info *req = requests; req; req = req->next) {
		int err;

		if (req->processed)
			continue;
		switch (reqinfo->mode) {
		case MODE_GET:
			lnb_get(reqinfo, req);
			break;
		case MODE_GETNEXT:
			lnb_getnext(req);
			break;
		default:
			err = lnb_set_step(reqinfo->mode, req);
			if (err != SNMP_ERR_NOERROR)
				netsnmp_set_request_error(reqinfo, req, err);
			break;
		}
	}
	return SNMP_ERR_NOERROR;
}

int lnb_agent_register(int cache_seconds)
{
	netsnmp_mib_handler *cache_handler = NULL;
	char err[256];

	/* A dlmod may be loaded again into the same snmpd (SIGHUP): start clean. */
	memset(&lnb, 0, sizeof(lnb));
	if (lnb_columns_init(err, sizeof(err)) < 0) {
		snmp_log(LOG_ERR, "linubia: the MIB column mapping does not match liblinubia: %s "
			 "(rebuild the subagent with the library it runs with)\n", err);
		return -1;
	}
	lnb.status = LNB_NOT_LOADED;
	lnb.backend = LNB_BACKEND_NONE;
	lnb.cache = netsnmp_cache_create(cache_seconds, lnb_cache_load, lnb_cache_free,
					 lnb_root, LNB_ROOT_LEN);
	if (lnb.cache) {
		cache_handler = netsnmp_cache_handler_get(lnb.cache);
		if (cache_handler) {	/* from here on freed with its handler */
			netsnmp_cache_handler_owns_cache(cache_handler);
		} else {
			netsnmp_cache_remove(lnb.cache);
			netsnmp_cache_free(lnb.cache);
		}
	}
	lnb.reg = netsnmp_create_handler_registration("linubia", lnb_handler, lnb_root,
						      LNB_ROOT_LEN, HANDLER_CAN_RWRITE);
	lnb.names = lnb_names_start(NULL, LNB_NAME_NEGATIVE_TTL);
	if (!cache_handler || !lnb.reg || !lnb.names ||
	    netsnmp_inject_handler(lnb.reg, cache_handler)) {
		snmp_log(LOG_ERR, "linubia: out of memory registering LINUBIA-MIB\n");
		netsnmp_handler_free(cache_handler);
		netsnmp_handler_registration_free(lnb.reg);
		goto fail;
	}
	/* On failure netsnmp_register_handler() frees lnb.reg and the cache. */
	if (netsnmp_register_handler(lnb.reg) != MIB_REGISTERED_OK) {
		snmp_log(LOG_ERR, "linubia: registering LINUBIA-MIB failed (is it served "
			 "already, by a subagent or another dlmod?)\n");
		goto fail;
	}
	return 0;
fail:
	lnb.reg = NULL;
	lnb.cache = NULL;
	lnb_names_stop(lnb.names);
	lnb.names = NULL;
	return -1;
}

void lnb_agent_set_cache_period(int cache_seconds)
{
	lnb.cache->timeout = cache_seconds;
	lnb.cache->valid = 0;
}

void lnb_agent_reload(int cache_seconds)
{
	lnb_agent_set_cache_period(cache_seconds);
	linubia_snapshot_free(lnb.snap);
	lnb.snap = NULL;
	lnb_names_stop(lnb.names);
	lnb.names = lnb_names_start(NULL, LNB_NAME_NEGATIVE_TTL);
	lnb_disconnect();
}

void lnb_agent_unregister(void)
{
	if (lnb.reg)
		netsnmp_unregister_handler(lnb.reg);	/* frees it, its cache, the snapshot */
	lnb.reg = NULL;
	lnb.cache = NULL;
}

void lnb_agent_shutdown(void)
{
	linubia_snapshot_free(lnb.snap);
	lnb.snap = NULL;
	lnb_names_stop(lnb.names);
	lnb.names = NULL;
	lnb_disconnect();
}
