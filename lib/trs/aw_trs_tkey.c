/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tag keys (aw_trs_crypto.h): the 32-byte per-path form of a TRS key for
 * tag-only work, its derivation, and the verify / sign bursts over it. The
 * HMAC-MD5 inner / outer states are computed and resumed with OpenSSL's MD5
 * (the reference); the engines' tk_tags op does the tag work.
 *
 * Contract: any thread; an engine only on its own thread (aw_trs_crypto.h).
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* MD5_CTX: resuming from a saved state */
#include "aw_trs_crypto_priv.h"

#include <openssl/crypto.h>
#include <openssl/md5.h>
#include <string.h>

#define MD5_BLOCK 64

static void
put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The MD5 state after one 64-byte block (key ^ pad). */
static int
md5_block_state(const uint8_t *key, size_t key_len, uint8_t pad, uint8_t st[16])
{
	uint8_t blk[MD5_BLOCK];
	MD5_CTX c;
	int ok;

	memset(blk, pad, sizeof(blk));
	for (size_t i = 0; i < key_len; i++)
		blk[i] ^= key[i];
	ok = MD5_Init(&c) == 1 && MD5_Update(&c, blk, sizeof(blk)) == 1;
	put_le32(st, c.A);
	put_le32(st + 4, c.B);
	put_le32(st + 8, c.C);
	put_le32(st + 12, c.D);
	OPENSSL_cleanse(blk, sizeof(blk));
	OPENSSL_cleanse(&c, sizeof(c));
	return ok ? AW_TRS_OK : AW_TRS_E_CRYPTO_FAIL;
}

/* MD5 resumed after one block from state st, over data, finalised. */
static int
md5_resume(const uint8_t st[16], const uint8_t *data, size_t len, uint8_t out[16])
{
	MD5_CTX c;
	int ok = MD5_Init(&c) == 1;

	c.A = get_le32(st);
	c.B = get_le32(st + 4);
	c.C = get_le32(st + 8);
	c.D = get_le32(st + 12);
	c.Nl = MD5_BLOCK * 8; /* bits hashed so far */
	c.Nh = 0;
	ok = ok && (len == 0 || MD5_Update(&c, data, len) == 1) && MD5_Final(out, &c) == 1;
	OPENSSL_cleanse(&c, sizeof(c));
	return ok ? AW_TRS_OK : AW_TRS_E_CRYPTO_FAIL;
}

int
aw_trs_ossl_md5_states(const uint8_t st[32], const uint8_t *data, size_t len, uint8_t out[16])
{
	uint8_t inner[16];
	int rc = md5_resume(st, data, len, inner);

	if (rc == AW_TRS_OK)
		rc = md5_resume(st + 16, inner, sizeof(inner), out);
	OPENSSL_cleanse(inner, sizeof(inner));
	return rc;
}

int
aw_trs_tkey_init(uint8_t tk[AW_TRS_TKEY_LEN], const uint8_t key[AW_TRS_KEY_LEN], unsigned suite)
{
	uint8_t enc[32], mac[32];
	int rc;

	if (tk == NULL || key == NULL)
		return AW_TRS_E_BAD_ARG;
	if (suite != AW_TRS_SUITE_CBC_HMAC_MD5 && suite != AW_TRS_SUITE_AES_GCM)
		return AW_TRS_E_BAD_SUITE;
	rc = aw_trs_kdf(key, enc, mac);
	if (rc == AW_TRS_OK && suite == AW_TRS_SUITE_AES_GCM)
		memcpy(tk, enc, 32);
	if (rc == AW_TRS_OK && suite == AW_TRS_SUITE_CBC_HMAC_MD5) {
		rc = md5_block_state(mac, sizeof(mac), 0x36, tk);
		if (rc == AW_TRS_OK)
			rc = md5_block_state(mac, sizeof(mac), 0x5c, tk + 16);
	}
	OPENSSL_cleanse(enc, sizeof(enc));
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

/* Checks of one request; blen: the body length the tag covers. */
static int
treq_check(const struct aw_trs_treq *r, bool verify, size_t *blen)
{
	if (r->tk == NULL || r->msg == NULL)
		return AW_TRS_E_BAD_ARG;
	if (r->suite != AW_TRS_SUITE_CBC_HMAC_MD5 && r->suite != AW_TRS_SUITE_AES_GCM)
		return AW_TRS_E_BAD_SUITE;
	if (!verify) {
		if (r->len > AW_TRS_MAX_LEN - AW_TRS_MIN_LEN)
			return AW_TRS_E_NO_SPACE;
		*blen = r->len;
		aw_trs_set_msg_len(r->msg, (uint16_t)(AW_TRS_MIN_LEN + r->len));
		return AW_TRS_OK;
	}
	if (r->len < AW_TRS_MIN_LEN)
		return AW_TRS_E_TRUNCATED;
	if ((uint16_t)(r->msg[AW_TRS_OFF_MSG_LEN] << 8 | r->msg[AW_TRS_OFF_MSG_LEN + 1]) != r->len)
		return AW_TRS_E_LEN_MISMATCH;
	*blen = (size_t)r->len - AW_TRS_MIN_LEN;
	return AW_TRS_OK;
}

static unsigned
tburst(struct aw_trs_engine *e, const struct aw_trs_treq *req, unsigned n, int *res, bool verify)
{
	size_t blen[AW_TRS_BURST_MAX];
	unsigned ok = 0;

	if (e == NULL || req == NULL || res == NULL)
		return 0;
	for (unsigned i = 0; i < n; i += AW_TRS_BURST_MAX) {
		unsigned c = n - i < AW_TRS_BURST_MAX ? n - i : AW_TRS_BURST_MAX;

		for (unsigned j = 0; j < c; j++)
			res[i + j] = treq_check(&req[i + j], verify, &blen[j]);
		e->ops->tk_tags(e, req + i, blen, c, res + i);
		for (unsigned j = 0; j < c; j++) {
			if (res[i + j] != AW_TRS_OK)
				continue;
			uint8_t *tag = req[i + j].msg + AW_TRS_HDR_LEN + blen[j];
			if (!verify)
				memcpy(tag, e->tags[j], AW_TRS_TAG_LEN);
			else if (!aw_trs_tag_eq(e->tags[j], tag))
				res[i + j] = AW_TRS_E_BAD_TAG;
			ok += res[i + j] == AW_TRS_OK;
		}
	}
	return ok;
}

unsigned
aw_trs_tverify_burst(struct aw_trs_engine *e, const struct aw_trs_treq *req, unsigned n, int *res)
{
	return tburst(e, req, n, res, true);
}

unsigned
aw_trs_tsign_burst(struct aw_trs_engine *e, const struct aw_trs_treq *req, unsigned n, int *res)
{
	return tburst(e, req, n, res, false);
}

void
aw_trs_engine_gcm_stats(const struct aw_trs_engine *e, uint64_t *hits, uint64_t *misses)
{
	*hits = e->gcm_hits;
	*misses = e->gcm_misses;
}
