/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_pkt.h"

#include <string.h>

#include <rte_ip.h>
#include <rte_prefetch.h>

#include "aw_addrset.h"
#include "aw_cksum.h"
#include "aw_feature.h"
#include "aw_fwd_inline.h"
#include "aw_icmp.h"
#include "aw_be.h"

#define PREFETCH_AHEAD 4
#define L3_OFF RTE_ETHER_HDR_LEN

#define ICMP6_ECHO_REQUEST 128
#define ND_ROUTER_SOLICIT  133
#define ND_REDIRECT        137

int aw_meta_offset = -1;

int
aw_meta_register(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "anyway_meta",
		.size = sizeof(struct aw_meta),
		.align = __alignof__(struct aw_meta),
	};
	aw_meta_offset = rte_mbuf_dynfield_register(&desc);
	return aw_meta_offset < 0 ? -1 : 0;
}

/* Addresses and lengths of an IPv4 or IPv6 header, by family. */
static __rte_always_inline const uint8_t *
ip_dst(const uint8_t *ip, const int v6)
{
	return v6 ? ip + 24 : ip + 16;
}

static __rte_always_inline const uint8_t *
ip_src(const uint8_t *ip, const int v6)
{
	return v6 ? ip + 8 : ip + 12;
}

/* IPv4 header checksum correct? 32-bit words summed in 64 bits (aw_cksum.h):
 * the 20-byte header without a loop. hl: a multiple of 4. The sum folds to
 * 0xffff exactly when it is a non-zero multiple of 0xffff (folding keeps the
 * value modulo 0xffff, RFC 1071), and a header starting 0x4. is never all
 * zero: one multiply-and-compare instead of three folds. */
static __rte_always_inline bool
ip4_hdr_sum_ok(const uint8_t *ip, uint32_t hl)
{
	uint32_t w[5];

	memcpy(w, ip, sizeof(w)); /* the five words added straight, no loop */
	uint64_t sum = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];

	for (uint32_t i = 20; unlikely(i < hl); i += 4)
		sum = aw_csum32_add(sum, ip + i, 1);
	return sum % 0xffff == 0;
}

/* Validates the IP header; on success hl/len are the header and total length
 * and the mbuf is trimmed to the IP length (Ethernet padding removed). */
static __rte_always_inline bool
ip_valid(struct rte_mbuf *m, const uint8_t *ip, uint32_t *hl, uint32_t *len, const int v6)
{
	uint32_t avail = rte_pktmbuf_data_len(m) - L3_OFF;

	if (v6) {
		if (unlikely(avail < sizeof(struct rte_ipv6_hdr)))
			return aw_set_drop(m, AW_DROP_IPV6_TRUNCATED), false;
		if (unlikely((ip[0] >> 4) != 6))
			return aw_set_drop(m, AW_DROP_IPV6_BAD_VERSION), false;
		*hl = sizeof(struct rte_ipv6_hdr);
		*len = *hl + aw_be16_get(ip + 4);
		if (unlikely(*len > avail))
			return aw_set_drop(m, AW_DROP_IPV6_BAD_LENGTH), false;
	} else {
		if (unlikely(avail < sizeof(struct rte_ipv4_hdr)))
			return aw_set_drop(m, AW_DROP_IPV4_TRUNCATED), false;
		*hl = 20;
		if (unlikely(ip[0] != 0x45)) { /* options, or not a valid IPv4 header */
			if (unlikely((ip[0] >> 4) != 4))
				return aw_set_drop(m, AW_DROP_IPV4_BAD_VERSION), false;
			*hl = (uint32_t)(ip[0] & 0xf) * 4;
			if (unlikely(*hl < 20 || *hl > avail))
				return aw_set_drop(m, AW_DROP_IPV4_BAD_IHL), false;
		}
		*len = aw_be16_get(ip + 2);
		if (unlikely(*len < *hl || *len > avail))
			return aw_set_drop(m, AW_DROP_IPV4_BAD_LENGTH), false;
		/* verified unless the port did it (RTE_MBUF_F_RX_IP_CKSUM_GOOD) */
		if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
		    unlikely(!ip4_hdr_sum_ok(ip, *hl)))
			return aw_set_drop(m, AW_DROP_IPV4_BAD_CHECKSUM), false;
	}
	if (*len < avail)
		rte_pktmbuf_trim(m, (uint16_t)(avail - *len));
	return true;
}

/* IPv6 multicast; IPv4 multicast, broadcast or 0.0.0.0 (the four bytes in
 * one load). */
static __rte_always_inline bool
is_multicast(const uint8_t *dst, const int v6)
{
	if (v6)
		return dst[0] == 0xff;
	uint32_t a;
	memcpy(&a, dst, 4);
	return dst[0] >= 224 || a == 0;
}

/* A source we must never answer or route: multicast, broadcast, or ours. */
static __rte_always_inline bool
bad_source(const struct aw_addrset *as, const uint8_t *src, const int v6)
{
	return is_multicast(src, v6) || aw_addrset_lookup(as, src, v6 ? AW_AF_INET6 : AW_AF_INET4);
}

static __rte_always_inline bool
is_nd_type(uint8_t type)
{
	return type >= ND_ROUTER_SOLICIT && type <= ND_REDIRECT;
}

/* ICMP errors that may concern a session: v4 unreachable, time exceeded,
 * parameter problem; v6 unreachable, too big, time exceeded, parameter problem. */
static __rte_always_inline bool
is_icmp_error(uint8_t type, const int v6)
{
	return v6 ? type >= 1 && type <= 4 : type == 3 || type == 11 || type == 12;
}

/* Hands the packet to a feature's batch (aw_feature.h); its verdict is set
 * when the batch runs, after the classify loop. */
static __rte_always_inline void
to_feature(struct aw_feat_batch *b, struct rte_mbuf *m, uint32_t hl, uint32_t len,
	   uint8_t proto, uint8_t flags, const int v6)
{
	struct aw_feat_pkt *p = &b->p[b->n++];

	p->m = m;
	p->l3_hl = (uint16_t)hl;
	p->l3_len = (uint16_t)len;
	p->v6 = (uint8_t)v6;
	p->proto = proto;
	p->addr_flags = flags;
	p->port_in = aw_meta(m)->port_in;
}

/* The feature (id + 1) that claimed UDP destination port dport (network
 * order), or `other`. The first claim takes one compare (udp0_key); the
 * others (none today) a loop. */
static __rte_always_inline uint8_t
udp_owner(const struct aw_steer *st, uint16_t dport, uint8_t other)
{
	if (likely(((uint32_t)dport | 0x10000) == st->udp0_key))
		return st->udp[0].feat;
	for (unsigned i = 1; unlikely(i < st->n_udp); i++)
		if (st->udp[i].port_be == dport)
			return st->udp[i].feat;
	return other;
}

/* Packet addressed to an own address or VIP. */
static __rte_always_inline void
local_input(struct aw_lcore_ctx *c, struct rte_mbuf *m, const uint8_t *ip, uint32_t hl,
	    uint32_t len, const struct aw_addrset_entry *e, const int v6)
{
	const struct aw_steer *st = &c->dp->steer;
	uint8_t proto = v6 ? ip[6] : ip[9];
	bool frag = !v6 && (aw_be16_get(ip + 6) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK));

	if (unlikely(frag || (v6 && proto == IPPROTO_FRAGMENT))) {
		if (st->frag_local != AW_FEAT_NONE)
			return to_feature(&c->batch[st->frag_local - 1], m, hl, len, proto,
					  e->flags | AW_FEAT_FRAGMENT, v6);
		return aw_set_drop(m, AW_DROP_FRAGMENT_LOCAL);
	}
	if (proto == (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP)) {
		if (unlikely(len - hl < 8))
			return aw_set_drop(m, AW_DROP_ICMP_MALFORMED);
		uint8_t type = ip[hl];
		if (v6 && is_nd_type(type))
			return aw_set_slow(m, AW_SLOW_ND);
		if (type == (v6 ? ICMP6_ECHO_REQUEST : RTE_IP_ICMP_ECHO_REQUEST))
			return aw_icmp_echo(c, m, v6, hl, len, e);
		if (st->icmp_error != AW_FEAT_NONE && is_icmp_error(type, v6))
			return to_feature(&c->batch[st->icmp_error - 1], m, hl, len, proto,
					  e->flags, v6);
		return aw_set_drop(m, AW_DROP_ICMP_UNHANDLED);
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return aw_set_drop(m, v6 ? AW_DROP_IPV6_EXT_LOCAL : AW_DROP_LOCAL_UNHANDLED);
	if (unlikely(len - hl < 8))
		return aw_set_drop(m, AW_DROP_L4_TRUNCATED);
	uint8_t f = st->local_l4;
	if (proto == IPPROTO_UDP) {
		uint16_t dport;
		memcpy(&dport, ip + hl + 2, 2);
		f = udp_owner(st, dport, f);
	}
	if (likely(f != AW_FEAT_NONE))
		return to_feature(&c->batch[f - 1], m, hl, len, proto, e->flags, v6);
	aw_set_drop(m, AW_DROP_LOCAL_UNHANDLED);
}

/* IPv6 to a feature's service prefix (ASRS: SPEC §4.2 item 3, the low 64
 * bits name the service); echo is answered like a VIP's. Same guarantees as
 * local_input gives its batches. */
static __rte_always_inline void
svc_prefix_input(struct aw_lcore_ctx *c, struct rte_mbuf *m, const uint8_t *ip, uint32_t hl,
		 uint32_t len, const int v6)
{
	struct aw_feat_batch *b = &c->batch[c->dp->steer.prefix6_feat - 1];
	uint8_t proto = ip[6];

	if (proto == IPPROTO_ICMPV6) {
		if (len - hl < 8)
			return aw_set_drop(m, AW_DROP_ICMP_MALFORMED);
		if (ip[hl] == ICMP6_ECHO_REQUEST)
			return aw_icmp_echo(c, m, v6, hl, len, NULL);
		if (is_icmp_error(ip[hl], v6))
			return to_feature(b, m, hl, len, proto, AW_FEAT_SVC_PREFIX, v6);
		return aw_set_drop(m, AW_DROP_ICMP_UNHANDLED);
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return aw_set_drop(m, proto == IPPROTO_FRAGMENT ? AW_DROP_FRAGMENT_LOCAL
								: AW_DROP_IPV6_EXT_LOCAL);
	if (unlikely(len - hl < 8))
		return aw_set_drop(m, AW_DROP_L4_TRUNCATED);
	to_feature(b, m, hl, len, proto, AW_FEAT_SVC_PREFIX, v6);
}

/*
 * The address set as one burst sees it, with the last own address a packet
 * of the burst was sent to, per family: most packets of a burst are for the
 * same address (the relay's, a VIP), and one compare then replaces the
 * filter, hash and probe. Lives for one burst, so it never outlives `as`.
 */
struct burst_addrs {
	const struct aw_addrset *as;
	const struct aw_addrset_entry *last[2]; /* by v6; NULL: none yet */
};

static __rte_always_inline const struct aw_addrset_entry *
own_dst(struct burst_addrs *ba, const uint8_t *dst, const int v6)
{
	const struct aw_addrset_entry *e = ba->last[v6];

	if (e != NULL && memcmp(e->b, dst, v6 ? 16 : 4) == 0)
		return e;
	e = aw_addrset_lookup(ba->as, dst, v6 ? AW_AF_INET6 : AW_AF_INET4);
	if (e != NULL)
		ba->last[v6] = e;
	return e;
}

static __rte_always_inline void
ip_input(struct aw_lcore_ctx *c, struct burst_addrs *ba, struct rte_mbuf *m, const int v6)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, L3_OFF);
	const struct aw_addrset *as = ba->as;
	uint32_t hl, len;

	if (!ip_valid(m, ip, &hl, &len, v6))
		return;
	const uint8_t *dst = ip_dst(ip, v6);
	const struct aw_addrset_entry *e = own_dst(ba, dst, v6);
	if (e != NULL) {
		if (unlikely(bad_source(as, ip_src(ip, v6), v6)))
			return aw_set_drop(m, v6 ? AW_DROP_IPV6_BAD_SOURCE : AW_DROP_IPV4_BAD_SOURCE);
		return local_input(c, m, ip, hl, len, e, v6);
	}
	if (v6 && c->dp->steer.prefix6_feat != AW_FEAT_NONE &&
	    memcmp(dst, c->dp->steer.prefix6, 8) == 0) {
		if (unlikely(bad_source(as, ip_src(ip, v6), v6)))
			return aw_set_drop(m, AW_DROP_IPV6_BAD_SOURCE);
		return svc_prefix_input(c, m, ip, hl, len, v6);
	}
	if (unlikely(is_multicast(dst, v6))) {
		/* Neighbour solicitations go to solicited-node multicast groups. */
		if (v6 && ip[6] == IPPROTO_ICMPV6 && len - hl >= 8 && is_nd_type(ip[hl]))
			return aw_set_slow(m, AW_SLOW_ND);
		return aw_set_drop(m, AW_DROP_MULTICAST_UNHANDLED);
	}
	if (unlikely(is_multicast(ip_src(ip, v6), v6)))
		return aw_set_drop(m, v6 ? AW_DROP_IPV6_BAD_SOURCE : AW_DROP_IPV4_BAD_SOURCE);
	aw_fwd_route_inline(c, m, false, false, v6); /* transit */
}

static inline bool
l2_for_us(const struct rte_ether_hdr *eth, const struct aw_port *port)
{
	return rte_is_same_ether_addr(&eth->dst_addr, &port->mac) ||
	       rte_is_multicast_ether_addr(&eth->dst_addr);
}

static __rte_always_inline void
classify(struct aw_lcore_ctx *c, struct burst_addrs *ba, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	if (unlikely(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN))
		return aw_set_drop(m, AW_DROP_ETH_TRUNCATED);
	if (unlikely(m->nb_segs > 1)) /* the pool's buffers hold any frame within the MTU */
		return aw_set_drop(m, AW_DROP_MULTI_SEGMENT);
	if (unlikely(!l2_for_us(eth, &c->dp->ports[aw_meta(m)->port_in])))
		return aw_set_drop(m, AW_DROP_L2_OTHER_HOST);
	if (likely(eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4)))
		return ip_input(c, ba, m, 0);
	switch (eth->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		return ip_input(c, ba, m, 1);
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		return aw_set_slow(m, AW_SLOW_ARP);
	default:
		return aw_set_drop(m, AW_DROP_UNKNOWN_ETHERTYPE);
	}
}

/* Each non-empty feature batch to its feature, once per pass. */
static inline void
run_batches(struct aw_lcore_ctx *c)
{
	for (unsigned f = 0; f < AW_FEAT__COUNT; f++) {
		struct aw_feat_batch *b = &c->batch[f];
		if (b->n != 0) {
			aw_features[f]->burst(c, b);
			b->n = 0;
		}
	}
}

void
aw_set_again(struct aw_lcore_ctx *c, struct rte_mbuf *m, unsigned feat_id, uint32_t arg)
{
	struct aw_meta *meta = aw_meta(m);

	if (unlikely(meta->depth >= AW_REINJECT_MAX))
		return aw_set_drop(m, AW_DROP_REINJECT_DEPTH);
	const uint8_t version = rte_pktmbuf_data_len(m) > 0 ? *rte_pktmbuf_mtod(m, uint8_t *) >> 4 : 0;
	struct rte_ether_hdr *eth =
		(struct rte_ether_hdr *)rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN);
	if (unlikely(eth == NULL))
		return aw_set_drop(m, AW_DROP_REINJECT_NO_ROOM);
	const struct rte_ether_addr *mac = &c->dp->ports[meta->port_in].mac;
	rte_ether_addr_copy(mac, &eth->dst_addr);
	rte_ether_addr_copy(mac, &eth->src_addr);
	eth->ether_type = version == 6 ? RTE_BE16(RTE_ETHER_TYPE_IPV6) : RTE_BE16(RTE_ETHER_TYPE_IPV4);
	meta->origin = (uint8_t)(feat_id + 1);
	meta->origin_arg = arg;
	meta->depth++;
	meta->verdict = AW_V_AGAIN;
	c->again[c->n_again++] = m; /* at most once per packet per pass: fits AW_MAX_BURST */
}

/* The packets features re-injected in the last pass, classified again. */
static void
reclassify(struct aw_lcore_ctx *c, struct burst_addrs *ba)
{
	struct rte_mbuf *pkts[AW_MAX_BURST];
	const uint16_t n = c->n_again;

	memcpy(pkts, c->again, n * sizeof(pkts[0]));
	c->n_again = 0;
	for (uint16_t i = 0; i < n; i++)
		classify(c, ba, pkts[i]);
	run_batches(c);
}

void
aw_process_burst(struct aw_lcore_ctx *c, struct rte_mbuf **pkts, uint16_t n)
{
	struct burst_addrs ba = {.as = __atomic_load_n(&c->dp->addrs, __ATOMIC_ACQUIRE)};
	uint16_t i;

	c->in_burst = true;
	for (i = 0; i < n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i + PREFETCH_AHEAD < n; i++) {
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
		classify(c, &ba, pkts[i]);
	}
	for (; i < n; i++)
		classify(c, &ba, pkts[i]);
	run_batches(c);
	/* bounded: aw_set_again refuses a packet beyond AW_REINJECT_MAX levels */
	while (unlikely(c->n_again != 0))
		reclassify(c, &ba);
	for (unsigned f = 0; f < AW_FEAT__COUNT; f++)
		if (aw_features[f]->burst_end != NULL && c->feat_lc[f] != NULL)
			aw_features[f]->burst_end(c);
	c->in_burst = false;
}

void
aw_features_tick(struct aw_lcore_ctx *c, uint64_t now_tsc)
{
	for (unsigned f = 0; f < AW_FEAT__COUNT; f++)
		if (c->dp->feat[f] != NULL)
			aw_features[f]->tick(c, now_tsc);
}
