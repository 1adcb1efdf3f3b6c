/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_gw_table — gateway paths, found by PathID (inbound capsules) and by
 * node_addr (outbound packets). The records sit in a slab allocated at
 * create (max_paths + 1/32 slack, a stack of free indexes); the two indexes
 * are compact open-addressing tables (linear probing, at most 2/3 full) of
 * 32-bit entries: the record's slot + 1 and a few bits of the key's hash
 * (0 = empty). Deletion shifts entries back (no tombstones) and bumps a
 * change counter, so a reader that missed while entries moved looks again.
 *
 * Thread contract.
 *  - Writer: the API thread (and main at create), serialised by the caller
 *    (struct aw_gw.lock). aw_gw_table_commit applies a whole update: paths
 *    added or replaced, then removed ones; then one RCU grace period
 *    (rte_rcu_qsbr_synchronize on the data plane's QSBR variable); then the
 *    old records are wiped (keys) and their slots go back to the free stack.
 *    Readers therefore never see a reused record. (An update replacing more
 *    paths than the slack holds waits for a grace period in between.)
 *  - Readers: lcores look paths up between two of their quiescent states and
 *    may use the pointers until the next one.
 *  - A path's binding and replay window change only under its seqlock
 *    (`wseq`, as aw_relay_table.h): writers (lcores with a verified capsule)
 *    take it with a CAS from even to odd; readers copy the binding and
 *    retry while it is odd or changed. seq_out: atomic add. Counters and
 *    last_in_s: relaxed loads and stores (statistics: two lcores racing on one
 *    path may lose an increment).
 */
#ifndef AW_GW_TABLE_H
#define AW_GW_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "aw_inet.h"
#include "aw_replay.h"
#include "aw_trs_crypto.h"

#define AW_GW_BIND_TRIES 64

/* A gateway entry as given in the config or by gateway.add. */
struct aw_gw_entry {
	uint8_t path_id[16];
	uint8_t key[AW_TRS_KEY_LEN]; /* the End Key */
	uint8_t suite;
	uint32_t idle_timeout_s;     /* 1..86400 */
	struct aw_addr node;         /* node_addr, padding zeroed */
};

/* Where the node was last seen: the outer source of its newest verified
 * capsule, and the own address that capsule was sent to. */
struct aw_gw_bind {
	uint8_t addr[16];  /* IPv4 in addr[0..3] */
	uint8_t laddr[16];
	uint16_t port_be;
	uint8_t v6;
	uint8_t bound;
};

/* A path: 216 bytes in the slab. The End Key is kept as its two derived
 * keys; the expanded forms live in each lcore's key cache (aw_gw_priv.h),
 * tagged with key_id, which no other install reuses (a 32-bit counter that
 * skips 0: it would wrap after 2^32 installs). suite == 0: a free slot. */
struct aw_gw_path {
	uint8_t enc[32], mac[32]; /* aw_trs_kdf of the End Key; wiped when freed */
	uint8_t path_id[16];
	struct aw_addr node;
	uint32_t key_id;
	uint32_t txid;          /* of the gateway's capsules */
	uint32_t seq_out;       /* last sequence number sent (atomic add) */
	uint32_t wseq;          /* seqlock over bind and win */
	uint32_t last_in_s;     /* gateway clock of the newest verified capsule */
	struct aw_replay win;
	uint32_t idle_timeout_s;
	uint8_t suite;
	struct aw_gw_bind bind;
	uint64_t pkts_in, bytes_in, pkts_out, bytes_out, drops;
};
_Static_assert(sizeof(struct aw_gw_path) == 216, "the memory budget of SPEC §10 counts on it");

struct aw_gw_table;

/* Bytes one path costs in a full table of 32,768 (its record with the
 * slab's slack, both index entries, its free-stack entry), for the stats and
 * the memory test. */
size_t aw_gw_path_bytes(void);

struct aw_gw_table *aw_gw_table_create(const char *name, uint32_t max_paths,
				       struct rte_rcu_qsbr *rcu, char *err, size_t errlen);
/* Frees the slab and the indexes: only when no lcore runs. */
void aw_gw_table_free(struct aw_gw_table *t);
uint32_t aw_gw_table_count(const struct aw_gw_table *t);

/*
 * One whole update (writer). add[0..n_add): new or replacing entries
 * (existed[i], may be NULL: the path was already installed with the same key,
 * suite, node and timeout, and is left as it is); del[0..n_del): PathIDs to
 * remove (removed: how many existed). Validates first — duplicate PathIDs or
 * node addresses within the update, a node_addr that belongs to another
 * path, room — and changes nothing on error (err: "what[i].key: ...").
 */
int aw_gw_table_commit(struct aw_gw_table *t, const struct aw_gw_entry *add, unsigned n_add,
		       const uint8_t (*del)[16], unsigned n_del, const char *what, bool *existed,
		       unsigned *removed, char *err, size_t errlen);

/* Writer-side lookups and iteration (under the writers' lock). */
struct aw_gw_path *aw_gw_table_find(const struct aw_gw_table *t, const uint8_t id[16]);
int aw_gw_table_iterate(const struct aw_gw_table *t, uint32_t *next, struct aw_gw_path **p);

/* Lcore lookups: n <= 64 PathIDs (paths[i] or NULL); one node address. */
void aw_gw_table_lookup_bulk(const struct aw_gw_table *t, const void **ids, unsigned n,
			     struct aw_gw_path **paths);
struct aw_gw_path *aw_gw_table_by_node(const struct aw_gw_table *t, const struct aw_addr *node);

static inline bool
aw_gw_bind_read(const struct aw_gw_path *p, struct aw_gw_bind *out)
{
	for (unsigned i = 0; i < AW_GW_BIND_TRIES; i++) {
		uint32_t v1 = __atomic_load_n(&p->wseq, __ATOMIC_ACQUIRE);
		if (likely(!(v1 & 1))) {
			memcpy(out, &p->bind, sizeof(*out));
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (likely(__atomic_load_n(&p->wseq, __ATOMIC_RELAXED) == v1))
				return true;
		}
		rte_pause();
	}
	return false;
}

static inline void
aw_gw_path_lock(struct aw_gw_path *p)
{
	for (;;) {
		uint32_t v = __atomic_load_n(&p->wseq, __ATOMIC_RELAXED);
		if (!(v & 1) && __atomic_compare_exchange_n(&p->wseq, &v, v + 1, false,
							    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
		rte_pause();
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void
aw_gw_path_unlock(struct aw_gw_path *p)
{
	__atomic_store_n(&p->wseq, p->wseq + 1, __ATOMIC_RELEASE);
}

static inline void
aw_gw_count(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

#endif /* AW_GW_TABLE_H */
