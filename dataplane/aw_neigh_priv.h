/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_neigh_priv — the neighbour table's layout (see aw_neigh.h for its
 * contract), for aw_neigh.c and the forwarding module's fast path only
 * (aw_fwd_inline.h, aw_fwd.c), which read an entry's word by position: the
 * route path right after the hash lookup, the next-hop cache (aw_fwd.h) with
 * a position it kept. Nobody else includes this file.
 */
#ifndef AW_NEIGH_PRIV_H
#define AW_NEIGH_PRIV_H

#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash.h>

#include "aw_neigh.h"

/* What readers see: written by the writer with one atomic store. */
struct aw_neigh_fast {
	uint64_t word; /* bit 63 valid | port index << 48 | MAC (48 bits, byte i at bits 8i) */
};

/* Writer-only state. */
struct aw_neigh_slow {
	struct aw_addr addr;
	uint8_t state;
	uint8_t probes_sent;
	uint8_t port;      /* port the next hop is reached on (from the route) */
	uint16_t n_pending;
	uint64_t deadline; /* TSC: next probe (INCOMPLETE/STALE) or staleness (REACHABLE) */
	struct rte_mbuf **pending; /* a queue of the pool while packets wait; else NULL */
};

struct aw_neigh_table {
	struct aw_neigh_head head; /* first: readers cast to it (aw_neigh.h) */
	struct rte_hash *hash;
	struct aw_neigh_settings set;
	uint64_t tsc_hz;
	uint32_t scan_pos; /* writer: index into `live` of the timer scan's next entry */
	uint32_t n_entries; /* writer: keys in the hash (and entries of `live`) */
	int32_t *live;      /* writer: the keys' positions in creation order (keys
			     * are never deleted), so the timer scan costs the
			     * entries it examines, whatever the capacity */
	struct aw_neigh_fast *fast;
	struct aw_neigh_slow *slow;
	struct rte_mbuf **pending_store; /* n_queues queues of pending_packets pointers */
	uint32_t n_queues;
	uint32_t n_free_queues;
	uint32_t *free_queues;           /* a stack of queue numbers */
};

static inline uint64_t
aw_neigh_pack(const struct rte_ether_addr *mac, uint8_t port)
{
	uint64_t w = 0;
	for (int i = 0; i < 6; i++)
		w |= (uint64_t)mac->addr_bytes[i] << (8 * i);
	return w | (uint64_t)port << 48 | AW_NEIGH_VALID;
}

/* Lock-free reader of the entry at position pos (>= 0): MAC/port when it is
 * usable. Positions are for the table's life: keys are never deleted. */
static __rte_always_inline bool
aw_neigh_read_inline(const struct aw_neigh_table *t, int32_t pos, struct rte_ether_addr *mac,
		     uint8_t *port)
{
	uint64_t w = __atomic_load_n(&t->fast[pos].word, __ATOMIC_ACQUIRE);
	if (!(w & AW_NEIGH_VALID))
		return false;
	uint64_t le = rte_cpu_to_le_64(w); /* byte i of the MAC: bits 8i.. of w */
	memcpy(mac->addr_bytes, &le, 6);     /* one store of 4 and one of 2, not a loop */
	*port = (uint8_t)(w >> 48);
	return true;
}

/* Lock-free reader, inline for the route path: the entry's position (or -1),
 * and MAC/port when it is usable. */
static __rte_always_inline bool
aw_neigh_lookup_inline(const struct aw_neigh_table *t, const struct aw_addr *key,
		       struct rte_ether_addr *mac, uint8_t *port, int32_t *pos_out)
{
	int32_t pos = rte_hash_lookup(t->hash, key);

	*pos_out = pos;
	return pos >= 0 && aw_neigh_read_inline(t, pos, mac, port);
}

#endif /* AW_NEIGH_PRIV_H */
