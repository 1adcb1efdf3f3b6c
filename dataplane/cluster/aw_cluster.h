/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_cluster — the anycast cluster's data-plane half (SPEC §8,
 * doc/cluster.md): the member list and owner table of the current epoch and
 * the one kept before it (cluster.set / cluster.get), the decapsulation of
 * packets other instances redirect here (a feature claiming cluster.udp_port:
 * checked, then their inner packet re-injected with aw_set_again, origin =
 * AW_FEAT_CLUSTER + 1, origin_arg = the hop word below), and the redirect of
 * a session miss to its flow's owner (aw_cluster_miss, called by the ASRS
 * feature's miss paths and by the relay for a PathID it does not have), and
 * the forcing of a known TRS path's messages to the PathID's owner
 * (aw_cluster_force).
 *
 * Hop word (meta.origin_arg of a re-injected packet): bits 0-7 hops[0], 8-15
 * hops[1], 16-19 hop index, 20-23 hop count, 24-31 the epoch's low 8 bits.
 *
 * Contract: ops as aw_feature.h says. The tables are built by the API thread
 * and published by pointer with RCU (dp->rcu): a packet lcore reads them
 * between two quiescent states. aw_cluster_miss, _creates_here, _force: the
 * processing lcore of c.
 */
#ifndef AW_CLUSTER_H
#define AW_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

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
 * without ACK, a UDP datagram, a SYN cookie ACK whose cookie is valid).
 * Returns true when the cluster took it
 * (verdict set: sent to its owner or the next hop, or dropped as owner_miss),
 * false when this instance processes it. Only when dp->feat[AW_FEAT_CLUSTER]
 * is set.
 */
bool aw_cluster_miss(struct aw_lcore_ctx *c, struct rte_mbuf *m, uint64_t flow_hash,
		     bool creating);

/*
 * Would a flow-creating packet m (flow hash flow_hash) be created here?
 * True when no cluster table applies, when m came through a capsule (this
 * instance is a hop of its list) or when this instance is its row's
 * primary. The ASRS asks before it checks a SYN cookie ACK (an ACK is
 * flow-creating only when its cookie is valid, and a cookie is checked only
 * where a flow would be created).
 */
bool aw_cluster_creates_here(const struct aw_lcore_ctx *c, struct rte_mbuf *m,
			     uint64_t flow_hash);

/*
 * A packet whose key is known here but must be processed by its owner (a
 * TRS message of a local path: the two sides of one path must meet at one
 * binding): sent to its row's primary when that is another instance (hop
 * list as for a miss), unless m came through a capsule. True: taken
 * (verdict set); false: processed here.
 */
bool aw_cluster_force(struct aw_lcore_ctx *c, struct rte_mbuf *m, uint64_t flow_hash);

/* The flow hash of an ASRS flow (doc/cluster.md): the 40-byte key client
 * address, VIP (16 bytes each, IPv4 zero padded), client port, VIP port
 * (network order, as in the packet), protocol, v6 (0/1), two zero bytes, as
 * five little-endian words. */
static inline uint64_t
aw_cluster_asrs_hash(const uint8_t client[16], const uint8_t vip[16], uint16_t cport_be,
		     uint16_t vport_be, uint8_t proto, uint8_t v6)
{
	uint8_t k[40];
	uint64_t w[5];

	memcpy(k, client, 16);
	memcpy(k + 16, vip, 16);
	memcpy(k + 32, &cport_be, 2);
	memcpy(k + 34, &vport_be, 2);
	k[36] = proto;
	k[37] = v6;
	k[38] = k[39] = 0;
	memcpy(w, k, sizeof(w));
	for (unsigned i = 0; i < 5; i++)
		w[i] = rte_le_to_cpu_64(w[i]);
	return aw_owner_flow_hash(w, 5);
}

/* The same hash of a key already laid out as those 40 bytes (the ASRS
 * session key of a client packet is). */
static inline uint64_t
aw_cluster_key40_hash(const void *key40)
{
	uint64_t w[5];

	memcpy(w, key40, sizeof(w));
	for (unsigned i = 0; i < 5; i++)
		w[i] = rte_le_to_cpu_64(w[i]);
	return aw_owner_flow_hash(w, 5);
}

/* The flow hash of a TRS path: its 16-byte PathID as two little-endian words. */
static inline uint64_t
aw_cluster_path_hash(const uint8_t id[16])
{
	uint64_t w[2];

	memcpy(w, id, 16);
	w[0] = rte_le_to_cpu_64(w[0]);
	w[1] = rte_le_to_cpu_64(w[1]);
	return aw_owner_flow_hash(w, 2);
}

#endif /* AW_CLUSTER_H */
