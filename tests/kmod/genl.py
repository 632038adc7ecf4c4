# SPDX-License-Identifier: GPL-2.0-only
"""A minimal generic-netlink client for the "linubia" family, for tests.
It is deliberately independent of liblinubia: a second reader of the ABI."""
import errno
import os
import socket
import struct

import uapi

NETLINK_GENERIC = 16
NETLINK_EXT_ACK = 11
SOL_NETLINK = 270
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP = 1, 2, 4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
NLMSGERR_ATTR_MSG = 1

A = {k[len("LINUBIA_A_"):].lower(): v for k, v in uapi.ATTR.items()}
C = {k[len("LINUBIA_CMD_"):].lower(): v for k, v in uapi.CMD.items()}


class GenlError(Exception):
    def __init__(self, err, msg):
        super().__init__("%s (%s)" % (os.strerror(err), msg or "no extack"))
        self.errno = err
        self.msg = msg


def _attr(atype, payload):
    hdr = struct.pack("=HH", 4 + len(payload), atype)
    return hdr + payload + b"\0" * ((4 - len(payload) % 4) % 4)


def parse_attrs(data):
    """{type: payload} of a run of attributes (nested flag masked off)."""
    out = {}
    while len(data) >= 4:
        alen, atype = struct.unpack_from("=HH", data)
        if alen < 4 or alen > len(data):
            raise ValueError("bad attribute length %d" % alen)
        out[atype & 0x3FFF] = data[4:alen]
        data = data[(alen + 3) & ~3:]
    return out


def u64_nest(payload, names):
    """A nest whose types are index + 1 (0 = padding) -> {name: value}."""
    vals = dict.fromkeys(names, 0)
    for atype, p in parse_attrs(payload).items():
        if atype == 0:
            continue
        vals[names[atype - 1]] = struct.unpack("=Q", p)[0]
    return vals


class Linubia:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 0
        self.family = self._resolve()

    def close(self):
        self.sock.close()

    def _send(self, msg_type, cmd, attrs=b"", flags=NLM_F_REQUEST | NLM_F_ACK, version=None,
              reserved=0):
        self.seq += 1
        ver = uapi.GENL_VERSION if version is None else version
        body = struct.pack("=BBH", cmd, ver, reserved) + attrs
        hdr = struct.pack("=IHHII", 16 + len(body), msg_type, flags, self.seq, 0)
        self.sock.send(hdr + body)
        return self.seq

    def _recv(self, seq):
        """Payloads (after genl header) of the replies to seq; raises GenlError."""
        replies = []
        while True:
            data = self.sock.recv(1 << 20)
            while data:
                mlen, mtype, mflags, mseq, _ = struct.unpack_from("=IHHII", data)
                msg, data = data[16:mlen], data[(mlen + 3) & ~3:]
                if mseq != seq:
                    continue
                if mtype == NLMSG_DONE:
                    return replies
                if mtype == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", msg)[0]
                    if err == 0:
                        return replies
                    text = None
                    if mflags & NLM_F_ACK_TLVS:
                        off = 4 + (16 if mflags & NLM_F_CAPPED else struct.unpack_from("=I", msg, 4)[0])
                        tlv = parse_attrs(msg[off:])
                        if NLMSGERR_ATTR_MSG in tlv:
                            text = tlv[NLMSGERR_ATTR_MSG].rstrip(b"\0").decode()
                    raise GenlError(err, text)
                replies.append(msg[4:])

    def _resolve(self):
        name = uapi.GENL_NAME.encode() + b"\0"
        seq = self._send(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, _attr(CTRL_ATTR_FAMILY_NAME, name), version=1)
        for r in self._recv(seq):
            a = parse_attrs(r)
            if CTRL_ATTR_FAMILY_ID in a:
                return struct.unpack("=H", a[CTRL_ATTR_FAMILY_ID][:2])[0]
        raise GenlError(errno.ENOENT, "family not found")

    def request(self, cmd, attrs=b"", dump=False, reserved=0):
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if dump else 0)
        return self._recv(self._send(self.family, C[cmd], attrs, flags, reserved=reserved))

    @staticmethod
    def _user(payload):
        a = parse_attrs(payload)
        by = a.get(A["delegated_by"])
        return {
            "uid": struct.unpack("=I", a[A["uid"]])[0],
            "first_seen_ns": struct.unpack("=Q", a[A["first_seen_ns"]])[0],
            "last_reset_ns": struct.unpack("=Q", a[A["last_reset_ns"]])[0],
            "delegated_by": struct.unpack("=I", by)[0] if by is not None else None,
            "counters": u64_nest(a[A["counters"]], uapi.COUNTERS),
        }

    def dump(self):
        """{uid: record} of every record the caller may see."""
        return {u["uid"]: u for u in map(self._user, self.request("get_user", dump=True))}

    def get(self, uid):
        return self._user(self.request("get_user", _attr(A["uid"], struct.pack("=I", uid)))[0])

    def reset(self, uid=None, all=False):
        """Reset one UID (returns the record of what was cleared) or all."""
        attrs = b""
        if uid is not None:
            attrs += _attr(A["uid"], struct.pack("=I", uid))
        if all:
            attrs += _attr(A["reset_all"], b"")
        replies = self.request("reset", attrs)
        return self._user(replies[0]) if replies else None

    def stats(self):
        a = parse_attrs(self.request("get_stats")[0])
        out = u64_nest(a[A["stats"]], uapi.STATS)
        for key in ("users", "max_users", "delegated_users", "max_delegated"):
            out[key] = struct.unpack("=I", a[A[key]])[0]
        return out

    def get_config(self):
        a = parse_attrs(self.request("get_config")[0])
        return {"count_loopback": a[A["count_loopback"]][0],
                "max_users": struct.unpack("=I", a[A["max_users"]])[0],
                "max_delegated": struct.unpack("=I", a[A["max_delegated"]])[0],
                "read_gid": struct.unpack("=I", a[A["read_gid"]])[0]}

    def set_config(self, count_loopback=None, max_delegated=None, read_gid=None):
        attrs = b""
        if count_loopback is not None:
            attrs += _attr(A["count_loopback"], struct.pack("=B", count_loopback))
        if max_delegated is not None:
            attrs += _attr(A["max_delegated"], struct.pack("=I", max_delegated))
        if read_gid is not None:
            attrs += _attr(A["read_gid"], struct.pack("=I", read_gid))
        self.request("set_config", attrs)
