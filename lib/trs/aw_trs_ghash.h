/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AES-256-GCM tags without a CTR pass, on PCLMULQDQ and AES-NI: GHASH with
 * eight powers of the hash key kept per key (eight blocks multiplied
 * and summed unreduced, then one reduction per group of eight) and E_K(J0)
 * with the key's round keys. For tag-only work (a relay verifying or
 * signing a message whose body it leaves encrypted).
 *
 * Contract: any thread; a struct aw_gcm_hkey is read-only after
 * aw_gcm_hkey_init, so threads may share one. Every function but
 * aw_gcm_own_usable needs a CPU on which aw_gcm_own_usable() is true.
 */
#ifndef AW_TRS_GHASH_H
#define AW_TRS_GHASH_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AW_GCM_HPOW 8 /* powers of H kept: blocks per reduction */

/* One AES-256-GCM key, expanded: 368 bytes, private to aw_trs_ghash.c. */
struct aw_gcm_hkey {
	alignas(16) uint8_t rk[15][16];          /* AES-256 round keys */
	alignas(16) uint8_t hp[AW_GCM_HPOW][16]; /* K_(i+1): aw_trs_ghash.c */
};

/* The CPU has PCLMULQDQ, AES-NI and AVX (checked once, race-free). */
bool aw_gcm_own_usable(void);

/* Expands the 32-byte key: round keys, H = E_K(0^128) and its powers. */
void aw_gcm_hkey_init(struct aw_gcm_hkey *k, const uint8_t key[32]);

/*
 * The tag of GHASH over nblocks whole 16-byte blocks at p (the AAD and the
 * ciphertext, each zero-padded to whole blocks, then the block of their
 * bit lengths: the caller lays them out), xored with E_K(j0).
 */
void aw_gcm_tag_blocks(const struct aw_gcm_hkey *k, const uint8_t *p, size_t nblocks,
                       const uint8_t j0[16], uint8_t tag[16]);

/*
 * The tag of a message of a 32-byte header (the AAD) then body_len <= 80
 * bytes of ciphertext (at most 8 blocks with the lengths block: one
 * reduction), read in place: the 16-byte load of the last block reads up
 * to 15 bytes past the body (they must be readable; they are not hashed).
 */
#define AW_GCM_HDR2_BODY_MAX 80
void aw_gcm_tag_hdr2(const struct aw_gcm_hkey *k, const uint8_t *msg, size_t body_len,
                     const uint8_t j0[16], uint8_t tag[16]);

/*
 * The two forms aw_gcm_tag_hdr2 chooses from (tests call each): on 128-bit
 * registers, one multiply per block; and four blocks to a 512-bit register
 * (VPCLMULQDQ), where aw_gcm_wide_usable() says the CPU has AVX-512F / BW /
 * VL / VBMI and VPCLMULQDQ (checked once, race-free; aw_gcm_tag_hdr2 uses
 * it then). The wide form reads nothing past the body.
 */
bool aw_gcm_wide_usable(void);
void aw_gcm_tag_hdr2_128(const struct aw_gcm_hkey *k, const uint8_t *msg, size_t body_len,
                         const uint8_t j0[16], uint8_t tag[16]);
void aw_gcm_tag_hdr2_512(const struct aw_gcm_hkey *k, const uint8_t *msg, size_t body_len,
                         const uint8_t j0[16], uint8_t tag[16]);

/* The GCM tag of aad and ct (any lengths, any alignment) under a 12-byte
 * IV: what AES-256-GCM encryption of the plaintext of ct outputs. */
void aw_gcm_tag(const struct aw_gcm_hkey *k, const uint8_t iv[12], const uint8_t *aad,
                size_t aad_len, const uint8_t *ct, size_t ct_len, uint8_t tag[16]);

#endif
