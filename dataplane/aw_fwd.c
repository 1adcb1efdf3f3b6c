/* SPDX-License-Identifier: BSD-3-Clause */
/* Forwarding: the out-of-line entry points of aw_fwd.h around the inline
 * route path (aw_fwd_inline.h). */
#include "aw_fwd_inline.h"

void
aw_fwd_packet(struct aw_lcore_ctx *c, struct rte_mbuf *m, int is_v6, bool originated)
{
	if (is_v6)
		aw_fwd_route_inline(c, m, originated, false, 1);
	else
		aw_fwd_route_inline(c, m, originated, false, 0);
}

uint32_t
aw_fwd_route_checked4(struct aw_lcore_ctx *c, struct rte_mbuf *m)
{
	return aw_fwd_route_inline(c, m, false, true, 0);
}

uint32_t
aw_fwd_route_checked6(struct aw_lcore_ctx *c, struct rte_mbuf *m)
{
	return aw_fwd_route_inline(c, m, false, true, 1);
}

uint32_t
aw_fwd_route_done4(struct aw_lcore_ctx *c, struct rte_mbuf *m)
{
	return aw_fwd_route_ttl(c, m, false, true, true, 0);
}

uint32_t
aw_fwd_route_done6(struct aw_lcore_ctx *c, struct rte_mbuf *m)
{
	return aw_fwd_route_ttl(c, m, false, true, true, 1);
}

uint32_t
aw_fwd_route_orig4(struct aw_lcore_ctx *c, struct rte_mbuf *m)
{
	return aw_fwd_route_inline(c, m, true, false, 0);
}

uint32_t
aw_fwd_route_orig6(struct aw_lcore_ctx *c, struct rte_mbuf *m)
{
	return aw_fwd_route_inline(c, m, true, false, 1);
}

uint32_t
aw_fwd_nh_resolve(const struct aw_dp *dp, const uint8_t *dst, int is_v6)
{
	const struct aw_nexthop *nh = aw_route_lookup(dp->routes, dst, is_v6);
	struct aw_addr key;

	if (nh == NULL || nh->feat != 0) /* a feature's route: no neighbour to cache */
		return 0;
	if (nh->has_gw)
		key = nh->gw;
	else if (is_v6)
		aw_addr_set6(&key, dst);
	else
		aw_addr_set4(&key, dst);
	return aw_fwd_nh_word(rte_hash_lookup(dp->neigh->hash, &key), nh->port);
}

bool
aw_fwd_check_fail(struct aw_lcore_ctx *c, struct rte_mbuf *m, uint32_t len, uint16_t shrink,
		  const uint8_t *ndst, int is_v6)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, AW_FWD_L3_OFF);
	struct aw_dp *dp = c->dp;
	uint16_t f;

	if ((is_v6 ? ip[7] : ip[8]) <= 1) {
		c->stats.info[AW_INFO_TTL_EXPIRED]++;
		aw_icmp_error(c, m, is_v6, AW_ICMP_TIME_EXCEEDED, 0, AW_DROP_TTL_EXCEEDED);
		return false;
	}
	const struct aw_nexthop *nh = aw_route_lookup(dp->routes, ndst, is_v6);
	if (nh == NULL || nh->feat != 0 || len <= dp->ports[nh->port].mtu)
		return true; /* aw_fwd_send counts no_route; a feature sizes its own */
	memcpy(&f, ip + 6, 2);
	if (is_v6 || (rte_be_to_cpu_16(f) & RTE_IPV4_HDR_DF_FLAG))
		aw_icmp_error(c, m, is_v6, AW_ICMP_TOO_BIG, dp->ports[nh->port].mtu + shrink,
			      AW_DROP_MTU_EXCEEDED);
	else
		aw_set_drop(m, AW_DROP_MTU_EXCEEDED);
	return false;
}
