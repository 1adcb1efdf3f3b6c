/* SPDX-License-Identifier: BSD-3-Clause */
/* Features' per-lcore state: made by their create, freed by their destroy
 * (see aw_feature.h). Main thread, before the lcores start / after they stop. */
#include <stdio.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "aw_dp.h"
#include "aw_feature.h"

int
aw_feat_lcores_alloc(struct aw_dp *dp, uint8_t id, size_t size, const char *name,
		     aw_feat_lc_init_fn init, char *err, size_t errlen)
{
	for (unsigned i = 0; i < dp->n_ctx; i++) {
		struct aw_lcore_ctx *c = dp->ctx_list[i];
		if (c->role != AW_LCORE_RTC && c->role != AW_LCORE_WORKER)
			continue;
		c->feat_lc[id] = rte_zmalloc("aw_feat_lcore", size, RTE_CACHE_LINE_SIZE);
		if (c->feat_lc[id] == NULL) {
			snprintf(err, errlen, "%s: out of memory for lcore state", name);
			return -1;
		}
		if (init != NULL && init(c, c->feat_lc[id], err, errlen) < 0)
			return -1;
	}
	return 0;
}

void
aw_feat_lcores_free(struct aw_dp *dp, uint8_t id, aw_feat_lc_fini_fn fini)
{
	for (unsigned i = 0; i < dp->n_ctx; i++) {
		struct aw_lcore_ctx *c = dp->ctx_list[i];
		if (c->feat_lc[id] != NULL && fini != NULL)
			fini(c->feat_lc[id]);
		rte_free(c->feat_lc[id]);
		c->feat_lc[id] = NULL;
	}
}
