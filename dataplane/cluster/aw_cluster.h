/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_cluster — the anycast cluster's data-plane half (SPEC §8,
 * doc/cluster.md): the member list and owner table of the current epoch and
 * the one kept before it (cluster.set / cluster.get), the decapsulation of
 * packets other instances redirect here (a feature claiming cluster.udp_port:
 * checked, then their inner packet re-injected with aw_set_again, origin =
 * AW_FEAT_CLUSTER + 1, origin_arg = the hop word below), and the redirect of
 * a session miss to its flow's owner (aw_cluster_miss, called by the ASRS
 * feature's miss path).
 *
 * Hop word (meta.origin_arg of a re-injected packet): bits 0-7 hops[0], 8-15
 * hops[1], 16-19 hop index, 20-23 hop count, 24-31 the epoch's low 8 bits.
 *
 * Contract: ops as aw_feature.h says. The tables are built by the API thread
 * and published by pointer with RCU (dp->rcu): a packet lcore reads them
 * between two quiescent states. aw_cluster_miss: the processing lcore of c.
 */
#ifndef AW_CLUSTER_H
#define AW_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "aw_dp.h"
#include "aw_inet.h"
#include "aw_owner.h"

#define AW_CLUSTER_PORT_DEFAULT 7812

struct aw_cluster_conf {
	char id[AW_OWNER_ID_MAX];
	uint16_t udp_port;
	uint8_t key[32];
	struct aw_addr underlay;
};

extern const struct aw_feature_ops aw_cluster_ops;

/*
 * A packet p of a feature (ASRS) without a local session, for a VIP (never
 * an instance alias or a reply), whose flow hashes to flow_hash
 * (aw_owner_flow_hash of its key); `creating`: it may create a flow (TCP SYN
 * without ACK, a UDP datagram). Returns true when the cluster took it
 * (verdict set: sent to its owner or the next hop, or dropped as owner_miss),
 * false when this instance processes it. Only when dp->feat[AW_FEAT_CLUSTER]
 * is set.
 */
bool aw_cluster_miss(struct aw_lcore_ctx *c, struct rte_mbuf *m, uint64_t flow_hash,
		     bool creating);

#endif /* AW_CLUSTER_H */
