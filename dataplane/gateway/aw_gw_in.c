/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The gateway's inbound path (SPEC §6): aw_gw_burst, called by the lcore
 * owning `c` with the UDP packets to the gateway port (aw_feature.h
 * guarantees). Per chunk of 64: strict header checks, one bulk PathID
 * lookup, a replay pre-check on a snapshot of the window, then verify +
 * decrypt in place, the whole chunk in one aw_trs_open_burst of the lcore's
 * engine (intel-ipsec-mb runs suite-1 jobs in SIMD lanes; OpenSSL where it
 * cannot run). Only a capsule that verified and whose plaintext is one
 * IP packet from the path's node_addr touches the path (replay window,
 * binding, counters) and is re-injected as its inner packet. Every other
 * packet leaves with a named drop.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_prefetch.h>

#include "aw_be.h"
#include "aw_tcp_mss.h"
#include "aw_gw.h"
#include "aw_gw_priv.h"
#include "aw_pkt.h"

#define CHUNK  64
#define L3_OFF RTE_ETHER_HDR_LEN
#define UDP_HL 8

struct gmsg {
	struct rte_mbuf *m;
	uint8_t *msg;        /* the TRS message (UDP payload) */
	uint8_t *ip;         /* outer IP header */
	uint16_t len;
	uint16_t sport_be;
	uint8_t v6;
};

static inline bool
parse_one(const struct aw_feat_pkt *fp, struct gmsg *gm)
{
	struct rte_mbuf *m = fp->m;
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, L3_OFF);
	uint8_t *udp = ip + fp->l3_hl;
	uint32_t plen = (uint32_t)fp->l3_len - fp->l3_hl;

	if (unlikely(aw_be16_get(udp + 4) != plen))
		return aw_set_drop(m, AW_DROP_GW_UDP_LENGTH), false;
	gm->m = m;
	gm->ip = ip;
	gm->msg = udp + UDP_HL;
	gm->len = (uint16_t)(plen - UDP_HL);
	gm->v6 = fp->v6;
	memcpy(&gm->sport_be, udp, 2);
	if (unlikely(gm->len < AW_TRS_MIN_LEN))
		return aw_set_drop(m, AW_DROP_GW_TRUNCATED), false;
	if (unlikely(gm->msg[AW_TRS_OFF_VERSION] != AW_TRS_VERSION))
		return aw_set_drop(m, AW_DROP_GW_BAD_VERSION), false;
	if (unlikely(aw_be16_get(gm->msg + AW_TRS_OFF_MSG_LEN) != gm->len))
		return aw_set_drop(m, AW_DROP_GW_MSG_LEN), false;
	if (unlikely(gm->msg[AW_TRS_OFF_TYPE] != AW_TRS_T_CAPSULE))
		return aw_set_drop(m, AW_DROP_GW_NOT_CAPSULE), false;
	if (unlikely(gm->msg[AW_TRS_OFF_FLAG] & AW_TRS_FLAG_R))
		return aw_set_drop(m, AW_DROP_GW_WRONG_SIDE), false;
	return true;
}

static inline void
drop_path(struct aw_gw_path *p, struct rte_mbuf *m, enum aw_drop_reason why)
{
	aw_gw_count(&p->drops, 1);
	aw_set_drop(m, why);
}

static enum aw_drop_reason
open_error(int rc)
{
	switch (rc) {
	case AW_TRS_E_BAD_TAG: return AW_DROP_GW_BAD_TAG;
	case AW_TRS_E_BAD_BODY_LEN:
	case AW_TRS_E_BAD_PADDING: return AW_DROP_GW_BAD_BODY;
	case AW_TRS_E_TRUNCATED:
	case AW_TRS_E_LEN_MISMATCH: return AW_DROP_GW_MSG_LEN;
	default: return AW_DROP_GW_CRYPTO_FAIL;
	}
}

/* The plaintext is one IP packet whose source is the node's address. */
static inline enum aw_drop_reason
inner_check(const struct aw_gw_path *p, const uint8_t *pt, size_t len)
{
	const unsigned ver = len > 0 ? pt[0] >> 4 : 0;

	if (ver == 4 && len >= 20) {
		if (p->node.family != AW_AF_INET4 || memcmp(pt + 12, p->node.b, 4) != 0)
			return AW_DROP_GW_SPOOFED_INNER;
		return 0;
	}
	if (ver == 6 && len >= 40) {
		if (p->node.family != AW_AF_INET6 || memcmp(pt + 8, p->node.b, 16) != 0)
			return AW_DROP_GW_SPOOFED_INNER;
		return 0;
	}
	return AW_DROP_GW_INNER_MALFORMED;
}

static inline bool
bind_is(const struct aw_gw_bind *b, const struct gmsg *gm, const uint8_t *src)
{
	return b->bound && b->v6 == gm->v6 && b->port_be == gm->sport_be &&
	       memcmp(b->addr, src, gm->v6 ? 16 : 4) == 0;
}

/* Under the path's seqlock: accept seq, and bind to the source when it is
 * the newest capsule. 0 or AW_DROP_GW_REPLAY. */
static enum aw_drop_reason
accept_capsule(struct aw_lcore_ctx *c, struct aw_gw_path *p, const struct gmsg *gm, uint32_t seq)
{
	const uint8_t *src = gm->v6 ? gm->ip + 8 : gm->ip + 12;
	const uint8_t *dst = gm->v6 ? gm->ip + 24 : gm->ip + 16;
	const unsigned alen = gm->v6 ? 16 : 4;

	aw_gw_path_lock(p);
	if (aw_replay_update(&p->win, seq) != 0) {
		aw_gw_path_unlock(p);
		return AW_DROP_GW_REPLAY;
	}
	if (p->win.top == seq && !bind_is(&p->bind, gm, src)) {
		c->stats.info[p->bind.bound ? AW_INFO_GW_REBINDS : AW_INFO_GW_BINDS]++;
		memset(&p->bind, 0, sizeof(p->bind));
		memcpy(p->bind.addr, src, alen);
		memcpy(p->bind.laddr, dst, alen);
		p->bind.port_be = gm->sport_be;
		p->bind.v6 = gm->v6;
		p->bind.bound = 1;
	}
	aw_gw_path_unlock(p);
	return 0;
}

/* Before the crypto: the path, a replay pre-check on a snapshot of its
 * window, its expanded key. False: verdict set. */
static inline bool
pre_open(struct aw_gw_lcore *gl, struct gmsg *gm, struct aw_gw_path *p,
	 struct aw_trs_oreq *req)
{
	const uint32_t seq = aw_be32_get(gm->msg + AW_TRS_OFF_SEQ);

	if (unlikely(p == NULL))
		return aw_set_drop(gm->m, AW_DROP_GW_UNKNOWN_PATH), false;
	if (unlikely(aw_replay_check(&p->win, seq) != 0))
		return drop_path(p, gm->m, AW_DROP_GW_REPLAY), false;
	const struct aw_trs_key *key = aw_gw_key(gl, p);
	if (unlikely(key == NULL))
		return drop_path(p, gm->m, AW_DROP_GW_CRYPTO_FAIL), false;
	*req = (struct aw_trs_oreq){.key = key, .msg = gm->msg, .len = gm->len};
	return true;
}

/* After the crypto: inner checks, replay window and binding, counters, and
 * the plaintext re-injected as the packet. */
static inline void
post_open(struct aw_lcore_ctx *c, struct aw_gw_lcore *gl, struct gmsg *gm, struct aw_gw_path *p,
	  const struct aw_trs_oreq *req, int rc)
{
	struct rte_mbuf *m = gm->m;
	enum aw_drop_reason why;

	if (unlikely(rc != AW_TRS_OK))
		return drop_path(p, m, open_error(rc));
	uint8_t *pt = gm->msg + req->pt_off;
	if (unlikely((why = inner_check(p, pt, req->pt_len)) != 0) ||
	    unlikely((why = accept_capsule(c, p, gm, aw_be32_get(gm->msg + AW_TRS_OFF_SEQ))) != 0))
		return drop_path(p, m, why);
	if (__atomic_load_n(&p->last_in_s, __ATOMIC_RELAXED) != gl->now_s)
		__atomic_store_n(&p->last_in_s, gl->now_s, __ATOMIC_RELAXED);
	/* what the other end sends back comes out as capsules over this port */
	aw_gw_clamp_mss(c, pt, req->pt_len,
			aw_gw_inner_max(p->suite, gm->v6, c->dp->ports[aw_meta(m)->port_in].mtu));
	aw_gw_count(&p->pkts_in, 1);
	aw_gw_count(&p->bytes_in, req->pt_len);
	c->stats.info[AW_INFO_GW_DECRYPTED]++;
	rte_pktmbuf_adj(m, (uint16_t)(pt - rte_pktmbuf_mtod(m, uint8_t *)));
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - req->pt_len));
	aw_set_again(c, m, AW_FEAT_GATEWAY, 0);
}

void
aw_gw_clamp_mss(struct aw_lcore_ctx *c, uint8_t *ip, size_t len, uint32_t inner_max)
{
	const int v6 = (ip[0] >> 4) == 6;
	const size_t hl = v6 ? 40 : (size_t)(ip[0] & 15) * 4;

	if ((v6 ? ip[6] : ip[9]) != IPPROTO_TCP || len < hl + 20 || inner_max < hl + 20 + 64)
		return;
	if (!v6 && (aw_be16_get(ip + 6) & 0x1fff) != 0) /* not the first fragment */
		return;
	if (aw_tcp_mss_clamp(ip + hl, len - hl, (uint16_t)RTE_MIN(inner_max - hl - 20, 65535u)))
		c->stats.info[AW_INFO_GW_MSS_CLAMPED]++;
}

void
aw_gw_burst(struct aw_lcore_ctx *c, struct aw_feat_batch *b)
{
	struct aw_gw *g = aw_gw_of(c->dp);
	struct aw_gw_lcore *gl = aw_gw_lc(c);

	for (unsigned base = 0; base < b->n; base += CHUNK) {
		unsigned end = RTE_MIN(base + CHUNK, (unsigned)b->n), n = 0;
		struct gmsg gm[CHUNK];
		const void *ids[CHUNK];
		struct aw_gw_path *paths[CHUNK];

		for (unsigned i = base; i < end; i++)
			if (unlikely(b->p[i].addr_flags & AW_FEAT_FRAGMENT))
				aw_gw_frag_input(c, gl, &b->p[i]);
			else if (parse_one(&b->p[i], &gm[n])) {
				ids[n] = gm[n].msg + AW_TRS_OFF_ID;
				n++;
			}
		aw_gw_table_lookup_bulk(g->t, ids, n, paths);
		for (unsigned i = 0; i < n; i++)
			if (paths[i] != NULL)
				rte_prefetch0(&paths[i]->win);
		struct aw_trs_oreq req[CHUNK];
		uint8_t at[CHUNK];
		int res[CHUNK];
		unsigned k = 0;
		for (unsigned i = 0; i < n; i++)
			if (pre_open(gl, &gm[i], paths[i], &req[k]))
				at[k++] = (uint8_t)i;
		aw_trs_open_burst(gl->eng, req, k, res); /* suite-1 jobs in SIMD lanes together */
		for (unsigned j = 0; j < k; j++)
			post_open(c, gl, &gm[at[j]], paths[at[j]], &req[j], res[j]);
	}
}
