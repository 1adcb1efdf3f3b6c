/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_asrs_nat — the full-NAT header rewrite of ASRS (SPEC §4.4), one
 * always-inline function for both families (v6 a compile-time constant at
 * each call), and the incremental checksum helpers it is built from.
 *
 * Contract: pure inline functions on packet bytes; any lcore.
 */
#ifndef AW_ASRS_NAT_H
#define AW_ASRS_NAT_H

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

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

/* One's complement delta of n bytes (a multiple of 4) changing old → neu,
 * in 32-bit words summed in 64 bits (RFC 1071: any word size folds alike). */
static __rte_always_inline uint64_t
csum_delta32(uint64_t d, const uint8_t *old, const uint8_t *neu, unsigned n)
{
	for (unsigned i = 0; i < n; i += 4) {
		uint32_t a, b;
		memcpy(&a, old + i, 4);
		memcpy(&b, neu + i, 4);
		d += (uint32_t)~a;
		d += b;
	}
	return d;
}

/* The checksum field updated by a 64-bit delta: ~(~ck + d), folded once. */
static __rte_always_inline void
csum_apply64(uint8_t *field, uint64_t d)
{
	uint16_t ck;

	memcpy(&ck, field, 2);
	d += (uint16_t)~ck;
	d = (d & 0xffffffff) + (d >> 32);
	d = (d & 0xffffffff) + (d >> 32);
	ck = (uint16_t)~aw_csum_fold((uint32_t)d);
	memcpy(field, &ck, 2);
}

/*
 * The full-NAT rewrite, both directions, both families: addresses and ports
 * replaced, IPv4 header and L4 checksums updated incrementally (RFC 1624).
 * An IPv4 UDP datagram without checksum (0) keeps none. l4len: L4 bytes
 * present (a header quoted in an ICMP error may lack its checksum field; its
 * ports are always there).
 */
static __rte_always_inline void
nat_rewrite(uint8_t *ip, uint32_t hl, uint32_t l4len, uint8_t proto, const uint8_t *nsrc,
	    uint16_t nsport, const uint8_t *ndst, uint16_t ndport, const int v6)
{
	const unsigned alen = v6 ? 16 : 4;
	uint8_t *src = v6 ? ip + 8 : ip + 12;
	uint8_t *dst = v6 ? ip + 24 : ip + 16;
	uint8_t *l4 = ip + hl;
	uint8_t *ck = l4 + l4_ck_off(proto);
	uint8_t nports[4];
	uint64_t d = csum_delta32(csum_delta32(0, src, nsrc, alen), dst, ndst, alen);

	memcpy(nports, &nsport, 2);
	memcpy(nports + 2, &ndport, 2);
	if (!v6)
		csum_apply64(ip + 10, d);
	d = csum_delta32(d, l4, nports, 4);
	if (l4len >= l4_ck_off(proto) + 2 &&
	    (v6 || proto == IPPROTO_TCP || ck[0] != 0 || ck[1] != 0)) {
		csum_apply64(ck, d);
		if (proto == IPPROTO_UDP && ck[0] == 0 && ck[1] == 0)
			ck[0] = ck[1] = 0xff; /* 0 means "no checksum" in UDP */
	}
	memcpy(src, nsrc, alen);
	memcpy(dst, ndst, alen);
	memcpy(l4, nports, 4);
}

#endif /* AW_ASRS_NAT_H */
