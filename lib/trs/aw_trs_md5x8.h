/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HMAC-MD5 of up to 8 short messages at once from precomputed inner / outer
 * MD5 states (suite-1 tag keys), one message per 32-bit lane of AVX2
 * registers, or up to 16 in AVX-512F registers. Internal to lib/trs (aw_trs_crypto_mb.c's tag-key bursts).
 *
 * Contract: any thread, no shared state. Call aw_md5x8_hmac only when
 * aw_md5x8_usable() said true.
 */
#ifndef AW_TRS_MD5X8_H
#define AW_TRS_MD5X8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AW_MD5X8_LANES      8
#define AW_MD5X8_MAX_BLOCKS 4 /* inner MD5 blocks after the key block: data up to 247 bytes */

/* MD5 blocks the inner hash takes for len bytes of data (padding included). */
static inline unsigned
aw_md5x8_blocks(size_t len)
{
	return (unsigned)((len + 9 + 63) / 64);
}

/* True when this CPU runs AVX2 (checked once). */
bool aw_md5x8_usable(void);

/*
 * For each l < n (1..8): out[l] = HMAC-MD5 over msg[l][0..len[l]) from
 * st[l] (16 bytes: the MD5 state after key ^ ipad, then 16 after key ^
 * opad, as aw_trs_tkey_init lays them out). Every len[l] takes the same
 * number of inner blocks, 1..AW_MD5X8_MAX_BLOCKS (aw_md5x8_blocks).
 */
void aw_md5x8_hmac(const uint8_t *const st[], const uint8_t *const msg[], const size_t len[],
                   unsigned n, uint8_t *const out[]);

/* The same with up to 16 lanes of AVX-512F (n 1..16); only when
 * aw_md5x8_lanes() said 16. */
#define AW_MD5X16_LANES 16
void aw_md5x16_hmac(const uint8_t *const st[], const uint8_t *const msg[], const size_t len[],
                    unsigned n, uint8_t *const out[]);

/* The group size to fill: 16 with AVX-512F, 8 with AVX2, 0 without either
 * (checked once). */
unsigned aw_md5x8_lanes(void);
/* n (1..aw_md5x8_lanes()) tags with the widest kernel this CPU runs. */
void aw_md5xn_hmac(const uint8_t *const st[], const uint8_t *const msg[], const size_t len[],
                   unsigned n, uint8_t *const out[]);

#endif /* AW_TRS_MD5X8_H */
