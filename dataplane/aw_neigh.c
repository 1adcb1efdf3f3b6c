/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_neigh_priv.h"

#include "aw_addrset.h"

#include <stdio.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

static const char *const state_names[] = {"incomplete", "reachable", "stale", "failed",
					  "static"};

const char *
aw_neigh_state_name(uint8_t state)
{
	return state < RTE_DIM(state_names) ? state_names[state] : "?";
}

/* rte_hash callback: keys are struct aw_addr (byte-aligned). */
static uint32_t
neigh_hash(const void *key, uint32_t len, uint32_t init)
{
	const struct aw_addr *a = key;
	(void)len;
	return aw_addr_hash(a->b, a->family) ^ init;
}

/* Pointers in one pending queue (a table with pending_packets 0 still has
 * queues of one, never used). */
static inline size_t
queue_len(const struct aw_neigh_settings *set)
{
	return RTE_MAX(set->pending_packets, 1u);
}

struct aw_neigh_table *
aw_neigh_create(const struct aw_neigh_settings *set, uint64_t tsc_hz, char *err, size_t errlen)
{
	struct aw_neigh_table *t = rte_zmalloc("aw_neigh", sizeof(*t), RTE_CACHE_LINE_SIZE);
	struct rte_hash_parameters hp = {
		.name = "aw_neigh",
		.entries = set->max_entries,
		.key_len = sizeof(struct aw_addr),
		.hash_func = neigh_hash,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};

	if (t == NULL)
		goto nomem;
	t->set = *set;
	t->tsc_hz = tsc_hz;
	t->hash = rte_hash_create(&hp);
	if (t->hash == NULL) {
		snprintf(err, errlen, "neighbour cache: rte_hash_create failed (%s)",
			 rte_strerror(rte_errno));
		aw_neigh_free(t);
		return NULL;
	}
	/* rte_hash may hand out positions up to its internal capacity. */
	uint32_t cap = (uint32_t)rte_hash_max_key_id(t->hash) + 1;
	t->fast = rte_zmalloc("aw_neigh_fast", cap * sizeof(*t->fast), RTE_CACHE_LINE_SIZE);
	t->slow = rte_zmalloc("aw_neigh_slow", cap * sizeof(*t->slow), 0);
	t->live = rte_malloc("aw_neigh_live", cap * sizeof(*t->live), 0);
	t->n_queues = RTE_MIN(cap, (uint32_t)AW_NEIGH_PENDING_QUEUES);
	t->pending_store = rte_malloc("aw_neigh_pend",
				      t->n_queues * queue_len(set) * sizeof(struct rte_mbuf *), 0);
	t->free_queues = rte_malloc("aw_neigh_freeq", t->n_queues * sizeof(uint32_t), 0);
	if (t->fast == NULL || t->slow == NULL || t->live == NULL || t->pending_store == NULL ||
	    t->free_queues == NULL)
		goto nomem;
	t->head.words = &t->fast[0].word;
	for (uint32_t q = 0; q < t->n_queues; q++)
		t->free_queues[q] = t->n_queues - 1 - q;
	t->n_free_queues = t->n_queues;
	return t;
nomem:
	snprintf(err, errlen, "neighbour cache: out of memory for %u entries", set->max_entries);
	aw_neigh_free(t);
	return NULL;
}

void
aw_neigh_free(struct aw_neigh_table *t)
{
	if (t == NULL)
		return;
	if (t->hash != NULL) {
		uint32_t cap = (uint32_t)rte_hash_max_key_id(t->hash) + 1;
		for (uint32_t i = 0; t->slow && i < cap; i++)
			for (uint16_t k = 0; k < t->slow[i].n_pending; k++)
				rte_pktmbuf_free(t->slow[i].pending[k]); /* n_pending > 0: a queue */
		rte_hash_free(t->hash);
	}
	rte_free(t->fast);
	rte_free(t->slow);
	rte_free(t->live);
	rte_free(t->pending_store);
	rte_free(t->free_queues);
	rte_free(t);
}

static void
publish(struct aw_neigh_table *t, int32_t pos, uint64_t word)
{
	__atomic_store_n(&t->fast[pos].word, word, __ATOMIC_RELEASE);
}

int32_t
aw_neigh_get_or_create(struct aw_neigh_table *t, const struct aw_addr *addr, uint8_t port)
{
	int32_t pos = rte_hash_lookup(t->hash, addr);
	if (pos >= 0)
		return pos;
	/* Fill the entry before the key becomes visible to readers. Keys are
	 * never deleted: lcores keep a key's position (aw_fwd_neigh_pos). */
	pos = rte_hash_add_key(t->hash, addr);
	if (pos < 0)
		return -1;
	t->live[t->n_entries++] = pos;
	struct aw_neigh_slow *s = &t->slow[pos];
	s->addr = *addr;
	s->state = AW_NEIGH_INCOMPLETE;
	s->port = port;
	s->probes_sent = 0;
	s->n_pending = 0;
	s->pending = NULL;
	s->deadline = 0; /* probe at once */
	publish(t, pos, 0);
	return pos;
}

int
aw_neigh_add_static(struct aw_neigh_table *t, const struct aw_addr *addr,
		    const struct rte_ether_addr *mac, uint8_t port)
{
	int32_t pos = aw_neigh_get_or_create(t, addr, port);
	if (pos < 0)
		return -1;
	t->slow[pos].state = AW_NEIGH_STATIC;
	t->slow[pos].port = port;
	publish(t, pos, aw_neigh_pack(mac, port));
	return 0;
}

int32_t
aw_neigh_learn(struct aw_neigh_table *t, const struct aw_addr *addr,
	       const struct rte_ether_addr *mac, uint8_t port, bool create, uint64_t now)
{
	int32_t pos = rte_hash_lookup(t->hash, addr);

	if (pos < 0) {
		if (!create)
			return -1;
		pos = aw_neigh_get_or_create(t, addr, port);
		if (pos < 0)
			return -1;
	}
	struct aw_neigh_slow *s = &t->slow[pos];
	if (s->state == AW_NEIGH_STATIC)
		return pos;
	s->state = AW_NEIGH_REACHABLE;
	s->port = port;
	s->probes_sent = 0;
	s->deadline = now + (uint64_t)t->set.reachable_s * t->tsc_hz;
	publish(t, pos, aw_neigh_pack(mac, port));
	return pos;
}

int32_t
aw_neigh_learn_request(struct aw_neigh_table *t, const struct aw_addr *addr,
		       const struct rte_ether_addr *mac, uint8_t port, uint64_t now)
{
	int32_t pos = rte_hash_lookup(t->hash, addr);

	if (pos < 0) {
		/* Unconfirmed senders may fill the table only up to its reserve, so a
		 * flood of them never takes the room resolutions need. */
		if (t->n_entries >= t->set.max_entries - t->set.max_entries / 4)
			return AW_NEIGH_REFUSED;
		pos = aw_neigh_get_or_create(t, addr, port);
		if (pos < 0)
			return AW_NEIGH_REFUSED;
	}
	struct aw_neigh_slow *s = &t->slow[pos];
	if (s->state == AW_NEIGH_STATIC)
		return pos;
	uint64_t cur = __atomic_load_n(&t->fast[pos].word, __ATOMIC_RELAXED);
	uint64_t w = aw_neigh_pack(mac, port);
	if (s->state == AW_NEIGH_REACHABLE && cur == w)
		return pos; /* same MAC: nothing new (RFC 4861 §7.2.3) */
	/* RFC 4861 §7.2.3: a new or changed address is STALE — used at once,
	 * confirmed by a probe once the reachable time has passed. */
	s->state = AW_NEIGH_STALE;
	s->port = port;
	s->probes_sent = 0;
	s->deadline = now + (uint64_t)t->set.reachable_s * t->tsc_hz;
	publish(t, pos, w);
	return pos;
}

bool
aw_neigh_enqueue(struct aw_neigh_table *t, int32_t pos, struct rte_mbuf *m)
{
	struct aw_neigh_slow *s = &t->slow[pos];

	if (s->n_pending >= t->set.pending_packets)
		return false;
	if (s->pending == NULL) {
		if (t->n_free_queues == 0)
			return false; /* AW_NEIGH_PENDING_QUEUES next hops have packets waiting */
		uint32_t q = t->free_queues[--t->n_free_queues];
		s->pending = t->pending_store + q * queue_len(&t->set);
	}
	s->pending[s->n_pending++] = m;
	return true;
}

/* The entry's queue back to the pool, once it is empty. */
static void
queue_release(struct aw_neigh_table *t, struct aw_neigh_slow *s)
{
	if (s->pending == NULL)
		return;
	size_t q = (size_t)(s->pending - t->pending_store) / queue_len(&t->set);
	t->free_queues[t->n_free_queues++] = (uint32_t)q;
	s->pending = NULL;
}

uint16_t
aw_neigh_take_pending(struct aw_neigh_table *t, int32_t pos, struct rte_mbuf **out)
{
	struct aw_neigh_slow *s = &t->slow[pos];
	uint16_t n = s->n_pending;

	if (n != 0)
		memcpy(out, s->pending, n * sizeof(*out));
	s->n_pending = 0;
	queue_release(t, s);
	return n;
}

static void
entry_timer(struct aw_neigh_table *t, int32_t pos, uint64_t now, aw_neigh_probe_fn probe,
	    aw_neigh_fail_fn failed, void *arg)
{
	struct aw_neigh_slow *s = &t->slow[pos];
	uint64_t interval = (uint64_t)t->set.probe_interval_ms * t->tsc_hz / 1000;

	switch (s->state) {
	case AW_NEIGH_REACHABLE:
		if (now >= s->deadline) {
			s->state = AW_NEIGH_STALE; /* keep forwarding, re-probe */
			s->probes_sent = 0;
			s->deadline = now;
		}
		break;
	case AW_NEIGH_INCOMPLETE:
	case AW_NEIGH_STALE:
		if (now < s->deadline)
			break;
		if (s->probes_sent >= t->set.probes) {
			s->state = AW_NEIGH_FAILED;
			s->deadline = now + interval; /* hold-down before a new try */
			publish(t, pos, 0);
			while (s->n_pending > 0)
				failed(s->pending[--s->n_pending], arg);
			queue_release(t, s);
			break;
		}
		s->probes_sent++;
		s->deadline = now + interval;
		probe(pos, arg);
		break;
	default:
		break;
	}
}

void
aw_neigh_timers(struct aw_neigh_table *t, uint64_t now, uint32_t budget,
		aw_neigh_probe_fn probe, aw_neigh_fail_fn failed, void *arg)
{
	/* Not rte_hash_iterate: it walks empty slots too, so a call would cost
	 * the table's capacity (neighbor_cache.max_entries up to 2^20: whole
	 * milliseconds of the housekeeper every millisecond), not `budget`. */
	while (budget-- > 0 && t->scan_pos < t->n_entries) {
		entry_timer(t, t->live[t->scan_pos], now, probe, failed, arg);
		t->scan_pos++;
	}
	if (t->scan_pos >= t->n_entries)
		t->scan_pos = 0; /* wrapped: start over next time */
}

bool
aw_neigh_restart(struct aw_neigh_table *t, int32_t pos, uint64_t now)
{
	struct aw_neigh_slow *s = &t->slow[pos];

	if (s->state != AW_NEIGH_FAILED || now < s->deadline)
		return s->state != AW_NEIGH_FAILED;
	s->state = AW_NEIGH_INCOMPLETE;
	s->probes_sent = 0;
	s->deadline = now;
	return true;
}

bool
aw_neigh_lookup(const struct aw_neigh_table *t, const struct aw_addr *key,
		struct rte_ether_addr *mac, uint8_t *port)
{
	int32_t pos;

	return aw_neigh_lookup_inline(t, key, mac, port, &pos);
}

int32_t
aw_neigh_find(const struct aw_neigh_table *t, const struct aw_addr *key)
{
	return rte_hash_lookup(t->hash, key);
}

uint8_t
aw_neigh_state(const struct aw_neigh_table *t, int32_t pos)
{
	return t->slow[pos].state;
}

uint8_t
aw_neigh_port(const struct aw_neigh_table *t, int32_t pos)
{
	return t->slow[pos].port;
}

const struct aw_addr *
aw_neigh_addr(const struct aw_neigh_table *t, int32_t pos)
{
	return &t->slow[pos].addr;
}

bool
aw_neigh_first_probe(struct aw_neigh_table *t, int32_t pos, uint64_t now)
{
	struct aw_neigh_slow *s = &t->slow[pos];

	if (s->probes_sent != 0 || now < s->deadline)
		return false;
	s->probes_sent = 1;
	s->deadline = now + (uint64_t)t->set.probe_interval_ms * t->tsc_hz / 1000;
	return true;
}
