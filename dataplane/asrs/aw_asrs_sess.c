/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ASRS sessions (SPEC §4.4): a preallocated array of session slots, each
 * reachable through the lookup table (aw_asrs_stab.h) by two keys — the
 * client-side 5-tuple and the destination-side 5-tuple, each as the packet
 * arrives — as the reference (slot << 1 | 1 for the reply side).
 *
 * Free slots: a list linked through the free slots themselves (no memory
 * of its own), under a lock taken once per AW_ASRS_STASH / 2 slots, with a
 * small per-lcore stash; `max_sessions` is enforced exactly by one atomic
 * count (creation is the slow path; the lookup table always has room for
 * every slot's two keys).
 * Expiry: each processing lcore examines the slots of its own slice at a pace
 * set by time, not by loops (aw_sess_age): one pass over the slice per
 * AW_ASRS_AGE_PASS_MAX_S, or per quarter of the shortest timeout if that is
 * shorter, and never more than AW_ASRS_AGE_PER_TICK slots in one loop (a
 * slice too large for that pace takes longer passes). A session expires
 * within a pass period of its timeout. An expired session's keys are deleted
 * at once and its slot goes to the lcore's RCU defer queue, freed after every
 * lcore has passed a quiescent state.
 *
 * SNAT ports: each processing lcore owns a contiguous part of the port range
 * (no other lcore allocates from it); a port is free toward a destination
 * when the reply key (dest, snat, dport, port) is absent — ports are reused
 * toward different destinations (endpoint-dependent allocation). Each
 * partition counts its ports in use per (SNAT address, destination address,
 * port, protocol) pair (lib/asrs/aw_snat_pairs.h), so a new session toward an
 * exhausted pair fails at once instead of probing, and its sessions per port
 * (any pair), so a port no session uses is taken without probing the session
 * table (a client session whose key could equal a reply key counts in its
 * port too: aw_snat_client_hold);
 * the counts are under the partition's lock, taken by the owning lcore when it
 * creates a session and by whichever lcore expires one of the partition's
 * sessions.
 *
 * With one processing lcore (aw_asrs.one_writer: it alone creates, expires
 * and frees sessions) the free-list and SNAT locks are not taken, the
 * session count is a plain (atomic-width) store, and the lookup table's
 * writers store without compare-and-swap (aw_asrs_stab.h).
 *
 * Contract: aw_sess_init / _fini on the main thread (lcores stopped);
 * everything else on the processing lcore owning `l`.
 */
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "aw_asrs_stab.h"
#include "aw_asrs_svcstats.h"
#include "aw_asrs_synproxy.h"

_Static_assert(sizeof(struct aw_sess) <= 84, "session slot grew past 84 bytes (SPEC §10: "
	       "96 bytes per session with its lookup entries)");
_Static_assert(sizeof(struct aw_sess_key) == 40, "session key is 40 bytes");
_Static_assert(offsetof(struct aw_sess, vport) == offsetof(struct aw_sess, cport) + 2 &&
	       offsetof(struct aw_sess, sport) == offsetof(struct aw_sess, dport) + 2 &&
	       offsetof(struct aw_sess_key, dport) == offsetof(struct aw_sess_key, sport) + 2,
	       "aw_sess_match compares a port pair in one load");
_Static_assert(sizeof(struct aw_stab_bucket) == 64, "a lookup bucket is one cache line");

#define FREE_END UINT32_MAX

/* The locks of the free list and of the SNAT partitions, and the session
 * count: plain with one writer (aw_asrs.one_writer). */
static __rte_always_inline void
w_lock(const struct aw_asrs *a, rte_spinlock_t *lk)
{
	if (!a->one_writer)
		rte_spinlock_lock(lk);
}

static __rte_always_inline void
w_unlock(const struct aw_asrs *a, rte_spinlock_t *lk)
{
	if (!a->one_writer)
		rte_spinlock_unlock(lk);
}

/* n_sessions += d; the value before. */
static __rte_always_inline uint32_t
count_add(struct aw_asrs *a, uint32_t d)
{
	if (!a->one_writer)
		return __atomic_fetch_add(&a->n_sessions, d, __ATOMIC_RELAXED);
	uint32_t n = __atomic_load_n(&a->n_sessions, __ATOMIC_RELAXED);
	__atomic_store_n(&a->n_sessions, n + d, __ATOMIC_RELAXED);
	return n;
}

/* Pushes the n slots idx[] on the free list (their state: AW_SS_FREE). */
static void
free_push(struct aw_asrs *a, const uint32_t *idx, unsigned n)
{
	w_lock(a, &a->free_lock);
	for (unsigned i = 0; i < n; i++) {
		a->sess[idx[i]].last = a->free_head;
		a->free_head = idx[i];
	}
	w_unlock(a, &a->free_lock);
}

/* Takes up to n slots off the free list into idx[]; how many. */
static unsigned
free_pop(struct aw_asrs *a, uint32_t *idx, unsigned n)
{
	unsigned got = 0;

	w_lock(a, &a->free_lock);
	while (got < n && a->free_head != FREE_END) {
		idx[got++] = a->free_head;
		a->free_head = a->sess[a->free_head].last;
	}
	w_unlock(a, &a->free_lock);
	return got;
}

static size_t
heap_used(void)
{
	struct rte_malloc_socket_stats st;
	size_t sum = 0;

	for (unsigned s = 0; s < rte_socket_count(); s++)
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx((int)s), &st) == 0)
			sum += st.heap_allocsz_bytes;
	return sum;
}

static void
sess_dq_free(void *p, void *e, unsigned n)
{
	struct aw_asrs *a = p;
	uint32_t *idx = e;

	for (unsigned i = 0; i < n; i++)
		a->sess[idx[i]].state = AW_SS_FREE;
	free_push(a, idx, n);
	count_add(a, 0u - n);
}

int
aw_sess_init(struct aw_asrs *a, char *err, size_t errlen)
{
	const struct aw_asrs_conf *ac = a->conf;
	size_t before = heap_used();

	a->n_slots = ac->max_sessions + AW_ASRS_STASH * a->dp->n_ctx;
	int st = aw_stab_init(a, a->n_slots);
	a->sess = rte_zmalloc("aw_asrs_sess", (size_t)a->n_slots * sizeof(struct aw_sess),
			      RTE_CACHE_LINE_SIZE);
	if (st < 0 || a->sess == NULL) {
		snprintf(err, errlen, "asrs: cannot allocate the session table for %u sessions "
			 "(asrs.max_sessions): %s", ac->max_sessions, rte_strerror(rte_errno));
		return -1;
	}
	rte_spinlock_init(&a->free_lock);
	a->free_head = FREE_END;
	for (uint32_t i = a->n_slots; i-- > 0;) { /* slot 0 first */
		a->sess[i].last = a->free_head;
		a->free_head = i;
	}
	rte_spinlock_init(&a->create_lock);
	a->create_locked = a->dp->cfg->mode == AW_MODE_PIPELINE &&
			   a->dp->cfg->pipeline.n_workers > 1;
	a->sess_bytes = heap_used() - before;
	return aw_sp_init(a, err, errlen);
}

#define AW_ASRS_DQ_SIZE (AW_ASRS_AGE_PER_TICK * 1024) /* expired sessions in grace */

static int
lcore_dq(struct aw_asrs *a, struct aw_asrs_lcore *l, unsigned i)
{
	char name[32];
	uint32_t size = AW_ASRS_DQ_SIZE;

	snprintf(name, sizeof(name), "aw_asrs_dq%u", i);
	struct rte_rcu_qsbr_dq_parameters p = {
		.name = name,
		.flags = RTE_RCU_QSBR_DQ_MT_UNSAFE,
		.size = size,
		.esize = sizeof(uint32_t), /* the slot index */
		.trigger_reclaim_limit = AW_ASRS_AGE_PER_TICK,
		.max_reclaim_size = AW_ASRS_AGE_PER_TICK * 4,
		.free_fn = sess_dq_free,
		.p = a,
		.v = a->dp->rcu,
	};
	l->dq = rte_rcu_qsbr_dq_create(&p);
	return l->dq == NULL ? -1 : 0;
}

/* TSC cycles of an aging pass: AW_ASRS_AGE_PASS_MAX_S, or a quarter of the
 * shortest timeout if shorter. Counted in 1/64 s, where a quarter of a
 * timeout is its value in 1/16 s (aw_asrs.timeout[]). */
static uint64_t
age_pass_tsc(const struct aw_asrs *a)
{
	uint64_t ticks = AW_ASRS_AGE_PASS_MAX_S * AW_ASRS_TICKS_PER_S * 4; /* in 1/64 s */

	for (unsigned s = 0; s < AW_SS__N; s++)
		if (a->timeout[s] != 0)
			ticks = RTE_MIN(ticks, (uint64_t)a->timeout[s]);
	return a->dp->tsc_hz * ticks / (AW_ASRS_TICKS_PER_S * 4);
}

int
aw_sess_lcore_init(struct aw_asrs *a, struct aw_lcore_ctx *c)
{
	struct aw_asrs_lcore *l = &a->lc[c->rcu_id];
	const struct aw_asrs_conf *ac = a->conf;
	unsigned n = a->dp->cfg->mode == AW_MODE_PIPELINE ? a->dp->cfg->pipeline.n_workers
							   : a->dp->n_ctx;

	c->feat_lc[AW_FEAT_ASRS] = l;
	l->active = c->role == AW_LCORE_RTC || c->role == AW_LCORE_WORKER;
	if (!l->active)
		return 0;
	l->part = c->index;
	l->n_parts = n;
	uint32_t span = (uint32_t)ac->snat_max - ac->snat_min + 1;
	uint32_t lo = ac->snat_min + (uint32_t)((uint64_t)span * l->part / n);
	uint32_t hi = ac->snat_min + (uint32_t)((uint64_t)span * (l->part + 1) / n);
	l->port_lo = (uint16_t)lo;
	l->port_n = (uint16_t)(hi - lo);
	aw_snat_pairs_free(l->snat.pairs);
	aw_snat_part_ports_free(&l->snat);
	l->snat = (struct aw_snat_part){.lo = l->port_lo, .n = l->port_n};
	l->snat.pairs = aw_snat_pairs_create(RTE_MIN(ac->max_sessions, AW_ASRS_MAX_PAIRS));
	rte_spinlock_init(&l->snat_lock);
	if (l->snat.pairs == NULL || aw_snat_part_ports_create(&l->snat) < 0)
		return -1;
	aw_sp_lcore_init(a, l);
	l->age_lo = (uint32_t)((uint64_t)a->n_slots * l->part / n);
	l->age_n = (uint32_t)((uint64_t)a->n_slots * (l->part + 1) / n) - l->age_lo;
	l->age_slot_tsc = l->age_n != 0 ? age_pass_tsc(a) / l->age_n : 1;
	if (l->age_slot_tsc == 0)
		l->age_slot_tsc = 1;
	l->age_due_tsc = a->start_tsc;
	return lcore_dq(a, l, c->rcu_id);
}

void
aw_sess_fini(struct aw_asrs *a)
{
	for (unsigned i = 0; i < a->dp->n_ctx; i++) {
		if (a->lc[i].dq != NULL)
			rte_rcu_qsbr_dq_delete(a->lc[i].dq);
		aw_snat_pairs_free(a->lc[i].snat.pairs);
		a->lc[i].snat.pairs = NULL;
		aw_snat_part_ports_free(&a->lc[i].snat);
	}
	aw_stab_fini(a);
	rte_free(a->sess);
	a->sess = NULL;
}

uint32_t
aw_sess_alloc(struct aw_asrs *a, struct aw_asrs_lcore *l)
{
	if (count_add(a, 1) >= a->conf->max_sessions)
		goto full;
	if (l->n_stash == 0)
		l->n_stash = free_pop(a, l->stash, AW_ASRS_STASH / 2);
	if (l->n_stash == 0)
		goto full;
	return l->stash[--l->n_stash];
full:
	count_add(a, UINT32_MAX); /* - 1 */
	return UINT32_MAX;
}

void
aw_sess_unalloc(struct aw_asrs *a, struct aw_asrs_lcore *l, uint32_t idx)
{
	a->sess[idx].state = AW_SS_FREE;
	l->stash[l->n_stash++] = idx; /* it came from this stash: there is room */
	count_add(a, UINT32_MAX); /* - 1 */
}

void
aw_sess_key_client(const struct aw_sess *s, struct aw_sess_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, s->client, 16);
	memcpy(k->dst, s->vip, 16);
	k->sport = s->cport;
	k->dport = s->vport;
	k->proto = s->proto;
	k->v6 = (s->flags & AW_SESS_F_CLIENT6) != 0;
}

void
aw_sess_key_reply(const struct aw_asrs *a, const struct aw_sess *s, struct aw_sess_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, s->dest, 16);
	memcpy(k->dst, a->snat_tab[s->snat], 16);
	k->sport = s->dport;
	k->dport = s->sport;
	k->proto = s->proto;
	k->v6 = (s->flags & AW_SESS_F_DEST6) != 0;
}

static void
pair_key(const struct aw_sess *s, struct aw_snat_pair_key *pk)
{
	memcpy(pk->dest, s->dest, 16);
	pk->dport = s->dport;
	pk->proto = s->proto;
	pk->snat = s->snat;
}

struct probe_arg {
	const struct aw_asrs *a;
	struct aw_sess_key k; /* the reply key, dport set per port tried */
	uint32_t h;           /* k's hash ... */
	uint16_t port;        /* ... with this port (host order; 0: none tried) */
};

static bool
port_free(void *arg, uint16_t port)
{
	struct probe_arg *pa = arg;

	pa->k.dport = rte_cpu_to_be_16(port);
	pa->h = aw_sess_key_hash(&pa->k);
	pa->port = port;
	return aw_stab_find(pa->a, &pa->k, pa->h) == AW_STAB_MISS;
}

/* aw_snat_port, inlined into aw_snat_spread (the new-session path). */
static __rte_always_inline uint16_t
snat_port(struct aw_asrs *a, struct aw_asrs_lcore *l, const struct aw_sess *s, uint32_t *hr,
	  enum aw_snat_res *why)
{
	struct probe_arg pa;
	struct aw_snat_pair_key pk;
	uint16_t port = 0;

	pa.a = a;
	pa.h = 0;
	pa.port = 0;
	aw_sess_key_reply(a, s, &pa.k); /* the whole key, padding included */
	pair_key(s, &pk);
	w_lock(a, &l->snat_lock);
	enum aw_snat_res r = aw_snat_alloc_ex(&l->snat, &pk, AW_ASRS_PROBES, port_free, &pa, &port,
					      false);
	w_unlock(a, &l->snat_lock);
	if (why != NULL)
		*why = r;
	if (r != AW_SNAT_OK)
		return 0;
	if (pa.port != port) { /* taken unprobed: hashed once, here */
		pa.k.dport = rte_cpu_to_be_16(port);
		pa.h = aw_sess_key_hash(&pa.k);
	}
	*hr = pa.h;
	return port;
}

uint16_t
aw_snat_port(struct aw_asrs *a, struct aw_asrs_lcore *l, const struct aw_sess *s, uint32_t *hr,
	     enum aw_snat_res *why)
{
	return snat_port(a, l, s, hr, why);
}

enum aw_drop_reason
aw_snat_spread(struct aw_asrs *a, struct aw_asrs_lcore *l, struct aw_sess *s, uint32_t *hr)
{
	const struct aw_asrs_conf *ac = a->conf;
	const bool v6 = s->flags & AW_SESS_F_DEST6;
	const unsigned base = v6 ? AW_ASRS_MAX_SNAT : 0, n = v6 ? ac->n_snat6 : ac->n_snat4;
	const unsigned tries = s->snat >= 2 * AW_ASRS_MAX_SNAT ? 1 : n;
	enum aw_snat_res why = AW_SNAT_EXHAUSTED;

	for (unsigned t = 0; t < tries; t++) {
		if (t > 0)
			s->snat = (uint8_t)(base + (s->snat - base + 1) % n);
		uint16_t port = snat_port(a, l, s, hr, &why);
		if (port != 0) {
			s->sport = rte_cpu_to_be_16(port);
			return AW_DROP__COUNT;
		}
		if (why == AW_SNAT_BUSY) /* its probes spent: no more this time */
			break;
	}
	return why == AW_SNAT_PAIRS_FULL ? AW_DROP_SNAT_PAIRS_FULL : AW_DROP_SNAT_EXHAUSTED;
}

static struct aw_asrs_lcore *
port_owner(struct aw_asrs *a, uint16_t port)
{
	for (unsigned i = 0; i < a->dp->n_ctx; i++) {
		struct aw_asrs_lcore *o = &a->lc[i];
		if (o->active && o->snat.pairs != NULL && port >= o->port_lo &&
		    port - o->port_lo < o->port_n)
			return o;
	}
	return NULL;
}

/* Is addr (zero-padded) one of a's SNAT addresses of its family? */
static bool
is_snat_addr(const struct aw_asrs *a, const uint8_t *addr, bool v6)
{
	const unsigned base = v6 ? AW_ASRS_MAX_SNAT : 0, n = v6 ? a->conf->n_snat6 : a->conf->n_snat4;

	for (unsigned i = 0; i < n; i++)
		if (memcmp(a->snat_tab[base + i], addr, 16) == 0)
			return true;
	for (unsigned p = 0; p < a->dp->n_ports; p++)
		if (memcmp(a->snat_tab[2 * AW_ASRS_MAX_SNAT + 2 * p + v6], addr, 16) == 0)
			return true;
	return false;
}

void
aw_snat_client_hold(struct aw_asrs *a, struct aw_sess *s)
{
	const uint16_t port = rte_be_to_cpu_16(s->vport);

	if (port < a->conf->snat_min || port > a->conf->snat_max ||
	    !is_snat_addr(a, s->vip, s->flags & AW_SESS_F_CLIENT6))
		return;
	struct aw_asrs_lcore *o = port_owner(a, port);
	if (o == NULL || o->snat.port_used == NULL)
		return;
	w_lock(a, &o->snat_lock);
	o->snat.port_used[port - o->port_lo]++;
	w_unlock(a, &o->snat_lock);
	s->flags |= AW_SESS_F_PORT_HELD;
}

/* The session's hold of aw_snat_client_hold ends. */
static void
client_unhold(struct aw_asrs *a, const struct aw_sess *s)
{
	const uint16_t port = rte_be_to_cpu_16(s->vport);
	struct aw_asrs_lcore *o = port_owner(a, port);

	w_lock(a, &o->snat_lock);
	o->snat.port_used[port - o->port_lo]--;
	w_unlock(a, &o->snat_lock);
}

/* The expired session s gives its port back to the partition it came from. */
static void
snat_release(struct aw_asrs *a, const struct aw_sess *s)
{
	uint16_t port = rte_be_to_cpu_16(s->sport);
	struct aw_asrs_lcore *o = port_owner(a, port);
	struct aw_snat_pair_key pk;

	if (o == NULL)
		return;
	pair_key(s, &pk);
	w_lock(a, &o->snat_lock);
	aw_snat_release(&o->snat, &pk, port);
	w_unlock(a, &o->snat_lock);
}

void
aw_sess_insert_h(struct aw_asrs *a, uint32_t idx, uint32_t hc, uint32_t hr)
{
	aw_stab_add2(a, hr, idx << 1 | 1, hc, idx << 1);
}

void
aw_sess_insert(struct aw_asrs *a, uint32_t idx)
{
	struct aw_sess_key kc, kr;
	const struct aw_sess *s = &a->sess[idx];

	aw_sess_key_client(s, &kc);
	aw_sess_key_reply(a, s, &kr);
	aw_sess_insert_h(a, idx, aw_sess_key_hash(&kc), aw_sess_key_hash(&kr));
}

/* Deletes both keys now; the slot is freed by the defer queue after a grace
 * period. The caller made sure the queue has room. */
static void
expire(struct aw_asrs *a, struct aw_asrs_lcore *l, uint32_t idx)
{
	struct aw_sess *s = &a->sess[idx];
	struct aw_sess_key kc, kr;

	aw_sess_key_client(s, &kc);
	aw_sess_key_reply(a, s, &kr);
	aw_stab_del(a, aw_sess_key_hash(&kc), idx << 1);
	aw_stab_del(a, aw_sess_key_hash(&kr), idx << 1 | 1);
	snat_release(a, s);
	if (s->flags & AW_SESS_F_PORT_HELD)
		client_unhold(a, s);
	s->state = AW_SS__N; /* dead: not listed, not aged again */
	l->sess_expired++;
	aw_svcstats_end(a, l, idx);
	rte_rcu_qsbr_dq_enqueue(l->dq, &idx);
	l->dq_pending = true;
}

bool
aw_sess_kill(struct aw_asrs *a, struct aw_asrs_lcore *l, uint32_t idx)
{
	unsigned pending = 0;

	rte_rcu_qsbr_dq_reclaim(l->dq, AW_ASRS_AGE_PER_TICK, NULL, &pending, NULL);
	if (pending >= AW_ASRS_DQ_SIZE)
		return false;
	expire(a, l, idx);
	return true;
}

/* Slots of the slice due at now_tsc (at most AW_ASRS_AGE_PER_TICK: a debt
 * beyond that is dropped, the pass then takes longer). */
static __rte_always_inline unsigned
age_due(struct aw_asrs_lcore *l, uint64_t now_tsc)
{
	if (now_tsc < l->age_due_tsc || l->age_n == 0)
		return 0;
	uint64_t n = (now_tsc - l->age_due_tsc) / l->age_slot_tsc + 1;
	if (n > AW_ASRS_AGE_PER_TICK) {
		l->age_due_tsc = now_tsc + l->age_slot_tsc;
		return AW_ASRS_AGE_PER_TICK;
	}
	l->age_due_tsc += n * l->age_slot_tsc;
	return (unsigned)n;
}

void
aw_sess_age(struct aw_asrs *a, struct aw_asrs_lcore *l, uint64_t now_tsc)
{
	uint32_t now = l->now;
	unsigned pending = 0;

	/* Free what passed its grace period; expire no more than fits. */
	if (l->dq_pending) {
		rte_rcu_qsbr_dq_reclaim(l->dq, AW_ASRS_AGE_PER_TICK * 4, NULL, &pending, NULL);
		l->dq_pending = pending != 0;
	}
	unsigned room = pending < AW_ASRS_DQ_SIZE ? AW_ASRS_DQ_SIZE - pending : 0;
	unsigned n = room != 0 ? age_due(l, now_tsc) : 0;
	for (unsigned i = 0; i < n && room != 0; i++) {
		uint32_t idx = l->age_lo + l->age_next;
		if (++l->age_next >= l->age_n)
			l->age_next = 0;
		struct aw_sess *s = &a->sess[idx];
		uint8_t st = s->state;
		if (st == AW_SS_FREE || st >= AW_SS__N)
			continue;
		if ((uint32_t)(now - s->last) > a->timeout[st]) {
			expire(a, l, idx);
			room--;
		}
	}
}
