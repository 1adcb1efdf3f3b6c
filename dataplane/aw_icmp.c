/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_icmp.h"

#include <rte_cycles.h>
#include <rte_ip.h>

#include "aw_cksum.h"
#include "aw_fwd.h"

#define L3_OFF         RTE_ETHER_HDR_LEN
#define ICMP_HDR       8
#define V4_ERR_MAX     576  /* RFC 1812 §4.3.2.3: whole error datagram */
#define V6_ERR_MAX     1280 /* RFC 4443 §2.4(c) */
#define ICMP4_UNREACH  3
#define ICMP4_FRAG_NEEDED 4
#define ICMP4_TIME_EXCEEDED 11
#define ICMP4_PORT_UNREACH 3
#define ICMP6_UNREACH  1
#define ICMP6_PORT_UNREACH 4
#define ICMP6_TOO_BIG  2
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_ECHO_REPLY 129
#define PROTO_ICMP6    58

static inline uint32_t
pseudo6_sum(const uint8_t *ip6, uint32_t l4len, uint8_t proto)
{
	uint32_t s = aw_csum_partial(ip6 + 8, 32, 0);
	uint32_t lenbe = rte_cpu_to_be_32(l4len);
	uint32_t probe = rte_cpu_to_be_32(proto);
	s = aw_csum_partial(&lenbe, 4, s);
	return aw_csum_partial(&probe, 4, s);
}

/* Token bucket per lcore: icmp_rate_per_s tokens a second, burst of the same. */
bool
aw_icmp_allowed(struct aw_lcore_ctx *c)
{
	uint64_t rate = c->dp->cfg->icmp_rate;
	uint64_t now = rte_rdtsc();

	if (rate == 0)
		return false;
	uint64_t add = (now - c->icmp_last_tsc) * rate / c->dp->tsc_hz;
	if (add > 0) {
		c->icmp_tokens = RTE_MIN(c->icmp_tokens + add, rate);
		c->icmp_last_tsc = now;
	}
	if (c->icmp_tokens == 0)
		return false;
	c->icmp_tokens--;
	return true;
}

void
aw_icmp_echo(struct aw_lcore_ctx *c, struct rte_mbuf *m, int is_v6, uint32_t hl, uint32_t len,
	     const struct aw_addrset_entry *e)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, L3_OFF);
	uint8_t *icmp = ip + hl;
	const struct aw_port *in = &c->dp->ports[aw_meta(m)->port_in];
	uint8_t tmp[16];
	uint16_t ck;

	if (is_v6) {
		if (aw_csum_fold(aw_csum_partial(icmp, len - hl, pseudo6_sum(ip, len - hl,
									     PROTO_ICMP6))) != 0xffff)
			return aw_set_drop(m, AW_DROP_ICMP_MALFORMED);
		memcpy(tmp, ip + 8, 16);      /* client */
		memcpy(ip + 8, ip + 24, 16);  /* we answer from the address asked */
		memcpy(ip + 24, tmp, 16);
		if (e != NULL && (e->flags & AW_ADDR_AARP) && in->has_v6)
			memcpy(ip + 8, in->addr6.b, 16); /* AARP: from our unicast address */
		ip[7] = 64;
		icmp[0] = ICMP6_ECHO_REPLY;
		icmp[2] = icmp[3] = 0;
		ck = (uint16_t)~aw_csum_fold(aw_csum_partial(icmp, len - hl,
							     pseudo6_sum(ip, len - hl, PROTO_ICMP6)));
		memcpy(icmp + 2, &ck, 2);
	} else {
		if (aw_csum(icmp, len - hl) != 0)
			return aw_set_drop(m, AW_DROP_ICMP_MALFORMED);
		memcpy(tmp, ip + 12, 4);
		memcpy(ip + 12, ip + 16, 4);
		memcpy(ip + 16, tmp, 4);
		if (e != NULL && (e->flags & AW_ADDR_AARP) && in->has_v4)
			memcpy(ip + 12, in->addr4.b, 4);
		ip[8] = 64;
		ip[10] = ip[11] = 0;
		ck = aw_csum(ip, hl);
		memcpy(ip + 10, &ck, 2);
		/* Recomputed, not updated: RFC 1624's update yields -0 (0x0000)
		 * for an all-zero message, whose checksum must be 0xffff. */
		icmp[0] = RTE_IP_ICMP_ECHO_REPLY;
		icmp[2] = icmp[3] = 0;
		ck = aw_csum(icmp, len - hl);
		memcpy(icmp + 2, &ck, 2);
	}
	c->stats.info[AW_INFO_ECHO_REPLIES]++;
	aw_fwd_packet(c, m, is_v6, true);
}

/* Never answer an error with an error, nor anything sent to many. */
static bool
may_send_error(const uint8_t *ip, uint32_t hl, uint32_t len, int is_v6)
{
	if (is_v6) {
		if (ip[8] == 0xff || ip[24] == 0xff)
			return false;
		if (ip[6] == PROTO_ICMP6 && len >= hl + 1 && ip[hl] < 128)
			return false;
	} else {
		if (ip[12] >= 224 || ip[16] >= 224)
			return false;
		if ((ip[6] & 0x1f) != 0 || ip[7] != 0) /* not the first fragment */
			return false;
		if (ip[9] == IPPROTO_ICMP && len >= hl + 1 && ip[hl] != RTE_IP_ICMP_ECHO_REQUEST &&
		    ip[hl] != RTE_IP_ICMP_ECHO_REPLY)
			return false;
	}
	return true;
}

static void
build_error4(struct rte_mbuf *m, const struct aw_port *in, int kind, uint32_t mtu)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, L3_OFF);
	uint8_t *icmp = ip + 20;
	uint32_t total = rte_pktmbuf_data_len(m) - L3_OFF;
	uint8_t src[4];
	uint16_t ck;

	memcpy(src, icmp + ICMP_HDR + 12, 4); /* the offender's source */
	memset(ip, 0, 20 + ICMP_HDR);
	ip[0] = 0x45;
	ip[1] = 0xc0;
	ck = rte_cpu_to_be_16((uint16_t)total);
	memcpy(ip + 2, &ck, 2);
	ip[8] = 64;
	ip[9] = IPPROTO_ICMP;
	memcpy(ip + 12, in->addr4.b, 4);
	memcpy(ip + 16, src, 4);
	ck = aw_csum(ip, 20);
	memcpy(ip + 10, &ck, 2);
	icmp[0] = kind == AW_ICMP_TIME_EXCEEDED ? ICMP4_TIME_EXCEEDED : ICMP4_UNREACH;
	icmp[1] = kind == AW_ICMP_TOO_BIG ? ICMP4_FRAG_NEEDED
		  : kind == AW_ICMP_PORT_UNREACH ? ICMP4_PORT_UNREACH : 0;
	if (kind == AW_ICMP_TOO_BIG) {
		ck = rte_cpu_to_be_16((uint16_t)mtu);
		memcpy(icmp + 6, &ck, 2);
	}
	ck = aw_csum(icmp, total - 20);
	memcpy(icmp + 2, &ck, 2);
}

static void
build_error6(struct rte_mbuf *m, const struct aw_port *in, int kind, uint32_t mtu)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, L3_OFF);
	uint8_t *icmp = ip + 40;
	uint32_t total = rte_pktmbuf_data_len(m) - L3_OFF;
	uint8_t src[16];
	uint16_t ck;

	memcpy(src, icmp + ICMP_HDR + 8, 16);
	memset(ip, 0, 40 + ICMP_HDR);
	ip[0] = 0x60;
	ck = rte_cpu_to_be_16((uint16_t)(total - 40));
	memcpy(ip + 4, &ck, 2);
	ip[6] = PROTO_ICMP6;
	ip[7] = 64;
	memcpy(ip + 8, in->addr6.b, 16);
	memcpy(ip + 24, src, 16);
	icmp[0] = kind == AW_ICMP_TOO_BIG ? ICMP6_TOO_BIG
		  : kind == AW_ICMP_PORT_UNREACH ? ICMP6_UNREACH : ICMP6_TIME_EXCEEDED;
	icmp[1] = kind == AW_ICMP_PORT_UNREACH ? ICMP6_PORT_UNREACH : 0;
	if (kind == AW_ICMP_TOO_BIG) {
		uint32_t v = rte_cpu_to_be_32(mtu);
		memcpy(icmp + 4, &v, 4);
	}
	ck = (uint16_t)~aw_csum_fold(aw_csum_partial(icmp, total - 40,
						     pseudo6_sum(ip, total - 40, PROTO_ICMP6)));
	memcpy(icmp + 2, &ck, 2);
}

void
aw_icmp_error(struct aw_lcore_ctx *c, struct rte_mbuf *m, int is_v6, int kind, uint32_t mtu,
	      enum aw_drop_reason drop)
{
	const struct aw_port *in = &c->dp->ports[aw_meta(m)->port_in];
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, L3_OFF);
	uint32_t len = rte_pktmbuf_data_len(m) - L3_OFF;
	uint32_t hl = is_v6 ? 40 : (uint32_t)(ip[0] & 0xf) * 4;
	uint32_t grow = (is_v6 ? 40 : 20) + ICMP_HDR;
	uint32_t max = is_v6 ? V6_ERR_MAX : V4_ERR_MAX;

	if (!(is_v6 ? in->has_v6 : in->has_v4) || !may_send_error(ip, hl, len, is_v6) ||
	    !aw_icmp_allowed(c) || rte_pktmbuf_prepend(m, (uint16_t)grow) == NULL)
		return aw_set_drop(m, drop);
	if (len + grow > max)
		rte_pktmbuf_trim(m, (uint16_t)(len + grow - max));
	if (is_v6)
		build_error6(m, in, kind, mtu);
	else
		build_error4(m, in, kind, mtu);
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type =
		rte_cpu_to_be_16(is_v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	c->stats.info[AW_INFO_ICMP_ERRORS_SENT]++;
	aw_fwd_packet(c, m, is_v6, true);
}
