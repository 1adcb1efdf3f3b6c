/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_pkt — the packet-processing entry point: one call per burst decides the
 * verdict of every packet (aw_meta) without sending or freeing anything.
 * Classification of what is ours: ARP, ND, ICMP echo to own addresses and VIPs,
 * and the steering of the features' traffic to their batches (aw_feature.h); the rest
 * is routed by the forwarding module (aw_fwd.h), which the features also call.
 *
 * Contract: called by rtc and pipeline-worker lcores with their own context,
 * between two RCU quiescent states of that lcore. Packets are single-segment
 * (RX scatter is off and the mbuf data room fits the largest MTU).
 */
#ifndef AW_PKT_H
#define AW_PKT_H

#include "aw_dp.h"

/* Registers the aw_meta mbuf dynfield (main thread, before lcores start). */
int aw_meta_register(void);

void aw_process_burst(struct aw_lcore_ctx *c, struct rte_mbuf **pkts, uint16_t n);

/* How many times one received packet may be turned into an inner packet and
 * classified again (a redirected, fragmented gateway capsule: 3). */
#define AW_REINJECT_MAX 3

/* Re-injection, for a feature's burst function (lcore of c): the feature has
 * turned m into an inner IP packet (a decapsulated or decrypted one, SPEC §6
 * and §8) whose data now starts at the inner IP header, to be processed as if
 * it had arrived on meta.port_in. The core prepends an Ethernet header
 * addressed to that port, records the feature (meta.origin = feat_id + 1,
 * meta.origin_arg = arg, meta.depth + 1) and classifies m again in this same
 * aw_process_burst() call, after every batch of the current pass ran: its
 * verdict is that second pass's. Beyond AW_REINJECT_MAX levels, or without
 * headroom, m is dropped with a counter. The mbuf stays the caller's packet
 * (same pointer, same place in the burst and in the pipeline's order). */
void aw_set_again(struct aw_lcore_ctx *c, struct rte_mbuf *m, unsigned feat_id, uint32_t arg);

/* Once per loop of a processing lcore (rtc, worker): the features' timers. */
void aw_features_tick(struct aw_lcore_ctx *c, uint64_t now_tsc);

#endif /* AW_PKT_H */
