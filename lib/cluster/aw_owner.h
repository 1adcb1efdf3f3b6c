/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_owner — the owner table of an anycast cluster (SPEC §8, doc/cluster.md):
 * which instance owns a flow, the same on every instance for the same member
 * list whatever its order.
 *
 * Members are sorted by id (bytewise); a member's index is its position in
 * that order (the hop list of the cluster header names members by index).
 * Rows: AW_OWNER_ROWS (65,536). Row of a flow: the top 16 bits of
 * aw_owner_flow_hash() of its key. Score of member id in row r:
 *   aw_mix64(fnv1a64(id) + (r + 1) * 0x9e3779b97f4a7c15)      (mod 2^64)
 * with fnv1a64 the 64-bit FNV-1a of the id's bytes (no NUL) and aw_mix64 the
 * splitmix64 finaliser (lib/common/aw_mix.h). Rendezvous hashing: a row's
 * primary is the `active` member of highest score; its secondary the member
 * of highest score among the others that are `active` or `draining` (where
 * flows lived before a drain); `down` members are neither. Equal scores: the
 * lower index wins. No active member: the row has no primary and no secondary
 * (AW_OWNER_NONE), and every instance serves what it receives (as a single
 * instance does).
 *
 * Flow hash: h = 0x616e79776179636c ("anywaycl"); for each 8-byte word w of
 * the key, read little-endian: h = aw_mix64(h ^ w).
 *
 * Contract: no EAL. aw_owner_build allocates (API thread, off the packet
 * path); the table is immutable once built and read by any thread.
 */
#ifndef AW_OWNER_H
#define AW_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aw_inet.h"
#include "aw_mix.h"

#define AW_OWNER_ROWS        65536
#define AW_OWNER_MAX_MEMBERS 64
#define AW_OWNER_ID_MAX      64 /* bytes of an id, NUL included */
#define AW_OWNER_NONE        0xff
#define AW_OWNER_HASH_SEED   0x616e79776179636cull

enum aw_member_state { AW_MEMBER_ACTIVE = 0, AW_MEMBER_DRAINING, AW_MEMBER_DOWN };

struct aw_member {
	char id[AW_OWNER_ID_MAX];
	struct aw_addr addr;
	uint8_t state; /* enum aw_member_state */
};

struct aw_owner_tab {
	uint64_t epoch;
	unsigned n;          /* members, sorted by id */
	int self;            /* index of this instance, -1 when not a member */
	struct aw_member m[AW_OWNER_MAX_MEMBERS];
	uint8_t row[AW_OWNER_ROWS][2]; /* primary, secondary (member indexes or NONE) */
};

/* Name of a state ("active", "draining", "down") and back (-1: unknown). */
const char *aw_member_state_name(unsigned s);
int aw_member_state_parse(const char *s);

/* An id is 1..63 bytes of [A-Za-z0-9._-]. */
bool aw_member_id_ok(const char *id);

/* fnv1a64(id) and the score of a member in a row (see above). */
uint64_t aw_owner_id_hash(const char *id);
static inline uint64_t
aw_owner_score(uint64_t id_hash, uint32_t row)
{
	return aw_mix64(id_hash + (uint64_t)(row + 1) * 0x9e3779b97f4a7c15ull);
}

/* The table for `epoch` and members m[0..n) (any order; ids unique and valid,
 * n <= AW_OWNER_MAX_MEMBERS, checked: NULL with a message in err). self_id:
 * this instance's id. The result is freed with aw_owner_free. */
struct aw_owner_tab *aw_owner_build(uint64_t epoch, const struct aw_member *m, unsigned n,
				    const char *self_id, char *err, size_t errlen);
void aw_owner_free(struct aw_owner_tab *t);

/* Same epoch-independent member list (ids, addresses, states)? */
bool aw_owner_same_members(const struct aw_owner_tab *t, const struct aw_member *m, unsigned n);

/* Index of the member whose address is a, or -1. */
int aw_owner_find_addr(const struct aw_owner_tab *t, const struct aw_addr *a);

/* The flow hash of n_words 8-byte words (see above). */
static inline uint64_t
aw_owner_flow_hash(const uint64_t *w, unsigned n_words)
{
	uint64_t h = AW_OWNER_HASH_SEED;

	for (unsigned i = 0; i < n_words; i++)
		h = aw_mix64(h ^ w[i]);
	return h;
}

static inline uint32_t
aw_owner_row_of(uint64_t flow_hash)
{
	return (uint32_t)(flow_hash >> 48);
}

#endif /* AW_OWNER_H */
