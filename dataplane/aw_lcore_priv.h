/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_lcore_priv — pieces the rtc loop (aw_lcore.c) and the pipeline loops
 * (aw_lcore_pipeline.c) share. Internal to the lcore module.
 */
#ifndef AW_LCORE_PRIV_H
#define AW_LCORE_PRIV_H

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "aw_dp.h"
#include "aw_pkt.h"

#define IDLE_POLLS_BEFORE_SLEEP 64

/* End of every loop iteration: quiescent state, idle back-off, and the
 * iteration's TSC cycles counted busy or idle (one rdtsc per iteration, the
 * one the feature timers use; an idle sleep is counted idle). */
static inline void
aw_loop_tail(struct aw_lcore_ctx *c, bool busy)
{
	struct aw_dp *dp = c->dp;
	uint64_t now = rte_rdtsc(), spent = now - c->loop_tsc;

	c->loop_tsc = now;
	if (c->role == AW_LCORE_RTC || c->role == AW_LCORE_WORKER)
		aw_features_tick(c, now);
	rte_rcu_qsbr_quiescent(dp->rcu, c->rcu_id);
	if (busy) {
		c->idle_polls = 0;
		c->stats.info[AW_INFO_POLLS_BUSY]++;
		c->stats.info[AW_INFO_CYCLES_BUSY] += spent;
		return;
	}
	c->stats.info[AW_INFO_POLLS_IDLE]++;
	c->stats.info[AW_INFO_CYCLES_IDLE] += spent;
	if (dp->cfg->idle_sleep_us == 0 || ++c->idle_polls < IDLE_POLLS_BEFORE_SLEEP)
		return;
	rte_rcu_qsbr_thread_offline(dp->rcu, c->rcu_id);
	rte_delay_us_sleep(dp->cfg->idle_sleep_us);
	rte_rcu_qsbr_thread_online(dp->rcu, c->rcu_id);
	c->stats.info[AW_INFO_IDLE_SLEEPS]++;
	now = rte_rdtsc();
	c->stats.info[AW_INFO_CYCLES_IDLE] += now - c->loop_tsc;
	c->loop_tsc = now;
}

/* Polls the lcore's RX queues into pkts; stamps the input port. */
static inline uint16_t
aw_rx_poll(struct aw_lcore_ctx *c, unsigned q, struct rte_mbuf **pkts)
{
	uint16_t n = rte_eth_rx_burst(c->dp->ports[c->rxq[q].port].port_id, c->rxq[q].queue, pkts,
				      (uint16_t)c->dp->cfg->burst);
	for (uint16_t i = 0; i < n; i++) {
		aw_meta_rx(pkts[i], c->rxq[q].port);
		c->stats.rx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
	}
	c->stats.rx += n;
	return n;
}

void aw_rx_loop(struct aw_lcore_ctx *c);
void aw_worker_loop(struct aw_lcore_ctx *c);
void aw_tx_loop(struct aw_lcore_ctx *c);
/* Pipeline leftovers at shutdown: rings and reorder buffers. */
void aw_pipeline_teardown(struct aw_dp *dp);

#endif /* AW_LCORE_PRIV_H */
