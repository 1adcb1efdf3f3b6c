/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_neigh — the neighbour cache (ARP / IPv6 ND): next-hop address → MAC and
 * port, with the states of RFC 4861 §7.3 reduced to what a router needs:
 * INCOMPLETE (probing, packets queued), REACHABLE, STALE (past reachable time:
 * still used, re-probed), FAILED (probes unanswered: packets dropped until a
 * new resolution is asked for), STATIC (from the config, never expires).
 *
 * Contract: one writer — the housekeeper lcore — calls every function but
 * aw_neigh_lookup / aw_neigh_find. Those are lock-free and may run on any
 * lcore concurrently with the writer (rte_hash with lock-free RW concurrency;
 * the MAC/port/valid word is one 64-bit atomic). Entries are never deleted
 * (the table is bounded by neighbor_cache.max_entries), so readers need no
 * RCU. Packets are forwarded through the forwarding module (aw_fwd.h), the
 * only reader of the entries' words on the fast path.
 */
#ifndef AW_NEIGH_H
#define AW_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "aw_config.h"
#include "aw_inet.h"

enum aw_neigh_state {
	AW_NEIGH_INCOMPLETE = 0,
	AW_NEIGH_REACHABLE,
	AW_NEIGH_STALE,
	AW_NEIGH_FAILED,
	AW_NEIGH_STATIC,
};

/* Opaque: its layout is private to aw_neigh.c (aw_neigh_priv.h, which the
 * forwarding module's route path also uses for its inline hash lookup). It
 * begins with what lock-free readers holding a position need: */
struct aw_neigh_table;

#define AW_NEIGH_VALID (1ull << 63)

struct aw_neigh_head {
	/* words[pos]: the entry at pos as readers see it, published by the
	 * writer with one release store: bit 63 valid | port index << 48 |
	 * MAC (byte i at bits 8i). */
	const uint64_t *words;
};

/* Lock-free reader: the word of the entry at pos (a position from
 * aw_neigh_find or the forwarding module's next-hop cache). */
static __rte_always_inline uint64_t
aw_neigh_word(const struct aw_neigh_table *t, uint32_t pos)
{
	const struct aw_neigh_head *h = (const struct aw_neigh_head *)(const void *)t;

	return __atomic_load_n(&h->words[pos], __ATOMIC_ACQUIRE);
}

struct aw_neigh_table *aw_neigh_create(const struct aw_neigh_settings *set, uint64_t tsc_hz,
				       char *err, size_t errlen);
void aw_neigh_free(struct aw_neigh_table *t);

/* Lock-free reader: true and MAC/port when the next hop is usable. */
bool aw_neigh_lookup(const struct aw_neigh_table *t, const struct aw_addr *key,
		     struct rte_ether_addr *mac, uint8_t *port);
/* Lock-free reader: position of key's entry, or -1. Positions never change
 * (entries are never deleted). */
int32_t aw_neigh_find(const struct aw_neigh_table *t, const struct aw_addr *key);

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
/* The sender of an ARP request / NS (with a source link-layer option) aimed at
 * one of our addresses (RFC 826 merge, RFC 4861 §7.2.3): an existing entry
 * takes the MAC (STALE unless it was REACHABLE with the same MAC; static stays
 * static); a new one is created STALE only while the table holds fewer than
 * three quarters of max_entries, so a flood of unknown senders never fills the
 * room resolutions need. Returns the position, or AW_NEIGH_REFUSED. */
#define AW_NEIGH_REFUSED (-2)
int32_t aw_neigh_learn_request(struct aw_neigh_table *t, const struct aw_addr *addr,
			       const struct rte_ether_addr *mac, uint8_t port, uint64_t now);
/* What the writer knows of the entry at pos (a position it got from this table). */
uint8_t aw_neigh_state(const struct aw_neigh_table *t, int32_t pos);
uint8_t aw_neigh_port(const struct aw_neigh_table *t, int32_t pos);
const struct aw_addr *aw_neigh_addr(const struct aw_neigh_table *t, int32_t pos);
/* Whether the first probe of the entry is due now (never probed, deadline
 * passed); if so it is counted as sent and the next one scheduled, and the
 * caller sends it. */
bool aw_neigh_first_probe(struct aw_neigh_table *t, int32_t pos, uint64_t now);
/* A FAILED entry becomes INCOMPLETE again once its hold-down has passed.
 * Returns false while the entry is FAILED and held down (drop the packet). */
bool aw_neigh_restart(struct aw_neigh_table *t, int32_t pos, uint64_t now);
/* Pending queues (pending_packets pointers each) shared by the entries: an
 * entry holds one only while packets wait on it, so their memory follows the
 * next hops being resolved at once, not max_entries. */
#define AW_NEIGH_PENDING_QUEUES 4096
/* Queue a packet on an unresolved entry; false when its queue is full, or when
 * AW_NEIGH_PENDING_QUEUES (4,096) other entries hold packets already (queues
 * come from a shared pool, taken on the first packet, given back when the
 * entry's packets are taken or failed). */
bool aw_neigh_enqueue(struct aw_neigh_table *t, int32_t pos, struct rte_mbuf *m);
/* Takes the queued packets out (caller sends or drops them). */
uint16_t aw_neigh_take_pending(struct aw_neigh_table *t, int32_t pos, struct rte_mbuf **out);

/* Timer work, bounded: examines up to `budget` entries from where the last call
 * stopped, in the order they were created (a call that reaches the last one
 * stops there; the next starts from the first), at a cost of the entries
 * examined, whatever max_entries is. For each entry needing a probe, calls
 * probe(pos, arg); for entries whose probes ran out, marks them FAILED and
 * returns queued packets through failed(m, arg). */
typedef void (*aw_neigh_probe_fn)(int32_t pos, void *arg);
typedef void (*aw_neigh_fail_fn)(struct rte_mbuf *m, void *arg);
void aw_neigh_timers(struct aw_neigh_table *t, uint64_t now, uint32_t budget,
		     aw_neigh_probe_fn probe, aw_neigh_fail_fn failed, void *arg);

const char *aw_neigh_state_name(uint8_t state);

#endif /* AW_NEIGH_H */
