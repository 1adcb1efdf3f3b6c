/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Common layer of the TRS cipher suites: engines, keys and the KDF, argument
 * and length checks, buffer layout (msg_len, IV, PKCS#7), tag comparison.
 * The cipher work is done by the engine's ops (OpenSSL or intel-ipsec-mb).
 */
#include "aw_trs_crypto_priv.h"

#include <endian.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

struct aw_trs_engine *
aw_trs_engine_create(enum aw_trs_impl impl)
{
	struct aw_trs_engine *e = calloc(1, sizeof(*e));
	int rc = -1;

	if (e == NULL)
		return NULL;
	e->impl = impl;
	if (impl == AW_TRS_IMPL_OPENSSL) {
		e->ops = &aw_trs_ossl_ops;
		rc = aw_trs_ossl_engine_init(e);
	} else if (impl == AW_TRS_IMPL_IPSECMB) {
		e->ops = &aw_trs_mb_ops;
		rc = aw_trs_mb_engine_init(e);
	}
	if (rc != 0) {
		free(e);
		return NULL;
	}
	return e;
}

struct aw_trs_engine *
aw_trs_engine_create_best(void)
{
	struct aw_trs_engine *e = aw_trs_engine_create(AW_TRS_IMPL_IPSECMB);

	return e != NULL ? e : aw_trs_engine_create(AW_TRS_IMPL_OPENSSL);
}

void
aw_trs_engine_free(struct aw_trs_engine *e)
{
	if (e == NULL)
		return;
	if (e->impl == AW_TRS_IMPL_OPENSSL)
		aw_trs_ossl_engine_fini(e);
	else
		aw_trs_mb_engine_fini(e);
	free(e);
}

enum aw_trs_impl
aw_trs_engine_impl(const struct aw_trs_engine *e)
{
	return e->impl;
}

const char *
aw_trs_engine_desc(const struct aw_trs_engine *e)
{
	return e->desc;
}

int
aw_trs_kdf(const uint8_t key[AW_TRS_KEY_LEN], uint8_t enc[32], uint8_t mac[32])
{
	static const char enc_label[] = "anyway-enc", mac_label[] = "anyway-mac";
	unsigned int l1 = 0, l2 = 0;

	if (key == NULL || enc == NULL || mac == NULL)
		return AW_TRS_E_BAD_ARG;
	if (HMAC(EVP_sha256(), key, AW_TRS_KEY_LEN, (const unsigned char *)enc_label,
	         sizeof(enc_label) - 1, enc, &l1) == NULL ||
	    HMAC(EVP_sha256(), key, AW_TRS_KEY_LEN, (const unsigned char *)mac_label,
	         sizeof(mac_label) - 1, mac, &l2) == NULL ||
	    l1 != 32 || l2 != 32)
		return AW_TRS_E_CRYPTO_FAIL;
	return AW_TRS_OK;
}

int
aw_trs_key_init(struct aw_trs_key *k, const uint8_t key[AW_TRS_KEY_LEN], unsigned suite)
{
	int rc;

	if (k == NULL || key == NULL)
		return AW_TRS_E_BAD_ARG;
	if (suite != AW_TRS_SUITE_CBC_HMAC_MD5 && suite != AW_TRS_SUITE_AES_GCM)
		return AW_TRS_E_BAD_SUITE;
	memset(k, 0, sizeof(*k));
	rc = aw_trs_kdf(key, k->enc, k->mac);
	if (rc != AW_TRS_OK)
		return rc;
	k->suite = (uint8_t)suite;
	k->mb_ready = aw_trs_mb_key_expand(k);
	return AW_TRS_OK;
}

int
aw_trs_key_expand(struct aw_trs_key *k, const uint8_t enc[32], const uint8_t mac[32],
		  unsigned suite)
{
	if (k == NULL || enc == NULL || mac == NULL)
		return AW_TRS_E_BAD_ARG;
	if (suite != AW_TRS_SUITE_CBC_HMAC_MD5 && suite != AW_TRS_SUITE_AES_GCM)
		return AW_TRS_E_BAD_SUITE;
	memset(k, 0, sizeof(*k));
	memcpy(k->enc, enc, 32);
	memcpy(k->mac, mac, 32);
	k->suite = (uint8_t)suite;
	k->mb_ready = aw_trs_mb_key_expand(k);
	return AW_TRS_OK;
}

void
aw_trs_key_wipe(struct aw_trs_key *k)
{
	if (k != NULL)
		OPENSSL_cleanse(k, sizeof(*k));
}

size_t
aw_trs_pt_offset(unsigned suite)
{
	if (suite == AW_TRS_SUITE_CBC_HMAC_MD5)
		return AW_TRS_HDR_LEN + AW_TRS_IV_LEN;
	if (suite == AW_TRS_SUITE_AES_GCM)
		return AW_TRS_HDR_LEN;
	return 0;
}

size_t
aw_trs_sealed_len(unsigned suite, size_t pt_len)
{
	if (pt_len > AW_TRS_MAX_LEN)
		pt_len = AW_TRS_MAX_LEN + 1; /* keeps the sum from overflowing */
	if (suite == AW_TRS_SUITE_CBC_HMAC_MD5)
		return AW_TRS_MIN_LEN + AW_TRS_IV_LEN + (pt_len / 16 + 1) * 16;
	return AW_TRS_MIN_LEN + pt_len;
}

void
aw_trs_gcm_nonce(const uint8_t *hdr, uint8_t nonce[12])
{
	nonce[0] = hdr[AW_TRS_OFF_TYPE];
	nonce[1] = hdr[AW_TRS_OFF_FLAG];
	nonce[2] = 0;
	nonce[3] = 0;
	memcpy(nonce + 4, hdr + AW_TRS_OFF_TXID, 4);
	memcpy(nonce + 8, hdr + AW_TRS_OFF_SEQ, 4);
}

static int
check_common(const struct aw_trs_engine *e, const struct aw_trs_key *k, const void *msg)
{
	if (e == NULL || k == NULL || msg == NULL)
		return AW_TRS_E_BAD_ARG;
	if (k->suite != AW_TRS_SUITE_CBC_HMAC_MD5 && k->suite != AW_TRS_SUITE_AES_GCM)
		return AW_TRS_E_BAD_SUITE;
	if (e->impl == AW_TRS_IMPL_IPSECMB && !k->mb_ready)
		return AW_TRS_E_NO_MB_KEY;
	return AW_TRS_OK;
}

/* A received message: its length and header msg_len agree. */
static int
check_len(const uint8_t *msg, size_t msg_len)
{
	if (msg_len < AW_TRS_MIN_LEN)
		return AW_TRS_E_TRUNCATED;
	if (aw_trs_get_msg_len(msg) != msg_len)
		return AW_TRS_E_LEN_MISMATCH;
	return AW_TRS_OK;
}

int
aw_trs_seal(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg, size_t cap,
            size_t pt_len, const uint8_t *iv, size_t *msg_len)
{
	int rc = check_common(e, k, msg);
	size_t total, n;

	if (rc != AW_TRS_OK)
		return rc;
	if (msg_len == NULL || (k->suite == AW_TRS_SUITE_CBC_HMAC_MD5 && iv == NULL))
		return AW_TRS_E_BAD_ARG;
	total = aw_trs_sealed_len(k->suite, pt_len);
	if (total > cap || total > AW_TRS_MAX_LEN)
		return AW_TRS_E_NO_SPACE;
	aw_trs_set_msg_len(msg, (uint16_t)total);
	if (k->suite == AW_TRS_SUITE_CBC_HMAC_MD5) {
		n = total - AW_TRS_MIN_LEN - AW_TRS_IV_LEN;
		memmove(msg + AW_TRS_HDR_LEN, iv, AW_TRS_IV_LEN);
		memset(msg + AW_TRS_HDR_LEN + AW_TRS_IV_LEN + pt_len, (int)(n - pt_len),
		       n - pt_len);
		rc = e->ops->cbc_seal(e, k, msg, n);
	} else {
		rc = e->ops->gcm_seal(e, k, msg, pt_len);
	}
	if (rc == AW_TRS_OK)
		*msg_len = total;
	return rc;
}

/* PKCS#7: 1..16 bytes, all equal to their count. Returns the count or 0.
 * end: the end of a ciphertext of at least 16 bytes. The last 16 bytes are
 * compared as two 64-bit words under a mask of the pad's bytes (no loop). */
static size_t
pkcs7_len(const uint8_t *end)
{
	const size_t pad = end[-1];
	uint64_t lo, hi;

	if (pad == 0 || pad > 16)
		return 0;
	memcpy(&lo, end - 16, 8);
	memcpy(&hi, end - 8, 8);
	lo = le64toh(lo); /* byte end - 16 least significant ... */
	hi = le64toh(hi); /* ... byte end - 1 most significant */
	const uint64_t rep = 0x0101010101010101ull * pad;
	const uint64_t mhi = pad >= 8 ? ~0ull : ~0ull << (8 * (8 - pad));
	const uint64_t mlo = pad <= 8 ? 0 : pad == 16 ? ~0ull : ~0ull << (8 * (16 - pad));
	return (((hi ^ rep) & mhi) | ((lo ^ rep) & mlo)) == 0 ? pad : 0;
}

int
aw_trs_open(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg, size_t msg_len,
            size_t *pt_off, size_t *pt_len)
{
	int rc = check_common(e, k, msg);
	size_t body, n, pad;

	if (rc == AW_TRS_OK && (pt_off == NULL || pt_len == NULL))
		rc = AW_TRS_E_BAD_ARG;
	if (rc == AW_TRS_OK)
		rc = check_len(msg, msg_len);
	if (rc != AW_TRS_OK)
		return rc;
	body = msg_len - AW_TRS_MIN_LEN;
	if (k->suite == AW_TRS_SUITE_AES_GCM) {
		rc = e->ops->gcm_open(e, k, msg, body, msg + msg_len - AW_TRS_TAG_LEN);
		if (rc != AW_TRS_OK)
			return rc;
		*pt_off = AW_TRS_HDR_LEN;
		*pt_len = body;
		return AW_TRS_OK;
	}
	if (body < 2 * AW_TRS_IV_LEN || body % 16 != 0)
		return AW_TRS_E_BAD_BODY_LEN;
	n = body - AW_TRS_IV_LEN;
	rc = e->ops->cbc_open(e, k, msg, n, msg + msg_len - AW_TRS_TAG_LEN);
	if (rc != AW_TRS_OK)
		return rc;
	pad = pkcs7_len(msg + AW_TRS_HDR_LEN + AW_TRS_IV_LEN + n);
	if (pad == 0)
		return AW_TRS_E_BAD_PADDING;
	*pt_off = AW_TRS_HDR_LEN + AW_TRS_IV_LEN;
	*pt_len = n - pad;
	return AW_TRS_OK;
}

/* One chunk (n <= AW_TRS_BURST_MAX) of aw_trs_open_burst. */
static void
open_chunk(struct aw_trs_engine *e, struct aw_trs_oreq *req, unsigned n, int *res)
{
	bool pend[AW_TRS_BURST_MAX] = {false}, any = false;

	for (unsigned i = 0; i < n; i++) {
		struct aw_trs_oreq *r = &req[i];
		res[i] = check_common(e, r->key, r->msg);
		if (res[i] == AW_TRS_OK)
			res[i] = check_len(r->msg, r->len);
		if (res[i] != AW_TRS_OK)
			continue;
		size_t body = r->len - AW_TRS_MIN_LEN;
		if (r->key->suite == AW_TRS_SUITE_AES_GCM || e->ops->cbc_open_burst == NULL) {
			res[i] = aw_trs_open(e, r->key, r->msg, r->len, &r->pt_off, &r->pt_len);
			continue;
		}
		if (body < 2 * AW_TRS_IV_LEN || body % 16 != 0) {
			res[i] = AW_TRS_E_BAD_BODY_LEN;
			continue;
		}
		pend[i] = any = true;
	}
	if (!any)
		return;
	e->ops->cbc_open_burst(e, req, pend, n, res);
	for (unsigned i = 0; i < n; i++) {
		if (!pend[i] || res[i] != AW_TRS_OK)
			continue;
		size_t ct = req[i].len - AW_TRS_MIN_LEN - AW_TRS_IV_LEN;
		size_t pad = pkcs7_len(req[i].msg + AW_TRS_HDR_LEN + AW_TRS_IV_LEN + ct);
		if (pad == 0) {
			res[i] = AW_TRS_E_BAD_PADDING;
			continue;
		}
		req[i].pt_off = AW_TRS_HDR_LEN + AW_TRS_IV_LEN;
		req[i].pt_len = ct - pad;
	}
}

unsigned
aw_trs_open_burst(struct aw_trs_engine *e, struct aw_trs_oreq *req, unsigned n, int *res)
{
	unsigned ok = 0;

	for (unsigned base = 0; base < n; base += AW_TRS_BURST_MAX)
		open_chunk(e, req + base, n - base < AW_TRS_BURST_MAX ? n - base : AW_TRS_BURST_MAX,
			   res + base);
	for (unsigned i = 0; i < n; i++)
		ok += res[i] == AW_TRS_OK;
	return ok;
}

/* One chunk of aw_trs_seal_burst: layout as aw_trs_seal, suite-1 jobs together. */
static void
seal_chunk(struct aw_trs_engine *e, struct aw_trs_creq *req, unsigned n, int *res)
{
	bool pend[AW_TRS_BURST_MAX] = {false}, any = false;

	for (unsigned i = 0; i < n; i++) {
		struct aw_trs_creq *r = &req[i];
		const struct aw_trs_key *k = r->key;
		if (k == NULL || k->suite != AW_TRS_SUITE_CBC_HMAC_MD5 ||
		    e->ops->cbc_seal_burst == NULL) {
			res[i] = aw_trs_seal(e, k, r->msg, r->cap, r->pt_len, r->iv, &r->msg_len);
			continue;
		}
		res[i] = check_common(e, k, r->msg);
		if (res[i] == AW_TRS_OK && r->iv == NULL)
			res[i] = AW_TRS_E_BAD_ARG;
		size_t total = aw_trs_sealed_len(k->suite, r->pt_len);
		if (res[i] == AW_TRS_OK && (total > r->cap || total > AW_TRS_MAX_LEN))
			res[i] = AW_TRS_E_NO_SPACE;
		if (res[i] != AW_TRS_OK)
			continue;
		size_t nct = total - AW_TRS_MIN_LEN - AW_TRS_IV_LEN;
		aw_trs_set_msg_len(r->msg, (uint16_t)total);
		memmove(r->msg + AW_TRS_HDR_LEN, r->iv, AW_TRS_IV_LEN);
		memset(r->msg + AW_TRS_HDR_LEN + AW_TRS_IV_LEN + r->pt_len, (int)(nct - r->pt_len),
		       nct - r->pt_len);
		r->msg_len = total;
		pend[i] = any = true;
	}
	if (any)
		e->ops->cbc_seal_burst(e, req, pend, n, res);
}

unsigned
aw_trs_seal_burst(struct aw_trs_engine *e, struct aw_trs_creq *req, unsigned n, int *res)
{
	unsigned ok = 0;

	for (unsigned base = 0; base < n; base += AW_TRS_BURST_MAX)
		seal_chunk(e, req + base, n - base < AW_TRS_BURST_MAX ? n - base : AW_TRS_BURST_MAX,
			   res + base);
	for (unsigned i = 0; i < n; i++)
		ok += res[i] == AW_TRS_OK;
	return ok;
}

int
aw_trs_sign(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg, size_t cap,
            size_t body_len, size_t *msg_len)
{
	int rc = check_common(e, k, msg);

	if (rc != AW_TRS_OK)
		return rc;
	if (msg_len == NULL)
		return AW_TRS_E_BAD_ARG;
	if (body_len > AW_TRS_MAX_LEN - AW_TRS_MIN_LEN || AW_TRS_MIN_LEN + body_len > cap)
		return AW_TRS_E_NO_SPACE;
	aw_trs_set_msg_len(msg, (uint16_t)(AW_TRS_MIN_LEN + body_len));
	rc = e->ops->tag(e, k, msg, body_len, msg + AW_TRS_HDR_LEN + body_len);
	if (rc == AW_TRS_OK)
		*msg_len = AW_TRS_MIN_LEN + body_len;
	return rc;
}

int
aw_trs_verify(struct aw_trs_engine *e, const struct aw_trs_key *k, const uint8_t *msg,
              size_t msg_len)
{
	int rc = check_common(e, k, msg);
	uint8_t tag[AW_TRS_TAG_LEN];

	if (rc == AW_TRS_OK)
		rc = check_len(msg, msg_len);
	if (rc == AW_TRS_OK)
		rc = e->ops->tag(e, k, msg, msg_len - AW_TRS_MIN_LEN, tag);
	if (rc != AW_TRS_OK)
		return rc;
	return aw_trs_tag_eq(tag, msg + msg_len - AW_TRS_TAG_LEN) ? AW_TRS_OK : AW_TRS_E_BAD_TAG;
}

int
aw_trs_verify_check(const struct aw_trs_engine *e, const struct aw_trs_key *k, const uint8_t *msg,
                    size_t msg_len)
{
	int rc = check_common(e, k, msg);

	return rc != AW_TRS_OK ? rc : check_len(msg, msg_len);
}

unsigned
aw_trs_verify_burst(struct aw_trs_engine *e, const struct aw_trs_vreq *req, unsigned n, int *res)
{
	unsigned ok = 0;

	if (e == NULL || req == NULL || res == NULL)
		return 0;
	for (unsigned i = 0; i < n; i += AW_TRS_BURST_MAX) {
		unsigned c = n - i < AW_TRS_BURST_MAX ? n - i : AW_TRS_BURST_MAX;

		if (e->ops->verify_burst != NULL) {
			ok += e->ops->verify_burst(e, req + i, c, res + i);
			continue;
		}
		for (unsigned j = i; j < i + c; j++) {
			res[j] = aw_trs_verify(e, req[j].key, req[j].msg, req[j].len);
			ok += res[j] == AW_TRS_OK;
		}
	}
	return ok;
}

unsigned
aw_trs_sign_burst(struct aw_trs_engine *e, const struct aw_trs_sreq *req, unsigned n, int *res)
{
	unsigned ok = 0;

	if (e == NULL || req == NULL || res == NULL)
		return 0;
	for (unsigned i = 0; i < n; i += AW_TRS_BURST_MAX) {
		unsigned c = n - i < AW_TRS_BURST_MAX ? n - i : AW_TRS_BURST_MAX;

		if (e->ops->sign_burst == NULL) {
			for (unsigned j = i; j < i + c; j++) {
				size_t len;
				res[j] = aw_trs_sign(e, req[j].key, req[j].msg,
				                     AW_TRS_MIN_LEN + req[j].body_len, req[j].body_len, &len);
			}
		} else {
			for (unsigned j = i; j < i + c; j++) {
				res[j] = check_common(e, req[j].key, req[j].msg);
				if (res[j] == AW_TRS_OK && req[j].body_len > AW_TRS_MAX_LEN - AW_TRS_MIN_LEN)
					res[j] = AW_TRS_E_NO_SPACE;
				if (res[j] == AW_TRS_OK)
					aw_trs_set_msg_len(req[j].msg,
					                   (uint16_t)(AW_TRS_MIN_LEN + req[j].body_len));
			}
			e->ops->sign_burst(e, req + i, c, res + i);
		}
		for (unsigned j = i; j < i + c; j++)
			ok += res[j] == AW_TRS_OK;
	}
	return ok;
}

int
aw_trs_hmac_md5(struct aw_trs_engine *e, const uint8_t *key, size_t key_len, const uint8_t *data,
                size_t len, uint8_t out[16])
{
	if (e == NULL || out == NULL || (key == NULL && key_len) || (data == NULL && len))
		return AW_TRS_E_BAD_ARG;
	return e->ops->hmac_md5(e, key, key_len, data, len, out);
}

int
aw_trs_aes256_cbc(struct aw_trs_engine *e, const uint8_t key[32], const uint8_t iv[16],
                  const uint8_t *in, uint8_t *out, size_t len, bool encrypt)
{
	if (e == NULL || key == NULL || iv == NULL || in == NULL || out == NULL || len % 16 != 0)
		return AW_TRS_E_BAD_ARG;
	if (len == 0)
		return AW_TRS_OK;
	return e->ops->aes256_cbc(e, key, iv, in, out, len, encrypt);
}

int
aw_trs_aes256_gcm(struct aw_trs_engine *e, const uint8_t key[32], const uint8_t iv[12],
                  const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
                  uint8_t tag[16], bool encrypt)
{
	if (e == NULL || key == NULL || iv == NULL || tag == NULL || (aad == NULL && aad_len) ||
	    ((in == NULL || out == NULL) && len))
		return AW_TRS_E_BAD_ARG;
	return e->ops->aes256_gcm(e, key, iv, aad, aad_len, in, out, len, tag, encrypt);
}
