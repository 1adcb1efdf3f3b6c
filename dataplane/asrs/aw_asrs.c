/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ASRS instance: creation from the config (service map, listener table,
 * session table, per-lcore state), destruction, the per-loop tick (bounded
 * aging). See aw_asrs.h for the contract and aw_asrs_priv.h for the modules.
 */
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <stdio.h>
#include <string.h>

#include "aw_asrs_priv.h"
#include "aw_asrs_svcstats.h"

int
aw_asrs_create(struct aw_dp *dp, char *err, size_t errlen)
{
	const struct aw_asrs_conf *ac = aw_asrs_conf_of(dp->cfg);

	dp->feat[AW_FEAT_ASRS] = NULL;
	if (ac == NULL)
		return 0;
	struct aw_asrs *a = rte_zmalloc("aw_asrs", sizeof(*a) + dp->n_ctx * sizeof(a->lc[0]),
					RTE_CACHE_LINE_SIZE);
	if (a == NULL) {
		snprintf(err, errlen, "asrs: out of memory");
		return -1;
	}
	a->dp = dp;
	a->conf = ac;
	a->start_tsc = rte_rdtsc();
	a->min_mtu = UINT16_MAX; /* the SYN proxy's MSS fits every port */
	for (unsigned p = 0; p < dp->n_ports; p++)
		a->min_mtu = RTE_MIN(a->min_mtu, dp->ports[p].mtu);
	for (unsigned s = 0; s < AW_SS__N; s++)
		a->timeout[s] = ac->timeout_s[s] * AW_ASRS_TICKS_PER_S;
	for (unsigned i = 0; i < ac->n_snat4; i++)
		memcpy(a->snat_tab[i], ac->snat4[i].b, 16);
	for (unsigned i = 0; i < ac->n_snat6; i++)
		memcpy(a->snat_tab[AW_ASRS_MAX_SNAT + i], ac->snat6[i].b, 16);
	for (unsigned p = 0; p < dp->n_ports; p++) {
		memcpy(a->snat_tab[2 * AW_ASRS_MAX_SNAT + 2 * p], dp->ports[p].addr4.b, 16);
		memcpy(a->snat_tab[2 * AW_ASRS_MAX_SNAT + 2 * p + 1], dp->ports[p].addr6.b, 16);
	}
	int rc = aw_sess_init(a, err, errlen) < 0 || aw_svcstats_init(a, err, errlen) < 0 ||
			 aw_svc_init(a, err, errlen) < 0 ? -1 : 0;
	for (unsigned i = 0; rc == 0 && i < dp->n_ctx; i++)
		if (aw_sess_lcore_init(a, dp->ctx_list[i]) < 0) {
			snprintf(err, errlen, "asrs: cannot create the defer queue of lcore %u",
				 dp->ctx_list[i]->lcore_id);
			rc = -1;
		}
	unsigned writers = 0;
	for (unsigned i = 0; rc == 0 && i < dp->n_ctx; i++)
		writers += a->lc[i].active;
	a->one_writer = writers == 1 && !a->create_locked;
	if (rc < 0) {
		dp->feat[AW_FEAT_ASRS] = a;
		aw_asrs_destroy(dp);
		return -1;
	}
	dp->feat[AW_FEAT_ASRS] = a;
	struct aw_steer *st = &dp->steer;
	if (aw_feat_claim(dp, &st->local_l4, AW_FEAT_ASRS, "TCP/UDP to own addresses", err,
			  errlen) < 0 ||
	    aw_feat_claim(dp, &st->icmp_error, AW_FEAT_ASRS, "ICMP errors", err, errlen) < 0 ||
	    (ac->has_prefix6 && aw_feat_claim(dp, &st->prefix6_feat, AW_FEAT_ASRS,
					      "the IPv6 service prefix", err, errlen) < 0)) {
		aw_asrs_destroy(dp);
		return -1;
	}
	if (ac->has_prefix6)
		memcpy(st->prefix6, ac->prefix6.addr.b, 8);
	return 0;
}

void
aw_asrs_destroy(struct aw_dp *dp)
{
	struct aw_asrs *a = aw_asrs_of(dp);

	if (a == NULL)
		return;
	aw_asrs_telemetry_register(NULL);
	aw_sess_fini(a);
	aw_svc_fini(a);
	aw_svcstats_fini(a);
	for (unsigned i = 0; i < dp->n_ctx; i++)
		dp->ctx_list[i]->feat_lc[AW_FEAT_ASRS] = NULL;
	rte_free(a);
	dp->feat[AW_FEAT_ASRS] = NULL;
}

void
aw_asrs_tick(struct aw_lcore_ctx *c, uint64_t now_tsc)
{
	struct aw_asrs_lcore *l = aw_asrs_lc(c);

	if (l == NULL || !l->active)
		return;
	l->now = aw_asrs_now(aw_asrs_of(c->dp), now_tsc);
	aw_sess_age(aw_asrs_of(c->dp), l, now_tsc);
}

static void
asrs_config_free(void *conf)
{
	aw_asrs_config_free(conf);
}

static void
asrs_telemetry_register(const struct aw_dp *dp)
{
	aw_asrs_telemetry_register(aw_asrs_of(dp));
}

static const char *const asrs_keys[] = {"asrs", "listeners", "services", NULL};

const struct aw_feature_ops aw_asrs_ops = {
	.name = "asrs",
	.config_keys = asrs_keys,
	.config_parse = aw_asrs_config_parse,
	.config_free = asrs_config_free,
	.create = aw_asrs_create,
	.destroy = aw_asrs_destroy,
	.burst = aw_asrs_burst,
	.tick = aw_asrs_tick,
	.stats_json = aw_asrs_stats_json,
	.metrics = aw_asrs_metrics,
	.metrics_more = aw_svcstats_metrics,
	.telemetry_register = asrs_telemetry_register,
	.api_methods = aw_asrs_api_methods,
	.n_api_methods = &aw_asrs_n_api_methods,
};
