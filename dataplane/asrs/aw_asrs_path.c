/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ASRS packet path: aw_asrs_burst() looks the whole batch up in the session
 * table at once, 64 keys a pass: each packet's key and hash built from its
 * header words and its home bucket prefetched in one pass, then
 * aw_stab_find_bulk_h (sessions and their counter indexes prefetched a
 * stage ahead), and rewrites each hit with one always-inline function per
 * direction, parameterised by the family and the protocol (full NAT,
 * incremental checksums, the TTL decremented in the same IPv4 header
 * checksum update, the shim removed / the TCP option turned into NOPs). A miss goes to
 * new_session(), the slow path: identification in SPEC §4.2 order (UDP shim,
 * TCP option, IPv6 service prefix, listener / instance alias), destination
 * choice (preferred group, weighted Maglev on client addr, port, proto),
 * SNAT allocation, insertion. Rewritten packets leave through the
 * forwarding module (aw_fwd.h): TTL and MTU checked before the rewrite, then
 * sent with the session's next-hop cache word of that direction, which the
 * first packet each way fills (no route or neighbour lookup after that).
 *
 * Contract: aw_asrs_burst runs on the processing lcore owning `c`, between
 * two of its quiescent states; it sets the verdict of every packet.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <rte_byteorder.h>
#include <rte_prefetch.h>

#include "aw_addrset.h"
#include "aw_asrs_dnh.h"
#include "aw_asrs_memo.h"
#include "aw_asrs_nat.h"
#include "aw_asrs_stab.h"
#include "aw_asrs_svcstats.h"
#include "aw_asrs_synproxy.h"
#include "aw_cksum.h"
#include "aw_cluster.h"
#include "aw_fwd.h"
#include "aw_maglev.h"
#include "aw_route.h"

#define L3         RTE_ETHER_HDR_LEN
#define TCP_FIN    0x01
#define TCP_SYN    0x02
#define TCP_RST    0x04
#define TCP_ACK    0x10
#define BULK       64

static __rte_always_inline uint8_t *
pkt_ip(const struct aw_feat_pkt *p)
{
	return rte_pktmbuf_mtod_offset(p->m, uint8_t *, L3);
}

/* Removes the n-byte shim after the UDP header: lengths and checksums
 * updated, the headers moved forward over it. */
static __rte_always_inline void
strip_shim(struct aw_feat_pkt *p, uint16_t n, const int v6)
{
	uint8_t *ip = pkt_ip(p);
	uint8_t *udp = ip + p->l3_hl;
	uint16_t olen, nlen;
	uint32_t d;

	memcpy(&olen, udp + 4, 2);
	nlen = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(olen) - n));
	d = (uint16_t)~aw_csum_fold(aw_csum_partial(udp + 8, n, 0));
	d = csum_delta(d, (const uint8_t *)&olen, (const uint8_t *)&nlen, 2);
	d = csum_delta(d, (const uint8_t *)&olen, (const uint8_t *)&nlen, 2); /* pseudo header */
	if (v6 || udp[6] != 0 || udp[7] != 0) {
		csum_apply(udp + 6, d);
		if (udp[6] == 0 && udp[7] == 0)
			udp[6] = udp[7] = 0xff;
	}
	memcpy(udp + 4, &nlen, 2);
	uint16_t oip, nip;
	memcpy(&oip, ip + (v6 ? 4 : 2), 2);
	nip = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(oip) - n));
	memcpy(ip + (v6 ? 4 : 2), &nip, 2);
	if (!v6)
		csum_apply(ip + 10, csum_delta(0, (const uint8_t *)&oip, (const uint8_t *)&nip, 2));
	uint8_t *base = rte_pktmbuf_mtod(p->m, uint8_t *);
	memmove(base + n, base, L3 + p->l3_hl + 8);
	rte_pktmbuf_adj(p->m, n);
	p->l3_len = (uint16_t)(p->l3_len - n);
}

static __rte_always_inline void
tcp_track(struct aw_sess *s, uint8_t fl, bool reply)
{
	uint8_t st = s->state, ns = st;

	if (st >= AW_SS__N || st == AW_SS_FREE)
		return;
	if (st == AW_SS_CLOSING) { /* a new connection on the same ports reopens it */
		if (!reply && (fl & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) == TCP_SYN)
			s->state = AW_SS_SYN;
		return;
	}
	if (fl & (TCP_FIN | TCP_RST))
		ns = AW_SS_CLOSING;
	else if (st == AW_SS_SYN && !reply && (fl & TCP_ACK) && !(fl & TCP_SYN))
		ns = AW_SS_EST;
	if (ns != st)
		s->state = ns;
}

/* Routes the rewritten packet (its TTL decremented by nat_rewrite_ttl) with
 * the session's next-hop cache word for
 * direction dir, keeping the word the forwarding module returns (a session
 * is shared by lcores: relaxed 32-bit loads and stores, any value written is
 * right for the session's addresses). */
static __rte_always_inline void
route_out(struct aw_lcore_ctx *c, struct aw_feat_pkt *p, struct aw_sess *s, uint32_t nh,
	  unsigned dir, const int v6)
{
	uint32_t got = aw_fwd_send(c, p->m, nh, v6, AW_FWD_CHECKED | AW_FWD_TTL_DONE);

	if (unlikely(got != nh))
		__atomic_store_n(&s->nh[dir], got, __ATOMIC_RELAXED);
}

/* Client → destination. strip: shim bytes to remove; opt_off: offset of the
 * ASRS TCP option in the options area, or -1. proto: p->proto (a constant
 * on the session-hit path). */
static __rte_always_inline void
forward_p(struct aw_lcore_ctx *c, struct aw_asrs *a, struct aw_feat_pkt *p, struct aw_sess *s,
	  uint16_t strip, int opt_off, const int v6, const uint8_t proto)
{
	uint32_t nh = __atomic_load_n(&s->nh[0], __ATOMIC_RELAXED);

	/* TTL and egress MTU before the rewrite: errors quote what the sender sent. */
	if (!aw_fwd_check(c, p->m, (uint32_t)p->l3_len - strip, strip, s->dest, nh, v6))
		return;
	if (strip != 0) {
		strip_shim(p, strip, v6);
		c->stats.info[AW_INFO_SHIM_STRIPPED]++;
	}
	uint8_t *ip = pkt_ip(p);
	if (opt_off >= 0) {
		uint8_t *tcp = ip + p->l3_hl;
		uint16_t ck;
		memcpy(&ck, tcp + 16, 2);
		aw_tcpopt_strip(tcp + 20, (size_t)(tcp[12] >> 4) * 4 - 20, (size_t)opt_off, &ck);
		memcpy(tcp + 16, &ck, 2);
		c->stats.info[AW_INFO_TCPOPT_STRIPPED]++;
	}
	nat_rewrite_ttl(ip, p->l3_hl, p->l3_len - p->l3_hl, proto, a->snat_tab[s->snat], s->sport,
			s->dest, s->dport, v6, 1);
	route_out(c, p, s, nh, 0, v6);
}

static __rte_always_inline void
forward(struct aw_lcore_ctx *c, struct aw_asrs *a, struct aw_feat_pkt *p, struct aw_sess *s,
	uint16_t strip, int opt_off, const int v6)
{
	forward_p(c, a, p, s, strip, opt_off, v6, p->proto);
}

/* Destination → client: src ← the address:port the client used, dst ← client. */
static __rte_always_inline void
reverse(struct aw_lcore_ctx *c, struct aw_feat_pkt *p, struct aw_sess *s, const int v6,
	const uint8_t proto)
{
	uint32_t nh = __atomic_load_n(&s->nh[1], __ATOMIC_RELAXED);

	if (!aw_fwd_check(c, p->m, p->l3_len, 0, s->client, nh, v6))
		return;
	nat_rewrite_ttl(pkt_ip(p), p->l3_hl, p->l3_len - p->l3_hl, proto, s->vip, s->vport,
			s->client, s->cport, v6, 1);
	route_out(c, p, s, nh, 1, v6);
}

static __rte_always_inline void
bad_shim(struct aw_asrs_lcore *l, struct aw_feat_pkt *p, unsigned why)
{
	l->bad_shim[why]++;
	aw_set_drop(p->m, AW_DROP_BAD_SHIM);
}

/* TCP header length valid? Then the options area is tcp[20 .. *optlen+20). */
static __rte_always_inline bool
tcp_opts(struct aw_feat_pkt *p, size_t *optlen)
{
	const uint8_t *tcp = pkt_ip(p) + p->l3_hl;
	size_t doff = (size_t)(tcp[12] >> 4) * 4;

	if (unlikely(doff < 20 || doff > (size_t)p->l3_len - p->l3_hl)) {
		aw_set_drop(p->m, AW_DROP_TCP_BAD_HEADER);
		return false;
	}
	*optlen = doff - 20;
	return true;
}

/* What the client's packet carries on the ASRS port: shim to strip, option
 * to overwrite. -1: dropped (malformed); 1: found (sid set); 0: nothing. */
static __rte_always_inline int
asrs_port_ident(struct aw_asrs_lcore *l, struct aw_feat_pkt *p, uint64_t *sid, uint16_t *strip,
		int *opt_off)
{
	const uint8_t *l4 = pkt_ip(p) + p->l3_hl;

	if (p->proto == IPPROTO_UDP) {
		struct aw_shim sh;
		enum aw_shim_err e = aw_shim_parse(l4 + 8, (size_t)p->l3_len - p->l3_hl - 8, &sh);
		if (e != AW_SHIM_ERR_OK)
			return bad_shim(l, p, e), -1;
		*sid = sh.sid;
		*strip = sh.hdr_len;
		return 1;
	}
	size_t optlen;
	struct aw_tcpopt opt;
	if (!tcp_opts(p, &optlen))
		return -1;
	enum aw_shim_err e = aw_tcpopt_find(l4 + 20, optlen, &opt);
	if (e == AW_SHIM_ERR_OPT_NOT_FOUND)
		return 0;
	if (e != AW_SHIM_ERR_OK)
		return bad_shim(l, p, e), -1;
	if ((l4[13] & (TCP_SYN | TCP_ACK)) != TCP_SYN)
		return bad_shim(l, p, AW_BAD_OPT_NOT_SYN), -1;
	*sid = opt.sid;
	*opt_off = opt.off;
	return 1;
}

/* Client → destination in a session made on the ASRS port (UDP shim or
 * TCP option): the packet names the session's service again, which is
 * checked, and what names it is removed. Out of line: the hit path of the
 * other sessions keeps no shim / option logic. */
static __rte_noinline void
forward_ident(struct aw_lcore_ctx *c, struct aw_asrs *a, struct aw_asrs_lcore *l,
	      struct aw_feat_pkt *p, struct aw_sess *s)
{
	uint16_t strip = 0;
	int opt_off = -1;
	uint64_t sid = s->sid;

	if (asrs_port_ident(l, p, &sid, &strip, &opt_off) < 0)
		return;
	if (sid != s->sid)
		return bad_shim(l, p, AW_BAD_SID_CHANGED);
	if (p->v6)
		forward(c, a, p, s, strip, opt_off, 1);
	else
		forward(c, a, p, s, strip, opt_off, 0);
}

/* A packet of session reference d; v6 and proto (p's) are constants. */
static __rte_always_inline void
hit_p(struct aw_lcore_ctx *c, struct aw_asrs *a, struct aw_asrs_lcore *l, struct aw_feat_pkt *p,
      uintptr_t d, const int v6, const uint8_t proto)
{
	struct aw_sess *s = &a->sess[d >> 1];

	if (unlikely(s->flags & AW_SESS_F_SP) && aw_sp_hit(c, a, p, (uint32_t)d))
		return;
	if (proto == IPPROTO_TCP)
		tcp_track(s, pkt_ip(p)[p->l3_hl + 13], d & 1);
	if (s->last != l->now)
		s->last = l->now;
	if (d & 1) {
		aw_svcstats_pkt(a, l, (uint32_t)(d >> 1), 1, p->l3_len);
		return reverse(c, p, s, v6, proto);
	}
	aw_svcstats_pkt(a, l, (uint32_t)(d >> 1), 0, p->l3_len);
	if (unlikely(s->flags & (AW_SESS_F_SHIM | AW_SESS_F_OPT)))
		return forward_ident(c, a, l, p, s);
	forward_p(c, a, p, s, 0, -1, v6, proto); /* nothing to strip: constants */
}

/* Only TCP and UDP packets have a session key (is_l4: burst_chunk builds
 * none for the rest; the core hands a feature TCP, UDP and ICMP errors
 * only), and a session is found by a key of its own protocol. */
static __rte_always_inline bool
is_l4(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

/* A packet of session reference d: TCP or UDP (is_l4), each with its own
 * variant of the hit. */
static __rte_always_inline void
hit(struct aw_lcore_ctx *c, struct aw_asrs *a, struct aw_asrs_lcore *l, struct aw_feat_pkt *p,
    uintptr_t d, const int v6)
{
	if (p->proto == IPPROTO_UDP)
		hit_p(c, a, l, p, d, v6, IPPROTO_UDP);
	else if (likely(p->proto == IPPROTO_TCP))
		hit_p(c, a, l, p, d, v6, IPPROTO_TCP);
	else /* no key is made for it: cannot happen */
		aw_set_drop(p->m, AW_DROP_LOCAL_UNHANDLED);
}

_Static_assert(offsetof(struct aw_sess_key, sport) == 32 && offsetof(struct aw_sess_key, dport) == 34 &&
		       offsetof(struct aw_sess_key, proto) == 36 && offsetof(struct aw_sess_key, v6) == 37,
	       "pkt_key writes the key as words");
_Static_assert(RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN, "pkt_key: ports, proto, v6 in the last word");

/* The packet's session key, written as five 8-byte words (the layout of
 * struct aw_sess_key: addresses zero-padded to 16 bytes), and its hash
 * (aw_sess_key_hash's value), from the words while they are in registers. */
static __rte_always_inline uint32_t
pkt_key(const struct aw_feat_pkt *p, struct aw_sess_key *k)
{
	const uint8_t *ip = pkt_ip(p);
	uint64_t w[5];
	uint32_t ports, h;

	memcpy(&ports, ip + p->l3_hl, 4);
	if (p->v6) {
		w[4] = ports | (uint64_t)p->proto << 32 | (uint64_t)1 << 40;
		memcpy(w, ip + 8, 32);
		h = aw_sess_hash6(w[4], w);
	} else {
		uint64_t addrs;
		memcpy(&addrs, ip + 12, 8); /* src | dst << 32 */
		w[4] = ports | (uint64_t)p->proto << 32;
		w[0] = (uint32_t)addrs;
		w[1] = 0;
		w[2] = addrs >> 32;
		w[3] = 0;
		h = aw_sess_hash4(w[4], addrs);
	}
	memcpy(k, w, sizeof(w));
	return h;
}

/* ---- slow path: a packet without a session ---- */

/* What identify found: one pointer instead of five output arguments. */
struct ident {
	uint64_t sid;
	int opt_off;    /* the ASRS TCP option's offset, or -1 */
	uint16_t strip; /* the UDP shim's length, or 0 */
	bool asrs_port; /* to the ASRS port of a VIP or of ours */
	bool sp;        /* a TCP listener with the SYN proxy on */
};

/* SID named by the packet (SPEC §4.2 order), into *id (its fields preset by
 * the caller: opt_off -1, the rest 0). 1: found; 0: none; -1: dropped. */
static __rte_always_inline int
identify(struct aw_lcore_ctx *c, struct aw_asrs *a, struct aw_feat_pkt *p, struct ident *id)
{
	const uint8_t *ip = pkt_ip(p);
	const uint8_t *dst = p->v6 ? ip + 24 : ip + 16;
	const uint8_t fam = p->v6 ? AW_AF_INET6 : AW_AF_INET4;
	uint16_t dport;

	memcpy(&dport, ip + p->l3_hl + 2, 2);
	id->asrs_port = dport == rte_cpu_to_be_16(a->conf->port) &&
			(p->addr_flags & (AW_ADDR_VIP | AW_ADDR_OWN));
	if (id->asrs_port) {
		int r = asrs_port_ident(aw_asrs_lc(c), p, &id->sid, &id->strip, &id->opt_off);
		if (r != 0)
			return r;
	} else if (p->proto == IPPROTO_TCP) {
		size_t optlen;
		if (!tcp_opts(p, &optlen))
			return -1;
	}
	if (p->addr_flags & AW_FEAT_SVC_PREFIX) {
		uint64_t v;
		memcpy(&v, dst + 8, 8);
		id->sid = rte_be_to_cpu_64(v);
		return 1;
	}
	const struct aw_lsn_table *t = __atomic_load_n(&a->lsn, __ATOMIC_ACQUIRE);
	const struct aw_lsn_slot *ls = NULL;
	if (p->addr_flags & AW_ADDR_VIP) {
		ls = aw_memo_lsn(aw_asrs_lc(c), t, dst, fam, p->proto, dport);
	} else if (p->addr_flags & AW_ADDR_OWN) {
		/* Instance alias: a listener of an AARP VIP, on our unicast address. */
		const struct aw_addrset *as = __atomic_load_n(&c->dp->addrs, __ATOMIC_ACQUIRE);
		ls = aw_lsn_alias(t, as, fam, p->proto, dport);
	}
	if (ls == NULL)
		return 0;
	id->sid = ls->sid;
	id->sp = ls->proto == IPPROTO_TCP &&
		 (ls->synproxy > 0 || (ls->synproxy < 0 && a->conf->synproxy_default));
	return 1;
}

/* Sets the new session's SNAT address (an index into a->snat_tab): the
 * `snat` list of the family (chosen by flow hash), else the egress port's
 * address. */
static bool
pick_snat(struct aw_lcore_ctx *c, struct aw_asrs *a, struct aw_sess *s, uint64_t h, const int v6)
{
	const struct aw_asrs_conf *ac = a->conf;
	unsigned n = v6 ? ac->n_snat6 : ac->n_snat4;

	if (n > 0) { /* one address (the common case): no division */
		s->snat = (uint8_t)((v6 ? AW_ASRS_MAX_SNAT : 0) + (n == 1 ? 0 : (h >> 32) % n));
		return true;
	}
	const struct aw_nexthop *nh = aw_route_lookup(c->dp->routes, s->dest, v6);
	if (nh == NULL)
		return false;
	const struct aw_port *port = &c->dp->ports[nh->port];
	if (!(v6 ? port->has_v6 : port->has_v4))
		return false;
	s->snat = (uint8_t)(2 * AW_ASRS_MAX_SNAT + 2 * nh->port + (v6 ? 1 : 0));
	return true;
}

static inline void
create_lock(struct aw_asrs *a)
{
	if (a->create_locked)
		rte_spinlock_lock(&a->create_lock);
}

static inline void
create_unlock(struct aw_asrs *a)
{
	if (a->create_locked)
		rte_spinlock_unlock(&a->create_lock);
}

/* The packet's key and its hash, from the bulk lookup. */
struct key_h {
	const struct aw_sess_key *k;
	uint32_t h;
};

static __rte_always_inline void
created_mark(struct aw_asrs_lcore *l, uint32_t h)
{
	l->created[(h >> 30) & 3] |= 1ull << ((h >> 24) & 63);
}

static __rte_always_inline bool
created_maybe(const struct aw_asrs_lcore *l, uint32_t h)
{
	return (l->created[(h >> 30) & 3] >> ((h >> 24) & 63)) & 1;
}

/* Creates the session for p (key pk) toward destination d; its slot or
 * UINT32_MAX (verdict set). In pipeline mode, under create_lock: another
 * worker may have created it meanwhile (then *existed). */
static uint32_t
create(struct aw_lcore_ctx *c, struct aw_asrs *a, struct aw_feat_pkt *p, struct key_h pk,
       const struct aw_svc *svc, const struct aw_asrs_dest *d, uint64_t h, bool shim,
       const struct aw_sp_init *sp, uintptr_t *data, bool *existed)
{
	struct aw_asrs_lcore *l = aw_asrs_lc(c);
	const uint8_t *ip = pkt_ip(p);
	const struct aw_sess_key *k = pk.k;
	uint32_t found, hr = 0;

	*existed = false;
	create_lock(a);
	if (a->create_locked && (found = aw_stab_find(a, k, pk.h)) != AW_STAB_MISS) {
		*existed = true;
		create_unlock(a);
		*data = found;
		return found >> 1;
	}
	uint32_t idx = aw_sess_alloc(a, l);
	if (idx == UINT32_MAX) {
		create_unlock(a);
		return aw_set_drop(p->m, AW_DROP_SESSION_TABLE_FULL), UINT32_MAX;
	}
	struct aw_sess *s = &a->sess[idx];
	memcpy(s->client, k->src, 16);
	memcpy(s->vip, k->dst, 16);
	s->cport = k->sport;
	s->vport = k->dport;
	memset(s->dest, 0, 16);
	memcpy(s->dest, d->addr.b, 16);
	s->dport = rte_cpu_to_be_16(d->port);
	s->sid = svc->sid;
	aw_svcstats_bind_sess(a, idx, svc, (unsigned)(d - svc->dests));
	s->proto = p->proto;
	s->flags = (p->v6 ? AW_SESS_F_CLIENT6 | AW_SESS_F_DEST6 : 0) | (shim ? AW_SESS_F_SHIM : 0) |
		   (p->proto == IPPROTO_TCP && k->dport == rte_cpu_to_be_16(a->conf->port)
			    ? AW_SESS_F_OPT : 0);
	s->nh[0] = aw_dnh_get(l, s->dest, (uint8_t)p->v6); /* else filled by the first packet */
	s->nh[1] = 0;
	if (sp != NULL) {
		s->flags |= AW_SESS_F_SP | AW_SESS_F_SP_WAIT;
		s->nh[AW_SESS_SP_ISN] = sp->client_isn; /* until the wait ends */
		s->sp_delta = sp->cookie;
	}
	s->last = l->now;
	s->sport = 0;
	enum aw_drop_reason why = AW_DROP_NO_ROUTE;
	if (pick_snat(c, a, s, h, p->v6))
		why = aw_snat_spread(a, l, s, &hr);
	uint8_t fl = ip[p->l3_hl + 13];
	s->state = p->proto == IPPROTO_UDP ? AW_SS_UDP
		   : (fl & (TCP_SYN | TCP_ACK)) == TCP_SYN ? AW_SS_SYN : AW_SS_EST;
	if (why != AW_DROP__COUNT) {
		aw_sess_unalloc(a, l, idx);
		create_unlock(a);
		return aw_set_drop(p->m, why), UINT32_MAX;
	}
	if (unlikely(rte_be_to_cpu_16(s->vport) >= a->conf->snat_min))
		aw_snat_client_hold(a, s);
	aw_stab_add2(a, hr, idx << 1 | 1, pk.h, idx << 1); /* aw_sess_insert_h's order */
	create_unlock(a);
	c->stats.info[AW_INFO_SESSIONS_CREATED]++;
	aw_svcstats_new(a, l, idx);
	created_mark(l, pk.h);
	created_mark(l, hr); /* its reply may come later in this burst */
	*data = (uintptr_t)idx << 1;
	return idx;
}

/* Is p (TCP) for a SYN-proxy listener of a VIP? */
static bool
sp_listener(const struct aw_asrs *a, const struct aw_feat_pkt *p)
{
	const uint8_t *ip = pkt_ip(p);
	uint16_t dport;

	if (!(p->addr_flags & AW_ADDR_VIP))
		return false;
	memcpy(&dport, ip + p->l3_hl + 2, 2);
	const struct aw_lsn_slot *ls = aw_lsn_lookup(__atomic_load_n(&a->lsn, __ATOMIC_ACQUIRE),
						     p->v6 ? ip + 24 : ip + 16,
						     p->v6 ? AW_AF_INET6 : AW_AF_INET4, p->proto, dport);
	return ls != NULL && (ls->synproxy > 0 || (ls->synproxy < 0 && a->conf->synproxy_default));
}

/* Anycast cluster (SPEC §8, doc/cluster.md): a miss for a VIP (not an
 * instance alias, not a reply to a SNAT address) whose owner is another
 * instance is sent there (key: the session key). SYN proxy listeners
 * (the cookie secret is shared by the members, aw_asrs_synproxy.c): a SYN
 * is answered here, whoever owns the flow (it leaves no state, and a flood
 * stays where it arrives); the cookie ACK is flow-creating where its cookie
 * is valid and a flow would be created (the owner). */
static __rte_noinline bool
cluster_redirect(struct aw_lcore_ctx *c, struct aw_asrs *a, const struct aw_feat_pkt *p,
		 const struct aw_sess_key *k)
{
	const uint8_t *l4 = pkt_ip(p) + p->l3_hl;

	if (!(p->addr_flags & (AW_ADDR_VIP | AW_FEAT_SVC_PREFIX)))
		return false;
	const uint8_t fl = p->proto == IPPROTO_TCP && p->l3_len - p->l3_hl >= 14 ? l4[13] : 0;
	const uint8_t hs = fl & (TCP_FIN | TCP_SYN | TCP_RST | TCP_ACK);
	if (hs == TCP_SYN && sp_listener(a, p))
		return false;
	bool creating = p->proto == IPPROTO_UDP || (fl & (TCP_SYN | TCP_ACK)) == TCP_SYN;
	/* the session key of a client packet is the cluster's ASRS key (the
	 * _Static_asserts of pkt_key: same 40-byte layout) */
	uint64_t h = aw_cluster_key40_hash(k);
	if (hs == TCP_ACK && aw_cluster_creates_here(c, p->m, h) && sp_listener(a, p))
		creating = aw_sp_cookie_ack(c, a, p);
	return aw_cluster_miss(c, p->m, h, creating);
}

static __rte_noinline void
new_session(struct aw_lcore_ctx *c, struct aw_asrs *a, struct aw_feat_pkt *p, struct key_h pk)
{
	struct ident id = {.opt_off = -1};

	/* Made earlier in this burst, after the bulk lookup? */
	if (created_maybe(aw_asrs_lc(c), pk.h)) {
		uint32_t found = aw_stab_find(a, pk.k, pk.h);
		if (found != AW_STAB_MISS)
			return p->v6 ? hit(c, a, aw_asrs_lc(c), p, found, 1) : hit(c, a, aw_asrs_lc(c), p, found, 0);
	}
	if (unlikely(c->dp->feat[AW_FEAT_CLUSTER] != NULL) && cluster_redirect(c, a, p, pk.k))
		return;
	int r = identify(c, a, p, &id);

	if (r < 0)
		return;
	if (r == 0) {
		if (p->addr_flags & (AW_ADDR_VIP | AW_FEAT_SVC_PREFIX) || id.asrs_port)
			return aw_asrs_refuse(c, p, AW_DROP_NO_SERVICE);
		return aw_set_drop(p->m, AW_DROP_LOCAL_UNHANDLED);
	}
	const struct aw_svc *svc = aw_memo_svc(aw_asrs_lc(c), a, id.sid);
	if (svc == NULL)
		return aw_asrs_refuse(c, p, AW_DROP_NO_SERVICE);
	if (svc->n_pref == 0)
		return aw_asrs_refuse(c, p, AW_DROP_NO_DESTINATION);
	const uint8_t *ip = pkt_ip(p);
	struct aw_addr client;
	uint16_t cport;
	if (p->v6)
		aw_addr_set6(&client, ip + 8);
	else
		aw_addr_set4(&client, ip + 12);
	memcpy(&cport, ip + p->l3_hl, 2);
	uint64_t h = aw_maglev_flow_hash(&client, rte_be_to_cpu_16(cport), p->proto);
	const struct aw_asrs_dest *d = &svc->dests[aw_maglev_pick(svc->table, svc->table_size, h)];
	if (d->addr.family != client.family)
		return aw_set_drop(p->m, AW_DROP_CROSS_FAMILY);
	if (!aw_fwd_ttl_ok(c, p->m, p->v6)) /* no session for a packet that dies here */
		return;
	struct aw_sp_init spi;
	if (id.sp && !aw_sp_new(c, a, p, &spi)) /* no session for a SYN (cookie answered) */
		return;
	if (!aw_sp_new_flow_ok(a, aw_asrs_lc(c)))
		return aw_set_drop(p->m, AW_DROP_NEW_FLOW_LIMITED);
	uintptr_t data;
	bool existed;
	if (create(c, a, p, pk, svc, d, h, id.strip != 0, id.sp ? &spi : NULL, &data, &existed) ==
	    UINT32_MAX)
		return;
	if (existed) /* another lcore created it meanwhile: an ordinary hit */
		return p->v6 ? hit(c, a, aw_asrs_lc(c), p, data, 1) : hit(c, a, aw_asrs_lc(c), p, data, 0);
	aw_svcstats_pkt(a, aw_asrs_lc(c), (uint32_t)(data >> 1), 0, p->l3_len);
	struct aw_sess *s = &a->sess[data >> 1];
	const uint32_t nh = __atomic_load_n(&s->nh[0], __ATOMIC_RELAXED); /* aw_dnh_get's, or 0 */
	if (p->v6)
		forward(c, a, p, s, id.strip, id.opt_off, 1);
	else
		forward(c, a, p, s, id.strip, id.opt_off, 0);
	const uint32_t got = __atomic_load_n(&s->nh[0], __ATOMIC_RELAXED);
	if (got != nh) /* else the cache has it already */
		aw_dnh_put(aw_asrs_lc(c), s->dest, (uint8_t)p->v6, got);
}

static __rte_always_inline void
one(struct aw_lcore_ctx *c, struct aw_asrs *a, struct aw_feat_pkt *p, uint32_t d, struct key_h pk)
{
	if (d == AW_STAB_MISS)
		return new_session(c, a, p, pk);
	if (p->v6)
		hit(c, a, aw_asrs_lc(c), p, d, 1);
	else
		hit(c, a, aw_asrs_lc(c), p, d, 0);
}

/* Up to BULK packets: one bulk lookup, then each packet in arrival order
 * (ICMP errors too, so that one quoting a session made earlier in the burst
 * finds it). */
static void
burst_chunk(struct aw_lcore_ctx *c, struct aw_asrs *a, struct aw_feat_pkt *pk, unsigned n)
{
	struct aw_sess_key keys[BULK];
	uint32_t ref[BULK], h[BULK];
	uint64_t other = 0; /* bit i: pk[i] is an ICMP error */
	unsigned nk = 0;

	_Static_assert(BULK <= 64, "one bit per packet of a chunk");
	for (unsigned i = 0; i < n; i++) {
		if (!is_l4(pk[i].proto)) {
			other |= 1ull << i;
			continue;
		}
		h[nk] = pkt_key(&pk[i], &keys[nk]);
		aw_stab_prefetch(a, h[nk]);
		nk++;
	}
	if (nk != 0)
		aw_stab_find_bulk_h(a, keys, h, nk, ref);
	for (unsigned i = 0, j = 0; i < n; i++) {
		if (unlikely(other >> i & 1)) { /* an ICMP error (the core's contract) */
			aw_asrs_icmp_error(c, a, &pk[i]);
			continue;
		}
		one(c, a, &pk[i], ref[j], (struct key_h){&keys[j], h[j]});
		j++;
	}
}

void
aw_asrs_burst(struct aw_lcore_ctx *c, struct aw_feat_batch *b)
{
	struct aw_asrs *a = aw_asrs_of(c->dp);

	/* aw_asrs_lc(c)->now: the loop's time, set by the last aw_asrs_tick (at
	 * the end of every loop iteration, busy or idle: one loop old at most,
	 * well within its 1/16 s unit) */
	memset(aw_asrs_lc(c)->created, 0, sizeof(aw_asrs_lc(c)->created));
	aw_memo_reset(aw_asrs_lc(c));
	for (unsigned i = 0; i < b->n; i += BULK)
		burst_chunk(c, a, &b->p[i], RTE_MIN((unsigned)BULK, b->n - i));
}
