/* SPDX-License-Identifier: BSD-3-Clause */
/* The registry's array (see aw_features.h). */
#include "aw_features.h"

#include "aw_asrs.h"
#include "aw_cluster.h"
#include "aw_feature.h"
#include "aw_gw.h"
#include "aw_relay.h"

const struct aw_feature_ops *const aw_features[AW_FEAT__COUNT] = {
	[AW_FEAT_ASRS] = &aw_asrs_ops,
	[AW_FEAT_RELAY] = &aw_relay_ops,
	[AW_FEAT_GATEWAY] = &aw_gw_ops,
	[AW_FEAT_CLUSTER] = &aw_cluster_ops,
};
