/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_snat_pairs — free-port accounting of one SNAT port partition (SPEC
 * §4.4): for every (SNAT address, destination address, destination port,
 * protocol) pair with at least one live session, how many of the partition's
 * ports are in use toward it. Allocation toward a pair whose count reached
 * the partition's size fails at once (no probing); otherwise it probes from
 * the partition's rotating cursor, at most `max_probes` ports, asking the
 * caller (the session table) whether a port is free toward the pair.
 *
 * A partition may also count, per port, the sessions using it toward any pair
 * (`port_used`): a port no session uses is free toward every pair, so the
 * allocator takes it without asking the caller — the common case while the
 * partition has fewer live sessions than ports. The caller says when that
 * shortcut is unsafe (`probe_all`: another kind of key could equal a reply
 * key, see aw_snat_alloc_ex).
 *
 * The table is open addressing with linear probing, at most half full
 * (capacity fixed at creation), deletion by backward shift: a pair is present
 * exactly while its count is non-zero.
 *
 * Contract: no EAL, no locks. One partition's table is used by one thread at
 * a time (the data plane serialises it with the partition's lock); create /
 * destroy from a control thread.
 */
#ifndef AW_SNAT_PAIRS_H
#define AW_SNAT_PAIRS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "aw_mix.h"

struct aw_snat_pair_key {
	uint8_t dest[16]; /* destination address (IPv4: 4 bytes, zero padded) */
	uint16_t dport;   /* network order */
	uint8_t proto;
	uint8_t snat;     /* SNAT address index (the caller's numbering) */
};

struct aw_snat_pair {
	struct aw_snat_pair_key k;
	uint32_t used; /* 0: empty slot */
};

struct aw_snat_pairs {
	uint32_t mask;     /* slots - 1 */
	uint32_t n;        /* pairs present */
	uint32_t max_n;    /* slots / 2 */
	struct aw_snat_pair e[];
};

/* One partition of the port range: ports [lo, lo + n). */
struct aw_snat_part {
	uint16_t lo, n;
	uint32_t next;     /* cursor: next port tried is lo + next */
	struct aw_snat_pairs *pairs;
	uint32_t *port_used; /* [n]: sessions on port lo + i, any pair; NULL: not kept
			      * (every port is asked of the caller) */
};

/* port_used for part (n ports, all 0); -1 when out of memory. */
int aw_snat_part_ports_create(struct aw_snat_part *part);
void aw_snat_part_ports_free(struct aw_snat_part *part);

/* Table for up to max_pairs pairs (rounded up); NULL when out of memory. */
struct aw_snat_pairs *aw_snat_pairs_create(uint32_t max_pairs);
void aw_snat_pairs_free(struct aw_snat_pairs *t);

/* Ports in use toward k (0 when absent). */
uint32_t aw_snat_pairs_used(const struct aw_snat_pairs *t, const struct aw_snat_pair_key *k);
/* Count of k + 1; -1 when k is new and the table holds max_n pairs. */
int aw_snat_pairs_inc(struct aw_snat_pairs *t, const struct aw_snat_pair_key *k);
/* Count of k - 1 (the pair goes at 0); false when k is absent. */
bool aw_snat_pairs_dec(struct aw_snat_pairs *t, const struct aw_snat_pair_key *k);

/* Is `port` free toward the pair? (the caller's session table) */
typedef bool (*aw_snat_free_fn)(void *arg, uint16_t port);

enum aw_snat_res {
	AW_SNAT_OK = 0,
	AW_SNAT_EXHAUSTED,  /* every port of the partition in use toward the pair */
	AW_SNAT_BUSY,       /* max_probes ports tried, none free */
	AW_SNAT_PAIRS_FULL, /* the pair table holds its maximum of pairs */
};

/* A port of part free toward k (counted in the pair), in *port. Calls
 * is_free at most max_probes times, and never when the pair is exhausted. */
enum aw_snat_res aw_snat_alloc(struct aw_snat_part *part, const struct aw_snat_pair_key *k,
			       unsigned max_probes, aw_snat_free_fn is_free, void *arg,
			       uint16_t *port);
/* Gives back `port` (of this partition) of a session toward k: the pair's
 * count and port_used decremented. false when k is absent (nothing done). */
bool aw_snat_release(struct aw_snat_part *part, const struct aw_snat_pair_key *k, uint16_t port);

/* ---- inline: the allocation of the new-session path ---- */

/* The key as three words (dest, dest, dport / proto / snat). */
static inline void
aw_snat_key_words(const struct aw_snat_pair_key *k, uint64_t w[3])
{
	uint32_t t;

	memcpy(w, k->dest, 16);
	memcpy(&t, &k->dport, 4);
	w[2] = t;
}

/* A table hash (never compared across instances): two odd multipliers fold
 * the words, the splitmix finaliser spreads them. */
static inline uint32_t
aw_snat_pair_hash(const struct aw_snat_pair_key *k)
{
	uint64_t w[3];

	aw_snat_key_words(k, w);
	return (uint32_t)aw_mix64(w[0] * 0x9e3779b97f4a7c15ull ^ w[1] * 0xc2b2ae3d27d4eb4full ^ w[2]);
}

static inline bool
aw_snat_key_eq(const struct aw_snat_pair_key *a, const struct aw_snat_pair_key *b)
{
	uint64_t x[3], y[3];

	aw_snat_key_words(a, x);
	aw_snat_key_words(b, y);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2])) == 0;
}

/* Slot of k, or of the empty slot that ends its probe sequence. */
static inline uint32_t
aw_snat_pairs_slot(const struct aw_snat_pairs *t, const struct aw_snat_pair_key *k)
{
	uint32_t i = aw_snat_pair_hash(k) & t->mask;

	while (t->e[i].used != 0 && !aw_snat_key_eq(&t->e[i].k, k))
		i = (i + 1) & t->mask;
	return i;
}

/* aw_snat_alloc; with part->port_used, a port no session uses is taken
 * without calling is_free (nor counted as a probe) unless probe_all. The
 * port counts in port_used too. */
static inline __attribute__((always_inline)) enum aw_snat_res
aw_snat_alloc_ex(struct aw_snat_part *part, const struct aw_snat_pair_key *k, unsigned max_probes,
		 aw_snat_free_fn is_free, void *arg, uint16_t *port, bool probe_all)
{
	struct aw_snat_pairs *t = part->pairs;
	struct aw_snat_pair *e = &t->e[aw_snat_pairs_slot(t, k)];
	uint32_t *used = probe_all ? NULL : part->port_used;

	if (e->used >= part->n)
		return AW_SNAT_EXHAUSTED;
	if (e->used == 0 && t->n >= t->max_n)
		return AW_SNAT_PAIRS_FULL;
	unsigned tries = max_probes < part->n ? max_probes : part->n;
	for (unsigned i = 0; i < tries;) {
		uint32_t off = part->next;
		if (++part->next >= part->n)
			part->next = 0;
		uint16_t p = (uint16_t)(part->lo + off);
		if (used == NULL || used[off] != 0) {
			i++; /* a probe */
			if (!is_free(arg, p))
				continue;
		}
		if (e->used == 0) {
			e->k = *k;
			t->n++;
		}
		e->used++;
		if (part->port_used != NULL)
			part->port_used[off]++;
		*port = p;
		return AW_SNAT_OK;
	}
	return AW_SNAT_BUSY;
}

#endif /* AW_SNAT_PAIRS_H */
