/* SPDX-License-Identifier: BSD-3-Clause */
/* The gateway's slab of paths, its two open-addressing indexes and its one
 * update function (see aw_gw_table.h for the thread contract). */
#include "aw_gw_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_random.h>

#define IX_RETRIES 16 /* a reader's looks while entries keep moving */

/* One index: entries (tag << ibits) | (slot + 1), 0 = empty. */
struct gw_ix {
	uint32_t *e;
	uint32_t mask;
	uint32_t chg; /* bumped when an entry moved back (deletion) */
};

struct aw_gw_table {
	struct gw_ix by_id, by_node;
	struct aw_gw_path *slab; /* slab_n records */
	uint32_t *free_idx;      /* stack of free slots */
	uint32_t n_free, slab_n;
	uint32_t ibits, imask;   /* slot + 1 in the low ibits of an entry */
	uint32_t seed;
	struct rte_rcu_qsbr *rcu;
	uint32_t max, n;
	uint32_t next_key_id; /* writer only */
};

static inline uint32_t
hash_id(const struct aw_gw_table *t, const void *id)
{
	return rte_hash_crc(id, 16, t->seed);
}

static inline uint32_t
hash_node(const struct aw_gw_table *t, const struct aw_addr *a)
{
	return rte_hash_crc(a, sizeof(*a), t->seed ^ 0x9e3779b9u);
}

static inline uint32_t
tag_of(const struct aw_gw_table *t, uint32_t h)
{
	return (h >> t->ibits) << t->ibits; /* the bits above the slot */
}

/* The path of key (hash h; a PathID, or a struct aw_addr when node), or
 * NULL. Lock-free: a miss is trusted only if no entry moved meanwhile. */
static inline struct aw_gw_path *
ix_find(const struct aw_gw_table *t, const struct gw_ix *ix, uint32_t h, const void *key,
	bool node)
{
	const uint32_t tg = tag_of(t, h);

	for (unsigned r = 0; r < IX_RETRIES; r++) {
		uint32_t c = __atomic_load_n(&ix->chg, __ATOMIC_ACQUIRE);
		for (uint32_t i = h & ix->mask, n = 0; n <= ix->mask; i = (i + 1) & ix->mask, n++) {
			uint32_t v = __atomic_load_n(&ix->e[i], __ATOMIC_ACQUIRE);
			if (v == 0)
				break;
			if ((v & ~t->imask) != tg)
				continue;
			struct aw_gw_path *p = &t->slab[(v & t->imask) - 1];
			if (node ? aw_addr_eq(&p->node, key) : memcmp(p->path_id, key, 16) == 0)
				return p;
		}
		if (__atomic_load_n(&ix->chg, __ATOMIC_ACQUIRE) == c)
			break;
	}
	return NULL;
}

static struct aw_gw_path *
find_id(const struct aw_gw_table *t, const void *id, uint32_t h)
{
	return ix_find(t, &t->by_id, h, id, false);
}

struct aw_gw_path *
aw_gw_table_find(const struct aw_gw_table *t, const uint8_t id[16])
{
	return find_id(t, id, hash_id(t, id));
}

struct aw_gw_path *
aw_gw_table_by_node(const struct aw_gw_table *t, const struct aw_addr *node)
{
	return ix_find(t, &t->by_node, hash_node(t, node), node, true);
}

void
aw_gw_table_lookup_bulk(const struct aw_gw_table *t, const void **ids, unsigned n,
			struct aw_gw_path **paths)
{
	uint32_t h[64];

	if (n > 64)
		n = 64;
	for (unsigned i = 0; i < n; i++) {
		h[i] = hash_id(t, ids[i]);
		rte_prefetch0(&t->by_id.e[h[i] & t->by_id.mask]);
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t v = __atomic_load_n(&t->by_id.e[h[i] & t->by_id.mask], __ATOMIC_RELAXED);
		if (v != 0)
			rte_prefetch0(&t->slab[(v & t->imask) - 1]);
	}
	for (unsigned i = 0; i < n; i++)
		paths[i] = find_id(t, ids[i], h[i]);
}

uint32_t
aw_gw_table_count(const struct aw_gw_table *t)
{
	return t->n;
}

/* Writer side: iteration in index order (stable while nothing is deleted). */
int
aw_gw_table_iterate(const struct aw_gw_table *t, uint32_t *next, struct aw_gw_path **p)
{
	for (uint64_t i = *next; i <= t->by_id.mask; i++) {
		uint32_t v = t->by_id.e[i];
		if (v != 0) {
			*p = &t->slab[(v & t->imask) - 1];
			*next = (uint32_t)i + 1;
			return 0;
		}
	}
	*next = t->by_id.mask + 1;
	return -1;
}

static int
ix_init(struct gw_ix *ix, uint32_t max)
{
	uint64_t cap = 8;

	while (cap < (uint64_t)max + max / 2 + 1)
		cap <<= 1;
	ix->e = rte_zmalloc("aw_gw_ix", cap * sizeof(uint32_t), RTE_CACHE_LINE_SIZE);
	ix->mask = (uint32_t)cap - 1;
	return ix->e != NULL ? 0 : -1;
}

struct aw_gw_table *
aw_gw_table_create(const char *name, uint32_t max_paths, struct rte_rcu_qsbr *rcu, char *err,
		   size_t errlen)
{
	struct aw_gw_table *t = rte_zmalloc("aw_gw_table", sizeof(*t), 0);

	(void)name;
	if (t == NULL) {
		snprintf(err, errlen, "gateway: out of memory");
		return NULL;
	}
	t->rcu = rcu;
	t->max = max_paths;
	t->slab_n = max_paths + max_paths / 32 + 16;
	t->ibits = 1;
	while (((uint64_t)1 << t->ibits) <= t->slab_n)
		t->ibits++;
	t->imask = (1u << t->ibits) - 1;
	t->seed = (uint32_t)rte_rand();
	t->slab = rte_zmalloc("aw_gw_slab", (size_t)t->slab_n * sizeof(*t->slab),
			      RTE_CACHE_LINE_SIZE);
	t->free_idx = rte_malloc("aw_gw_free", (size_t)t->slab_n * sizeof(uint32_t), 0);
	if (t->slab == NULL || t->free_idx == NULL || ix_init(&t->by_id, max_paths) < 0 ||
	    ix_init(&t->by_node, max_paths) < 0) {
		snprintf(err, errlen, "gateway.max_paths: cannot allocate a table of %u paths "
			 "(about %zu MiB)", max_paths,
			 ((size_t)max_paths * aw_gw_path_bytes()) >> 20);
		aw_gw_table_free(t);
		return NULL;
	}
	for (uint32_t i = 0; i < t->slab_n; i++)
		t->free_idx[i] = t->slab_n - 1 - i; /* slot 0 on top */
	t->n_free = t->slab_n;
	return t;
}

void
aw_gw_table_free(struct aw_gw_table *t)
{
	if (t == NULL)
		return;
	if (t->slab != NULL)
		OPENSSL_cleanse(t->slab, (size_t)t->slab_n * sizeof(*t->slab));
	rte_free(t->slab);
	rte_free(t->free_idx);
	rte_free(t->by_id.e);
	rte_free(t->by_node.e);
	rte_free(t);
}

size_t
aw_gw_path_bytes(void)
{
	/* record + its share of the slack, two 4-byte index entries at 1/2 load
	 * (32,768 paths: 65,536 entries each), one free-stack entry */
	size_t rec = sizeof(struct aw_gw_path);
	return rec + rec / 32 + 2 * 8 + 4;
}

/* ---- writer ---- */

static uint32_t
ix_home(const struct aw_gw_table *t, const struct gw_ix *ix, uint32_t v)
{
	const struct aw_gw_path *p = &t->slab[(v & t->imask) - 1];
	uint32_t h = ix == &t->by_id ? hash_id(t, p->path_id) : hash_node(t, &p->node);

	return h & ix->mask;
}

/* Position of slot's entry in ix (it is there). */
static uint32_t
ix_pos(const struct aw_gw_table *t, const struct gw_ix *ix, uint32_t h, uint32_t slot)
{
	uint32_t i = h & ix->mask;

	while ((ix->e[i] & t->imask) != slot + 1)
		i = (i + 1) & ix->mask;
	return i;
}

static void
ix_insert(const struct aw_gw_table *t, struct gw_ix *ix, uint32_t h, uint32_t slot)
{
	uint32_t i = h & ix->mask;

	while (ix->e[i] != 0) /* never full: at most 2/3 */
		i = (i + 1) & ix->mask;
	__atomic_store_n(&ix->e[i], tag_of(t, h) | (slot + 1), __ATOMIC_RELEASE);
}

/* Backward-shift deletion: each entry that may move into the hole does, the
 * change counter is bumped before its old place is overwritten. */
static void
ix_delete(const struct aw_gw_table *t, struct gw_ix *ix, uint32_t pos)
{
	uint32_t hole = pos, j = pos;

	for (;;) {
		j = (j + 1) & ix->mask;
		uint32_t v = ix->e[j];
		if (v == 0)
			break;
		uint32_t home = ix_home(t, ix, v);
		if (((j - home) & ix->mask) >= ((j - hole) & ix->mask)) {
			__atomic_store_n(&ix->e[hole], v, __ATOMIC_RELEASE);
			__atomic_fetch_add(&ix->chg, 1, __ATOMIC_RELEASE);
			hole = j;
		}
	}
	__atomic_store_n(&ix->e[hole], 0, __ATOMIC_RELEASE);
}

static uint32_t
slot_of(const struct aw_gw_table *t, const struct aw_gw_path *p)
{
	return (uint32_t)(p - t->slab);
}

static void
slots_reclaim(struct aw_gw_table *t, uint32_t *old, unsigned *n_old)
{
	if (*n_old == 0)
		return;
	rte_rcu_qsbr_synchronize(t->rcu, RTE_QSBR_THRID_INVALID);
	for (unsigned i = 0; i < *n_old; i++) {
		OPENSSL_cleanse(&t->slab[old[i]], sizeof(t->slab[0]));
		t->free_idx[t->n_free++] = old[i];
	}
	*n_old = 0;
}

/* A prepared record (keys derived) for entry e, not yet in the slab. */
static int
path_prepare(struct aw_gw_table *t, const struct aw_gw_entry *e, struct aw_gw_path *p,
	     char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (aw_trs_kdf(e->key, p->enc, p->mac) != AW_TRS_OK) {
		snprintf(err, errlen, "end_key: key derivation failed");
		return -1;
	}
	if (++t->next_key_id == 0)
		t->next_key_id = 1;
	p->key_id = t->next_key_id;
	memcpy(p->path_id, e->path_id, 16);
	p->node = e->node;
	p->suite = e->suite;
	p->idle_timeout_s = e->idle_timeout_s;
	p->txid = (uint32_t)rte_rand(); /* a new txid per install: no nonce reused */
	aw_replay_init(&p->win);
	return 0;
}

static bool
same_entry(const struct aw_gw_path *p, const struct aw_gw_entry *e)
{
	uint8_t enc[32], mac[32];
	bool same;

	if (p->suite != e->suite || p->idle_timeout_s != e->idle_timeout_s ||
	    !aw_addr_eq(&p->node, &e->node))
		return false;
	if (aw_trs_kdf(e->key, enc, mac) != AW_TRS_OK)
		return false;
	same = memcmp(enc, p->enc, 32) == 0 && memcmp(mac, p->mac, 32) == 0;
	OPENSSL_cleanse(enc, sizeof(enc));
	OPENSSL_cleanse(mac, sizeof(mac));
	return same;
}

/* The checks of one update (nothing changed yet). */
static int
validate(struct aw_gw_table *t, const struct aw_gw_entry *add, unsigned n_add,
	 const uint8_t (*del)[16], unsigned n_del, const char *what, char *err, size_t errlen)
{
	unsigned n_new = 0, n_gone = 0;
	char buf[AW_ADDR_STRLEN];

	for (unsigned i = 0; i < n_add; i++) {
		for (unsigned j = 0; j < i; j++) {
			if (memcmp(add[i].path_id, add[j].path_id, 16) == 0)
				return snprintf(err, errlen, "%s[%u].path_id: same PathID as %s[%u]",
						what, i, what, j), -1;
			if (aw_addr_eq(&add[i].node, &add[j].node))
				return snprintf(err, errlen, "%s[%u].node_addr: same node_addr as %s[%u]",
						what, i, what, j), -1;
		}
		const struct aw_gw_path *owner = aw_gw_table_by_node(t, &add[i].node);
		if (owner != NULL && memcmp(owner->path_id, add[i].path_id, 16) != 0) {
			bool leaving = false;
			for (unsigned d = 0; d < n_del && !leaving; d++)
				leaving = memcmp(del[d], owner->path_id, 16) == 0;
			if (!leaving)
				return snprintf(err, errlen, "%s[%u].node_addr: %s already belongs to "
						"another gateway path", what, i,
						aw_addr_format(&add[i].node, buf, sizeof(buf))), -1;
		}
		n_new += aw_gw_table_find(t, add[i].path_id) == NULL;
	}
	for (unsigned d = 0; d < n_del; d++)
		n_gone += aw_gw_table_find(t, del[d]) != NULL;
	if (t->n + n_new - n_gone > t->max)
		return snprintf(err, errlen, "gateway table full: %u paths + %u new > "
				"gateway.max_paths %u", t->n, n_new, t->max), -1;
	return 0;
}

/* Takes path p out of both indexes (its slot is retired by the caller). */
static void
unlink_path(struct aw_gw_table *t, const struct aw_gw_path *p)
{
	uint32_t s = slot_of(t, p);

	ix_delete(t, &t->by_id, ix_pos(t, &t->by_id, hash_id(t, p->path_id), s));
	ix_delete(t, &t->by_node, ix_pos(t, &t->by_node, hash_node(t, &p->node), s));
}

/* Publishes the prepared record np in a free slot, in place of cur (same
 * PathID) or as a new path. Needs a free slot. Returns cur's slot or
 * UINT32_MAX. */
static uint32_t
publish(struct aw_gw_table *t, const struct aw_gw_path *np, const struct aw_gw_path *cur)
{
	uint32_t s = t->free_idx[--t->n_free];
	uint32_t hid = hash_id(t, np->path_id), hn = hash_node(t, &np->node);

	memcpy(&t->slab[s], np, sizeof(*np));
	if (cur == NULL) {
		ix_insert(t, &t->by_id, hid, s);
		ix_insert(t, &t->by_node, hn, s);
		t->n++;
		return UINT32_MAX;
	}
	uint32_t cs = slot_of(t, cur), ip = ix_pos(t, &t->by_id, hid, cs);
	uint32_t hn_old = hash_node(t, &cur->node);

	__atomic_store_n(&t->by_id.e[ip], tag_of(t, hid) | (s + 1), __ATOMIC_RELEASE);
	if (aw_addr_eq(&cur->node, &np->node)) {
		uint32_t np_ = ix_pos(t, &t->by_node, hn, cs);
		__atomic_store_n(&t->by_node.e[np_], tag_of(t, hn) | (s + 1), __ATOMIC_RELEASE);
	} else { /* the new address first: the old one's owner never looks absent */
		ix_insert(t, &t->by_node, hn, s);
		ix_delete(t, &t->by_node, ix_pos(t, &t->by_node, hn_old, cs));
	}
	return cs;
}

/* Derives the keys of the entries that are not installed as they are. */
static int
prepare_all(struct aw_gw_table *t, const struct aw_gw_entry *add, unsigned n_add,
	    const char *what, bool *existed, struct aw_gw_path *np, bool *fresh, char *err,
	    size_t errlen)
{
	char e2[128];

	for (unsigned i = 0; i < n_add; i++) {
		const struct aw_gw_path *cur = aw_gw_table_find(t, add[i].path_id);
		bool same = cur != NULL && same_entry(cur, &add[i]);
		if (existed != NULL)
			existed[i] = same;
		if (same)
			continue;
		if (path_prepare(t, &add[i], &np[i], e2, sizeof(e2)) < 0)
			return snprintf(err, errlen, "%s[%u].%s", what, i, e2), -1;
		fresh[i] = true;
	}
	return 0;
}

int
aw_gw_table_commit(struct aw_gw_table *t, const struct aw_gw_entry *add, unsigned n_add,
		   const uint8_t (*del)[16], unsigned n_del, const char *what, bool *existed,
		   unsigned *removed, char *err, size_t errlen)
{
	struct aw_gw_path *np = calloc(n_add ? n_add : 1, sizeof(*np));
	bool *fresh = calloc(n_add ? n_add : 1, sizeof(*fresh));
	uint32_t *old = calloc(n_add + n_del + 1, sizeof(*old));
	unsigned n_old = 0, gone = 0;
	int rc = -1;

	if (np == NULL || fresh == NULL || old == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (validate(t, add, n_add, del, n_del, what, err, errlen) < 0 ||
	    prepare_all(t, add, n_add, what, existed, np, fresh, err, errlen) < 0)
		goto out;
	/* Nothing can fail from here: deletions first (they may free node addresses) */
	for (unsigned d = 0; d < n_del; d++) {
		struct aw_gw_path *p = aw_gw_table_find(t, del[d]);
		if (p != NULL) {
			unlink_path(t, p);
			old[n_old++] = slot_of(t, p);
			t->n--;
			gone++;
		}
	}
	for (unsigned i = 0; i < n_add; i++) {
		if (!fresh[i])
			continue;
		/* live <= max_paths throughout, so with no free slot >= 16 are retired */
		if (t->n_free == 0)
			slots_reclaim(t, old, &n_old);
		uint32_t cs = publish(t, &np[i], aw_gw_table_find(t, add[i].path_id));
		if (cs != UINT32_MAX)
			old[n_old++] = cs;
	}
	slots_reclaim(t, old, &n_old);
	if (removed != NULL)
		*removed = gone;
	rc = 0;
out:
	if (np != NULL)
		OPENSSL_cleanse(np, (n_add ? n_add : 1) * sizeof(*np));
	free(np);
	free(fresh);
	free(old);
	return rc;
}
