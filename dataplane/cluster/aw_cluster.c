/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The cluster instance: create (underlay port, MTU check, UDP claim,
 * per-lcore state), destroy, stats, the feature's ops. The packet path is in
 * aw_cluster_path.c, the API in aw_cluster_api.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>
#include <rte_malloc.h>

#include "aw_cluster_priv.h"
#include "aw_stats.h"

#define MIN_INNER_MTU 1280 /* the IPv6 minimum: a redirected packet must fit */

static int
find_underlay(struct aw_cluster *cl, const struct aw_dp *dp, char *err, size_t errlen)
{
	for (unsigned p = 0; p < dp->n_ports; p++)
		for (unsigned j = 0; j < dp->ports[p].n_addrs; j++)
			if (aw_addr_eq(&dp->ports[p].addrs[j].addr, &cl->conf->underlay)) {
				cl->uport = (uint8_t)p;
				return 0;
			}
	snprintf(err, errlen, "cluster: underlay is not an address of a port");
	return -1;
}

/* Port MTU against the encapsulation: an error below what IPv6 needs, a
 * warning (and the MSS clamp) below a 1500-byte inner packet. */
static int
check_mtu(struct aw_cluster *cl, const struct aw_dp *dp, char *err, size_t errlen)
{
	const struct aw_port *port = &dp->ports[cl->uport];
	int inner = (int)port->mtu - cl->overhead;

	if (inner < MIN_INNER_MTU) {
		snprintf(err, errlen,
			 "cluster: underlay port %s MTU %u leaves %d bytes for a redirected "
			 "packet (overhead %u), below %u; raise the port's mtu to at least %u",
			 port->name, port->mtu, inner, cl->overhead, MIN_INNER_MTU,
			 MIN_INNER_MTU + cl->overhead);
		return -1;
	}
	cl->mss_max[0] = (uint16_t)(inner - 40);
	cl->mss_max[1] = (uint16_t)(inner - 60);
	if (inner < 1500)
		RTE_LOG(WARNING, USER1,
			"cluster: underlay port %s MTU %u leaves %d bytes for redirected packets "
			"(overhead %u): redirected TCP SYNs get their MSS clamped to %u (IPv4) / "
			"%u (IPv6); larger redirected packets are dropped as mtu_exceeded\n",
			port->name, port->mtu, inner, cl->overhead, cl->mss_max[0], cl->mss_max[1]);
	return 0;
}

static int
lcores_init(struct aw_dp *dp, char *err, size_t errlen)
{
	for (unsigned i = 0; i < dp->n_ctx; i++) {
		struct aw_lcore_ctx *c = dp->ctx_list[i];
		if (c->role != AW_LCORE_RTC && c->role != AW_LCORE_WORKER)
			continue;
		c->feat_lc[AW_FEAT_CLUSTER] = rte_zmalloc("aw_cluster_lc",
							  sizeof(struct aw_cluster_lcore),
							  RTE_CACHE_LINE_SIZE);
		if (c->feat_lc[AW_FEAT_CLUSTER] == NULL) {
			snprintf(err, errlen, "cluster: out of memory for lcore state");
			return -1;
		}
	}
	return 0;
}

static int
cluster_create(struct aw_dp *dp, char *err, size_t errlen)
{
	const struct aw_cluster_conf *cc = dp->cfg->feat_conf[AW_FEAT_CLUSTER];

	dp->feat[AW_FEAT_CLUSTER] = NULL;
	if (cc == NULL)
		return 0;
	struct aw_cluster *cl = rte_zmalloc("aw_cluster", sizeof(*cl), RTE_CACHE_LINE_SIZE);
	if (cl == NULL) {
		snprintf(err, errlen, "cluster: out of memory");
		return -1;
	}
	dp->feat[AW_FEAT_CLUSTER] = cl;
	cl->dp = dp;
	cl->conf = cc;
	aw_clh_key(cc->key, cl->k);
	cl->port_be = rte_cpu_to_be_16(cc->udp_port);
	cl->v6 = cc->underlay.family == AW_AF_INET6;
	cl->overhead = (uint16_t)((cl->v6 ? 40 : 20) + 8 + AW_CLH_LEN);
	pthread_mutex_init(&cl->lock, NULL);
	if (find_underlay(cl, dp, err, errlen) < 0 || check_mtu(cl, dp, err, errlen) < 0 ||
	    lcores_init(dp, err, errlen) < 0 ||
	    aw_feat_claim_udp(dp, cl->port_be, AW_FEAT_CLUSTER, err, errlen) < 0)
		return -1;
	return 0;
}

static void
cluster_destroy(struct aw_dp *dp)
{
	struct aw_cluster *cl = aw_cluster_of(dp);

	if (cl == NULL)
		return;
	for (unsigned i = 0; i < dp->n_ctx; i++) {
		rte_free(dp->ctx_list[i]->feat_lc[AW_FEAT_CLUSTER]);
		dp->ctx_list[i]->feat_lc[AW_FEAT_CLUSTER] = NULL;
	}
	aw_cluster_reclaim(cl, true); /* lcores stopped */
	if (cl->st != NULL) {
		aw_owner_free((struct aw_owner_tab *)cl->st->cur);
		aw_owner_free((struct aw_owner_tab *)cl->st->prev);
		free(cl->st);
	}
	pthread_mutex_destroy(&cl->lock);
	rte_free(cl);
	dp->feat[AW_FEAT_CLUSTER] = NULL;
}

static void
cluster_tick(struct aw_lcore_ctx *c, uint64_t now_tsc)
{
	(void)c, (void)now_tsc;
}

static const enum aw_drop_reason drops[] = {
	AW_DROP_CL_MALFORMED,  AW_DROP_CL_NOT_MEMBER,  AW_DROP_CL_BAD_TAG, AW_DROP_CL_STALE_EPOCH,
	AW_DROP_CL_BAD_HOP,    AW_DROP_CL_NO_HEADROOM, AW_DROP_OWNER_MISS,
};
static const enum aw_info_counter infos[] = {
	AW_INFO_CL_REDIRECTED, AW_INFO_CL_NEXT_HOP, AW_INFO_CL_DECAPSULATED,
	AW_INFO_CL_MSS_CLAMPED, AW_INFO_CL_NEWER_EPOCH,
};

json_t *
aw_cluster_counters_json(const struct aw_dp *dp)
{
	struct aw_stats s;
	json_t *o = json_object();

	aw_stats_sum(dp, &s);
	for (unsigned i = 0; i < sizeof(drops) / sizeof(drops[0]); i++)
		json_object_set_new(o, aw_drop_name(drops[i]), json_integer((json_int_t)s.drops[drops[i]]));
	for (unsigned i = 0; i < sizeof(infos) / sizeof(infos[0]); i++)
		json_object_set_new(o, aw_info_name(infos[i]), json_integer((json_int_t)s.info[infos[i]]));
	return o;
}

/* Every number of the stats section below, typed (aw_feature.h). */
static const struct aw_feat_metric cluster_metrics[] = {
	{"udp_port", AW_METRIC_GAUGE, NULL, "UDP port of redirected packets"},
	{"epoch", AW_METRIC_GAUGE, NULL, "epoch of the member list in force"},
	{"members", AW_METRIC_GAUGE, NULL, "members in the list in force"},
	{"overhead", AW_METRIC_GAUGE, NULL, "bytes a redirect adds to a packet"},
	{NULL, AW_METRIC_GAUGE, NULL, NULL},
};

json_t *
aw_cluster_stats_json(const struct aw_dp *dp)
{
	struct aw_cluster *cl = aw_cluster_of(dp);
	json_t *o;

	pthread_mutex_lock(&cl->lock);
	o = json_pack("{s:s,s:i,s:I,s:i,s:i}", "id", cl->conf->id, "udp_port",
		      cl->conf->udp_port, "epoch",
		      (json_int_t)(cl->st != NULL ? cl->st->cur->epoch : 0), "members",
		      cl->st != NULL ? (int)cl->st->cur->n : 0, "overhead", cl->overhead);
	pthread_mutex_unlock(&cl->lock);
	return o;
}

static void
cluster_config_free(void *conf)
{
	if (conf != NULL)
		memset(conf, 0, sizeof(struct aw_cluster_conf)); /* the key */
	free(conf);
}

static const char *const cluster_keys[] = {"cluster", NULL};

const struct aw_feature_ops aw_cluster_ops = {
	.name = "cluster",
	.config_keys = cluster_keys,
	.config_parse = aw_cluster_config_parse,
	.config_free = cluster_config_free,
	.create = cluster_create,
	.destroy = cluster_destroy,
	.burst = aw_cluster_burst,
	.tick = cluster_tick,
	.stats_json = aw_cluster_stats_json,
	.metrics = cluster_metrics,
	.telemetry_register = NULL,
	.api_methods = aw_cluster_api_methods,
	.n_api_methods = &aw_cluster_n_api_methods,
};
