/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_relay_nh — sending a relayed packet with the next hop cached in the
 * side's binding (struct aw_relay_bind.nh): the neighbour-table position of
 * the next hop and the route's egress port. Routes are immutable and
 * neighbour entries are never deleted (aw_route.h, aw_neigh.h), so a cached
 * position stays the right entry for the binding's address; its MAC and
 * validity are read from the entry on every packet (one atomic load), so a
 * neighbour whose MAC changed or that became unusable is noticed at once (an
 * unusable one takes the full route path, which resolves it). A rebinding
 * clears the cache (aw_relay_path.c, under the side's seqlock).
 *
 * Contract: lcores only, from the relay's data path (aw_relay_path.c), with
 * a binding read at version seq by aw_relay_bind_read.
 */
#ifndef AW_RELAY_NH_H
#define AW_RELAY_NH_H

#include <rte_mbuf.h>

#include "aw_dp.h"
#include "aw_neigh.h"
#include "aw_output.h"
#include "aw_pkt.h"
#include "aw_relay_table.h"
#include "aw_route.h"

/* The cache word for binding b (0 when it cannot be cached yet). */
static inline uint32_t
aw_relay_nh_resolve(const struct aw_dp *dp, const struct aw_relay_bind *b)
{
	const struct aw_nexthop *nh = aw_route_lookup(dp->routes, b->addr, b->v6);
	struct aw_addr key;
	int32_t pos;

	if (nh == NULL)
		return 0;
	if (nh->has_gw)
		key = nh->gw;
	else if (b->v6)
		aw_addr_set6(&key, b->addr);
	else
		aw_addr_set4(&key, b->addr);
	pos = rte_hash_lookup(dp->neigh->hash, &key);
	if (pos < 0 || pos > AW_RELAY_NH_POS_MAX)
		return 0;
	return (uint32_t)(pos + 1) | (uint32_t)nh->port << 24;
}

/*
 * Sends m (outer headers in place, family of `to`) towards binding `to` of
 * side s: with the cached next hop when it is usable (MTU checked as the
 * route path does for packets the router originates), else through
 * aw_route_packet, filling the cache on the way when it was empty.
 */
static __rte_always_inline void
aw_relay_nh_send(struct aw_lcore_ctx *c, struct rte_mbuf *m, struct aw_relay_side *s,
		 const struct aw_relay_bind *to, uint32_t seq)
{
	struct aw_dp *dp = c->dp;

	if (likely(to->nh != 0)) {
		uint32_t pos = (to->nh & 0xffffff) - 1;
		unsigned port = to->nh >> 24;
		uint64_t w = __atomic_load_n(&dp->neigh->fast[pos].word, __ATOMIC_ACQUIRE);

		if (likely(w & AW_NEIGH_VALID)) {
			struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
			uint64_t mac = rte_cpu_to_le_64(w); /* MAC in bytes 0-5 (aw_neigh_pack) */

			if (unlikely(rte_pktmbuf_data_len(m) - RTE_ETHER_HDR_LEN >
				     dp->ports[port].mtu)) {
				aw_set_drop(m, AW_DROP_MTU_EXCEEDED);
				return;
			}
			memcpy(&eth->dst_addr, &mac, RTE_ETHER_ADDR_LEN);
			rte_ether_addr_copy(&dp->ports[port].mac, &eth->src_addr);
			aw_set_tx(m, (uint8_t)port);
			return;
		}
	} else {
		uint32_t nh = aw_relay_nh_resolve(dp, to);
		if (nh != 0)
			aw_relay_side_set_nh(s, seq, nh);
	}
	aw_route_packet(c, m, to->v6, true);
}

#endif /* AW_RELAY_NH_H */
