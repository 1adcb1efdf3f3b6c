/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The cluster's packet path: aw_cluster_burst decapsulates packets other
 * instances redirected here (checks in order: UDP length and size, source a
 * member of the current or kept epoch, header, epoch, tag, hop), then
 * re-injects the inner packet; aw_cluster_miss redirects a session miss to
 * its owner or to the next hop of its list (encapsulation: outer IP + UDP +
 * cluster header, routed as an originated packet with a per-lcore next-hop
 * cache word per member).
 *
 * Contract: the processing lcore of c, between two quiescent states.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "aw_be.h"
#include "aw_cksum.h"
#include "aw_cluster_priv.h"
#include "aw_fwd.h"
#include "aw_pkt.h"

#define L3 RTE_ETHER_HDR_LEN
/* Hop word flag: the capsule carried a newer epoch than ours; its 8 epoch bits
 * may equal those of one of our tables, so the next-hop step must not trust them. */
#define HOPW_FOREIGN (1u << 23)

static __rte_always_inline uint32_t
hop_word(const struct aw_clh *h)
{
	return (uint32_t)h->hops[0] | (uint32_t)h->hops[1] << 8 | (uint32_t)h->hop_idx << 16 |
	       (uint32_t)h->hop_cnt << 20 | (uint32_t)(h->epoch & 0xff) << 24;
}

static const struct aw_owner_tab *
tab_of_epoch(const struct aw_cl_state *st, uint64_t epoch)
{
	if (st->cur->epoch == epoch)
		return st->cur;
	if (st->prev != NULL && st->prev->epoch == epoch)
		return st->prev;
	return NULL;
}

static bool
src_member(const struct aw_cl_state *st, const struct aw_addr *a)
{
	return aw_owner_find_addr(st->cur, a) >= 0 ||
	       (st->prev != NULL && aw_owner_find_addr(st->prev, a) >= 0);
}

/* One redirected packet: verdict set (re-injected or dropped). */
static void
decap_one(struct aw_lcore_ctx *c, const struct aw_cluster *cl, const struct aw_cl_state *st,
	  struct aw_feat_pkt *p)
{
	struct rte_mbuf *m = p->m;
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, L3);
	const uint8_t *udp = ip + p->l3_hl, *hdr = udp + 8;
	uint32_t ulen = aw_be16_get(udp + 4);
	struct aw_addr src;
	struct aw_clh h;

	if (ulen != (uint32_t)p->l3_len - p->l3_hl || ulen < 8 + AW_CLH_LEN + 20)
		return aw_set_drop(m, AW_DROP_CL_MALFORMED);
	if (p->v6)
		aw_addr_set6(&src, ip + 8);
	else
		aw_addr_set4(&src, ip + 12);
	if (st == NULL || !src_member(st, &src))
		return aw_set_drop(m, AW_DROP_CL_NOT_MEMBER);
	enum aw_clh_err e = aw_clh_parse(hdr, ulen - 8, &h);
	if (e != AW_CLH_OK)
		return aw_set_drop(m, e == AW_CLH_BAD_HOP ? AW_DROP_CL_BAD_HOP : AW_DROP_CL_MALFORMED);
	const struct aw_owner_tab *t = tab_of_epoch(st, h.epoch);
	if (t == NULL && h.epoch < st->cur->epoch)
		return aw_set_drop(m, AW_DROP_CL_STALE_EPOCH);
	if (!aw_clh_tag_ok(hdr, cl->k))
		return aw_set_drop(m, AW_DROP_CL_BAD_TAG);
	if (t == NULL) {
		/* A newer list than ours (our control plane lags, or is gone while
		 * we serve what we own): its indices mean nothing here, but the
		 * sender chose this instance by address and the tag holds. A
		 * session hit is served; a miss cannot go on (stale epoch). */
		c->stats.info[AW_INFO_CL_NEWER_EPOCH]++;
	} else if (t->self < 0 || h.hops[h.hop_idx] != (uint8_t)t->self ||
		   (h.hop_cnt > 1 && h.hops[1 - h.hop_idx] >= t->n)) {
		return aw_set_drop(m, AW_DROP_CL_BAD_HOP);
	}
	const uint8_t ver = hdr[AW_CLH_LEN] >> 4;
	const uint32_t ilen = ulen - 8 - AW_CLH_LEN;
	if ((ver != 4 && ver != 6) || (ver == 6 && ilen < 40))
		return aw_set_drop(m, AW_DROP_CL_MALFORMED);
	rte_pktmbuf_adj(m, (uint16_t)(L3 + p->l3_hl + 8 + AW_CLH_LEN));
	c->stats.info[AW_INFO_CL_DECAPSULATED]++;
	aw_set_again(c, m, AW_FEAT_CLUSTER, hop_word(&h) | (t == NULL ? HOPW_FOREIGN : 0));
}

void
aw_cluster_burst(struct aw_lcore_ctx *c, struct aw_feat_batch *b)
{
	const struct aw_cluster *cl = aw_cluster_of(c->dp);
	const struct aw_cl_state *st = __atomic_load_n(&cl->st, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < b->n; i++)
		decap_one(c, cl, st, &b->p[i]);
}

/* ---- redirect ---- */

/* Lowers the MSS option of a TCP SYN (inner IP at ip) to at most max. */
static void
clamp_mss(struct aw_lcore_ctx *c, uint8_t *ip, uint32_t len, uint16_t max)
{
	const int v6 = ip[0] >> 4 == 6;
	uint32_t hl = v6 ? 40 : (uint32_t)(ip[0] & 0xf) * 4;

	if ((v6 ? ip[6] : ip[9]) != IPPROTO_TCP || len < hl + 20)
		return;
	uint8_t *tcp = ip + hl;
	uint32_t doff = (uint32_t)(tcp[12] >> 4) * 4;
	if ((tcp[13] & 0x12) != 0x02 || doff < 20 || hl + doff > len)
		return;
	for (uint32_t o = 20; o < doff;) {
		uint8_t kind = tcp[o];
		if (kind == 0)
			return;
		if (kind == 1) {
			o++;
			continue;
		}
		if (o + 1 >= doff || tcp[o + 1] < 2 || o + tcp[o + 1] > doff)
			return;
		if (kind == 2 && tcp[o + 1] == 4) {
			uint16_t old, neu, ck;
			memcpy(&old, tcp + o + 2, 2);
			if (rte_be_to_cpu_16(old) <= max)
				return;
			neu = rte_cpu_to_be_16(max);
			memcpy(tcp + o + 2, &neu, 2);
			memcpy(&ck, tcp + 16, 2);
			ck = aw_csum_update16(ck, old, neu);
			memcpy(tcp + 16, &ck, 2);
			c->stats.info[AW_INFO_CL_MSS_CLAMPED]++;
			return;
		}
		o += tcp[o + 1];
	}
}

/* The outer IP and UDP headers toward dst for an empty capsule (UDP length
 * 8 + AW_CLH_LEN, source port and UDP checksum 0), IPv4 checksum included. */
static void
outer_template(const struct aw_cluster *cl, uint8_t *ip, const struct aw_addr *dst)
{
	uint8_t *udp = ip + (cl->v6 ? 40 : 20);
	const uint16_t ulen = 8 + AW_CLH_LEN;

	memset(ip, 0, AW_CL_OUTER_MAX);
	if (cl->v6) {
		aw_be32_put(ip, 0x60000000u);
		aw_be16_put(ip + 4, ulen);
		ip[6] = IPPROTO_UDP;
		ip[7] = 64;
		memcpy(ip + 8, cl->conf->underlay.b, 16);
		memcpy(ip + 24, dst->b, 16);
	} else {
		ip[0] = 0x45;
		aw_be16_put(ip + 2, (uint16_t)(20 + ulen));
		aw_be32_put(ip + 4, 0x00004000u); /* id 0, DF */
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, cl->conf->underlay.b, 4);
		memcpy(ip + 16, dst->b, 4);
		uint16_t ck = aw_csum(ip, 20);
		memcpy(ip + 10, &ck, 2);
	}
	memcpy(udp + 2, &cl->port_be, 2);
	aw_be16_put(udp + 4, ulen);
}

/* Writes the outer IP and UDP headers in front of the cluster header, from
 * the lcore's template toward member `to`: lengths for inner_len bytes, the
 * IPv4 checksum updated for the length, the UDP checksum over IPv6. */
static __rte_always_inline void
outer_headers(const struct aw_cluster *cl, struct aw_cluster_lcore *l, uint8_t *ip,
	      const struct aw_owner_tab *t, unsigned to, uint32_t inner_len, uint16_t sport)
{
	const uint64_t bit = 1ull << to;

	if (unlikely(!(l->have_outer & bit))) {
		outer_template(cl, l->outer[to], &t->m[to].addr);
		l->have_outer |= bit;
	}
	const uint16_t ulen = (uint16_t)(8 + AW_CLH_LEN + inner_len);
	if (cl->v6) {
		uint8_t *udp = ip + 40;
		memcpy(ip, l->outer[to], 48);
		aw_be16_put(ip + 4, ulen);
		aw_be16_put(udp, sport);
		aw_be16_put(udp + 4, ulen);
		uint16_t ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, udp);
		memcpy(udp + 6, &ck, 2);
		return;
	}
	uint16_t ck, len0, len;
	memcpy(ip, l->outer[to], 28);
	memcpy(&ck, ip + 10, 2);
	memcpy(&len0, ip + 2, 2);
	len = rte_cpu_to_be_16((uint16_t)(20 + ulen));
	ck = aw_csum_update16(ck, len0, len);
	memcpy(ip + 2, &len, 2);
	memcpy(ip + 10, &ck, 2);
	aw_be16_put(ip + 20, sport);
	aw_be16_put(ip + 24, ulen);
}

/* Writes the 24-byte cluster header h at out (tag included), from the
 * lcore's cache when it sent the same header last. */
static __rte_always_inline void
cluster_header(const struct aw_cluster *cl, struct aw_cluster_lcore *l, uint8_t *out,
	       const struct aw_clh *h)
{
	const uint8_t h1 = h->hop_cnt > 1 ? h->hops[1] : AW_CLH_HOP_NONE;
	const uint32_t key = (uint32_t)h->hops[0] | (uint32_t)h1 << 8 | (uint32_t)h->hop_idx << 16 |
			     (uint32_t)h->hop_cnt << 20 | 1u << 24;
	const unsigned slot = (h->hops[0] * 31u + h1 * 7u + h->hop_idx) & (AW_CL_TAG_CACHE - 1);

	if (unlikely(l->hdrs[slot].key != key)) {
		uint64_t tag;
		aw_clh_head(l->hdrs[slot].hdr, h);
		tag = aw_clh_tag(l->hdrs[slot].hdr, cl->k);
		memcpy(l->hdrs[slot].hdr + 16, &tag, 8);
		l->hdrs[slot].key = key;
	}
	memcpy(out, l->hdrs[slot].hdr, AW_CLH_LEN);
}

/* Encapsulates m (Ethernet + inner IP) toward hop h->hops[h->hop_idx] of t
 * and routes it. */
static __rte_always_inline void
encap(struct aw_lcore_ctx *c, const struct aw_cluster *cl, struct rte_mbuf *m,
      const struct aw_owner_tab *t, const struct aw_clh *h, uint64_t flow_hash)
{
	struct aw_cluster_lcore *l = c->feat_lc[AW_FEAT_CLUSTER];
	const unsigned to = h->hops[h->hop_idx];
	const uint32_t inner_len = rte_pktmbuf_data_len(m) - L3;
	uint8_t *inner = rte_pktmbuf_mtod_offset(m, uint8_t *, L3);

	const int v6in = inner[0] >> 4 == 6;
	if (unlikely((v6in ? inner[6] : inner[9]) == IPPROTO_TCP) && h->hop_idx == 0 &&
	    aw_meta(m)->origin == 0)
		clamp_mss(c, inner, inner_len, cl->mss_max[v6in]);
	uint8_t *eth = (uint8_t *)rte_pktmbuf_prepend(m, cl->overhead);
	if (unlikely(eth == NULL))
		return aw_set_drop(m, AW_DROP_CL_NO_HEADROOM);
	if (unlikely(l->tab != t)) { /* caches belong to one table (epoch) */
		memset(l->nh, 0, sizeof(l->nh));
		memset(l->hdrs, 0, sizeof(l->hdrs));
		l->have_outer = 0;
		l->tab = t;
	}
	struct rte_ether_hdr *e = (struct rte_ether_hdr *)eth;
	e->ether_type = cl->v6 ? RTE_BE16(RTE_ETHER_TYPE_IPV6) : RTE_BE16(RTE_ETHER_TYPE_IPV4);
	/* the header first: the UDP checksum over IPv6 covers it */
	cluster_header(cl, l, eth + L3 + cl->overhead - AW_CLH_LEN, h);
	outer_headers(cl, l, eth + L3, t, to, inner_len,
		      (uint16_t)(0xc000 | (flow_hash >> 32 & 0x3fff)));
	l->nh[to] = aw_fwd_send(c, m, l->nh[to], cl->v6, AW_FWD_ORIGINATED);
}

/* A packet arriving from outside (not through a capsule), by the row of
 * its flow in t: sent to the row's primary when that is another instance,
 * with the secondary as next hop unless it is this instance; when this
 * instance is the primary, a packet that is not `creating` goes to the
 * secondary when that is another instance, unless `primary_only`. Returns
 * true when the packet was sent (verdict set). */
static bool
to_row(struct aw_lcore_ctx *c, const struct aw_cluster *cl, const struct aw_owner_tab *t,
       struct rte_mbuf *m, uint64_t flow_hash, bool creating, bool primary_only)
{
	const uint8_t *row = t->row[aw_owner_row_of(flow_hash)];
	const uint8_t self = t->self < 0 ? AW_OWNER_NONE : (uint8_t)t->self;
	struct aw_clh h;

	if (row[0] == AW_OWNER_NONE || t->n < 2)
		return false;
	h.hop_cnt = 0;
	if (row[0] != self)
		h.hops[h.hop_cnt++] = row[0];
	else if (creating || primary_only)
		return false;
	if (row[1] != AW_OWNER_NONE && row[1] != self)
		h.hops[h.hop_cnt++] = row[1];
	if (h.hop_cnt == 0)
		return false;
	if (h.hop_cnt == 1)
		h.hops[1] = AW_CLH_HOP_NONE;
	h.hop_idx = 0;
	h.epoch = t->epoch;
	c->stats.info[AW_INFO_CL_REDIRECTED]++;
	encap(c, cl, m, t, &h, flow_hash);
	return true;
}

bool
aw_cluster_miss(struct aw_lcore_ctx *c, struct rte_mbuf *m, uint64_t flow_hash, bool creating)
{
	const struct aw_cluster *cl = aw_cluster_of(c->dp);
	const struct aw_cl_state *st = __atomic_load_n(&cl->st, __ATOMIC_ACQUIRE);
	const struct aw_meta *meta = aw_meta(m);
	struct aw_clh h;

	if (st == NULL)
		return false;
	if (meta->origin == AW_FEAT_CLUSTER + 1) { /* we are a hop of its list */
		if (creating)
			return false;
		uint32_t w = meta->origin_arg;
		h.hops[0] = (uint8_t)w;
		h.hops[1] = (uint8_t)(w >> 8);
		h.hop_idx = (uint8_t)((w >> 16 & 0xf) + 1);
		h.hop_cnt = (uint8_t)(w >> 20 & 0x7);
		if (h.hop_idx >= h.hop_cnt)
			return aw_set_drop(m, AW_DROP_OWNER_MISS), true;
		const struct aw_owner_tab *t = st->cur;
		if (w & HOPW_FOREIGN)
			t = NULL;
		else if ((t->epoch & 0xff) != w >> 24)
			t = st->prev != NULL && (st->prev->epoch & 0xff) == w >> 24 ? st->prev : NULL;
		if (t == NULL || h.hops[h.hop_idx] >= t->n)
			return aw_set_drop(m, AW_DROP_CL_STALE_EPOCH), true;
		h.epoch = t->epoch;
		c->stats.info[AW_INFO_CL_NEXT_HOP]++;
		encap(c, cl, m, t, &h, flow_hash);
		return true;
	}
	return to_row(c, cl, st->cur, m, flow_hash, creating, false);
}

bool
aw_cluster_creates_here(const struct aw_lcore_ctx *c, struct rte_mbuf *m,
			uint64_t flow_hash)
{
	const struct aw_cluster *cl = aw_cluster_of(c->dp);
	const struct aw_cl_state *st = __atomic_load_n(&cl->st, __ATOMIC_ACQUIRE);

	if (st == NULL || aw_meta(m)->origin == AW_FEAT_CLUSTER + 1)
		return true;
	const struct aw_owner_tab *t = st->cur;
	const uint8_t p = t->row[aw_owner_row_of(flow_hash)][0];
	return p == AW_OWNER_NONE || t->n < 2 || (int)p == t->self;
}

bool
aw_cluster_force(struct aw_lcore_ctx *c, struct rte_mbuf *m, uint64_t flow_hash)
{
	const struct aw_cluster *cl = aw_cluster_of(c->dp);
	const struct aw_cl_state *st = __atomic_load_n(&cl->st, __ATOMIC_ACQUIRE);

	if (st == NULL || aw_meta(m)->origin == AW_FEAT_CLUSTER + 1)
		return false;
	return to_row(c, cl, st->cur, m, flow_hash, true, true);
}
