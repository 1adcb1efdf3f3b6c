/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_output — acting on verdicts: per-port TX buffers owned by the lcore,
 * counted drops, hand-off to the housekeeper, and the last step of routing
 * (Ethernet header from the neighbour cache).
 *
 * Contract: every function runs on the lcore that owns `c`. aw_dispatch_burst
 * is the only place packets leave an lcore, so every packet is counted exactly
 * once: tx, a drop reason, or (in the housekeeper) consumed.
 */
#ifndef AW_OUTPUT_H
#define AW_OUTPUT_H

#include <rte_ethdev.h>

#include "aw_dp.h"

void aw_tx_flush_port(struct aw_lcore_ctx *c, unsigned port);
void aw_tx_flush_all(struct aw_lcore_ctx *c);

/* Queue m for transmission on port index `port`; `originated` when the data
 * plane made the packet itself (counted apart from tx, see aw_counters.h). */
static inline void
aw_tx_enqueue(struct aw_lcore_ctx *c, struct rte_mbuf *m, unsigned port, bool originated)
{
	struct aw_txbuf *b = &c->tx[port];

	aw_meta(m)->arg = originated;
	if (originated)
		c->stats.originated++;
	else
		c->stats.tx++;
	c->stats.tx_bytes += rte_pktmbuf_pkt_len(m);
	b->pkts[b->n++] = m;
	if (unlikely(b->n == AW_TX_BUF))
		aw_tx_flush_port(c, port);
}

static inline void
aw_drop(struct aw_lcore_ctx *c, struct rte_mbuf *m, enum aw_drop_reason r)
{
	c->stats.drops[r]++;
	rte_pktmbuf_free(m);
}

/* Acts on the verdict of each packet (see enum aw_verdict). */
void aw_dispatch_burst(struct aw_lcore_ctx *c, struct rte_mbuf **pkts, uint16_t n);

/* Sets the Ethernet header for egress port `port` toward `mac`. */
static inline void
aw_l2_finish(struct aw_dp *dp, struct rte_mbuf *m, unsigned port,
	     const struct rte_ether_addr *mac)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	rte_ether_addr_copy(mac, &eth->dst_addr);
	rte_ether_addr_copy(&dp->ports[port].mac, &eth->src_addr);
	aw_set_tx(m, (uint8_t)port);
}

/* The Ethernet addresses from a neighbour entry's word (the MAC in bits
 * 0-47, byte i at bits 8i: aw_neigh.h) and the egress port's MAC `src`; on a
 * little-endian CPU one 8-byte store (destination and the source's first two
 * bytes) and one 4-byte store, no MAC copied through memory. */
static __rte_always_inline void
aw_l2_write_word(struct rte_ether_hdr *eth, uint64_t w, const struct rte_ether_addr *src)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	uint16_t s01;
	uint32_t s25;

	memcpy(&s01, src->addr_bytes, 2);
	memcpy(&s25, src->addr_bytes + 2, 4);
	const uint64_t head = (w & UINT64_C(0xffffffffffff)) | (uint64_t)s01 << 48;
	memcpy(eth, &head, 8);
	memcpy((uint8_t *)eth + 8, &s25, 4);
#else
	const uint64_t le = rte_cpu_to_le_64(w);

	memcpy(&eth->dst_addr, &le, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(src, &eth->src_addr);
#endif
}

#endif /* AW_OUTPUT_H */
