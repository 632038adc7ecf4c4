/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Accounting-Requests through libfdcore: build one from a spooled record,
 * send it, and hand the outcome back to the main thread (answers arrive in
 * freeDiameter's threads; they only queue a completion and wake the loop
 * through an eventfd).
 */
#ifndef LNB_DIAMETER_ACR_H
#define LNB_DIAMETER_ACR_H

#include <stdint.h>

#include "record.h"

#define LNB_RESULT_TIMEOUT 0	/* no answer within answer_timeout */

/* Look up the dictionary objects and liblinubia sums; 0 or -errno. */
int lnb_acr_init(const char *dest_realm, int answer_timeout, char *msg, size_t msgsize);
/* The eventfd that becomes readable when completions are queued. */
int lnb_acr_eventfd(void);
/* Send r (its state becomes LNB_INFLIGHT on success); -errno. */
int lnb_acr_send(struct lnb_rec *r);
/* Take every answered or expired record (linked by done_next, the
 * outcome in ans_*); they are in state LNB_INFLIGHT until the caller acts. */
struct lnb_rec *lnb_acr_take(void);
void lnb_acr_fini(void);
/* "DIAMETER_SUCCESS" etc., or "" */
const char *lnb_result_name(uint32_t code);

#endif
