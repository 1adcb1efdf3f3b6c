/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_trs_crypto — TRS keys and cipher suites (SPEC §5.2), two implementations
 * behind one API: OpenSSL 3 libcrypto (the reference) and intel-ipsec-mb
 * (the data path).
 *
 * Keys. From a 32-byte key K: enc = HMAC-SHA256(K, "anyway-enc"),
 * mac = HMAC-SHA256(K, "anyway-mac") (computed with OpenSSL for both
 * implementations: it runs once per key, off the packet path).
 *   Suite 1, AES-256-CBC + HMAC-MD5: sealed body = IV(16) ||
 *     AES-256-CBC(enc, PKCS#7(plaintext)); tag = HMAC-MD5(mac, header || body).
 *   Suite 2, AES-256-GCM: the GCM key is enc (mac is unused: GCM authenticates
 *     with its own GHASH subkey derived from enc); body = ciphertext (same
 *     length as the plaintext); tag = the 16-byte GCM tag; AAD = the 32-byte
 *     header; nonce = type(1) || flag(1) || 0(2) || txid(4) || seq(4), the
 *     header's bytes (txid and seq in network order).
 * The header must be complete (txid, flag, type, seq, id) before seal/sign:
 * both write msg_len and then authenticate the whole header.
 *
 * Thread contract.
 *   struct aw_trs_key: initialised once (any thread, e.g. the control thread
 *   installing a relay entry), then read-only: any number of threads may use
 *   one key at the same time. aw_trs_key_wipe only when no thread uses it.
 *   struct aw_trs_engine: one per thread (an lcore creates its own at start,
 *   outside the packet loop); never shared. An ipsec-mb engine owns one IMB_MGR
 *   (alloc_mb_mgr + init_mb_mgr_auto), whose job queue is per-thread state. An
 *   OpenSSL engine owns one EVP_CIPHER_CTX.
 *   aw_trs_key_init uses a process-wide IMB_MGR, created once under
 *   pthread_once, only for its stateless key-expansion functions.
 *
 * Receive path of the relay: aw_trs_parse (aw_trs_msg.h), path lookup by id,
 * aw_replay_check, aw_trs_verify (or a burst of them), then aw_replay_update.
 *
 * In-place operation and buffer layout: a message buffer holds header(32) ||
 * body || tag(16). For seal, the plaintext is put at msg + aw_trs_pt_offset()
 * (48 for suite 1, leaving room for the IV; 32 for suite 2).
 *
 * Errors: every call returns 0 or an AW_TRS_E_* code (aw_trs_msg.h). Common to
 * all: BAD_ARG (NULL pointer), BAD_SUITE (key suite not 1 or 2), NO_MB_KEY (an
 * ipsec-mb engine with a key whose ipsec-mb expansion failed), CRYPTO_FAIL
 * (a library call failed: out of memory, job error).
 */
#ifndef AW_TRS_CRYPTO_H
#define AW_TRS_CRYPTO_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aw_trs_msg.h"

#define AW_TRS_KEY_LEN            32
#define AW_TRS_IV_LEN             16
#define AW_TRS_SUITE_CBC_HMAC_MD5 1
#define AW_TRS_SUITE_AES_GCM      2
#define AW_TRS_BURST_MAX          32 /* chunk size of aw_trs_verify_burst / _sign_burst */

/*
 * Per-key context: derived keys plus ipsec-mb's expanded forms. 1152 bytes,
 * 64-byte aligned: for endpoints that seal and open; a relay keeps the
 * 32-byte tag key instead (aw_trs_tkey_init below). Heap copies need aligned_alloc(64, ...) / rte_zmalloc(..., 64), not
 * plain malloc. Fields are private to aw_trs_crypto*.c.
 */
struct aw_trs_key {
	union {
		struct {
			alignas(16) uint8_t enc_exp[240]; /* AES-256 round keys */
			alignas(16) uint8_t dec_exp[240];
			alignas(16) uint8_t ipad[16]; /* MD5 state after key^ipad */
			alignas(16) uint8_t opad[16]; /* MD5 state after key^opad */
		} cbc;
		alignas(64) uint8_t gcm[1024]; /* struct gcm_key_data */
	} mb;
	uint8_t enc[32];
	uint8_t mac[32];
	uint8_t suite;
	bool mb_ready; /* the mb union is valid */
};

enum aw_trs_impl {
	AW_TRS_IMPL_OPENSSL = 1,
	AW_TRS_IMPL_IPSECMB = 2,
};

struct aw_trs_engine;

/*
 * A per-thread engine. NULL when it cannot be created: out of memory, or for
 * AW_TRS_IMPL_IPSECMB when intel-ipsec-mb cannot run on this CPU (no AES-NI /
 * init error): callers then fall back to AW_TRS_IMPL_OPENSSL.
 */
struct aw_trs_engine *aw_trs_engine_create(enum aw_trs_impl impl);
/* The data path's engine: intel-ipsec-mb, or OpenSSL where it cannot run;
 * NULL when neither can be created. */
struct aw_trs_engine *aw_trs_engine_create_best(void);
void aw_trs_engine_free(struct aw_trs_engine *e);
enum aw_trs_impl aw_trs_engine_impl(const struct aw_trs_engine *e);
/* "openssl OpenSSL 3.0.x ..." or "intel-ipsec-mb 1.3.0 avx2": for logs. */
const char *aw_trs_engine_desc(const struct aw_trs_engine *e);

/*
 * Derive and expand. BAD_SUITE, CRYPTO_FAIL (HMAC-SHA256 failed). When
 * ipsec-mb cannot run here the key is still usable by OpenSSL engines
 * (k->mb_ready false). Wipe with aw_trs_key_wipe when the key goes away.
 */
int aw_trs_key_init(struct aw_trs_key *k, const uint8_t key[AW_TRS_KEY_LEN], unsigned suite);
void aw_trs_key_wipe(struct aw_trs_key *k);
/* The expansion alone, from keys aw_trs_kdf derived (a holder that keeps only
 * enc and mac per entry, 64 bytes, and expands into a per-thread cache).
 * BAD_ARG, BAD_SUITE. No OpenSSL call: cheap enough for a cache miss on an
 * lcore (AES key schedules, MD5 pads or the GCM hash key tables). */
int aw_trs_key_expand(struct aw_trs_key *k, const uint8_t enc[32], const uint8_t mac[32],
		      unsigned suite);
/* The KDF alone: enc and mac (32 bytes each). CRYPTO_FAIL on failure. */
int aw_trs_kdf(const uint8_t key[AW_TRS_KEY_LEN], uint8_t enc[32], uint8_t mac[32]);

/* Where seal expects the plaintext: 48 (suite 1) or 32 (suite 2); 0 if unknown. */
size_t aw_trs_pt_offset(unsigned suite);
/* Message length seal produces for pt_len bytes of plaintext (may exceed 65535). */
size_t aw_trs_sealed_len(unsigned suite, size_t pt_len);

/*
 * Encrypt and tag in place. msg: header, then pt_len bytes of plaintext at
 * msg + aw_trs_pt_offset(suite); cap: bytes available at msg. iv: suite 1's
 * IV (16 bytes, the caller draws it at random); ignored by suite 2 (may be
 * NULL). Writes msg_len, the body and the tag; *msg_len = the message length.
 * NO_SPACE: the sealed message exceeds cap or 65535 bytes.
 */
int aw_trs_seal(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg, size_t cap,
                size_t pt_len, const uint8_t *iv, size_t *msg_len);

/*
 * Verify the tag, then decrypt in place. msg_len: the whole message (as
 * parsed: 48 + body + tag). On success the plaintext is at msg + *pt_off,
 * *pt_len bytes. Errors: TRUNCATED (< 48 bytes), LEN_MISMATCH (header msg_len
 * != msg_len), BAD_BODY_LEN (suite 1 body not IV + n*16, n >= 1), BAD_TAG,
 * BAD_PADDING. On any error the body may have been overwritten (the ipsec-mb
 * engine decrypts in the same pass as it authenticates): drop the message.
 */
int aw_trs_open(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg, size_t msg_len,
                size_t *pt_off, size_t *pt_len);

/* One message of an open burst: pt_off / pt_len set on success. */
struct aw_trs_oreq {
	const struct aw_trs_key *key;
	uint8_t *msg;
	size_t len;
	size_t pt_off, pt_len;
};

/*
 * Open n messages (any mix of keys and suites): res[i] = what aw_trs_open
 * would return for req[i], with the same plaintext. Returns how many opened.
 * With an ipsec-mb engine the suite-1 messages of each chunk of
 * AW_TRS_BURST_MAX are submitted together as HMAC-MD5 + AES-CBC jobs (the
 * library runs them in SIMD lanes), then flushed; suite 2 goes one by one.
 * Nothing stays queued in the engine after the call.
 */
unsigned aw_trs_open_burst(struct aw_trs_engine *e, struct aw_trs_oreq *req, unsigned n,
                           int *res);

/* One message of a seal burst: as aw_trs_seal's arguments; msg_len set on
 * success. */
struct aw_trs_creq {
	const struct aw_trs_key *key;
	uint8_t *msg;
	size_t cap;
	size_t pt_len;
	const uint8_t *iv;
	size_t msg_len;
};

/* Seal n messages: res[i] = what aw_trs_seal would return for req[i], same
 * bytes. Suite-1 jobs of a chunk run together with ipsec-mb, as above. */
unsigned aw_trs_seal_burst(struct aw_trs_engine *e, struct aw_trs_creq *req, unsigned n,
                           int *res);

/*
 * Tag only, body left as it is (e.g. the relay's ACK): writes msg_len and the
 * tag after body_len bytes of body at msg + 32. The tag is the one seal would
 * give for a body that is already ciphertext: suite 1 HMAC-MD5(mac, header ||
 * body); suite 2 the GCM tag of ciphertext = body. So aw_trs_verify accepts
 * it; for suite 2 with an empty body, sign equals seal of an empty plaintext.
 * NO_SPACE.
 */
int aw_trs_sign(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg, size_t cap,
                size_t body_len, size_t *msg_len);

/*
 * Verify only (signalling messages the relay authenticates and forwards
 * unchanged): checks the tag of msg[0..msg_len) without modifying it.
 * Errors: TRUNCATED, LEN_MISMATCH, BAD_TAG. Suite 1 needs no decryption (the
 * tag covers the encrypted body); suite 2 runs GCM over the body into a small
 * stack scratch buffer.
 */
int aw_trs_verify(struct aw_trs_engine *e, const struct aw_trs_key *k, const uint8_t *msg,
                  size_t msg_len);

/* One message of a verify burst. */
struct aw_trs_vreq {
	const struct aw_trs_key *key;
	const uint8_t *msg;
	size_t len;
};

/*
 * Verify n messages (any mix of keys and suites); res[i] = what aw_trs_verify
 * would return for req[i]. Returns how many verified (res[i] == 0). n may
 * exceed AW_TRS_BURST_MAX (processed in chunks). With an ipsec-mb engine the
 * suite-1 messages of a chunk are submitted as HMAC-MD5 jobs together, so the
 * library hashes several of them at once in SIMD lanes, then flushed: nothing
 * stays queued in the engine after the call. Suite-2 messages go one by one
 * (GCM is a single-buffer algorithm in intel-ipsec-mb 1.3).
 */
unsigned aw_trs_verify_burst(struct aw_trs_engine *e, const struct aw_trs_vreq *req, unsigned n,
                             int *res);

/* One message of a sign burst: header at msg, body_len bytes of body after it,
 * room for the tag after the body. */
struct aw_trs_sreq {
	const struct aw_trs_key *key;
	uint8_t *msg;
	size_t body_len;
};

/*
 * Sign n messages (any mix of keys and suites): res[i] = what aw_trs_sign
 * would return for req[i] with cap = 48 + body_len, and the same bytes
 * (msg_len, tag). Returns how many were signed. With an ipsec-mb engine the
 * suite-1 HMAC-MD5 jobs of a chunk of AW_TRS_BURST_MAX run together in SIMD
 * lanes (the relay's ACKs); nothing stays queued after the call.
 */
unsigned aw_trs_sign_burst(struct aw_trs_engine *e, const struct aw_trs_sreq *req, unsigned n,
                           int *res);

/*
 * Tag keys: the compact per-path form for tag-only work (a relay that never
 * decrypts), AW_TRS_TKEY_LEN bytes, no alignment needed, no wipe order:
 *   suite 1: the HMAC-MD5 inner and outer MD5 states of mac (16 + 16 bytes,
 *            four little-endian 32-bit words each, as after one block of
 *            mac ^ ipad / mac ^ opad);
 *   suite 2: enc, the GCM key (an ipsec-mb engine expands it on demand into
 *            its own small cache of expanded keys; see aw_trs_tverify_burst).
 * Two tag keys are equal iff they come from the same (key, suite) (up to
 * collisions of the KDF), so callers may compare them for "same key".
 */
#define AW_TRS_TKEY_LEN 32

/* Derives the tag key of (key, suite). BAD_ARG, BAD_SUITE, CRYPTO_FAIL. */
int aw_trs_tkey_init(uint8_t tk[AW_TRS_TKEY_LEN], const uint8_t key[AW_TRS_KEY_LEN],
                     unsigned suite);

/* One message of a tag-key burst. verify: len = the whole message, msg is
 * not modified; sign: len = body_len (header at msg, body after it, room for
 * the tag after the body), msg_len and the tag are written. */
struct aw_trs_treq {
	const uint8_t *tk; /* AW_TRS_TKEY_LEN bytes */
	uint8_t *msg;
	uint16_t len;
	uint8_t suite;
};

/*
 * Like aw_trs_verify_burst / aw_trs_sign_burst with tag keys: res[i] is what
 * aw_trs_verify / aw_trs_sign would return with the aw_trs_key of the same
 * (key, suite), and sign writes the same bytes. Errors: BAD_ARG, BAD_SUITE,
 * TRUNCATED / LEN_MISMATCH (verify), NO_SPACE (sign), BAD_TAG, CRYPTO_FAIL.
 * ipsec-mb engines: suite-1 HMAC-MD5 from the precomputed states, sixteen
 * (AVX-512F) or eight (AVX2) short messages at a time in SIMD lanes
 * (aw_trs_md5x8.h; longer ones as
 * ipsec-mb jobs in its SIMD lanes); suite-2 tags by GHASH and one AES block
 * (no CTR pass; where the CPU has PCLMULQDQ, AES-NI and AVX, on
 * aw_trs_ghash.h: eight key powers, one reduction per eight blocks, else
 * on the library's GHASH), their keys expanded into the engine's
 * AW_TRS_GCM_WAYS-way set-associative cache of AW_TRS_GCM_CACHE expanded GCM keys (least
 * recently used way replaced; with aw_trs_ghash.h, a burst's keys are looked up first, by a
 * fingerprint in one cache line per set, and each way's lines prefetched,
 * then every tag computed, each way checked against the whole 32-byte key
 * first: a replaced key can never hit a stale entry), so signalling that repeats
 * on a path (a message and its ACK), or on a few thousand paths, costs no
 * second key expansion.
 */
unsigned aw_trs_tverify_burst(struct aw_trs_engine *e, const struct aw_trs_treq *req, unsigned n,
                              int *res);
unsigned aw_trs_tsign_burst(struct aw_trs_engine *e, const struct aw_trs_treq *req, unsigned n,
                            int *res);
/* Expanded GCM keys per ipsec-mb engine, about 1.1 KiB each (4.5 MiB of
 * address space, committed only as keys fill it, and 64 KiB of set lines): enough that the
 * signalling of a few thousand suite-2 paths on one lcore expands each key
 * once, not once per message (a key expansion costs more than the tag). */
#define AW_TRS_GCM_CACHE 4096
#define AW_TRS_GCM_WAYS  4 /* ways per set (sets: AW_TRS_GCM_CACHE / this) */
/* Counters of an engine's GCM key cache (ipsec-mb; zero for OpenSSL). */
void aw_trs_engine_gcm_stats(const struct aw_trs_engine *e, uint64_t *hits, uint64_t *misses);

/*
 * Primitives, for known-answer tests: the same code paths the suites use.
 * hmac_md5: any key length (keys over 64 bytes are first hashed with MD5).
 * aes256_cbc: len a multiple of 16 (BAD_ARG otherwise), no padding, in == out
 * allowed. aes256_gcm: 12-byte IV; on decrypt, tag is the expected tag and
 * BAD_TAG is returned on mismatch; in == out allowed.
 */
int aw_trs_hmac_md5(struct aw_trs_engine *e, const uint8_t *key, size_t key_len,
                    const uint8_t *data, size_t len, uint8_t out[16]);
int aw_trs_aes256_cbc(struct aw_trs_engine *e, const uint8_t key[32], const uint8_t iv[16],
                      const uint8_t *in, uint8_t *out, size_t len, bool encrypt);
int aw_trs_aes256_gcm(struct aw_trs_engine *e, const uint8_t key[32], const uint8_t iv[12],
                      const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out,
                      size_t len, uint8_t tag[16], bool encrypt);

#endif /* AW_TRS_CRYPTO_H */
