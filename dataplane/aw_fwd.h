/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_fwd — forwarding, the service the classifier and the features call
 * downward: TTL, LPM (aw_route), MTU / DF, neighbour (aw_neigh), Ethernet
 * header, ICMP errors (aw_icmp), and a next-hop cache that a feature keeps
 * per flow (ASRS per session and direction, TRS per relay side).
 *
 * The next-hop cache word (uint32_t, 0: empty) names a neighbour-table
 * position (bits 0-23, + 1) and the route's egress port (bits 24-31). Routes
 * are immutable and neighbour entries are never deleted, so a word stays
 * right for the destination it was made for; the entry's MAC and validity
 * are read on every packet (one atomic load), so a new MAC is seen at once
 * and an unusable neighbour takes the route path, which resolves it. The
 * owner stores the word where its readers find it (relaxed 32-bit store)
 * and clears it when the destination changes.
 *
 * Contract: every function runs on the lcore that owns `c` (rtc or pipeline
 * worker, or the housekeeper for what it sends), sets the verdict of the
 * packet it is given and sends nothing itself (aw_output does). The packet's
 * Ethernet header starts the mbuf, the IP header follows it.
 */
#ifndef AW_FWD_H
#define AW_FWD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "aw_cksum.h"
#include "aw_dp.h"
#include "aw_neigh.h"
#include "aw_route.h"

#define AW_FWD_NH_POS_MAX 0xfffffe /* neighbour positions a cache word can hold */

/* aw_fwd_send flags */
#define AW_FWD_ORIGINATED 0x1 /* made by the data plane: no TTL; too big: dropped */
#define AW_FWD_CHECKED    0x2 /* routed, aw_fwd_check passed: TTL and MTU not re-checked,
			       * TTL decremented, counted `forwarded` */
#define AW_FWD_TTL_DONE   0x4 /* with AW_FWD_CHECKED: the caller's rewrite decremented the
			       * TTL (IPv4: header checksum included), after aw_fwd_check */

static inline unsigned
aw_fwd_nh_port(uint32_t nh)
{
	return nh >> 24;
}

/* The full route path: TTL (unless originated), LPM, MTU, TTL decrement,
 * neighbour. Used for packets no cache word goes with (ICMP answers). */
void aw_fwd_packet(struct aw_lcore_ctx *c, struct rte_mbuf *m, int is_v6, bool originated);

/* The route path for a packet whose cache word was empty or unusable:
 * as aw_fwd_packet (TTL and MTU skipped after aw_fwd_check: AW_FWD_CHECKED),
 * returning the word of its destination's next hop (0: none). One function
 * per flags and family (aw_fwd_send picks it). */
uint32_t aw_fwd_route_checked4(struct aw_lcore_ctx *c, struct rte_mbuf *m);
uint32_t aw_fwd_route_checked6(struct aw_lcore_ctx *c, struct rte_mbuf *m);
/* The same with AW_FWD_TTL_DONE: the TTL the caller decremented is kept. */
uint32_t aw_fwd_route_done4(struct aw_lcore_ctx *c, struct rte_mbuf *m);
uint32_t aw_fwd_route_done6(struct aw_lcore_ctx *c, struct rte_mbuf *m);
uint32_t aw_fwd_route_orig4(struct aw_lcore_ctx *c, struct rte_mbuf *m);
uint32_t aw_fwd_route_orig6(struct aw_lcore_ctx *c, struct rte_mbuf *m);

/* IPv4: RFC 1624 update of the header checksum for the TTL/protocol word.
 * The TTL (the word's high byte) goes down by one, so the checksum goes up
 * by 0x0100 in ones' complement (RFC 1141): one add with end-around carry,
 * which never yields 0xffff, as a full recomputation never does. */
static __rte_always_inline void
aw_fwd_ttl_decrement(uint8_t *ip, const int v6)
{
	if (v6) {
		ip[7]--;
		return;
	}
	uint16_t ck;
	memcpy(&ck, ip + 10, 2);
	uint32_t s = (uint32_t)ck + rte_cpu_to_be_16(0x0100);
	ck = (uint16_t)(s + (s >= 0xffff));
	memcpy(ip + 10, &ck, 2);
	ip[8]--;
}

/* Undoes aw_fwd_ttl_decrement (AW_FWD_TTL_DONE on the route path, for a
 * feature's route_out only). */
static inline void
aw_fwd_ttl_restore(uint8_t *ip, const int v6)
{
	if (v6) {
		ip[7]++;
		return;
	}
	uint16_t old, neu, ck;
	memcpy(&old, ip + 8, 2);
	ip[8]++;
	memcpy(&neu, ip + 8, 2);
	memcpy(&ck, ip + 10, 2);
	ck = aw_csum_update16(ck, old, neu);
	memcpy(ip + 10, &ck, 2);
}

/* The cached next hop nh (non-zero): true and verdict set when its
 * neighbour is usable (an originated packet over the MTU included: dropped). */
static __rte_always_inline bool
aw_fwd_nh_tx(struct aw_lcore_ctx *c, struct rte_mbuf *m, uint32_t nh, unsigned flags,
	     const int v6)
{
	struct aw_dp *dp = c->dp;
	uint64_t w = aw_neigh_word(dp->neigh, (nh & 0xffffff) - 1);
	unsigned port = aw_fwd_nh_port(nh);

	if (unlikely(!(w & AW_NEIGH_VALID)))
		return false;
	if (flags & AW_FWD_ORIGINATED) {
		if (unlikely(rte_pktmbuf_data_len(m) - RTE_ETHER_HDR_LEN > dp->ports[port].mtu)) {
			aw_set_drop(m, AW_DROP_MTU_EXCEEDED);
			return true;
		}
	} else {
		if (!(flags & AW_FWD_TTL_DONE))
			aw_fwd_ttl_decrement(rte_pktmbuf_mtod_offset(m, uint8_t *, RTE_ETHER_HDR_LEN), v6);
		c->stats.info[AW_INFO_FORWARDED]++;
	}
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint64_t mac = rte_cpu_to_le_64(w); /* MAC in bytes 0-5 */
	memcpy(&eth->dst_addr, &mac, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&dp->ports[port].mac, &eth->src_addr);
	aw_set_tx(m, (uint8_t)port);
	return true;
}

/* Sends m toward its destination with cache word nh when its neighbour is
 * usable (Ethernet header from the entry; TTL decremented and `forwarded`
 * counted for AW_FWD_CHECKED, MTU checked for AW_FWD_ORIGINATED), else
 * through the route path. flags: exactly one of the two (AW_FWD_TTL_DONE may
 * go with AW_FWD_CHECKED). Returns the word
 * for the packet's destination (nh itself, the one the route path found, or
 * 0: none). Inline: the cached path costs no call. */
static __rte_always_inline uint32_t
aw_fwd_send(struct aw_lcore_ctx *c, struct rte_mbuf *m, uint32_t nh, int is_v6, unsigned flags)
{
	if (likely(nh != 0) && likely(aw_fwd_nh_tx(c, m, nh, flags, is_v6)))
		return nh;
	if (flags & AW_FWD_ORIGINATED)
		return is_v6 ? aw_fwd_route_orig6(c, m) : aw_fwd_route_orig4(c, m);
	if (flags & AW_FWD_TTL_DONE) /* the route path keeps the caller's decrement */
		return is_v6 ? aw_fwd_route_done6(c, m) : aw_fwd_route_done4(c, m);
	return is_v6 ? aw_fwd_route_checked6(c, m) : aw_fwd_route_checked4(c, m);
}

/* The cache word for destination dst (4 or 16 bytes): LPM, then the
 * neighbour's position when it has an entry; 0 otherwise. */
uint32_t aw_fwd_nh_resolve(const struct aw_dp *dp, const uint8_t *dst, int is_v6);

/* aw_fwd_check's cold half: verdict set, returns false. */
bool aw_fwd_check_fail(struct aw_lcore_ctx *c, struct rte_mbuf *m, uint32_t len, uint16_t shrink,
		       const uint8_t *ndst, int is_v6);

/*
 * For a packet a feature routes after rewriting it (not originated), before
 * the rewrite, so that errors quote what the sender sent and go back to it:
 * TTL about to expire → ICMP time exceeded; `len` (its IP length once
 * rewritten, `shrink` bytes shorter) larger than the egress MTU toward ndst
 * → ICMP too big (MTU + shrink) for DF / IPv6, else dropped. nh: the cache
 * word toward ndst, or 0 (the route is then looked up only when len exceeds
 * the smallest port MTU). False: verdict set. Then aw_fwd_send(...,
 * AW_FWD_CHECKED) once the packet is rewritten.
 */
static __rte_always_inline bool
aw_fwd_check(struct aw_lcore_ctx *c, struct rte_mbuf *m, uint32_t len, uint16_t shrink,
	     const uint8_t *ndst, uint32_t nh, const int v6)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN);
	const struct aw_dp *dp = c->dp;

	if (unlikely((v6 ? ip[7] : ip[8]) <= 1))
		return aw_fwd_check_fail(c, m, len, shrink, ndst, v6);
	if (likely(nh != 0)) { /* the cached port's MTU, nothing else loaded */
		if (likely(len <= dp->ports[aw_fwd_nh_port(nh)].mtu))
			return true;
	} else if (len <= dp->routes->min_mtu) {
		return true;
	}
	return aw_fwd_check_fail(c, m, len, shrink, ndst, v6);
}

/* The TTL part of aw_fwd_check alone (a feature deciding whether to make
 * state for a packet that dies here). False: verdict set. */
static __rte_always_inline bool
aw_fwd_ttl_ok(struct aw_lcore_ctx *c, struct rte_mbuf *m, const int v6)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN);

	if (likely((v6 ? ip[7] : ip[8]) > 1))
		return true;
	return aw_fwd_check_fail(c, m, 0, 0, NULL, v6);
}

#endif /* AW_FWD_H */
