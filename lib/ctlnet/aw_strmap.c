/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_strmap.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t
hash(const struct aw_strmap *m, const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull ^ m->seed;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	/* FNV's low bits mix poorly and the table uses the low bits: finalize */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

void
aw_strmap_init(struct aw_strmap *m)
{
	static _Atomic uint64_t maps;

	m->slots = NULL;
	m->cap = m->n = 0;
	m->seed = (atomic_fetch_add_explicit(&maps, 1, memory_order_relaxed) + 1) *
		  0x9e3779b97f4a7c15ull;
}

void
aw_strmap_free(struct aw_strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	aw_strmap_init(m);
}

void
aw_strmap_clear(struct aw_strmap *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->slots[i].key);
		m->slots[i].key = NULL;
	}
	m->n = 0;
}

static size_t
find_h(const struct aw_strmap *m, const char *key, uint64_t h)
{
	size_t mask = m->cap - 1, i = h & mask;

	while (m->slots[i].key != NULL &&
	       (m->slots[i].hash != h || strcmp(m->slots[i].key, key) != 0))
		i = (i + 1) & mask;
	return i;
}

static size_t
find(const struct aw_strmap *m, const char *key)
{
	return find_h(m, key, hash(m, key));
}

void *
aw_strmap_get(const struct aw_strmap *m, const char *key)
{
	if (m->cap == 0)
		return NULL;
	size_t i = find(m, key);
	return m->slots[i].key ? m->slots[i].val : NULL;
}

static int
grow(struct aw_strmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	struct aw_strmap old = *m;

	m->slots = calloc(ncap, sizeof(*m->slots));
	if (m->slots == NULL) {
		*m = old;
		return -1;
	}
	m->cap = ncap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key != NULL)
			m->slots[find_h(m, old.slots[i].key, old.slots[i].hash)] = old.slots[i];
	free(old.slots);
	return 0;
}

void *
aw_strmap_put(struct aw_strmap *m, const char *key, void *val)
{
	if ((m->n + 1) * 4 > m->cap * 3 && grow(m) < 0)
		return val;
	uint64_t h = hash(m, key);
	size_t i = find_h(m, key, h);
	if (m->slots[i].key != NULL) {
		void *old = m->slots[i].val;
		m->slots[i].val = val;
		return old;
	}
	m->slots[i].key = strdup(key);
	if (m->slots[i].key == NULL)
		return val;
	m->slots[i].val = val;
	m->slots[i].hash = h;
	m->n++;
	return NULL;
}

void *
aw_strmap_del(struct aw_strmap *m, const char *key)
{
	if (m->cap == 0)
		return NULL;
	size_t mask = m->cap - 1, i = find(m, key), j = i;
	if (m->slots[i].key == NULL)
		return NULL;
	void *val = m->slots[i].val;
	free(m->slots[i].key);
	m->slots[i].key = NULL;
	m->n--;
	/* backward shift: move later members of the probe run into the hole */
	for (;;) {
		j = (j + 1) & mask;
		if (m->slots[j].key == NULL)
			break;
		size_t home = m->slots[j].hash & mask;
		/* slot j may move to i when i lies cyclically between home and j */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			m->slots[j].key = NULL;
			i = j;
		}
	}
	return val;
}
