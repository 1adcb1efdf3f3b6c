/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_slowpath_nd — IPv6 neighbour discovery (RFC 4861) for the housekeeper,
 * and the helpers the ARP and ND halves of the slow path share.
 *
 * Contract: housekeeper lcore only (see aw_slowpath.h).
 */
#ifndef AW_SLOWPATH_ND_H
#define AW_SLOWPATH_ND_H

#include "aw_dp.h"

void aw_nd_input(struct aw_lcore_ctx *c, struct rte_mbuf *m);
void aw_nd_send_ns(struct aw_lcore_ctx *c, unsigned port, const struct aw_addr *src,
		   const struct aw_addr *target);
void aw_nd_send_unsolicited_na(struct aw_lcore_ctx *c, unsigned port, const struct aw_addr *vip);

/* shared with the ARP half */
bool aw_slow_source_addr(const struct aw_port *port, const struct aw_addr *dst,
			 struct aw_addr *src);
bool aw_slow_answers_for(struct aw_lcore_ctx *c, const uint8_t *a, uint8_t family,
			 uint8_t port, bool *is_vip);
void aw_slow_flush_pending(struct aw_lcore_ctx *c, int32_t pos, const struct rte_ether_addr *mac);
/* Learns the sender of an ARP request / NS aimed at one of our addresses on
 * port index `port`, when it is on one of that port's connected prefixes and
 * not ours, multicast or unspecified (aw_neigh_learn_request). */
void aw_slow_learn_sender(struct aw_lcore_ctx *c, const struct aw_addr *sender,
			  const struct rte_ether_addr *mac, uint8_t port);

#endif /* AW_SLOWPATH_ND_H */
