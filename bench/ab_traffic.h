/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_traffic — what the generator puts in each packet and what the sink
 * checks in each packet that comes back.
 *
 * Every frame ends with a 20-byte stamp {magic, flow id, sequence number in
 * that flow, check word} (followed by tail_gap bytes: a TRS message's tag
 * when the generator signs); the headers before it come from a template, with
 * the L4 ports varied per flow. The sink checks the stamp (a frame whose
 * stamp or length is wrong is `corrupted`), and per flow that sequence numbers
 * only grow (a smaller or repeated one is `out_of_order`). A gap is a loss,
 * not a reordering. Checks read only the stamp, so a forwarder that swaps
 * addresses and ports (testpmd 5tswap) passes them too.
 *
 * Contract: a generator and a sink belong to one lcore each (the same one in
 * this program); nothing here is thread-safe.
 */
#ifndef AB_TRAFFIC_H
#define AB_TRAFFIC_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "ab_gw.h"
#include "ab_sign.h"
#include "ab_tmpl.h"

#define AB_STAMP_LEN 20u
#define AB_GEN_BURST_MAX 256u /* most packets one ab_gen_fill writes */

struct ab_gen {
	const struct ab_tmpl *t;
	uint32_t n_flows;
	uint32_t *order;   /* flow of the i-th packet of a round (n_flows entries) */
	uint32_t pos;      /* position in order */
	uint64_t *seq;     /* next sequence number per flow */
	uint64_t generated;
	const struct ab_signer *signer; /* TRS frames get a fresh seq and tag; NULL: none */
	unsigned tail_gap; /* bytes after the stamp (a TRS tag when signing), else 0 */
	uint8_t *img;      /* per template frame: its bytes up to the stamp, ... */
	uint32_t img_stride, img_len; /* ... made at the first fill (img_len 0 before) */
	uint64_t sign_failed;
	const struct ab_gw *gw; /* gateway scenarios (node addresses; gateway-in: seal); NULL: none */
	uint32_t gw_flow[AB_GEN_BURST_MAX]; /* flow and stamp seq of each packet of a fill */
	uint64_t gw_seq[AB_GEN_BURST_MAX];
};

struct ab_sink {
	uint32_t n_flows;
	uint32_t pkt_size;
	uint64_t *next;    /* next expected sequence number per flow */
	uint64_t rx, rx_bytes;
	uint64_t out_of_order, corrupted, other;
	unsigned tail_gap; /* as the generator's */
	const struct ab_gw *gw; /* gateway scenarios: capsules opened before the checks */
	bool gw_strict;         /* the peer is anyway-dataplane (ab_gw.h) */
};

/* random_order: a random permutation of the flows (seeded), else 0..n-1.
 * -1 when memory is short. */
int ab_gen_init(struct ab_gen *g, const struct ab_tmpl *t, uint32_t n_flows, bool random_order,
		uint64_t seed);
void ab_gen_free(struct ab_gen *g);
/* Writes the next n (<= AB_GEN_BURST_MAX) packets into m[] (allocated,
 * empty mbufs). */
void ab_gen_fill(struct ab_gen *g, struct rte_mbuf **m, unsigned n);
/* rte_pktmbuf_alloc_bulk without re-writing what every free mbuf of a pool
 * already has (refcnt, nb_segs, next); -1 when the pool has not n. */
int ab_gen_alloc(struct rte_mempool *mp, struct rte_mbuf **m, unsigned n);

int ab_sink_init(struct ab_sink *s, uint32_t n_flows, uint32_t pkt_size);
void ab_sink_free(struct ab_sink *s);
/* Checks and frees n packets. */
void ab_sink_take(struct ab_sink *s, struct rte_mbuf **m, unsigned n);

#endif /* AB_TRAFFIC_H */
