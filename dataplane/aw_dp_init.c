/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_dp_init.h"

#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "aw_addrset.h"
#include "aw_feature.h"
#include "aw_lcore.h"
#include "aw_neigh.h"
#include "aw_pkt.h"
#include "aw_port.h"
#include "aw_route.h"

static int
register_meta(char *err, size_t errlen)
{
	if (aw_meta_register() < 0) {
		snprintf(err, errlen, "cannot register the mbuf dynfield: %s",
			 rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static int
build_tables(struct aw_dp *dp, char *err, size_t errlen)
{
	const struct aw_config *cfg = dp->cfg;

	if (aw_routes_build(dp, err, errlen) < 0)
		return -1;
	dp->neigh = aw_neigh_create(&cfg->neigh, dp->tsc_hz, err, errlen);
	if (dp->neigh == NULL)
		return -1;
	for (unsigned i = 0; i < cfg->n_neighbors; i++) {
		struct rte_ether_addr mac;
		memcpy(mac.addr_bytes, cfg->neighbors[i].mac.b, 6);
		if (aw_neigh_add_static(dp->neigh, &cfg->neighbors[i].addr, &mac,
					(uint8_t)cfg->neighbors[i].port) < 0) {
			snprintf(err, errlen, "neighbors[%u]: neighbour cache full", i);
			return -1;
		}
	}
	dp->addrs = aw_addrset_build(dp->ports, dp->n_ports, cfg->vips, cfg->n_vips);
	if (dp->addrs == NULL) {
		snprintf(err, errlen, "out of memory for the address set");
		return -1;
	}
	return 0;
}

int
aw_feat_claim(struct aw_dp *dp, uint8_t *slot, uint8_t id, const char *what, char *err,
	      size_t errlen)
{
	(void)dp;
	if (*slot != AW_FEAT_NONE && *slot != id + 1) {
		snprintf(err, errlen, "%s: %s is already taken by %s", aw_features[id]->name, what,
			 aw_features[*slot - 1]->name);
		return -1;
	}
	*slot = (uint8_t)(id + 1);
	return 0;
}

int
aw_feat_claim_udp(struct aw_dp *dp, uint16_t port_be, uint8_t id, char *err, size_t errlen)
{
	struct aw_steer *st = &dp->steer;

	for (unsigned i = 0; i < st->n_udp; i++)
		if (st->udp[i].port_be == port_be)
			return aw_feat_claim(dp, &st->udp[i].feat, id, "the UDP port", err, errlen);
	if (st->n_udp == AW_STEER_MAX_UDP) {
		snprintf(err, errlen, "%s: more than %u UDP ports claimed by the features",
			 aw_features[id]->name, AW_STEER_MAX_UDP);
		return -1;
	}
	st->udp[st->n_udp].port_be = port_be;
	st->udp[st->n_udp].feat = (uint8_t)(id + 1);
	if (st->n_udp++ == 0)
		st->udp0_key = (uint32_t)port_be | 0x10000;
	return 0;
}

/* Each configured feature, in id order (aw_feature.h: create). */
static int
features_create(struct aw_dp *dp, char *err, size_t errlen)
{
	for (unsigned f = 0; f < AW_FEAT__COUNT; f++)
		if (aw_features[f]->create(dp, err, errlen) < 0)
			return -1;
	return 0;
}

int
aw_dp_init(struct aw_dp *dp, struct aw_config *cfg, char *err, size_t errlen)
{
	unsigned n_rx, n_tx;

	dp->cfg = cfg;
	dp->tsc_hz = rte_get_tsc_hz();
	aw_lcores_layout(cfg, &n_rx, &n_tx);
	if (register_meta(err, errlen) < 0 || aw_ports_pool(dp, err, errlen) < 0 ||
	    aw_ports_start(dp, n_rx, n_tx, err, errlen) < 0 || build_tables(dp, err, errlen) < 0 ||
	    aw_lcores_setup(dp, err, errlen) < 0 || features_create(dp, err, errlen) < 0)
		return -1;
	return 0;
}

void
aw_dp_fini(struct aw_dp *dp)
{
	aw_lcores_teardown(dp);
	for (unsigned f = AW_FEAT__COUNT; f-- > 0;)
		aw_features[f]->destroy(dp);
	aw_ports_stop(dp);
	aw_neigh_free(dp->neigh);
	aw_routes_free(dp->routes);
	aw_addrset_free(dp->addrs);
	for (unsigned i = 0; i < dp->n_ctx; i++)
		rte_free(dp->ctx_list[i]);
	rte_free(dp->rcu);
	rte_ring_free(dp->slow_ring);
	rte_ring_free(dp->ctl_ring);
	rte_mempool_free(dp->pool);
	memset(dp, 0, sizeof(*dp));
}
