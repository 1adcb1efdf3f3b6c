/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_slowpath — the housekeeper: ARP and neighbour discovery (answers for own
 * addresses and VIPs, learning, resolution of next hops with queued packets,
 * probes, expiry), gratuitous ARP / unsolicited NA when a VIP is added.
 *
 * Contract: exactly one lcore per process is the housekeeper (ctx->housekeeper)
 * and is the only caller of these functions and the only writer of the
 * neighbour cache. Other lcores hand it packets through dp->slow_ring (MP/SC);
 * the API thread asks for announcements through dp->ctl_ring (SP/SC).
 */
#ifndef AW_SLOWPATH_H
#define AW_SLOWPATH_H

#include "aw_dp.h"

/* One packet with verdict AW_V_SLOW; counts its outcome. */
void aw_slow_input(struct aw_lcore_ctx *c, struct rte_mbuf *m);
/* Drains the rings and runs bounded timer work; call once per loop. */
void aw_slow_poll(struct aw_lcore_ctx *c);

/* Request from the API thread (via ctl_ring): announce a VIP on every port. */
struct aw_ctl_msg {
	struct aw_addr vip;
};

/* Drops everything still queued (shutdown), counting it. */
void aw_slow_drain_all(struct aw_lcore_ctx *c);

#endif /* AW_SLOWPATH_H */
