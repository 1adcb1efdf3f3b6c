/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Outer IPv4 fragmentation of sealed capsules above the egress MTU (SPEC §6,
 * RFC 4459 §3.2: the tunnel end fragments the outer packet, the inner one
 * stays whole), for aw_gw_burst_end on the lcore owning `c`.
 *
 * aw_gw_frag_split cuts a sealed capsule (Ethernet + outer IPv4 + UDP +
 * message, one segment) before it is routed: the mbuf keeps the first
 * fragment, the others are copied into mbufs of the same pool (all taken in
 * one bulk allocation, or the capsule is dropped, gw_frag_out_no_mbuf).
 * Once the first fragment is routed, aw_gw_frag_attach gives the others its
 * Ethernet header and chains them behind it: a train that aw_dispatch_burst
 * sends frame by frame (AW_V_TX), keeping the capsule's one place in the
 * burst and in the pipeline's order. When the first cannot leave at once
 * (neighbour unresolved, no route), the others are freed (gw_frags_unsent):
 * the node's reassembly then times out, as it would for any lost fragment.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "aw_gw.h"
#include "aw_gw_priv.h"

#define L3_OFF RTE_ETHER_HDR_LEN
#define IP4_HL 20

/* The header of a fragment: the capsule's (h), with this fragment's length,
 * offset and MF; checksum recomputed. */
static void
frag_header(struct rte_ipv4_hdr *to, const struct rte_ipv4_hdr *h, uint32_t off, uint32_t len,
	    bool more)
{
	*to = *h;
	to->total_length = rte_cpu_to_be_16((uint16_t)(IP4_HL + len));
	to->fragment_offset = rte_cpu_to_be_16((uint16_t)((off >> 3) |
							  (more ? RTE_IPV4_HDR_MF_FLAG : 0)));
	to->hdr_checksum = 0;
	to->hdr_checksum = rte_ipv4_cksum(to);
}

enum aw_drop_reason
aw_gw_frag_split(struct aw_gw_lcore *gl, struct rte_mbuf *m, uint32_t mtu,
		 struct rte_mbuf *tails[AW_GW_FRAG_OUT_MAX], unsigned *n_tails)
{
	struct rte_ipv4_hdr *h = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, L3_OFF);
	const uint8_t *payload = (const uint8_t *)h + IP4_HL;
	const uint32_t plen = rte_be_to_cpu_16(h->total_length) - IP4_HL;
	const uint32_t step = (mtu - IP4_HL) & ~7u; /* payload per fragment but the last */
	const unsigned n = (plen + step - 1) / step;

	*n_tails = 0;
	if (n < 2 || n > AW_GW_FRAG_OUT_MAX + 1)
		return AW_DROP_GW_TOO_BIG;
	if (rte_pktmbuf_alloc_bulk(m->pool, tails, n - 1) != 0)
		return AW_DROP_GW_FRAG_OUT_NO_MBUF;
	h->packet_id = rte_cpu_to_be_16(gl->ip_id++);
	h->fragment_offset = 0;
	for (unsigned i = 1; i < n; i++) {
		const uint32_t off = i * step, len = RTE_MIN(step, plen - off);
		struct rte_mbuf *t = tails[i - 1];
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(t, (uint16_t)(L3_OFF + IP4_HL + len));
		if (unlikely(d == NULL)) { /* only with a tiny MTU and a full-sized capsule */
			rte_pktmbuf_free_bulk(tails, n - 1);
			return AW_DROP_GW_NO_ROOM;
		}
		frag_header((struct rte_ipv4_hdr *)(d + L3_OFF), h, off, len, i + 1 < n);
		memcpy(d + L3_OFF + IP4_HL, payload + off, len);
	}
	frag_header(h, h, 0, step, true);
	rte_pktmbuf_trim(m, (uint16_t)(plen - step));
	*n_tails = n - 1;
	return 0;
}

void
aw_gw_frag_attach(struct aw_lcore_ctx *c, struct rte_mbuf *m, struct rte_mbuf **tails, unsigned n)
{
	if (aw_meta(m)->verdict != AW_V_TX) {
		c->stats.info[AW_INFO_GW_FRAGS_UNSENT] += n;
		for (unsigned i = 0; i < n; i++)
			rte_pktmbuf_free(tails[i]);
		return;
	}
	const void *eth = rte_pktmbuf_mtod(m, const void *);
	struct rte_mbuf *last = m;
	for (unsigned i = 0; i < n; i++) {
		memcpy(rte_pktmbuf_mtod(tails[i], void *), eth, L3_OFF);
		last->next = tails[i];
		last = tails[i];
		m->pkt_len += tails[i]->data_len;
	}
	m->nb_segs = (uint16_t)(n + 1);
	c->stats.info[AW_INFO_GW_FRAGMENTED]++;
	c->stats.info[AW_INFO_GW_FRAGMENTS_OUT] += n + 1;
}
