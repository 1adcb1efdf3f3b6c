/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_asrs_dnh — a small per-lcore cache of next-hop cache words (aw_fwd.h)
 * by destination address, so that a new session toward a destination this
 * lcore already sends to starts with its word instead of taking the route
 * path with its first packet. A word stays right for the address it was made
 * for (routes are immutable, neighbour entries never deleted: aw_fwd.h), so
 * entries need no invalidation; a word whose neighbour is unusable makes
 * aw_fwd_send take the route path, as for any session.
 *
 * Direct-mapped, 2^AW_ASRS_DNH_BITS entries, keyed by the family and the 16
 * address bytes (IPv4: 4 bytes, zero padded).
 *
 * Contract: only the lcore owning the struct aw_asrs_lcore.
 */
#ifndef AW_ASRS_DNH_H
#define AW_ASRS_DNH_H

#include <stdint.h>
#include <string.h>

#include "aw_asrs_priv.h"

static __rte_always_inline struct aw_asrs_dnh *
aw_dnh_slot(struct aw_asrs_lcore *l, const uint8_t *addr, uint8_t v6)
{
	uint64_t w[2];

	memcpy(w, addr, 16);
	uint64_t x = (w[0] ^ (w[1] + v6) * 0x9e3779b97f4a7c15ull) * 0xc2b2ae3d27d4eb4full;
	return &l->dnh[x >> (64 - AW_ASRS_DNH_BITS)];
}

/* The word cached for addr, or 0. */
static __rte_always_inline uint32_t
aw_dnh_get(struct aw_asrs_lcore *l, const uint8_t *addr, uint8_t v6)
{
	const struct aw_asrs_dnh *e = aw_dnh_slot(l, addr, v6);

	return e->nh != 0 && e->v6 == v6 && memcmp(e->addr, addr, 16) == 0 ? e->nh : 0;
}

static __rte_always_inline void
aw_dnh_put(struct aw_asrs_lcore *l, const uint8_t *addr, uint8_t v6, uint32_t nh)
{
	struct aw_asrs_dnh *e = aw_dnh_slot(l, addr, v6);

	if (nh == 0 || (e->nh == nh && e->v6 == v6 && memcmp(e->addr, addr, 16) == 0))
		return;
	memcpy(e->addr, addr, 16);
	e->v6 = v6;
	e->nh = nh;
}

#endif /* AW_ASRS_DNH_H */
