/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_traffic — packet stamps, per-flow headers and the sink's checks (see
 * ab_traffic.h). Hot path: ab_gen_fill and ab_sink_take, burst at a time.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "ab_traffic.h"

#define AB_MAGIC 0x61774231u /* "awB1" */
#define PORT_SPAN 64512u     /* source ports 1024..65535 (bench/templates.py knows) */

struct ab_stamp {
	uint32_t magic;
	uint32_t flow;
	uint64_t seq;
	uint32_t check;
} __attribute__((packed));

static inline uint32_t
stamp_check(uint32_t flow, uint64_t seq)
{
	uint64_t x = (seq ^ ((uint64_t)flow << 40) ^ flow) * 0x9E3779B97F4A7C15ull;
	return (uint32_t)(x >> 32) ^ AB_MAGIC;
}

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

int
ab_gen_init(struct ab_gen *g, const struct ab_tmpl *t, uint32_t n_flows, bool random_order,
	    uint64_t seed)
{
	memset(g, 0, sizeof(*g));
	g->t = t;
	g->n_flows = n_flows;
	g->order = rte_malloc("ab_order", sizeof(*g->order) * n_flows, 64);
	g->seq = rte_zmalloc("ab_gseq", sizeof(*g->seq) * n_flows, 64);
	g->img_stride = RTE_ALIGN_CEIL(t->pkt_size, 64u);
	g->img = rte_malloc("ab_img", (size_t)g->img_stride * t->n, 64);
	if (g->order == NULL || g->seq == NULL || g->img == NULL) {
		ab_gen_free(g);
		return -1;
	}
	for (uint32_t i = 0; i < n_flows; i++)
		g->order[i] = i;
	for (uint32_t i = n_flows; random_order && i > 1; i--) { /* Fisher-Yates */
		uint32_t j = (uint32_t)(splitmix(&seed) % i);
		uint32_t tmp = g->order[i - 1];
		g->order[i - 1] = g->order[j];
		g->order[j] = tmp;
	}
	return 0;
}

void
ab_gen_free(struct ab_gen *g)
{
	rte_free(g->order);
	rte_free(g->seq);
	rte_free(g->img);
	g->order = NULL;
	g->seq = NULL;
	g->img = NULL;
}

/* L4 checksum over the whole packet: IPv6 needs one; TCP gets one too. */
static inline void
l4_checksum(struct rte_mbuf *m, const struct ab_frame *f)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	void *l3 = p + f->l3_off, *l4 = p + f->l4_off;
	uint16_t *ck = f->proto == IPPROTO_UDP ? &((struct rte_udp_hdr *)l4)->dgram_cksum
					       : &((struct rte_tcp_hdr *)l4)->cksum;
	*ck = 0;
	if (f->v6) {
		*ck = rte_ipv6_udptcp_cksum(l3, l4);
	} else if (f->proto == IPPROTO_TCP) {
		*ck = rte_ipv4_udptcp_cksum(l3, l4);
	}
}

/* Per flow: source port, then source address (low 32 bits) every PORT_SPAN
 * flows; TRS messages also get the flow number in the PathID's last 4 bytes
 * (bench/templates.py binds and installs the same paths). */
static inline void
vary(uint8_t *p, const struct ab_frame *f, uint32_t flow)
{
	struct rte_udp_hdr *l4 = (struct rte_udp_hdr *)(p + f->l4_off);
	uint32_t hi = flow / PORT_SPAN;

	l4->src_port = rte_cpu_to_be_16((uint16_t)(1024 + (f->sport + flow) % PORT_SPAN));
	if (f->trs) {
		uint32_t id = rte_cpu_to_be_32(flow);
		memcpy(p + f->l4_off + 8 + AB_TRS_ID_OFF + 12, &id, 4);
	}
	if (hi == 0)
		return;
	uint8_t *src = p + f->l3_off + (f->v6 ? 8 + 12 : 12);
	uint32_t a;
	memcpy(&a, src, 4);
	a = rte_cpu_to_be_32(rte_be_to_cpu_32(a) + hi);
	memcpy(src, &a, 4);
	if (!f->v6) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + f->l3_off);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
}

/* Each template's frame up to its stamp (headers, then the 0x5a padding),
 * made once the tail gap is known: a packet is one copy of it, its varied
 * fields and its stamp. */
static void
build_images(struct ab_gen *g)
{
	g->img_len = g->t->pkt_size - g->tail_gap - AB_STAMP_LEN;
	for (unsigned i = 0; i < g->t->n; i++) {
		const struct ab_frame *f = &g->t->f[i];
		uint8_t *img = g->img + (size_t)i * g->img_stride;
		memcpy(img, f->hdr, f->hdr_len);
		if (g->img_len > f->hdr_len)
			memset(img + f->hdr_len, 0x5a, g->img_len - f->hdr_len);
	}
}

static inline uint64_t
fill_one(struct ab_gen *g, struct rte_mbuf *m, uint32_t flow)
{
	const unsigned fi = g->t->n == 1 ? 0 : flow % g->t->n;
	const struct ab_frame *f = &g->t->f[fi];
	uint32_t size = g->t->pkt_size;
	uint8_t *p = (uint8_t *)m->buf_addr + m->data_off;
	struct ab_stamp st = {AB_MAGIC, flow, g->seq[flow]++, 0};

	rte_memcpy(p, g->img + (size_t)fi * g->img_stride, g->img_len);
	vary(p, f, flow);
	if (g->gw != NULL)
		ab_gw_inner(g->gw, p, f, flow);
	st.check = stamp_check(flow, st.seq);
	memcpy(p + g->img_len, &st, sizeof(st));
	m->data_len = (uint16_t)size;
	m->pkt_len = size;
	if (g->signer != NULL && f->trs &&
	    ab_signer_sign(g->signer, flow, p + f->l4_off + 8, size - f->l4_off - 8u,
			   (uint32_t)st.seq + 2) < 0)
		g->sign_failed++; /* seq 1 was the binding HOLE_PUNCHING */
	if (f->v6 || f->proto == IPPROTO_TCP)
		l4_checksum(m, f);
	return st.seq;
}

void
ab_gen_fill(struct ab_gen *g, struct rte_mbuf **m, unsigned n)
{
	if (unlikely(g->img_len == 0))
		build_images(g);
	for (unsigned i = 0; i < n; i++) {
		if (i + 2 < n)
			rte_prefetch0((uint8_t *)m[i + 2]->buf_addr + m[i + 2]->data_off);
		const uint32_t flow = g->order[g->pos];
		g->gw_seq[i] = fill_one(g, m[i], flow);
		g->gw_flow[i] = flow;
		if (++g->pos == g->n_flows)
			g->pos = 0;
	}
	if (g->gw != NULL && g->gw->inbound)
		g->sign_failed += ab_gw_seal(g->gw, m, g->gw_flow, g->gw_seq, n);
	g->generated += n;
}

int
ab_gen_alloc(struct rte_mempool *mp, struct rte_mbuf **m, unsigned n)
{
	if (rte_mempool_get_bulk(mp, (void **)m, n) != 0)
		return -1;
	/* A pool's free mbufs have refcnt 1, nb_segs 1 and no next (what
	 * rte_pktmbuf_free leaves); the rest of what rte_pktmbuf_reset does: */
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *b = m[i];
		b->data_off = (uint16_t)RTE_MIN((uint16_t)RTE_PKTMBUF_HEADROOM, b->buf_len);
		b->ol_flags &= RTE_MBUF_F_EXTERNAL;
		b->packet_type = 0;
		b->tx_offload = 0;
		b->vlan_tci = 0;
		b->vlan_tci_outer = 0;
		b->port = RTE_MBUF_PORT_INVALID;
	}
	return 0;
}

int
ab_sink_init(struct ab_sink *s, uint32_t n_flows, uint32_t pkt_size)
{
	memset(s, 0, sizeof(*s));
	s->n_flows = n_flows;
	s->pkt_size = pkt_size;
	s->next = rte_zmalloc("ab_sseq", sizeof(*s->next) * n_flows, 64);
	return s->next == NULL ? -1 : 0;
}

void
ab_sink_free(struct ab_sink *s)
{
	rte_free(s->next);
	s->next = NULL;
}

static inline void
check_one(struct ab_sink *s, struct rte_mbuf *m)
{
	struct ab_stamp st;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	s->rx++;
	s->rx_bytes += len;
	if (len >= sizeof(*eth) && eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
		s->other++; /* the data plane resolving a neighbour: not our traffic */
		return;
	}
	if (len != s->pkt_size || m->nb_segs != 1) {
		s->corrupted++;
		return;
	}
	memcpy(&st, rte_pktmbuf_mtod_offset(m, uint8_t *, len - s->tail_gap - AB_STAMP_LEN),
	       sizeof(st));
	if (st.magic != AB_MAGIC || st.flow >= s->n_flows ||
	    st.check != stamp_check(st.flow, st.seq)) {
		s->corrupted++;
		return;
	}
	if (st.seq < s->next[st.flow])
		s->out_of_order++;
	else
		s->next[st.flow] = st.seq + 1;
}

void
ab_sink_take(struct ab_sink *s, struct rte_mbuf **m, unsigned n)
{
	if (s->gw != NULL)
		ab_gw_open(s->gw, m, n, s->gw_strict);
	for (unsigned i = 0; i < n; i++) {
		if (i + 2 < n)
			rte_prefetch0(rte_pktmbuf_mtod(m[i + 2], void *));
		check_one(s, m[i]);
	}
	rte_pktmbuf_free_bulk(m, n);
}
