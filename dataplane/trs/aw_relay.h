/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_relay — the TRS tunnel relay inside the data plane (SPEC §5.3): the
 * relay table keyed by PathID (lock-free, RCU-freed), verification of
 * signalling messages with the path's Tunnel Key, binding of each side's
 * address, ACKs, forwarding of TUNNEL_REQUEST/RESPONSE and CAPSULEs with the
 * outer headers rewritten (IPv4 <-> IPv6 across the sides), expiry.
 *
 * Contract:
 *  - aw_relay_config_parse / _config_free: main thread, at config load.
 *  - The core calls it through aw_relay_ops only (aw_feature.h, registry
 *    id AW_FEAT_RELAY); the functions below are what the ops point to.
 *  - aw_relay_create: main thread, after aw_lcores_setup and before lcores
 *    start; sets dp->feat[AW_FEAT_RELAY] (NULL when the config has no
 *    "trs"/"relays") and claims the relay's UDP port. aw_relay_destroy: main thread, after lcores stopped.
 *  - aw_relay_burst / aw_relay_tick: the lcore owning `c` (rtc or pipeline
 *    worker), between two of its quiescent states (see aw_feature.h).
 *  - API methods (aw_relay_api_methods): the API thread only; validate whole
 *    requests before changing anything.
 *  - aw_relay_stats_json: any control thread.
 */
#ifndef AW_RELAY_H
#define AW_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "aw_api.h"
#include "aw_conf_json.h"
#include "aw_config.h"
#include "aw_dp.h"
#include "aw_feature.h"

struct aw_relay;
struct aw_relay_conf;
struct aw_relay_lcore;

extern const struct aw_feature_ops aw_relay_ops;

/* The instance (NULL: relay off), an lcore's state, the parsed config. */
static inline struct aw_relay *
aw_relay_of(const struct aw_dp *dp)
{
	return dp->feat[AW_FEAT_RELAY];
}

static inline struct aw_relay_lcore *
aw_relay_lc(const struct aw_lcore_ctx *c)
{
	return c->feat_lc[AW_FEAT_RELAY];
}

static inline const struct aw_relay_conf *
aw_relay_conf_of(const struct aw_config *cfg)
{
	return cfg->feat_conf[AW_FEAT_RELAY];
}

/* Parses the keys "trs" and "relays" of the config root into cfg->feat_conf[AW_FEAT_RELAY];
 * leaves it NULL when neither is present (relay off). */
int aw_relay_config_parse(struct aw_jctx *c, json_t *root, struct aw_config *cfg);
void aw_relay_config_free(struct aw_relay_conf *rc);

int aw_relay_create(struct aw_dp *dp, char *err, size_t errlen);
void aw_relay_destroy(struct aw_dp *dp);

/* Sets the verdict of every packet of the batch. */
void aw_relay_burst(struct aw_lcore_ctx *c, struct aw_feat_batch *b);
/* Once per loop of a processing lcore (and before its first burst): its copy of the
 * relay clock. */
void aw_relay_tick(struct aw_lcore_ctx *c, uint64_t now_tsc);

/* The "relay" section of the stats method; its numbers' metric types
 * (aw_feature.h). */
json_t *aw_relay_stats_json(const struct aw_dp *dp);
extern const struct aw_feat_metric aw_relay_metrics[];

extern const struct aw_api_method aw_relay_api_methods[];
extern const unsigned aw_relay_n_api_methods;

#endif /* AW_RELAY_H */
