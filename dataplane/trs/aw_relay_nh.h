/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_relay_nh — sending a relayed packet with the next-hop cache word
 * (aw_fwd.h) kept in the side's binding (struct aw_relay_bind.nh). The word
 * is made from the binding's address; it is stored only from the version the
 * binding was read at (aw_relay_side_set_nh, under the side's seqlock), and a
 * rebinding clears it (aw_relay_path.c).
 *
 * Contract: lcores only, from the relay's data path (aw_relay_path.c), with
 * a binding read at version seq by aw_relay_bind_read.
 */
#ifndef AW_RELAY_NH_H
#define AW_RELAY_NH_H

#include <rte_mbuf.h>

#include "aw_dp.h"
#include "aw_fwd.h"
#include "aw_relay_table.h"

_Static_assert(AW_RELAY_NH_POS_MAX == AW_FWD_NH_POS_MAX, "the binding holds aw_fwd cache words");

/*
 * Sends m (outer headers in place, family of `to`, made by the relay: too
 * big is dropped) towards binding `to` of side s, through its cached next
 * hop, filling the cache first when it is empty.
 */
static __rte_always_inline void
aw_relay_nh_send(struct aw_lcore_ctx *c, struct rte_mbuf *m, struct aw_relay_side *s,
		 const struct aw_relay_bind *to, uint32_t seq)
{
	uint32_t nh = to->nh;

	if (unlikely(nh == 0)) {
		nh = aw_fwd_nh_resolve(c->dp, to->addr, to->v6);
		if (nh != 0)
			aw_relay_side_set_nh(s, seq, nh);
	}
	aw_fwd_send(c, m, nh, to->v6, AW_FWD_ORIGINATED);
}

#endif /* AW_RELAY_NH_H */
