// SPDX-License-Identifier: GPL-2.0-only
/* Accounting-Request messages with libfdproto/libfdcore (acr.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <freeDiameter/freeDiameter-host.h>
#include <freeDiameter/libfdcore.h>

#include <linubia.h>

#include "acr.h"
#include "avps.h"

static struct {
	struct dict_object *acr, *session_id, *dest_realm, *rec_type, *rec_number, *acct_app,
		*user_name, *event_ts, *interval, *result_code, *origin_host;
	struct dict_object *avps[LNB_AVP_COUNT];
	const struct linubia_sum *sums[LNB_AVP_COUNT];
	const char *dest_realm_value;
	struct timespec timeout;
	int efd;
	pthread_mutex_t lock;
	struct lnb_rec *head, *tail;
} lnb_acr = { .efd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

static const char *const lnb_avp_names[] = {
#define LNB_NAME(code, name, sum, m) name,
	LNB_AVPS(LNB_NAME)
#undef LNB_NAME
};
static const char *const lnb_sum_names[] = {
#define LNB_SUM(code, name, sum, m) sum,
	LNB_AVPS(LNB_SUM)
#undef LNB_SUM
};

static int lnb_find(const char *name, struct dict_object **obj, int type, int how,
		    char *msg, size_t msgsize)
{
	int err = fd_dict_search(fd_g_config->cnf_dict, type, how, name, obj, ENOENT);

	if (err)
		snprintf(msg, msgsize, "freeDiameter's dictionary has no %s: %s", name,
			 strerror(err));
	return -err;
}

int lnb_acr_init(const char *dest_realm, int answer_timeout, char *msg, size_t msgsize)
{
	struct {
		const char *name;
		struct dict_object **obj;
	} avps[] = {
		{ "Session-Id", &lnb_acr.session_id },
		{ "Destination-Realm", &lnb_acr.dest_realm },
		{ "Accounting-Record-Type", &lnb_acr.rec_type },
		{ "Accounting-Record-Number", &lnb_acr.rec_number },
		{ "Acct-Application-Id", &lnb_acr.acct_app },
		{ "User-Name", &lnb_acr.user_name },
		{ "Event-Timestamp", &lnb_acr.event_ts },
		{ "Acct-Interim-Interval", &lnb_acr.interval },
		{ "Result-Code", &lnb_acr.result_code },
		{ "Origin-Host", &lnb_acr.origin_host },
	};
	int err;

	err = lnb_find("Accounting-Request", &lnb_acr.acr, DICT_COMMAND, CMD_BY_NAME, msg, msgsize);
	for (size_t i = 0; !err && i < sizeof(avps) / sizeof(avps[0]); i++)
		err = lnb_find(avps[i].name, avps[i].obj, DICT_AVP, AVP_BY_NAME, msg, msgsize);
	for (int i = 0; !err && i < LNB_AVP_COUNT; i++) {
		err = lnb_find(lnb_avp_names[i], &lnb_acr.avps[i], DICT_AVP, AVP_BY_NAME, msg,
			       msgsize);
		lnb_acr.sums[i] = linubia_sum_by_name(lnb_sum_names[i]);
		if (!err && !lnb_acr.sums[i]) {
			snprintf(msg, msgsize, "liblinubia has no sum %s (for %s)", lnb_sum_names[i],
				 lnb_avp_names[i]);
			err = -ENOENT;
		}
	}
	if (err)
		return err;
	lnb_acr.dest_realm_value = dest_realm;
	lnb_acr.timeout.tv_sec = answer_timeout;
	lnb_acr.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (lnb_acr.efd < 0) {
		err = -errno;
		snprintf(msg, msgsize, "eventfd: %s", strerror(-err));
	}
	return err;
}

int lnb_acr_eventfd(void)
{
	return lnb_acr.efd;
}

/* No allocation here: the outcome travels in the record itself. */
static void lnb_complete(struct lnb_rec *r, uint32_t result, uint32_t interval, int local)
{
	uint64_t one = 1;

	r->ans_result = result;
	r->ans_interval = interval;
	r->ans_local = local;
	r->done_next = NULL;
	pthread_mutex_lock(&lnb_acr.lock);
	if (lnb_acr.tail)
		lnb_acr.tail->done_next = r;
	else
		lnb_acr.head = r;
	lnb_acr.tail = r;
	pthread_mutex_unlock(&lnb_acr.lock);
	if (write(lnb_acr.efd, &one, sizeof(one)) < 0) {
		/* cannot overflow in practice; the loop reads the queue at
		 * every tick anyway */
	}
}

static int lnb_u32_avp(struct msg *m, struct dict_object *what, uint32_t *out)
{
	struct avp *a = NULL;
	struct avp_hdr *h;

	if (fd_msg_search_avp(m, what, &a) || !a || fd_msg_avp_hdr(a, &h) || !h->avp_value)
		return -1;
	*out = h->avp_value->u32;
	return 0;
}

static void lnb_on_answer(void *data, struct msg **ans)
{
	uint32_t result = 0, interval = 0;
	struct avp *a = NULL;
	struct avp_hdr *h;
	int local = 0;

	if (lnb_u32_avp(*ans, lnb_acr.result_code, &result) < 0)
		result = 5005;	/* DIAMETER_MISSING_AVP: an ACA must carry one */
	lnb_u32_avp(*ans, lnb_acr.interval, &interval);
	if (!fd_msg_search_avp(*ans, lnb_acr.origin_host, &a) && a && !fd_msg_avp_hdr(a, &h) &&
	    h->avp_value && h->avp_value->os.len == fd_g_config->cnf_diamid_len &&
	    !memcmp(h->avp_value->os.data, fd_g_config->cnf_diamid, fd_g_config->cnf_diamid_len))
		local = 1;
	fd_msg_free(*ans);
	*ans = NULL;
	lnb_complete(data, result, interval, local);
}

static void lnb_on_expire(void *data, DiamId_t sentto, size_t senttolen, struct msg **req)
{
	(void)sentto;
	(void)senttolen;
	fd_msg_free(*req);
	*req = NULL;
	lnb_complete(data, LNB_RESULT_TIMEOUT, 0, 0);
}

static int lnb_add(struct msg *m, struct dict_object *what, union avp_value *v, int first)
{
	struct avp *a = NULL;
	int err = fd_msg_avp_new(what, 0, &a);

	if (!err)
		err = fd_msg_avp_setvalue(a, v);
	if (!err)
		err = fd_msg_avp_add(m, first ? MSG_BRW_FIRST_CHILD : MSG_BRW_LAST_CHILD, a);
	if (err && a)
		fd_msg_free((struct msg *)a);
	return err;
}

static int lnb_add_os(struct msg *m, struct dict_object *what, const char *s, int first)
{
	union avp_value v;

	memset(&v, 0, sizeof(v));
	v.os.data = (uint8_t *)(uintptr_t)s;
	v.os.len = strlen(s);
	return lnb_add(m, what, &v, first);
}

static int lnb_add_u32(struct msg *m, struct dict_object *what, uint32_t u)
{
	union avp_value v;

	memset(&v, 0, sizeof(v));
	v.u32 = u;
	return lnb_add(m, what, &v, 0);
}

static int lnb_build(const struct lnb_rec *r, struct msg **out)
{
	struct msg *m = NULL;
	struct msg_hdr *hdr;
	struct avp *a = NULL;
	union avp_value v;
	time_t t = (time_t)r->event_time;
	int err;

	err = fd_msg_new(lnb_acr.acr, 0, &m);
	if (err)
		return err;
	err = fd_msg_hdr(m, &hdr);
	if (!err) {
		/* a re-send keeps its End-to-End Identifier (RFC 6733 3) */
		hdr->msg_eteid = r->eteid;
		hdr->msg_appl = 3;	/* Diameter base accounting */
		if (r->resend)
			hdr->msg_flags |= CMD_FLAG_RETRANSMIT;
		err = lnb_add_os(m, lnb_acr.session_id, r->sid, 1);
	}
	if (!err)
		err = fd_msg_add_origin(m, 0);
	if (!err)
		err = lnb_add_os(m, lnb_acr.dest_realm, lnb_acr.dest_realm_value, 0);
	if (!err) {
		memset(&v, 0, sizeof(v));
		v.i32 = (int32_t)r->type;
		err = lnb_add(m, lnb_acr.rec_type, &v, 0);
	}
	if (!err)
		err = lnb_add_u32(m, lnb_acr.rec_number, r->recno);
	if (!err)
		err = lnb_add_u32(m, lnb_acr.acct_app, 3);	/* base accounting */
	if (!err)
		err = lnb_add_os(m, lnb_acr.user_name, r->user, 0);
	if (!err && r->type != 4)
		err = lnb_add_u32(m, lnb_acr.interval, r->interval);
	if (!err)
		err = fd_msg_avp_new(lnb_acr.event_ts, 0, &a);
	if (!err)
		err = fd_msg_avp_value_encode(&t, a);
	if (!err) {
		err = fd_msg_avp_add(m, MSG_BRW_LAST_CHILD, a);
		a = err ? a : NULL;
	}
	for (int i = 0; !err && i < LNB_AVP_COUNT; i++) {
		memset(&v, 0, sizeof(v));
		v.u64 = linubia_sum_value(lnb_acr.sums[i], r->counters);
		err = lnb_add(m, lnb_acr.avps[i], &v, 0);
	}
	if (a)
		fd_msg_free((struct msg *)a);
	if (err) {
		fd_msg_free(m);
		return err;
	}
	*out = m;
	return 0;
}

int lnb_acr_send(struct lnb_rec *r)
{
	struct msg *m = NULL;
	int err = lnb_build(r, &m);

	if (err)
		return -err;
	r->state = LNB_INFLIGHT;
	err = fd_msg_send_timeout(&m, lnb_on_answer, r, lnb_on_expire, &(struct timespec){
		.tv_sec = time(NULL) + lnb_acr.timeout.tv_sec });
	if (err) {
		r->state = LNB_WAITING;
		if (m)
			fd_msg_free(m);
		return -err;
	}
	return 0;
}

struct lnb_rec *lnb_acr_take(void)
{
	struct lnb_rec *d;
	uint64_t n;

	if (read(lnb_acr.efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing signalled; the queue is read anyway */
	}
	pthread_mutex_lock(&lnb_acr.lock);
	d = lnb_acr.head;
	lnb_acr.head = lnb_acr.tail = NULL;
	pthread_mutex_unlock(&lnb_acr.lock);
	return d;
}

void lnb_acr_fini(void)
{
	if (lnb_acr.efd >= 0)
		close(lnb_acr.efd);
	lnb_acr.efd = -1;
}

const char *lnb_result_name(uint32_t code)
{
	switch (code) {
	case 2001: return "DIAMETER_SUCCESS";
	case 3001: return "DIAMETER_COMMAND_UNSUPPORTED";
	case 3002: return "DIAMETER_UNABLE_TO_DELIVER";
	case 3003: return "DIAMETER_REALM_NOT_SERVED";
	case 3004: return "DIAMETER_TOO_BUSY";
	case 3007: return "DIAMETER_APPLICATION_UNSUPPORTED";
	case 3008: return "DIAMETER_INVALID_HDR_BITS";
	case 3009: return "DIAMETER_INVALID_AVP_BITS";
	case 5001: return "DIAMETER_AVP_UNSUPPORTED";
	case 5004: return "DIAMETER_INVALID_AVP_VALUE";
	case 5005: return "DIAMETER_MISSING_AVP";
	case 5012: return "DIAMETER_UNABLE_TO_COMPLY";
	default: return "";
	}
}
