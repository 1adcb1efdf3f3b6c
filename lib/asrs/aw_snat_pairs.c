/* SPDX-License-Identifier: BSD-3-Clause */
/* Free-port accounting per SNAT pair; see aw_snat_pairs.h for the contract. */
#include "aw_snat_pairs.h"
#include "aw_mix.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(struct aw_snat_pair_key) == 20, "pair key is 20 packed bytes");

/* The key as three words (dest, dest, dport / proto / snat). */
static inline void
key_words(const struct aw_snat_pair_key *k, uint64_t w[3])
{
	uint32_t t;

	memcpy(w, k->dest, 16);
	memcpy(&t, &k->dport, 4);
	w[2] = t;
}

/* A table hash (never compared across instances): two odd multipliers fold
 * the words, the splitmix finaliser spreads them. */
uint32_t
aw_snat_pair_hash(const struct aw_snat_pair_key *k)
{
	uint64_t w[3];

	key_words(k, w);
	return (uint32_t)aw_mix64(w[0] * 0x9e3779b97f4a7c15ull ^ w[1] * 0xc2b2ae3d27d4eb4full ^ w[2]);
}

static inline bool
key_eq(const struct aw_snat_pair_key *a, const struct aw_snat_pair_key *b)
{
	uint64_t x[3], y[3];

	key_words(a, x);
	key_words(b, y);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2])) == 0;
}

struct aw_snat_pairs *
aw_snat_pairs_create(uint32_t max_pairs)
{
	uint32_t slots = 8;

	while (slots < 2 * (uint64_t)max_pairs && slots < (1u << 30))
		slots <<= 1;
	struct aw_snat_pairs *t = calloc(1, sizeof(*t) + (size_t)slots * sizeof(t->e[0]));
	if (t == NULL)
		return NULL;
	t->mask = slots - 1;
	t->max_n = slots / 2;
	return t;
}

void
aw_snat_pairs_free(struct aw_snat_pairs *t)
{
	free(t);
}

/* Slot of k, or of the empty slot that ends its probe sequence. */
static uint32_t
find(const struct aw_snat_pairs *t, const struct aw_snat_pair_key *k)
{
	uint32_t i = aw_snat_pair_hash(k) & t->mask;

	while (t->e[i].used != 0 && !key_eq(&t->e[i].k, k))
		i = (i + 1) & t->mask;
	return i;
}

uint32_t
aw_snat_pairs_used(const struct aw_snat_pairs *t, const struct aw_snat_pair_key *k)
{
	return t->e[find(t, k)].used;
}

int
aw_snat_pairs_inc(struct aw_snat_pairs *t, const struct aw_snat_pair_key *k)
{
	struct aw_snat_pair *e = &t->e[find(t, k)];

	if (e->used == 0) {
		if (t->n >= t->max_n)
			return -1;
		e->k = *k;
		t->n++;
	}
	e->used++;
	return 0;
}

/* Backward-shift deletion: entries after slot i that could live at i move
 * up, so no probe sequence ever crosses an empty slot. */
static void
remove_at(struct aw_snat_pairs *t, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		t->e[i].used = 0;
		for (;;) {
			j = (j + 1) & t->mask;
			if (t->e[j].used == 0)
				return;
			uint32_t home = aw_snat_pair_hash(&t->e[j].k) & t->mask;
			/* j's entry may move to i when home is not in (i, j] (cyclically) */
			if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
				break;
		}
		t->e[i] = t->e[j];
		i = j;
	}
}

bool
aw_snat_pairs_dec(struct aw_snat_pairs *t, const struct aw_snat_pair_key *k)
{
	uint32_t i = find(t, k);

	if (t->e[i].used == 0)
		return false;
	if (--t->e[i].used == 0) {
		t->n--;
		remove_at(t, i);
	}
	return true;
}

int
aw_snat_part_ports_create(struct aw_snat_part *part)
{
	part->port_used = calloc(part->n ? part->n : 1, sizeof(part->port_used[0]));
	return part->port_used == NULL ? -1 : 0;
}

void
aw_snat_part_ports_free(struct aw_snat_part *part)
{
	free(part->port_used);
	part->port_used = NULL;
}

enum aw_snat_res
aw_snat_alloc_ex(struct aw_snat_part *part, const struct aw_snat_pair_key *k, unsigned max_probes,
		 aw_snat_free_fn is_free, void *arg, uint16_t *port, bool probe_all)
{
	struct aw_snat_pairs *t = part->pairs;
	struct aw_snat_pair *e = &t->e[find(t, k)];
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

enum aw_snat_res
aw_snat_alloc(struct aw_snat_part *part, const struct aw_snat_pair_key *k, unsigned max_probes,
	      aw_snat_free_fn is_free, void *arg, uint16_t *port)
{
	return aw_snat_alloc_ex(part, k, max_probes, is_free, arg, port, true);
}

bool
aw_snat_release(struct aw_snat_part *part, const struct aw_snat_pair_key *k, uint16_t port)
{
	if (!aw_snat_pairs_dec(part->pairs, k))
		return false;
	if (part->port_used != NULL && (uint16_t)(port - part->lo) < part->n)
		part->port_used[port - part->lo]--;
	return true;
}
