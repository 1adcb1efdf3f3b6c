/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reference implementation of the TRS cipher suites on OpenSSL 3
 * libcrypto (EVP ciphers, HMAC()). Plain and obviously correct rather than
 * fast: the data path uses aw_trs_crypto_mb.c; the tests check that both
 * give identical bytes.
 */
#include "aw_trs_crypto_priv.h"

#include <limits.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

int
aw_trs_ossl_engine_init(struct aw_trs_engine *e)
{
	e->cctx[0] = EVP_CIPHER_CTX_new();
	e->cctx[1] = EVP_CIPHER_CTX_new();
	if (e->cctx[0] == NULL || e->cctx[1] == NULL) {
		aw_trs_ossl_engine_fini(e);
		return -1;
	}
	snprintf(e->desc, sizeof(e->desc), "openssl %s", OpenSSL_version(OPENSSL_VERSION));
	return 0;
}

void
aw_trs_ossl_engine_fini(struct aw_trs_engine *e)
{
	EVP_CIPHER_CTX_free(e->cctx[0]);
	EVP_CIPHER_CTX_free(e->cctx[1]);
	e->cctx[0] = e->cctx[1] = NULL;
}

static int
ossl_hmac_md5(struct aw_trs_engine *e, const uint8_t *key, size_t key_len, const uint8_t *data,
              size_t len, uint8_t out[16])
{
	static const uint8_t empty[1];
	unsigned int olen = 0;

	(void)e;
	if (key_len > INT_MAX)
		return AW_TRS_E_BAD_ARG;
	if (HMAC(EVP_md5(), key_len ? key : empty, (int)key_len, len ? data : empty, len, out,
	         &olen) == NULL ||
	    olen != 16)
		return AW_TRS_E_CRYPTO_FAIL;
	return AW_TRS_OK;
}

static int
ossl_aes256_cbc(struct aw_trs_engine *e, const uint8_t key[32], const uint8_t iv[16],
                const uint8_t *in, uint8_t *out, size_t len, bool encrypt)
{
	EVP_CIPHER_CTX *c = e->cctx[0];
	int ol = 0, fl = 0;

	if (len > INT_MAX)
		return AW_TRS_E_BAD_ARG;
	if (EVP_CipherInit_ex(c, EVP_aes_256_cbc(), NULL, key, iv, encrypt) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) != 1 ||
	    EVP_CipherUpdate(c, out, &ol, in, (int)len) != 1 ||
	    EVP_CipherFinal_ex(c, out + ol, &fl) != 1 || (size_t)ol + (size_t)fl != len)
		return AW_TRS_E_CRYPTO_FAIL;
	return AW_TRS_OK;
}

/* Start a GCM operation: key, 12-byte IV, AAD. */
static int
gcm_begin(EVP_CIPHER_CTX *c, const uint8_t key[32], const uint8_t iv[12], const uint8_t *aad,
          size_t aad_len, bool encrypt)
{
	int ol = 0;

	if (aad_len > INT_MAX)
		return AW_TRS_E_BAD_ARG;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, key, iv, encrypt) != 1)
		return AW_TRS_E_CRYPTO_FAIL;
	if (aad_len && EVP_CipherUpdate(c, NULL, &ol, aad, (int)aad_len) != 1)
		return AW_TRS_E_CRYPTO_FAIL;
	return AW_TRS_OK;
}

static int
ossl_aes256_gcm(struct aw_trs_engine *e, const uint8_t key[32], const uint8_t iv[12],
                const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
                uint8_t tag[16], bool encrypt)
{
	EVP_CIPHER_CTX *c = e->cctx[0];
	uint8_t dummy[16];
	int ol = 0, fl = 0;
	int rc = gcm_begin(c, key, iv, aad, aad_len, encrypt);

	if (rc != AW_TRS_OK)
		return rc;
	if (len > INT_MAX)
		return AW_TRS_E_BAD_ARG;
	if (len && EVP_CipherUpdate(c, out, &ol, in, (int)len) != 1)
		return AW_TRS_E_CRYPTO_FAIL;
	if (!encrypt && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1)
		return AW_TRS_E_CRYPTO_FAIL;
	if (EVP_CipherFinal_ex(c, len ? out + ol : dummy, &fl) != 1)
		return encrypt ? AW_TRS_E_CRYPTO_FAIL : AW_TRS_E_BAD_TAG;
	if (encrypt && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		return AW_TRS_E_CRYPTO_FAIL;
	return AW_TRS_OK;
}

static int
ossl_cbc_seal(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg, size_t n)
{
	uint8_t *ct = msg + AW_TRS_HDR_LEN + AW_TRS_IV_LEN;
	int rc = ossl_aes256_cbc(e, k->enc, msg + AW_TRS_HDR_LEN, ct, ct, n, true);

	if (rc != AW_TRS_OK)
		return rc;
	return ossl_hmac_md5(e, k->mac, sizeof(k->mac), msg, AW_TRS_HDR_LEN + AW_TRS_IV_LEN + n,
	                     ct + n);
}

static int
ossl_cbc_open(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg, size_t n,
              const uint8_t *expect)
{
	uint8_t *ct = msg + AW_TRS_HDR_LEN + AW_TRS_IV_LEN;
	uint8_t tag[AW_TRS_TAG_LEN];
	int rc = ossl_hmac_md5(e, k->mac, sizeof(k->mac), msg, AW_TRS_HDR_LEN + AW_TRS_IV_LEN + n,
	                       tag);

	if (rc != AW_TRS_OK)
		return rc;
	if (!aw_trs_tag_eq(tag, expect))
		return AW_TRS_E_BAD_TAG;
	return ossl_aes256_cbc(e, k->enc, msg + AW_TRS_HDR_LEN, ct, ct, n, false);
}

static int
ossl_gcm_seal(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg, size_t n)
{
	uint8_t nonce[12];

	aw_trs_gcm_nonce(msg, nonce);
	return ossl_aes256_gcm(e, k->enc, nonce, msg, AW_TRS_HDR_LEN, msg + AW_TRS_HDR_LEN,
	                       msg + AW_TRS_HDR_LEN, n, msg + AW_TRS_HDR_LEN + n, true);
}

static int
ossl_gcm_open(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg, size_t n,
              const uint8_t *expect)
{
	uint8_t nonce[12], tag[16];

	memcpy(tag, expect, sizeof(tag));
	aw_trs_gcm_nonce(msg, nonce);
	return ossl_aes256_gcm(e, k->enc, nonce, msg, AW_TRS_HDR_LEN, msg + AW_TRS_HDR_LEN,
	                       msg + AW_TRS_HDR_LEN, n, tag, false);
}

/*
 * GCM tag of a body taken as ciphertext, body left intact. OpenSSL gives no
 * tag when decrypting, so: decrypt each chunk (ctx 0) and encrypt it again
 * (ctx 1, same nonce); ctx 1 then yields the tag of the original ciphertext.
 */
static int
ossl_gcm_tag(struct aw_trs_engine *e, const uint8_t enc[32], const uint8_t *msg, size_t body_len,
             uint8_t tag[16])
{
	uint8_t nonce[12], pt[AW_TRS_GCM_CHUNK], ct[AW_TRS_GCM_CHUNK + 16];
	int rc, l0 = 0, l1 = 0;

	aw_trs_gcm_nonce(msg, nonce);
	rc = gcm_begin(e->cctx[0], enc, nonce, msg, AW_TRS_HDR_LEN, false);
	if (rc == AW_TRS_OK)
		rc = gcm_begin(e->cctx[1], enc, nonce, msg, AW_TRS_HDR_LEN, true);
	for (size_t off = 0; rc == AW_TRS_OK && off < body_len; off += AW_TRS_GCM_CHUNK) {
		int c = (int)(body_len - off < AW_TRS_GCM_CHUNK ? body_len - off
		                                                : AW_TRS_GCM_CHUNK);

		if (EVP_CipherUpdate(e->cctx[0], pt, &l0, msg + AW_TRS_HDR_LEN + off, c) != 1 ||
		    EVP_CipherUpdate(e->cctx[1], ct, &l1, pt, l0) != 1)
			rc = AW_TRS_E_CRYPTO_FAIL;
	}
	if (rc == AW_TRS_OK &&
	    (EVP_CipherFinal_ex(e->cctx[1], ct, &l1) != 1 ||
	     EVP_CIPHER_CTX_ctrl(e->cctx[1], EVP_CTRL_GCM_GET_TAG, 16, tag) != 1))
		rc = AW_TRS_E_CRYPTO_FAIL;
	return rc;
}

static int
ossl_tag(struct aw_trs_engine *e, const struct aw_trs_key *k, const uint8_t *msg, size_t body_len,
         uint8_t tag[16])
{
	if (k->suite == AW_TRS_SUITE_AES_GCM)
		return ossl_gcm_tag(e, k->enc, msg, body_len, tag);
	return ossl_hmac_md5(e, k->mac, sizeof(k->mac), msg, AW_TRS_HDR_LEN + body_len, tag);
}

/* Tag keys one by one: MD5 resumed from the states, or GCM with enc. */
static void
ossl_tk_tags(struct aw_trs_engine *e, const struct aw_trs_treq *req, const size_t *blen,
             unsigned n, int *res)
{
	for (unsigned i = 0; i < n; i++) {
		if (res[i] != AW_TRS_OK)
			continue;
		if (req[i].suite == AW_TRS_SUITE_AES_GCM)
			res[i] = ossl_gcm_tag(e, req[i].tk, req[i].msg, blen[i], e->tags[i]);
		else
			res[i] = aw_trs_ossl_md5_states(req[i].tk, req[i].msg,
			                                AW_TRS_HDR_LEN + blen[i], e->tags[i]);
	}
}

const struct aw_trs_ops aw_trs_ossl_ops = {
        .cbc_seal = ossl_cbc_seal,
        .cbc_open = ossl_cbc_open,
        .gcm_seal = ossl_gcm_seal,
        .gcm_open = ossl_gcm_open,
        .tag = ossl_tag,
        .verify_burst = NULL,
        .sign_burst = NULL,
        .tk_tags = ossl_tk_tags,
        .hmac_md5 = ossl_hmac_md5,
        .aes256_cbc = ossl_aes256_cbc,
        .aes256_gcm = ossl_aes256_gcm,
};
