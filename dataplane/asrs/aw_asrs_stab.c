/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ASRS session lookup table (aw_asrs_stab.h): sizing, lookups (one key,
 * or a batch in stages with prefetches), and the writers' add / delete
 * (lock-free: compare-and-swap with several writers).
 *
 * Contract: see aw_asrs_stab.h.
 */
#include <rte_branch_prediction.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#ifdef RTE_ARCH_X86
#include <emmintrin.h>
#endif

#include "aw_asrs_stab.h"

_Static_assert(sizeof(struct aw_stab_bucket) == 64 && AW_STAB_WAYS == 15,
	       "a bucket is one cache line: 15 entries and the overflow count");

#define FILL_WAYS 12 /* entries per bucket the table is sized for */

int
aw_stab_init(struct aw_asrs *a, uint32_t n_slots)
{
	uint64_t refs = (uint64_t)n_slots * 2; /* ref + 1 ranges over 1 .. refs */
	uint32_t n = (uint32_t)RTE_MAX((refs + FILL_WAYS - 1) / FILL_WAYS, 2u);

	a->stab_ref_bits = 64 - (uint32_t)__builtin_clzll(refs);
	a->stab_ref_mask = (uint32_t)((1ull << a->stab_ref_bits) - 1);
	a->stab_n = n;
	if (a->stab_ref_bits > 28)
		return -1; /* under 4 bits of signature: max_sessions is at most 2^26 */
	a->stab = rte_zmalloc("aw_asrs_stab", (size_t)n * sizeof(struct aw_stab_bucket),
			      RTE_CACHE_LINE_SIZE);
	return a->stab == NULL ? -1 : 0;
}

void
aw_stab_fini(struct aw_asrs *a)
{
	rte_free(a->stab);
	a->stab = NULL;
}

/* The table's constants, read once per call (stores to the caller's arrays
 * could alias them otherwise). */
struct view {
	const struct aw_stab_bucket *stab;
	uint32_t n, bits, mask;
#ifdef RTE_ARCH_X86
	__m128i hi; /* ~mask in every lane */
#endif
};

static __rte_always_inline struct view
view_of(const struct aw_asrs *a)
{
	struct view v = {.stab = a->stab, .n = a->stab_n, .bits = a->stab_ref_bits,
			 .mask = a->stab_ref_mask};
#ifdef RTE_ARCH_X86
	v.hi = _mm_set1_epi32((int)~v.mask);
#endif
	return v;
}

static __rte_always_inline const struct aw_stab_bucket *
home_of(const struct view *v, uint32_t h)
{
	return &v->stab[((uint64_t)h * v->n) >> 32];
}

/* Bit w set: entry w of bucket b has signature sig (or is empty when sig
 * is 0). Entries may change meanwhile: each hit is re-read by hit_ref(). */
static __rte_always_inline uint32_t
sig_hits(const struct view *v, const struct aw_stab_bucket *b, uint32_t sig)
{
#ifdef RTE_ARCH_X86
	const __m128i want = _mm_set1_epi32((int)sig);
	const __m128i *e = (const __m128i *)b->e;
	__m128i q0 = _mm_cmpeq_epi32(_mm_and_si128(_mm_load_si128(e), v->hi), want);
	__m128i q1 = _mm_cmpeq_epi32(_mm_and_si128(_mm_load_si128(e + 1), v->hi), want);
	__m128i q2 = _mm_cmpeq_epi32(_mm_and_si128(_mm_load_si128(e + 2), v->hi), want);
	__m128i q3 = _mm_cmpeq_epi32(_mm_and_si128(_mm_load_si128(e + 3), v->hi), want);
	__m128i all = _mm_packs_epi16(_mm_packs_epi32(q0, q1), _mm_packs_epi32(q2, q3));
	return (uint32_t)_mm_movemask_epi8(all) & 0x7fff; /* lane 15: the overflow count */
#else
	uint32_t m = 0;
	for (unsigned w = 0; w < AW_STAB_WAYS; w++)
		m |= (uint32_t)((__atomic_load_n(&b->e[w], __ATOMIC_RELAXED) & ~v->mask) == sig) << w;
	return m;
#endif
}

/* Hits of sig in b as sig_hits, but only those of its first 4 entries when
 * there are any: where a present key is most often found (a bucket fills
 * from its first entry), for the first candidate of the bulk lookup. */
static __rte_always_inline uint32_t
first_hits(const struct view *v, const struct aw_stab_bucket *b, uint32_t sig)
{
#ifdef RTE_ARCH_X86
	__m128i q0 = _mm_cmpeq_epi32(_mm_and_si128(_mm_load_si128((const __m128i *)b->e), v->hi),
				     _mm_set1_epi32((int)sig));
	uint32_t m = (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(q0));
	if (likely(m != 0))
		return m;
#endif
	return sig_hits(v, b, sig);
}

/* Entry w of b, read again: its reference, AW_STAB_MISS when it is empty
 * now. (When it holds another entry now, the key compare rejects it.) */
static __rte_always_inline uint32_t
hit_ref(const struct view *v, const struct aw_stab_bucket *b, unsigned w)
{
	return (__atomic_load_n(&b->e[w], __ATOMIC_ACQUIRE) & v->mask) - 1;
}

static __rte_always_inline uint32_t
find(const struct aw_asrs *a, const struct view *v, const struct aw_sess_key *k, uint32_t h)
{
	const uint32_t sig = h << v->bits;
	const struct aw_stab_bucket *b = home_of(v, h);

	for (uint32_t probe = 0; probe < v->n; probe++) {
		for (uint32_t m = sig_hits(v, b, sig); m != 0; m &= m - 1) {
			uint32_t ref = hit_ref(v, b, (unsigned)__builtin_ctz(m));
			if (ref != AW_STAB_MISS && aw_sess_match(a, k, ref))
				return ref;
		}
		if (__atomic_load_n(&b->ovf, __ATOMIC_RELAXED) == 0)
			return AW_STAB_MISS;
		if (++b == v->stab + v->n)
			b = v->stab;
	}
	return AW_STAB_MISS;
}

uint32_t
aw_stab_find(const struct aw_asrs *a, const struct aw_sess_key *k, uint32_t h)
{
	const struct view v = view_of(a);

	return find(a, &v, k, h);
}

/* The session of ref and its counter index (read by aw_svcstats_pkt on
 * every hit: at a million sessions, one more line missed per packet).
 * Slots are 84 bytes at multiples of 4: one in four (starting 48 to 60
 * bytes into a line) spans three lines, whose middle one (the VIP, the
 * destination, the ports: what the confirm stage compares) neither its
 * first nor its last byte names, so byte 64 is prefetched too. */
static __rte_always_inline void
prefetch_sess(const struct aw_sess *sess, const uint16_t *ss_k, uint32_t ref)
{
	const struct aw_sess *s = &sess[ref >> 1];

	rte_prefetch0(s);
	rte_prefetch0((const uint8_t *)s + 64);
	rte_prefetch0((const uint8_t *)(s + 1) - 1);
	rte_prefetch0(&ss_k[ref >> 1]);
}

_Static_assert(sizeof(struct aw_sess) > 64 && sizeof(struct aw_sess) <= 128,
	       "prefetch_sess names each line of a slot: bytes 0, 64 and its last");

#define CAND_FULL (AW_STAB_MISS - 1) /* not decided in the home bucket (refs < 2^28) */

void
aw_stab_find_bulk(const struct aw_asrs *a, const struct aw_sess_key *k, unsigned n,
		  uint32_t *ref, uint32_t *h)
{
	for (unsigned i = 0; i < n; i++) {
		h[i] = aw_sess_key_hash(&k[i]);
		aw_stab_prefetch(a, h[i]);
	}
	aw_stab_find_bulk_h(a, k, h, n, ref);
}

void
aw_stab_find_bulk_h(const struct aw_asrs *a, const struct aw_sess_key *k, const uint32_t *h,
		    unsigned n, uint32_t *ref)
{
	const struct view v = view_of(a);
	const struct aw_sess *sess = a->sess;
	const uint16_t *ss_k = a->ss_k;

	/* Home bucket: the first entry of the same signature is the candidate. */
	for (unsigned i = 0; i < n; i++) {
		const struct aw_stab_bucket *b = home_of(&v, h[i]);
		uint32_t m = first_hits(&v, b, h[i] << v.bits), r = AW_STAB_MISS;
		if (m != 0)
			r = hit_ref(&v, b, (unsigned)__builtin_ctz(m));
		if (r != AW_STAB_MISS)
			prefetch_sess(sess, ss_k, r);
		else if (m != 0 || __atomic_load_n(&b->ovf, __ATOMIC_RELAXED) != 0)
			r = CAND_FULL;
		ref[i] = r;
	}
	/* Confirm against the session; anything else takes the full walk. */
	for (unsigned i = 0; i < n; i++) {
		if (ref[i] == AW_STAB_MISS || (ref[i] != CAND_FULL && aw_sess_match(a, &k[i], ref[i])))
			continue;
		ref[i] = find(a, &v, &k[i], h[i]);
	}
}

/*
 * Writers. With one processing lcore (aw_asrs.one_writer) it alone writes:
 * plain stores. With several, each writer claims an empty entry word with a
 * compare-and-swap from 0 and moves the overflow counts with atomic adds, so
 * writers on different lcores never wait for each other: no lock. Two
 * writers never add the same entry (a reference names one session's side,
 * which only its creator adds and only its expiry deletes), so a delete
 * clears a word no one else may write.
 */
static __rte_always_inline bool
claim(const struct aw_asrs *a, uint32_t *word, uint32_t e)
{
	uint32_t empty = 0;

	if (a->one_writer) {
		__atomic_store_n(word, e, __ATOMIC_RELEASE);
		return true;
	}
	return __atomic_compare_exchange_n(word, &empty, e, false, __ATOMIC_RELEASE,
					   __ATOMIC_RELAXED);
}

/* ovf += d (d = 1 or UINT32_MAX for -1), seen by readers before what it
 * leads to (release). */
static __rte_always_inline void
ovf_add(const struct aw_asrs *a, uint32_t *ovf, uint32_t d)
{
	if (a->one_writer)
		__atomic_store_n(ovf, *ovf + d, __ATOMIC_RELEASE);
	else
		__atomic_fetch_add(ovf, d, __ATOMIC_RELEASE);
}

void
aw_stab_add(struct aw_asrs *a, uint32_t h, uint32_t ref)
{
	struct aw_stab_bucket *b = &a->stab[aw_stab_home(a, h)];
	const uint32_t e = aw_stab_entry(a, h, ref);

	for (;;) { /* the table is never full (aw_stab_init) */
		for (unsigned w = 0; w < AW_STAB_WAYS; w++)
			if (__atomic_load_n(&b->e[w], __ATOMIC_RELAXED) == 0 && claim(a, &b->e[w], e))
				return;
		ovf_add(a, &b->ovf, 1); /* counted before the entry appears further on */
		if (++b == a->stab + a->stab_n)
			b = a->stab;
	}
}

void
aw_stab_add2(struct aw_asrs *a, uint32_t h1, uint32_t ref1, uint32_t h2, uint32_t ref2)
{
	aw_stab_add(a, h1, ref1);
	aw_stab_add(a, h2, ref2);
}

bool
aw_stab_del(struct aw_asrs *a, uint32_t h, uint32_t ref)
{
	const uint32_t want = aw_stab_entry(a, h, ref);
	const uint32_t home = aw_stab_home(a, h);
	uint32_t i = home;

	for (uint32_t probe = 0; probe < a->stab_n; probe++) {
		struct aw_stab_bucket *b = &a->stab[i];
		for (unsigned w = 0; w < AW_STAB_WAYS; w++) {
			if (__atomic_load_n(&b->e[w], __ATOMIC_RELAXED) != want)
				continue;
			__atomic_store_n(&b->e[w], 0, __ATOMIC_RELEASE);
			for (uint32_t j = home; j != i; j = j + 1 == a->stab_n ? 0 : j + 1)
				ovf_add(a, &a->stab[j].ovf, UINT32_MAX);
			return true;
		}
		if (__atomic_load_n(&b->ovf, __ATOMIC_ACQUIRE) == 0)
			break;
		if (++i == a->stab_n)
			i = 0;
	}
	return false;
}
