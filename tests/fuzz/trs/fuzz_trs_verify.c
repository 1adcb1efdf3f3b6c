/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: tag verification (and open, on a copy) of arbitrary bytes
 * with a fixed key, for both suites, on every engine that runs here. Must
 * never crash or read outside the input, and every engine must return the
 * same code for the same bytes. Each input is tried as it is and with its
 * msg_len patched to match, so the crypto code runs on most inputs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aw_trs_crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

static struct aw_trs_engine *eng[2];
static unsigned n_eng;
static struct aw_trs_key keys[2];

static void
setup(void)
{
	uint8_t k[AW_TRS_KEY_LEN];

	if (n_eng != 0)
		return;
	memset(k, 0x42, sizeof(k));
	if (aw_trs_key_init(&keys[0], k, AW_TRS_SUITE_CBC_HMAC_MD5) != AW_TRS_OK ||
	    aw_trs_key_init(&keys[1], k, AW_TRS_SUITE_AES_GCM) != AW_TRS_OK)
		abort();
	eng[n_eng++] = aw_trs_engine_create(AW_TRS_IMPL_OPENSSL);
	eng[n_eng] = aw_trs_engine_create(AW_TRS_IMPL_IPSECMB);
	if (eng[0] == NULL)
		abort();
	n_eng += eng[n_eng] != NULL;
}

/* verify, burst verify and open of one exact-size buffer on every engine. */
static void
check_all(const struct aw_trs_key *k, const uint8_t *msg, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	int want = -1;
	size_t want_pl = 0;

	if (copy == NULL)
		return;
	for (unsigned e = 0; e < n_eng; e++) {
		struct aw_trs_vreq req = {.key = k, .msg = msg, .len = size};
		int rc = aw_trs_verify(eng[e], k, msg, size), res = -1;
		size_t off = 0, pl = 0;

		if (e == 0)
			want = rc;
		if (rc != want || rc < 0 || rc >= AW_TRS_E__COUNT)
			abort();
		if (aw_trs_verify_burst(eng[e], &req, 1, &res) != (rc == AW_TRS_OK) || res != rc)
			abort();
		memcpy(copy, msg, size);
		rc = aw_trs_open(eng[e], k, copy, size, &off, &pl);
		if (rc == AW_TRS_OK && (off + pl > size - AW_TRS_TAG_LEN || (e && pl != want_pl)))
			abort();
		if (e == 0)
			want_pl = rc == AW_TRS_OK ? pl : 0;
	}
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *patched;

	setup();
	for (unsigned s = 0; s < 2; s++)
		check_all(&keys[s], data, size);
	if (size < AW_TRS_MIN_LEN || size > AW_TRS_MAX_LEN)
		return 0;
	patched = malloc(size);
	if (patched == NULL)
		return 0;
	memcpy(patched, data, size);
	aw_trs_set_msg_len(patched, (uint16_t)size);
	for (unsigned s = 0; s < 2; s++)
		check_all(&keys[s], patched, size);
	free(patched);
	return 0;
}

size_t
aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens)
{
	enum { NS = 8 };
	static uint8_t bufs[NS][256];
	static const uint8_t *ptrs[NS];
	static size_t sizes[NS];
	static const uint8_t iv[AW_TRS_IV_LEN] = {9};

	setup();
	for (size_t i = 0; i < NS; i++) {
		const struct aw_trs_key *k = &keys[i & 1];
		struct aw_trs_hdr h = {
		        .txid = 7, .flag = (uint8_t)(i & 2), .type = 0x50, .seq = (uint32_t)i};
		size_t pl = i * 19;

		aw_trs_build(bufs[i], sizeof(bufs[i]), &h, NULL, 0);
		memset(bufs[i] + aw_trs_pt_offset(k->suite), 0x5a, pl);
		if (aw_trs_seal(eng[0], k, bufs[i], sizeof(bufs[i]), pl, iv, &sizes[i]) !=
		    AW_TRS_OK)
			abort();
		ptrs[i] = bufs[i];
	}
	*seeds = ptrs;
	*lens = sizes;
	return NS;
}
