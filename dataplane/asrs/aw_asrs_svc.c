/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ASRS service map and listener table.
 *
 * Services: an immutable struct aw_svc per service (destinations sorted by
 * priority, the preferred group's weighted Maglev table inside the object),
 * found by SID in an rte_hash with lock-free readers
 * (RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF). A change stores a new object's
 * pointer in the hash entry (one atomic store); the old object, and the key
 * slot of a deleted SID, go to an RCU defer queue and are freed once every
 * lcore has passed a quiescent state — the API thread never blocks on a
 * grace period unless that queue is full.
 *
 * Listeners: an immutable open-addressing table (VIP, proto, port) → SID,
 * rebuilt on each change and published by pointer (old one deferred the same
 * way). Each listener also gets an alias slot keyed by (family, proto, port)
 * only: traffic to the instance's own unicast address on that port is served
 * like traffic to the first such listener whose VIP answers AARP (SPEC §4.6).
 *
 * Only the preferred group (the lowest priority value among destinations of
 * weight > 0) gets a Maglev table, whose entries index dests[]. Weight 0 is
 * drained (SPEC §11): the destination stays listed and its sessions keep it,
 * but no new flow picks it; a service whose destinations all have weight 0
 * refuses new flows like one without destinations (no_destination). A group
 * cannot empty without a map change, which builds a new object.
 *
 * Contract: aw_svc_init / _fini on the main thread; every other writer call
 * on the API thread (the only writer); aw_svc_find / aw_lsn_lookup from any
 * lcore between its quiescent states.
 */
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_addrset.h"
#include "aw_asrs_priv.h"
#include "aw_asrs_svcstats.h"
#include "aw_maglev.h"
#include "aw_msg_dest.h"

enum { DQ_SVC = 0, DQ_SVC_KEY = 1, DQ_LSN = 2 };

struct svc_dq_elem {
	void *ptr;
	int32_t pos;
	uint32_t kind;
};

static void
lsn_table_free(struct aw_lsn_table *t)
{
	if (t == NULL)
		return;
	free(t->list);
	free(t);
}

static void
svc_dq_free(void *p, void *e, unsigned n)
{
	struct aw_asrs *a = p;
	struct svc_dq_elem *el = e;

	for (unsigned i = 0; i < n; i++) {
		if (el[i].kind == DQ_LSN) {
			lsn_table_free(el[i].ptr);
			continue;
		}
		free(el[i].ptr);
		if (el[i].kind == DQ_SVC_KEY)
			rte_hash_free_key_with_position(a->svc, el[i].pos);
	}
}

/* Frees after a grace period; blocks in synchronize only when the defer
 * queue is full. */
static void
defer_free(struct aw_asrs *a, void *ptr, int32_t pos, uint32_t kind)
{
	struct svc_dq_elem el = {.ptr = ptr, .pos = pos, .kind = kind};

	if (rte_rcu_qsbr_dq_enqueue(a->svc_dq, &el) == 0)
		return;
	rte_rcu_qsbr_synchronize(a->dp->rcu, RTE_QSBR_THRID_INVALID);
	svc_dq_free(a, &el, 1);
}

void
aw_svc_reclaim(struct aw_asrs *a)
{
	rte_rcu_qsbr_dq_reclaim(a->svc_dq, UINT32_MAX, NULL, NULL, NULL);
}

/* The one canonical destination order (lib/proto aw_msg_dest.h): priority,
 * then the Maglev key, so every instance builds the same table. */
static int
dest_cmp(const void *x, const void *y)
{
	const struct aw_asrs_dest *a = x, *b = y;
	const struct aw_msg_dest ma = {a->addr, a->port, a->priority, a->weight};
	const struct aw_msg_dest mb = {b->addr, b->port, b->priority, b->weight};

	return aw_msg_dest_cmp(&ma, &mb);
}

/* The preferred group: the lowest priority among destinations of weight > 0
 * (weight 0 = drained: listed, never picked for a new flow); its indices into
 * the sorted dests in idx[]. Returns its size (0: nothing takes new flows). */
static unsigned
pref_group(const struct aw_svc_conf *sc, uint16_t *idx)
{
	unsigned n = 0;
	int prio = -1;

	for (unsigned i = 0; i < sc->n_dests; i++) {
		if (sc->dests[i].weight == 0)
			continue;
		if (prio < 0)
			prio = sc->dests[i].priority;
		if (sc->dests[i].priority == prio)
			idx[n++] = (uint16_t)i;
	}
	return n;
}

static struct aw_svc *
svc_build(const struct aw_svc_conf *sc, char *err, size_t errlen)
{
	unsigned n = sc->n_dests, pref = 0;
	struct aw_maglev_dest md[AW_ASRS_MAX_DESTS];
	uint16_t idx[AW_ASRS_MAX_DESTS];
	uint32_t size = 0;

	if (n > 0) {
		qsort(sc->dests, n, sizeof(*sc->dests), dest_cmp); /* the caller's copy */
		pref = pref_group(sc, idx);
		size = pref > 0 ? aw_next_prime(RTE_MAX(257u, 257u * pref)) : 0;
	}
	size_t off = sizeof(struct aw_svc) + n * sizeof(struct aw_asrs_dest);
	struct aw_svc *s = calloc(1, off + ((size_t)size + n) * sizeof(uint16_t));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->sid = sc->sid;
	s->n_dests = (uint16_t)n;
	s->n_pref = (uint16_t)pref;
	s->uri_len = sc->uri_len;
	memcpy(s->uri, sc->uri, sc->uri_len);
	if (n > 0)
		memcpy(s->dests, sc->dests, n * sizeof(*sc->dests));
	s->table_size = size;
	s->table = (uint16_t *)((uint8_t *)s + off);
	s->stat_k = s->table + size; /* set by aw_svcstats_bind */
	for (unsigned i = 0; i < pref; i++)
		md[i] = (struct aw_maglev_dest){sc->dests[idx[i]].addr, sc->dests[idx[i]].port,
						sc->dests[idx[i]].weight};
	if (pref > 0 && aw_maglev_build(md, pref, s->table, size, err, errlen) < 0) {
		free(s);
		return NULL;
	}
	for (uint32_t k = 0; k < size; k++) /* group position → index into dests */
		s->table[k] = idx[s->table[k]];
	return s;
}

int
aw_svc_set_batch(struct aw_asrs *a, const struct aw_svc_conf *sc, unsigned n, char *err,
		 size_t errlen)
{
	struct aw_svc **built = calloc(n ? n : 1, sizeof(*built));
	unsigned fresh = 0;
	char e[200];

	if (built == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	for (unsigned i = 0; i < n; i++) {
		const struct aw_svc *old = aw_svc_find(a, sc[i].sid);
		if (old != NULL && (old->uri_len != sc[i].uri_len ||
				    memcmp(old->uri, sc[i].uri, old->uri_len) != 0)) {
			snprintf(err, errlen, "service %s: its SID collides with service %s", sc[i].uri,
				 old->uri);
			goto fail;
		}
		fresh += old == NULL;
		built[i] = svc_build(&sc[i], e, sizeof(e));
		if (built[i] == NULL) {
			snprintf(err, errlen, "service %s: %s", sc[i].uri, e);
			goto fail;
		}
	}
	if (a->n_svc + fresh > a->conf->max_services) {
		snprintf(err, errlen, "%u more services exceed asrs.max_services %u (%u in use)",
			 fresh, a->conf->max_services, a->n_svc);
		goto fail;
	}
	for (unsigned i = 0; i < n; i++) {
		struct aw_svc *old = (struct aw_svc *)aw_svc_find(a, sc[i].sid);
		/* Cannot fail: the table has room (EXT_TABLE, counted above). */
		aw_svcstats_bind(a, built[i], old);
		rte_hash_add_key_data(a->svc, &sc[i].sid, built[i]);
		if (old != NULL)
			defer_free(a, old, -1, DQ_SVC);
		else
			a->n_svc++;
	}
	free(built);
	return 0;
fail:
	for (unsigned i = 0; i < n; i++)
		free(built[i]);
	free(built);
	return -1;
}

unsigned
aw_svc_del_batch(struct aw_asrs *a, const uint64_t *sids, unsigned n)
{
	unsigned removed = 0;

	for (unsigned i = 0; i < n; i++) {
		struct aw_svc *old = (struct aw_svc *)aw_svc_find(a, sids[i]);
		if (old == NULL)
			continue;
		aw_svcstats_retire(a, old);
		int32_t pos = rte_hash_del_key(a->svc, &sids[i]);
		defer_free(a, old, pos, pos >= 0 ? DQ_SVC_KEY : DQ_SVC);
		a->n_svc--;
		removed++;
	}
	return removed;
}

/* ---- listeners ---- */
static uint32_t
lsn_hash(const uint8_t *b, uint8_t family, uint8_t proto, uint16_t port_be, uint8_t alias)
{
	uint32_t h = alias ? 0x5a5a : aw_addr_hash(b, family);
	return rte_hash_crc_4byte((uint32_t)port_be << 16 | (uint32_t)proto << 8 | family, h);
}

const struct aw_lsn_slot *
aw_lsn_lookup(const struct aw_lsn_table *t, const uint8_t *addr, uint8_t family, uint8_t proto,
	      uint16_t port_be)
{
	uint8_t alias = addr == NULL;
	uint32_t i = lsn_hash(addr, family, proto, port_be, alias) & t->mask;

	for (;;) {
		const struct aw_lsn_slot *s = &t->slot[i];
		if (s->family == 0)
			return NULL;
		if (s->family == family && s->proto == proto && s->port_be == port_be &&
		    s->alias == alias &&
		    (alias || (family == AW_AF_INET4 ? memcmp(s->b, addr, 4) == 0
						     : memcmp(s->b, addr, 16) == 0)))
			return s;
		i = (i + 1) & t->mask;
	}
}

const struct aw_lsn_slot *
aw_lsn_alias(const struct aw_lsn_table *t, const struct aw_addrset *as, uint8_t family,
	     uint8_t proto, uint16_t port_be)
{
	uint32_t i = lsn_hash(NULL, family, proto, port_be, 1) & t->mask;

	for (;; i = (i + 1) & t->mask) {
		const struct aw_lsn_slot *s = &t->slot[i];
		if (s->family == 0)
			return NULL;
		if (s->family != family || s->proto != proto || s->port_be != port_be || !s->alias)
			continue;
		const struct aw_addrset_entry *e = aw_addrset_lookup(as, s->vip, family);
		if (e != NULL && (e->flags & AW_ADDR_AARP))
			return s;
	}
}

static void
lsn_put(struct aw_lsn_table *t, const struct aw_lsn_conf *l, uint8_t alias)
{
	uint16_t port_be = rte_cpu_to_be_16(l->port);
	uint8_t fam = l->vip.family;

	uint32_t i = lsn_hash(l->vip.b, fam, l->proto, port_be, alias) & t->mask;
	while (t->slot[i].family != 0)
		i = (i + 1) & t->mask;
	struct aw_lsn_slot *s = &t->slot[i];
	if (!alias)
		memcpy(s->b, l->vip.b, 16);
	memcpy(s->vip, l->vip.b, 16);
	s->family = fam;
	s->proto = l->proto;
	s->port_be = port_be;
	s->alias = alias;
	s->sid = l->sid;
	s->synproxy = l->synproxy;
}

static struct aw_lsn_table *
lsn_build(const struct aw_lsn_conf *list, unsigned n)
{
	uint32_t slots = rte_align32pow2(RTE_MAX(8u, 4 * n));
	struct aw_lsn_table *t = calloc(1, sizeof(*t) + slots * sizeof(struct aw_lsn_slot));

	if (t == NULL)
		return NULL;
	t->mask = slots - 1;
	t->n = n;
	t->list = calloc(n ? n : 1, sizeof(*list));
	if (t->list == NULL) {
		free(t);
		return NULL;
	}
	if (n > 0)
		memcpy(t->list, list, n * sizeof(*list));
	for (unsigned i = 0; i < n; i++)
		lsn_put(t, &list[i], 0);
	for (unsigned i = 0; i < n; i++)
		lsn_put(t, &list[i], 1);
	return t;
}

static bool
lsn_same(const struct aw_lsn_conf *a, const struct aw_lsn_conf *b)
{
	return aw_addr_eq(&a->vip, &b->vip) && a->proto == b->proto && a->port == b->port;
}

int
aw_lsn_update(struct aw_asrs *a, const struct aw_lsn_conf *l, bool add, bool *existed, char *err,
	      size_t errlen)
{
	const struct aw_lsn_table *cur = a->lsn;
	struct aw_lsn_conf *list = calloc(cur->n + 1, sizeof(*list));
	unsigned n = 0;

	if (list == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	*existed = false;
	for (unsigned i = 0; i < cur->n; i++) {
		if (lsn_same(&cur->list[i], l)) {
			*existed = true;
			if (add)
				list[n++] = *l; /* replaced in place */
			continue;
		}
		list[n++] = cur->list[i];
	}
	if (add && !*existed) {
		if (n >= AW_ASRS_MAX_LISTENERS) {
			free(list);
			return snprintf(err, errlen, "at most %d listeners", AW_ASRS_MAX_LISTENERS), -1;
		}
		list[n++] = *l;
	}
	if (!add && !*existed) {
		free(list);
		return 0;
	}
	struct aw_lsn_table *next = lsn_build(list, n);
	free(list);
	if (next == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	__atomic_store_n(&a->lsn, next, __ATOMIC_RELEASE);
	defer_free(a, (void *)(uintptr_t)cur, -1, DQ_LSN);
	return 0;
}

int
aw_svc_init(struct aw_asrs *a, char *err, size_t errlen)
{
	const struct aw_asrs_conf *ac = a->conf;
	struct rte_hash_parameters hp = {
		.name = "aw_asrs_svc",
		.entries = RTE_MAX(64u, ac->max_services),
		.key_len = sizeof(uint64_t),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	uint32_t want = RTE_MIN(ac->max_services * 2u, 1u << 20);
	uint32_t dq_size = rte_align32pow2(RTE_MAX(1024u, want));
	struct rte_rcu_qsbr_dq_parameters dp = {
		.name = "aw_asrs_svc_dq",
		.size = dq_size,
		.esize = sizeof(struct svc_dq_elem),
		.trigger_reclaim_limit = 0,
		.max_reclaim_size = dq_size,
		.free_fn = svc_dq_free,
		.p = a,
		.v = a->dp->rcu,
	};

	a->svc = rte_hash_create(&hp);
	a->svc_dq = a->svc != NULL ? rte_rcu_qsbr_dq_create(&dp) : NULL;
	a->lsn = lsn_build(ac->listeners, ac->n_listeners);
	if (a->svc == NULL || a->svc_dq == NULL || a->lsn == NULL) {
		snprintf(err, errlen, "asrs: cannot create the service tables: %s",
			 rte_strerror(rte_errno));
		return -1;
	}
	if (ac->n_services > 0 && aw_svc_set_batch(a, ac->services, ac->n_services, err, errlen) < 0)
		return -1;
	return 0;
}

void
aw_svc_fini(struct aw_asrs *a)
{
	if (a->svc_dq != NULL)
		rte_rcu_qsbr_dq_delete(a->svc_dq);
	if (a->svc != NULL) {
		const void *k;
		void *d;
		uint32_t it = 0;
		while (rte_hash_iterate(a->svc, &k, &d, &it) >= 0)
			free(d);
		rte_hash_free(a->svc);
	}
	lsn_table_free(a->lsn);
}
