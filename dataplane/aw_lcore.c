/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_lcore.h"

#include <stdio.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "aw_output.h"
#include "aw_pkt.h"
#include "aw_reorder.h"
#include "aw_slowpath.h"
#include "aw_lcore_priv.h"

#define DRAIN_MAX 256

void
aw_lcores_layout(const struct aw_config *cfg, unsigned *n_rx, unsigned *n_tx)
{
	if (cfg->mode == AW_MODE_PIPELINE) {
		*n_rx = cfg->pipeline.n_rx;
		*n_tx = cfg->pipeline.n_tx;
	} else {
		*n_rx = *n_tx = rte_lcore_count();
	}
}

static struct aw_lcore_ctx *
new_ctx(struct aw_dp *dp, unsigned lcore, enum aw_lcore_role role, unsigned index)
{
	struct aw_lcore_ctx *c = rte_zmalloc_socket("aw_ctx", sizeof(*c), RTE_CACHE_LINE_SIZE,
						    (int)rte_lcore_to_socket_id(lcore));
	if (c == NULL)
		return NULL;
	c->dp = dp;
	c->lcore_id = lcore;
	c->role = role;
	c->index = index;
	c->rcu_id = dp->n_ctx;
	c->next_seqn = 1;
	c->icmp_tokens = dp->cfg->icmp_rate;
	c->icmp_last_tsc = rte_rdtsc();
	for (unsigned p = 0; p < AW_MAX_PORTS; p++)
		c->txq[p] = UINT16_MAX;
	dp->ctx[lcore] = c;
	dp->ctx_list[dp->n_ctx++] = c;
	return c;
}

static void
give_rx_queues(struct aw_dp *dp, struct aw_lcore_ctx *c, unsigned index)
{
	for (unsigned p = 0; p < dp->n_ports; p++) {
		if (index < dp->ports[p].n_rxq) {
			c->rxq[c->n_rxq].port = (uint8_t)p;
			c->rxq[c->n_rxq].queue = (uint16_t)index;
			c->n_rxq++;
		}
	}
}

static void
give_tx_queues(struct aw_dp *dp, struct aw_lcore_ctx *c, unsigned index)
{
	for (unsigned p = 0; p < dp->n_ports; p++)
		c->txq[p] = (uint16_t)index;
}

static int
setup_rtc(struct aw_dp *dp)
{
	unsigned lcore, i = 0;

	RTE_LCORE_FOREACH(lcore) {
		struct aw_lcore_ctx *c = new_ctx(dp, lcore, AW_LCORE_RTC, i);
		if (c == NULL)
			return -1;
		give_rx_queues(dp, c, i);
		give_tx_queues(dp, c, i);
		c->housekeeper = i == 0;
		i++;
	}
	return 0;
}

static struct rte_ring *
spsc_ring(const char *kind, unsigned a, unsigned b, unsigned size)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "aw_%s_%u_%u", kind, a, b);
	return rte_ring_create(name, size, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
}

static int
setup_pipeline(struct aw_dp *dp, char *err, size_t errlen)
{
	const struct aw_pipeline_conf *pc = &dp->cfg->pipeline;
	uint64_t gap = (uint64_t)pc->gap_timeout_us * dp->tsc_hz / 1000000 + 1;

	for (unsigned r = 0; r < pc->n_rx; r++) {
		struct aw_lcore_ctx *c = new_ctx(dp, pc->rx[r], AW_LCORE_RX, r);
		if (c == NULL)
			return -1;
		give_rx_queues(dp, c, r);
		for (unsigned w = 0; w < pc->n_workers; w++) {
			dp->ring_in[r][w] = spsc_ring("in", r, w, pc->ring_size);
			dp->ring_out[w][r] = spsc_ring("out", w, r, pc->ring_size);
			if (dp->ring_in[r][w] == NULL || dp->ring_out[w][r] == NULL)
				goto ring_fail;
		}
	}
	for (unsigned w = 0; w < pc->n_workers; w++)
		if (new_ctx(dp, pc->workers[w], AW_LCORE_WORKER, w) == NULL)
			return -1;
	for (unsigned t = 0; t < pc->n_tx; t++) {
		struct aw_lcore_ctx *c = new_ctx(dp, pc->tx[t], AW_LCORE_TX, t);
		if (c == NULL)
			return -1;
		give_tx_queues(dp, c, t);
		c->housekeeper = t == 0;
		for (unsigned r = t; r < pc->n_rx; r += pc->n_tx) {
			char name[32];
			snprintf(name, sizeof(name), "aw_reorder_%u", r);
			c->reorder[c->n_own_rx] = aw_reorder_create(name, pc->reorder_size, gap,
								    (int)rte_socket_id());
			if (c->reorder[c->n_own_rx] == NULL) {
				snprintf(err, errlen, "pipeline: cannot create reorder buffer: %s",
					 rte_strerror(rte_errno));
				return -1;
			}
			c->own_rx[c->n_own_rx++] = r;
		}
	}
	return 0;
ring_fail:
	snprintf(err, errlen, "pipeline: cannot create rings of %u: %s", pc->ring_size,
		 rte_strerror(rte_errno));
	return -1;
}

static int
setup_rcu(struct aw_dp *dp, char *err, size_t errlen)
{
	size_t sz = rte_rcu_qsbr_get_memsize(dp->n_ctx);

	dp->rcu = rte_zmalloc("aw_rcu", sz, RTE_CACHE_LINE_SIZE);
	if (dp->rcu == NULL || rte_rcu_qsbr_init(dp->rcu, dp->n_ctx) != 0) {
		snprintf(err, errlen, "cannot create the RCU state");
		return -1;
	}
	for (unsigned i = 0; i < dp->n_ctx; i++)
		rte_rcu_qsbr_thread_register(dp->rcu, i);
	return 0;
}

int
aw_lcores_setup(struct aw_dp *dp, char *err, size_t errlen)
{
	int rc = dp->cfg->mode == AW_MODE_PIPELINE ? setup_pipeline(dp, err, errlen)
						    : setup_rtc(dp);
	if (rc < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "out of memory for lcore contexts");
		return -1;
	}
	dp->slow_ring = rte_ring_create("aw_slow", 1024, (int)rte_socket_id(), RING_F_SC_DEQ);
	dp->ctl_ring = rte_ring_create("aw_ctl", 256, (int)rte_socket_id(),
				       RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (dp->slow_ring == NULL || dp->ctl_ring == NULL) {
		snprintf(err, errlen, "cannot create slow-path rings: %s", rte_strerror(rte_errno));
		return -1;
	}
	return setup_rcu(dp, err, errlen);
}

static void
rtc_loop(struct aw_lcore_ctx *c)
{
	struct rte_mbuf *pkts[AW_MAX_BURST];

	while (!c->dp->stop) {
		bool busy = false;
		for (unsigned q = 0; q < c->n_rxq; q++) {
			uint16_t n = aw_rx_poll(c, q, pkts);
			if (n == 0)
				continue;
			busy = true;
			aw_process_burst(c, pkts, n);
			aw_dispatch_burst(c, pkts, n);
		}
		if (c->housekeeper)
			aw_slow_poll(c);
		aw_tx_flush_all(c);
		aw_loop_tail(c, busy);
	}
}


int
aw_lcore_main(void *arg)
{
	struct aw_dp *dp = arg;
	struct aw_lcore_ctx *c = dp->ctx[rte_lcore_id()];

	if (c == NULL)
		return 0;
	rte_rcu_qsbr_thread_online(dp->rcu, c->rcu_id);
	c->loop_tsc = rte_rdtsc();  /* cycles_busy / _idle count from here */
	switch (c->role) {
	case AW_LCORE_RTC: rtc_loop(c); break;
	case AW_LCORE_RX: aw_rx_loop(c); break;
	case AW_LCORE_WORKER: aw_worker_loop(c); break;
	case AW_LCORE_TX: aw_tx_loop(c); break;
	default: break;
	}
	aw_tx_flush_all(c);
	rte_rcu_qsbr_thread_offline(dp->rcu, c->rcu_id);
	return 0;
}

void
aw_lcores_teardown(struct aw_dp *dp)
{
	for (unsigned i = 0; i < dp->n_ctx; i++) {
		struct aw_lcore_ctx *c = dp->ctx_list[i];
		if (c->housekeeper)
			aw_slow_drain_all(c);
	}
	if (dp->cfg->mode == AW_MODE_PIPELINE)
		aw_pipeline_teardown(dp);
}
