// SPDX-License-Identifier: GPL-2.0-only
/* OID <-> object instance arithmetic over a sorted snapshot (see view.h). */
#include "view.h"
#include "columns.h"

size_t lnb_rows_lower_bound(const struct lnb_rows *rows, uint64_t uid)
{
	size_t lo = 0, hi = rows->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rows->uid_at(rows->ctx, mid) < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Objects in OID order: prefix (branch.k or branch.1.col) and index kind. */
enum lnb_kind { LNB_KIND_SCALAR, LNB_KIND_USER, LNB_KIND_DETAIL };
struct lnb_object {
	uint32_t prefix[3];
	size_t plen;
	enum lnb_kind kind;
};
#define LNB_NOBJECTS (LNB_SCALAR_LAST + (LNB_COL_USER_LAST - 1) +		\
		      (LNB_COL_DETAIL_LAST - LNB_COL_DETAIL_FIRST + 1))

static size_t lnb_objects(struct lnb_object objs[LNB_NOBJECTS])
{
	size_t n = 0;

	for (unsigned int k = 1; k <= LNB_SCALAR_LAST; k++)
		objs[n++] = (struct lnb_object){ { LNB_BRANCH_SCALARS, k, 0 }, 2, LNB_KIND_SCALAR };
	for (unsigned int c = LNB_COL_USER_NAME; c <= LNB_COL_USER_LAST; c++)
		objs[n++] = (struct lnb_object){ { LNB_BRANCH_USERS, 1, c }, 3, LNB_KIND_USER };
	for (unsigned int c = LNB_COL_DETAIL_FIRST; c <= LNB_COL_DETAIL_LAST; c++)
		objs[n++] = (struct lnb_object){ { LNB_BRANCH_DETAIL, 1, c }, 3, LNB_KIND_DETAIL };
	return n;
}

/* Lexicographic comparison; a proper prefix sorts first. */
static int lnb_cmp(const uint32_t *a, size_t al, const uint32_t *b, size_t bl)
{
	for (size_t i = 0; i < al && i < bl; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return al < bl ? -1 : al > bl;
}

static void lnb_fill(struct lnb_inst *inst, const struct lnb_object *o,
		     const struct lnb_rows *rows, size_t row, unsigned int f, unsigned int p)
{
	inst->branch = o->prefix[0];
	inst->column = o->kind == LNB_KIND_SCALAR ? o->prefix[1] : o->prefix[2];
	inst->row = row;
	inst->uid = o->kind == LNB_KIND_SCALAR ? 0 : rows->uid_at(rows->ctx, row);
	inst->family = f;
	inst->proto = p;
}

/* First instance of o whose index sorts after rest (all if rest is NULL). */
static int lnb_next_in(const struct lnb_object *o, const uint32_t *rest, size_t rlen,
		       int any, const struct lnb_rows *rows, struct lnb_inst *inst)
{
	static const uint32_t zero[1] = { 0 };
	size_t i;

	switch (o->kind) {
	case LNB_KIND_SCALAR:
		if (!any && lnb_cmp(zero, 1, rest, rlen) <= 0)
			return 0;
		lnb_fill(inst, o, rows, 0, 0, 0);
		return 1;
	case LNB_KIND_USER:
		i = (any || rlen == 0) ? 0 : lnb_rows_lower_bound(rows, (uint64_t)rest[0] + 1);
		if (i >= rows->count)
			return 0;
		lnb_fill(inst, o, rows, i, 0, 0);
		return 1;
	case LNB_KIND_DETAIL:
		if (any || rlen == 0) {
			if (!rows->count)
				return 0;
			lnb_fill(inst, o, rows, 0, 1, 1);
			return 1;
		}
		i = lnb_rows_lower_bound(rows, rest[0]);
		if (i < rows->count && rows->uid_at(rows->ctx, i) == rest[0]) {
			for (uint32_t f = 1; f <= LNB_DETAIL_FAMILIES; f++) {
				for (uint32_t p = 1; p <= LNB_DETAIL_PROTOS; p++) {
					uint32_t cand[3] = { rest[0], f, p };

					if (lnb_cmp(cand, 3, rest, rlen) > 0) {
						lnb_fill(inst, o, rows, i, f, p);
						return 1;
					}
				}
			}
			i++;
		}
		if (i >= rows->count)
			return 0;
		lnb_fill(inst, o, rows, i, 1, 1);
		return 1;
	}
	return 0;
}

static size_t lnb_mask(const uint64_t *oid, size_t len, uint32_t *out, size_t max)
{
	size_t n = len < max ? len : max;

	for (size_t i = 0; i < n; i++)
		out[i] = lnb_subid(oid[i]);
	return n;
}

int lnb_next(const uint64_t *oid, size_t len, const struct lnb_rows *rows,
	     struct lnb_inst *inst)
{
	struct lnb_object objs[LNB_NOBJECTS];
	size_t nobj = lnb_objects(objs);
	uint32_t s[LNB_MAX_SUBIDS + 1];
	/* Beyond the longest instance, extra sub-identifiers change nothing
	 * except making the OID sort after an instance it extends. */
	size_t slen = lnb_mask(oid, len, s, LNB_MAX_SUBIDS + 1);

	for (size_t k = 0; k < nobj; k++) {
		const struct lnb_object *o = &objs[k];
		size_t common = slen < o->plen ? slen : o->plen;
		int c = lnb_cmp(s, common, o->prefix, common);

		if (c > 0)
			continue;
		if (c < 0 || slen < o->plen) {
			if (lnb_next_in(o, NULL, 0, 1, rows, inst))
				return 1;
			continue;
		}
		if (lnb_next_in(o, s + o->plen, slen - o->plen, 0, rows, inst))
			return 1;
	}
	return 0;
}

enum lnb_match lnb_lookup(const uint64_t *oid, size_t len, const struct lnb_rows *rows,
			  struct lnb_inst *inst)
{
	struct lnb_object objs[LNB_NOBJECTS];
	size_t nobj = lnb_objects(objs);
	uint32_t s[LNB_MAX_SUBIDS + 1];
	size_t slen = lnb_mask(oid, len, s, LNB_MAX_SUBIDS + 1);

	for (size_t k = 0; k < nobj; k++) {
		const struct lnb_object *o = &objs[k];
		const uint32_t *rest = s + o->plen;
		size_t rlen, i;

		if (slen < o->plen || lnb_cmp(s, o->plen, o->prefix, o->plen) != 0)
			continue;
		rlen = slen - o->plen;
		lnb_fill(inst, o, rows, 0, 0, 0);
		inst->uid = rlen ? rest[0] : 0;
		switch (o->kind) {
		case LNB_KIND_SCALAR:
			return rlen == 1 && rest[0] == 0 ? LNB_INSTANCE : LNB_NO_INSTANCE;
		case LNB_KIND_USER:
		case LNB_KIND_DETAIL:
			if (rlen != (o->kind == LNB_KIND_USER ? 1u : 3u))
				return LNB_NO_INSTANCE;
			if (o->kind == LNB_KIND_DETAIL) {
				if (rest[1] < 1 || rest[1] > LNB_DETAIL_FAMILIES ||
				    rest[2] < 1 || rest[2] > LNB_DETAIL_PROTOS)
					return LNB_NO_INSTANCE;
				inst->family = rest[1];
				inst->proto = rest[2];
			}
			i = lnb_rows_lower_bound(rows, rest[0]);
			if (i >= rows->count || rows->uid_at(rows->ctx, i) != rest[0])
				return LNB_NO_INSTANCE;
			inst->row = i;
			return LNB_INSTANCE;
		}
	}
	return LNB_NO_OBJECT;
}

size_t lnb_inst_oid(const struct lnb_inst *inst, uint32_t out[LNB_MAX_SUBIDS])
{
	switch (inst->branch) {
	case LNB_BRANCH_SCALARS:
		out[0] = LNB_BRANCH_SCALARS;
		out[1] = inst->column;
		out[2] = 0;
		return 3;
	case LNB_BRANCH_USERS:
		out[0] = LNB_BRANCH_USERS;
		out[1] = 1;
		out[2] = inst->column;
		out[3] = inst->uid;
		return 4;
	default:
		out[0] = LNB_BRANCH_DETAIL;
		out[1] = 1;
		out[2] = inst->column;
		out[3] = inst->uid;
		out[4] = inst->family;
		out[5] = inst->proto;
		return 6;
	}
}

uint64_t lnb_uptime_epoch(uint64_t prev_epoch_ns, uint64_t now_ns, uint32_t uptime_cs)
{
	uint64_t up_ns = (uint64_t)uptime_cs * 10000000u;
	uint64_t epoch = now_ns > up_ns ? now_ns - up_ns : 0;
	uint64_t diff = epoch > prev_epoch_ns ? epoch - prev_epoch_ns : prev_epoch_ns - epoch;

	return prev_epoch_ns && diff < LNB_EPOCH_SLACK_NS ? prev_epoch_ns : epoch;
}

uint32_t lnb_discontinuity_ticks(uint64_t event_ns, uint64_t epoch_ns, uint64_t now_ns)
{
	if (!event_ns || event_ns <= epoch_ns)
		return 0;
	if (event_ns > now_ns)
		event_ns = now_ns;
	/* TimeTicks wrap like sysUpTime itself (after 497 days) */
	return event_ns > epoch_ns ? (uint32_t)((event_ns - epoch_ns) / 10000000u) : 0;
}
