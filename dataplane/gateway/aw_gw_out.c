/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The gateway's outbound path (SPEC §6): aw_gw_route_out, the route_out op
 * the forwarding module calls for a packet routed into an overlay prefix
 * (the lcore owning `c`). The packet is laid out as a CAPSULE to its node's
 * bound address in place (the mbuf grows at both ends) and held until the end
 * of the burst (burst_end), where every capsule of the burst is sealed in one
 * aw_trs_seal_burst and routed on as a packet the data plane originated.
 */
#include <string.h>

#include <openssl/rand.h>
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "aw_be.h"
#include "aw_cksum.h"
#include "aw_addrset.h"
#include "aw_fwd.h"
#include "aw_icmp.h"
#include "aw_gw.h"
#include "aw_gw_priv.h"

#define L3_OFF  RTE_ETHER_HDR_LEN
#define UDP_HL  8
#define OUT_TTL 64

/* 16 unpredictable bytes for a suite-1 IV, from the lcore's pool of OpenSSL
 * DRBG output (refilled 4 KiB at a time, no system call per packet). */
static bool
next_iv(struct aw_gw_lcore *gl, uint8_t iv[AW_TRS_IV_LEN])
{
	if (gl->iv_used + AW_TRS_IV_LEN > AW_GW_IV_POOL) {
		if (RAND_bytes(gl->iv_pool, AW_GW_IV_POOL) != 1)
			return false;
		gl->iv_used = 0;
	}
	memcpy(iv, gl->iv_pool + gl->iv_used, AW_TRS_IV_LEN);
	gl->iv_used += AW_TRS_IV_LEN;
	return true;
}

/* The inner packet's IP length (from its header), or 0 when it does not fit
 * the mbuf. */
static uint32_t
inner_len(const struct rte_mbuf *m, const uint8_t *ip, int v6)
{
	uint32_t len = v6 ? 40u + aw_be16_get(ip + 4) : aw_be16_get(ip + 2);

	return len + L3_OFF <= rte_pktmbuf_data_len(m) ? len : 0;
}

static void
put_header(uint8_t *msg, const struct aw_gw_path *p, uint32_t seq)
{
	memset(msg, 0, AW_TRS_HDR_LEN);
	aw_be32_put(msg + AW_TRS_OFF_TXID, p->txid);
	msg[AW_TRS_OFF_VERSION] = AW_TRS_VERSION;
	msg[AW_TRS_OFF_FLAG] = AW_TRS_FLAG_R; /* the gateway answers as the Responder */
	msg[AW_TRS_OFF_TYPE] = AW_TRS_T_CAPSULE;
	aw_be32_put(msg + AW_TRS_OFF_SEQ, seq);
	memcpy(msg + AW_TRS_OFF_ID, p->path_id, 16);
}

/* The UDP checksum: pseudo header (the source and destination addresses,
 * n32 32-bit words from addrs), then the datagram (checksum field zero). */
static uint16_t
udp_cksum(const void *addrs, unsigned n32, const struct rte_udp_hdr *udp, size_t len)
{
	uint64_t sum = aw_csum32_add(0, addrs, n32) + rte_cpu_to_be_16(IPPROTO_UDP) + udp->dgram_len;
	uint16_t ck = (uint16_t)~aw_csum_fold64(aw_csum_bulk(sum, udp, len));

	return ck == 0 ? 0xffff : ck;
}

/* Outer Ethernet type, IP and UDP headers in front of the sealed message;
 * IPv4 with DF unless it is to be fragmented, and UDP checksum 0; over IPv6
 * the UDP checksum is computed (RFC 8200 requires it). */
static void
put_outer(struct rte_mbuf *m, const struct aw_gw_bind *b, uint16_t sport_be, size_t mlen, bool df)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, L3_OFF);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	const unsigned hl = b->v6 ? 40 : 20;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + hl);

	udp->src_port = sport_be;
	udp->dst_port = b->port_be;
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(UDP_HL + mlen));
	udp->dgram_cksum = 0;
	if (b->v6) {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
		h->vtc_flow = RTE_BE32(6u << 28);
		h->payload_len = udp->dgram_len;
		h->proto = IPPROTO_UDP;
		h->hop_limits = OUT_TTL;
		memcpy(h->src_addr, b->laddr, 16);
		memcpy(h->dst_addr, b->addr, 16);
		udp->dgram_cksum = udp_cksum(h->src_addr, 8, udp, UDP_HL + mlen);
		return;
	}
	struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	h->version_ihl = 0x45;
	h->type_of_service = 0;
	h->total_length = rte_cpu_to_be_16((uint16_t)(hl + UDP_HL + mlen));
	h->packet_id = 0;
	h->fragment_offset = df ? RTE_BE16(RTE_IPV4_HDR_DF_FLAG) : 0;
	h->time_to_live = OUT_TTL;
	h->next_proto_id = IPPROTO_UDP;
	memcpy(&h->src_addr, b->laddr, 4);
	memcpy(&h->dst_addr, b->addr, 4);
	h->hdr_checksum = 0;
	h->hdr_checksum = rte_ipv4_cksum(h);
	/* no UDP checksum over IPv4 (RFC 768 makes it optional): the capsule's
	 * AEAD tag / HMAC already covers every byte of the message, and a sum
	 * over the whole sealed capsule would read it all once more */
}

/* The egress MTU toward the bound address: its route must be an ordinary
 * one. 0 or the drop reason; with no route, the smallest port MTU (aw_fwd
 * then counts no_route). */
static enum aw_drop_reason
egress_mtu(const struct aw_dp *dp, const struct aw_gw_bind *b, uint32_t *mtu)
{
	const struct aw_nexthop *nh = aw_route_lookup(dp->routes, b->addr, b->v6);

	*mtu = nh == NULL ? dp->routes->min_mtu : dp->ports[nh->port].mtu;
	return nh != NULL && nh->feat != 0 ? AW_DROP_GW_ROUTE_LOOP : 0;
}

/* An inner packet too large for a capsule within the egress MTU. Over outer
 * IPv4 the capsule is sent as fragments (true) when the inner packet is IPv4
 * without DF, or comes from one of our own addresses (an ASRS reply: an ICMP
 * error could not reach its real sender; the inner packet stays whole, RFC
 * 4459 §3.2). Otherwise ICMP too big / fragmentation needed to its source
 * with the inner MTU when it is IPv6 or DF from a routed source, else
 * dropped as gw_too_big (false, verdict set). */
static bool
too_big(struct aw_lcore_ctx *c, struct rte_mbuf *m, const uint8_t *ip, int v6, int outer_v6,
	uint32_t max)
{
	const struct aw_addrset *as = __atomic_load_n(&c->dp->addrs, __ATOMIC_ACQUIRE);
	const bool df = v6 || (aw_be16_get(ip + 6) & RTE_IPV4_HDR_DF_FLAG);
	const bool own = aw_addrset_lookup(as, v6 ? ip + 8 : ip + 12,
					   v6 ? AW_AF_INET6 : AW_AF_INET4) != NULL;

	if (!outer_v6 && (!df || own))
		return true;
	if (!df || own)
		aw_set_drop(m, AW_DROP_GW_TOO_BIG);
	else
		aw_icmp_error(c, m, v6, AW_ICMP_TOO_BIG, max, AW_DROP_GW_TOO_BIG);
	return false;
}

/* Lays m (Ethernet + inner packet of len bytes) out as a capsule of path p
 * bound at b: outer room, header, IV; the inner packet where the seal wants
 * its plaintext. Sealed later, in a burst. 0 or the drop reason. */
static enum aw_drop_reason
lay_out(struct aw_gw_lcore *gl, const struct aw_gw *g, struct aw_gw_path *p,
	const struct aw_gw_bind *b, struct rte_mbuf *m, uint32_t len)
{
	const size_t pt_off = aw_trs_pt_offset(p->suite);
	const size_t sealed = aw_trs_sealed_len(p->suite, len);
	const unsigned outer = L3_OFF + (b->v6 ? 40 : 20) + UDP_HL;

	(void)g;
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - L3_OFF - len));
	rte_pktmbuf_adj(m, L3_OFF);
	if (rte_pktmbuf_prepend(m, (uint16_t)(outer + pt_off)) == NULL ||
	    rte_pktmbuf_append(m, (uint16_t)(sealed - pt_off - len)) == NULL)
		return AW_DROP_GW_NO_ROOM;
	uint8_t *msg = rte_pktmbuf_mtod_offset(m, uint8_t *, outer);
	put_header(msg, p, __atomic_add_fetch(&p->seq_out, 1, __ATOMIC_RELAXED));
	if (p->suite == AW_TRS_SUITE_CBC_HMAC_MD5 && !next_iv(gl, msg + AW_TRS_HDR_LEN))
		return AW_DROP_GW_CRYPTO_FAIL;
	return 0;
}

/* A sealed capsule above the egress MTU: outer IPv4 fragments, routed as
 * one train (aw_gw_frag_out.c). */
static void
send_fragmented(struct aw_lcore_ctx *c, struct aw_gw_lcore *gl, const struct aw_gw_out *o)
{
	struct rte_mbuf *tails[AW_GW_FRAG_OUT_MAX];
	unsigned n;
	enum aw_drop_reason why = aw_gw_frag_split(gl, o->m, o->frag_mtu, tails, &n);

	if (unlikely(why != 0)) {
		aw_gw_count(&o->p->drops, 1);
		return aw_set_drop(o->m, why);
	}
	aw_gw_count(&o->p->pkts_out, 1);
	aw_gw_count(&o->p->bytes_out, o->len);
	c->stats.info[AW_INFO_GW_ENCRYPTED]++;
	aw_fwd_packet(c, o->m, 0, true);
	aw_gw_frag_attach(c, o->m, tails, n);
}

void
aw_gw_burst_end(struct aw_lcore_ctx *c)
{
	struct aw_gw_lcore *gl = aw_gw_lc(c);
	const struct aw_gw *g = aw_gw_of(c->dp);
	struct aw_trs_creq req[AW_GW_OUT_MAX];
	int res[AW_GW_OUT_MAX];
	const unsigned n = gl->n_out;

	aw_gw_frag_free(c, gl); /* fragments the reassembly let go of in this burst */
	if (n == 0)
		return;
	gl->n_out = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct aw_gw_out *o = &gl->out[i];
		const unsigned outer = L3_OFF + (o->b.v6 ? 40 : 20) + UDP_HL;
		uint8_t *msg = rte_pktmbuf_mtod_offset(o->m, uint8_t *, outer);
		const struct aw_trs_key *key = aw_gw_key(gl, o->p);
		req[i] = (struct aw_trs_creq){.key = key, .msg = msg,
					      .cap = rte_pktmbuf_data_len(o->m) - outer,
					      .pt_len = o->len, .iv = msg + AW_TRS_HDR_LEN};
	}
	aw_trs_seal_burst(gl->eng, req, n, res); /* suite-1 jobs in SIMD lanes together */
	gl->in_route_out = true;
	for (unsigned i = 0; i < n; i++) {
		const struct aw_gw_out *o = &gl->out[i];
		if (unlikely(res[i] != AW_TRS_OK)) {
			aw_gw_count(&o->p->drops, 1);
			aw_set_drop(o->m, AW_DROP_GW_CRYPTO_FAIL);
			continue;
		}
		put_outer(o->m, &o->b, g->port_be, req[i].msg_len, o->frag_mtu == 0);
		if (unlikely(o->frag_mtu != 0)) {
			send_fragmented(c, gl, o);
			continue;
		}
		aw_gw_count(&o->p->pkts_out, 1);
		aw_gw_count(&o->p->bytes_out, o->len);
		c->stats.info[AW_INFO_GW_ENCRYPTED]++;
		aw_fwd_packet(c, o->m, o->b.v6, true);
	}
	gl->in_route_out = false;
}

void
aw_gw_route_out(struct aw_lcore_ctx *c, struct rte_mbuf *m, bool originated, int v6)
{
	struct aw_gw *g = aw_gw_of(c->dp);
	struct aw_gw_lcore *gl = aw_gw_lc(c);
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, L3_OFF);
	struct aw_gw_bind b;
	struct aw_addr node;
	enum aw_drop_reason why;
	uint32_t len;

	if (unlikely(g == NULL || gl == NULL || gl->in_route_out))
		return aw_set_drop(m, AW_DROP_GW_ROUTE_LOOP);
	if (v6)
		aw_addr_set6(&node, ip + 24);
	else
		aw_addr_set4(&node, ip + 16);
	struct aw_gw_path *p = aw_gw_table_by_node(g->t, &node);
	if (unlikely(p == NULL))
		return aw_set_drop(m, AW_DROP_GW_UNKNOWN_NODE);
	aw_gw_key_prefetch(gl, p);
	if (unlikely(!aw_gw_bind_read(p, &b) || !b.bound ||
		     gl->now_s - __atomic_load_n(&p->last_in_s, __ATOMIC_RELAXED) >
			     p->idle_timeout_s))
		return aw_gw_count(&p->drops, 1), aw_set_drop(m, AW_DROP_GW_UNBOUND);
	if (unlikely((len = inner_len(m, ip, v6)) == 0))
		return aw_gw_count(&p->drops, 1), aw_set_drop(m, AW_DROP_GW_NO_ROOM);
	uint32_t mtu;
	if (unlikely((why = egress_mtu(c->dp, &b, &mtu)) != 0))
		return aw_gw_count(&p->drops, 1), aw_set_drop(m, why);
	const uint32_t max = aw_gw_inner_max(p->suite, b.v6, mtu);
	uint32_t frag_mtu = 0;
	if (unlikely(len > max)) {
		if (!too_big(c, m, ip, v6, b.v6, max))
			return aw_gw_count(&p->drops, 1);
		frag_mtu = mtu;
	}
	aw_gw_clamp_mss(c, ip, len, max); /* what the node sends back must fit too */
	if (!originated)
		aw_fwd_ttl_decrement(ip, v6);
	if (unlikely((why = lay_out(gl, g, p, &b, m, len)) != 0))
		return aw_gw_count(&p->drops, 1), aw_set_drop(m, why);
	if (gl->n_out == AW_GW_OUT_MAX)
		aw_gw_burst_end(c);
	gl->out[gl->n_out++] = (struct aw_gw_out){.m = m, .p = p, .b = b, .len = len,
						  .frag_mtu = frag_mtu};
	aw_set_drop(m, AW_DROP_GW_CRYPTO_FAIL); /* until burst_end seals it */
	if (!c->in_burst) /* the slow path's own packets: no burst end follows */
		aw_gw_burst_end(c);
}
