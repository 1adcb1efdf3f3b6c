/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_neigh — the neighbour cache (ARP / IPv6 ND): next-hop address → MAC and
 * port, with the states of RFC 4861 §7.3 reduced to what a router needs:
 * INCOMPLETE (probing, packets queued), REACHABLE, STALE (past reachable time:
 * still used, re-probed), FAILED (probes unanswered: packets dropped until a
 * new resolution is asked for), STATIC (from the config, never expires).
 *
 * Contract: one writer — the housekeeper lcore — calls every function but
 * aw_neigh_lookup. aw_neigh_lookup is lock-free and may run on any lcore
 * concurrently with the writer (rte_hash with lock-free RW concurrency; the
 * MAC/port/valid word is one 64-bit atomic). Entries are never deleted (the
 * table is bounded by neighbor_cache.max_entries), so readers need no RCU.
 */
#ifndef AW_NEIGH_H
#define AW_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_mbuf.h>

#include "aw_config.h"
#include "aw_inet.h"

#define AW_NEIGH_VALID (1ull << 63)

enum aw_neigh_state {
	AW_NEIGH_INCOMPLETE = 0,
	AW_NEIGH_REACHABLE,
	AW_NEIGH_STALE,
	AW_NEIGH_FAILED,
	AW_NEIGH_STATIC,
};

/* What readers see: written by the writer with one atomic store. */
struct aw_neigh_fast {
	uint64_t word; /* bit 63 valid | port index << 48 | MAC (48 bits) */
};

/* Writer-only state. */
struct aw_neigh_slow {
	struct aw_addr addr;
	uint8_t state;
	uint8_t probes_sent;
	uint8_t port;      /* port the next hop is reached on (from the route) */
	uint16_t n_pending;
	uint64_t deadline; /* TSC: next probe (INCOMPLETE/STALE) or staleness (REACHABLE) */
	struct rte_mbuf **pending;
};

struct aw_neigh_table {
	struct rte_hash *hash;
	struct aw_neigh_settings set;
	uint64_t tsc_hz;
	uint32_t scan_pos; /* writer: next entry of the incremental timer scan */
	struct aw_neigh_fast *fast;
	struct aw_neigh_slow *slow;
	struct rte_mbuf **pending_store;
};

struct aw_neigh_table *aw_neigh_create(const struct aw_neigh_settings *set, uint64_t tsc_hz,
				       char *err, size_t errlen);
void aw_neigh_free(struct aw_neigh_table *t);

static inline uint64_t
aw_neigh_pack(const struct rte_ether_addr *mac, uint8_t port)
{
	uint64_t w = 0;
	for (int i = 0; i < 6; i++)
		w |= (uint64_t)mac->addr_bytes[i] << (8 * i);
	return w | (uint64_t)port << 48 | AW_NEIGH_VALID;
}

/* Lock-free reader: true and MAC/port when the next hop is usable. */
static inline bool
aw_neigh_lookup(const struct aw_neigh_table *t, const struct aw_addr *key,
		struct rte_ether_addr *mac, uint8_t *port)
{
	int32_t pos = rte_hash_lookup(t->hash, key);
	if (pos < 0)
		return false;
	uint64_t w = __atomic_load_n(&t->fast[pos].word, __ATOMIC_ACQUIRE);
	if (!(w & AW_NEIGH_VALID))
		return false;
	for (int i = 0; i < 6; i++)
		mac->addr_bytes[i] = (uint8_t)(w >> (8 * i));
	*port = (uint8_t)(w >> 48);
	return true;
}

/* --- writer (housekeeper) --- */

/* Position of addr's entry, created INCOMPLETE on `port` if absent; -1: full. */
int32_t aw_neigh_get_or_create(struct aw_neigh_table *t, const struct aw_addr *addr,
			       uint8_t port);
/* Static entry from the config. */
int aw_neigh_add_static(struct aw_neigh_table *t, const struct aw_addr *addr,
			const struct rte_ether_addr *mac, uint8_t port);
/* A verified answer (ARP reply / NA) or a request naming its sender: record the
 * MAC. Only updates entries that exist unless `create` (we were asked by it).
 * Returns the entry position or -1. */
int32_t aw_neigh_learn(struct aw_neigh_table *t, const struct aw_addr *addr,
		       const struct rte_ether_addr *mac, uint8_t port, bool create, uint64_t now);
/* A FAILED entry becomes INCOMPLETE again once its hold-down has passed.
 * Returns false while the entry is FAILED and held down (drop the packet). */
bool aw_neigh_restart(struct aw_neigh_table *t, int32_t pos, uint64_t now);
/* Queue a packet on an unresolved entry; false when the queue is full. */
bool aw_neigh_enqueue(struct aw_neigh_table *t, int32_t pos, struct rte_mbuf *m);
/* Takes the queued packets out (caller sends or drops them). */
uint16_t aw_neigh_take_pending(struct aw_neigh_table *t, int32_t pos, struct rte_mbuf **out);

/* Timer work, bounded: examines up to `budget` entries from where the last call
 * stopped. For each entry needing a probe, calls probe(pos, arg); for entries
 * whose probes ran out, marks them FAILED and returns queued packets through
 * failed(m, arg). */
typedef void (*aw_neigh_probe_fn)(int32_t pos, void *arg);
typedef void (*aw_neigh_fail_fn)(struct rte_mbuf *m, void *arg);
void aw_neigh_timers(struct aw_neigh_table *t, uint64_t now, uint32_t budget,
		     aw_neigh_probe_fn probe, aw_neigh_fail_fn failed, void *arg);

const char *aw_neigh_state_name(uint8_t state);

#endif /* AW_NEIGH_H */
