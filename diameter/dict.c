// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dictionary entries for the AVPs of avps.h, shared by dict_linubia.fdx
 * (any freeDiameter server) and linubia-diameter itself.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <freeDiameter/freeDiameter-host.h>
#include <freeDiameter/libfdproto.h>

#include "avps.h"
#include "dict.h"

static int lnb_avp_new(struct dictionary *dict, unsigned int code, const char *name, int m)
{
	struct dict_avp_data data;
	struct dict_object *old = NULL;
	int err;

	memset(&data, 0, sizeof(data));
	data.avp_code = code;
	data.avp_vendor = 0;
	data.avp_name = (char *)name;
	data.avp_flag_mask = AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY;
	data.avp_flag_val = m ? AVP_FLAG_MANDATORY : 0;
	data.avp_basetype = AVP_TYPE_UNSIGNED64;
	err = fd_dict_new(dict, DICT_AVP, &data, NULL, NULL);
	if (err != EEXIST)
		return err;
	/* Defined before (another extension): fine if it is the same AVP. */
	err = fd_dict_search(dict, DICT_AVP, AVP_BY_NAME, name, &old, ENOENT);
	if (err)
		return err;
	err = fd_dict_getval(old, &data);
	if (err)
		return err;
	return data.avp_code == code && data.avp_basetype == AVP_TYPE_UNSIGNED64 ? 0 : EEXIST;
}

int lnb_dict_define_linux(struct dictionary *dict)
{
	int err;

#define LNB_DEFINE(code, name, sum, m)					\
	err = lnb_avp_new(dict, code, name, m);				\
	if (err)							\
		return err;
	LNB_LINUX_AVPS(LNB_DEFINE)
#undef LNB_DEFINE
	return 0;
}

int lnb_dict_define_std(struct dictionary *dict)
{
	struct dict_object *obj;
	uint32_t code;
	int err;

#define LNB_DEFINE(c, name, sum, m)					\
	code = c;							\
	obj = NULL;							\
	if (fd_dict_search(dict, DICT_AVP, AVP_BY_CODE, &code, &obj, 0) || !obj) { \
		err = lnb_avp_new(dict, c, name, m);			\
		if (err)						\
			return err;					\
	}
	LNB_STD_AVPS(LNB_DEFINE)
#undef LNB_DEFINE
	return 0;
}
