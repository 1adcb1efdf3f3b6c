/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_addrset.h"

#include <rte_malloc.h>

#include "aw_dp.h"

static struct aw_addrset *
alloc_set(uint32_t n_entries)
{
	uint32_t slots = 16;
	while (slots < n_entries * 2 + 2)
		slots <<= 1;
	struct aw_addrset *s = rte_zmalloc("aw_addrset",
					   sizeof(*s) + slots * sizeof(s->slot[0]),
					   RTE_CACHE_LINE_SIZE);
	if (s != NULL)
		s->mask = slots - 1;
	return s;
}

/* Insert or merge flags. The set must have room (built at most half full). */
static void
insert(struct aw_addrset *s, const uint8_t *b, uint8_t family, uint8_t flags, uint8_t port)
{
	unsigned len = family == AW_AF_INET4 ? 4 : 16;
	uint32_t i = aw_addrset_hash(b, family) & s->mask;

	for (;; i = (i + 1) & s->mask) {
		struct aw_addrset_entry *e = &s->slot[i];
		if (e->family == 0) {
			const uint32_t bit = aw_addrset_filter_bit(b, family);
			s->filter[family != AW_AF_INET4][bit >> 6] |= UINT64_C(1) << (bit & 63);
			memcpy(e->b, b, len);
			e->family = family;
			e->flags = flags;
			e->port = port;
			s->count++;
			return;
		}
		if (e->family == family && memcmp(e->b, b, len) == 0) {
			if (flags & AW_ADDR_OWN)
				e->port = port;
			e->flags |= flags;
			return;
		}
	}
}

struct aw_addrset *
aw_addrset_build(const struct aw_port *ports, unsigned n_ports, const struct aw_vip_conf *vips,
		 unsigned n_vips)
{
	uint32_t n = n_vips;
	for (unsigned p = 0; p < n_ports; p++)
		n += ports[p].n_addrs;
	struct aw_addrset *s = alloc_set(n);
	if (s == NULL)
		return NULL;
	for (unsigned p = 0; p < n_ports; p++)
		for (unsigned k = 0; k < ports[p].n_addrs; k++)
			insert(s, ports[p].addrs[k].addr.b, ports[p].addrs[k].addr.family,
			       AW_ADDR_OWN, (uint8_t)p);
	for (unsigned v = 0; v < n_vips; v++)
		insert(s, vips[v].addr.b, vips[v].addr.family,
		       AW_ADDR_VIP | (vips[v].aarp ? AW_ADDR_AARP : 0), AW_PORT_NONE);
	return s;
}

/* Copies every entry of src that keep() accepts into a new set sized for extra more. */
static struct aw_addrset *
copy_except(const struct aw_addrset *src, const struct aw_addr *skip, uint32_t extra,
	    bool *found)
{
	struct aw_addrset *s = alloc_set(src->count + extra);
	if (s == NULL)
		return NULL;
	for (uint32_t i = 0; i <= src->mask; i++) {
		const struct aw_addrset_entry *e = &src->slot[i];
		if (e->family == 0)
			continue;
		uint8_t flags = e->flags;
		if (skip && e->family == skip->family &&
		    memcmp(e->b, skip->b, aw_addr_len(skip)) == 0 && (flags & AW_ADDR_VIP)) {
			*found = true;
			flags &= (uint8_t)~(AW_ADDR_VIP | AW_ADDR_AARP);
			if (flags == 0)
				continue;
		}
		insert(s, e->b, e->family, flags, e->port);
	}
	return s;
}

struct aw_addrset *
aw_addrset_with_vip(const struct aw_addrset *s, const struct aw_addr *a, uint8_t flags)
{
	bool found = false;
	/* Drop the old VIP flags first so that aarp can be turned off too. */
	struct aw_addrset *n = copy_except(s, a, 1, &found);
	if (n != NULL)
		insert(n, a->b, a->family, flags | AW_ADDR_VIP, AW_PORT_NONE);
	return n;
}

struct aw_addrset *
aw_addrset_without_vip(const struct aw_addrset *s, const struct aw_addr *a, bool *found)
{
	*found = false;
	return copy_except(s, a, 0, found);
}

void
aw_addrset_free(struct aw_addrset *s)
{
	rte_free(s);
}
