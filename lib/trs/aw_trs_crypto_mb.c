/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data-path implementation of the TRS cipher suites on intel-ipsec-mb
 * 1.3: AES-256-CBC and HMAC-MD5 through the job API (one job does both, in
 * the order the direction needs), AES-256-GCM through the direct API (a
 * tag alone, no CTR pass: aw_trs_gcm_tag.c), and burst verifies that
 * queue HMAC-MD5 jobs so the library hashes several messages at once in
 * SIMD lanes (tag keys: short messages in aw_trs_md5x8.c's AVX2 lanes).
 *
 * Each engine owns one IMB_MGR (its job queue is per-thread state). Key
 * expansion (AES round keys, MD5 ipad/opad states, GCM hash keys) uses one
 * process-wide IMB_MGR created under pthread_once: those functions are
 * stateless, so threads may call them through it at the same time.
 */
#include "aw_trs_crypto_priv.h"
#include "aw_trs_md5x8.h"

#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(struct gcm_key_data) <= sizeof(((struct aw_trs_key *)0)->mb.gcm),
               "aw_trs_key.mb.gcm too small for struct gcm_key_data");
_Static_assert(alignof(struct gcm_key_data) <= 64, "gcm_key_data alignment");

static const uint8_t dummy[16]; /* a valid pointer for zero-length inputs */


static const char *
arch_name(IMB_ARCH a)
{
	switch (a) {
	case IMB_ARCH_SSE:
		return "sse";
	case IMB_ARCH_AVX:
		return "avx";
	case IMB_ARCH_AVX2:
		return "avx2";
	case IMB_ARCH_AVX512:
		return "avx512";
	default:
		return "?";
	}
}

/* A manager for the best architecture here; NULL without AES-NI or on error. */
static IMB_MGR *
mgr_new(IMB_ARCH *arch)
{
	IMB_MGR *m = alloc_mb_mgr(0);
	IMB_ARCH a = IMB_ARCH_NONE;

	if (m == NULL)
		return NULL;
	init_mb_mgr_auto(m, &a);
	if (imb_get_errno(m) != 0 || a == IMB_ARCH_NONE || a == IMB_ARCH_NOAESNI ||
	    !(m->features & IMB_FEATURE_AESNI)) {
		free_mb_mgr(m);
		return NULL;
	}
	if (arch != NULL)
		*arch = a;
	return m;
}


int
aw_trs_mb_engine_init(struct aw_trs_engine *e)
{
	IMB_ARCH arch = IMB_ARCH_NONE;
	IMB_MGR *m = mgr_new(&arch);

	if (m == NULL)
		return -1;
	if (aw_trs_gcm_cache_init(e) < 0) {
		free_mb_mgr(m);
		return -1;
	}
	e->mgr = m;
	snprintf(e->desc, sizeof(e->desc), "intel-ipsec-mb %s %s", imb_get_version_str(),
	         arch_name(arch));
	return 0;
}

void
aw_trs_mb_engine_fini(struct aw_trs_engine *e)
{
	if (e->mgr != NULL)
		free_mb_mgr(e->mgr);
	e->mgr = NULL;
	aw_trs_gcm_cache_fini(e);
}

static IMB_MGR *key_mgr;
static pthread_once_t key_mgr_once = PTHREAD_ONCE_INIT;

static void
key_mgr_init(void)
{
	key_mgr = mgr_new(NULL);
}

/* HMAC-MD5 inner and outer states: MD5 of one block key ^ ipad / key ^ opad. */
static int
md5_pads(IMB_MGR *m, const uint8_t *key, size_t key_len, uint8_t ipad[16], uint8_t opad[16])
{
	uint8_t blk[64], kh[16];

	if (key_len > sizeof(blk)) {
		if (EVP_Digest(key, key_len, kh, NULL, EVP_md5(), NULL) != 1)
			return AW_TRS_E_CRYPTO_FAIL;
		key = kh;
		key_len = sizeof(kh);
	}
	memset(blk, 0x36, sizeof(blk));
	for (size_t i = 0; i < key_len; i++)
		blk[i] ^= key[i];
	IMB_MD5_ONE_BLOCK(m, blk, ipad);
	memset(blk, 0x5c, sizeof(blk));
	for (size_t i = 0; i < key_len; i++)
		blk[i] ^= key[i];
	IMB_MD5_ONE_BLOCK(m, blk, opad);
	OPENSSL_cleanse(blk, sizeof(blk));
	OPENSSL_cleanse(kh, sizeof(kh));
	return AW_TRS_OK;
}

bool
aw_trs_mb_key_expand(struct aw_trs_key *k)
{
	pthread_once(&key_mgr_once, key_mgr_init);
	if (key_mgr == NULL)
		return false;
	if (k->suite == AW_TRS_SUITE_AES_GCM) {
		IMB_AES256_GCM_PRE(key_mgr, k->enc, (struct gcm_key_data *)k->mb.gcm);
		return true;
	}
	IMB_AES_KEYEXP_256(key_mgr, k->enc, k->mb.cbc.enc_exp, k->mb.cbc.dec_exp);
	return md5_pads(key_mgr, k->mac, sizeof(k->mac), k->mb.cbc.ipad, k->mb.cbc.opad) ==
	       AW_TRS_OK;
}

/* Next job slot with every field this file uses reset. */
static IMB_JOB *
job_get(IMB_MGR *m)
{
	IMB_JOB *j = IMB_GET_NEXT_JOB(m);

	j->cipher_mode = IMB_CIPHER_NULL;
	j->cipher_direction = IMB_DIR_ENCRYPT;
	j->hash_alg = IMB_AUTH_NULL;
	j->chain_order = IMB_ORDER_HASH_CIPHER; /* what a NULL cipher requires */
	j->enc_keys = NULL;
	j->dec_keys = NULL;
	j->key_len_in_bytes = 0;
	j->src = dummy;
	j->dst = NULL;
	j->cipher_start_src_offset_in_bytes = 0;
	j->msg_len_to_cipher_in_bytes = 0;
	j->hash_start_src_offset_in_bytes = 0;
	j->msg_len_to_hash_in_bytes = 0;
	j->iv = NULL;
	j->iv_len_in_bytes = 0;
	j->auth_tag_output = NULL;
	j->auth_tag_output_len_in_bytes = 0;
	j->user_data = NULL;
	j->user_data2 = NULL;
	return j;
}

/* HMAC-MD5 over src[0..len) into out (16 bytes). */
static void
job_set_md5(IMB_JOB *j, const uint8_t *ipad, const uint8_t *opad, const uint8_t *src, size_t len,
            uint8_t *out)
{
	j->hash_alg = IMB_AUTH_MD5;
	j->u.HMAC._hashed_auth_key_xor_ipad = ipad;
	j->u.HMAC._hashed_auth_key_xor_opad = opad;
	j->src = src;
	j->hash_start_src_offset_in_bytes = 0;
	j->msg_len_to_hash_in_bytes = len;
	j->auth_tag_output = out;
	j->auth_tag_output_len_in_bytes = AW_TRS_TAG_LEN;
}

/* AES-256-CBC of src[off..off+len) into dst; encrypt: cipher then hash. */
static void
job_set_cbc(IMB_JOB *j, const uint8_t *enc_exp, const uint8_t *dec_exp, const uint8_t *iv,
            const uint8_t *src, size_t off, uint8_t *dst, size_t len, bool encrypt)
{
	j->cipher_mode = IMB_CIPHER_CBC;
	j->cipher_direction = encrypt ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	j->chain_order = encrypt ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	j->enc_keys = enc_exp;
	j->dec_keys = dec_exp;
	j->key_len_in_bytes = IMB_KEY_256_BYTES;
	j->src = src;
	j->dst = dst;
	j->cipher_start_src_offset_in_bytes = off;
	j->msg_len_to_cipher_in_bytes = len;
	j->iv = iv;
	j->iv_len_in_bytes = AW_TRS_IV_LEN;
}

/* Submit one job on an empty queue and wait for it. */
static int
job_run1(IMB_MGR *m, IMB_JOB *job)
{
	IMB_JOB *done = IMB_SUBMIT_JOB(m);
	int rc = AW_TRS_OK;

	if (done == NULL)
		done = IMB_FLUSH_JOB(m);
	if (done != job || done->status != IMB_STATUS_COMPLETED)
		rc = AW_TRS_E_CRYPTO_FAIL;
	while (IMB_FLUSH_JOB(m) != NULL)
		; /* never anything left: keep the queue empty regardless */
	return rc;
}

static int
mb_hmac_md5(struct aw_trs_engine *e, const uint8_t *key, size_t key_len, const uint8_t *data,
            size_t len, uint8_t out[16])
{
	alignas(16) uint8_t ipad[16], opad[16];
	IMB_JOB *j;
	int rc = md5_pads(e->mgr, key_len ? key : dummy, key_len, ipad, opad);

	if (rc != AW_TRS_OK)
		return rc;
	j = job_get(e->mgr);
	job_set_md5(j, ipad, opad, len ? data : dummy, len, out);
	return job_run1(e->mgr, j);
}

static int
mb_aes256_cbc(struct aw_trs_engine *e, const uint8_t key[32], const uint8_t iv[16],
              const uint8_t *in, uint8_t *out, size_t len, bool encrypt)
{
	alignas(16) uint8_t enc_exp[240], dec_exp[240];
	IMB_JOB *j;
	int rc;

	IMB_AES_KEYEXP_256((IMB_MGR *)e->mgr, key, enc_exp, dec_exp);
	j = job_get(e->mgr);
	job_set_cbc(j, enc_exp, dec_exp, iv, in, 0, out, len, encrypt);
	rc = job_run1(e->mgr, j);
	OPENSSL_cleanse(enc_exp, sizeof(enc_exp));
	OPENSSL_cleanse(dec_exp, sizeof(dec_exp));
	return rc;
}

static int
mb_aes256_gcm(struct aw_trs_engine *e, const uint8_t key[32], const uint8_t iv[12],
              const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
              uint8_t tag[16], bool encrypt)
{
	IMB_MGR *m = e->mgr;
	struct gcm_key_data gkd;
	struct gcm_context_data ctx;
	uint8_t calc[16], none[16];
	int rc = AW_TRS_OK;

	IMB_AES256_GCM_PRE(m, key, &gkd);
	if (aad_len == 0)
		aad = dummy;
	if (len == 0) { /* valid pointers; nothing is read or written */
		in = dummy;
		out = none;
	}
	if (encrypt) {
		IMB_AES256_GCM_ENC(m, &gkd, &ctx, out, in, len, iv, aad, aad_len, tag, 16);
	} else {
		IMB_AES256_GCM_DEC(m, &gkd, &ctx, out, in, len, iv, aad, aad_len, calc, 16);
		if (!aw_trs_tag_eq(calc, tag))
			rc = AW_TRS_E_BAD_TAG;
	}
	OPENSSL_cleanse(&gkd, sizeof(gkd));
	return rc;
}

static int
mb_cbc_seal(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg, size_t n)
{
	uint8_t *ct = msg + AW_TRS_HDR_LEN + AW_TRS_IV_LEN;
	IMB_JOB *j = job_get(e->mgr);

	job_set_md5(j, k->mb.cbc.ipad, k->mb.cbc.opad, msg, AW_TRS_HDR_LEN + AW_TRS_IV_LEN + n,
	            ct + n);
	job_set_cbc(j, k->mb.cbc.enc_exp, k->mb.cbc.dec_exp, msg + AW_TRS_HDR_LEN, msg,
	            AW_TRS_HDR_LEN + AW_TRS_IV_LEN, ct, n, true);
	return job_run1(e->mgr, j);
}

static int
mb_cbc_open(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg, size_t n,
            const uint8_t *expect)
{
	alignas(16) uint8_t tag[AW_TRS_TAG_LEN];
	uint8_t *ct = msg + AW_TRS_HDR_LEN + AW_TRS_IV_LEN;
	IMB_JOB *j = job_get(e->mgr);
	int rc;

	job_set_md5(j, k->mb.cbc.ipad, k->mb.cbc.opad, msg, AW_TRS_HDR_LEN + AW_TRS_IV_LEN + n,
	            tag);
	job_set_cbc(j, k->mb.cbc.enc_exp, k->mb.cbc.dec_exp, msg + AW_TRS_HDR_LEN, msg,
	            AW_TRS_HDR_LEN + AW_TRS_IV_LEN, ct, n, false);
	rc = job_run1(e->mgr, j);
	if (rc != AW_TRS_OK)
		return rc;
	return aw_trs_tag_eq(tag, expect) ? AW_TRS_OK : AW_TRS_E_BAD_TAG;
}

static int
mb_gcm_seal(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg, size_t n)
{
	const struct gcm_key_data *gkd = (const struct gcm_key_data *)k->mb.gcm;
	uint8_t *body = msg + AW_TRS_HDR_LEN;
	struct gcm_context_data ctx;
	uint8_t nonce[12];

	aw_trs_gcm_nonce(msg, nonce);
	IMB_AES256_GCM_ENC((IMB_MGR *)e->mgr, gkd, &ctx, body, body, n, nonce, msg, AW_TRS_HDR_LEN,
	                   body + n, AW_TRS_TAG_LEN);
	return AW_TRS_OK;
}

static int
mb_gcm_open(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *msg, size_t n,
            const uint8_t *expect)
{
	const struct gcm_key_data *gkd = (const struct gcm_key_data *)k->mb.gcm;
	uint8_t *body = msg + AW_TRS_HDR_LEN;
	struct gcm_context_data ctx;
	uint8_t nonce[12], tag[AW_TRS_TAG_LEN];

	aw_trs_gcm_nonce(msg, nonce);
	IMB_AES256_GCM_DEC((IMB_MGR *)e->mgr, gkd, &ctx, body, body, n, nonce, msg, AW_TRS_HDR_LEN,
	                   tag, AW_TRS_TAG_LEN);
	return aw_trs_tag_eq(tag, expect) ? AW_TRS_OK : AW_TRS_E_BAD_TAG;
}

static int
mb_tag(struct aw_trs_engine *e, const struct aw_trs_key *k, const uint8_t *msg, size_t body_len,
       uint8_t tag[16])
{
	alignas(16) uint8_t out[AW_TRS_TAG_LEN];
	IMB_JOB *j;
	int rc;

	if (k->suite == AW_TRS_SUITE_AES_GCM) {
		aw_trs_gcm_key_tag(e->mgr, k->mb.gcm, msg, body_len, tag);
		return AW_TRS_OK;
	}
	j = job_get(e->mgr);
	job_set_md5(j, k->mb.cbc.ipad, k->mb.cbc.opad, msg, AW_TRS_HDR_LEN + body_len, out);
	rc = job_run1(e->mgr, j);
	if (rc == AW_TRS_OK)
		memcpy(tag, out, sizeof(out));
	return rc;
}

/*
 * The burst loops below queue one job per message (user_data: its index),
 * hand every job the library completes to job_done, and flush at the end.
 * job_done checks the status and, for a completed job, runs the operation's
 * own step `fin` (NULL: none). They are always inlined with a constant `fin`,
 * so each loop calls its step directly: no indirect call per packet.
 */
typedef void (*job_fin_fn)(struct aw_trs_engine *e, const void *req, size_t i, int *res);

static inline __attribute__((always_inline)) void
job_done(struct aw_trs_engine *e, const IMB_JOB *j, const void *req, int *res, job_fin_fn fin)
{
	if (j->status != IMB_STATUS_COMPLETED)
		res[(uintptr_t)j->user_data] = AW_TRS_E_CRYPTO_FAIL;
	else if (fin != NULL)
		fin(e, req, (uintptr_t)j->user_data, res);
}

/* Submits job j of message i; completes whatever the library returns. */
static inline __attribute__((always_inline)) void
job_submit(IMB_MGR *m, struct aw_trs_engine *e, IMB_JOB *j, unsigned i, const void *req, int *res,
           job_fin_fn fin)
{
	j->user_data = (void *)(uintptr_t)i;
	for (const IMB_JOB *done = IMB_SUBMIT_JOB(m); done != NULL; done = IMB_GET_COMPLETED_JOB(m))
		job_done(e, done, req, res, fin);
}

static inline __attribute__((always_inline)) void
job_flush(IMB_MGR *m, struct aw_trs_engine *e, const void *req, int *res, job_fin_fn fin)
{
	const IMB_JOB *done;

	while ((done = IMB_FLUSH_JOB(m)) != NULL)
		job_done(e, done, req, res, fin);
}

/* The verdict on a message of len bytes whose tag was computed into tag. */
static inline int
tag_verdict(const uint8_t *tag, const uint8_t *msg, size_t len)
{
	return aw_trs_tag_eq(tag, msg + len - AW_TRS_TAG_LEN) ? AW_TRS_OK : AW_TRS_E_BAD_TAG;
}

static void
verify_fin(struct aw_trs_engine *e, const void *req, size_t i, int *res)
{
	const struct aw_trs_vreq *r = req;

	res[i] = tag_verdict(e->tags[i], r[i].msg, r[i].len);
}

/* n <= AW_TRS_BURST_MAX: suite-1 jobs queued together, then flushed. */
static unsigned
mb_verify_burst(struct aw_trs_engine *e, const struct aw_trs_vreq *req, unsigned n, int *res)
{
	IMB_MGR *m = e->mgr;
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct aw_trs_key *k = req[i].key;
		IMB_JOB *j;

		res[i] = aw_trs_verify_check(e, k, req[i].msg, req[i].len);
		if (res[i] != AW_TRS_OK)
			continue;
		if (k->suite == AW_TRS_SUITE_AES_GCM) {
			aw_trs_gcm_key_tag(m, k->mb.gcm, req[i].msg, req[i].len - AW_TRS_MIN_LEN,
			                   e->tags[i]);
			res[i] = tag_verdict(e->tags[i], req[i].msg, req[i].len);
			continue;
		}
		j = job_get(m);
		job_set_md5(j, k->mb.cbc.ipad, k->mb.cbc.opad, req[i].msg,
		            req[i].len - AW_TRS_TAG_LEN, e->tags[i]);
		job_submit(m, e, j, i, req, res, verify_fin);
	}
	job_flush(m, e, req, res, verify_fin);
	for (unsigned i = 0; i < n; i++)
		ok += res[i] == AW_TRS_OK;
	return ok;
}

/* The suite-1 job of a message (header, IV, nct bytes of ciphertext):
 * HMAC-MD5 over it into tag and AES-CBC of the ciphertext in place;
 * encrypt: CBC first (seal), else the HMAC first (open). */
static inline __attribute__((always_inline)) IMB_JOB *
cbc_job(IMB_MGR *m, const struct aw_trs_key *k, uint8_t *msg, size_t nct, uint8_t *tag,
        bool encrypt)
{
	uint8_t *ct = msg + AW_TRS_HDR_LEN + AW_TRS_IV_LEN;
	IMB_JOB *j = job_get(m);

	job_set_md5(j, k->mb.cbc.ipad, k->mb.cbc.opad, msg, AW_TRS_HDR_LEN + AW_TRS_IV_LEN + nct,
	            tag);
	job_set_cbc(j, k->mb.cbc.enc_exp, k->mb.cbc.dec_exp, msg + AW_TRS_HDR_LEN, msg,
	            AW_TRS_HDR_LEN + AW_TRS_IV_LEN, ct, nct, encrypt);
	return j;
}

static void
open_fin(struct aw_trs_engine *e, const void *req, size_t i, int *res)
{
	const struct aw_trs_oreq *r = req;

	res[i] = tag_verdict(e->tags[i], r[i].msg, r[i].len);
}

/* Suite 1: HMAC-MD5 over the ciphertext then AES-CBC decryption in place, one
 * job per message, all submitted before the flush. */
static void
mb_cbc_open_burst(struct aw_trs_engine *e, const struct aw_trs_oreq *req, const bool *pend,
                  unsigned n, int *res)
{
	IMB_MGR *m = e->mgr;

	for (unsigned i = 0; i < n; i++) {
		if (!pend[i])
			continue;
		size_t nct = req[i].len - AW_TRS_MIN_LEN - AW_TRS_IV_LEN;
		IMB_JOB *j = cbc_job(m, req[i].key, req[i].msg, nct, e->tags[i], false);
		job_submit(m, e, j, i, req, res, open_fin);
	}
	job_flush(m, e, req, res, open_fin);
}

/* Suite 1: AES-CBC encryption in place then HMAC-MD5, the tag written after
 * the ciphertext; one job per message, all submitted before the flush. */
static void
mb_cbc_seal_burst(struct aw_trs_engine *e, const struct aw_trs_creq *req, const bool *pend,
                  unsigned n, int *res)
{
	IMB_MGR *m = e->mgr;

	for (unsigned i = 0; i < n; i++) {
		if (!pend[i])
			continue;
		uint8_t *msg = req[i].msg;
		size_t nct = req[i].msg_len - AW_TRS_MIN_LEN - AW_TRS_IV_LEN;
		uint8_t *tag = msg + AW_TRS_HDR_LEN + AW_TRS_IV_LEN + nct; /* after the ciphertext */
		IMB_JOB *j = cbc_job(m, req[i].key, msg, nct, tag, true);
		job_submit(m, e, j, i, req, res, NULL);
	}
	job_flush(m, e, req, res, NULL);
}

/* A completed sign job: the tag goes after the message's body. */
static void
sign_fin(struct aw_trs_engine *e, const void *req, size_t i, int *res)
{
	const struct aw_trs_sreq *r = req;

	(void)res;
	memcpy(r[i].msg + AW_TRS_HDR_LEN + r[i].body_len, e->tags[i], AW_TRS_TAG_LEN);
}

/* n <= AW_TRS_BURST_MAX, res[i] already 0 or an error: suite-1 jobs queued
 * together, then flushed; suite 2 one by one. */
static void
mb_sign_burst(struct aw_trs_engine *e, const struct aw_trs_sreq *req, unsigned n, int *res)
{
	IMB_MGR *m = e->mgr;

	for (unsigned i = 0; i < n; i++) {
		const struct aw_trs_key *k = req[i].key;
		IMB_JOB *j;

		if (res[i] != AW_TRS_OK)
			continue;
		if (k->suite == AW_TRS_SUITE_AES_GCM) {
			aw_trs_gcm_key_tag(m, k->mb.gcm, req[i].msg, req[i].body_len,
			                   req[i].msg + AW_TRS_HDR_LEN + req[i].body_len);
			continue;
		}
		j = job_get(m);
		job_set_md5(j, k->mb.cbc.ipad, k->mb.cbc.opad, req[i].msg,
		            AW_TRS_HDR_LEN + req[i].body_len, e->tags[i]);
		job_submit(m, e, j, i, req, res, sign_fin);
	}
	job_flush(m, e, req, res, sign_fin);
}


/*
 * The HMAC-MD5 job of tag-key message i: only the fields a hash-only job
 * reads are written (cipher NULL; the cipher fields of an older job in the
 * slot are not looked at), and it goes in unchecked: tk_tags' callers
 * validated the request and every field here is ours.
 */
static inline void
tk_md5_submit(IMB_MGR *m, struct aw_trs_engine *e, unsigned i, const uint8_t *msg, size_t len,
              int *res)
{
	IMB_JOB *j = IMB_GET_NEXT_JOB(m);

	j->cipher_mode = IMB_CIPHER_NULL;
	j->chain_order = IMB_ORDER_HASH_CIPHER;
	j->hash_alg = IMB_AUTH_MD5;
	j->u.HMAC._hashed_auth_key_xor_ipad = e->pads[i];
	j->u.HMAC._hashed_auth_key_xor_opad = e->pads[i] + 16;
	j->src = msg;
	j->hash_start_src_offset_in_bytes = 0;
	j->msg_len_to_hash_in_bytes = len;
	j->auth_tag_output = e->tags[i];
	j->auth_tag_output_len_in_bytes = AW_TRS_TAG_LEN;
	j->user_data = (void *)(uintptr_t)i;
	for (const IMB_JOB *done = IMB_SUBMIT_JOB_NOCHECK(m); done != NULL;
	     done = IMB_GET_COMPLETED_JOB(m))
		job_done(e, done, NULL, res, NULL);
}

/* Up to 16 (AVX-512F) or 8 (AVX2) suite-1 messages whose inner hashes take
 * the same number of blocks, waiting for aw_md5xn_hmac. */
struct md5x8_group {
	const uint8_t *st[AW_MD5X16_LANES], *msg[AW_MD5X16_LANES];
	size_t len[AW_MD5X16_LANES];
	uint8_t *out[AW_MD5X16_LANES];
	unsigned n;
};

static void
md5x8_add(struct md5x8_group *g, unsigned lanes, const uint8_t *st, const uint8_t *msg, size_t len,
          uint8_t *out)
{
	g->st[g->n] = st;
	g->msg[g->n] = msg;
	g->len[g->n] = len;
	g->out[g->n] = out;
	if (++g->n == lanes) {
		aw_md5xn_hmac(g->st, g->msg, g->len, g->n, g->out);
		g->n = 0;
	}
}

/*
 * Suite 1: a message whose inner hash is short goes to the 16-lane AVX-512F
 * or 8-lane AVX2 HMAC-MD5 (grouped by block count, each group run as soon
 * as its lanes are full, the rest at the end); a longer one (or neither
 * AVX2 nor AVX-512F) becomes an ipsec-mb job,
 * all queued together and flushed once (the library starts its lanes only
 * when all are taken). Suite 2 after them, one by one with cached expanded
 * keys (aw_trs_gcm_tk_tags).
 */
static void
mb_tk_tags(struct aw_trs_engine *e, const struct aw_trs_treq *req, const size_t *blen,
           unsigned n, int *res)
{
	struct md5x8_group grp[AW_MD5X8_MAX_BLOCKS];
	const unsigned lanes = aw_md5x8_lanes(); /* 16, 8, or 0: no SIMD kernel */
	IMB_MGR *m = e->mgr;
	unsigned gcm[AW_TRS_BURST_MAX], ng = 0;
	bool jobs = false;

	for (unsigned b = 0; b < AW_MD5X8_MAX_BLOCKS; b++)
		grp[b].n = 0;
	for (unsigned i = 0; i < n; i++) {
		if (res[i] != AW_TRS_OK)
			continue;
		if (req[i].suite == AW_TRS_SUITE_AES_GCM) {
			gcm[ng++] = i; /* aw_trs_gcm_tk_tags, below */
			continue;
		}
		size_t len = AW_TRS_HDR_LEN + blen[i];
		unsigned nb = aw_md5x8_blocks(len);
		if (lanes != 0 && nb <= AW_MD5X8_MAX_BLOCKS) {
			md5x8_add(&grp[nb - 1], lanes, req[i].tk, req[i].msg, len, e->tags[i]);
			continue;
		}
		memcpy(e->pads[i], req[i].tk, AW_TRS_TKEY_LEN);
		tk_md5_submit(m, e, i, req[i].msg, len, res);
		jobs = true;
	}
	for (unsigned b = 0; b < AW_MD5X8_MAX_BLOCKS; b++)
		if (grp[b].n != 0)
			aw_md5xn_hmac(grp[b].st, grp[b].msg, grp[b].len, grp[b].n, grp[b].out);
	if (jobs)
		job_flush(m, e, req, res, NULL);
	if (ng != 0)
		aw_trs_gcm_tk_tags(e, req, blen, gcm, ng);
}

const struct aw_trs_ops aw_trs_mb_ops = {
        .cbc_seal = mb_cbc_seal,
        .cbc_open = mb_cbc_open,
        .gcm_seal = mb_gcm_seal,
        .gcm_open = mb_gcm_open,
        .tag = mb_tag,
        .cbc_open_burst = mb_cbc_open_burst,
        .cbc_seal_burst = mb_cbc_seal_burst,
        .verify_burst = mb_verify_burst,
        .sign_burst = mb_sign_burst,
        .tk_tags = mb_tk_tags,
        .hmac_md5 = mb_hmac_md5,
        .aes256_cbc = mb_aes256_cbc,
        .aes256_gcm = mb_aes256_gcm,
};
