/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay table (see aw_relay_table.h for the thread contract). */
#include "aw_relay_table.h"

#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#define PKT_BURST_BYTES 1500 /* byte bucket depth per packet of `burst` */
#define NO_KEY_POS      UINT32_MAX

_Static_assert(sizeof(struct aw_relay_path) == 184, "the path record is 184 bytes");
_Static_assert(sizeof(struct aw_relay_side) == 40, "a side is 40 bytes");

struct aw_relay_table {
	struct rte_hash *h;
	struct rte_rcu_qsbr *rcu;      /* NULL: free at once (no readers) */
	struct rte_rcu_qsbr_dq *dq;
	uint32_t max_paths;
	uint32_t n;                    /* installed paths */
	uint32_t slab_n;
	uint32_t n_free;
	struct aw_relay_path *slab;    /* slab_n records */
	uint32_t *free_idx;            /* stack of free record indexes */
};

/* What the defer queue holds: a hash key slot (or none) and a record. */
struct dq_item {
	uint32_t key_pos;
	uint32_t slot;
};

static void
release(struct aw_relay_table *t, struct aw_relay_path *p)
{
	memset(p->tkey, 0, sizeof(p->tkey));
	rte_free(p->rate);
	p->rate = NULL;
	t->free_idx[t->n_free++] = (uint32_t)(p - t->slab);
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
	const struct dq_item *it = e;

	for (unsigned i = 0; i < n; i++) {
		if (it[i].key_pos != NO_KEY_POS)
			rte_hash_free_key_with_position(t->h, (int32_t)it[i].key_pos);
		release(t, &t->slab[it[i].slot]);
	}
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
defer(struct aw_relay_table *t, uint32_t key_pos, struct aw_relay_path *p)
{
	struct dq_item it = {key_pos, (uint32_t)(p - t->slab)};

	if (t->rcu == NULL) {
		dq_free(t, &it, 1);
		return;
	}
	if (rte_rcu_qsbr_dq_enqueue(t->dq, &it) != 0) {
		reclaim_all(t);
		if (rte_rcu_qsbr_dq_enqueue(t->dq, &it) != 0) /* empty now: cannot fail */
			dq_free(t, &it, 1);
	}
}

static int
make_dq(struct aw_relay_table *t, const char *name)
{
	char n[RTE_RCU_QSBR_DQ_NAMESIZE];
	uint32_t size = t->max_paths / 8 < 1024 ? 1024 : t->max_paths / 8;
	struct rte_rcu_qsbr_dq_parameters dp = {
		.name = n, .flags = RTE_RCU_QSBR_DQ_MT_UNSAFE, .size = size,
		.esize = sizeof(struct dq_item), .trigger_reclaim_limit = size / 2,
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
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = max_paths < 8 ? 8 : max_paths,
		.key_len = 16,
		.hash_func = rte_hash_crc, /* SSE4.2 crc32: a quarter of jhash's cost */
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	if (t == NULL)
		goto nomem;
	t->max_paths = max_paths;
	t->rcu = rcu;
	t->slab_n = max_paths + AW_RELAY_SLAB_SLACK;
	t->slab = rte_zmalloc("aw_relay_slab", sizeof(*t->slab) * t->slab_n, RTE_CACHE_LINE_SIZE);
	t->free_idx = rte_malloc("aw_relay_free", sizeof(uint32_t) * t->slab_n, 0);
	if (t->slab == NULL || t->free_idx == NULL)
		goto nomem;
	for (uint32_t i = 0; i < t->slab_n; i++)
		t->free_idx[i] = t->slab_n - 1 - i;
	t->n_free = t->slab_n;
	t->h = rte_hash_create(&hp);
	if (t->h == NULL || make_dq(t, name) < 0) {
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
	uint32_t next = 0;
	const void *key;
	void *data;

	if (t == NULL)
		return;
	if (t->h != NULL)
		while (rte_hash_iterate(t->h, &key, &data, &next) >= 0)
			release(t, data);
	rte_rcu_qsbr_dq_delete(t->dq); /* reclaims all: lcores are offline */
	rte_hash_free(t->h);
	rte_free(t->free_idx);
	rte_free(t->slab);
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

/* The meters of a rated entry; NULL with err set. */
static struct aw_relay_rate *
rate_new(const struct aw_relay_entry *e, char *err, size_t errlen)
{
	struct aw_relay_rate *x = rte_zmalloc("aw_relay_rate", sizeof(*x), RTE_CACHE_LINE_SIZE);

	if (x == NULL) {
		snprintf(err, errlen, "out of memory for a relay path's meters");
		return NULL;
	}
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
		return x;
bad:
	snprintf(err, errlen, "rate: the meter refused these parameters");
	rte_free(x);
	return NULL;
}

struct aw_relay_path *
aw_relay_path_new(struct aw_relay_table *t, const struct aw_relay_entry *e, uint32_t now_s,
		  char *err, size_t errlen)
{
	uint8_t tk[AW_TRS_TKEY_LEN];
	struct aw_relay_rate *x = NULL;
	struct aw_relay_path *p;

	if (aw_trs_tkey_init(tk, e->key, e->suite) != 0) {
		snprintf(err, errlen, "tunnel_key: key derivation failed");
		return NULL;
	}
	if (e->has_rate && (x = rate_new(e, err, errlen)) == NULL)
		return NULL;
	if (t->n_free == 0 && t->rcu != NULL)
		reclaim_all(t);
	if (t->n_free == 0) {
		snprintf(err, errlen, "out of memory for a relay path");
		rte_free(x);
		return NULL;
	}
	p = &t->slab[t->free_idx[--t->n_free]];
	memset(p, 0, sizeof(*p));
	memcpy(p->tkey, tk, sizeof(tk));
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
	same = memcmp(q->tkey, tk, sizeof(tk)) == 0;
	memset(tk, 0, sizeof(tk));
	return same ? q : NULL;
}

int
aw_relay_table_insert(struct aw_relay_table *t, const uint8_t path_id[16], struct aw_relay_path *p)
{
	struct aw_relay_path *old = aw_relay_table_find(t, path_id);

	if (old == NULL && t->n >= t->max_paths)
		return -1;
	if (rte_hash_add_key_data(t->h, path_id, p) < 0) {
		/* Free key slots may all wait in the defer queue. */
		if (t->rcu != NULL)
			reclaim_all(t);
		if (rte_hash_add_key_data(t->h, path_id, p) < 0)
			return -1;
	}
	if (old != NULL) {
		defer(t, NO_KEY_POS, old);
		return 1;
	}
	t->n++;
	return 0;
}

bool
aw_relay_table_del(struct aw_relay_table *t, const uint8_t path_id[16])
{
	struct aw_relay_path *p = aw_relay_table_find(t, path_id);
	int32_t pos;

	if (p == NULL || (pos = rte_hash_del_key(t->h, path_id)) < 0)
		return false;
	defer(t, (uint32_t)pos, p);
	t->n--;
	return true;
}

struct aw_relay_path *
aw_relay_table_find(const struct aw_relay_table *t, const uint8_t path_id[16])
{
	void *d;
	return rte_hash_lookup_data(t->h, path_id, &d) >= 0 ? d : NULL;
}

int
aw_relay_table_iterate(const struct aw_relay_table *t, uint32_t *next, const uint8_t **id,
		       struct aw_relay_path **p)
{
	const void *k;
	void *d;

	if (rte_hash_iterate(t->h, &k, &d, next) < 0)
		return -1;
	*id = k;
	*p = d;
	return 0;
}

/* The table's hash of a PathID: what rte_hash_crc(id, 16, 0) computes (the
 * table's hash_func), two 8-byte CRC steps, inline. */
static inline hash_sig_t
id_hash(const void *id)
{
	uint64_t w[2];

	memcpy(w, id, 16);
	return rte_hash_crc_8byte(w[1], rte_hash_crc_8byte(w[0], 0));
}

void
aw_relay_table_lookup_bulk(const struct aw_relay_table *t, const void **ids, unsigned n,
			   struct aw_relay_path **paths)
{
	uint64_t hits = 0;
	void *data[RTE_HASH_LOOKUP_BULK_MAX];
	hash_sig_t sig[RTE_HASH_LOOKUP_BULK_MAX];

	if (n == 0)
		return;
	for (unsigned i = 0; i < n; i++)
		sig[i] = id_hash(ids[i]);
	rte_hash_lookup_with_hash_bulk_data(t->h, ids, sig, n, &hits, data);
	for (unsigned i = 0; i < n; i++)
		paths[i] = (hits >> i) & 1 ? data[i] : NULL;
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
