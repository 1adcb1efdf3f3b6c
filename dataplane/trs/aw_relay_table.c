/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay table (see aw_relay_table.h for the thread contract). */
#include "aw_relay_table.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#define PKT_BURST_BYTES 1500 /* byte bucket depth per packet of `burst` */

/* Index entries: 0 empty, 1 tombstone, else tag << SLOT_BITS | (slot + 2). */
#define E_EMPTY   0u
#define E_TOMB    1u
#define SLOT_BITS 25 /* max_paths (16M) + slack + 2 fit */
#define SLOT_MASK ((1u << SLOT_BITS) - 1)
#define TAG_MASK  0x7fu

#define RATE_CHUNK 256 /* rate pool records per chunk */

_Static_assert(sizeof(struct aw_relay_path) == 2 * RTE_CACHE_LINE_SIZE &&
		       alignof(struct aw_relay_path) == RTE_CACHE_LINE_SIZE,
	       "a path's hot part is two whole cache lines");
_Static_assert(offsetof(struct aw_relay_path, side) == 64 &&
		       offsetof(struct aw_relay_path, ack_seq) + sizeof(uint32_t) == 128,
	       "line 0: PathID, counters, timers; line 1: the sides, timeouts, ACK seq");
_Static_assert(sizeof(struct aw_relay_side) == 28, "a side is 28 bytes");
_Static_assert(sizeof(struct aw_relay_path) + sizeof(struct aw_relay_cold) == 184,
	       "a path is 184 bytes in all (SPEC §10: 192 with its index entry)");
_Static_assert((16u << 20) + AW_RELAY_SLAB_SLACK + 2 <= SLOT_MASK, "slab indexes fit an entry");
_Static_assert((16u << 20) + AW_RELAY_SLAB_SLACK + 1 < (1u << AW_RELAY_RATE_BITS),
	       "rate ids fit a path's rate field");

/* The index array; replaced whole by a rebuild (readers load t->idx once). */
struct ridx {
	uint32_t cap;
	uint32_t used; /* live entries + tombstones (writers only) */
	uint32_t e[];
};

struct aw_relay_table {
	struct aw_relay_slabs slabs;   /* first (aw_relay_path_cold): slab_n records each */
	struct ridx *idx;              /* lcores: __atomic_load_n acquire */
	struct rte_rcu_qsbr *rcu;      /* NULL: free at once (no readers) */
	struct rte_rcu_qsbr_dq *dq;
	uint32_t max_paths;
	uint32_t n;                    /* installed paths */
	uint32_t slab_n;
	uint32_t n_free;
	uint32_t free_head;            /* first released record (FREE_END: none) */
	uint32_t fresh;                /* records [fresh, slab_n) were never used */
	uint64_t *live;                /* bit s: slab[s] is installed (writers) */
	struct aw_relay_rate **rate_chunk; /* rate pool: n_rate_chunk chunks, NULL until used */
	uint32_t n_rate_chunk;
	uint32_t rate_free;            /* first released rate id; 0: none */
	uint32_t rate_fresh;           /* rate ids >= rate_fresh were never used */
};

_Static_assert(offsetof(struct aw_relay_table, slabs) == 0,
	       "aw_relay_path_cold reads the table through its first member");

/* Released records form a list through their ack_seq field (no other use
 * while free): no per-path free stack, and the slab's pages are touched only
 * as records are first used. */
#define FREE_END UINT32_MAX

/* The hash of a PathID: CRC32-C over its two 8-byte words. */
static inline uint32_t
id_hash(const void *id)
{
	uint64_t w[2];

	memcpy(w, id, 16);
	return rte_hash_crc_8byte(w[1], rte_hash_crc_8byte(w[0], 0));
}

static inline bool
id_eq(const uint8_t *a, const void *b)
{
	uint64_t x[2], y[2];

	memcpy(x, a, 16);
	memcpy(y, b, 16);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

static inline uint32_t
home(const struct ridx *x, uint32_t h)
{
	return (uint32_t)(((uint64_t)h * x->cap) >> 32);
}

static inline uint32_t
ent_tag(uint32_t h)
{
	return (h & TAG_MASK) << SLOT_BITS;
}

static inline bool
ent_live(uint32_t v)
{
	return (v & SLOT_MASK) >= 2;
}

static inline uint32_t
ent_slot(uint32_t v)
{
	return (v & SLOT_MASK) - 2;
}

/* Whether v is a live entry with h's tag. */
static inline bool
ent_match(uint32_t v, uint32_t h)
{
	return ent_live(v) && (v & ~SLOT_MASK) == ent_tag(h);
}

static inline uint32_t
ent_load(const struct ridx *x, uint32_t i)
{
	return __atomic_load_n(&x->e[i], __ATOMIC_ACQUIRE);
}

static struct ridx *
ridx_new(uint32_t cap)
{
	struct ridx *x = rte_zmalloc("aw_relay_idx", sizeof(*x) + sizeof(uint32_t) * cap,
				     RTE_CACHE_LINE_SIZE);
	if (x != NULL)
		x->cap = cap;
	return x;
}

/* The position of id's entry from position i on (its probe sequence), or
 * UINT32_MAX. Any thread (lcores with the array they loaded). */
static uint32_t
ridx_find_from(const struct aw_relay_table *t, const struct ridx *x, const void *id, uint32_t h,
	       uint32_t i)
{
	for (uint32_t k = 0; k < x->cap; k++) {
		uint32_t v = ent_load(x, i);
		if (v == E_EMPTY)
			return UINT32_MAX;
		if (ent_match(v, h) && id_eq(t->slabs.hot[ent_slot(v)].id, id))
			return i;
		if (++i == x->cap)
			i = 0;
	}
	return UINT32_MAX;
}

/* Writers: the first free (empty or tombstone) position of h's sequence
 * (there is one: used < cap). */
static uint32_t
ridx_free_pos(const struct ridx *x, uint32_t h)
{
	uint32_t i = home(x, h);

	while (ent_live(x->e[i]))
		if (++i == x->cap)
			i = 0;
	return i;
}

/*
 * Writers: a fresh array with the live entries only, published; the old one
 * freed after a grace period. -1 (nothing changed) when out of memory.
 */
static int
ridx_rebuild(struct aw_relay_table *t)
{
	struct ridx *o = t->idx, *x = ridx_new(o->cap);

	if (x == NULL)
		return -1;
	for (uint32_t i = 0; i < o->cap; i++) {
		uint32_t v = o->e[i];
		if (!ent_live(v))
			continue;
		uint32_t h = id_hash(t->slabs.hot[ent_slot(v)].id);
		x->e[ridx_free_pos(x, h)] = ent_tag(h) | (v & SLOT_MASK);
		x->used++;
	}
	__atomic_store_n(&t->idx, x, __ATOMIC_RELEASE);
	if (t->rcu != NULL)
		rte_rcu_qsbr_synchronize(t->rcu, RTE_QSBR_THRID_INVALID);
	rte_free(o);
	return 0;
}

static inline void
live_set(struct aw_relay_table *t, uint32_t slot, bool on)
{
	if (on)
		t->live[slot / 64] |= 1ull << (slot % 64);
	else
		t->live[slot / 64] &= ~(1ull << (slot % 64));
}

static inline struct aw_relay_rate *
rate_at(const struct aw_relay_table *t, uint32_t id)
{
	return &t->rate_chunk[(id - 1) / RATE_CHUNK][(id - 1) % RATE_CHUNK];
}

struct aw_relay_rate *
aw_relay_table_rate(const struct aw_relay_table *t, const struct aw_relay_path *p)
{
	return rate_at(t, p->rate);
}

/* Writers: a rate record (zeroed) from the pool; 0 when out of memory. */
static uint32_t
rate_get(struct aw_relay_table *t)
{
	uint32_t id = t->rate_free;

	if (id != 0) {
		t->rate_free = rate_at(t, id)->next_free;
	} else {
		id = t->rate_fresh;
		uint32_t c = (id - 1) / RATE_CHUNK;
		if (c >= t->n_rate_chunk)
			return 0;
		if (t->rate_chunk[c] == NULL) {
			struct aw_relay_rate *x = rte_zmalloc(
				"aw_relay_rate", sizeof(*x) * RATE_CHUNK, RTE_CACHE_LINE_SIZE);
			if (x == NULL)
				return 0;
			/* lcores see it through a path published after this */
			__atomic_store_n(&t->rate_chunk[c], x, __ATOMIC_RELEASE);
		}
		t->rate_fresh++;
	}
	memset(rate_at(t, id), 0, sizeof(struct aw_relay_rate));
	return id;
}

static void
rate_put(struct aw_relay_table *t, uint32_t id)
{
	if (id == 0)
		return;
	rate_at(t, id)->next_free = t->rate_free;
	t->rate_free = id;
}

static void
release(struct aw_relay_table *t, struct aw_relay_path *p)
{
	struct aw_relay_cold *k = aw_relay_path_cold(t, p);

	memset(k->tkey, 0, sizeof(k->tkey));
	rate_put(t, p->rate);
	p->rate = 0;
	p->ack_seq = t->free_head;
	t->free_head = (uint32_t)(p - t->slabs.hot);
	t->n_free++;
}

void
aw_relay_path_drop(struct aw_relay_table *t, struct aw_relay_path *p)
{
	if (p != NULL)
		release(t, p);
}

static void
dq_free(void *arg, void *e, unsigned n)
{
	struct aw_relay_table *t = arg;
	const uint32_t *slot = e;

	for (unsigned i = 0; i < n; i++)
		release(t, &t->slabs.hot[slot[i]]);
}

/* Everything the readers have let go of, after one grace period. */
static void
reclaim_all(struct aw_relay_table *t)
{
	unsigned freed, pending, avail;

	rte_rcu_qsbr_synchronize(t->rcu, RTE_QSBR_THRID_INVALID);
	rte_rcu_qsbr_dq_reclaim(t->dq, UINT32_MAX, &freed, &pending, &avail);
}

static void
defer(struct aw_relay_table *t, struct aw_relay_path *p)
{
	uint32_t slot = (uint32_t)(p - t->slabs.hot);

	if (t->rcu == NULL) {
		dq_free(t, &slot, 1);
		return;
	}
	if (rte_rcu_qsbr_dq_enqueue(t->dq, &slot) != 0) {
		reclaim_all(t);
		if (rte_rcu_qsbr_dq_enqueue(t->dq, &slot) != 0) /* empty now: cannot fail */
			dq_free(t, &slot, 1);
	}
}

static int
make_dq(struct aw_relay_table *t, const char *name)
{
	char n[RTE_RCU_QSBR_DQ_NAMESIZE];
	uint32_t size = t->max_paths / 32 < 1024 ? 1024 : t->max_paths / 32;
	struct rte_rcu_qsbr_dq_parameters dp = {
		.name = n, .flags = RTE_RCU_QSBR_DQ_MT_UNSAFE, .size = size,
		.esize = sizeof(uint32_t), .trigger_reclaim_limit = size / 2,
		.max_reclaim_size = 256, .free_fn = dq_free, .p = t, .v = t->rcu,
	};

	snprintf(n, sizeof(n), "%s_dq", name);
	if (t->rcu == NULL)
		return 0;
	t->dq = rte_rcu_qsbr_dq_create(&dp);
	return t->dq == NULL ? -1 : 0;
}

struct aw_relay_table *
aw_relay_table_create(const char *name, uint32_t max_paths, struct rte_rcu_qsbr *rcu, char *err,
		      size_t errlen)
{
	struct aw_relay_table *t = rte_zmalloc("aw_relay_table", sizeof(*t), 0);

	if (t == NULL)
		goto nomem;
	t->max_paths = max_paths;
	t->rcu = rcu;
	t->slab_n = max_paths + AW_RELAY_SLAB_SLACK;
	t->slabs.hot = rte_zmalloc("aw_relay_slab", sizeof(*t->slabs.hot) * t->slab_n,
				   RTE_CACHE_LINE_SIZE);
	t->slabs.cold = rte_zmalloc("aw_relay_cold", sizeof(*t->slabs.cold) * t->slab_n, 0);
	t->live = rte_zmalloc("aw_relay_live", sizeof(uint64_t) * (t->slab_n / 64 + 1), 0);
	t->n_rate_chunk = (t->slab_n + 1) / RATE_CHUNK + 1;
	t->rate_chunk = rte_zmalloc("aw_relay_rates", sizeof(*t->rate_chunk) * t->n_rate_chunk, 0);
	t->rate_fresh = 1;
	/* load at most 3/4 (+ 64: small tables) keeps probe sequences short */
	t->idx = ridx_new(max_paths + max_paths / 3 + 64);
	if (t->slabs.hot == NULL || t->slabs.cold == NULL || t->idx == NULL || t->live == NULL ||
	    t->rate_chunk == NULL)
		goto nomem;
	t->free_head = FREE_END;
	t->n_free = t->slab_n;
	if (make_dq(t, name) < 0) {
		snprintf(err, errlen, "trs.max_paths: cannot create a table of %u paths: %s",
			 max_paths, rte_strerror(rte_errno));
		aw_relay_table_free(t);
		return NULL;
	}
	return t;
nomem:
	snprintf(err, errlen, "trs.max_paths: out of memory for %u paths", max_paths);
	aw_relay_table_free(t);
	return NULL;
}

void
aw_relay_table_free(struct aw_relay_table *t)
{
	if (t == NULL)
		return;
	if (t->idx != NULL && t->slabs.hot != NULL && t->slabs.cold != NULL)
		for (uint32_t i = 0; i < t->idx->cap; i++)
			if (ent_live(t->idx->e[i]))
				release(t, &t->slabs.hot[ent_slot(t->idx->e[i])]);
	rte_rcu_qsbr_dq_delete(t->dq); /* reclaims all: lcores are offline */
	rte_free(t->idx);
	rte_free(t->slabs.hot);
	rte_free(t->slabs.cold);
	rte_free(t->live);
	for (uint32_t c = 0; t->rate_chunk != NULL && c < t->n_rate_chunk; c++)
		rte_free(t->rate_chunk[c]);
	rte_free(t->rate_chunk);
	rte_free(t);
}

uint32_t
aw_relay_table_count(const struct aw_relay_table *t)
{
	return t->n;
}

uint32_t
aw_relay_table_max(const struct aw_relay_table *t)
{
	return t->max_paths;
}

/* The meters of a rated entry, from the pool: their id, or 0 with err set. */
static uint32_t
rate_new(struct aw_relay_table *t, const struct aw_relay_entry *e, char *err, size_t errlen)
{
	uint32_t id = rate_get(t);

	if (id == 0) {
		snprintf(err, errlen, "out of memory for a relay path's meters");
		return 0;
	}
	struct aw_relay_rate *x = rate_at(t, id);
	if (e->rate_pps != 0) {
		struct rte_meter_srtcm_params sp = {.cir = e->rate_pps, .cbs = e->rate_burst};
		if (rte_meter_srtcm_profile_config(&x->p_pkts, &sp) != 0 ||
		    rte_meter_srtcm_config(&x->m_pkts, &x->p_pkts) != 0)
			goto bad;
		x->pkts = 1;
	}
	if (e->rate_bytes_s != 0) {
		struct rte_meter_srtcm_params sp = {
			.cir = e->rate_bytes_s, .cbs = (uint64_t)e->rate_burst * PKT_BURST_BYTES};
		if (rte_meter_srtcm_profile_config(&x->p_bytes, &sp) != 0 ||
		    rte_meter_srtcm_config(&x->m_bytes, &x->p_bytes) != 0)
			goto bad;
		x->bytes = 1;
	}
	if (x->pkts | x->bytes)
		return id;
bad:
	snprintf(err, errlen, "rate: the meter refused these parameters");
	rate_put(t, id);
	return 0;
}

struct aw_relay_path *
aw_relay_path_new(struct aw_relay_table *t, const struct aw_relay_entry *e, uint32_t now_s,
		  char *err, size_t errlen)
{
	uint8_t tk[AW_TRS_TKEY_LEN];
	uint32_t x = 0;
	struct aw_relay_path *p;

	if (aw_trs_tkey_init(tk, e->key, e->suite) != 0) {
		snprintf(err, errlen, "tunnel_key: key derivation failed");
		return NULL;
	}
	if (e->has_rate && (x = rate_new(t, e, err, errlen)) == 0)
		return NULL;
	if (t->n_free == 0 && t->rcu != NULL)
		reclaim_all(t);
	if (t->n_free == 0) {
		snprintf(err, errlen, "out of memory for a relay path");
		rate_put(t, x);
		return NULL;
	}
	if (t->free_head != FREE_END) {
		p = &t->slabs.hot[t->free_head];
		t->free_head = p->ack_seq;
	} else {
		p = &t->slabs.hot[t->fresh++];
	}
	t->n_free--;
	struct aw_relay_cold *k = aw_relay_path_cold(t, p);
	memset(p, 0, sizeof(*p));
	memset(k, 0, sizeof(*k));
	memcpy(p->id, e->path_id, sizeof(p->id));
	memcpy(k->tkey, tk, sizeof(tk));
	memset(tk, 0, sizeof(tk));
	p->rate = x;
	p->suite = e->suite;
	p->idle_timeout_s = e->idle_timeout_s;
	p->bind_timeout_s = e->bind_timeout_s;
	p->bind_deadline_s = now_s + e->bind_timeout_s;
	p->last_seen_s = now_s;
	return p;
}

/* Same key and suite: the tag keys are derived from (key, suite) alone. */
struct aw_relay_path *
aw_relay_table_same(const struct aw_relay_table *t, const struct aw_relay_entry *e)
{
	struct aw_relay_path *q = aw_relay_table_find(t, e->path_id);
	uint8_t tk[AW_TRS_TKEY_LEN];
	bool same;

	if (q == NULL || q->suite != e->suite || aw_trs_tkey_init(tk, e->key, e->suite) != 0)
		return NULL;
	same = memcmp(aw_relay_path_cold(t, q)->tkey, tk, sizeof(tk)) == 0;
	memset(tk, 0, sizeof(tk));
	return same ? q : NULL;
}

int
aw_relay_table_insert(struct aw_relay_table *t, const uint8_t path_id[16], struct aw_relay_path *p)
{
	uint32_t h = id_hash(path_id), slot = (uint32_t)(p - t->slabs.hot);
	struct ridx *x = t->idx;
	uint32_t i = ridx_find_from(t, x, path_id, h, home(x, h));

	memcpy(p->id, path_id, sizeof(p->id));
	if (i != UINT32_MAX) {
		struct aw_relay_path *old = &t->slabs.hot[ent_slot(x->e[i])];
		__atomic_store_n(&x->e[i], ent_tag(h) | (slot + 2), __ATOMIC_RELEASE);
		live_set(t, (uint32_t)(old - t->slabs.hot), false);
		live_set(t, slot, true);
		defer(t, old);
		return 1;
	}
	if (t->n >= t->max_paths)
		return -1;
	/* tombstones fill it: rebuild (still room without, when out of memory) */
	if (x->used >= x->cap - x->cap / 8 && ridx_rebuild(t) == 0)
		x = t->idx;
	if (x->used + 1 >= x->cap)
		return -1;
	i = ridx_free_pos(x, h);
	x->used += x->e[i] == E_EMPTY;
	__atomic_store_n(&x->e[i], ent_tag(h) | (slot + 2), __ATOMIC_RELEASE);
	live_set(t, slot, true);
	t->n++;
	return 0;
}

bool
aw_relay_table_del(struct aw_relay_table *t, const uint8_t path_id[16])
{
	uint32_t h = id_hash(path_id);
	struct ridx *x = t->idx;
	uint32_t i = ridx_find_from(t, x, path_id, h, home(x, h));

	if (i == UINT32_MAX)
		return false;
	struct aw_relay_path *p = &t->slabs.hot[ent_slot(x->e[i])];
	__atomic_store_n(&x->e[i], E_TOMB, __ATOMIC_RELEASE);
	live_set(t, (uint32_t)(p - t->slabs.hot), false);
	defer(t, p);
	t->n--;
	return true;
}

struct aw_relay_path *
aw_relay_table_find(const struct aw_relay_table *t, const uint8_t path_id[16])
{
	const struct ridx *x = __atomic_load_n(&t->idx, __ATOMIC_ACQUIRE);
	uint32_t h = id_hash(path_id);
	uint32_t i = ridx_find_from(t, x, path_id, h, home(x, h));

	return i == UINT32_MAX ? NULL : &t->slabs.hot[ent_slot(ent_load(x, i))];
}

int
aw_relay_table_iterate(const struct aw_relay_table *t, uint32_t *next, const uint8_t **id,
		       struct aw_relay_path **p)
{
	uint32_t i = *next;

	while (i < t->fresh) {
		uint64_t w = t->live[i / 64] >> (i % 64);
		if (w == 0) {
			i = (i / 64 + 1) * 64;
			continue;
		}
		i += (uint32_t)__builtin_ctzll(w);
		if (i >= t->fresh)
			break;
		*p = &t->slabs.hot[i];
		*id = (*p)->id;
		*next = i + 1;
		return 0;
	}
	return -1;
}

/*
 * Three passes over the burst: hash and prefetch each home entry; take the
 * first entry with the tag and prefetch its record; compare the PathIDs (a
 * tag that matched another path, 1 in 128 per entry probed, probes on).
 */
void
aw_relay_table_lookup_bulk(const struct aw_relay_table *t, const void **ids, unsigned n,
			   struct aw_relay_path **paths)
{
	const struct ridx *x = __atomic_load_n(&t->idx, __ATOMIC_ACQUIRE);
	uint32_t h[64], pos[64];

	for (unsigned i = 0; i < n; i++) {
		h[i] = id_hash(ids[i]);
		pos[i] = home(x, h[i]);
		rte_prefetch0(&x->e[pos[i]]);
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t j = pos[i], v;
		paths[i] = NULL;
		for (uint32_t k = 0; k < x->cap; k++) {
			v = ent_load(x, j);
			if (v == E_EMPTY)
				break;
			if (ent_match(v, h[i])) {
				paths[i] = &t->slabs.hot[ent_slot(v)];
				rte_prefetch0(paths[i]);
				break;
			}
			if (++j == x->cap)
				j = 0;
		}
		pos[i] = j;
	}
	for (unsigned i = 0; i < n; i++)
		if (paths[i] != NULL && unlikely(!id_eq(paths[i]->id, ids[i]))) {
			uint32_t j = ridx_find_from(t, x, ids[i], h[i], pos[i] + 1 == x->cap ? 0 : pos[i] + 1);
			paths[i] = j == UINT32_MAX ? NULL : &t->slabs.hot[ent_slot(ent_load(x, j))];
		}
}

const char *
aw_relay_path_expiry(const struct aw_relay_path *p, uint32_t now_s)
{
	bool bound = __atomic_load_n(&p->side[0].bind.bound, __ATOMIC_RELAXED) &&
		     __atomic_load_n(&p->side[1].bind.bound, __ATOMIC_RELAXED);
	uint32_t last = __atomic_load_n(&p->last_seen_s, __ATOMIC_RELAXED);

	if (!bound && (int32_t)(now_s - p->bind_deadline_s) >= 0)
		return "bind_timeout";
	if (bound && (int32_t)(now_s - last) >= (int32_t)p->idle_timeout_s)
		return "idle_timeout";
	return NULL;
}
