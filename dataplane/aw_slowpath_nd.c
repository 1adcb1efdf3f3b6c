/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_slowpath_nd.h"

#include <rte_cycles.h>
#include <rte_ip.h>

#include "aw_cksum.h"
#include "aw_neigh.h"
#include "aw_output.h"

#define L3_OFF     RTE_ETHER_HDR_LEN
#define IP6_HDR    40
#define ND_NS      135
#define ND_NA      136
#define ND_BODY    24 /* type, code, cksum, flags/reserved, target */
#define OPT_SLLA   1
#define OPT_TLLA   2
#define NA_ROUTER  0x80
#define NA_SOLICIT 0x40
#define NA_OVERRIDE 0x20

static uint16_t
icmp6_csum(const uint8_t *ip6, const uint8_t *icmp, uint32_t len)
{
	uint32_t s = aw_csum_partial(ip6 + 8, 32, 0);
	uint32_t lenbe = rte_cpu_to_be_32(len), nh = rte_cpu_to_be_32(IPPROTO_ICMPV6);
	s = aw_csum_partial(&lenbe, 4, s);
	s = aw_csum_partial(&nh, 4, s);
	return (uint16_t)~aw_csum_fold(aw_csum_partial(icmp, len, s));
}

/* Finds the link-layer address option of `type`; false if absent or malformed
 * (*bad set when an option has length 0 or runs past the message). */
static bool
find_lla(const uint8_t *opt, uint32_t len, uint8_t type, struct rte_ether_addr *mac, bool *bad)
{
	*bad = false;
	while (len >= 2) {
		uint32_t olen = (uint32_t)opt[1] * 8;
		if (olen == 0 || olen > len)
			return *bad = true, false;
		if (opt[0] == type && olen >= 8) {
			memcpy(mac, opt + 2, 6);
			return true;
		}
		opt += olen;
		len -= olen;
	}
	*bad = len != 0;
	return false;
}

/* Writes an IPv6 + NA (with target link-layer option) into m. */
static void
build_na(struct rte_mbuf *m, const struct rte_ether_addr *smac, const struct rte_ether_addr *dmac,
	 const uint8_t *src, const uint8_t *dst, const uint8_t *target, uint8_t flags)
{
	uint32_t plen = ND_BODY + 8;
	rte_pktmbuf_reset(m);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, L3_OFF + IP6_HDR + plen);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	uint8_t *ip = p + L3_OFF, *icmp = ip + IP6_HDR;
	uint16_t v16 = rte_cpu_to_be_16((uint16_t)plen);

	rte_ether_addr_copy(dmac, &eth->dst_addr);
	rte_ether_addr_copy(smac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	memset(ip, 0, IP6_HDR + plen);
	ip[0] = 0x60;
	memcpy(ip + 4, &v16, 2);
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = 255;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	icmp[0] = ND_NA;
	icmp[4] = flags;
	memcpy(icmp + 8, target, 16);
	icmp[24] = OPT_TLLA;
	icmp[25] = 1;
	memcpy(icmp + 26, smac, 6);
	v16 = icmp6_csum(ip, icmp, plen);
	memcpy(icmp + 2, &v16, 2);
}

static void
multicast_mac(const uint8_t *ip6, struct rte_ether_addr *mac)
{
	mac->addr_bytes[0] = 0x33;
	mac->addr_bytes[1] = 0x33;
	memcpy(mac->addr_bytes + 2, ip6 + 12, 4);
}

static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};

static void
ns_input(struct aw_lcore_ctx *c, struct rte_mbuf *m, const uint8_t *ip, const uint8_t *icmp,
	 uint32_t len)
{
	uint8_t port = aw_meta(m)->port_in;
	const struct aw_port *pt = &c->dp->ports[port];
	uint8_t target[16], asker[16];
	struct rte_ether_addr sll, dmac;
	struct aw_addr sender;
	bool has_sll, bad, is_vip;
	static const uint8_t unspec[16];

	has_sll = find_lla(icmp + ND_BODY, len - ND_BODY, OPT_SLLA, &sll, &bad);
	bool dad = memcmp(ip + 8, unspec, 16) == 0;
	if (bad || (dad && has_sll) || (!dad && ip[24] == 0xff && !has_sll))
		return aw_drop(c, m, AW_DROP_ND_MALFORMED);
	memcpy(target, icmp + 8, 16);
	memcpy(asker, ip + 8, 16);
	if (!aw_slow_answers_for(c, target, AW_AF_INET6, port, &is_vip))
		return aw_drop(c, m, AW_DROP_ND_NOT_FOR_US);
	if (has_sll) {
		aw_addr_set6(&sender, asker);
		aw_slow_learn_sender(c, &sender, &sll, port); /* RFC 4861 §7.2.3 */
	}
	uint8_t flags = NA_ROUTER | (dad ? 0 : NA_SOLICIT) | (is_vip ? 0 : NA_OVERRIDE);
	if (dad)
		multicast_mac(all_nodes, &dmac);
	else if (has_sll)
		dmac = sll;
	else
		dmac = rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr;
	build_na(m, &pt->mac, &dmac, target, dad ? all_nodes : asker, target, flags);
	c->stats.info[AW_INFO_ND_ADVERTS]++;
	aw_tx_enqueue(c, m, port, false);
}

static void
na_input(struct aw_lcore_ctx *c, struct rte_mbuf *m, const uint8_t *icmp, uint32_t len)
{
	struct rte_ether_addr tll;
	struct aw_addr target;
	bool bad;

	if (!find_lla(icmp + ND_BODY, len - ND_BODY, OPT_TLLA, &tll, &bad) || bad)
		return aw_drop(c, m, bad ? AW_DROP_ND_MALFORMED : AW_DROP_ND_NOT_FOR_US);
	aw_addr_set6(&target, icmp + 8);
	int32_t pos = aw_neigh_learn(c->dp->neigh, &target, &tll, aw_meta(m)->port_in, false,
				     rte_rdtsc());
	if (pos < 0)
		return aw_drop(c, m, AW_DROP_ND_NOT_FOR_US);
	c->stats.info[AW_INFO_ND_LEARNED]++;
	aw_slow_flush_pending(c, pos, &tll);
	c->stats.consumed++;
	rte_pktmbuf_free(m);
}

void
aw_nd_input(struct aw_lcore_ctx *c, struct rte_mbuf *m)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, L3_OFF);
	const uint8_t *icmp = ip + IP6_HDR;
	uint32_t len = rte_pktmbuf_data_len(m) - L3_OFF - IP6_HDR; /* trimmed by the fast path */
	uint8_t type = icmp[0];

	if (type != ND_NS && type != ND_NA)
		return aw_drop(c, m, AW_DROP_ICMP_UNHANDLED);
	/* RFC 4861 §7.1: hop limit 255, code 0, length, checksum; target not multicast. */
	if (ip[7] != 255 || icmp[1] != 0 || len < ND_BODY || icmp6_csum(ip, icmp, len) != 0 ||
	    icmp[8] == 0xff)
		return aw_drop(c, m, AW_DROP_ND_MALFORMED);
	if (type == ND_NS)
		return ns_input(c, m, ip, icmp, len);
	return na_input(c, m, icmp, len);
}

void
aw_nd_send_ns(struct aw_lcore_ctx *c, unsigned port, const struct aw_addr *src,
	      const struct aw_addr *target)
{
	const struct aw_port *pt = &c->dp->ports[port];
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->dp->pool);
	uint8_t snm[16] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};
	struct rte_ether_addr dmac;

	if (m == NULL)
		return;
	memcpy(snm + 13, target->b + 13, 3);
	multicast_mac(snm, &dmac);
	/* Same layout as an NA with a link-layer option; retype it as an NS. */
	build_na(m, &pt->mac, &dmac, src->b, snm, target->b, 0);
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, L3_OFF);
	uint8_t *icmp = ip + IP6_HDR;
	icmp[0] = ND_NS;
	icmp[24] = OPT_SLLA;
	icmp[2] = icmp[3] = 0;
	uint16_t ck = icmp6_csum(ip, icmp, ND_BODY + 8);
	memcpy(icmp + 2, &ck, 2);
	aw_tx_enqueue(c, m, port, true);
}

void
aw_nd_send_unsolicited_na(struct aw_lcore_ctx *c, unsigned port, const struct aw_addr *vip)
{
	const struct aw_port *pt = &c->dp->ports[port];
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->dp->pool);
	struct rte_ether_addr dmac;

	if (m == NULL)
		return;
	multicast_mac(all_nodes, &dmac);
	/* Anycast: override flag clear (RFC 4861 §7.2.7). */
	build_na(m, &pt->mac, &dmac, vip->b, all_nodes, vip->b, NA_ROUTER);
	aw_tx_enqueue(c, m, port, true);
}
