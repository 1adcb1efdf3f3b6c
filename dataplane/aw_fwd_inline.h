/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_fwd_inline — the route path of the forwarding module, always inline:
 * TTL, LPM, MTU / DF, TTL decrement, neighbour, Ethernet header. For the
 * forwarding module's own functions (aw_fwd.c) and the classifier's transit
 * packets (aw_pkt.c), which would otherwise pay a call per packet. Features
 * use aw_fwd.h. See aw_fwd.h for the contract.
 */
#ifndef AW_FWD_INLINE_H
#define AW_FWD_INLINE_H

#include <stddef.h>

#include <rte_ip.h>

#include "aw_cksum.h"
#include "aw_dp.h"
#include "aw_feature.h"
#include "aw_fwd.h"
#include "aw_icmp.h"
#include "aw_neigh_priv.h"
#include "aw_output.h"
#include "aw_route.h"

#define AW_FWD_L3_OFF RTE_ETHER_HDR_LEN

static __rte_always_inline const uint8_t *
aw_fwd_ip_dst(const uint8_t *ip, const int v6)
{
	return v6 ? ip + 24 : ip + 16;
}

/* TTL / hop limit about to run out: ICMP time exceeded (or a counted drop). */
static __rte_always_inline bool
aw_fwd_ttl_alive(struct aw_lcore_ctx *c, struct rte_mbuf *m, const uint8_t *ip, const int v6)
{
	if (likely((v6 ? ip[7] : ip[8]) > 1))
		return true;
	c->stats.info[AW_INFO_TTL_EXPIRED]++;
	aw_icmp_error(c, m, v6, AW_ICMP_TIME_EXCEEDED, 0, AW_DROP_TTL_EXCEEDED);
	return false;
}

/* Larger than the egress MTU: ICMP for DF / IPv6, else a counted drop. */
static __rte_always_inline bool
aw_fwd_mtu_ok(struct aw_lcore_ctx *c, struct rte_mbuf *m, const uint8_t *ip, uint16_t mtu,
	      bool originated, const int v6)
{
	uint32_t len = rte_pktmbuf_data_len(m) - AW_FWD_L3_OFF;
	uint16_t f;

	if (likely(len <= mtu))
		return true;
	memcpy(&f, ip + 6, 2);
	bool df = v6 || (rte_be_to_cpu_16(f) & RTE_IPV4_HDR_DF_FLAG);
	if (originated || !df)
		aw_set_drop(m, AW_DROP_MTU_EXCEEDED);
	else
		aw_icmp_error(c, m, v6, AW_ICMP_TOO_BIG, mtu, AW_DROP_MTU_EXCEEDED);
	return false;
}

/* The next-hop cache word of neighbour position pos reached on `port`. */
static __rte_always_inline uint32_t
aw_fwd_nh_word(int32_t pos, unsigned port)
{
	if (pos < 0 || pos > AW_FWD_NH_POS_MAX)
		return 0;
	return (uint32_t)(pos + 1) | (uint32_t)port << 24;
}

/* Same 20 bytes (family, padding and address: what the neighbour hash
 * compares)? Three loads a side, no call. */
static __rte_always_inline bool
aw_fwd_key_eq(const struct aw_addr *a, const struct aw_addr *b)
{
	uint64_t a0, a1, b0, b1;
	uint32_t a2, b2;

	RTE_BUILD_BUG_ON(sizeof(*a) != 20);
	memcpy(&a0, a, 8);
	memcpy(&a1, (const uint8_t *)a + 8, 8);
	memcpy(&a2, (const uint8_t *)a + 16, 4);
	memcpy(&b0, b, 8);
	memcpy(&b1, (const uint8_t *)b + 8, 8);
	memcpy(&b2, (const uint8_t *)b + 16, 4);
	return ((a0 ^ b0) | (a1 ^ b1) | (uint64_t)(a2 ^ b2)) == 0;
}

/* Is k the key aw_addr_set4 makes of the 4 bytes at a (family, zero padding,
 * the address, zeros)? Compared in registers, no key built. */
static __rte_always_inline bool
aw_fwd_key4_eq(const struct aw_addr *k, const uint8_t *a)
{
	const uint8_t *kb = (const uint8_t *)k;
	uint32_t fam, addr, want;
	uint64_t rest;
	uint32_t last;

	RTE_BUILD_BUG_ON(offsetof(struct aw_addr, b) != 4 || sizeof(*k) != 20);
	memcpy(&fam, kb, 4);        /* family and padding: {AW_AF_INET4, 0, 0, 0} */
	memcpy(&addr, kb + 4, 4);
	memcpy(&want, a, 4);
	memcpy(&rest, kb + 8, 8);   /* b[4..11] */
	memcpy(&last, kb + 16, 4);  /* b[12..15] */
	return ((fam ^ rte_cpu_to_le_32(AW_AF_INET4)) | (addr ^ want) | last | rest) == 0;
}

/* The neighbour position of key (or < 0: none yet), through the lcore's
 * one-entry cache of the last key found (c->nb_valid: there is one): a key
 * keeps its position for the table's life (aw_neigh_priv.h), so only the
 * hash lookup is saved; the entry's state is read afresh by the caller. The
 * cache compares the key's 20 bytes, as the hash does, so it answers for
 * exactly the keys the hash would find at that position, whatever their
 * padding; a zeroed context has no entry, whatever the key. */
static __rte_always_inline int32_t
aw_fwd_neigh_pos(struct aw_lcore_ctx *c, const struct aw_addr *key)
{
	if (likely(c->nb_valid && aw_fwd_key_eq(key, &c->nb_key)))
		return c->nb_pos;
	int32_t pos = rte_hash_lookup(c->dp->neigh->hash, key);
	if (pos >= 0) {
		c->nb_key = *key;
		c->nb_pos = pos;
		c->nb_valid = true;
	}
	return pos;
}

/*
 * Routes an IP packet whose Ethernet header starts the mbuf and sets its
 * verdict. As RFC 1812 §5.2: TTL, route, MTU (errors quote the packet as
 * received), then the TTL is decremented. `checked`: the caller ran
 * aw_fwd_check on it (TTL alive, fits the egress MTU), so neither is looked
 * at again. `ttl_done` (with `checked`): the caller's rewrite decremented
 * the TTL already (AW_FWD_TTL_DONE), so it is not decremented here (a
 * feature's route_out, which expects it not yet decremented, gets it
 * restored). Returns the next-hop cache word of the destination (0: none).
 */
static __rte_always_inline uint32_t
aw_fwd_route_ttl(struct aw_lcore_ctx *c, struct rte_mbuf *m, bool originated, bool checked,
		 bool ttl_done, const int v6)
{
	struct aw_dp *dp = c->dp;
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, AW_FWD_L3_OFF);
	const struct aw_nexthop *nh;
	struct aw_addr key;
	int32_t pos;

	if (!originated && !checked && !aw_fwd_ttl_alive(c, m, ip, v6))
		return 0;
	nh = aw_route_lookup(dp->routes, aw_fwd_ip_dst(ip, v6), v6);
	if (unlikely(nh == NULL)) {
		aw_set_drop(m, AW_DROP_NO_ROUTE);
		return 0;
	}
	if (unlikely(nh->feat != 0)) { /* a prefix a feature takes (aw_feature.h route_out) */
		if (ttl_done)
			aw_fwd_ttl_restore(ip, v6);
		aw_features[nh->feat - 1]->route_out(c, m, originated, v6);
		return 0;
	}
	if (!checked && !aw_fwd_mtu_ok(c, m, ip, dp->ports[nh->port].mtu, originated, v6))
		return 0;
	if (!originated && !ttl_done)
		aw_fwd_ttl_decrement(ip, v6);
	if (nh->has_gw) {
		pos = aw_fwd_neigh_pos(c, &nh->gw);
	} else if (!v6 && likely(c->nb_valid && aw_fwd_key4_eq(&c->nb_key, ip + 16))) {
		pos = c->nb_pos; /* the cached key is this IPv4 destination's */
	} else {
		if (v6)
			aw_addr_set6(&key, aw_fwd_ip_dst(ip, v6));
		else
			aw_addr_set4(&key, aw_fwd_ip_dst(ip, v6));
		pos = aw_fwd_neigh_pos(c, &key);
	}
	const uint64_t w = likely(pos >= 0) ? aw_neigh_word(dp->neigh, (uint32_t)pos) : 0;
	if (likely(w & AW_NEIGH_VALID)) {
		aw_l2_write_word(rte_pktmbuf_mtod(m, struct rte_ether_hdr *), w,
				 &dp->ports[nh->port].mac);
		aw_set_tx(m, nh->port);
		if (!originated)
			c->stats.info[AW_INFO_FORWARDED]++;
	} else {
		aw_set_slow(m, AW_SLOW_RESOLVE);
	}
	return aw_fwd_nh_word(pos, nh->port);
}

/* The route path of a packet whose TTL no caller decremented. */
static __rte_always_inline uint32_t
aw_fwd_route_inline(struct aw_lcore_ctx *c, struct rte_mbuf *m, bool originated, bool checked,
		    const int v6)
{
	return aw_fwd_route_ttl(c, m, originated, checked, false, v6);
}

#endif /* AW_FWD_INLINE_H */
