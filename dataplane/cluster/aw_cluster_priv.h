/* SPDX-License-Identifier: BSD-3-Clause */
/* The cluster feature's state, shared by its files (see aw_cluster.h). */
#ifndef AW_CLUSTER_PRIV_H
#define AW_CLUSTER_PRIV_H

#include <pthread.h>

#include <jansson.h>

#include "aw_cluster.h"
#include "aw_api.h"
#include "aw_clhdr.h"
#include "aw_conf_json.h"
#include "aw_feature.h"

/* What the lcores read (RCU): the current table and the one kept before it
 * (NULL until two epochs were applied). */
struct aw_cl_state {
	const struct aw_owner_tab *cur;
	const struct aw_owner_tab *prev;
};

#define AW_CL_PEND_MAX 8

struct aw_cluster {
	struct aw_dp *dp;
	const struct aw_cluster_conf *conf;
	uint64_t k[2];          /* SipHash key (aw_clh_key) */
	uint16_t port_be;
	uint8_t v6;             /* underlay family */
	uint8_t uport;          /* index of the underlay's port */
	uint16_t overhead;      /* outer IP + UDP + cluster header */
	uint16_t mss_max[2];    /* largest inner MSS that fits, IPv4 / IPv6 inner */
	struct aw_cl_state *st; /* RCU */
	pthread_mutex_t lock;   /* writers and the stats readers */
	/* replaced states waiting for their grace period (API thread): freed
	 * with the table that dropped out of them (their `prev`) */
	unsigned n_pend;
	struct {
		struct aw_cl_state *st;
		uint64_t token;
	} pend[AW_CL_PEND_MAX];
};

#define AW_CL_TAG_CACHE 256
#define AW_CL_OUTER_MAX 48 /* outer IPv6 + UDP */

/* Per processing lcore, for the table `tab` (emptied when it changes):
 * next-hop cache words toward its members, the outer IP + UDP headers
 * toward each member as a template (lengths, source port and checksums
 * filled per packet; IPv4 checksum of the template's length kept), and the
 * 24-byte cluster headers it sent last (they depend only on the hop list,
 * the hop index and the epoch), tag included. */
struct aw_cluster_lcore {
	const struct aw_owner_tab *tab;
	uint32_t nh[AW_OWNER_MAX_MEMBERS];
	uint64_t have_outer; /* bit per member: outer[] filled */
	uint8_t outer[AW_OWNER_MAX_MEMBERS][AW_CL_OUTER_MAX];
	struct {
		uint32_t key; /* hops[0] | hops[1] << 8 | index << 16 | count << 20 | 1 << 24; 0: empty */
		uint8_t hdr[AW_CLH_LEN];
	} hdrs[AW_CL_TAG_CACHE];
};

static inline struct aw_cluster *
aw_cluster_of(const struct aw_dp *dp)
{
	return dp->feat[AW_FEAT_CLUSTER];
}

int aw_cluster_config_parse(struct aw_jctx *c, json_t *root, struct aw_config *cfg);
void aw_cluster_burst(struct aw_lcore_ctx *c, struct aw_feat_batch *b);
json_t *aw_cluster_counters_json(const struct aw_dp *dp);
json_t *aw_cluster_stats_json(const struct aw_dp *dp);
/* Frees the replaced states whose grace period is over (all: wait). */
void aw_cluster_reclaim(struct aw_cluster *cl, bool all);

extern const struct aw_api_method aw_cluster_api_methods[];
extern const unsigned aw_cluster_n_api_methods;

#endif /* AW_CLUSTER_PRIV_H */
