/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_strmap — a string-keyed hash map (open addressing, linear probing,
 * backward-shift delete) for the control daemons' tables: services by URI,
 * relays by PathID hex. Keys are copied; values are the caller's pointers.
 *
 * Contract: not thread-safe; one owner thread. Iterate with
 * for (size_t i = 0; i < m->cap; i++) if (m->slots[i].key) ...; deleting
 * while iterating is not allowed (collect keys first).
 */
#ifndef AW_STRMAP_H
#define AW_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct aw_strmap_slot {
	char *key; /* NULL = empty */
	void *val;
	uint64_t hash; /* of key: compared before the strings */
};

struct aw_strmap {
	struct aw_strmap_slot *slots;
	size_t cap; /* power of two, 0 before the first insert */
	size_t n;
	/* Mixed into every hash; different for each map, so that filling one map
	 * in another's slot order (the agent does: dirty set -> applied state)
	 * does not pile keys into one probe run. */
	uint64_t seed;
};

void aw_strmap_init(struct aw_strmap *m);
/* Frees the keys and the table; values are the caller's (free them first). */
void aw_strmap_free(struct aw_strmap *m);
/* Removes every entry (keys freed, values the caller's) and keeps the table. */
void aw_strmap_clear(struct aw_strmap *m);
void *aw_strmap_get(const struct aw_strmap *m, const char *key);
/* Insert or replace; returns the old value (NULL when new). On out of memory
 * returns val itself and inserts nothing. */
void *aw_strmap_put(struct aw_strmap *m, const char *key, void *val);
/* Remove; returns the value (NULL when absent). */
void *aw_strmap_del(struct aw_strmap *m, const char *key);

#endif /* AW_STRMAP_H */
