/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_route.h"

#include <stdio.h>

#include <rte_malloc.h>

#include "aw_dp.h"
#include "aw_feature.h"

static int
add_route(struct aw_routes *r, const struct aw_prefix *pfx, const struct aw_nexthop *nh,
	  char *err, size_t errlen)
{
	char buf[AW_ADDR_STRLEN];
	uint32_t idx = r->n_nh++;
	int rc;

	r->nh[idx] = *nh;
	if (pfx->len == 0) {
		if (pfx->addr.family == AW_AF_INET4)
			r->default4 = (int32_t)idx;
		else
			r->default6 = (int32_t)idx;
		return 0;
	}
	if (pfx->addr.family == AW_AF_INET4) {
		uint32_t a;
		memcpy(&a, pfx->addr.b, 4);
		rc = rte_lpm_add(r->lpm4, rte_be_to_cpu_32(a), pfx->len, idx);
	} else {
		rc = rte_lpm6_add(r->lpm6, pfx->addr.b, pfx->len, idx);
	}
	if (rc < 0) {
		snprintf(err, errlen, "route %s: LPM add failed (%s)",
			 aw_prefix_format(pfx, buf, sizeof(buf)), rte_strerror(-rc));
		return -1;
	}
	return 0;
}

/* Last, so that a feature's prefix replaces a connected or static one. */
static int
add_feature_routes(struct aw_dp *dp, struct aw_routes *r, char *err, size_t errlen)
{
	for (unsigned f = 0; f < AW_FEAT__COUNT; f++) {
		const struct aw_prefix *fp = NULL;
		unsigned n = aw_features[f]->route_prefixes != NULL
				     ? aw_features[f]->route_prefixes(dp->cfg, &fp)
				     : 0;
		for (unsigned i = 0; i < n; i++) {
			struct aw_nexthop nh = {.port = 0, .feat = (uint8_t)(f + 1)};
			if (add_route(r, &fp[i], &nh, err, errlen) < 0)
				return -1;
		}
	}
	return 0;
}

int
aw_routes_build(struct aw_dp *dp, char *err, size_t errlen)
{
	const struct aw_config *cfg = dp->cfg;
	uint32_t n = cfg->n_routes;
	for (unsigned p = 0; p < dp->n_ports; p++)
		n += dp->ports[p].n_addrs;
	for (unsigned f = 0; f < AW_FEAT__COUNT; f++) {
		const struct aw_prefix *fp;
		if (aw_features[f]->route_prefixes != NULL)
			n += aw_features[f]->route_prefixes(cfg, &fp);
	}

	struct aw_routes *r = rte_zmalloc("aw_routes", sizeof(*r) + (n + 1) * sizeof(r->nh[0]), 0);
	struct rte_lpm_config c4 = {.max_rules = n + 16, .number_tbl8s = 256};
	struct rte_lpm6_config c6 = {.max_rules = n + 16, .number_tbl8s = 1 << 12};
	if (r == NULL) {
		snprintf(err, errlen, "routes: out of memory");
		return -1;
	}
	dp->routes = r;
	r->default4 = r->default6 = -1;
	r->min_mtu = UINT16_MAX;
	for (unsigned p = 0; p < dp->n_ports; p++)
		r->min_mtu = RTE_MIN(r->min_mtu, dp->ports[p].mtu);
	r->lpm4 = rte_lpm_create("aw_lpm4", (int)rte_socket_id(), &c4);
	r->lpm6 = rte_lpm6_create("aw_lpm6", (int)rte_socket_id(), &c6);
	if (r->lpm4 == NULL || r->lpm6 == NULL) {
		snprintf(err, errlen, "routes: cannot create LPM tables (%s)",
			 rte_strerror(rte_errno));
		return -1;
	}
	/* Connected prefixes first; a static route for the same prefix replaces it. */
	for (unsigned p = 0; p < dp->n_ports; p++) {
		for (unsigned k = 0; k < dp->ports[p].n_addrs; k++) {
			struct aw_prefix pfx = dp->ports[p].addrs[k];
			struct aw_nexthop nh = {.port = (uint8_t)p};
			aw_prefix_mask(&pfx);
			if (add_route(r, &pfx, &nh, err, errlen) < 0)
				return -1;
		}
	}
	for (unsigned i = 0; i < cfg->n_routes; i++) {
		const struct aw_route_conf *rc = &cfg->routes[i];
		struct aw_nexthop nh = {.port = (uint8_t)rc->port, .has_gw = rc->has_via,
					.gw = rc->via};
		if (add_route(r, &rc->prefix, &nh, err, errlen) < 0)
			return -1;
	}
	return add_feature_routes(dp, r, err, errlen);
}

void
aw_routes_free(struct aw_routes *r)
{
	if (r == NULL)
		return;
	rte_lpm_free(r->lpm4);
	rte_lpm6_free(r->lpm6);
	rte_free(r);
}
