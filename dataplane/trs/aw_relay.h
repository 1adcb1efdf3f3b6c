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
 *  - aw_relay_create: main thread, after aw_lcores_setup and before lcores
 *    start; sets dp->relay (NULL when the config has no "trs"/"relays") and
 *    dp->relay_port_be. aw_relay_destroy: main thread, after lcores stopped.
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

struct aw_relay_conf;

/* Parses the keys "trs" and "relays" of the config root into cfg->relay;
 * leaves it NULL when neither is present (relay off). */
int aw_relay_config_parse(struct aw_jctx *c, json_t *root, struct aw_config *cfg);
void aw_relay_config_free(struct aw_relay_conf *rc);

int aw_relay_create(struct aw_dp *dp, char *err, size_t errlen);
void aw_relay_destroy(struct aw_dp *dp);

/* Sets the verdict of every packet of the batch. */
void aw_relay_burst(struct aw_lcore_ctx *c, struct aw_feat_batch *b);
/* Once per loop of a processing lcore: bounded expiry work. */
void aw_relay_tick(struct aw_lcore_ctx *c, uint64_t now_tsc);

/* The "relay" section of the stats method. */
json_t *aw_relay_stats_json(const struct aw_dp *dp);

extern const struct aw_api_method aw_relay_api_methods[];
extern const unsigned aw_relay_n_api_methods;

#endif /* AW_RELAY_H */
