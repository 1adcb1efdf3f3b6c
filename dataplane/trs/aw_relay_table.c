/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay table (see aw_relay_table.h for the thread contract). */
#include "aw_relay_table.h"

#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#define PKT_BURST_BYTES 1500 /* byte bucket depth per packet of `burst` */

struct aw_relay_table {
	struct rte_hash *h;
	struct rte_rcu_qsbr *rcu;
	uint32_t max_paths;
	uint32_t n; /* installed paths (rte_hash_count also counts slots awaiting RCU) */
};

void
aw_relay_path_free(struct aw_relay_path *p)
{
	if (p == NULL)
		return;
	aw_trs_key_wipe(&p->ctx->key);
	memset(p->ctx->key_raw, 0, sizeof(p->ctx->key_raw));
	rte_free(p->ctx);
	rte_free(p);
}

/* RCU defer-queue callback: the key slot's data after the grace period. */
static void
free_path_cb(void *arg, void *data)
{
	(void)arg;
	aw_relay_path_free(data);
}

struct aw_relay_table *
aw_relay_table_create(const char *name, uint32_t max_paths, struct rte_rcu_qsbr *rcu, char *err,
		      size_t errlen)
{
	struct aw_relay_table *t = rte_zmalloc("aw_relay_table", sizeof(*t), 0);
	struct rte_hash_parameters hp = {
		.name = name,
		/* slack for key slots still in the RCU defer queue */
		.entries = max_paths + max_paths / 16 + 64,
		.key_len = 16,
		.hash_func = rte_jhash,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct rte_hash_rcu_config rc = {
		.v = rcu,
		.mode = RTE_HASH_QSBR_MODE_DQ,
		.free_key_data_func = free_path_cb,
	};

	if (t == NULL) {
		snprintf(err, errlen, "trs: out of memory for the relay table");
		return NULL;
	}
	t->max_paths = max_paths;
	t->rcu = rcu;
	t->h = rte_hash_create(&hp);
	if (t->h == NULL) {
		snprintf(err, errlen, "trs.max_paths: cannot create a table of %u paths: %s",
			 max_paths, rte_strerror(rte_errno));
		rte_free(t);
		return NULL;
	}
	if (rcu != NULL && rte_hash_rcu_qsbr_add(t->h, &rc) != 0) {
		snprintf(err, errlen, "trs: cannot attach RCU to the relay table: %s",
			 rte_strerror(rte_errno));
		rte_hash_free(t->h);
		rte_free(t);
		return NULL;
	}
	return t;
}

void
aw_relay_table_free(struct aw_relay_table *t)
{
	uint32_t next = 0;
	const void *key;
	void *data;

	if (t == NULL)
		return;
	while (rte_hash_iterate(t->h, &key, &data, &next) >= 0)
		aw_relay_path_free(data);
	rte_hash_free(t->h); /* reclaims the defer queue: lcores are offline */
	rte_free(t);
}

uint32_t
aw_relay_table_count(const struct aw_relay_table *t)
{
	return t->n;
}

static int
meter_init(struct aw_relay_ctx *x, const struct aw_relay_entry *e, struct aw_relay_path *p,
	   char *err, size_t errlen)
{
	if (e->rate_pps != 0) {
		struct rte_meter_srtcm_params sp = {.cir = e->rate_pps, .cbs = e->rate_burst};
		if (rte_meter_srtcm_profile_config(&x->p_pkts, &sp) != 0 ||
		    rte_meter_srtcm_config(&x->m_pkts, &x->p_pkts) != 0)
			goto bad;
		p->rate_pkts = 1;
	}
	if (e->rate_bytes_s != 0) {
		struct rte_meter_srtcm_params sp = {
			.cir = e->rate_bytes_s, .cbs = (uint64_t)e->rate_burst * PKT_BURST_BYTES};
		if (rte_meter_srtcm_profile_config(&x->p_bytes, &sp) != 0 ||
		    rte_meter_srtcm_config(&x->m_bytes, &x->p_bytes) != 0)
			goto bad;
		p->rate_bytes = 1;
	}
	p->has_rate = p->rate_pkts | p->rate_bytes;
	return 0;
bad:
	snprintf(err, errlen, "rate: the meter refused these parameters");
	return -1;
}

struct aw_relay_path *
aw_relay_path_new(const struct aw_relay_entry *e, uint32_t now_s, char *err, size_t errlen)
{
	struct aw_relay_path *p = rte_zmalloc("aw_relay_path", sizeof(*p), RTE_CACHE_LINE_SIZE);
	struct aw_relay_ctx *x = rte_zmalloc("aw_relay_ctx", sizeof(*x), RTE_CACHE_LINE_SIZE);

	if (p == NULL || x == NULL) {
		snprintf(err, errlen, "out of memory for a relay path");
		goto fail;
	}
	if (aw_trs_key_init(&x->key, e->key, e->suite) != 0) {
		snprintf(err, errlen, "tunnel_key: key derivation failed");
		goto fail;
	}
	memcpy(x->key_raw, e->key, sizeof(x->key_raw));
	p->ctx = x;
	p->suite = e->suite;
	p->idle_timeout_s = e->idle_timeout_s;
	p->bind_timeout_s = e->bind_timeout_s;
	p->bind_deadline_s = now_s + e->bind_timeout_s;
	p->last_seen_s = now_s;
	if (e->has_rate && meter_init(x, e, p, err, errlen) < 0)
		goto fail;
	return p;
fail:
	rte_free(x);
	rte_free(p);
	return NULL;
}

struct aw_relay_path *
aw_relay_table_same(const struct aw_relay_table *t, const struct aw_relay_entry *e)
{
	struct aw_relay_path *q = aw_relay_table_find(t, e->path_id);

	if (q != NULL && q->suite == e->suite &&
	    memcmp(q->ctx->key_raw, e->key, sizeof(e->key)) == 0)
		return q;
	return NULL;
}

int
aw_relay_table_insert(struct aw_relay_table *t, const uint8_t path_id[16],
		      struct aw_relay_path *p, struct aw_relay_path **old)
{
	*old = aw_relay_table_find(t, path_id);
	if (*old == NULL && t->n >= t->max_paths)
		return -1;
	if (rte_hash_add_key_data(t->h, path_id, p) < 0) {
		/* Free slots may all sit in the defer queue: wait for the
		 * readers once, then the add reclaims them. */
		if (t->rcu != NULL)
			rte_rcu_qsbr_synchronize(t->rcu, RTE_QSBR_THRID_INVALID);
		if (rte_hash_add_key_data(t->h, path_id, p) < 0)
			return -1;
	}
	t->n += *old == NULL;
	return 0;
}

uint32_t
aw_relay_table_max(const struct aw_relay_table *t)
{
	return t->max_paths;
}

bool
aw_relay_table_del(struct aw_relay_table *t, const uint8_t path_id[16])
{
	if (rte_hash_del_key(t->h, path_id) < 0)
		return false;
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

void
aw_relay_table_lookup_bulk(const struct aw_relay_table *t, const void **ids, unsigned n,
			   struct aw_relay_path **paths)
{
	uint64_t hits = 0;
	void *data[RTE_HASH_LOOKUP_BULK_MAX];

	if (n == 0)
		return;
	rte_hash_lookup_bulk_data(t->h, ids, n, &hits, data);
	for (unsigned i = 0; i < n; i++)
		paths[i] = (hits >> i) & 1 ? data[i] : NULL;
}

const char *
aw_relay_path_expiry(const struct aw_relay_path *p, uint32_t now_s)
{
	bool bound = p->side[0].bind.bound && p->side[1].bind.bound;
	uint32_t last = __atomic_load_n(&p->last_seen_s, __ATOMIC_RELAXED);

	if (!bound && (int32_t)(now_s - p->bind_deadline_s) >= 0)
		return "bind_timeout";
	if (bound && (int32_t)(now_s - last) >= (int32_t)p->idle_timeout_s)
		return "idle_timeout";
	return NULL;
}
