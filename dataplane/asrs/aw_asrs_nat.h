/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_asrs_nat — the full-NAT header rewrite of ASRS (SPEC §4.4), one
 * always-inline function for both families (v6 a compile-time constant at
 * each call), on the 32-bit word checksum primitive of aw_cksum.h; the
 * 16-bit helpers below are for the odd-sized fields of the shim removal.
 *
 * Contract: pure inline functions on packet bytes; any lcore.
 */
#ifndef AW_ASRS_NAT_H
#define AW_ASRS_NAT_H

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "aw_cksum.h"

/* One's complement delta of a region changing old → neu (n even). */
static __rte_always_inline uint32_t
csum_delta(uint32_t d, const uint8_t *old, const uint8_t *neu, unsigned n)
{
	for (unsigned i = 0; i < n; i += 2) {
		uint16_t a, b;
		memcpy(&a, old + i, 2);
		memcpy(&b, neu + i, 2);
		d += (uint16_t)~a;
		d += b;
	}
	return d;
}

static __rte_always_inline void
csum_apply(uint8_t *field, uint32_t d)
{
	uint16_t ck;

	memcpy(&ck, field, 2);
	ck = (uint16_t)~aw_csum_fold((uint16_t)~ck + d);
	memcpy(field, &ck, 2);
}

static __rte_always_inline unsigned
l4_ck_off(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 16 : 6;
}

/*
 * The full-NAT rewrite, both directions, both families: addresses and ports
 * replaced, IPv4 header and L4 checksums updated incrementally (RFC 1624).
 * An IPv4 UDP datagram without checksum (0) keeps none. l4len: L4 bytes
 * present (a header quoted in an ICMP error may lack its checksum field; its
 * ports are always there). ttl (a constant): the TTL / hop limit
 * decremented too (the caller checked it is over 1), in the same IPv4
 * header checksum update.
 */
static __rte_always_inline void
nat_rewrite_ttl(uint8_t *ip, uint32_t hl, uint32_t l4len, uint8_t proto, const uint8_t *nsrc,
		uint16_t nsport, const uint8_t *ndst, uint16_t ndport, const int v6, const int ttl)
{
	const unsigned alen = v6 ? 16 : 4;
	uint8_t *src = v6 ? ip + 8 : ip + 12;
	uint8_t *dst = v6 ? ip + 24 : ip + 16;
	uint8_t *l4 = ip + hl;
	uint8_t *ck = l4 + l4_ck_off(proto);
	uint8_t nports[4];
	uint64_t d = aw_csum32_delta(aw_csum32_delta(0, src, nsrc, alen / 4), dst, ndst, alen / 4);

	memcpy(nports, &nsport, 2);
	memcpy(nports + 2, &ndport, 2);
	if (ttl)
		ip[v6 ? 7 : 8]--;
	/* the TTL byte first in its 16-bit word: the word as memory order reads
	 * it loses 1 (little-endian) or 0x100 (no borrow: TTL > 1), i.e. the
	 * sum gains its one's complement */
	if (!v6)
		aw_csum_apply64(ip + 10,
				ttl ? d + (RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN ? 0xfffe : 0xfeff) : d);
	d = aw_csum32_delta(d, l4, nports, 1);
	if (l4len >= l4_ck_off(proto) + 2) {
		uint16_t ck16;
		memcpy(&ck16, ck, 2);
		if (v6 || proto == IPPROTO_TCP || ck16 != 0) {
			ck16 = (uint16_t)~aw_csum_fold64(d + (uint16_t)~ck16);
			if (proto == IPPROTO_UDP && ck16 == 0)
				ck16 = 0xffff; /* 0 means "no checksum" in UDP */
			memcpy(ck, &ck16, 2);
		}
	}
	memcpy(src, nsrc, alen);
	memcpy(dst, ndst, alen);
	memcpy(l4, nports, 4);
}

static __rte_always_inline void
nat_rewrite(uint8_t *ip, uint32_t hl, uint32_t l4len, uint8_t proto, const uint8_t *nsrc,
	    uint16_t nsport, const uint8_t *ndst, uint16_t ndport, const int v6)
{
	nat_rewrite_ttl(ip, hl, l4len, proto, nsrc, nsport, ndst, ndport, v6, 0);
}

#endif /* AW_ASRS_NAT_H */
