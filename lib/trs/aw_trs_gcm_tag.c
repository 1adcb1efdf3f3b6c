/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AES-256-GCM tags without a CTR pass for the intel-ipsec-mb engine
 * (aw_trs_crypto_mb.c): the tag of a TRS message whose body stays encrypted
 * is GHASH over the header (AAD), the ciphertext and their lengths, xored
 * with E_K(J0). Tag keys (relay paths, SPEC §5.2) are expanded once into the
 * engine's cache of AW_TRS_GCM_CACHE keys in AW_TRS_GCM_WAYS-way sets, in
 * aw_trs_ghash.c's form (round keys and powers of H: our own PCLMULQDQ GHASH)
 * where the CPU allows, else in the library's (IMB_GHASH); full keys
 * (endpoints) keep the library's form inside struct aw_trs_key.
 *
 * Contract: an engine belongs to one thread; these functions run on it.
 */
#include "aw_trs_crypto_priv.h"
#include "aw_trs_ghash.h"

#include <immintrin.h>
#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

/* Big-endian form of v (x86: the only place ipsec-mb runs). */
static inline uint64_t
be64_of(uint64_t v)
{
	return __builtin_bswap64(v);
}

/* Expanded GCM keys by tag key (enc): AW_TRS_GCM_WAYS-way sets chosen by
 * its first word, the least recently used way replaced (ages from a tick
 * per lookup, compared modulo 2^32). A way holds aw_trs_ghash.c's form
 * (round keys and H^1..H^8: 6 cache lines) where the CPU has PCLMULQDQ
 * (e->gcm_own), else the library's. What a lookup compares first sits
 * apart, one cache line per set (struct gcm_set: 64 KiB in all, where the
 * ways take 4.5 MiB): each way's fingerprint (its key's second word) and
 * age, so that a lookup reads the lines of the one way it finds, all of
 * which the tag needs, and no other. */
#define GCM_SETS (AW_TRS_GCM_CACHE / AW_TRS_GCM_WAYS)
struct gcm_set {
	alignas(64) uint32_t fp[AW_TRS_GCM_WAYS];
	uint32_t used[AW_TRS_GCM_WAYS]; /* the cache's tick at its last use */
	uint32_t n;                     /* ways filled (in order) */
};
struct aw_trs_gcm_way {
	union {
		alignas(64) struct gcm_key_data kd;
		alignas(64) struct aw_gcm_hkey hk;
	};
	uint8_t tk[AW_TRS_TKEY_LEN]; /* the library's form (aw_trs_ghash.c's: hk.rk[0..1]) */
};
struct aw_trs_gcm_cache {
	struct gcm_set tags[GCM_SETS];
	struct {
		struct aw_trs_gcm_way way[AW_TRS_GCM_WAYS];
	} set[GCM_SETS];
	uint32_t tick;
};
/* The cache sits in a zeroed block (calloc, e->gcm_raw) aligned by hand:
 * the pages of sets never used are never touched, so an engine commits
 * memory only for the keys it has seen. */
_Static_assert((GCM_SETS & (GCM_SETS - 1)) == 0, "cache sets: a power of 2");
_Static_assert(sizeof(struct gcm_set) == 64, "a set's fingerprints and ages: one line");

int
aw_trs_gcm_cache_init(struct aw_trs_engine *e)
{
	e->gcm_raw = calloc(1, sizeof(*e->gcm) + 63);
	if (e->gcm_raw == NULL)
		return -1;
	e->gcm = (struct aw_trs_gcm_cache *)(((uintptr_t)e->gcm_raw + 63) & ~(uintptr_t)63);
	e->gcm_own = aw_gcm_own_usable();
	return 0;
}

void
aw_trs_gcm_cache_fini(struct aw_trs_engine *e)
{
	if (e->gcm != NULL) /* the ways in use: the rest was never written */
		for (unsigned s = 0; s < GCM_SETS; s++) {
			for (unsigned w = 0; w < e->gcm->tags[s].n; w++)
				OPENSSL_cleanse(&e->gcm->set[s].way[w], sizeof(e->gcm->set[s].way[w]));
			if (e->gcm->tags[s].n != 0) /* fingerprints: key bytes too */
				OPENSSL_cleanse(&e->gcm->tags[s], sizeof(e->gcm->tags[s]));
		}
	free(e->gcm_raw);
	e->gcm_raw = NULL;
	e->gcm = NULL;
}

#define GHASH_ONE_MAX 256 /* bodies up to this size: GHASH in one call over a stack copy */

/* E_K(J0) with the AES-256 round keys of an expanded GCM key, J0 = the
 * header's nonce || 0x00000001: the mask that turns the GHASH of a message
 * into its tag. The 14 rounds written out. */
#define AES_R(i) b = _mm_aesenc_si128(b, _mm_load_si128(rk + (i)))
__attribute__((target("aes,sse2"))) static inline __m128i
aes256_j0(const struct gcm_key_data *gkd, const uint8_t *msg)
{
	const __m128i *rk = (const __m128i *)gkd->expanded_keys;
	uint32_t txid, seq;

	memcpy(&txid, msg + AW_TRS_OFF_TXID, 4);
	memcpy(&seq, msg + AW_TRS_OFF_SEQ, 4);
	/* type, flag, 0, 0 | txid | seq | 0, 0, 0, 1 (aw_trs_gcm_nonce's layout) */
	__m128i b = _mm_setr_epi32((int)(msg[AW_TRS_OFF_TYPE] | (uint32_t)msg[AW_TRS_OFF_FLAG] << 8),
	                           (int)txid, (int)seq, (int)0x01000000);

	b = _mm_xor_si128(b, _mm_load_si128(rk));
	AES_R(1); AES_R(2); AES_R(3); AES_R(4); AES_R(5); AES_R(6); AES_R(7);
	AES_R(8); AES_R(9); AES_R(10); AES_R(11); AES_R(12); AES_R(13);
	return _mm_aesenclast_si128(b, _mm_load_si128(rk + 14));
}

/* Header, body zero-padded to whole blocks and the block of their bit
 * lengths laid out in one (body_len <= GHASH_ONE_MAX); returns its bytes. */
__attribute__((target("sse2"))) static inline size_t
tag_layout(uint8_t *one, const uint8_t *msg, size_t body_len)
{
	const uint64_t abits = be64_of((uint64_t)AW_TRS_HDR_LEN * 8);
	const uint64_t cbits = be64_of((uint64_t)body_len * 8);
	size_t padded = (body_len + 15) & ~(size_t)15;
	__m128i *o = (__m128i *)(void *)one;

	for (size_t x = 0; x < AW_TRS_HDR_LEN + padded; x += 16)
		_mm_store_si128(o++, _mm_loadu_si128((const __m128i *)(const void *)(msg + x)));
	/* the bytes past the body up to the next block: zeros (the lens block
	 * after them is written next) */
	_mm_storeu_si128((__m128i *)(void *)(one + AW_TRS_HDR_LEN + body_len), _mm_setzero_si128());
	memcpy(one + AW_TRS_HDR_LEN + padded, &abits, 8);
	memcpy(one + AW_TRS_HDR_LEN + padded + 8, &cbits, 8);
	return AW_TRS_HDR_LEN + padded + 16;
}

/*
 * The GCM tag of a message with body_len bytes of ciphertext, left intact
 * and not decrypted (tag-only work needs no plaintext, so no CTR pass):
 * GHASH over the header (AAD) and the ciphertext, each zero-padded to whole
 * blocks, then over the block of their bit lengths, chained through the
 * library's GHASH (io_tag in and out), xored with E_K(J0), J0 = nonce || 1.
 * A body of up to GHASH_ONE_MAX bytes is copied in 16-byte moves, the last
 * one reading up to 15 bytes past the body: every caller's buffer has the
 * tag (verify) or room for it (sign) there; those bytes are zeroed in the
 * copy before they are hashed.
 */
__attribute__((target("aes,sse2"))) static void
lib_gcm_tag(IMB_MGR *m, const struct gcm_key_data *gkd, const uint8_t *msg, size_t body_len,
           uint8_t tag[16])
{
	alignas(16) uint8_t g[16] = {0}, lens[16];
	alignas(16) uint8_t one[AW_TRS_HDR_LEN + GHASH_ONE_MAX + 16]; /* hdr, body, lens */

	if (body_len <= GHASH_ONE_MAX) { /* one call: the library's cost is mostly per call */
		IMB_GHASH(m, gkd, one, tag_layout(one, msg, body_len), g, sizeof(g));
	} else {
		const uint64_t abits = be64_of((uint64_t)AW_TRS_HDR_LEN * 8);
		const uint64_t cbits = be64_of((uint64_t)body_len * 8);

		memcpy(lens, &abits, 8);
		memcpy(lens + 8, &cbits, 8);
		IMB_GHASH(m, gkd, msg, AW_TRS_HDR_LEN, g, sizeof(g));
		IMB_GHASH(m, gkd, msg + AW_TRS_HDR_LEN, body_len, g, sizeof(g));
		IMB_GHASH(m, gkd, lens, sizeof(lens), g, sizeof(g));
	}
	_mm_storeu_si128((__m128i *)(void *)tag,
	                 _mm_xor_si128(_mm_load_si128((const __m128i *)(const void *)g),
	                               aes256_j0(gkd, msg)));
}

/* own_gcm_tag of a body over AW_GCM_HDR2_BODY_MAX bytes: laid out as
 * above (up to GHASH_ONE_MAX), else hashed in segments. */
static __attribute__((noinline)) void
own_gcm_tag_long(const struct aw_gcm_hkey *hk, const uint8_t *msg, size_t body_len,
                 const uint8_t j0[16], uint8_t tag[16])
{
	alignas(16) uint8_t one[AW_TRS_HDR_LEN + GHASH_ONE_MAX + 16];

	if (body_len <= GHASH_ONE_MAX)
		aw_gcm_tag_blocks(hk, one, tag_layout(one, msg, body_len) / 16, j0, tag);
	else
		aw_gcm_tag(hk, j0, msg, AW_TRS_HDR_LEN, msg + AW_TRS_HDR_LEN, body_len, tag);
}

/* The same tag with aw_trs_ghash.c's key form (e->gcm_own): GHASH with
 * the key's powers of H; a short body read in place, a longer one laid out
 * by own_gcm_tag_long; the same read past the body either way. */
static inline void
own_gcm_tag(const struct aw_gcm_hkey *hk, const uint8_t *msg, size_t body_len, uint8_t tag[16])
{
	alignas(16) uint8_t j0[16];
	uint32_t txid, seq;

	memcpy(&txid, msg + AW_TRS_OFF_TXID, 4);
	memcpy(&seq, msg + AW_TRS_OFF_SEQ, 4);
	/* type, flag, 0, 0 | txid | seq | 0, 0, 0, 1 (aw_trs_gcm_nonce's layout) */
	_mm_store_si128((__m128i *)(void *)j0,
	                _mm_setr_epi32((int)(msg[AW_TRS_OFF_TYPE] | (uint32_t)msg[AW_TRS_OFF_FLAG] << 8),
	                               (int)txid, (int)seq, (int)0x01000000));
	_Static_assert(AW_TRS_HDR_LEN == 32, "aw_gcm_tag_hdr2 hashes a 32-byte header");
	if (body_len <= AW_GCM_HDR2_BODY_MAX) /* in place: one reduction */
		aw_gcm_tag_hdr2(hk, msg, body_len, j0, tag);
	else /* the stack layout (or aw_gcm_tag's segments) in a frame of its own */
		own_gcm_tag_long(hk, msg, body_len, j0, tag);
}

/* Two tag keys equal (32 bytes, SSE2: no library call). */
static inline bool
tk_eq(const uint8_t *a, const uint8_t *b)
{
	const __m128i *x = (const __m128i *)(const void *)a, *y = (const __m128i *)(const void *)b;
	__m128i d = _mm_or_si128(_mm_xor_si128(_mm_loadu_si128(x), _mm_loadu_si128(y)),
	                         _mm_xor_si128(_mm_loadu_si128(x + 1), _mm_loadu_si128(y + 1)));

	return _mm_movemask_epi8(_mm_cmpeq_epi8(d, _mm_setzero_si128())) == 0xffff;
}

/* Whether way c holds tag key tk: aw_trs_ghash.c's form keeps the key as
 * its first two round keys (AES-256), in the line the tag reads first. */
static inline bool
way_holds(const struct aw_trs_engine *e, const struct aw_trs_gcm_way *c, const uint8_t *tk)
{
	return tk_eq(e->gcm_own ? c->hk.rk[0] : c->tk, tk);
}

/* The set of tag key tk. */
static inline unsigned
set_of(const uint8_t *tk)
{
	uint32_t w;

	memcpy(&w, tk, sizeof(w));
	return w & (GCM_SETS - 1);
}

/*
 * A way for tag key tk (fingerprint f), which missed in set st (ways way):
 * an empty way, else the least recently used way not used since tick pin
 * (the ways the caller still needs), the key expanded into it; NULL when
 * every way of the set was used since then. now: this lookup's tick.
 */
static __attribute__((noinline)) const struct aw_trs_gcm_way *
gcm_fill(struct aw_trs_engine *e, struct gcm_set *st, struct aw_trs_gcm_way *way,
         const uint8_t *tk, uint32_t f, uint32_t pin, uint32_t now)
{
	unsigned v = st->n;
	uint32_t oldest = 0;

	if (st->n == AW_TRS_GCM_WAYS) {
		for (unsigned i = 0; i < AW_TRS_GCM_WAYS; i++) {
			bool pinned = st->used[i] - pin <= now - pin; /* used in [pin, now] */
			if (!pinned && now - st->used[i] > oldest) {
				oldest = now - st->used[i];
				v = i;
			}
		}
		if (v == AW_TRS_GCM_WAYS)
			return NULL;
	}
	struct aw_trs_gcm_way *c = &way[v];
	e->gcm_misses++;
	if (e->gcm_own) {
		aw_gcm_hkey_init(&c->hk, tk);
	} else {
		IMB_AES256_GCM_PRE((IMB_MGR *)e->mgr, tk, &c->kd);
		memcpy(c->tk, tk, AW_TRS_TKEY_LEN);
	}
	st->fp[v] = f;
	st->used[v] = now;
	if (v == st->n)
		st->n++;
	return c;
}

/*
 * The cache way of tag key tk: a hit (the set's four fingerprints compared
 * at once), or gcm_fill's way (NULL when every way of the set was used
 * since tick pin). pin = the tick this lookup takes (gc->tick + 1) pins
 * nothing that could be a victim: at most one way carries that tick (after
 * 2^32 lookups), so a lookup made with it always returns a way. confirm: a
 * hit is a way with tk's fingerprint and key; else with its fingerprint
 * only, and the caller checks the key (way_holds) when it has the way's
 * lines (a different key with the same fingerprint: the caller expands tk
 * on its own).
 */
static inline __attribute__((always_inline)) const struct aw_trs_gcm_way *
gcm_key(struct aw_trs_engine *e, const uint8_t *tk, uint32_t pin, bool confirm)
{
	struct aw_trs_gcm_cache *gc = e->gcm;
	const uint32_t now = ++gc->tick;
	const unsigned s = set_of(tk);
	struct gcm_set *st = &gc->tags[s];
	struct aw_trs_gcm_way *way = gc->set[s].way;
	uint32_t f;

	_Static_assert(AW_TRS_GCM_WAYS == 4, "a set's fingerprints: one 16-byte compare");
	memcpy(&f, tk + 4, sizeof(f));
	__m128i eq = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)(const void *)st->fp),
	                             _mm_set1_epi32((int)f));
	unsigned hit = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(eq)) & ((1u << st->n) - 1);
	for (; hit != 0; hit &= hit - 1) {
		const unsigned i = (unsigned)__builtin_ctz(hit);
		if (!confirm || way_holds(e, &way[i], tk)) {
			st->used[i] = now;
			e->gcm_hits++;
			return &way[i];
		}
	}
	return gcm_fill(e, st, way, tk, f, pin, now);
}

void
aw_trs_gcm_key_tag(void *mgr, const void *gkd, const uint8_t *msg, size_t body_len,
                   uint8_t tag[16])
{
	lib_gcm_tag(mgr, gkd, msg, body_len, tag);
}

/* The lines of an expanded key that a tag reads (round keys, powers of
 * H). */
static inline void
prefetch_hkey(const struct aw_gcm_hkey *hk)
{
	const char *p = (const char *)hk;

	_Static_assert(sizeof(*hk) > 5 * 64 && sizeof(*hk) <= 6 * 64, "six lines, written out");
	__builtin_prefetch(p, 0, 3);
	__builtin_prefetch(p + 64, 0, 3);
	__builtin_prefetch(p + 128, 0, 3);
	__builtin_prefetch(p + 192, 0, 3);
	__builtin_prefetch(p + 256, 0, 3);
	__builtin_prefetch(p + 320, 0, 3);
}

/* The tag of msg under a tag key whose fingerprint matched another's (about
 * one lookup in 2^30): expanded for this message only. */
static __attribute__((noinline)) void
own_gcm_tag_uncached(const uint8_t *tk, const uint8_t *msg, size_t body_len, uint8_t tag[16])
{
	alignas(64) struct aw_gcm_hkey hk;

	aw_gcm_hkey_init(&hk, tk);
	own_gcm_tag(&hk, msg, body_len, tag);
	OPENSSL_cleanse(&hk, sizeof(hk));
}

/*
 * aw_trs_ghash.c's form, in three passes over the burst: every key's set
 * line prefetched; then, phase by phase, each key's way found by its
 * fingerprint (or filled) and that way's lines prefetched; then the tags,
 * each key checked against its way first. A phase ends early where a key
 * would have to replace a way the phase still needs (five keys of one set
 * in one burst).
 */
static void
own_tk_tags(struct aw_trs_engine *e, const struct aw_trs_treq *req, const size_t *blen,
            const unsigned *idx, unsigned n)
{
	const struct aw_trs_gcm_way *way[AW_TRS_BURST_MAX];

	for (unsigned x = 0; x < n; x++)
		__builtin_prefetch(&e->gcm->tags[set_of(req[idx[x]].tk)], 0, 3);
	for (unsigned x = 0; x < n;) {
		const uint32_t pin = e->gcm->tick + 1;
		unsigned first = x;

		for (; x < n; x++) {
			way[x] = gcm_key(e, req[idx[x]].tk, pin, false);
			if (way[x] == NULL) /* never the phase's first lookup (gcm_key) */
				break;
			prefetch_hkey(&way[x]->hk);
		}
		for (unsigned y = first; y < x; y++) {
			const struct aw_trs_treq *r = &req[idx[y]];
			if (__builtin_expect(way_holds(e, way[y], r->tk), 1)) {
				own_gcm_tag(&way[y]->hk, r->msg, blen[idx[y]], e->tags[idx[y]]);
			} else { /* a key expanded: counted as a miss */
				own_gcm_tag_uncached(r->tk, r->msg, blen[idx[y]], e->tags[idx[y]]);
				e->gcm_misses++;
			}
		}
	}
}

void
aw_trs_gcm_tk_tags(struct aw_trs_engine *e, const struct aw_trs_treq *req, const size_t *blen,
                   const unsigned *idx, unsigned n)
{
	if (e->gcm_own)
		return own_tk_tags(e, req, blen, idx, n);
	for (unsigned x = 0; x < n; x++) {
		const unsigned i = idx[x];
		const struct aw_trs_gcm_way *c = gcm_key(e, req[i].tk, e->gcm->tick + 1, true);
		lib_gcm_tag(e->mgr, &c->kd, req[i].msg, blen[i], e->tags[i]);
	}
}
