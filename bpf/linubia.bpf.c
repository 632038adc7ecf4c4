// SPDX-License-Identifier: GPL-2.0-only
/*
 * The per-packet path of the eBPF backend: cgroup_skb ingress and egress
 * programs attached at the cgroup v2 root.  Each packet is classified
 * (family, transport protocol, wire segments, IP-level bytes) and charged to
 * the host UID owning its socket, as kmod/hook.c does: in the user's
 * fast-path slot if it has one, else in its hash record (bpf/maps.h).  The
 * kernel calls these programs only with a full socket (a SYN-ACK's request
 * socket has already been replaced by its listener; before Linux 6.5 an
 * IPv6 SYN-ACK never gets here, see docs/ebpf.md), after the IP header was
 * pushed back, so skb->len is the IP-level length.
 *
 * Two program pairs read the same kernel fields; the loader (bpf/load.c)
 * loads the one the running kernel supports:
 *  - lnb_ingress/lnb_egress ("kfunc", Linux >= 6.2): bpf_cast_to_kern_ctx()
 *    makes the context the kernel's sk_buff, read with plain BTF loads;
 *  - lnb_ingress_pr/lnb_egress_pr ("probe_read", e.g. Linux 6.1): the
 *    context of a cgroup_skb program is that same sk_buff, so its fields
 *    are read with bpf_probe_read_kernel() at CO-RE-relocated offsets.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "maps.h"

/* GPL: the kfuncs and some helpers used here are GPL-only. */
char LICENSE[] SEC("license") = "GPL";

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define EEXIST		17
#define E2BIG		7
/* IPv6 next-header values (#defines in uapi, so not in vmlinux.h). */
#define NEXTHDR_HOP		0
#define NEXTHDR_ROUTING		43
#define NEXTHDR_FRAGMENT	44
#define NEXTHDR_AUTH		51
#define NEXTHDR_DEST		60
#define NEXTHDR_ICMPV6		58
#define LNB_MAX_EXTHDRS	8		/* the walk is bounded for the verifier */
#define LNB_MAX_HDR_OFF	4096

/* Weak: on kernels without them only the probe_read pair is loaded. */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym __weak;
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	/* Memory follows the users seen, up to max_entries; never per CPU. */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LNB_BPF_DEFAULT_MAX_USERS + 1);
	__type(key, __u32);
	__type(value, struct lnb_bpf_user);
} lnb_users SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LNB_BPF_DEFAULT_MAX_USERS + 1);
	__type(key, __u32);
	__type(value, struct lnb_bpf_base);
} lnb_base SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);	/* readers map it */
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lnb_bpf_slots);
} lnb_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lnb_bpf_stats);
} lnb_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lnb_bpf_config);
} lnb_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LNB_BPF_MAX_RANGES);
	__type(key, __u32);			/* first UID */
	__type(value, struct lnb_bpf_range);
} lnb_ranges SEC(".maps");

struct lnb_pkt {
	__u32 family;
	__u32 proto;
	__u32 hdr_len;		/* network + transport header bytes */
};

/*
 * Bytes [off, off + len) of the packet: in place when they are in the linear
 * area (always so for headers the stack has parsed), else copied to buf.
 */
static __always_inline void *lnb_peek(struct __sk_buff *skb, __u32 off,
				      void *buf, __u32 len)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if (off > LNB_MAX_HDR_OFF)
		return NULL;
	if (data + off + len <= end)
		return data + off;
	if (bpf_skb_load_bytes(skb, off, buf, len))
		return NULL;
	return buf;
}

static __always_inline __u32 lnb_proto_of(__u8 l4proto, __u8 icmp_proto)
{
	if (l4proto == IPPROTO_TCP)
		return LINUBIA_PROTO_TCP;
	if (l4proto == IPPROTO_UDP)
		return LINUBIA_PROTO_UDP;
	if (l4proto == icmp_proto)
		return LINUBIA_PROTO_ICMP;
	return LINUBIA_PROTO_OTHER;
}

/*
 * Transport header bytes every wire segment of a GSO skb repeats: TCP's
 * (with options), UDP's (UDP GSO), SCTP's 12-byte common header (SCTP GSO).
 */
static __always_inline __u32 lnb_l4_hdr_len(struct __sk_buff *skb, __u8 l4proto,
					    __u32 off)
{
	struct tcphdr buf, *th;

	if (l4proto == IPPROTO_UDP)
		return sizeof(struct udphdr);
	if (l4proto == IPPROTO_SCTP)
		return sizeof(struct sctphdr);
	if (l4proto != IPPROTO_TCP)
		return 0;
	th = lnb_peek(skb, off, &buf, sizeof(buf));
	return th ? th->doff * 4 : 0;
}

static __always_inline void lnb_parse_ipv4(struct __sk_buff *skb, struct iphdr *iph,
					   __u32 gso_size, struct lnb_pkt *pkt)
{
	__u32 l3_len = iph->ihl * 4;

	pkt->family = LINUBIA_FAMILY_IPV4;
	pkt->proto = lnb_proto_of(iph->protocol, IPPROTO_ICMP);
	pkt->hdr_len = l3_len;
	if (gso_size)
		pkt->hdr_len += lnb_l4_hdr_len(skb, iph->protocol, l3_len);
}

/* IPv6: walk the extension headers as ipv6_skip_exthdr() does. */
static __always_inline void lnb_parse_ipv6(struct __sk_buff *skb, struct ipv6hdr *ip6h,
					   __u32 gso_size, struct lnb_pkt *pkt)
{
	__u8 nexthdr = ip6h->nexthdr;
	__u32 off = sizeof(struct ipv6hdr);
	struct frag_hdr buf, *h;
	int i;

	pkt->family = LINUBIA_FAMILY_IPV6;
	for (i = 0; i < LNB_MAX_EXTHDRS; i++) {
		if (nexthdr != NEXTHDR_HOP && nexthdr != NEXTHDR_ROUTING &&
		    nexthdr != NEXTHDR_DEST && nexthdr != NEXTHDR_FRAGMENT &&
		    nexthdr != NEXTHDR_AUTH)
			break;
		h = lnb_peek(skb, off, &buf, sizeof(buf));
		if (!h)
			goto unparsable;
		if (nexthdr == NEXTHDR_FRAGMENT) {
			/* A later fragment: its payload is no transport header. */
			if (bpf_ntohs(h->frag_off) & ~0x7)
				break;
			off += sizeof(struct frag_hdr);
		} else if (nexthdr == NEXTHDR_AUTH) {
			off += (h->reserved + 2) * 4;	/* hdrlen is the 2nd byte */
		} else {
			off += (h->reserved + 1) * 8;
		}
		nexthdr = h->nexthdr;
	}
	if (i == LNB_MAX_EXTHDRS)
		goto unparsable;
	pkt->proto = lnb_proto_of(nexthdr, NEXTHDR_ICMPV6);
	pkt->hdr_len = off;
	if (gso_size)
		pkt->hdr_len += lnb_l4_hdr_len(skb, nexthdr, off);
	return;
unparsable:
	/* Like the module when ipv6_skip_exthdr() fails (NEXTHDR_NONE too). */
	pkt->proto = LINUBIA_PROTO_OTHER;
	pkt->hdr_len = sizeof(struct ipv6hdr);
}

static __always_inline int lnb_parse(struct __sk_buff *skb, __u32 gso_size,
				     struct lnb_pkt *pkt)
{
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} buf, *ip;

	ip = lnb_peek(skb, 0, &buf, sizeof(buf.v4));
	if (!ip)
		return -1;
	if (ip->v4.version == 4) {
		lnb_parse_ipv4(skb, &ip->v4, gso_size, pkt);
		return 0;
	}
	ip = lnb_peek(skb, 0, &buf, sizeof(buf.v6));
	if (!ip || ip->v6.version != 6)
		return -1;
	lnb_parse_ipv6(skb, &ip->v6, gso_size, pkt);
	return 0;
}

/* Wire packets in a TSO/GSO/GRO skb (gso_size != 0): gso_segs. */
static __always_inline __u32 lnb_gso_segs(struct __sk_buff *skb, __u32 len,
					  __u32 gso_size, const struct lnb_pkt *pkt)
{
	__u32 segs = skb->gso_segs;

	if (segs)
		return segs;
	/* Some drivers leave gso_segs 0: derive it from gso_size (not for
	 * GSO_BY_FRAGS, SCTP's, which always sets gso_segs). */
	if (len <= pkt->hdr_len || gso_size == 0xFFFF)
		return 1;
	return (len - pkt->hdr_len + gso_size - 1) / gso_size;
}

/*
 * The host UID owning the packet's socket, or why there is none; *full is
 * that full socket (the listener of a request socket).
 */
static __always_inline __u32 lnb_owner_uid(struct sk_buff *kskb, __u32 *why,
					   struct sock **full)
{
	struct sock *sk = kskb->sk;
	struct request_sock *req;
	__u8 state;

	if (!sk) {
		*why = LINUBIA_S_UNATTR_NO_SOCKET;
		return LINUBIA_UID_UNATTRIBUTED;
	}
	state = sk->__sk_common.skc_state;
	if (state == TCP_TIME_WAIT) {
		*why = LINUBIA_S_UNATTR_TIME_WAIT;
		return LINUBIA_UID_UNATTRIBUTED;
	}
	if (state == TCP_NEW_SYN_RECV) {
		/*
		 * Not seen on 6.18 (the kernel passes the listener); kept for
		 * safety.  skc_listener shares a union with a scalar, so the
		 * verifier needs the second cast to treat it as a socket.
		 */
		req = bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct request_sock));
		sk = bpf_rdonly_cast(req->__req_common.skc_listener,
				     bpf_core_type_id_kernel(struct sock));
		if (!sk) {
			*why = LINUBIA_S_UNATTR_NO_SOCKET;
			return LINUBIA_UID_UNATTRIBUTED;
		}
	}
	if (BPF_CORE_READ_BITFIELD(sk, sk_kern_sock)) {
		*why = LINUBIA_S_UNATTR_KERNEL;
		return LINUBIA_UID_UNATTRIBUTED;
	}
	/*
	 * sk_uid is a kuid, i.e. already the initial namespace's UID; not
	 * bpf_get_socket_uid(), which maps it into the netns owner's userns.
	 */
	*full = sk;
	return sk->sk_uid.val;
}

/*
 * lnb_owner_uid() for kernels without the kfuncs: the same decisions on
 * the same fields, each read with bpf_probe_read_kernel().  kskb is the
 * context pointer itself, which is the kernel's sk_buff.
 */
static __always_inline __u32 lnb_owner_uid_pr(struct sk_buff *kskb, __u32 *why,
					      struct sock **full)
{
	struct sock *sk = BPF_CORE_READ(kskb, sk);
	__u8 state;

	if (!sk) {
		*why = LINUBIA_S_UNATTR_NO_SOCKET;
		return LINUBIA_UID_UNATTRIBUTED;
	}
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == TCP_TIME_WAIT) {
		*why = LINUBIA_S_UNATTR_TIME_WAIT;
		return LINUBIA_UID_UNATTRIBUTED;
	}
	if (state == TCP_NEW_SYN_RECV) {
		sk = BPF_CORE_READ((struct request_sock *)sk, __req_common.skc_listener);
		if (!sk) {
			*why = LINUBIA_S_UNATTR_NO_SOCKET;
			return LINUBIA_UID_UNATTRIBUTED;
		}
	}
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_kern_sock)) {
		*why = LINUBIA_S_UNATTR_KERNEL;
		return LINUBIA_UID_UNATTRIBUTED;
	}
	*full = sk;
	return BPF_CORE_READ(sk, sk_uid.val);
}

static __always_inline void lnb_stat_add(__u32 stat, __u64 val)
{
	__u32 zero = 0;
	struct lnb_bpf_stats *st = bpf_map_lookup_elem(&lnb_stats, &zero);

	if (st && stat < LINUBIA_STAT_COUNT)
		__sync_fetch_and_add(&st->s[stat], val);
}

/*
 * The record of uid, made on first sight (delegated by by); NULL (and why)
 * if impossible.  *made says whether this call made it.
 */
static __always_inline struct lnb_bpf_user *lnb_user_get(__u32 uid, __u32 by, __u32 *why,
							 bool *made)
{
	struct lnb_bpf_user *u, fresh;
	__u32 zero = 0;
	long err;

	*made = false;
	u = bpf_map_lookup_elem(&lnb_users, &uid);
	if (u)
		return u;
	__builtin_memset(&fresh, 0, sizeof(fresh));
	fresh.first_seen_tai_ns = bpf_ktime_get_tai_ns();
	fresh.delegated_by = by;
	/* NOEXIST: another CPU may have made it meanwhile; then use that one. */
	err = bpf_map_update_elem(&lnb_users, &uid, &fresh, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		*why = err == -E2BIG ? LINUBIA_S_UNATTR_TABLE_FULL :
				       LINUBIA_S_UNATTR_NO_MEMORY;
		return NULL;
	}
	if (!err) {
		struct lnb_bpf_stats *st = bpf_map_lookup_elem(&lnb_stats, &zero);

		if (st)
			__sync_fetch_and_add(&st->users, 1);
		*made = true;
	}
	return bpf_map_lookup_elem(&lnb_users, &uid);
}

/* --- delegated UIDs (kmod/delegate.c; DELEGATED UIDS in the UAPI header) --- */

/*
 * A field of a kernel structure: a BTF load in the kfunc pair (a fault
 * reads 0), bpf_probe_read_kernel() in the probe_read pair.  pr is a
 * constant after inlining, so each pair holds only its own kind.
 */
#define LNB_READ(pr, p, field) ((pr) ? BPF_CORE_READ(p, field) : (p)->field)

/* User namespaces nest at most 32 deep below the initial one. */
#define LNB_MAX_USERNS_DEPTH	33

/* The user namespace below the initial one that ns is in, or NULL. */
static __always_inline struct user_namespace *lnb_outermost(struct user_namespace *ns,
							    bool pr)
{
	struct user_namespace *child = NULL, *parent;
	int i;

	for (i = 0; i < LNB_MAX_USERNS_DEPTH && ns; i++) {
		parent = LNB_READ(pr, ns, parent);
		if (!parent)
			return child;	/* ns is the initial namespace */
		child = ns;
		ns = parent;
	}
	return NULL;
}

/*
 * Remember top's UID ranges (the first LNB_BPF_LEARN_EXTENTS extents of its
 * uid_map: lower UIDs are the initial namespace's, its parent being that
 * one) for sockets without a file.  The owner's own single UID is not
 * delegated, so not learned.
 */
static __always_inline void lnb_learn_ranges(struct user_namespace *top, __u32 owner,
					     bool pr)
{
	struct uid_gid_extent *base, *e;
	struct lnb_bpf_range r, *known;
	__u32 n, first, count;
	int i;

	n = LNB_READ(pr, top, uid_map.nr_extents);
	base = n <= 5 ? &top->uid_map.extent[0] : LNB_READ(pr, top, uid_map.forward);
	if (!base)
		return;
	for (i = 0; i < LNB_BPF_LEARN_EXTENTS; i++) {
		if (i >= n)
			break;
		if (pr) {
			e = base + i;
			first = BPF_CORE_READ(e, lower_first);
			count = BPF_CORE_READ(e, count);
		} else {
			e = bpf_rdonly_cast((void *)((unsigned long)base +
						     i * bpf_core_type_size(struct uid_gid_extent)),
					    bpf_core_type_id_kernel(struct uid_gid_extent));
			first = e->lower_first;
			count = e->count;
		}
		if (!count || (count == 1 && first == owner))
			continue;
		known = bpf_map_lookup_elem(&lnb_ranges, &first);
		if (known && known->count == count && known->owner == owner)
			continue;	/* the common case: learned before */
		r.count = count;
		r.owner = owner;
		bpf_map_update_elem(&lnb_ranges, &first, &r, BPF_ANY);
	}
}

struct lnb_range_find {
	__u32 uid;
	__u32 owner;
};

static long lnb_range_cb(struct bpf_map *map, __u32 *first, struct lnb_bpf_range *r,
			 struct lnb_range_find *f)
{
	if (f->uid - *first < r->count) {
		f->owner = r->owner;
		return 1;	/* found: stop */
	}
	return 0;
}

/*
 * The user who delegated uid, the owner of the full socket sk, or
 * LNB_BPF_NOT_DELEGATED.  The owner of the outermost user namespace (the
 * child of the initial one) of the socket creator's credentials
 * (sk->sk_socket->file->f_cred->user_ns).  A socket without a file (a TCP
 * child not accepted yet, an orphan after close()): the learned UID
 * ranges, then the owner of the socket's network namespace's outermost
 * user namespace; failing both, not delegated.
 */
static __always_inline __u32 lnb_delegator(struct sock *sk, __u32 uid, bool pr)
{
	struct lnb_range_find f = { .uid = uid, .owner = LNB_BPF_NOT_DELEGATED };
	struct user_namespace *top;
	const struct cred *cred;
	struct socket *sock;
	struct file *file;
	__u32 owner;

	sock = LNB_READ(pr, sk, sk_socket);
	file = sock ? LNB_READ(pr, sock, file) : NULL;
	if (file) {
		cred = LNB_READ(pr, file, f_cred);
		top = cred ? lnb_outermost(LNB_READ(pr, cred, user_ns), pr) : NULL;
		if (!top)
			return LNB_BPF_NOT_DELEGATED;
		owner = LNB_READ(pr, top, owner.val);
		lnb_learn_ranges(top, owner, pr);
	} else {
		bpf_for_each_map_elem(&lnb_ranges, lnb_range_cb, &f, 0);
		owner = f.owner;
		if (owner == LNB_BPF_NOT_DELEGATED) {
			struct net *net = LNB_READ(pr, sk, __sk_common.skc_net.net);

			top = net ? lnb_outermost(LNB_READ(pr, net, user_ns), pr) : NULL;
			if (!top)
				return LNB_BPF_NOT_DELEGATED;
			owner = LNB_READ(pr, top, owner.val);
		}
	}
	return owner == uid ? LNB_BPF_NOT_DELEGATED : owner;
}

/*
 * Make uid's record, charged to its delegating user if any: at most
 * max_delegated records per delegating user and max_users / 2 in all,
 * reserved with atomic adds (taken back if the record is not made), so the
 * bounds hold exactly whatever runs in parallel.  Beyond them the
 * delegating user's own record is returned and *over set; NULL (and why)
 * if no record can be charged.
 */
static __always_inline struct lnb_bpf_user *lnb_user_make(__u32 uid, struct sock *sk,
							  bool pr, __u32 *why, bool *over)
{
	struct lnb_bpf_user *owner = NULL, *u;
	struct lnb_bpf_config *cfg;
	struct lnb_bpf_stats *st;
	__u32 zero = 0, by;
	bool made;

	by = sk ? lnb_delegator(sk, uid, pr) : LNB_BPF_NOT_DELEGATED;
	if (by == LNB_BPF_NOT_DELEGATED)
		return lnb_user_get(uid, by, why, &made);
	owner = lnb_user_get(by, LNB_BPF_NOT_DELEGATED, why, &made);
	cfg = bpf_map_lookup_elem(&lnb_config, &zero);
	st = bpf_map_lookup_elem(&lnb_stats, &zero);
	if (!owner)
		return NULL;		/* why: the table is full, or no memory */
	if (!cfg || !st)
		goto over_bound;	/* never: both are arrays of one */
	if (__sync_fetch_and_add(&owner->nr_delegated, 1) >= cfg->max_delegated)
		goto release_owner;
	if (__sync_fetch_and_add(&st->delegated, 1) >= cfg->max_users / 2)
		goto release_all;
	u = lnb_user_get(uid, by, why, &made);
	if (made)
		return u;
	if (u || *why == LINUBIA_S_UNATTR_TABLE_FULL) {
		/* Made by another CPU meanwhile (u), or the table is full. */
		__sync_fetch_and_sub(&st->delegated, 1);
		__sync_fetch_and_sub(&owner->nr_delegated, 1);
		if (u)
			return u;
		goto over_bound;
	}
	__sync_fetch_and_sub(&st->delegated, 1);
	__sync_fetch_and_sub(&owner->nr_delegated, 1);
	return NULL;
release_all:
	__sync_fetch_and_sub(&st->delegated, 1);
release_owner:
	__sync_fetch_and_sub(&owner->nr_delegated, 1);
over_bound:
	*over = true;
	return owner;
}

/* The slow path, kept out of line: only UIDs without a record get here. */
static __noinline struct lnb_bpf_user *lnb_user_make_kf(__u32 uid, struct sock *sk,
							__u32 *why, bool *over)
{
	return lnb_user_make(uid, sk, false, why, over);
}

static __noinline struct lnb_bpf_user *lnb_user_make_pr(__u32 uid, struct sock *sk,
							__u32 *why, bool *over)
{
	return lnb_user_make(uid, sk, true, why, over);
}

/*
 * The counters uid's packets go to: its slot (the fast path: no hash
 * lookup), else its record, made on first sight; NULL (and why) if none.
 * A slot is claimed only once the record exists, so that max_users still
 * bounds the users.  A delegated UID beyond its user's bound gets that
 * user's record, and *over is set.
 */
static __always_inline __u64 *lnb_counters(__u32 uid, struct sock *sk, bool pr, __u32 *why,
					   bool *over)
{
	__u32 zero = 0, free = LNB_BPF_SLOTS, owner, at;
	struct lnb_bpf_slots *s;
	struct lnb_bpf_user *u;

	s = bpf_map_lookup_elem(&lnb_slots, &zero);
	if (s) {
		at = lnb_bpf_slot_find(s->owner, uid, &free);
		if (at < LNB_BPF_SLOTS)
			return s->c[at];
	}
	u = bpf_map_lookup_elem(&lnb_users, &uid);
	if (!u)
		u = pr ? lnb_user_make_pr(uid, sk, why, over) : lnb_user_make_kf(uid, sk, why, over);
	if (!u)
		return NULL;
	if (*over)
		return u->c;	/* the delegating user's record */
	if (s && free < LNB_BPF_SLOTS) {
		owner = __sync_val_compare_and_swap(&s->owner[free], 0, uid + 1);
		/* Lost to another user: this packet goes to the record. */
		if (!owner || owner == uid + 1)
			return s->c[free];
	}
	return u->c;
}

static __always_inline bool lnb_skip_loopback(struct sk_buff *kskb, bool pr)
{
	struct lnb_bpf_config *cfg;
	struct net_device *dev;
	unsigned int flags;
	__u32 zero = 0;

	/* The device first: most traffic is not loopback, and needs no lookup. */
	dev = pr ? BPF_CORE_READ(kskb, dev) : kskb->dev;
	if (!dev)
		return false;
	flags = pr ? BPF_CORE_READ(dev, flags) : dev->flags;
	if (!(flags & IFF_LOOPBACK))
		return false;
	cfg = bpf_map_lookup_elem(&lnb_config, &zero);
	return cfg && cfg->skip_loopback;
}

/*
 * pr (a constant after inlining) selects the probe_read reads: the kfunc
 * pair must not contain them, nor the probe_read pair any kfunc call.
 */
static __always_inline void lnb_account(struct __sk_buff *skb, __u32 dir, bool pr)
{
	__u32 why = LINUBIA_S_UNATTR_NO_SOCKET, uid, segs = 1, idx, len, gso_size;
	struct lnb_bpf_user *u;
	struct sock *sk = NULL;
	struct sk_buff *kskb;
	bool over = false;
	__u64 *c = NULL;
	struct lnb_pkt pkt;
	__u64 bytes;

	/*
	 * probe_read: the verifier lets a privileged (CAP_PERFMON) program pass
	 * the context pointer to bpf_probe_read_kernel() as a plain address.
	 */
	kskb = pr ? (struct sk_buff *)skb : bpf_cast_to_kern_ctx(skb);
	if (lnb_skip_loopback(kskb, pr))
		return;
	/* gso_* live in skb_shinfo(): three loads per read, so read once. */
	len = skb->len;
	gso_size = skb->gso_size;
	if (lnb_parse(skb, gso_size, &pkt))
		return;		/* not IP: cgroup_skb is only called for IP */
	bytes = len;
	if (gso_size) {
		segs = lnb_gso_segs(skb, len, gso_size, &pkt);
		bytes += (__u64)(segs - 1) * pkt.hdr_len;
	}

	uid = pr ? lnb_owner_uid_pr(kskb, &why, &sk) : lnb_owner_uid(kskb, &why, &sk);
	if (uid != LINUBIA_UID_UNATTRIBUTED)
		c = lnb_counters(uid, sk, pr, &why, &over);
	if (c && over)
		lnb_stat_add(LINUBIA_S_DELEGATED_OVER_BOUND, segs);
	if (!c) {
		lnb_stat_add(why, segs);
		if (why == LINUBIA_S_UNATTR_TABLE_FULL)
			lnb_stat_add(LINUBIA_S_TABLE_FULL_BYTES, bytes);
		uid = LINUBIA_UID_UNATTRIBUTED;
		u = bpf_map_lookup_elem(&lnb_users, &uid);	/* made by the loader */
		if (!u)
			return;
		c = u->c;
	}
	idx = LINUBIA_COUNTER(dir, pkt.family, pkt.proto, LINUBIA_UNIT_BYTES);
	if (idx >= LINUBIA_COUNTER_COUNT - 1)
		return;
	/* Atomic: softirq can interrupt process context on the same CPU. */
	__sync_fetch_and_add(&c[idx], bytes);
	__sync_fetch_and_add(&c[idx + 1], segs);
}

SEC("cgroup_skb/ingress")
int lnb_ingress(struct __sk_buff *skb)
{
	lnb_account(skb, LINUBIA_DIR_IN, false);
	return 1;
}

SEC("cgroup_skb/egress")
int lnb_egress(struct __sk_buff *skb)
{
	lnb_account(skb, LINUBIA_DIR_OUT, false);
	return 1;
}

/* Program names stay within the kernel's 15 characters. */
SEC("cgroup_skb/ingress")
int lnb_ingress_pr(struct __sk_buff *skb)
{
	lnb_account(skb, LINUBIA_DIR_IN, true);
	return 1;
}

SEC("cgroup_skb/egress")
int lnb_egress_pr(struct __sk_buff *skb)
{
	lnb_account(skb, LINUBIA_DIR_OUT, true);
	return 1;
}
