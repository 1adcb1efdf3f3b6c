/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_output.h"

#include "aw_slowpath.h"

void
aw_tx_flush_port(struct aw_lcore_ctx *c, unsigned port)
{
	struct aw_txbuf *b = &c->tx[port];
	uint16_t sent;

	if (b->n == 0)
		return;
	sent = rte_eth_tx_burst(c->dp->ports[port].port_id, c->txq[port], b->pkts, b->n);
	/* What the driver did not take is still ours: uncount and drop it. */
	for (uint16_t i = sent; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (aw_meta(m)->arg)
			c->stats.originated--;
		else
			c->stats.tx--;
		c->stats.tx_bytes -= rte_pktmbuf_pkt_len(m);
		aw_drop(c, m, AW_DROP_TX_FULL);
	}
	b->n = 0;
}

void
aw_tx_flush_all(struct aw_lcore_ctx *c)
{
	for (unsigned p = 0; p < c->dp->n_ports; p++)
		aw_tx_flush_port(c, p);
}

static void
to_housekeeper(struct aw_lcore_ctx *c, struct rte_mbuf *m)
{
	if (c->housekeeper) {
		aw_slow_input(c, m);
		return;
	}
	if (rte_ring_mp_enqueue(c->dp->slow_ring, m) != 0)
		aw_drop(c, m, AW_DROP_SLOWPATH_FULL);
}

/* A train (see AW_V_TX): each segment of m is a frame of its own for the
 * same port; the first is the packet processed (tx), the others were made
 * from it (originated). */
static void
tx_train(struct aw_lcore_ctx *c, struct rte_mbuf *m, unsigned port)
{
	bool first = true;

	while (m != NULL) {
		struct rte_mbuf *next = m->next;
		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
		aw_tx_enqueue(c, m, port, !first);
		first = false;
		m = next;
	}
}

/* Per-burst tally of the packets queued by aw_dispatch_burst: added to the
 * counters once per burst, and before any flush (which uncounts what the
 * driver refused), so the counters never go below what was sent. */
struct tx_tally {
	uint64_t pkts, bytes;
};

static inline void
tally_commit(struct aw_lcore_ctx *c, struct tx_tally *t)
{
	c->stats.tx += t->pkts;
	c->stats.tx_bytes += t->bytes;
	t->pkts = t->bytes = 0;
}

/* Anything but a single-segment packet to transmit. */
static void
dispatch_other(struct aw_lcore_ctx *c, struct rte_mbuf *m, const struct aw_meta *meta)
{
	switch (meta->verdict) {
	case AW_V_TX: /* a train: a capsule's outer fragments chained behind it */
		tx_train(c, m, meta->port_out);
		break;
	case AW_V_SLOW:
		to_housekeeper(c, m);
		break;
	case AW_V_CONSUMED:
		c->stats.consumed++;
		rte_pktmbuf_free(m);
		break;
	default:
		aw_drop(c, m, (enum aw_drop_reason)meta->arg);
		break;
	}
}

void
aw_dispatch_burst(struct aw_lcore_ctx *c, struct rte_mbuf **pkts, uint16_t n)
{
	const int off = aw_meta_offset; /* loaded once: stores through mbufs may alias it */
	struct tx_tally t = {0, 0};
	/* the TX buffer of the last packet's port, its count held here until
	 * the port changes, the buffer fills or another verdict comes */
	unsigned cur = AW_MAX_PORTS;
	struct aw_txbuf *b = NULL;
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct aw_meta *meta = RTE_MBUF_DYNFIELD(m, off, struct aw_meta *);

		if (likely(meta->verdict == AW_V_TX && m->nb_segs == 1)) {
			const unsigned port = meta->port_out;

			if (unlikely(port != cur)) {
				if (b != NULL)
					b->n = k;
				cur = port;
				b = &c->tx[port];
				k = b->n;
			}
			meta->arg = 0; /* not originated (aw_tx_flush_port) */
			t.pkts++;
			t.bytes += rte_pktmbuf_pkt_len(m);
			b->pkts[k++] = m;
			if (unlikely(k == AW_TX_BUF)) {
				b->n = k;
				tally_commit(c, &t);
				aw_tx_flush_port(c, port);
				k = 0; /* flushed: b->n is 0 */
			}
			continue;
		}
		if (b != NULL) /* the slow path may queue on any port: buffers up to date */
			b->n = k;
		b = NULL;
		cur = AW_MAX_PORTS;
		tally_commit(c, &t); /* ... and count */
		dispatch_other(c, m, meta);
	}
	if (b != NULL)
		b->n = k;
	tally_commit(c, &t);
}
