/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_addrset — the set of addresses the data plane answers for: the ports' own
 * addresses and the VIPs. An immutable open-addressing table built off the
 * packet path and published by pointer (RCU, see aw_dp.h).
 *
 * Contract: aw_addrset_build / _with / _without / _free run on the main or API
 * thread only. aw_addrset_lookup is lock-free and may be called by any lcore
 * on a set it loaded with an acquire load, until its next quiescent state.
 *
 * Most packets a data plane sees are not for one of its addresses: a 256-bit
 * filter per family (one bit per multiplicative hash of the address, set for
 * every entry) answers "not ours" for them with one load and a bit test,
 * before the table's CRC hash and probe. An empty family's filter is all zero.
 */
#ifndef AW_ADDRSET_H
#define AW_ADDRSET_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash_crc.h>

#include "aw_inet.h"

#define AW_ADDR_OWN  0x01 /* an address of port `port` */
#define AW_ADDR_VIP  0x02 /* a VIP (answered on every port) */
#define AW_ADDR_AARP 0x04 /* VIP answers echo from the unicast address (SPEC §4.6) */

struct aw_addrset_entry {
	uint8_t b[16];
	uint8_t family; /* 0: empty slot */
	uint8_t flags;
	uint8_t port;   /* for AW_ADDR_OWN */
	uint8_t pad;
};

#define AW_ADDRSET_FILTER_WORDS 4 /* 256 bits per family */

struct aw_addrset {
	uint32_t mask;  /* slots - 1, slots a power of two, at most half full */
	uint32_t count;
	/* per family (0: IPv4, 1: IPv6), bit aw_addrset_filter_bit() of each entry */
	uint64_t filter[2][AW_ADDRSET_FILTER_WORDS];
	struct aw_addrset_entry slot[];
};

/* CRC32-C of the address; loads through memcpy because packet bytes are not
 * aligned (rte_hash_crc() casts). Also the neighbour cache's hash. */
static inline uint32_t
aw_addr_hash(const uint8_t *b, uint8_t family)
{
	if (family == AW_AF_INET4) {
		uint32_t v;
		memcpy(&v, b, 4);
		return rte_hash_crc_4byte(v, AW_AF_INET4);
	}
	uint64_t hi, lo;
	memcpy(&hi, b, 8);
	memcpy(&lo, b + 8, 8);
	return rte_hash_crc_8byte(lo, rte_hash_crc_8byte(hi, AW_AF_INET6));
}

static inline uint32_t
aw_addrset_hash(const uint8_t *b, uint8_t family)
{
	return aw_addr_hash(b, family);
}

/* The filter bit (0-255) of an address: its 32-bit words xor-folded (IPv6),
 * times an odd constant, top 8 bits. */
static __rte_always_inline uint32_t
aw_addrset_filter_bit(const uint8_t *b, uint8_t family)
{
	uint32_t w;

	memcpy(&w, b, 4);
	if (family != AW_AF_INET4) {
		uint32_t x[3];
		memcpy(x, b + 4, sizeof(x));
		w ^= x[0] ^ x[1] ^ x[2];
	}
	return (w * 0x9e3779b1u) >> 24;
}

/* False: the address is surely not in s; true: it may be. */
static __rte_always_inline bool
aw_addrset_may_hold(const struct aw_addrset *s, const uint8_t *b, uint8_t family)
{
	const uint32_t bit = aw_addrset_filter_bit(b, family);

	return (s->filter[family != AW_AF_INET4][bit >> 6] >> (bit & 63)) & 1;
}

/* Entry for the address (b: 4 or 16 bytes in network order), or NULL.
 * Always inline: with the family a constant, the compare is one or two loads. */
static __rte_always_inline const struct aw_addrset_entry *
aw_addrset_lookup(const struct aw_addrset *s, const uint8_t *b, uint8_t family)
{
	if (!aw_addrset_may_hold(s, b, family))
		return NULL;
	uint32_t i = aw_addrset_hash(b, family) & s->mask;

	for (;;) {
		const struct aw_addrset_entry *e = &s->slot[i];
		if (e->family == 0)
			return NULL;
		if (e->family == family && (family == AW_AF_INET4 ? memcmp(e->b, b, 4) == 0
								 : memcmp(e->b, b, 16) == 0))
			return e;
		i = (i + 1) & s->mask;
	}
}

struct aw_port;
struct aw_vip_conf;

/* New set from ports' addresses and VIPs; NULL on allocation failure. */
struct aw_addrset *aw_addrset_build(const struct aw_port *ports, unsigned n_ports,
				    const struct aw_vip_conf *vips, unsigned n_vips);
/* Copy of s with the VIP added (or its flags replaced). NULL: no memory. */
struct aw_addrset *aw_addrset_with_vip(const struct aw_addrset *s, const struct aw_addr *a,
				       uint8_t flags);
/* Copy of s without the VIP; *found says whether it was there. */
struct aw_addrset *aw_addrset_without_vip(const struct aw_addrset *s, const struct aw_addr *a,
					  bool *found);
void aw_addrset_free(struct aw_addrset *s);

#endif /* AW_ADDRSET_H */
