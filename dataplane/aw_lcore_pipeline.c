/* SPDX-License-Identifier: BSD-3-Clause */
/* Pipeline mode loops: RX (sequence + spread), worker (process), TX (reorder +
 * verdicts). See aw_lcore.h for the contract. */
#include <rte_cycles.h>
#include <rte_reorder.h>

#include "aw_lcore_priv.h"
#include "aw_output.h"
#include "aw_pkt.h"
#include "aw_reorder.h"
#include "aw_slowpath.h"

#define DRAIN_MAX 256

/* Spreads a stamped burst over the workers: the whole burst to the next worker
 * in turn, the rest to the following ones if its ring is full. What no ring
 * takes is dropped and its sequence numbers given back, so it leaves no gap. */
static void
rx_spread(struct aw_lcore_ctx *c, struct rte_mbuf **pkts, uint16_t n)
{
	struct aw_dp *dp = c->dp;
	unsigned nw = dp->cfg->pipeline.n_workers, sent = 0;

	for (unsigned tries = 0; tries < nw && sent < n; tries++) {
		unsigned w = c->rr_next;
		c->rr_next = (w + 1) % nw;
		sent += rte_ring_sp_enqueue_burst(dp->ring_in[c->index][w], (void **)pkts + sent,
						  n - sent, NULL);
	}
	if (sent < n) {
		c->next_seqn -= n - sent;
		for (unsigned i = sent; i < n; i++)
			aw_drop(c, pkts[i], AW_DROP_WORKER_RING_FULL);
	}
}

void
aw_rx_loop(struct aw_lcore_ctx *c)
{
	struct rte_mbuf *pkts[AW_MAX_BURST];

	while (!c->dp->stop) {
		bool busy = false;
		for (unsigned q = 0; q < c->n_rxq; q++) {
			uint16_t n = aw_rx_poll(c, q, pkts);
			if (n == 0)
				continue;
			busy = true;
			for (uint16_t i = 0; i < n; i++)
				*rte_reorder_seqn(pkts[i]) = c->next_seqn++;
			rx_spread(c, pkts, n);
		}
		aw_loop_tail(c, busy);
	}
}

/* Hands a processed burst to the TX lcore; waits for room (back-pressure)
 * unless the data plane is stopping. */
static void
to_tx(struct aw_lcore_ctx *c, struct rte_ring *r, struct rte_mbuf **pkts, unsigned n)
{
	unsigned sent = 0;

	while (sent < n) {
		sent += rte_ring_sp_enqueue_burst(r, (void **)pkts + sent, n - sent, NULL);
		if (sent < n && c->dp->stop)
			break;
		if (sent < n)
			rte_pause();
	}
	for (unsigned i = sent; i < n; i++)
		aw_drop(c, pkts[i], AW_DROP_SHUTDOWN);
}

void
aw_worker_loop(struct aw_lcore_ctx *c)
{
	struct aw_dp *dp = c->dp;
	struct rte_mbuf *pkts[AW_MAX_BURST];
	unsigned n_rx = dp->cfg->pipeline.n_rx;

	while (!dp->stop) {
		bool busy = false;
		for (unsigned r = 0; r < n_rx; r++) {
			unsigned n = rte_ring_sc_dequeue_burst(dp->ring_in[r][c->index],
							       (void **)pkts, dp->cfg->burst, NULL);
			if (n == 0)
				continue;
			busy = true;
			aw_process_burst(c, pkts, (uint16_t)n);
			to_tx(c, dp->ring_out[c->index][r], pkts, n);
		}
		aw_loop_tail(c, busy);
	}
}

/* Moves what workers finished for RX lcore r into its reorder buffer. */
static bool
collect(struct aw_lcore_ctx *c, unsigned k)
{
	struct aw_dp *dp = c->dp;
	struct rte_mbuf *pkts[AW_MAX_BURST], *late[AW_MAX_BURST];
	bool busy = false;

	for (unsigned w = 0; w < dp->cfg->pipeline.n_workers; w++) {
		unsigned n = rte_ring_sc_dequeue_burst(dp->ring_out[w][c->own_rx[k]],
						       (void **)pkts, AW_MAX_BURST, NULL);
		busy |= n > 0;
		unsigned nl = aw_reorder_insert_burst(c->reorder[k], pkts, n, late);
		for (unsigned i = 0; i < nl; i++)
			aw_drop(c, late[i], AW_DROP_REORDER_LATE);
	}
	return busy;
}

void
aw_tx_loop(struct aw_lcore_ctx *c)
{
	struct rte_mbuf *out[DRAIN_MAX];

	while (!c->dp->stop) {
		bool busy = false;
		uint64_t gaps = 0;
		for (unsigned k = 0; k < c->n_own_rx; k++) {
			busy |= collect(c, k);
			unsigned n;
			do { /* a drain shorter than DRAIN_MAX took the whole run */
				n = aw_reorder_drain(c->reorder[k], out, DRAIN_MAX, rte_rdtsc());
				if (n > 0)
					aw_dispatch_burst(c, out, (uint16_t)n);
			} while (n == DRAIN_MAX);
			gaps += c->reorder[k]->gaps_skipped;
		}
		c->stats.info[AW_INFO_REORDER_GAPS_SKIPPED] = gaps;
		if (c->housekeeper)
			aw_slow_poll(c);
		aw_tx_flush_all(c);
		aw_loop_tail(c, busy);
	}
}

static void
drop_ring(struct aw_lcore_ctx *c, struct rte_ring *r)
{
	struct rte_mbuf *m;

	while (r != NULL && rte_ring_sc_dequeue(r, (void **)&m) == 0)
		aw_drop(c, m, AW_DROP_SHUTDOWN);
}

void
aw_pipeline_teardown(struct aw_dp *dp)
{
	const struct aw_pipeline_conf *pc = &dp->cfg->pipeline;
	struct rte_mbuf *out[DRAIN_MAX];

	for (unsigned i = 0; i < dp->n_ctx; i++) {
		struct aw_lcore_ctx *c = dp->ctx_list[i];
		if (c->role != AW_LCORE_TX)
			continue;
		for (unsigned k = 0; k < c->n_own_rx; k++) {
			unsigned r = c->own_rx[k], n;
			for (unsigned w = 0; w < pc->n_workers; w++) {
				drop_ring(c, dp->ring_in[r][w]);
				drop_ring(c, dp->ring_out[w][r]);
			}
			while ((n = aw_reorder_flush(c->reorder[k], out, DRAIN_MAX)) > 0)
				for (unsigned j = 0; j < n; j++)
					aw_drop(c, out[j], AW_DROP_SHUTDOWN);
			aw_reorder_destroy(c->reorder[k]);
			c->reorder[k] = NULL;
		}
	}
}
