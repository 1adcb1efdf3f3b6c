/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_relay_table — the relay paths keyed by PathID (SPEC §5.3).
 *
 * A path is 184 bytes in two parts with the same slab index: struct
 * aw_relay_path (128 bytes, two whole cache lines: PathID, counters, timers,
 * ACK seq, both sides' seqlock and binding with its next-hop cache: all a
 * CAPSULE reads) in a 64-byte aligned slab, and struct aw_relay_cold (56
 * bytes: the tag key and both sides' replay windows, read by signalling only)
 * in a parallel array, reached with aw_relay_path_cold. Both come from slabs
 * allocated at create (max_paths + AW_RELAY_SLAB_SLACK records, the free
 * ones linked through their ack_seq). PathIDs are found by the
 * table's own compact index (aw_relay_table.c): open addressing with linear
 * probing over 4-byte entries (a 7-bit hash tag and the record's slab
 * index), max_paths * 4/3 of them, tombstones on delete, rebuilt into a
 * fresh array (published, the old one freed after a grace period) when
 * tombstones fill it. A bitmap of the installed records orders iteration
 * (aw_relay_table_iterate). Only a path with a rate has more: its struct
 * aw_relay_rate (meters) in the rate pool. All a path costs, index included,
 * is about 190 bytes (tests/unit/dataplane/test_relay_table.c measures it).
 *
 * Thread contract.
 *  - Writers: aw_relay_table_add / _del / _expire / _free run on control
 *    threads only (the API thread and the relay's expiry thread), serialised
 *    by the caller (struct aw_relay.lock). They publish index entries with
 *    release stores (a record is whole before its entry appears). A deleted
 *    or replaced path goes to the table's rte_rcu_qsbr defer queue
 *    (max_paths / 32 entries, at least 1024), released only after every lcore
 *    reported a quiescent state, reclaimed as the queue fills. When the queue or the slab is
 *    full, the writer waits for one grace period (rte_rcu_qsbr_synchronize)
 *    and reclaims everything: writers never fail for want of memory that
 *    readers are about to give back.
 *  - Readers: lcores look paths up with aw_relay_table_lookup_bulk between two
 *    of their quiescent states and may use the pointers until the next one.
 *  - Sides (struct aw_relay_side): written by lcores after a signalling
 *    message verified. One (path, side) has at most one writer at a time: the
 *    writer takes the side by moving `wseq` from even to odd with a CAS and
 *    releases it with a store of wseq + 1 (a seqlock). Under it the writer
 *    updates the side's replay window (in the cold part: the same seqlock
 *    guards it there) (so check-and-update is atomic for the side,
 *    whichever lcores the messages arrive on) and, when the message carries
 *    the side's newest sequence number, the binding (clearing its next-hop
 *    cache). An lcore filling the next-hop cache takes the side the same way,
 *    only from the version it read the binding at (aw_relay_side_set_nh). Readers (every CAPSULE)
 *    copy the binding seqlock-style: load wseq (acquire), copy, fence, load
 *    wseq again; equal and even means the copy is whole, never torn. A reader
 *    retries a bounded number of times (AW_RELAY_BIND_TRIES), then drops.
 *  - Counters (pkts/bytes per direction, drops) and last_seen_s: relaxed
 *    load + store, no locked instruction. RSS keeps one 5-tuple on one lcore,
 *    so a direction is normally written by one lcore; two lcores racing on
 *    one path may lose an increment (counters are statistics, not billing).
 */
#ifndef AW_RELAY_TABLE_H
#define AW_RELAY_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_meter.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "aw_replay.h"
#include "aw_trs_crypto.h"

#define AW_RELAY_BIND_TRIES 64
#define AW_RELAY_SIDE_I     0 /* Initiator: R flag 0 */
#define AW_RELAY_SIDE_R     1 /* Responder: R flag 1 */
#define AW_RELAY_SLAB_SLACK 10000 /* records beyond max_paths: a batch replacing paths */

/* A relay entry as given in the config or by relay.add (aw_relay_conf.c). */
struct aw_relay_entry {
	uint8_t path_id[16];
	uint8_t key[AW_TRS_KEY_LEN];
	uint8_t suite;
	uint16_t idle_timeout_s;
	uint16_t bind_timeout_s;
	bool has_rate;
	uint64_t rate_pps;       /* 0: no packet limit */
	uint64_t rate_bytes_s;   /* 0: no byte limit */
	uint32_t rate_burst;     /* bucket depth in packets (bytes: burst * 1500) */
};

/*
 * Where one side of a path is bound: the source of its newest verified
 * message, and the next hop towards it (filled by the first packet sent
 * there, cleared when the binding changes; see aw_relay_side_set_nh).
 */
struct aw_relay_bind {
	uint8_t addr[16]; /* IPv4 in addr[0..3] */
	uint16_t port_be;
	uint8_t v6;
	uint8_t bound;
	uint32_t nh;      /* 0: none; else neighbour position + 1 (bits 0-23) | route port << 24 */
};

#define AW_RELAY_NH_POS_MAX 0xfffffe /* neighbour positions the cache can hold */

struct aw_relay_side {
	uint32_t wseq;              /* seqlock: odd while a writer holds the side; also
				     * guards the side's replay window (aw_relay_cold) */
	struct aw_relay_bind bind;  /* read under the seqlock */
};

/*
 * srTCM meters of a path with a rate. They live in the table's rate pool
 * (chunks of AW_RELAY_RATE_CHUNK records, allocated as rated paths come and
 * kept until the table is freed); a path names its record by a 25-bit id
 * (0: no rate). Released records are listed through next_free.
 */
struct aw_relay_rate {
	struct rte_meter_srtcm m_pkts, m_bytes;
	struct rte_meter_srtcm_profile p_pkts, p_bytes;
	uint32_t next_free;  /* free list (writers); 0: end */
	uint8_t pkts, bytes; /* which meters run */
};

#define AW_RELAY_RATE_BITS 25 /* rate ids: 1 .. slab records + 1 */

/*
 * A path's hot part: 128 bytes, 64-byte aligned, everything a CAPSULE reads
 * and writes in two whole lines: line 0 the PathID, counters and timers,
 * line 1 both sides' seqlock and binding, the timeouts and the ACK seq (so
 * a CAPSULE touches the index entry and these two lines, nothing else). id,
 * suite, rate and the timeouts are read-only once installed. The meters of a
 * rated path live in the rate pool; the tag key and the replay windows in
 * the cold part (aw_relay_path_cold).
 */
struct aw_relay_path {
	uint8_t id[16];             /* the PathID: the index's key (read-only once installed) */
	uint64_t pkts[2];           /* received from side i and forwarded / answered */
	uint64_t bytes[2];
	uint32_t last_seen_s;       /* relaxed stores by lcores */
	uint32_t drops;             /* dropped after the path was found; saturates at
				     * UINT32_MAX (the lcores' per-reason drop counters keep
				     * counting: aw_relay_count_drop) */
	uint32_t rate : AW_RELAY_RATE_BITS; /* rate pool id (aw_relay_table_rate); 0: none */
	uint32_t suite : 32 - AW_RELAY_RATE_BITS;
	uint32_t bind_deadline_s;   /* both sides must be bound by then */
	struct aw_relay_side side[2]; /* line 1 */
	uint16_t idle_timeout_s;
	uint16_t bind_timeout_s;
	uint32_t ack_seq;           /* the relay's own seq for ACKs (atomic add) */
} __rte_cache_aligned;

/*
 * A path's cold part, read by signalling only: the tag key of
 * aw_trs_crypto.h (the relay never decrypts; suite 1: the HMAC-MD5 states;
 * suite 2: the GCM key, expanded on demand by the lcore's engine cache),
 * read-only once installed, and each side's anti-replay window, under that
 * side's seqlock.
 */
struct aw_relay_cold {
	struct aw_replay win[2];    /* of side i's messages (12 B each) */
	uint8_t tkey[AW_TRS_TKEY_LEN];
};

struct aw_relay_table;

/* max_paths entries; rcu: the data plane's QSBR variable. NULL with err set. */
struct aw_relay_table *aw_relay_table_create(const char *name, uint32_t max_paths,
					     struct rte_rcu_qsbr *rcu, char *err, size_t errlen);
/* Frees every path and the table: only when no lcore runs. */
void aw_relay_table_free(struct aw_relay_table *t);
uint32_t aw_relay_table_count(const struct aw_relay_table *t);

uint32_t aw_relay_table_max(const struct aw_relay_table *t);

/* A new path for entry e (key derived, meters set up; now_s: the relay clock)
 * from t's slab, not yet in the index; NULL with err set (out of memory, bad
 * rate). Give back one that is never inserted with aw_relay_path_drop. */
struct aw_relay_path *aw_relay_path_new(struct aw_relay_table *t, const struct aw_relay_entry *e,
					uint32_t now_s, char *err, size_t errlen);
void aw_relay_path_drop(struct aw_relay_table *t, struct aw_relay_path *p);
/* The installed path of e->path_id when it has e's key and suite, else NULL. */
struct aw_relay_path *aw_relay_table_same(const struct aw_relay_table *t,
					  const struct aw_relay_entry *e);
/*
 * Inserts (or replaces) path_id -> p; a replaced path goes to the defer
 * queue. Returns 0 (new), 1 (replaced), -1 when the table is full
 * (max_paths); callers check room first so that a batch never stops half-way.
 */
int aw_relay_table_insert(struct aw_relay_table *t, const uint8_t path_id[16],
			  struct aw_relay_path *p);
/* Removes a path (freed after a grace period). true when it existed. */
bool aw_relay_table_del(struct aw_relay_table *t, const uint8_t path_id[16]);
/* Control-thread lookup (API get). */
struct aw_relay_path *aw_relay_table_find(const struct aw_relay_table *t,
					  const uint8_t path_id[16]);
/*
 * Iteration (control threads, under the writers' lock): *next starts at 0;
 * returns 0 and sets *id / *p, or -1 at the end. The order is the records'
 * slab order, which no insert, delete or index rebuild changes: between two
 * calls (the lock may be let go, e.g. between relay.list pages) a path
 * installed the whole time is returned exactly once. A path added meanwhile
 * may or may not be returned; a path replaced meanwhile is a new record and
 * may be returned as both its old and new record, or as neither.
 */
int aw_relay_table_iterate(const struct aw_relay_table *t, uint32_t *next, const uint8_t **id,
			   struct aw_relay_path **p);

/* The first members of struct aw_relay_table (aw_relay_table.c): the two
 * slabs, fixed for the table's life, for aw_relay_path_cold. */
struct aw_relay_slabs {
	struct aw_relay_path *hot;
	struct aw_relay_cold *cold;
};

/* The cold part of p, a path of t. Any thread that holds p. */
static inline struct aw_relay_cold *
aw_relay_path_cold(const struct aw_relay_table *t, const struct aw_relay_path *p)
{
	const struct aw_relay_slabs *s = (const struct aw_relay_slabs *)t;

	return &s->cold[p - s->hot];
}

/* The meters of p (p->rate != 0). Any thread that holds p. */
struct aw_relay_rate *aw_relay_table_rate(const struct aw_relay_table *t,
					  const struct aw_relay_path *p);

/* Lcore lookup of n <= 64 PathIDs: paths[i] or NULL. */
void aw_relay_table_lookup_bulk(const struct aw_relay_table *t, const void **ids, unsigned n,
				struct aw_relay_path **paths);

/* Why a path expires at now_s, or NULL while it lives. */
const char *aw_relay_path_expiry(const struct aw_relay_path *p, uint32_t now_s);

/* Seqlock read of a side's binding; false when it stayed busy. *seq: the
 * version read (for aw_relay_side_set_nh). */
static inline bool
aw_relay_bind_read(const struct aw_relay_side *s, struct aw_relay_bind *out, uint32_t *seq)
{
	for (unsigned i = 0; i < AW_RELAY_BIND_TRIES; i++) {
		uint32_t v1 = __atomic_load_n(&s->wseq, __ATOMIC_ACQUIRE);
		if (likely(!(v1 & 1))) {
			memcpy(out, &s->bind, sizeof(*out));
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (likely(__atomic_load_n(&s->wseq, __ATOMIC_RELAXED) == v1)) {
				*seq = v1;
				return true;
			}
		}
		rte_pause();
	}
	return false;
}

/*
 * Stores a next hop in the binding read at version seq, only if the side is
 * still at that version (nothing rebound it since): takes the side from seq
 * to seq + 1 with one CAS, writes, releases at seq + 2. A lost race just
 * leaves the cache empty for the next packet. Lcores, any.
 */
static inline void
aw_relay_side_set_nh(struct aw_relay_side *s, uint32_t seq, uint32_t nh)
{
	uint32_t v = seq;

	if (!__atomic_compare_exchange_n(&s->wseq, &v, seq + 1, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&s->bind.nh, nh, __ATOMIC_RELAXED);
	__atomic_store_n(&s->wseq, seq + 2, __ATOMIC_RELEASE);
}

/* Takes / releases the side for writing (see the contract). */
static inline void
aw_relay_side_lock(struct aw_relay_side *s)
{
	for (;;) {
		uint32_t v = __atomic_load_n(&s->wseq, __ATOMIC_RELAXED);
		if (!(v & 1) && __atomic_compare_exchange_n(&s->wseq, &v, v + 1, false,
							    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
		rte_pause();
	}
	/* Readers must not see the new binding bytes before the odd wseq. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void
aw_relay_side_unlock(struct aw_relay_side *s)
{
	__atomic_store_n(&s->wseq, s->wseq + 1, __ATOMIC_RELEASE);
}

/* Relaxed, unlocked counter increment (see the contract). */
static inline void
aw_relay_count(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

/* The same for a path's 32-bit drop counter, which stops at UINT32_MAX. */
static inline void
aw_relay_count_drop(uint32_t *c)
{
	uint32_t v = __atomic_load_n(c, __ATOMIC_RELAXED);

	if (likely(v != UINT32_MAX))
		__atomic_store_n(c, v + 1, __ATOMIC_RELAXED);
}

#endif /* AW_RELAY_TABLE_H */
