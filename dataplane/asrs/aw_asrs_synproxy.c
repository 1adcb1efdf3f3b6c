/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ASRS SYN proxy (as DPVS's synproxy) for TCP listeners with "synproxy"
 * (or asrs.synproxy.default), so that a SYN flood creates no session:
 *
 *  1. client SYN, no session: answered in place with a SYN-ACK whose ISN is a
 *     SYN cookie (lib/asrs/aw_syncookie.h: keyed SipHash, key rotated every
 *     cookie_period_s, two generations accepted; the client's MSS encoded)
 *     and one option, our MSS. No window scale, SACK or timestamps are
 *     offered, so the connection uses none of them end to end. Nothing is
 *     stored.
 *  2. client ACK, no session: ack - 1 must be a valid cookie for the flow and
 *     seq - 1 (else dropped: synproxy_bad_cookie / synproxy_stale_cookie).
 *     The session is created (SNAT port, destination as usual) and the ACK is
 *     rewritten into the SYN the client sent (its ISN, its window, MSS from
 *     the cookie), forwarded to the destination. Data on that ACK is
 *     dropped: the client retransmits it (it is never acknowledged).
 *  3. destination SYN-ACK acking the client's ISN + 1: rewritten into the
 *     ACK of the handshake and sent back to the destination; from then on
 *     the destination's sequence numbers are shifted by cookie - its ISN
 *     toward the client, and the client's acknowledgements back, for the
 *     session's life. A RST from the destination instead reaches the client
 *     (connection refused) and ends the wait, the session closing; anything
 *     else is dropped (synproxy_bad_synack). While the session waits, the
 *     client's ISN is kept in the client-side next-hop cache word
 *     (aw_asrs_priv.h), which ending the wait empties.
 *     Client packets that arrive meanwhile are each turned into the SYN again
 *     (a lost SYN is retransmitted when the client retransmits).
 *  4. a client SYN on the ports of a closing proxied session ends that
 *     session and is answered with a cookie (a new connection).
 * Other segments without session to such a listener: synproxy_no_session.
 *
 * Cluster (doc/cluster.md): the MSS offered leaves room for the capsule of
 * a redirect. Secret: asrs.synproxy.secret; without it, derived from
 * cluster.key when a cluster is configured (SipHash-2-4 of two fixed 24-byte labels under the
 * folded key: every member derives the same, doc/cluster.md), else random.
 *
 * The new-flow budget (asrs.new_flow_limit, aw_sp_new_flow_ok) is here too:
 * a token bucket per lcore on the packets that would start a flow.
 *
 * Contract: see aw_asrs_synproxy.h.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "aw_asrs_synproxy.h"
#include "aw_clhdr.h"
#include "aw_cluster.h"
#include "aw_cksum.h"
#include "aw_fwd.h"
#include "aw_be.h"

#define L3      RTE_ETHER_HDR_LEN
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

int
aw_sp_init(struct aw_asrs *a, char *err, size_t errlen)
{
	const struct aw_asrs_conf *ac = a->conf;
	const struct aw_cluster_conf *cc = a->dp->cfg->feat_conf[AW_FEAT_CLUSTER];

	a->start_unix = (uint64_t)time(NULL);
	if (cc != NULL) /* the client's segments may reach the owner in a capsule */
		a->min_mtu = (uint16_t)(a->min_mtu - (cc->underlay.family == AW_AF_INET6 ? 72 : 52));
	if (ac->has_synproxy_secret) {
		memcpy(a->sp_master, ac->synproxy_secret, 16);
		return 0;
	}
	if (cc != NULL) { /* shared by the members: each accepts the others' cookies */
		static const char label[2][24] = {"anyway synproxy secret 0", "anyway synproxy secret 1"};
		uint64_t k[2], w[2];
		aw_clh_key(cc->key, k);
		w[0] = rte_cpu_to_le_64(aw_siphash24(k, label[0], sizeof(label[0])));
		w[1] = rte_cpu_to_le_64(aw_siphash24(k, label[1], sizeof(label[1])));
		memcpy(a->sp_master, w, 16);
		return 0;
	}
	if (getrandom(a->sp_master, 16, 0) != 16) {
		snprintf(err, errlen, "asrs: cannot draw the SYN cookie secret (getrandom)");
		return -1;
	}
	return 0;
}

void
aw_sp_lcore_init(struct aw_asrs *a, struct aw_asrs_lcore *l)
{
	aw_syncookie_init(&l->sc, a->sp_master, a->conf->synproxy_period_s);
	l->nf_tokens = a->conf->new_flow_burst;
	l->nf_last = 0;
}

/* The MSS option of a SYN (RFC 9293 default 536 when absent). */
static uint16_t
client_mss(const uint8_t *tcp, size_t len)
{
	size_t doff = (size_t)(tcp[12] >> 4) * 4;

	if (doff > len)
		doff = len;
	for (size_t i = 20; i < doff;) {
		if (tcp[i] == 0)
			break;
		if (tcp[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= doff || tcp[i + 1] < 2 || i + tcp[i + 1] > doff)
			break;
		if (tcp[i] == 2 && tcp[i + 1] == 4)
			return (uint16_t)(tcp[i + 2] << 8 | tcp[i + 3]);
		i += tcp[i + 1];
	}
	return 536;
}

/* Replaces the packet by a bare TCP segment (IP header without options, an
 * MSS option when mss != 0, no payload) between the same endpoints, or the
 * reverse ones when swap; every checksum computed. false: dropped. */
static bool
tcp_build(struct aw_feat_pkt *p, bool swap, uint8_t ttl, uint32_t seq, uint32_t ack, uint8_t fl,
	  uint16_t win, uint16_t mss)
{
	struct rte_mbuf *m = p->m;
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, L3);
	const int v6 = p->v6;
	const unsigned alen = v6 ? 16 : 4, ihl = v6 ? 40 : 20, thl = mss ? 24 : 20;
	uint8_t a1[16], a2[16], tcp[24] = {0};
	uint32_t need = L3 + ihl + thl;

	if (m->nb_segs != 1 || (rte_pktmbuf_data_len(m) < need &&
				rte_pktmbuf_append(m, (uint16_t)(need - rte_pktmbuf_data_len(m))) == NULL)) {
		aw_set_drop(m, AW_DROP_SYNPROXY_UNHANDLED);
		return false;
	}
	memcpy(a1, v6 ? ip + 8 : ip + 12, alen);
	memcpy(a2, v6 ? ip + 24 : ip + 16, alen);
	memcpy(tcp, ip + p->l3_hl + (swap ? 2 : 0), 2);
	memcpy(tcp + 2, ip + p->l3_hl + (swap ? 0 : 2), 2);
	aw_be32_put(tcp + 4, seq);
	aw_be32_put(tcp + 8, ack);
	tcp[12] = (uint8_t)(thl / 4) << 4;
	tcp[13] = fl;
	aw_be16_put(tcp + 14, win);
	if (mss) {
		tcp[20] = 2;
		tcp[21] = 4;
		aw_be16_put(tcp + 22, mss);
	}
	memset(ip, 0, ihl);
	if (v6) {
		ip[0] = 0x60;
		aw_be16_put(ip + 4, (uint16_t)thl);
		ip[6] = IPPROTO_TCP;
		ip[7] = ttl;
	} else {
		ip[0] = 0x45;
		aw_be16_put(ip + 2, (uint16_t)(ihl + thl));
		ip[6] = 0x40; /* DF */
		ip[8] = ttl;
		ip[9] = IPPROTO_TCP;
	}
	memcpy(v6 ? ip + 8 : ip + 12, swap ? a2 : a1, alen);
	memcpy(v6 ? ip + 24 : ip + 16, swap ? a1 : a2, alen);
	if (!v6) {
		uint16_t ck = aw_csum(ip, 20);
		memcpy(ip + 10, &ck, 2);
	}
	uint32_t ps = aw_csum_partial(v6 ? ip + 8 : ip + 12, 2 * alen, 0);
	uint32_t lenproto[2] = {rte_cpu_to_be_32(thl), rte_cpu_to_be_32(IPPROTO_TCP)};
	ps = aw_csum_partial(lenproto, 8, ps);
	uint16_t ck = (uint16_t)~aw_csum_fold(aw_csum_partial(tcp, thl, ps));
	memcpy(tcp + 16, &ck, 2);
	memcpy(ip + ihl, tcp, thl);
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - need));
	p->l3_hl = (uint16_t)ihl;
	p->l3_len = (uint16_t)(ihl + thl);
	return true;
}

/* The flow of a client packet as the cookie covers it. */
static void
flow_of(const struct aw_feat_pkt *p, const uint8_t *ip, struct aw_sc_flow *f)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->src, p->v6 ? ip + 8 : ip + 12, p->v6 ? 16 : 4);
	memcpy(f->dst, p->v6 ? ip + 24 : ip + 16, p->v6 ? 16 : 4);
	memcpy(&f->sport, ip + p->l3_hl, 2);
	memcpy(&f->dport, ip + p->l3_hl + 2, 2);
	f->v6 = p->v6;
}

static inline uint64_t
unix_now(const struct aw_asrs *a, const struct aw_asrs_lcore *l)
{
	return a->start_unix + l->now / AW_ASRS_TICKS_PER_S;
}

/* The SYN-ACK carrying the cookie, back to the client. */
static void
answer_syn(struct aw_lcore_ctx *c, struct aw_asrs *a, struct aw_feat_pkt *p)
{
	struct aw_asrs_lcore *l = aw_asrs_lc(c);
	const uint8_t *ip = rte_pktmbuf_mtod_offset(p->m, uint8_t *, L3);
	const uint8_t *tcp = ip + p->l3_hl;
	struct aw_sc_flow f;

	flow_of(p, ip, &f);
	uint32_t isn = aw_be32_get(tcp + 4);
	unsigned mi = aw_syncookie_mss_idx(client_mss(tcp, (size_t)p->l3_len - p->l3_hl));
	uint32_t cookie = aw_syncookie_make(&l->sc, unix_now(a, l), &f, isn, mi);
	uint16_t mss = (uint16_t)RTE_MIN(a->min_mtu - (p->v6 ? 60 : 40), 65535 - 60);
	if (!tcp_build(p, true, 64, cookie, isn + 1, TCP_SYN | TCP_ACK, 65535, mss))
		return;
	c->stats.info[AW_INFO_SYNPROXY_COOKIES]++;
	aw_fwd_packet(c, p->m, p->v6, true);
}

/* The cookie of a client ACK (ack - 1, for the flow and seq - 1). */
static enum aw_sc_res
check_cookie(const struct aw_asrs *a, struct aw_asrs_lcore *l, const struct aw_feat_pkt *p,
	     const uint8_t *ip, unsigned *mi)
{
	const uint8_t *tcp = ip + p->l3_hl;
	struct aw_sc_flow f;

	flow_of(p, ip, &f);
	return aw_syncookie_check(&l->sc, unix_now(a, l), &f, aw_be32_get(tcp + 4) - 1,
				  aw_be32_get(tcp + 8) - 1, mi);
}

bool
aw_sp_cookie_ack(struct aw_lcore_ctx *c, const struct aw_asrs *a, const struct aw_feat_pkt *p)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(p->m, uint8_t *, L3);
	unsigned mi;

	if (p->proto != IPPROTO_TCP || p->l3_len < p->l3_hl + 20 ||
	    (ip[p->l3_hl + 13] & (TCP_FIN | TCP_SYN | TCP_RST | TCP_ACK)) != TCP_ACK)
		return false;
	return check_cookie(a, aw_asrs_lc(c), p, ip, &mi) == AW_SC_OK;
}

bool
aw_sp_new(struct aw_lcore_ctx *c, struct aw_asrs *a, struct aw_feat_pkt *p,
	  struct aw_sp_init *init)
{
	struct aw_asrs_lcore *l = aw_asrs_lc(c);
	const uint8_t *ip = rte_pktmbuf_mtod_offset(p->m, uint8_t *, L3);
	const uint8_t *tcp = ip + p->l3_hl;
	const uint8_t fl = tcp[13] & (TCP_FIN | TCP_SYN | TCP_RST | TCP_ACK);

	if (fl == TCP_SYN)
		return answer_syn(c, a, p), false;
	if (fl != TCP_ACK)
		return aw_set_drop(p->m, AW_DROP_SYNPROXY_NO_SESSION), false;
	unsigned mi;
	uint32_t seq = aw_be32_get(tcp + 4), ack = aw_be32_get(tcp + 8);
	enum aw_sc_res r = check_cookie(a, l, p, ip, &mi);
	if (r != AW_SC_OK) {
		aw_set_drop(p->m, r == AW_SC_STALE ? AW_DROP_SYNPROXY_STALE_COOKIE
						   : AW_DROP_SYNPROXY_BAD_COOKIE);
		return false;
	}
	init->client_isn = seq - 1;
	init->cookie = ack - 1;
	uint16_t win = (uint16_t)(tcp[14] << 8 | tcp[15]);
	if (!tcp_build(p, false, p->v6 ? ip[7] : ip[8], seq - 1, 0, TCP_SYN, win,
		       aw_syncookie_mss(mi)))
		return false;
	c->stats.info[AW_INFO_SYNPROXY_ACCEPTED]++;
	return true;
}

/* Adds d to the 32-bit field at off of the TCP header (checksum updated). */
static void
shift32(uint8_t *tcp, unsigned off, uint32_t d)
{
	uint8_t old[4], neu[4];
	uint16_t ck;

	memcpy(old, tcp + off, 4);
	aw_be32_put(neu, aw_be32_get(old) + d);
	memcpy(&ck, tcp + 16, 2);
	ck = aw_csum_update(ck, old, neu, 4);
	memcpy(tcp + 16, &ck, 2);
	memcpy(tcp + off, neu, 4);
}

void
aw_sp_icmp_quote(const struct aw_sess *s, uint8_t *l4, uint32_t l4len)
{
	if (l4len < 8 || (s->flags & AW_SESS_F_SP_WAIT))
		return;
	if (l4len >= 18) {
		shift32(l4, 4, (uint32_t)-s->sp_delta);
		return;
	}
	aw_be32_put(l4 + 4, aw_be32_get(l4 + 4) - s->sp_delta); /* no checksum quoted */
}

/* The client's ISN, kept in nh[AW_SESS_SP_ISN] while s waits; false when
 * the wait has ended (or is ending) meanwhile: the word is then a next-hop
 * cache word again. Read as a sequence lock: the word, then the flags. */
static bool
client_isn(const struct aw_sess *s, uint32_t *isn)
{
	*isn = __atomic_load_n(&s->nh[AW_SESS_SP_ISN], __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	uint8_t f = __atomic_load_n(&s->flags, __ATOMIC_RELAXED);
	return (f & (AW_SESS_F_SP_WAIT | AW_SESS_F_SP_CLAIM)) == AW_SESS_F_SP_WAIT;
}

/* Claims the end of s's wait for this lcore (one SYN-ACK or RST ends it,
 * also when pipeline workers hold two such packets at once); *f: the flags
 * before. False: another lcore ended it. */
static bool
claim_wait(struct aw_sess *s, uint8_t *f)
{
	*f = __atomic_load_n(&s->flags, __ATOMIC_ACQUIRE);
	return (*f & (AW_SESS_F_SP_WAIT | AW_SESS_F_SP_CLAIM)) == AW_SESS_F_SP_WAIT &&
	       __atomic_compare_exchange_n(&s->flags, f, *f | AW_SESS_F_SP_CLAIM, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/* Ends the claimed wait: the ISN word becomes an empty cache word (after
 * the claim, for client_isn's readers), then the flags without SP_WAIT. */
static void
end_wait(struct aw_lcore_ctx *c, struct aw_sess *s, uint8_t f, uint8_t state)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&s->nh[AW_SESS_SP_ISN], 0, __ATOMIC_RELAXED);
	s->state = state;
	s->last = aw_asrs_lc(c)->now;
	__atomic_store_n(&s->flags, f & ~AW_SESS_F_SP_WAIT, __ATOMIC_RELEASE);
}

/* The destination's packet while waiting for its SYN-ACK. */
static bool
dest_waiting(struct aw_lcore_ctx *c, struct aw_feat_pkt *p, struct aw_sess *s,
	     uint8_t *tcp)
{
	const uint8_t fl = tcp[13] & (TCP_SYN | TCP_RST | TCP_ACK);
	uint32_t isn;
	uint8_t f;

	if (!client_isn(s, &isn)) { /* another lcore ended the wait just now */
		aw_set_drop(p->m, AW_DROP_SYNPROXY_BAD_SYNACK);
		return true;
	}
	if (fl == (TCP_SYN | TCP_ACK) && aw_be32_get(tcp + 8) == isn + 1) {
		uint32_t disn = aw_be32_get(tcp + 4);
		if (!tcp_build(p, true, 64, isn + 1, disn + 1, TCP_ACK, 65535, 0))
			return true;
		if (!claim_wait(s, &f)) {
			aw_set_drop(p->m, AW_DROP_SYNPROXY_BAD_SYNACK);
			return true;
		}
		s->sp_delta -= disn; /* cookie - destination ISN */
		end_wait(c, s, f, AW_SS_EST);
		c->stats.info[AW_INFO_SYNPROXY_ESTABLISHED]++;
		aw_fwd_packet(c, p->m, p->v6, true);
		return true;
	}
	if ((fl & (TCP_SYN | TCP_RST)) == TCP_RST) {
		/* refused: the client gets the RST in its view of our sequence;
		 * the wait ends (the session closes), so the RST is forwarded as
		 * any reply, with an empty cache word */
		if (!claim_wait(s, &f)) {
			aw_set_drop(p->m, AW_DROP_SYNPROXY_BAD_SYNACK);
			return true;
		}
		uint32_t want = s->sp_delta + 1;
		shift32(tcp, 4, want - aw_be32_get(tcp + 4));
		s->sp_delta = 0; /* nothing of the destination's is shifted after it */
		end_wait(c, s, f, AW_SS_CLOSING);
		return false;
	}
	aw_set_drop(p->m, AW_DROP_SYNPROXY_BAD_SYNACK);
	return true;
}

bool
aw_sp_hit(struct aw_lcore_ctx *c, struct aw_asrs *a, struct aw_feat_pkt *p, uint32_t ref)
{
	struct aw_sess *s = &a->sess[ref >> 1];
	uint8_t *ip = rte_pktmbuf_mtod_offset(p->m, uint8_t *, L3);
	uint8_t *tcp = ip + p->l3_hl;
	const uint8_t fl = tcp[13];
	const bool wait = __atomic_load_n(&s->flags, __ATOMIC_ACQUIRE) & AW_SESS_F_SP_WAIT;

	if (p->proto != IPPROTO_TCP)
		return false;
	if (ref & 1) {
		if (wait)
			return dest_waiting(c, p, s, tcp);
		shift32(tcp, 4, s->sp_delta);
		return false;
	}
	uint32_t isn;
	if (wait) {
		if (fl & TCP_RST)
			return false; /* forwarded as it is */
		if (client_isn(s, &isn)) {
			uint16_t win = (uint16_t)(tcp[14] << 8 | tcp[15]);
			if (!tcp_build(p, false, p->v6 ? ip[7] : ip[8], isn, 0, TCP_SYN, win,
				       aw_syncookie_mss((s->sp_delta >> 27) & 7)))
				return true;
			c->stats.info[AW_INFO_SYNPROXY_SYN_RESENT]++;
			return false;
		}
		/* the wait ended meanwhile: as any segment of the session */
	}
	if ((fl & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN && s->state == AW_SS_CLOSING) {
		struct aw_sp_init unused;
		if (!aw_sess_kill(a, aw_asrs_lc(c), ref >> 1))
			return aw_set_drop(p->m, AW_DROP_SYNPROXY_NO_SESSION), true;
		aw_sp_new(c, a, p, &unused); /* a SYN: answered, no session */
		return true;
	}
	if (fl & TCP_ACK)
		shift32(tcp, 8, (uint32_t)-s->sp_delta);
	return false;
}
