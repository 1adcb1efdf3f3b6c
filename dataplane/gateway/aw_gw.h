/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_gw — the overlay gateway inside the data plane (SPEC §6): a tunnel end.
 * It holds the End Key of each gateway path; CAPSULEs from a node to the
 * gateway port are verified, checked against the anti-replay window,
 * decrypted, and their inner packet (whose source must be the path's
 * node_addr) is handed back to the core (aw_set_again) to go through ASRS or
 * routing as if it had arrived on the port. A verified capsule binds the path
 * to its outer source address and port (newest verified wins).
 *
 * Outbound, the gateway takes what forwarding routes into its overlay
 * prefixes (`gateway.prefixes`, installed as routes to the feature: see
 * aw_feature.h route_prefixes / route_out): the path of the destination
 * node_addr is found, the packet (TTL decremented as a router does) becomes
 * the plaintext of a CAPSULE sealed with the path's key and the gateway's own
 * per-path sequence number (R = 1, txid drawn at install so that a restarted
 * gateway never reuses a GCM nonce), sent from the gateway port on the own
 * address the node last reached to the bound address. No binding, or a
 * binding idle beyond the path's idle_timeout_s → `gw_unbound`.
 *
 * Contract:
 *  - config parse / free: main thread at config load; create / destroy: main
 *    thread before lcores start / after they stopped.
 *  - aw_gw_burst, aw_gw_route_out, aw_gw_tick: the lcore owning `c` (rtc or
 *    pipeline worker), between two of its quiescent states.
 *  - API methods: the API thread only; a request is validated whole, then
 *    applied under gw->lock.
 */
#ifndef AW_GW_H
#define AW_GW_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "aw_api.h"
#include "aw_conf_json.h"
#include "aw_config.h"
#include "aw_dp.h"
#include "aw_feature.h"

struct aw_gw;
struct aw_gw_conf;
struct aw_gw_lcore;

extern const struct aw_feature_ops aw_gw_ops;

static inline struct aw_gw *
aw_gw_of(const struct aw_dp *dp)
{
	return dp->feat[AW_FEAT_GATEWAY];
}

static inline struct aw_gw_lcore *
aw_gw_lc(const struct aw_lcore_ctx *c)
{
	return c->feat_lc[AW_FEAT_GATEWAY];
}

static inline const struct aw_gw_conf *
aw_gw_conf_of(const struct aw_config *cfg)
{
	return cfg->feat_conf[AW_FEAT_GATEWAY];
}

/* Keys "gateway" and "gateways" (dataplane/CONFIG.md); cfg->feat_conf left
 * NULL when neither is present (gateway off). */
int aw_gw_config_parse(struct aw_jctx *c, json_t *root, struct aw_config *cfg);
void aw_gw_config_free(void *conf);
unsigned aw_gw_route_prefixes(const struct aw_config *cfg, const struct aw_prefix **out);

int aw_gw_create(struct aw_dp *dp, char *err, size_t errlen);
void aw_gw_destroy(struct aw_dp *dp);

void aw_gw_burst(struct aw_lcore_ctx *c, struct aw_feat_batch *b);
void aw_gw_route_out(struct aw_lcore_ctx *c, struct rte_mbuf *m, bool originated, int v6);
void aw_gw_tick(struct aw_lcore_ctx *c, uint64_t now_tsc);

json_t *aw_gw_stats_json(const struct aw_dp *dp);
extern const struct aw_feat_metric aw_gw_metrics[]; /* its numbers' metric types */

extern const struct aw_api_method aw_gw_api_methods[];
extern const unsigned aw_gw_n_api_methods;

#endif /* AW_GW_H */
