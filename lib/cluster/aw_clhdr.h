/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_clhdr — the cluster header (SPEC §8, byte layout in doc/cluster.md): what
 * follows the outer UDP header of a packet one instance redirects to the
 * owner of its flow, in front of the inner IP packet. 24 bytes:
 *
 *   0  2  magic 0x41 0x43 ("AC")
 *   2  1  version (1)
 *   3  1  hop index: the position in the hop list of the instance this copy
 *         is sent to
 *   4  1  hop count (1 or 2)
 *   5  2  hop list: member indexes (the id-sorted member list of `epoch`,
 *         lib/cluster/aw_owner.h); unused entries 0xff
 *   7  1  reserved, 0
 *   8  8  epoch of the member list the hops name (big-endian)
 *   16 8  tag: SipHash-2-4 of bytes 0..15 under the cluster key, stored
 *         little-endian
 *
 * The cluster key (32 bytes in the config) gives the SipHash key
 * k = key[0..15] XOR key[16..31], as two little-endian words.
 *
 * Contract: pure, no EAL, no allocation, any thread.
 */
#ifndef AW_CLHDR_H
#define AW_CLHDR_H

#include <stddef.h>
#include <stdint.h>

#define AW_CLH_LEN      24
#define AW_CLH_VERSION  1
#define AW_CLH_MAX_HOPS 2
#define AW_CLH_HOP_NONE 0xff

struct aw_clh {
	uint64_t epoch;
	uint8_t hop_idx;
	uint8_t hop_cnt;
	uint8_t hops[AW_CLH_MAX_HOPS];
};

enum aw_clh_err {
	AW_CLH_OK = 0,
	AW_CLH_TRUNCATED, /* fewer than AW_CLH_LEN bytes */
	AW_CLH_MALFORMED, /* magic, version, reserved byte, unused hop entry */
	AW_CLH_BAD_HOP,   /* hop count not 1..2, hop index not below it */
	AW_CLH_ERR_COUNT,
};

/* The SipHash key of a 32-byte cluster key. */
void aw_clh_key(const uint8_t key32[32], uint64_t k[2]);

/* Writes the 24 bytes of h (tag included) at out. */
void aw_clh_write(uint8_t *out, const struct aw_clh *h, const uint64_t k[2]);

/* The pieces of aw_clh_write, for a writer that caches tags: the first 16
 * bytes (fields), and the tag of those 16 bytes as stored (little-endian). */
void aw_clh_head(uint8_t out[16], const struct aw_clh *h);
uint64_t aw_clh_tag(const uint8_t head[16], const uint64_t k[2]);

/* Parses the header at p (n bytes available); the tag is not checked. */
enum aw_clh_err aw_clh_parse(const uint8_t *p, size_t n, struct aw_clh *h);

/* Is the tag at p[16..24) right for bytes p[0..16)? (p: AW_CLH_LEN bytes) */
int aw_clh_tag_ok(const uint8_t *p, const uint64_t k[2]);

#endif /* AW_CLHDR_H */
