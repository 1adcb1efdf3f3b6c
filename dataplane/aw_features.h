/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_features — the registry: with aw_features.c, the only place in the core
 * that names the features. A feature has an id (the index of its batch, its
 * per-lcore state, its instance and its config), its counters lists (joined
 * into the data plane's drop reasons and counters at compile time, so that
 * every reason stays a constant) and its ops (aw_feature.h).
 *
 * Adding a feature: its folder under dataplane/ with its ops, an id here, its
 * lists in the two macros below, its ops in aw_features.c, its folder in
 * dataplane/meson.build. Its drop reasons and counters reach the metrics
 * endpoint through those lists; the numbers of its stats section need a row
 * each in its ops' metrics table (aw_feature.h, struct aw_feat_metric).
 *
 * Contract: constants and an immutable array; any thread.
 */
#ifndef AW_FEATURES_H
#define AW_FEATURES_H

#include "aw_asrs_counters.h"
#include "aw_cluster_counters.h"
#include "aw_relay_counters.h"
#include "aw_gw_counters.h"

enum aw_feat_id {
	AW_FEAT_ASRS = 0, /* dataplane/asrs: the ASRS service router (SPEC §4) */
	AW_FEAT_RELAY,    /* dataplane/trs: the TRS tunnel relay (SPEC §5) */
	AW_FEAT_GATEWAY,  /* dataplane/gateway: the overlay gateway (SPEC §6) */
	AW_FEAT_CLUSTER,  /* dataplane/cluster: redirect to the flow's owner (SPEC §8) */
	AW_FEAT__COUNT,
};

/* The features' drop reasons and informational counters, in id order. */
#define AW_FEATURE_DROP_REASONS(X)                                                         \
	AW_ASRS_DROP_REASONS(X) AW_RELAY_DROP_REASONS(X) AW_GW_DROP_REASONS(X)                  \
	AW_CLUSTER_DROP_REASONS(X)
#define AW_FEATURE_INFO_COUNTERS(X)                                                        \
	AW_ASRS_INFO_COUNTERS(X) AW_RELAY_INFO_COUNTERS(X) AW_GW_INFO_COUNTERS(X)               \
	AW_CLUSTER_INFO_COUNTERS(X)

struct aw_feature_ops;

/* By id (aw_features.c). */
extern const struct aw_feature_ops *const aw_features[AW_FEAT__COUNT];

#endif /* AW_FEATURES_H */
