/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder until the TRS relay lands: the keys are recognised and
 * refused, nothing is created, and nothing reaches aw_relay_burst. */
#include "aw_relay.h"

#include "aw_build_config.h"

int
aw_relay_config_parse(struct aw_jctx *c, json_t *root, struct aw_config *cfg)
{
	static const char *const keys[] = {"trs", "relays", NULL};

	cfg->relay = NULL;
	for (const char *const *k = keys; *k; k++)
		if (json_object_get(root, *k) != NULL)
			return aw_jc_bad(c, *k, "recognised but not implemented in anyway %s yet; "
					       "remove it from the config", AW_VERSION);
	return 0;
}

void
aw_relay_config_free(struct aw_relay_conf *rc)
{
	(void)rc;
}

int
aw_relay_create(struct aw_dp *dp, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	dp->relay = NULL;
	return 0;
}

void
aw_relay_destroy(struct aw_dp *dp)
{
	dp->relay = NULL;
}

void
aw_relay_burst(struct aw_lcore_ctx *c, struct aw_feat_batch *b)
{
	(void)c;
	for (unsigned i = 0; i < b->n; i++)
		aw_set_drop(b->p[i].m, AW_DROP_LOCAL_UNHANDLED);
}

void
aw_relay_tick(struct aw_lcore_ctx *c, uint64_t now_tsc)
{
	(void)c, (void)now_tsc;
}

json_t *
aw_relay_stats_json(const struct aw_dp *dp)
{
	(void)dp;
	return json_object();
}

const struct aw_api_method aw_relay_api_methods[] = {{NULL, NULL}};
const unsigned aw_relay_n_api_methods = 0;
