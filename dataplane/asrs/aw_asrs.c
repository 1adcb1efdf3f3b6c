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

int
aw_asrs_create(struct aw_dp *dp, char *err, size_t errlen)
{
	const struct aw_asrs_conf *ac = dp->cfg->asrs;

	dp->asrs = NULL;
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
	int rc = aw_svc_init(a, err, errlen) < 0 || aw_sess_init(a, err, errlen) < 0 ? -1 : 0;
	for (unsigned i = 0; rc == 0 && i < dp->n_ctx; i++)
		if (aw_sess_lcore_init(a, dp->ctx_list[i]) < 0) {
			snprintf(err, errlen, "asrs: cannot create the defer queue of lcore %u",
				 dp->ctx_list[i]->lcore_id);
			rc = -1;
		}
	if (rc < 0) {
		dp->asrs = a;
		aw_asrs_destroy(dp);
		return -1;
	}
	if (ac->has_prefix6) {
		memcpy(dp->svc_prefix6, ac->prefix6.addr.b, 8);
		dp->svc_prefix6_on = true;
	}
	aw_asrs_telemetry_register(a);
	dp->asrs = a;
	return 0;
}

void
aw_asrs_destroy(struct aw_dp *dp)
{
	struct aw_asrs *a = dp->asrs;

	if (a == NULL)
		return;
	aw_asrs_telemetry_register(NULL);
	aw_sess_fini(a);
	aw_svc_fini(a);
	for (unsigned i = 0; i < dp->n_ctx; i++)
		dp->ctx_list[i]->asrs = NULL;
	rte_free(a);
	dp->asrs = NULL;
}

void
aw_asrs_tick(struct aw_lcore_ctx *c, uint64_t now_tsc)
{
	struct aw_asrs_lcore *l = c->asrs;

	if (l == NULL || !l->active)
		return;
	l->now = aw_asrs_now(c->dp->asrs, now_tsc);
	aw_sess_age(c->dp->asrs, l);
}
