/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_asrs — the ASRS service router inside the data plane (SPEC §4): service
 * identification (session, UDP shim, TCP option, IPv6 service prefix,
 * listener), destination choice (priority groups, weighted Maglev), full NAT
 * both ways with per-lcore SNAT port partitions, the shared lock-free session
 * table, ICMP error translation and the AARP instance alias.
 *
 * Contract:
 *  - aw_asrs_config_parse / _config_free: main thread, at config load.
 *  - The core calls it through aw_asrs_ops only (aw_feature.h, registry
 *    id AW_FEAT_ASRS); the functions below are what the ops point to.
 *  - aw_asrs_create: main thread, after aw_lcores_setup (so it can give every
 *    lcore context its per-lcore state) and before lcores start; sets
 *    dp->feat[AW_FEAT_ASRS] (left NULL when the config enables no ASRS) and
 *    claims TCP/UDP and ICMP errors to own addresses and the service prefix.
 *    aw_asrs_destroy: main thread, after lcores stopped.
 *  - aw_asrs_burst / aw_asrs_tick: the lcore owning `c` (rtc or pipeline
 *    worker), between two of its quiescent states. See aw_feature.h for what
 *    the batch holds and what the burst function must do with it.
 *  - API methods (aw_asrs_api_methods): the API thread only; they validate a
 *    request whole before changing anything and publish immutable objects
 *    with RCU (aw_dp.h).
 *  - aw_asrs_stats_json: any control thread.
 */
#ifndef AW_ASRS_H
#define AW_ASRS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "aw_api.h"
#include "aw_conf_json.h"
#include "aw_config.h"
#include "aw_dp.h"
#include "aw_feature.h"

struct aw_asrs;
struct aw_asrs_conf;
struct aw_asrs_lcore;

extern const struct aw_feature_ops aw_asrs_ops;

/* The instance (NULL: ASRS off), an lcore's state, the parsed config. */
static inline struct aw_asrs *
aw_asrs_of(const struct aw_dp *dp)
{
	return dp->feat[AW_FEAT_ASRS];
}

static inline struct aw_asrs_lcore *
aw_asrs_lc(const struct aw_lcore_ctx *c)
{
	return c->feat_lc[AW_FEAT_ASRS];
}

static inline const struct aw_asrs_conf *
aw_asrs_conf_of(const struct aw_config *cfg)
{
	return cfg->feat_conf[AW_FEAT_ASRS];
}

/* Parses the keys "asrs", "listeners" and "services" of the config root into
 * cfg->feat_conf[AW_FEAT_ASRS]; leaves it NULL when none of them is present (ASRS off). */
int aw_asrs_config_parse(struct aw_jctx *c, json_t *root, struct aw_config *cfg);
void aw_asrs_config_free(struct aw_asrs_conf *ac);

int aw_asrs_create(struct aw_dp *dp, char *err, size_t errlen);
void aw_asrs_destroy(struct aw_dp *dp);

/* Sets the verdict of every packet of the batch. */
void aw_asrs_burst(struct aw_lcore_ctx *c, struct aw_feat_batch *b);
/* Once per loop of a processing lcore: bounded aging work. */
void aw_asrs_tick(struct aw_lcore_ctx *c, uint64_t now_tsc);

/* {"sessions": N, ...}: the "asrs" section of the stats method; its
 * numbers' metric types (aw_feature.h). */
json_t *aw_asrs_stats_json(const struct aw_dp *dp);
extern const struct aw_feat_metric aw_asrs_metrics[];

extern const struct aw_api_method aw_asrs_api_methods[];
extern const unsigned aw_asrs_n_api_methods;

#endif /* AW_ASRS_H */
