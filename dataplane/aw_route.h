/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_route — longest-prefix-match routing per family (rte_lpm / rte_lpm6)
 * over the ports' connected prefixes and the configured static routes.
 *
 * Contract: built once by main before lcores start (aw_routes_build), then
 * immutable: aw_route_lookup is safe from every lcore without locks.
 */
#ifndef AW_ROUTE_H
#define AW_ROUTE_H

#include <stdint.h>

#include <rte_lpm.h>
#include <rte_lpm6.h>

#include "aw_inet.h"

struct aw_dp;

struct aw_nexthop {
	uint8_t port;   /* index into dp->ports */
	uint8_t has_gw; /* 0: connected, the destination itself is the next hop */
	uint8_t feat;   /* 0; else id + 1 of the feature the packets go to (route_out) */
	struct aw_addr gw;
};

struct aw_routes {
	struct rte_lpm *lpm4;
	struct rte_lpm6 *lpm6;
	int32_t default4, default6; /* next hop of /0 (LPM needs depth >= 1), or -1 */
	uint16_t min_mtu;           /* smallest port MTU: a packet within it fits any route */
	uint32_t n_nh;
	struct aw_nexthop nh[];
};

/* Builds the tables from dp->ports and dp->cfg->routes; -1 with err set. */
int aw_routes_build(struct aw_dp *dp, char *err, size_t errlen);
void aw_routes_free(struct aw_routes *r);

/* Next hop for a destination (4 or 16 bytes, network order), or NULL. */
static inline const struct aw_nexthop *
aw_route_lookup(const struct aw_routes *r, const uint8_t *dst, int is_v6)
{
	uint32_t idx;

	if (is_v6) {
		if (rte_lpm6_lookup(r->lpm6, dst, &idx) == 0)
			return &r->nh[idx];
		return r->default6 >= 0 ? &r->nh[r->default6] : NULL;
	}
	uint32_t a;
	memcpy(&a, dst, 4);
	if (rte_lpm_lookup(r->lpm4, rte_be_to_cpu_32(a), &idx) == 0)
		return &r->nh[idx];
	return r->default4 >= 0 ? &r->nh[r->default4] : NULL;
}

#endif /* AW_ROUTE_H */
