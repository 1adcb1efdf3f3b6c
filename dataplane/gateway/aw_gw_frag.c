/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reassembly of IP fragments addressed to the data plane (SPEC §6: capsules
 * larger than the path MTU arrive fragmented), for the lcore owning `c`: one
 * DPDK rte_ip_frag table per processing lcore, bounded (gateway
 * reassembly.max_datagrams, up to RTE_LIBRTE_IP_FRAG_MAX_FRAG fragments
 * each) and timed out (reassembly.timeout_ms). The core steers every
 * fragment to an own address here while the gateway is on (frag_local).
 *
 * The table takes a copy of each fragment; the received mbuf is `consumed`
 * (held: counted, freed) unless its fragment completes a datagram: then the
 * datagram is copied back into that mbuf (one segment, as the core requires:
 * larger than the mbuf's room → gw_frag_too_big) and classified again
 * (aw_set_again), keeping its place in the burst and in the pipeline's order.
 * Fragments of one datagram must reach the same lcore: true for rtc lcores
 * fed by RSS on the addresses; in pipeline mode, the workers are chosen per
 * packet, so only datagrams whose fragments land on one worker reassemble
 * (the others time out, counted).
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_ip_frag.h>

#include "aw_gw.h"
#include "aw_gw_priv.h"
#include "aw_pkt.h"

#define L3_OFF RTE_ETHER_HDR_LEN

int
aw_gw_frag_init(struct aw_gw_lcore *gl, const struct aw_gw_conf *gc, uint64_t tsc_hz, int socket)
{
	uint32_t n = gc->frag_max;
	uint64_t cycles = tsc_hz / 1000 * gc->frag_timeout_ms;

	/* buckets of 16 entries, twice as many slots as datagrams kept */
	gl->frag = rte_ip_frag_table_create(rte_align32pow2(n * 2 / 16 + 1), 16, n, cycles, socket);
	return gl->frag == NULL ? -1 : 0;
}

void
aw_gw_frag_fini(struct aw_gw_lcore *gl)
{
	if (gl->frag == NULL)
		return;
	rte_ip_frag_free_death_row(&gl->dr, 0);
	rte_ip_frag_table_destroy(gl->frag);
	gl->frag = NULL;
}

/* The datagram (chain d) copied into m, whose data then starts at the IP
 * header; false when it does not fit. d is freed. */
static bool
linearize(struct rte_mbuf *m, struct rte_mbuf *d)
{
	const uint32_t ip_len = rte_pktmbuf_pkt_len(d) - d->l2_len;
	bool ok = ip_len <= (uint32_t)(m->buf_len - RTE_PKTMBUF_HEADROOM);

	if (ok) {
		m->data_off = RTE_PKTMBUF_HEADROOM;
		m->data_len = (uint16_t)ip_len;
		m->pkt_len = ip_len;
		void *to = rte_pktmbuf_mtod(m, void *);
		const void *from = rte_pktmbuf_read(d, d->l2_len, ip_len, to);
		if (from == NULL)
			ok = false;
		else if (from != to) /* contiguous in d: read returned a pointer into it */
			memcpy(to, from, ip_len);
	}
	rte_pktmbuf_free(d);
	return ok;
}

/* The IPv4 header of a reassembled datagram: checksum recomputed. */
static void
fix_ip4(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);

	h->hdr_checksum = 0;
	h->hdr_checksum = rte_ipv4_cksum(h);
}

void
aw_gw_frag_input(struct aw_lcore_ctx *c, struct aw_gw_lcore *gl, const struct aw_feat_pkt *fp)
{
	struct rte_mbuf *m = fp->m, *cp, *d;
	const uint64_t now = rte_rdtsc();

	c->stats.info[AW_INFO_GW_FRAGMENTS]++;
	if (fp->v6 && fp->l3_len < 40 + sizeof(struct rte_ipv6_fragment_ext))
		return aw_set_drop(m, AW_DROP_GW_FRAG_BAD);
	cp = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
	if (cp == NULL)
		return aw_set_drop(m, AW_DROP_GW_FRAG_NO_MBUF);
	cp->l2_len = L3_OFF;
	if (fp->v6) {
		struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(cp, struct rte_ipv6_hdr *, L3_OFF);
		cp->l3_len = sizeof(*ip) + sizeof(struct rte_ipv6_fragment_ext);
		d = rte_ipv6_frag_reassemble_packet(gl->frag, &gl->dr, cp, now, ip,
						    rte_ipv6_frag_get_ipv6_fragment_header(ip));
	} else {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(cp, struct rte_ipv4_hdr *, L3_OFF);
		cp->l3_len = fp->l3_hl;
		d = rte_ipv4_frag_reassemble_packet(gl->frag, &gl->dr, cp, now, ip);
	}
	if (d == NULL) { /* held by the table (or refused by it: freed on its death row) */
		aw_meta(m)->verdict = AW_V_CONSUMED;
		return;
	}
	if (!linearize(m, d))
		return aw_set_drop(m, AW_DROP_GW_FRAG_TOO_BIG);
	if (!fp->v6)
		fix_ip4(m);
	c->stats.info[AW_INFO_GW_REASSEMBLED]++;
	aw_set_again(c, m, AW_FEAT_GATEWAY, 0);
}

void
aw_gw_frag_free(struct aw_lcore_ctx *c, struct aw_gw_lcore *gl)
{
	if (gl->dr.cnt == 0)
		return;
	c->stats.info[AW_INFO_GW_FRAG_DISCARDED] += gl->dr.cnt;
	rte_ip_frag_free_death_row(&gl->dr, 0);
}

void
aw_gw_frag_tick(struct aw_lcore_ctx *c, struct aw_gw_lcore *gl, uint64_t now_tsc)
{
	if (gl->frag == NULL)
		return;
	rte_ip_frag_table_del_expired_entries(gl->frag, &gl->dr, now_tsc);
	aw_gw_frag_free(c, gl);
}
