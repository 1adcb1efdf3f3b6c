/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_sign — per-packet TRS tags for the generator (see ab_sign.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>
#include <rte_byteorder.h>

#include "ab_sign.h"
#include "aw_trs_crypto.h"
#include "aw_trs_msg.h"

#define TRS_HDR_LEN 32
#define TRS_TAG_LEN 16
#define TRS_SEQ_OFF 8

int
ab_signer_init(struct ab_signer *s, uint32_t n_paths, unsigned suite, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->e = aw_trs_engine_create(AW_TRS_IMPL_IPSECMB);
	if (s->e == NULL)
		s->e = aw_trs_engine_create(AW_TRS_IMPL_OPENSSL);
	s->keys = aligned_alloc(64, ((sizeof(*s->keys) * n_paths + 63) / 64) * 64);
	if (s->e == NULL || s->keys == NULL) {
		snprintf(err, errlen, "trs signer: no crypto engine or no memory");
		ab_signer_free(s);
		return -1;
	}
	for (uint32_t i = 0; i < n_paths; i++) {
		char name[64];
		uint8_t key[SHA256_DIGEST_LENGTH];
		int n = snprintf(name, sizeof(name), "anyway-bench path %u", i);
		SHA256((const unsigned char *)name, (size_t)n, key);
		if (aw_trs_key_init(&s->keys[i], key, suite) != AW_TRS_OK) {
			snprintf(err, errlen, "--suite: %u: key setup failed", suite);
			s->n = i;
			ab_signer_free(s);
			return -1;
		}
	}
	s->n = n_paths;
	return 0;
}

void
ab_signer_free(struct ab_signer *s)
{
	for (uint32_t i = 0; s->keys != NULL && i < s->n; i++)
		aw_trs_key_wipe(&s->keys[i]);
	free(s->keys);
	if (s->e != NULL)
		aw_trs_engine_free(s->e);
	memset(s, 0, sizeof(*s));
}

int
ab_signer_sign(const struct ab_signer *s, uint32_t flow, uint8_t *msg, size_t len, uint32_t seq)
{
	uint32_t be = rte_cpu_to_be_32(seq);
	size_t out;

	if (flow >= s->n || len < TRS_HDR_LEN + TRS_TAG_LEN)
		return -1;
	memcpy(msg, &be, 4);
	memcpy(msg + TRS_SEQ_OFF, &be, 4);
	return aw_trs_sign(s->e, &s->keys[flow], msg, len, len - TRS_HDR_LEN - TRS_TAG_LEN,
			   &out) == AW_TRS_OK && out == len ? 0 : -1;
}
