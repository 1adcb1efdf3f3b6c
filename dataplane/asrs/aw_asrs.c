/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder until the ASRS data path lands: the keys are recognised and
 * refused, nothing is created, and nothing reaches aw_asrs_burst. */
#include "aw_asrs.h"

#include "aw_build_config.h"

int
aw_asrs_config_parse(struct aw_jctx *c, json_t *root, struct aw_config *cfg)
{
	static const char *const keys[] = {"asrs", "listeners", "services", NULL};

	cfg->asrs = NULL;
	for (const char *const *k = keys; *k; k++)
		if (json_object_get(root, *k) != NULL)
			return aw_jc_bad(c, *k, "recognised but not implemented in anyway %s yet; "
					       "remove it from the config", AW_VERSION);
	return 0;
}

void
aw_asrs_config_free(struct aw_asrs_conf *ac)
{
	(void)ac;
}

int
aw_asrs_create(struct aw_dp *dp, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	dp->asrs = NULL;
	return 0;
}

void
aw_asrs_destroy(struct aw_dp *dp)
{
	dp->asrs = NULL;
}

void
aw_asrs_burst(struct aw_lcore_ctx *c, struct aw_feat_batch *b)
{
	(void)c;
	for (unsigned i = 0; i < b->n; i++)
		aw_set_drop(b->p[i].m, AW_DROP_LOCAL_UNHANDLED);
}

void
aw_asrs_tick(struct aw_lcore_ctx *c, uint64_t now_tsc)
{
	(void)c, (void)now_tsc;
}

json_t *
aw_asrs_stats_json(const struct aw_dp *dp)
{
	(void)dp;
	return json_object();
}

const struct aw_api_method aw_asrs_api_methods[] = {{NULL, NULL}};
const unsigned aw_asrs_n_api_methods = 0;
