/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The relay's data path (SPEC §5.3): aw_relay_burst, called by the lcore that
 * owns `c` with the UDP packets to the relay port (aw_feature.h guarantees).
 *
 * Per chunk of 64 packets: strict header checks, one bulk PathID lookup (the
 * records prefetched a few packets ahead of their use), then CAPSULEs are
 * forwarded at once (source must be a bound side; both bindings read once) and
 * signalling messages are pre-checked (direction, replay window snapshot, the
 * lcore's verification budget) and verified together with aw_trs_tverify_burst
 * on the paths' tag keys (intel-ipsec-mb runs the HMAC-MD5 jobs of suite 1 in
 * SIMD lanes; suite 2 keys come from the engine's expanded-key cache). Only a
 * verified message touches the path: replay window, binding, ACK seq.
 * Forwarded packets and ACKs to a binding leave through its cached next hop
 * (aw_relay_nh.h). With an anycast cluster, every message goes to its PathID's
 * owner (aw_cluster_miss / aw_cluster_force) unless this instance is it. Every
 * packet leaves with a verdict: tx (forwarded / ACK) or a named drop.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_prefetch.h>

#include "aw_cluster.h"
#include "aw_cksum.h"
#include "aw_fwd.h"
#include "aw_relay.h"
#include "aw_relay_nh.h"
#include "aw_relay_priv.h"
#include "aw_be.h"

#define CHUNK      64
#define L3_OFF     RTE_ETHER_HDR_LEN
#define UDP_HL     8
#define OUT_TTL    64
#define ACK_FLAG_RELAY 0x80 /* ACKs from the relay: R bit of the answered message | 0x80 */

struct rmsg {
	struct rte_mbuf *m;
	uint8_t *msg;               /* TRS message (UDP payload) */
	struct aw_relay_path *path;
	uint16_t len;               /* message length = UDP payload length */
	uint8_t v6;
	uint8_t side;               /* R flag of the sender */
	uint8_t src[16];            /* packet source address and port */
	uint16_t sport_be;
	uint8_t dst[16];            /* the relay address it was sent to */
	uint16_t ulen_be;           /* as received */
	uint16_t ucsum;             /* as received */
	struct aw_relay_bind back;  /* verified message: its side's binding when that is the
				     * source (bound = 1), read at back_seq, for the ACK */
	uint32_t back_seq;
};

static inline void
drop_path(struct rmsg *rm, enum aw_drop_reason why)
{
	aw_relay_count_drop(&rm->path->drops);
	aw_set_drop(rm->m, why);
}

static inline void
touch(const struct aw_relay_lcore *rl, struct aw_relay_path *p)
{
	if (__atomic_load_n(&p->last_seen_s, __ATOMIC_RELAXED) != rl->now_s)
		__atomic_store_n(&p->last_seen_s, rl->now_s, __ATOMIC_RELAXED);
}

/* Header checks of SPEC §5.1 (same order as aw_trs_parse); fills rm. */
static inline bool
parse_one(const struct aw_feat_pkt *fp, struct rmsg *rm)
{
	struct rte_mbuf *m = fp->m;
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, L3_OFF);
	uint8_t *udp = ip + fp->l3_hl;
	uint32_t plen = (uint32_t)fp->l3_len - fp->l3_hl;

	if (unlikely(aw_be16_get(udp + 4) != plen))
		return aw_set_drop(m, AW_DROP_RELAY_UDP_LENGTH), false;
	rm->m = m;
	rm->msg = udp + UDP_HL;
	rm->len = (uint16_t)(plen - UDP_HL);
	if (unlikely(rm->len < AW_TRS_MIN_LEN))
		return aw_set_drop(m, AW_DROP_RELAY_TRUNCATED), false;
	if (unlikely(rm->msg[AW_TRS_OFF_VERSION] != AW_TRS_VERSION))
		return aw_set_drop(m, AW_DROP_RELAY_BAD_VERSION), false;
	if (unlikely(aw_be16_get(rm->msg + AW_TRS_OFF_MSG_LEN) != rm->len))
		return aw_set_drop(m, AW_DROP_RELAY_MSG_LEN), false;
	uint8_t type = rm->msg[AW_TRS_OFF_TYPE];
	if (type != AW_TRS_T_CAPSULE && type != AW_TRS_T_HOLE_PUNCHING &&
	    type != AW_TRS_T_KEEP_ALIVE && type != AW_TRS_T_TUNNEL_REQUEST &&
	    type != AW_TRS_T_TUNNEL_RESPONSE)
		return aw_set_drop(m, aw_trs_type_known(type) ? AW_DROP_RELAY_UNHANDLED_TYPE
							       : AW_DROP_RELAY_UNKNOWN_TYPE),
		       false;
	rm->v6 = fp->v6;
	rm->side = rm->msg[AW_TRS_OFF_FLAG] & AW_TRS_FLAG_R;
	if (fp->v6) { /* constant sizes: plain moves, no variable-length copy */
		memcpy(rm->src, ip + 8, 16);
		memcpy(rm->dst, ip + 24, 16);
	} else {
		memset(rm->src, 0, sizeof(rm->src));
		memcpy(rm->src, ip + 12, 4);
		memcpy(rm->dst, ip + 16, 4);
	}
	memcpy(&rm->sport_be, udp, 2);
	memcpy(&rm->ulen_be, udp + 4, 2);
	memcpy(&rm->ucsum, udp + 6, 2);
	return true;
}

static inline bool
bind_is(const struct aw_relay_bind *b, const struct rmsg *rm)
{
	uint64_t x[2], y[2];

	memcpy(x, b->addr, 16);
	memcpy(y, rm->src, 16);
	return b->bound && b->v6 == rm->v6 && b->port_be == rm->sport_be &&
	       ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

static __rte_always_inline uint64_t
addr_sum(uint64_t sum, const uint8_t *a, const int v6)
{
	return v6 ? aw_csum32_add(sum, a, 4) : aw_csum32_add(sum, a, 1);
}

/* One's-complement sum (aw_cksum.h, not folded) of the pseudo header and
 * UDP header minus checksum. */
static __rte_always_inline uint64_t
l4_sum(const uint8_t *src, const uint8_t *dst, const int v6, uint16_t sport_be,
       uint16_t dport_be, uint16_t ulen_be)
{
	return addr_sum(addr_sum(0, src, v6), dst, v6) + rte_cpu_to_be_16(IPPROTO_UDP) +
	       2u * ulen_be + sport_be + dport_be;
}

/*
 * Writes fresh Ethernet type / IP / UDP headers in front of the message (the
 * message bytes stay where they are; the mbuf grows or shrinks at the front)
 * and returns the UDP header, or NULL when the headroom is too small.
 */
static inline uint8_t *
put_headers(struct rte_mbuf *m, uint8_t *msg, uint16_t len, const int v6, const uint8_t *src,
	    const uint8_t *dst, uint16_t sport_be, uint16_t dport_be)
{
	const unsigned ih = v6 ? 40 : 20;
	uint8_t *start = rte_pktmbuf_mtod(m, uint8_t *);
	long delta = (long)(L3_OFF + ih + UDP_HL) - (msg - start);
	uint16_t ulen = (uint16_t)(len + UDP_HL);

	if (delta > 0 && rte_pktmbuf_prepend(m, (uint16_t)delta) == NULL)
		return NULL;
	if (delta < 0)
		rte_pktmbuf_adj(m, (uint16_t)-delta);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint8_t *ip = (uint8_t *)(eth + 1);
	eth->ether_type = rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	if (v6) {
		uint32_t vtc = rte_cpu_to_be_32(6u << 28);
		uint16_t pl = rte_cpu_to_be_16(ulen);
		memcpy(ip, &vtc, 4);
		memcpy(ip + 4, &pl, 2);
		ip[6] = IPPROTO_UDP;
		ip[7] = OUT_TTL;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
	} else {
		uint16_t tl = rte_cpu_to_be_16((uint16_t)(ulen + 20)), df = RTE_BE16(0x4000), z = 0;
		ip[0] = 0x45;
		ip[1] = 0;
		memcpy(ip + 2, &tl, 2);
		memcpy(ip + 4, &z, 2);
		memcpy(ip + 6, &df, 2);
		ip[8] = OUT_TTL;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 10, &z, 2);
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		/* The words written above: the constant ones summed at compile
		 * time (identification and checksum are 0), then length and
		 * addresses. */
		const uint64_t fixed = RTE_BE16(0x4500) + RTE_BE16(0x4000) +
				       RTE_BE16((OUT_TTL << 8) | IPPROTO_UDP);
		uint64_t sum = aw_csum32_add(aw_csum32_add(fixed + tl, src, 1), dst, 1);
		uint16_t ck = (uint16_t)~aw_csum_fold64(sum);
		memcpy(ip + 10, &ck, 2);
	}
	uint8_t *udp = ip + ih;
	uint16_t ulen_be = rte_cpu_to_be_16(ulen);
	memcpy(udp, &sport_be, 2);
	memcpy(udp + 2, &dport_be, 2);
	memcpy(udp + 4, &ulen_be, 2);
	return udp;
}

/* A computed UDP checksum of 0 is sent as 0xffff (RFC 768, RFC 8200). */
static inline void
set_udp_csum(uint8_t *udp, uint64_t sum)
{
	uint16_t ck = (uint16_t)~aw_csum_fold64(sum);
	if (ck == 0)
		ck = 0xffff;
	memcpy(udp + 6, &ck, 2);
}

/*
 * Forwards the message unchanged to `to` with fresh outer headers (source:
 * the relay's address of to's family, the relay port). The UDP checksum is
 * updated incrementally from the received one (payload unchanged), or
 * computed when the sender sent none (IPv4 checksum 0) and IPv6 needs one.
 */
static void
forward(struct aw_lcore_ctx *c, const struct aw_relay *r, struct rmsg *rm,
	struct aw_relay_side *side, const struct aw_relay_bind *to, uint32_t seq)
{
	const int v6 = to->v6;

	if (unlikely(!r->has_addr[v6]))
		return drop_path(rm, AW_DROP_RELAY_NO_FAMILY);
	uint8_t *udp = put_headers(rm->m, rm->msg, rm->len, v6, r->addr[v6].b, to->addr,
				   r->port_be, to->port_be);
	if (unlikely(udp == NULL))
		return drop_path(rm, AW_DROP_RELAY_NO_HEADROOM);
	if (rm->ucsum != 0) {
		/* Protocol, UDP length and the relay port are in the old and the
		 * new sum alike (the port as destination, then as source): only
		 * the addresses and the peer's port change. */
		uint64_t old = addr_sum(addr_sum(rm->sport_be, rm->src, rm->v6), rm->dst, rm->v6);
		uint64_t neu = addr_sum(addr_sum(to->port_be, r->addr[v6].b, v6), to->addr, v6);
		uint64_t s = (uint16_t)~rm->ucsum;
		s += (uint16_t)~aw_csum_fold64(old);
		set_udp_csum(udp, s + neu);
	} else if (v6) {
		uint64_t neu = l4_sum(r->addr[v6].b, to->addr, v6, r->port_be, to->port_be,
				      rm->ulen_be);
		set_udp_csum(udp, neu + aw_csum_partial(rm->msg, rm->len, 0));
	} else {
		memset(udp + 6, 0, 2);
	}
	aw_relay_count(&rm->path->pkts[rm->side], 1);
	aw_relay_count(&rm->path->bytes[rm->side], rm->len);
	c->stats.info[AW_INFO_RELAY_FORWARDED]++;
	if (v6 != rm->v6)
		c->stats.info[AW_INFO_RELAY_FAMILY_CHANGED]++;
	aw_relay_nh_send(c, rm->m, side, to, seq);
}

static inline bool
rate_ok(struct aw_relay_rate *x, uint16_t len)
{
	uint64_t now = rte_rdtsc();

	if (x->pkts && rte_meter_srtcm_color_blind_check(&x->m_pkts, &x->p_pkts, now, 1) ==
			       RTE_COLOR_RED)
		return false;
	return !x->bytes || rte_meter_srtcm_color_blind_check(&x->m_bytes, &x->p_bytes, now, len) !=
				    RTE_COLOR_RED;
}

/* Forwards to bound side `to_side` whose binding was read at seq (rate
 * limit first). */
static inline void
forward_bound(struct aw_lcore_ctx *c, struct rmsg *rm, unsigned to_side,
	      const struct aw_relay_bind *to, uint32_t seq)
{
	struct aw_relay_path *p = rm->path;

	if (!to->bound)
		return drop_path(rm, AW_DROP_RELAY_PEER_UNBOUND);
	if (p->rate != 0 && !rate_ok(aw_relay_table_rate(aw_relay_of(c->dp)->t, p), rm->len))
		return drop_path(rm, AW_DROP_RELAY_RATE_LIMITED);
	forward(c, aw_relay_of(c->dp), rm, &p->side[to_side], to, seq);
}

/* Forwards to side `to_side` when it is bound. */
static void
forward_to_side(struct aw_lcore_ctx *c, struct rmsg *rm, unsigned to_side)
{
	struct aw_relay_bind to;
	uint32_t seq;

	if (unlikely(!aw_relay_bind_read(&rm->path->side[to_side], &to, &seq)))
		return drop_path(rm, AW_DROP_RELAY_BIND_BUSY);
	forward_bound(c, rm, to_side, &to, seq);
}

/* Both bindings read once: the source must be one, the other is the peer. */
static void
capsule(struct aw_lcore_ctx *c, struct rmsg *rm)
{
	struct aw_relay_path *p = rm->path;
	struct aw_relay_bind b[2];
	uint32_t seq[2];
	unsigned from;

	if (unlikely(!aw_relay_bind_read(&p->side[0], &b[0], &seq[0]) ||
		     !aw_relay_bind_read(&p->side[1], &b[1], &seq[1])))
		return drop_path(rm, AW_DROP_RELAY_BIND_BUSY);
	if (bind_is(&b[0], rm))
		from = 0;
	else if (bind_is(&b[1], rm))
		from = 1;
	else
		return drop_path(rm, AW_DROP_RELAY_UNBOUND_SOURCE);
	rm->side = (uint8_t)from; /* counters go by the bound side, not the flag */
	touch(aw_relay_lc(c), p);
	forward_bound(c, rm, from ^ 1, &b[from ^ 1], seq[from ^ 1]);
}

/* ACK for a verified HOLE_PUNCHING / KEEP_ALIVE, in the same mbuf: the
 * header is rewritten here, the tag comes from the chunk's sign burst, then
 * ack_send puts the outer headers on. */
static void
ack_prepare(struct rmsg *rm)
{
	uint8_t *msg = rm->msg;
	uint32_t seq = __atomic_add_fetch(&rm->path->ack_seq, 1, __ATOMIC_RELAXED);
	uint32_t seq_be = rte_cpu_to_be_32(seq);

	msg[AW_TRS_OFF_FLAG] = (uint8_t)(ACK_FLAG_RELAY | rm->side);
	msg[AW_TRS_OFF_TYPE] = AW_TRS_T_ACK;
	msg[AW_TRS_OFF_COUNT] = 0;
	memcpy(msg + AW_TRS_OFF_SEQ, &seq_be, 4);
	msg[AW_TRS_OFF_NEXT_OPT] = 0;
	msg[AW_TRS_OFF_RESERVED] = 0;
}

/* From the address the message was sent to, back to its source. */
static void
ack_send(struct aw_lcore_ctx *c, struct rmsg *rm)
{
	struct aw_relay_path *p = rm->path;
	const uint16_t port_be = aw_relay_of(c->dp)->port_be;
	uint8_t src[16], dst[16];

	memcpy(src, rm->dst, 16);
	memcpy(dst, rm->src, 16);
	rte_pktmbuf_trim(rm->m, (uint16_t)(rm->len - AW_TRS_MIN_LEN));
	uint8_t *udp = put_headers(rm->m, rm->msg, AW_TRS_MIN_LEN, rm->v6, src, dst, port_be,
				   rm->sport_be);
	if (unlikely(udp == NULL))
		return drop_path(rm, AW_DROP_RELAY_NO_HEADROOM);
	uint16_t ulen_be = rte_cpu_to_be_16(AW_TRS_MIN_LEN + UDP_HL);
	uint64_t s = l4_sum(src, dst, rm->v6, port_be, rm->sport_be, ulen_be);
	set_udp_csum(udp, aw_csum32_add(s, rm->msg, AW_TRS_MIN_LEN / 4));
	aw_relay_count(&p->pkts[rm->side], 1);
	aw_relay_count(&p->bytes[rm->side], rm->len);
	c->stats.info[AW_INFO_RELAY_ACKS]++;
	if (rm->back.bound) /* back to the side's binding: its next hop */
		aw_relay_nh_send(c, rm->m, &p->side[rm->side], &rm->back, rm->back_seq);
	else
		aw_fwd_packet(c, rm->m, rm->v6, true);
}

/* Before verification: direction, replay snapshot, budget. k: the path's
 * cold part. */
static bool
precheck(struct rmsg *rm, const struct aw_relay_cold *k, unsigned *budget)
{
	uint8_t type = rm->msg[AW_TRS_OFF_TYPE];
	const struct aw_relay_side *s = &rm->path->side[rm->side];

	if ((type == AW_TRS_T_TUNNEL_REQUEST && rm->side != AW_RELAY_SIDE_I) ||
	    (type == AW_TRS_T_TUNNEL_RESPONSE && rm->side != AW_RELAY_SIDE_R))
		return drop_path(rm, AW_DROP_RELAY_WRONG_DIRECTION), false;
	/* Snapshot of the window under the side's seqlock; when a writer is
	 * busy, skip the cheap check: the locked update after verify decides. */
	uint32_t v1 = __atomic_load_n(&s->wseq, __ATOMIC_ACQUIRE);
	struct aw_replay w = k->win[rm->side];
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (!(v1 & 1) && __atomic_load_n(&s->wseq, __ATOMIC_RELAXED) == v1 &&
	    aw_replay_check(&w, aw_be32_get(rm->msg + AW_TRS_OFF_SEQ)) != 0)
		return drop_path(rm, AW_DROP_RELAY_REPLAY), false;
	if (*budget == 0)
		return drop_path(rm, AW_DROP_RELAY_VERIFY_BUDGET), false;
	(*budget)--;
	return true;
}

/* After the tag verified: window update and binding under the side's lock.
 * Returns true when the message is to be answered with an ACK. */
static bool
accept_signal(struct aw_lcore_ctx *c, struct rmsg *rm)
{
	struct aw_relay_side *s = &rm->path->side[rm->side];
	struct aw_replay *win = &aw_relay_path_cold(aw_relay_of(c->dp)->t, rm->path)->win[rm->side];
	uint32_t seq = aw_be32_get(rm->msg + AW_TRS_OFF_SEQ);
	int rc;

	aw_relay_side_lock(s);
	rc = aw_replay_update(win, seq);
	bool from_bind = rc == 0 && bind_is(&s->bind, rm); /* compared once */
	if (rc == 0 && win->top == seq && !from_bind) {
		c->stats.info[s->bind.bound ? AW_INFO_RELAY_REBINDS : AW_INFO_RELAY_BINDS]++;
		memcpy(s->bind.addr, rm->src, 16);
		s->bind.port_be = rm->sport_be;
		s->bind.v6 = rm->v6;
		s->bind.bound = 1;
		s->bind.nh = 0; /* the next hop of the old address does not apply */
		from_bind = true;
	}
	rm->back.bound = 0;
	if (from_bind) {
		rm->back = s->bind;
		rm->back_seq = s->wseq + 1; /* the version the unlock publishes */
	}
	aw_relay_side_unlock(s);
	if (rc != 0)
		return drop_path(rm, AW_DROP_RELAY_REPLAY), false;
	c->stats.info[AW_INFO_RELAY_VERIFIED]++;
	touch(aw_relay_lc(c), rm->path);
	switch (rm->msg[AW_TRS_OFF_TYPE]) {
	case AW_TRS_T_TUNNEL_REQUEST:
		return forward_to_side(c, rm, AW_RELAY_SIDE_R), false;
	case AW_TRS_T_TUNNEL_RESPONSE:
		return forward_to_side(c, rm, AW_RELAY_SIDE_I), false;
	default:
		ack_prepare(rm);
		return true;
	}
}

/* Tags of the chunk's ACKs in one burst, then out they go. */
static void
send_acks(struct aw_lcore_ctx *c, struct rmsg *ms, const unsigned *acks, unsigned na)
{
	const struct aw_relay_table *t = aw_relay_of(c->dp)->t;
	struct aw_trs_treq sr[CHUNK];
	int res[CHUNK];

	for (unsigned a = 0; a < na; a++) {
		const struct aw_relay_path *p = ms[acks[a]].path;
		sr[a] = (struct aw_trs_treq){aw_relay_path_cold(t, p)->tkey, ms[acks[a]].msg, 0,
					     p->suite};
	}
	aw_trs_tsign_burst(aw_relay_lc(c)->eng, sr, na, res);
	for (unsigned a = 0; a < na; a++) {
		if (unlikely(res[a] != 0)) /* not expected: valid key, 48 bytes */
			drop_path(&ms[acks[a]], AW_DROP_RELAY_BAD_TAG);
		else
			ack_send(c, &ms[acks[a]]);
	}
}

/* The record lines a CAPSULE touches: the hot part's two (aw_relay_table.h;
 * the lookup prefetched the first already, for the PathID compare). */
static __rte_always_inline void
prefetch_record(const struct aw_relay_path *p)
{
	rte_prefetch0(p);
	rte_prefetch0(&p->side[0]);
}

/* Records prefetched this far ahead of the packet being forwarded (the
 * records of the first REC_AHEAD before the chunk's classification, which
 * touches no record for a CAPSULE): 16 packets' work covers a memory access
 * at a million paths (4 and 8 were measured slower: bench/RESULTS.md, eighth
 * round), and 2 x 16 lines in flight stay within what the core can track (a
 * whole chunk's 2 x 64 at once would not). */
#define REC_AHEAD 16

/*
 * Verification of every signalling message of the chunk in one burst first
 * (it needs no path state), then every packet in arrival order: a CAPSULE
 * sees the bindings of the messages before it, not of those after it.
 */
static void
relay_chunk(struct aw_lcore_ctx *c, struct aw_feat_pkt *fp, unsigned n, unsigned *budget)
{
	const struct aw_relay *r = aw_relay_of(c->dp);
	const bool cluster = c->dp->feat[AW_FEAT_CLUSTER] != NULL; /* read once per chunk */
	struct rmsg ms[CHUNK];
	const void *ids[CHUNK]; /* the PathIDs where they are (read with memcpy) */
	struct aw_relay_path *paths[CHUNK];
	struct aw_trs_treq vr[CHUNK];
	int res[CHUNK];
	int8_t todo[CHUNK]; /* -1: verdict set; 0: capsule; 1: verify result in res */
	unsigned vslot[CHUNK], acks[CHUNK];
	unsigned k = 0, nv = 0, na = 0;

	for (unsigned i = 0; i < n; i++)
		if (parse_one(&fp[i], &ms[k])) {
			ids[k] = ms[k].msg + AW_TRS_OFF_ID;
			k++;
		}
	aw_relay_table_lookup_bulk(r->t, ids, k, paths);
	for (unsigned j = 0; j < k && j < REC_AHEAD; j++)
		if (paths[j] != NULL)
			prefetch_record(paths[j]);
	for (unsigned j = 0; j < k; j++) {
		struct rmsg *rm = &ms[j];
		rm->path = paths[j];
		todo[j] = -1;
		if (rm->path == NULL) {
			/* anycast cluster (SPEC §8): to the PathID's owner */
			if (unlikely(cluster) &&
			    aw_cluster_miss(c, rm->m, aw_cluster_path_hash(ids[j]), false))
				continue;
			aw_set_drop(rm->m, AW_DROP_RELAY_UNKNOWN_PATH);
		} else if (unlikely(cluster) &&
			   aw_cluster_force(c, rm->m, aw_cluster_path_hash(ids[j]))) {
			/* known here, but both sides must meet at the owner */
		} else if (rm->msg[AW_TRS_OFF_TYPE] == AW_TRS_T_CAPSULE) {
			todo[j] = 0;
		} else {
			const struct aw_relay_cold *cold = aw_relay_path_cold(r->t, rm->path);
			if (precheck(rm, cold, budget)) {
				vr[nv] = (struct aw_trs_treq){cold->tkey, rm->msg, rm->len,
							      rm->path->suite};
				vslot[j] = nv++;
				todo[j] = 1;
			}
		}
	}
	if (nv != 0)
		aw_trs_tverify_burst(aw_relay_lc(c)->eng, vr, nv, res);
	for (unsigned j = 0; j < k; j++) {
		if (j + REC_AHEAD < k && paths[j + REC_AHEAD] != NULL)
			prefetch_record(paths[j + REC_AHEAD]);
		if (todo[j] == 0)
			capsule(c, &ms[j]);
		else if (todo[j] == 1 && res[vslot[j]] != 0)
			drop_path(&ms[j], AW_DROP_RELAY_BAD_TAG);
		else if (todo[j] == 1 && accept_signal(c, &ms[j]))
			acks[na++] = j;
	}
	if (na != 0)
		send_acks(c, ms, acks, na);
}

void
aw_relay_burst(struct aw_lcore_ctx *c, struct aw_feat_batch *b)
{
	unsigned budget = aw_relay_of(c->dp)->conf->verify_burst;

	if (unlikely(!aw_relay_lc(c)->ticked)) /* the lcore's first loop: its tick comes later */
		aw_relay_tick(c, rte_rdtsc());
	for (unsigned off = 0; off < b->n; off += CHUNK)
		relay_chunk(c, &b->p[off], b->n - off < CHUNK ? b->n - off : CHUNK, &budget);
}
