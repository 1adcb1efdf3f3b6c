/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ASRS answers and ICMP around sessions:
 *  - aw_asrs_refuse: a packet naming no usable service gets a TCP RST (built
 *    in place, RFC 9293 §3.10.7.1 sequence numbers) or an ICMP / ICMPv6 port
 *    unreachable (aw_icmp), both within the lcore's ICMP error budget;
 *  - aw_asrs_icmp_error (SPEC §4.5): an ICMP error to an own address or VIP
 *    that quotes a packet of a session is translated for the other side:
 *    outer addresses, the quoted packet's addresses and ports, the quoted IP
 *    and L4 checksums (incrementally, when quoted) and the ICMP checksum
 *    (recomputed), then routed. An error about a packet we sent toward the
 *    destination reaches the client quoting the client's own packet, so
 *    fragmentation needed / packet too big drives the client's PMTU.
 *
 * Contract: the processing lcore owning `c`, from aw_asrs_burst.
 */
#include <netinet/in.h>
#include <rte_byteorder.h>

#include "aw_asrs_nat.h"
#include "aw_asrs_stab.h"
#include "aw_asrs_synproxy.h"
#include "aw_cluster.h"
#include "aw_icmp.h"
#include "aw_fwd.h"

#define L3      RTE_ETHER_HDR_LEN
#define TCP_SYN 0x02
#define TCP_FIN 0x01
#define TCP_RST 0x04
#define TCP_ACK 0x10

static uint32_t
pseudo_sum(const uint8_t *ip, uint32_t l4len, uint8_t proto, int v6)
{
	uint32_t s = aw_csum_partial(v6 ? ip + 8 : ip + 12, v6 ? 32 : 8, 0);
	uint32_t lenbe = rte_cpu_to_be_32(l4len);
	uint32_t probe = rte_cpu_to_be_32(proto);

	s = aw_csum_partial(&lenbe, 4, s);
	return aw_csum_partial(&probe, 4, s);
}

/* Turns the TCP segment at m into a RST toward its sender. */
static void
build_rst(struct rte_mbuf *m, const struct aw_feat_pkt *p)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, L3);
	const int v6 = p->v6;
	const uint8_t *tcp = ip + p->l3_hl;
	uint8_t src[16], dst[16], hdr[20] = {0};
	uint32_t seq, ack, seglen;
	uint8_t fl = tcp[13];
	unsigned alen = v6 ? 16 : 4, ihl = v6 ? 40 : 20;

	memcpy(src, v6 ? ip + 8 : ip + 12, alen);
	memcpy(dst, v6 ? ip + 24 : ip + 16, alen);
	memcpy(&seq, tcp + 4, 4);
	memcpy(&ack, tcp + 8, 4);
	seglen = p->l3_len - p->l3_hl - (uint32_t)(tcp[12] >> 4) * 4 + !!(fl & TCP_SYN) +
		 !!(fl & TCP_FIN);
	memcpy(hdr, tcp + 2, 2); /* ports swapped */
	memcpy(hdr + 2, tcp, 2);
	if (fl & TCP_ACK) {
		memcpy(hdr + 4, &ack, 4);
		hdr[13] = TCP_RST;
	} else {
		uint32_t a = rte_cpu_to_be_32(rte_be_to_cpu_32(seq) + seglen);
		memcpy(hdr + 8, &a, 4);
		hdr[13] = TCP_RST | TCP_ACK;
	}
	hdr[12] = 5 << 4;
	memset(ip, 0, ihl);
	if (v6) {
		ip[0] = 0x60;
		ip[5] = 20;
		ip[6] = IPPROTO_TCP;
		ip[7] = 64;
		memcpy(ip + 8, dst, 16);
		memcpy(ip + 24, src, 16);
	} else {
		ip[0] = 0x45;
		ip[3] = 40;
		ip[6] = 0x40; /* DF */
		ip[8] = 64;
		ip[9] = IPPROTO_TCP;
		memcpy(ip + 12, dst, 4);
		memcpy(ip + 16, src, 4);
		uint16_t ck = aw_csum(ip, 20);
		memcpy(ip + 10, &ck, 2);
	}
	memcpy(ip + ihl, hdr, 20);
	uint16_t ck = (uint16_t)~aw_csum_fold(aw_csum_partial(ip + ihl, 20,
							      pseudo_sum(ip, 20, IPPROTO_TCP, v6)));
	memcpy(ip + ihl + 16, &ck, 2);
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - L3 - ihl - 20));
}

void
aw_asrs_refuse(struct aw_lcore_ctx *c, const struct aw_feat_pkt *p, enum aw_drop_reason drop)
{
	struct rte_mbuf *m = p->m;
	enum aw_info_counter done = drop == AW_DROP_NO_SERVICE ? AW_INFO_NO_SERVICE_REFUSED
							       : AW_INFO_NO_DEST_REFUSED;

	if (p->proto == IPPROTO_UDP) {
		aw_icmp_error(c, m, p->v6, AW_ICMP_PORT_UNREACH, 0, drop);
	} else {
		const uint8_t *tcp = rte_pktmbuf_mtod_offset(m, uint8_t *, L3 + p->l3_hl);
		if ((tcp[13] & TCP_RST) || !aw_icmp_allowed(c))
			return aw_set_drop(m, drop);
		build_rst(m, p);
		aw_fwd_packet(c, m, p->v6, true);
	}
	if (aw_meta(m)->verdict != AW_V_DROP || aw_meta(m)->arg != drop)
		c->stats.info[done]++;
}

/* ---- ICMP error translation ---- */

/* The quoted packet's session: its slot and side, or NULL. */
static struct aw_sess *
quoted_session(struct aw_asrs *a, const uint8_t *in, uint32_t ilen, int v6, uint32_t *ihl,
	       bool *reply, struct aw_sess_key *kq)
{
	struct aw_sess_key k;

	memset(&k, 0, sizeof(k));
	memset(kq, 0, sizeof(*kq));
	if (v6) {
		if (ilen < 48 || (in[0] >> 4) != 6)
			return NULL;
		*ihl = 40;
		k.proto = in[6];
		memcpy(k.src, in + 24, 16);
		memcpy(k.dst, in + 8, 16);
	} else {
		*ihl = (uint32_t)(in[0] & 0xf) * 4;
		if (ilen < 28 || (in[0] >> 4) != 4 || *ihl < 20 || ilen < *ihl + 8)
			return NULL;
		k.proto = in[9];
		memcpy(k.src, in + 16, 4);
		memcpy(k.dst, in + 12, 4);
	}
	if (k.proto != IPPROTO_TCP && k.proto != IPPROTO_UDP)
		return NULL;
	k.v6 = (uint8_t)v6;
	memcpy(&k.sport, in + *ihl + 2, 2); /* the quoted packet, reversed */
	memcpy(&k.dport, in + *ihl, 2);
	*kq = k;
	uint32_t ref = aw_sess_lookup(a, &k);
	if (ref == AW_STAB_MISS)
		return NULL;
	*reply = ref & 1;
	return &a->sess[ref >> 1];
}

static __rte_always_inline void
translate(uint8_t *ip, uint32_t hl, uint32_t len, uint32_t ihl, const struct aw_sess *s,
	  const uint8_t *snat, bool to_client, const int v6)
{
	uint8_t *icmp = ip + hl, *in = icmp + 8;
	uint32_t ilen = len - hl - 8;
	uint8_t proto = v6 ? in[6] : in[9];

	/* Quoted: what we sent (to_client: snat → dest; else vip → client),
	 * becomes what the receiver of this error sent. */
	if (to_client) {
		nat_rewrite(in, ihl, ilen - ihl, proto, s->client, s->cport, s->vip, s->vport, v6);
	} else {
		if (unlikely(s->flags & AW_SESS_F_SP) && proto == IPPROTO_TCP)
			aw_sp_icmp_quote(s, in + ihl, ilen - ihl);
		nat_rewrite(in, ihl, ilen - ihl, proto, s->dest, s->dport, snat, s->sport, v6);
	}
	const uint8_t *nsrc = to_client ? s->vip : snat;
	const uint8_t *ndst = to_client ? s->client : s->dest;
	const unsigned alen = v6 ? 16 : 4;
	uint8_t *src = v6 ? ip + 8 : ip + 12, *dst = v6 ? ip + 24 : ip + 16;
	if (!v6)
		csum_apply(ip + 10, csum_delta(csum_delta(0, src, nsrc, alen), dst, ndst, alen));
	memcpy(src, nsrc, alen);
	memcpy(dst, ndst, alen);
	icmp[2] = icmp[3] = 0;
	uint32_t sum = aw_csum_partial(icmp, len - hl, v6 ? pseudo_sum(ip, len - hl, 58, 1) : 0);
	uint16_t ck = (uint16_t)~aw_csum_fold(sum);
	memcpy(icmp + 2, &ck, 2);
}

void
aw_asrs_icmp_error(struct aw_lcore_ctx *c, struct aw_asrs *a, const struct aw_feat_pkt *p)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(p->m, uint8_t *, L3);
	uint32_t hl = p->l3_hl, len = p->l3_len, ihl;
	bool reply;

	if (len < hl + 8) /* the core guarantees it; cheap to keep honest */
		return aw_set_drop(p->m, AW_DROP_ICMP_MALFORMED);
	struct aw_sess_key k;
	struct aw_sess *s = quoted_session(a, ip + hl + 8, len - hl - 8, p->v6, &ihl, &reply, &k);
	/* Anycast cluster (SPEC §8): an error quoting a packet another instance
	 * sent from a VIP goes to that flow's owner (key: the quote, reversed). */
	if (s == NULL && unlikely(c->dp->feat[AW_FEAT_CLUSTER] != NULL) && k.proto != 0 &&
	    (p->addr_flags & (AW_ADDR_VIP | AW_FEAT_SVC_PREFIX)) &&
	    aw_cluster_miss(c, p->m, aw_cluster_asrs_hash(k.src, k.dst, k.sport, k.dport, k.proto,
							 k.v6), false))
		return;
	if (s == NULL || s->state == AW_SS_FREE || s->state >= AW_SS__N)
		return aw_set_drop(p->m, AW_DROP_ICMP_NO_SESSION);
	if ((p->v6 ? ip[7] : ip[8]) <= 1) /* no error about an error */
		return aw_set_drop(p->m, AW_DROP_TTL_EXCEEDED);
	/* reply: the quote is a packet toward the destination (its reply key
	 * matched, reversed): the error goes to the client. */
	if (p->v6)
		translate(ip, hl, len, ihl, s, a->snat_tab[s->snat], reply, 1);
	else
		translate(ip, hl, len, ihl, s, a->snat_tab[s->snat], reply, 0);
	c->stats.info[AW_INFO_ICMP_TRANSLATED]++;
	aw_fwd_packet(c, p->m, p->v6, false);
}
