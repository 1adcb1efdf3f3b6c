/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ASRS session lookup table (aw_asrs_stab.h): sizing, lookups (one key,
 * or a batch in stages with prefetches), and the writers' add / delete.
 *
 * Contract: see aw_asrs_stab.h.
 */
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "aw_asrs_stab.h"

/* Entry word: hash << 32 | (ref + 1); 0 is an empty entry. */
static __rte_always_inline uint64_t
entry(uint32_t h, uint32_t ref)
{
	return (uint64_t)h << 32 | (ref + 1);
}

int
aw_stab_init(struct aw_asrs *a, uint32_t n_slots)
{
	/* two keys per slot, at most 5 of the 7 ways of a bucket on average */
	uint64_t need = ((uint64_t)n_slots * 2 + 4) / 5;
	uint32_t n = rte_align32pow2((uint32_t)RTE_MAX(need, 2u));

	a->stab = rte_zmalloc("aw_asrs_stab", (size_t)n * sizeof(struct aw_stab_bucket),
			      RTE_CACHE_LINE_SIZE);
	a->stab_mask = n - 1;
	rte_spinlock_init(&a->stab_lock);
	return a->stab == NULL ? -1 : 0;
}

void
aw_stab_fini(struct aw_asrs *a)
{
	rte_free(a->stab);
	a->stab = NULL;
}

/* First entry of bucket b with hash h, from way w on: its way (*ref set to
 * its reference), or WAYS. */
static __rte_always_inline unsigned
scan(const struct aw_stab_bucket *b, uint32_t h, unsigned w, uint32_t *ref)
{
	for (; w < AW_STAB_WAYS; w++) {
		uint64_t e = __atomic_load_n(&b->e[w], __ATOMIC_ACQUIRE);
		if ((uint32_t)(e >> 32) == h && (uint32_t)e != 0) {
			*ref = (uint32_t)e - 1;
			return w;
		}
	}
	return AW_STAB_WAYS;
}

uint32_t
aw_stab_find(const struct aw_asrs *a, const struct aw_sess_key *k, uint32_t h)
{
	uint32_t i = h & a->stab_mask;

	for (uint32_t probe = 0; probe <= a->stab_mask; probe++) {
		const struct aw_stab_bucket *b = &a->stab[i];
		uint32_t ref;
		for (unsigned w = scan(b, h, 0, &ref); w < AW_STAB_WAYS; w = scan(b, h, w + 1, &ref))
			if (aw_sess_match(a, k, ref))
				return ref;
		if (__atomic_load_n(&b->ovf, __ATOMIC_RELAXED) == 0)
			return AW_STAB_MISS;
		i = (i + 1) & a->stab_mask;
	}
	return AW_STAB_MISS;
}

static __rte_always_inline void
prefetch_sess(const struct aw_asrs *a, uint32_t ref)
{
	const struct aw_sess *s = &a->sess[ref >> 1];

	rte_prefetch0(s);
	rte_prefetch0((const uint8_t *)(s + 1) - 1); /* a 72-byte slot may span two lines */
}

#define CAND_FULL (AW_STAB_MISS - 1) /* not decided in the home bucket (refs < 2^28) */

void
aw_stab_find_bulk(const struct aw_asrs *a, const struct aw_sess_key *k, unsigned n,
		  uint32_t *ref, uint32_t *h)
{
	for (unsigned i = 0; i < n; i++) {
		h[i] = aw_sess_key_hash(&k[i]);
		rte_prefetch0(&a->stab[h[i] & a->stab_mask]);
	}
	/* Home bucket: the first entry of the same hash is the candidate. */
	for (unsigned i = 0; i < n; i++) {
		const struct aw_stab_bucket *b = &a->stab[h[i] & a->stab_mask];
		if (scan(b, h[i], 0, &ref[i]) < AW_STAB_WAYS) {
			prefetch_sess(a, ref[i]);
		} else {
			ref[i] = __atomic_load_n(&b->ovf, __ATOMIC_RELAXED) == 0 ? AW_STAB_MISS
										 : CAND_FULL;
		}
	}
	/* Confirm against the session; anything else takes the full walk. */
	for (unsigned i = 0; i < n; i++) {
		if (ref[i] == AW_STAB_MISS || (ref[i] != CAND_FULL && aw_sess_match(a, &k[i], ref[i])))
			continue;
		ref[i] = aw_stab_find(a, &k[i], h[i]);
	}
}

void
aw_stab_add(struct aw_asrs *a, uint32_t h, uint32_t ref)
{
	uint32_t i = h & a->stab_mask;

	rte_spinlock_lock(&a->stab_lock);
	for (;;) { /* the table is never full (aw_stab_init) */
		struct aw_stab_bucket *b = &a->stab[i];
		for (unsigned w = 0; w < AW_STAB_WAYS; w++) {
			if (b->e[w] == 0) {
				__atomic_store_n(&b->e[w], entry(h, ref), __ATOMIC_RELEASE);
				rte_spinlock_unlock(&a->stab_lock);
				return;
			}
		}
		__atomic_store_n(&b->ovf, b->ovf + 1, __ATOMIC_RELEASE);
		i = (i + 1) & a->stab_mask;
	}
}

bool
aw_stab_del(struct aw_asrs *a, uint32_t h, uint32_t ref)
{
	const uint64_t want = entry(h, ref);
	const uint32_t home = h & a->stab_mask;
	uint32_t i = home;

	rte_spinlock_lock(&a->stab_lock);
	for (uint32_t probe = 0; probe <= a->stab_mask; probe++) {
		struct aw_stab_bucket *b = &a->stab[i];
		for (unsigned w = 0; w < AW_STAB_WAYS; w++) {
			if (b->e[w] != want)
				continue;
			__atomic_store_n(&b->e[w], 0, __ATOMIC_RELEASE);
			for (uint32_t j = home; j != i; j = (j + 1) & a->stab_mask)
				__atomic_store_n(&a->stab[j].ovf, a->stab[j].ovf - 1, __ATOMIC_RELEASE);
			rte_spinlock_unlock(&a->stab_lock);
			return true;
		}
		if (b->ovf == 0)
			break;
		i = (i + 1) & a->stab_mask;
	}
	rte_spinlock_unlock(&a->stab_lock);
	return false;
}
