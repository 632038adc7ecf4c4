// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Error texts in the shape the tools print after "<what failed>: ":
 * "<why> (<what to do>)".
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

const char *linubia_strerror(int err)
{
	switch (-err) {
	case 0:
		return "success";
	case LINUBIA_ENOBACKEND:
		return "no accounting backend loaded (modprobe linubia; "
		       "where modules cannot load: linubia ebpf load)";
	case LINUBIA_EBADREPLY:
		return "malformed reply from the kernel module "
		       "(use liblinubia and the module of the same release)";
	case LINUBIA_EVERSION:
		return "the kernel module speaks another ABI version "
		       "(use liblinubia and the module of the same release)";
	case EPERM:
	case EACCES:
		return "permission denied (this needs CAP_NET_ADMIN: run it as root)";
	case ENOENT:
		return "no record for this UID (it has had no IP traffic since "
		       "the module was loaded)";
	case ENOMEM:
		return "out of memory (free some memory and retry)";
	case ENOBUFS:
		return "netlink receive buffer overrun (retry)";
	case EINVAL:
		return "invalid request (check the arguments)";
	case ERANGE:
		return "value out of range (max_delegated: up to max_users; read_gid: up to 2^31-1)";
	case EPROTONOSUPPORT:
	case EAFNOSUPPORT:
		return "generic netlink is not available (the kernel lacks netlink support)";
	}
	if (err < 0 && -err < LINUBIA_ENOBACKEND) {
		const char *text = strerrordesc_np(-err);

		if (text)
			return text;
	}
	return "unknown error";
}
