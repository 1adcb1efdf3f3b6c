/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal to lib/trs: the engine object and the operations each
 * implementation (aw_trs_crypto_ossl.c, aw_trs_crypto_mb.c) provides to the
 * common layer (aw_trs_crypto.c), which validates arguments, lays out the
 * buffer (msg_len, IV, padding) and checks tags and padding. Every op gets
 * arguments already validated against the suite's length rules.
 */
#ifndef AW_TRS_CRYPTO_PRIV_H
#define AW_TRS_CRYPTO_PRIV_H

#include <string.h>

#include "aw_trs_crypto.h"

struct aw_trs_ops {
	/* Suite 1: IV at msg + 32, n (multiple of 16, >= 16) bytes at msg + 48
	 * encrypted in place, then the tag over msg[0..48+n) written after them. */
	int (*cbc_seal)(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg,
	                size_t n);
	/* Suite 1: tag over msg[0..48+n) checked against expect (BAD_TAG), and
	 * the n bytes at msg + 48 decrypted in place (maybe even on BAD_TAG). */
	int (*cbc_open)(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg, size_t n,
	                const uint8_t *expect);
	/* Suite 2: n bytes at msg + 32 encrypted in place, tag written after them. */
	int (*gcm_seal)(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg,
	                size_t n);
	/* Suite 2: n bytes at msg + 32 decrypted in place, tag checked against
	 * expect (BAD_TAG; the body may be overwritten). */
	int (*gcm_open)(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg, size_t n,
	                const uint8_t *expect);
	/* Optional suite-1 bursts over the n <= AW_TRS_BURST_MAX requests whose
	 * pend[i] is set (already laid out and checked as for cbc_open /
	 * cbc_seal): res[i] = 0, BAD_TAG (open) or CRYPTO_FAIL. */
	void (*cbc_open_burst)(struct aw_trs_engine *e, const struct aw_trs_oreq *req,
	                       const bool *pend, unsigned n, int *res);
	void (*cbc_seal_burst)(struct aw_trs_engine *e, const struct aw_trs_creq *req,
	                       const bool *pend, unsigned n, int *res);
	/* Either suite: the tag of header || body (body_len bytes, left unchanged). */
	int (*tag)(struct aw_trs_engine *e, const struct aw_trs_key *k, const uint8_t *msg,
	           size_t body_len, uint8_t tag[16]);
	/* Optional burst verify of n <= AW_TRS_BURST_MAX messages; NULL: one by one. */
	unsigned (*verify_burst)(struct aw_trs_engine *e, const struct aw_trs_vreq *req, unsigned n,
	                         int *res);
	/* Optional burst tag of n <= AW_TRS_BURST_MAX messages whose msg_len is
	 * already written: tag over header || body written after the body. */
	void (*sign_burst)(struct aw_trs_engine *e, const struct aw_trs_sreq *req, unsigned n,
	                   int *res);
	/* Tag-key burst of n <= AW_TRS_BURST_MAX: for each i with res[i] == 0,
	 * the tag of header || body (blen[i] bytes) into e->tags[i]; res[i] =
	 * CRYPTO_FAIL when that failed. */
	void (*tk_tags)(struct aw_trs_engine *e, const struct aw_trs_treq *req, const size_t *blen,
	                unsigned n, int *res);
	int (*hmac_md5)(struct aw_trs_engine *e, const uint8_t *key, size_t key_len,
	                const uint8_t *data, size_t len, uint8_t out[16]);
	int (*aes256_cbc)(struct aw_trs_engine *e, const uint8_t key[32], const uint8_t iv[16],
	                  const uint8_t *in, uint8_t *out, size_t len, bool encrypt);
	int (*aes256_gcm)(struct aw_trs_engine *e, const uint8_t key[32], const uint8_t iv[12],
	                  const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out,
	                  size_t len, uint8_t tag[16], bool encrypt);
};

struct aw_trs_engine {
	const struct aw_trs_ops *ops;
	enum aw_trs_impl impl;
	void *cctx[2]; /* OpenSSL: EVP_CIPHER_CTX * (two for the GCM re-tag) */
	void *mgr;     /* ipsec-mb: IMB_MGR * */
	char desc[96];
	struct aw_trs_gcm_cache *gcm; /* ipsec-mb: expanded GCM keys by tag key */
	void *gcm_raw;                /* the zeroed block gcm sits in */
	uint64_t gcm_hits, gcm_misses;
	bool gcm_own; /* ipsec-mb: cached GCM keys are aw_trs_ghash.c's (PCLMULQDQ) */
	alignas(16) uint8_t tags[AW_TRS_BURST_MAX][16]; /* burst tag outputs */
	alignas(16) uint8_t pads[AW_TRS_BURST_MAX][32]; /* tag-key MD5 states, aligned copies */
};

#define AW_TRS_GCM_CHUNK 512 /* stack scratch for GCM over a body left intact */

extern const struct aw_trs_ops aw_trs_ossl_ops;
extern const struct aw_trs_ops aw_trs_mb_ops;

/* aw_trs_crypto_ossl.c */
int aw_trs_ossl_engine_init(struct aw_trs_engine *e);
void aw_trs_ossl_engine_fini(struct aw_trs_engine *e);
/* aw_trs_crypto_mb.c */
int aw_trs_mb_engine_init(struct aw_trs_engine *e);
void aw_trs_mb_engine_fini(struct aw_trs_engine *e);
/* Fill k->mb from k->enc / k->mac; false when ipsec-mb cannot run here. */
bool aw_trs_mb_key_expand(struct aw_trs_key *k);
/* aw_trs_gcm_tag.c: the engine's tag-key cache (init: -1 out of memory) and
 * GCM tags without a CTR pass: under tag keys (cached), or under a full
 * key's library form (gkd: struct gcm_key_data, mgr: IMB_MGR *). The last
 * 16-byte load may read up to 15 bytes past the body (the tag or its room). */
int aw_trs_gcm_cache_init(struct aw_trs_engine *e);
void aw_trs_gcm_cache_fini(struct aw_trs_engine *e);
/* The suite-2 requests req[idx[0 .. n)] of a tag-key burst (checked by the
 * caller): their tags into e->tags[idx[x]]. */
void aw_trs_gcm_tk_tags(struct aw_trs_engine *e, const struct aw_trs_treq *req, const size_t *blen,
                        const unsigned *idx, unsigned n);
void aw_trs_gcm_key_tag(void *mgr, const void *gkd, const uint8_t *msg, size_t body_len,
                        uint8_t tag[16]);

/* The HMAC-MD5 tag of data from precomputed inner / outer states (OpenSSL). */
int aw_trs_ossl_md5_states(const uint8_t st[32], const uint8_t *data, size_t len,
                           uint8_t out[16]);
/* aw_trs_crypto.c: argument and length checks of aw_trs_verify (0 or error). */
int aw_trs_verify_check(const struct aw_trs_engine *e, const struct aw_trs_key *k,
                        const uint8_t *msg, size_t msg_len);
/* The 12-byte GCM nonce of a header. */
void aw_trs_gcm_nonce(const uint8_t *hdr, uint8_t nonce[12]);
/* Constant-time equality of two 16-byte tags: the bytes are only xored and
 * ored, no branch or early exit depends on them (inline: one per message in
 * the verify bursts). */
static inline bool
aw_trs_tag_eq(const uint8_t *a, const uint8_t *b)
{
	uint64_t x[2], y[2];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

#endif /* AW_TRS_CRYPTO_PRIV_H */
