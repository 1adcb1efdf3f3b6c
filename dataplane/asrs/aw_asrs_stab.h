/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_asrs_stab — the session lookup table: each session is found by two keys
 * (client side, destination side, struct aw_sess_key as the packet arrives),
 * but the keys are not stored: a bucket entry holds a 32-bit hash and a
 * reference (slot << 1 | 1 for the destination side), and a candidate is
 * confirmed by comparing the key with the session slot itself. 64-byte
 * buckets of 7 entries and an overflow count: an entry that finds its home
 * bucket full goes to the next bucket with room, counting itself in each
 * bucket passed; a lookup stops at the first bucket whose count is zero.
 * Entries never move, so readers need no version counters.
 *
 * The table is sized at start for two keys per session slot at most 5/7
 * full: an insertion always finds room, and `max_sessions` is exact (the
 * atomic count in aw_sess_alloc is the only limit).
 *
 * Contract: lookups are lock-free, on any processing lcore, between two of
 * its quiescent states (a slot is reused only after a grace period, so a
 * reference read before a deletion still names that session's bytes).
 * aw_stab_add / _del from any lcore: they take the writer lock. Init / fini
 * on the main thread.
 */
#ifndef AW_ASRS_STAB_H
#define AW_ASRS_STAB_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_hash_crc.h>

#include "aw_asrs_priv.h"

#define AW_STAB_WAYS 7
#define AW_STAB_MISS UINT32_MAX

/* Hash of a key: the address bytes that can be non-zero, then the rest. */
static __rte_always_inline uint32_t
aw_sess_key_hash(const struct aw_sess_key *k)
{
	uint64_t w[5];

	memcpy(w, k, sizeof(w));
	uint32_t h = rte_hash_crc_8byte(w[4], 0x41535253);
	if (!k->v6)
		return rte_hash_crc_8byte(w[0] | w[2] << 32, h);
	h = rte_hash_crc_8byte(w[0], h);
	h = rte_hash_crc_8byte(w[1], h);
	h = rte_hash_crc_8byte(w[2], h);
	return rte_hash_crc_8byte(w[3], h);
}

/* Does reference ref (slot << 1 | reply) name the session of key k? */
static __rte_always_inline bool
aw_sess_match(const struct aw_asrs *a, const struct aw_sess_key *k, uint32_t ref)
{
	const struct aw_sess *s = &a->sess[ref >> 1];
	const bool reply = ref & 1;
	const uint8_t *src = reply ? s->dest : s->client;
	const uint8_t *dst = reply ? a->snat_tab[s->snat] : s->vip;
	uint16_t sp = reply ? s->dport : s->cport, dp = reply ? s->sport : s->vport;
	uint8_t v6 = (s->flags & (reply ? AW_SESS_F_DEST6 : AW_SESS_F_CLIENT6)) != 0;

	return k->sport == sp && k->dport == dp && k->proto == s->proto && k->v6 == v6 &&
	       memcmp(k->src, src, 16) == 0 && memcmp(k->dst, dst, 16) == 0;
}

int aw_stab_init(struct aw_asrs *a, uint32_t n_slots);
void aw_stab_fini(struct aw_asrs *a);
/* Reference of the session of k (hash h), or AW_STAB_MISS. */
uint32_t aw_stab_find(const struct aw_asrs *a, const struct aw_sess_key *k, uint32_t h);
/* n ≤ 64 keys: ref[i] as aw_stab_find, with the buckets and the sessions
 * found prefetched a stage ahead; h[i]: the hash of k[i]. */
void aw_stab_find_bulk(const struct aw_asrs *a, const struct aw_sess_key *k, unsigned n,
		       uint32_t *ref, uint32_t *h);
/* Adds / removes the entry (h, ref); the writer lock is taken inside. */
void aw_stab_add(struct aw_asrs *a, uint32_t h, uint32_t ref);
bool aw_stab_del(struct aw_asrs *a, uint32_t h, uint32_t ref);

static inline uint32_t
aw_sess_lookup(const struct aw_asrs *a, const struct aw_sess_key *k)
{
	return aw_stab_find(a, k, aw_sess_key_hash(k));
}

#endif /* AW_ASRS_STAB_H */
