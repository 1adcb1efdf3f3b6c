/* SPDX-License-Identifier: BSD-3-Clause */
/* Free-port accounting per SNAT pair; see aw_snat_pairs.h for the contract. */
#include "aw_snat_pairs.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(struct aw_snat_pair_key) == 20, "pair key is 20 packed bytes");

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

uint32_t
aw_snat_pairs_used(const struct aw_snat_pairs *t, const struct aw_snat_pair_key *k)
{
	return t->e[aw_snat_pairs_slot(t, k)].used;
}

int
aw_snat_pairs_inc(struct aw_snat_pairs *t, const struct aw_snat_pair_key *k)
{
	struct aw_snat_pair *e = &t->e[aw_snat_pairs_slot(t, k)];

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
	uint32_t i = aw_snat_pairs_slot(t, k);

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
