/* SPDX-License-Identifier: BSD-3-Clause */
/* The gateway's two lock-free hash tables and their one update function
 * (see aw_gw_table.h for the thread contract). */
#include "aw_gw_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_random.h>

struct aw_gw_table {
	struct rte_hash *by_id;   /* PathID (16 bytes) -> path */
	struct rte_hash *by_node; /* struct aw_addr (20 bytes) -> path */
	struct rte_rcu_qsbr *rcu;
	uint32_t max, n;
	uint64_t next_key_id; /* writer only */
};

static struct rte_hash *
make_hash(const char *name, const char *suffix, uint32_t entries, uint32_t key_len)
{
	char n[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = n,
		.entries = entries < 8 ? 8 : entries,
		.key_len = key_len,
		.hash_func = rte_jhash,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	snprintf(n, sizeof(n), "%s_%s", name, suffix);
	return rte_hash_create(&hp);
}

struct aw_gw_table *
aw_gw_table_create(const char *name, uint32_t max_paths, struct rte_rcu_qsbr *rcu, char *err,
		   size_t errlen)
{
	struct aw_gw_table *t = rte_zmalloc("aw_gw_table", sizeof(*t), 0);

	if (t == NULL) {
		snprintf(err, errlen, "gateway: out of memory");
		return NULL;
	}
	t->rcu = rcu;
	t->max = max_paths;
	t->by_id = make_hash(name, "id", max_paths, 16);
	t->by_node = make_hash(name, "node", max_paths, sizeof(struct aw_addr));
	if (t->by_id == NULL || t->by_node == NULL) {
		snprintf(err, errlen, "gateway.max_paths: cannot create a table of %u paths: %s",
			 max_paths, rte_strerror(rte_errno));
		aw_gw_table_free(t);
		return NULL;
	}
	return t;
}

static void
path_free(struct aw_gw_path *p)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
}

void
aw_gw_table_free(struct aw_gw_table *t)
{
	uint32_t next = 0;
	const void *k;
	void *d;

	if (t == NULL)
		return;
	while (t->by_id != NULL && rte_hash_iterate(t->by_id, &k, &d, &next) >= 0)
		path_free(d);
	rte_hash_free(t->by_id);
	rte_hash_free(t->by_node);
	rte_free(t);
}

size_t
aw_gw_path_bytes(void)
{
	/* the record with the C heap's 16-byte chunk header, rounded to 16; per
	 * hash: the key slot (key + data pointer) and one 8-byte bucket entry
	 * (signature + index) at the table's full load */
	size_t rec = (sizeof(struct aw_gw_path) + 16 + 15) / 16 * 16;
	return rec + (16 + 8 + 8) + (sizeof(struct aw_addr) + 8 + 8);
}

uint32_t
aw_gw_table_count(const struct aw_gw_table *t)
{
	return t->n;
}

struct aw_gw_path *
aw_gw_table_find(const struct aw_gw_table *t, const uint8_t id[16])
{
	void *d;

	return rte_hash_lookup_data(t->by_id, id, &d) >= 0 ? d : NULL;
}

struct aw_gw_path *
aw_gw_table_by_node(const struct aw_gw_table *t, const struct aw_addr *node)
{
	void *d;

	return rte_hash_lookup_data(t->by_node, node, &d) >= 0 ? d : NULL;
}

int
aw_gw_table_iterate(const struct aw_gw_table *t, uint32_t *next, struct aw_gw_path **p)
{
	const void *k;
	void *d;

	if (rte_hash_iterate(t->by_id, &k, &d, next) < 0)
		return -1;
	*p = d;
	return 0;
}

void
aw_gw_table_lookup_bulk(const struct aw_gw_table *t, const void **ids, unsigned n,
			struct aw_gw_path **paths)
{
	uint64_t hits = 0;

	if (n == 0)
		return;
	rte_hash_lookup_bulk_data(t->by_id, ids, n, &hits, (void **)paths);
	for (unsigned i = 0; i < n; i++)
		if (!(hits & (1ULL << i)))
			paths[i] = NULL;
}

/* Paths live in the C heap (a small record, read by lcores through the
 * hashes and freed only after a grace period). */
static struct aw_gw_path *
path_new(struct aw_gw_table *t, const struct aw_gw_entry *e, char *err, size_t errlen)
{
	struct aw_gw_path *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (aw_trs_kdf(e->key, p->enc, p->mac) != AW_TRS_OK) {
		free(p);
		snprintf(err, errlen, "end_key: key derivation failed");
		return NULL;
	}
	p->key_id = ++t->next_key_id;
	memcpy(p->path_id, e->path_id, 16);
	p->node = e->node;
	p->suite = e->suite;
	p->idle_timeout_s = e->idle_timeout_s;
	p->txid = (uint32_t)rte_rand(); /* a new txid per install: no nonce reused */
	aw_replay_init(&p->win);
	return p;
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

struct retired {
	struct aw_gw_path *p;
	int32_t id_pos, node_pos; /* key slots to give back, or -1 */
};

/* Removes path p from both hashes; its slots and memory go to r. */
static void
unlink_path(struct aw_gw_table *t, struct aw_gw_path *p, bool keep_id, struct retired *r)
{
	r->p = p;
	r->id_pos = keep_id ? -1 : rte_hash_del_key(t->by_id, p->path_id);
	r->node_pos = rte_hash_del_key(t->by_node, &p->node);
}

static void
reclaim(struct aw_gw_table *t, struct retired *r, unsigned n)
{
	if (n == 0)
		return;
	rte_rcu_qsbr_synchronize(t->rcu, RTE_QSBR_THRID_INVALID);
	for (unsigned i = 0; i < n; i++) {
		if (r[i].id_pos >= 0)
			rte_hash_free_key_with_position(t->by_id, r[i].id_pos);
		if (r[i].node_pos >= 0)
			rte_hash_free_key_with_position(t->by_node, r[i].node_pos);
		path_free(r[i].p);
	}
}

int
aw_gw_table_commit(struct aw_gw_table *t, const struct aw_gw_entry *add, unsigned n_add,
		   const uint8_t (*del)[16], unsigned n_del, const char *what, bool *existed,
		   unsigned *removed, char *err, size_t errlen)
{
	struct aw_gw_path **np = calloc(n_add ? n_add : 1, sizeof(*np));
	struct retired *old = calloc(n_add + n_del + 1, sizeof(*old));
	unsigned n_old = 0, gone = 0, i;
	char e2[128];

	if (np == NULL || old == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (validate(t, add, n_add, del, n_del, what, err, errlen) < 0)
		goto fail;
	for (i = 0; i < n_add; i++) {
		const struct aw_gw_path *cur = aw_gw_table_find(t, add[i].path_id);
		bool same = cur != NULL && same_entry(cur, &add[i]);
		if (existed != NULL)
			existed[i] = same;
		if (!same && (np[i] = path_new(t, &add[i], e2, sizeof(e2))) == NULL) {
			snprintf(err, errlen, "%s[%u].%s", what, i, e2);
			goto undo;
		}
	}
	/* Nothing can fail from here: deletions first (they may free node addresses) */
	for (unsigned d = 0; d < n_del; d++) {
		struct aw_gw_path *p = aw_gw_table_find(t, del[d]);
		if (p != NULL) {
			unlink_path(t, p, false, &old[n_old++]);
			t->n--;
			gone++;
		}
	}
	for (i = 0; i < n_add; i++) {
		if (np[i] == NULL)
			continue;
		struct aw_gw_path *cur = aw_gw_table_find(t, add[i].path_id);
		if (cur != NULL)
			unlink_path(t, cur, true, &old[n_old++]);
		else
			t->n++;
		/* room was checked: both adds succeed (EXT_TABLE buckets) */
		rte_hash_add_key_data(t->by_id, np[i]->path_id, np[i]);
		rte_hash_add_key_data(t->by_node, &np[i]->node, np[i]);
	}
	reclaim(t, old, n_old);
	if (removed != NULL)
		*removed = gone;
	free(np);
	free(old);
	return 0;
undo:
	for (unsigned j = 0; j < n_add; j++)
		path_free(np[j]);
fail:
	free(np);
	free(old);
	return -1;
}
