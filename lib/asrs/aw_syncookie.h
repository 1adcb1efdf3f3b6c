/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_syncookie — TCP SYN cookies for the ASRS SYN proxy (dataplane
 * aw_asrs_synproxy.c): the router answers a SYN with a SYN-ACK whose
 * sequence number is the cookie, and keeps no state; the client's ACK
 * (ack - 1 = cookie) proves the handshake and carries back what the cookie
 * encodes.
 *
 * Cookie (32 bits): generation (2 low bits of it) << 30 | MSS index (3 bits)
 * << 27 | 27 bits of SipHash-2-4 over (source, destination, ports, family,
 * the client's initial sequence number, the MSS index) under the key of that
 * generation. A generation lasts `period_s` seconds of wall-clock time; its
 * key is SipHash-2-4 of the generation number under the 128-bit master
 * secret, so keys rotate every period; a cookie of the current or the
 * previous generation is accepted (valid for period_s..2 * period_s). Two
 * instances with the same master secret and synchronised clocks accept each
 * other's cookies.
 *
 * Contract: no EAL, no allocation. A struct aw_syncookie caches the keys of
 * two generations: each thread uses its own copy (aw_syncookie_make / _check
 * update the cache).
 */
#ifndef AW_SYNCOOKIE_H
#define AW_SYNCOOKIE_H

#include <stddef.h>
#include <stdint.h>

#define AW_SYNCOOKIE_N_MSS 8

#include "aw_siphash.h" /* aw_siphash24, once defined here */

/* The connection a cookie belongs to, as the client's SYN carries it. */
struct aw_sc_flow {
	uint8_t src[16], dst[16]; /* IPv4: 4 bytes, zero padded */
	uint16_t sport, dport;    /* network order */
	uint8_t v6;
	uint8_t pad[3];
};

struct aw_syncookie {
	uint64_t master[2];
	uint32_t period_s;
	uint64_t gen[2];       /* cached generations (UINT64_MAX: none) */
	uint64_t key[2][2];
};

enum aw_sc_res {
	AW_SC_OK = 0,
	AW_SC_BAD,   /* no generation's key gives this hash: forged or damaged */
	AW_SC_STALE, /* its generation is neither the current nor the previous one */
};

void aw_syncookie_init(struct aw_syncookie *sc, const uint8_t master[16], uint32_t period_s);
/* The index of the largest MSS of the table not above mss (0 when below all)
 * and the MSS of an index. */
unsigned aw_syncookie_mss_idx(uint16_t mss);
uint16_t aw_syncookie_mss(unsigned idx);
uint32_t aw_syncookie_make(struct aw_syncookie *sc, uint64_t now_s, const struct aw_sc_flow *f,
			   uint32_t client_isn, unsigned mss_idx);
/* Verifies cookie for f and the client's ISN (the ACK's seq - 1); sets
 * *mss_idx on AW_SC_OK. */
enum aw_sc_res aw_syncookie_check(struct aw_syncookie *sc, uint64_t now_s,
				  const struct aw_sc_flow *f, uint32_t client_isn, uint32_t cookie,
				  unsigned *mss_idx);

#endif /* AW_SYNCOOKIE_H */
