/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_dp — the data plane instance: ports, tables, lcore contexts, and the
 * per-mbuf metadata that carries a packet's verdict from the stage that
 * decides it to the stage that acts on it (the same lcore in rtc mode, the TX
 * lcore in pipeline mode, after reordering).
 *
 * Contract: one struct aw_dp per process, built by main before lcores start
 * and passed explicitly (no globals but the dynfield offset). Fields marked
 * "RCU" are published with a release store by the API thread and read with an
 * acquire load by lcores, which report quiescent states once per loop; the
 * old object is freed after rte_rcu_qsbr_synchronize(). Everything else is
 * immutable while lcores run, except what the owning lcore's context holds.
 */
#ifndef AW_DP_H
#define AW_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>
#include <rte_rcu_qsbr.h>

#include "aw_config.h"
#include "aw_counters.h"
#include "aw_feature.h"

#define AW_MAX_BURST     256
#define AW_TX_BUF        64
#define AW_MAX_RXQ       (AW_MAX_PORTS * 4)
#define AW_PORT_NONE     0xff

struct aw_addrset;
struct aw_neigh_table;
struct aw_routes;
struct aw_reorder;

/* What happens to a packet once processed. */
enum aw_verdict {
	AW_V_DROP = 0,   /* free it, count meta.arg as the drop reason */
	AW_V_TX = 1,     /* transmit on port index meta.port_out; a chained m (nb_segs > 1,
			  * only made by a feature after routing, e.g. the gateway's
			  * outer IPv4 fragments) is a train: each segment a frame of its
			  * own, the first counted tx, the others originated */
	AW_V_SLOW = 2,   /* hand to the housekeeper; meta.arg is an aw_slow_kind */
	/* 3: unused (was the reorder stage's filler for a skipped number) */
	AW_V_AGAIN = 4,  /* transient: queued by aw_set_again() to be classified again */
	AW_V_CONSUMED = 5, /* absorbed by a feature (a fragment it keeps a copy of): freed,
			    * counted `consumed` */
};

enum aw_slow_kind {
	AW_SLOW_ARP = 1,     /* ARP to answer or learn from */
	AW_SLOW_ND = 2,      /* NS / NA to answer or learn from */
	AW_SLOW_RESOLVE = 3, /* routed packet whose next hop needs resolving */
};

struct aw_meta {
	uint8_t verdict;
	uint8_t arg;      /* drop reason or slow-path kind */
	uint8_t port_in;  /* index into dp->ports */
	uint8_t port_out; /* index into dp->ports */
	/* Re-injection (aw_set_again): 0 for a packet as received from a port,
	 * else the id + 1 of the feature that re-injected it last, and how many
	 * times it was; origin_arg is that feature's own word about it (a path
	 * index, a hop...). Reset only by the receive path. */
	uint8_t origin;
	uint8_t depth;
	uint32_t origin_arg;
};

extern int aw_meta_offset;

static inline struct aw_meta *
aw_meta(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, aw_meta_offset, struct aw_meta *);
}

/* Stamps a packet as just received on port index `port` (not re-injected). */
static inline void
aw_meta_rx(struct rte_mbuf *m, uint8_t port)
{
	struct aw_meta *meta = aw_meta(m);

	meta->port_in = port;
	meta->origin = 0;
	meta->depth = 0;
}

static inline void
aw_set_drop(struct rte_mbuf *m, enum aw_drop_reason r)
{
	struct aw_meta *meta = aw_meta(m); /* once: a store may alias the offset */

	meta->verdict = AW_V_DROP;
	meta->arg = (uint8_t)r;
}

static inline void
aw_set_tx(struct rte_mbuf *m, uint8_t port_out)
{
	struct aw_meta *meta = aw_meta(m); /* once: a store may alias the offset */

	meta->verdict = AW_V_TX;
	meta->port_out = port_out;
}

static inline void
aw_set_slow(struct rte_mbuf *m, enum aw_slow_kind k)
{
	struct aw_meta *meta = aw_meta(m); /* once: a store may alias the offset */

	meta->verdict = AW_V_SLOW;
	meta->arg = (uint8_t)k;
}

/* A configured port at run time. Immutable while lcores run. */
struct aw_port {
	uint16_t port_id;
	uint16_t mtu;
	uint16_t n_rxq, n_txq;
	struct rte_ether_addr mac;
	unsigned n_addrs;
	struct aw_prefix addrs[AW_MAX_PORT_ADDRS];
	bool has_v4, has_v6;
	bool started;
	struct aw_addr addr4, addr6; /* first address of each family: ICMP source */
	char name[RTE_ETH_NAME_MAX_LEN];
};

enum aw_lcore_role { AW_LCORE_NONE = 0, AW_LCORE_RTC, AW_LCORE_RX, AW_LCORE_WORKER, AW_LCORE_TX };

struct aw_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[AW_TX_BUF];
};

struct aw_dp;

/* Per-lcore context: owned and written by one lcore only. */
struct aw_lcore_ctx {
	struct aw_dp *dp;
	unsigned lcore_id;
	enum aw_lcore_role role;
	unsigned index;     /* position within its role */
	unsigned rcu_id;    /* RCU reader id */
	bool housekeeper;   /* runs the slow path (one lcore per process) */
	uint16_t n_rxq;
	struct {
		uint8_t port; /* index into dp->ports */
		uint16_t queue;
	} rxq[AW_MAX_RXQ];
	uint16_t txq[AW_MAX_PORTS]; /* TX queue per port index; this lcore owns it */
	struct aw_txbuf tx[AW_MAX_PORTS];
	/* pipeline */
	uint32_t next_seqn;            /* RX: next sequence number */
	unsigned rr_next;              /* RX: next worker, round robin */
	unsigned n_own_rx;             /* TX: RX lcores whose order it restores */
	unsigned own_rx[AW_MAX_LCORES];
	struct aw_reorder *reorder[AW_MAX_LCORES]; /* TX: one per owned RX lcore */
	/* ICMP error token bucket */
	uint64_t icmp_tokens;
	uint64_t icmp_last_tsc;
	uint64_t idle_polls;
	uint64_t loop_tsc;           /* end of the previous loop iteration (aw_loop_tail) */
	uint64_t next_timer_tsc;     /* housekeeper: next neighbour timer pass */
	/* features (aw_feature.h), by id: their per-lcore state (NULL on lcores
	 * that do not process packets) and this burst's batches */
	void *feat_lc[AW_FEAT__COUNT];
	struct aw_feat_batch batch[AW_FEAT__COUNT];
	/* packets re-injected by features in this burst (aw_set_again) */
	bool in_burst; /* inside aw_process_burst (aw_feature.h burst_end) */
	uint16_t n_again;
	struct rte_mbuf *again[AW_MAX_BURST];
	/* route path: the last neighbour key found and its position
	 * (aw_fwd_inline.h), when nb_valid (false in a zeroed context) */
	struct aw_addr nb_key;
	int32_t nb_pos;
	bool nb_valid;
	struct aw_stats stats __rte_cache_aligned;
} __rte_cache_aligned;

struct aw_dp {
	struct aw_config *cfg;
	unsigned n_ports;
	struct aw_port ports[AW_MAX_PORTS];
	struct rte_mempool *pool;
	struct aw_routes *routes;       /* immutable */
	struct aw_neigh_table *neigh;   /* one writer (housekeeper), lock-free readers */
	struct aw_addrset *addrs;       /* RCU: own addresses and VIPs */
	struct rte_rcu_qsbr *rcu;
	/* features (aw_feature.h), by id: instances, NULL when not configured,
	 * and what the classifier steers to them; immutable while lcores run */
	void *feat[AW_FEAT__COUNT];
	struct aw_steer steer;
	struct rte_ring *slow_ring;     /* MP/SC: packets for the housekeeper */
	struct rte_ring *ctl_ring;      /* SP/SC: requests from the API thread (GARP) */
	/* pipeline rings: in[rx][worker], out[worker][rx], each SPSC */
	struct rte_ring *ring_in[AW_MAX_LCORES][AW_MAX_LCORES];
	struct rte_ring *ring_out[AW_MAX_LCORES][AW_MAX_LCORES];
	unsigned n_ctx;
	struct aw_lcore_ctx *ctx[RTE_MAX_LCORE]; /* by lcore id; NULL when unused */
	struct aw_lcore_ctx *ctx_list[AW_MAX_LCORES];
	uint64_t tsc_hz;
	volatile bool stop;
};

/* Port index of a DPDK port id, or -1. */
static inline int
aw_port_index(const struct aw_dp *dp, uint16_t port_id)
{
	for (unsigned i = 0; i < dp->n_ports; i++)
		if (dp->ports[i].port_id == port_id)
			return (int)i;
	return -1;
}

#endif /* AW_DP_H */
