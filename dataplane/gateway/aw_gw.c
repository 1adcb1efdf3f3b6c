/* SPDX-License-Identifier: BSD-3-Clause */
/* The gateway instance: create / destroy, lcore state, stats, telemetry and
 * the feature ops (see aw_gw.h). The inbound path is aw_gw_in.c, the
 * outbound aw_gw_out.c, the API aw_gw_api.c. */
#include "aw_gw.h"

#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_telemetry.h>

#include "aw_gw_priv.h"
#include "aw_keyed_api.h"

static struct aw_gw *tel_gw;

static int
lcore_init(struct aw_lcore_ctx *c, void *state, char *err, size_t errlen)
{
	const struct aw_gw_conf *gc = aw_gw_conf_of(c->dp->cfg);
	struct aw_gw_lcore *gl = state;

	gl->iv_used = AW_GW_IV_POOL; /* drawn on first use */
	gl->ip_id = (uint16_t)rte_rand(); /* ids of fragmented capsules, per lcore */
	gl->kc = rte_zmalloc("aw_gw_keys", sizeof(*gl->kc) * AW_GW_KEY_CACHE, RTE_CACHE_LINE_SIZE);
	if (gl->kc == NULL) {
		snprintf(err, errlen, "gateway: out of memory for the key cache");
		return -1;
	}
	if (aw_gw_frag_init(gl, gc, c->dp->tsc_hz, (int)rte_lcore_to_socket_id(c->lcore_id)) < 0) {
		snprintf(err, errlen, "gateway.reassembly: cannot create a table of %u datagrams: %s",
			 gc->frag_max, rte_strerror(rte_errno));
		return -1;
	}
	gl->eng = aw_trs_engine_create_best();
	if (gl->eng == NULL) {
		snprintf(err, errlen, "gateway: cannot create a crypto engine");
		return -1;
	}
	return 0;
}

static void
lcore_fini(void *state)
{
	struct aw_gw_lcore *gl = state;

	aw_gw_frag_fini(gl);
	aw_trs_engine_free(gl->eng);
	memset(gl->iv_pool, 0, sizeof(gl->iv_pool));
	if (gl->kc != NULL)
		memset(gl->kc, 0, sizeof(*gl->kc) * AW_GW_KEY_CACHE);
	rte_free(gl->kc);
}

int
aw_gw_create(struct aw_dp *dp, char *err, size_t errlen)
{
	const struct aw_gw_conf *gc = aw_gw_conf_of(dp->cfg);
	struct aw_gw *g;
	char e[200];

	dp->feat[AW_FEAT_GATEWAY] = NULL;
	if (gc == NULL)
		return 0;
	g = rte_zmalloc("aw_gw", sizeof(*g), RTE_CACHE_LINE_SIZE);
	if (g == NULL) {
		snprintf(err, errlen, "gateway: out of memory");
		return -1;
	}
	dp->feat[AW_FEAT_GATEWAY] = g;
	g->dp = dp;
	g->conf = gc;
	g->port_be = rte_cpu_to_be_16(gc->port);
	g->tsc_hz = dp->tsc_hz;
	g->base_tsc = rte_rdtsc();
	pthread_mutex_init(&g->lock, NULL);
	g->t = aw_gw_table_create("aw_gw", gc->max_paths, dp->rcu, err, errlen);
	if (g->t == NULL ||
	    aw_feat_lcores_alloc(dp, AW_FEAT_GATEWAY, sizeof(struct aw_gw_lcore), "gateway",
				 lcore_init, err, errlen) < 0 ||
	    aw_feat_claim_udp(dp, g->port_be, AW_FEAT_GATEWAY, err, errlen) < 0 ||
	    aw_feat_claim(dp, &dp->steer.frag_local, AW_FEAT_GATEWAY, "fragments to own addresses",
			  err, errlen) < 0)
		return -1;
	if (aw_gw_table_commit(g->t, gc->entries, gc->n_entries, NULL, 0, "gateways", NULL, NULL,
			       e, sizeof(e)) < 0) {
		snprintf(err, errlen, "%s: %s", dp->cfg->path, e);
		return -1;
	}
	return 0;
}

void
aw_gw_destroy(struct aw_dp *dp)
{
	struct aw_gw *g = aw_gw_of(dp);

	if (g == NULL)
		return;
	tel_gw = NULL;
	aw_feat_lcores_free(dp, AW_FEAT_GATEWAY, lcore_fini);
	aw_gw_table_free(g->t);
	pthread_mutex_destroy(&g->lock);
	rte_free(g);
	dp->feat[AW_FEAT_GATEWAY] = NULL;
}

void
aw_gw_tick(struct aw_lcore_ctx *c, uint64_t now_tsc)
{
	struct aw_gw_lcore *gl = aw_gw_lc(c);

	if (gl == NULL)
		return;
	gl->now_s = aw_gw_clock(aw_gw_of(c->dp), now_tsc);
	aw_gw_frag_tick(c, gl, now_tsc);
}

/* Every number of the section below, typed (aw_feature.h). */
const struct aw_feat_metric aw_gw_metrics[] = {
	{"port", AW_METRIC_GAUGE, NULL, "the gateway's UDP port"},
	{"paths", AW_METRIC_GAUGE, NULL, "gateway paths in the table"},
	{"max_paths", AW_METRIC_GAUGE, NULL, "gateway.max_paths"},
	{"bytes_per_path", AW_METRIC_GAUGE, NULL, "memory of one gateway path"},
	{"key_expansions", AW_METRIC_COUNTER, NULL, "path keys expanded by the lcores"},
	{NULL, AW_METRIC_GAUGE, NULL, NULL},
};

json_t *
aw_gw_stats_json(const struct aw_dp *dp)
{
	struct aw_gw *g = aw_gw_of(dp);
	json_t *o;

	uint64_t exp = 0;

	for (unsigned i = 0; i < dp->n_ctx; i++) {
		const struct aw_gw_lcore *gl = aw_gw_lc(dp->ctx_list[i]);
		if (gl != NULL)
			exp += __atomic_load_n(&gl->key_expansions, __ATOMIC_RELAXED);
	}
	pthread_mutex_lock(&g->lock);
	o = json_pack("{s:i,s:I,s:I,s:I,s:I}", "port", g->conf->port, "paths",
		      (json_int_t)aw_gw_table_count(g->t), "max_paths",
		      (json_int_t)g->conf->max_paths, "bytes_per_path",
		      (json_int_t)aw_gw_path_bytes(), "key_expansions", (json_int_t)exp);
	pthread_mutex_unlock(&g->lock);
	return o;
}

static int
tel_gateways(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd, (void)params;
	return aw_keyed_telemetry(&aw_gw_keyed, tel_gw, d);
}

static void
gw_telemetry_register(const struct aw_dp *dp)
{
	tel_gw = aw_gw_of(dp);
	rte_telemetry_register_cmd("/anyway/gateways", tel_gateways,
				   "Overlay gateway: path count, first paths. No parameters.");
}

static const char *const gw_keys[] = {"gateway", "gateways", NULL};

const struct aw_feature_ops aw_gw_ops = {
	.name = "gateway",
	.config_keys = gw_keys,
	.config_parse = aw_gw_config_parse,
	.config_free = aw_gw_config_free,
	.create = aw_gw_create,
	.destroy = aw_gw_destroy,
	.burst = aw_gw_burst,
	.tick = aw_gw_tick,
	.burst_end = aw_gw_burst_end,
	.stats_json = aw_gw_stats_json,
	.metrics = aw_gw_metrics,
	.telemetry_register = gw_telemetry_register,
	.route_prefixes = aw_gw_route_prefixes,
	.route_out = aw_gw_route_out,
	.api_methods = aw_gw_api_methods,
	.n_api_methods = &aw_gw_n_api_methods,
};
