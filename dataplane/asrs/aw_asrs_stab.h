/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_asrs_stab — the session lookup table: each session is found by two keys
 * (client side, destination side, struct aw_sess_key as the packet arrives),
 * but the keys are not stored: a bucket entry is 32 bits, the reference
 * (slot << 1 | 1 for the destination side) + 1 in its low `stab_ref_bits`
 * and the low bits of the key's hash above them as a signature, and a
 * candidate is confirmed by
 * comparing the key with the session slot itself. The home bucket is chosen
 * by the hash's high bits (h * buckets >> 32, any bucket count), so the
 * signature's bits are independent of it. 64-byte buckets of 15 entries and
 * an overflow count: an entry that finds its home bucket full goes to the
 * next bucket with room, counting itself in each bucket passed; a lookup
 * stops at the first bucket whose count is zero. Entries never move, so
 * readers need no version counters. A bucket is compared with the wanted
 * signature 4 entries at a time (SSE2); each hit is re-read atomically
 * (empty now: skipped; another entry now: the key compare rejects it).
 *
 * Memory: buckets for two keys per session slot at most 12/15 full, i.e.
 * 64 / 6 ≈ 10.7 bytes per session; an insertion always finds room, and
 * `max_sessions` is exact (the atomic count in aw_sess_alloc is the only
 * limit). The signature has 32 - stab_ref_bits bits: 11 at 1M sessions, 4 at
 * the largest table (2^26), where a miss costs a session compare more often.
 *
 * Contract: lookups are lock-free, on any processing lcore, between two of
 * its quiescent states (a slot is reused only after a grace period, so a
 * reference read before a deletion still names that session's bytes).
 * aw_stab_add / _del from any lcore, concurrently and without a lock:
 * entry words are claimed by compare-and-swap and overflow counts moved by
 * atomic adds (plain stores with one processing lcore, aw_asrs.one_writer:
 * then only that lcore may write). A given reference is added and deleted
 * by one writer at a time (its session's creator, then its expiry). Init /
 * fini on the main thread.
 */
#ifndef AW_ASRS_STAB_H
#define AW_ASRS_STAB_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_prefetch.h>
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
#include <nmmintrin.h> /* CRC32-C; SSE 4.1 ptest (aw_sess_match) */
#endif

#include "aw_asrs_priv.h"

#define AW_STAB_MISS UINT32_MAX

/* CRC32-C step: the instruction itself where the build targets SSE 4.2
 * (rte_hash_crc_8byte picks its implementation at run time, per call). */
static __rte_always_inline uint32_t
aw_sess_crc(uint64_t w, uint32_t h)
{
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
	return (uint32_t)_mm_crc32_u64(h, w);
#else
	return rte_hash_crc_8byte(w, h);
#endif
}

/* Hash of an IPv4 key from its last word (ports, proto, v6) and its two
 * addresses as one word (src | dst << 32: the bytes of an IPv4 header from
 * offset 12, read as one little-endian word). */
static __rte_always_inline uint32_t
aw_sess_hash4(uint64_t w4, uint64_t addrs)
{
	return aw_sess_crc(addrs, aw_sess_crc(w4, 0x41535253));
}

/* Hash of an IPv6 key from its last word and its four address words. */
static __rte_always_inline uint32_t
aw_sess_hash6(uint64_t w4, const uint64_t *w)
{
	uint32_t h = aw_sess_crc(w4, 0x41535253);

	h = aw_sess_crc(w[0], h);
	h = aw_sess_crc(w[1], h);
	h = aw_sess_crc(w[2], h);
	return aw_sess_crc(w[3], h);
}

/* Hash of a key: the address bytes that can be non-zero, then the rest. */
static __rte_always_inline uint32_t
aw_sess_key_hash(const struct aw_sess_key *k)
{
	uint64_t w[5];

	memcpy(w, k, sizeof(w));
	if (!k->v6)
		return aw_sess_hash4(w[4], w[0] | w[2] << 32);
	return aw_sess_hash6(w[4], w);
}

/* Does reference ref (slot << 1 | reply) name the session of key k? The
 * whole key, both families, without branches: each 16-byte address as one
 * SSE load XORed with the slot's (an IPv4 address: its first 4 bytes, the
 * rest zero in keys and slots alike), the port pair as one word, the
 * family as the side's IPv6 flag (AW_SESS_F_CLIENT6 = 1, _DEST6 = 2). */
static __rte_always_inline bool
aw_sess_match(const struct aw_asrs *a, const struct aw_sess_key *k, uint32_t ref)
{
	const struct aw_sess *s = &a->sess[ref >> 1];
	const unsigned reply = ref & 1;
	const uint8_t *src = reply ? s->dest : s->client;
	const uint8_t *dst = reply ? a->snat_tab[s->snat] : s->vip;
	uint32_t kports, sports; /* (sport, dport) as the key has them, one compare */
	uint32_t d;

	memcpy(&kports, &k->sport, 4);
	memcpy(&sports, reply ? &s->dport : &s->cport, 4);
	d = (kports ^ sports) | (uint32_t)(k->proto ^ s->proto) |
	    (uint32_t)(k->v6 ^ ((s->flags >> reply) & 1));
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
	__m128i x = _mm_or_si128(_mm_xor_si128(_mm_loadu_si128((const __m128i *)k->src),
					       _mm_loadu_si128((const __m128i *)src)),
				 _mm_xor_si128(_mm_loadu_si128((const __m128i *)k->dst),
					       _mm_loadu_si128((const __m128i *)dst)));
	return (d | (uint32_t)!_mm_testz_si128(x, x)) == 0;
#else
	return d == 0 && memcmp(k->src, src, 16) == 0 && memcmp(k->dst, dst, 16) == 0;
#endif
}

_Static_assert(AW_SESS_F_CLIENT6 == 1 && AW_SESS_F_DEST6 == 2,
	       "aw_sess_match reads the side's IPv6 flag as flags >> reply & 1");

/* The home bucket of hash h, and the entry word of (h, ref). */
static __rte_always_inline uint32_t
aw_stab_home(const struct aw_asrs *a, uint32_t h)
{
	return (uint32_t)(((uint64_t)h * a->stab_n) >> 32);
}

/* Prefetches the home bucket of hash h. */
static __rte_always_inline void
aw_stab_prefetch(const struct aw_asrs *a, uint32_t h)
{
	rte_prefetch0(&a->stab[aw_stab_home(a, h)]);
}

static __rte_always_inline uint32_t
aw_stab_sig(const struct aw_asrs *a, uint32_t h)
{
	return h << a->stab_ref_bits;
}

static __rte_always_inline uint32_t
aw_stab_entry(const struct aw_asrs *a, uint32_t h, uint32_t ref)
{
	return aw_stab_sig(a, h) | (ref + 1);
}

int aw_stab_init(struct aw_asrs *a, uint32_t n_slots);
void aw_stab_fini(struct aw_asrs *a);
/* Reference of the session of k (hash h), or AW_STAB_MISS. */
uint32_t aw_stab_find(const struct aw_asrs *a, const struct aw_sess_key *k, uint32_t h);
/* n ≤ 64 keys: ref[i] as aw_stab_find, with the buckets and the sessions
 * found prefetched a stage ahead; h[i]: the hash of k[i]. */
void aw_stab_find_bulk(const struct aw_asrs *a, const struct aw_sess_key *k, unsigned n,
		       uint32_t *ref, uint32_t *h);
/* The same for keys whose hashes h[i] the caller computed, prefetching each
 * home bucket (aw_stab_prefetch) as it went: the first stage of the lookup
 * done in the caller's own pass over its packets. Each session found and
 * its per-service counter index (aw_asrs.ss_k) are prefetched for the
 * caller's pass that follows. */
void aw_stab_find_bulk_h(const struct aw_asrs *a, const struct aw_sess_key *k, const uint32_t *h,
			 unsigned n, uint32_t *ref);
/* Adds / removes the entry (h, ref); lock-free (see the contract above). */
void aw_stab_add(struct aw_asrs *a, uint32_t h, uint32_t ref);
/* Both entries of a session, the first visible first. */
void aw_stab_add2(struct aw_asrs *a, uint32_t h1, uint32_t ref1, uint32_t h2, uint32_t ref2);
bool aw_stab_del(struct aw_asrs *a, uint32_t h, uint32_t ref);

static inline uint32_t
aw_sess_lookup(const struct aw_asrs *a, const struct aw_sess_key *k)
{
	return aw_stab_find(a, k, aw_sess_key_hash(k));
}

#endif /* AW_ASRS_STAB_H */
