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

/* Once per loop of a processing lcore (rtc, worker): the features' timers. */
void aw_features_tick(struct aw_lcore_ctx *c, uint64_t now_tsc);

#endif /* AW_PKT_H */
