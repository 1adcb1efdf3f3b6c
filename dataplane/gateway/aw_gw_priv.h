/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_gw_priv — the gateway's instance, config and per-lcore state, shared by
 * the files of dataplane/gateway/ (not by the core). struct aw_gw is built by
 * aw_gw_create before lcores start; lcores read its immutable fields; `lock`
 * serialises the control threads (API, telemetry). struct aw_gw_lcore
 * belongs to one lcore.
 */
#ifndef AW_GW_PRIV_H
#define AW_GW_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_cycles.h>
#include <rte_ip_frag.h>

#include "aw_dp.h"
#include "aw_gw_table.h"

#define AW_GW_PORT_DEFAULT      7813
#define AW_GW_MAX_PATHS_DEFAULT 1048576u
#define AW_GW_MAX_PATHS_MAX     (16u << 20)
#define AW_GW_BATCH_MAX         10000u
#define AW_GW_MAX_PREFIXES      16
#define AW_GW_IV_POOL           4096 /* random bytes an lcore draws at a time */
#define AW_GW_KEY_CACHE         1024 /* expanded End Keys per lcore (1.2 KiB each) */

/* One slot of an lcore's key cache, direct-mapped by key_id. */
struct aw_gw_kslot {
	struct aw_trs_key k;
	uint64_t key_id; /* 0: empty */
} __rte_cache_aligned;

struct aw_gw_conf {
	uint16_t port;      /* host order */
	uint32_t max_paths;
	unsigned n_prefixes;
	struct aw_prefix prefixes[AW_GW_MAX_PREFIXES]; /* host bits cleared */
	uint32_t frag_max;        /* reassembly.max_datagrams per lcore */
	uint32_t frag_timeout_ms; /* reassembly.timeout_ms */
	unsigned n_entries;
	struct aw_gw_entry *entries;
};

struct aw_gw {
	struct aw_dp *dp;
	const struct aw_gw_conf *conf;
	struct aw_gw_table *t;
	uint16_t port_be;
	uint64_t base_tsc, tsc_hz;
	pthread_mutex_t lock;
};

#define AW_GW_OUT_MAX 64 /* capsules an lcore seals together at the end of a burst */

/* A packet route_out laid out as a capsule, waiting for the burst's seal. */
struct aw_gw_out {
	struct rte_mbuf *m;
	struct aw_gw_path *p;
	struct aw_gw_bind b;
	uint32_t len; /* inner packet */
	uint32_t frag_mtu; /* 0, or the egress MTU its outer IPv4 packet is fragmented to */
};

#define AW_GW_FRAG_OUT_MAX 64 /* fragments after the first of one outgoing capsule */

struct rte_ip_frag_tbl;

struct aw_gw_lcore {
	struct aw_trs_engine *eng;
	struct rte_ip_frag_tbl *frag;     /* reassembly (aw_gw_frag.c) */
	struct rte_ip_frag_death_row dr;
	struct aw_gw_kslot *kc;  /* AW_GW_KEY_CACHE slots */
	uint64_t key_expansions; /* cache misses (relaxed reads by the API thread) */
	uint32_t now_s;
	bool in_route_out;      /* re-entry guard of aw_gw_route_out */
	uint16_t ip_id;         /* next outer IPv4 id of a fragmented capsule */
	unsigned n_out;
	struct aw_gw_out out[AW_GW_OUT_MAX];
	unsigned iv_used;
	uint8_t iv_pool[AW_GW_IV_POOL];
} __rte_cache_aligned;

static inline uint32_t
aw_gw_clock(const struct aw_gw *g, uint64_t tsc)
{
	return (uint32_t)((tsc - g->base_tsc) / g->tsc_hz);
}

/* The largest inner packet a capsule of `suite` carries within `mtu` bytes of
 * outer IP (outer IPv6 or IPv4): suite 1 pads to 16 after a 16-byte IV. */
static inline uint32_t
aw_gw_inner_max(unsigned suite, int outer_v6, uint32_t mtu)
{
	const uint32_t over = (outer_v6 ? 40u : 20u) + 8u; /* outer IP + UDP */
	const uint32_t room = mtu > over ? mtu - over : 0;

	if (suite == AW_TRS_SUITE_CBC_HMAC_MD5)
		return room >= 96 ? ((room - 64) / 16 - 1) * 16 + 15 : 0;
	return room > AW_TRS_MIN_LEN ? room - AW_TRS_MIN_LEN : 0;
}

/* Lowers the MSS of a TCP SYN in the IP packet ip (len bytes) so that
 * segments fit an inner packet of inner_max bytes; counted. */
void aw_gw_clamp_mss(struct aw_lcore_ctx *c, uint8_t *ip, size_t len, uint32_t inner_max);

/* The expanded key of path p on this lcore (expanded on a miss). NULL when
 * the suite is unknown (cannot happen for an installed path). */
static inline const struct aw_trs_key *
aw_gw_key(struct aw_gw_lcore *gl, const struct aw_gw_path *p)
{
	struct aw_gw_kslot *s = &gl->kc[p->key_id & (AW_GW_KEY_CACHE - 1)];

	if (likely(s->key_id == p->key_id))
		return &s->k;
	if (aw_trs_key_expand(&s->k, p->enc, p->mac, p->suite) != AW_TRS_OK)
		return NULL;
	s->key_id = p->key_id;
	__atomic_store_n(&gl->key_expansions, gl->key_expansions + 1, __ATOMIC_RELAXED);
	return &s->k;
}

/* Starts loading what aw_gw_key and a seal read of path p's slot: the
 * key_id word and the first 512 bytes of the expanded key (suite 2: the
 * round keys and the powers of H; suite 1: the round keys, ipad and opad).
 * The outbound path calls it when a packet is gathered, long before
 * burst_end seals it. */
static inline void
aw_gw_key_prefetch(const struct aw_gw_lcore *gl, const struct aw_gw_path *p)
{
	const struct aw_gw_kslot *s = &gl->kc[p->key_id & (AW_GW_KEY_CACHE - 1)];

	rte_prefetch0(&s->key_id);
#pragma GCC unroll 8
	for (unsigned off = 0; off < 512; off += RTE_CACHE_LINE_SIZE)
		rte_prefetch0(s->k.mb.gcm + off);
}

/* One gateway entry object at `path` ("gateways[3]", or "" for gateway.add);
 * prefixes: the node_addr must lie in one of them. */
/* Reassembly (aw_gw_frag.c): per-lcore table, a fragment of the batch, timers. */
int aw_gw_frag_init(struct aw_gw_lcore *gl, const struct aw_gw_conf *gc, uint64_t tsc_hz,
		    int socket);
void aw_gw_frag_fini(struct aw_gw_lcore *gl);
void aw_gw_frag_input(struct aw_lcore_ctx *c, struct aw_gw_lcore *gl, const struct aw_feat_pkt *fp);
void aw_gw_frag_tick(struct aw_lcore_ctx *c, struct aw_gw_lcore *gl, uint64_t now_tsc);
/* Frees what the table let go of, counted gw_frag_discarded. */
void aw_gw_frag_free(struct aw_lcore_ctx *c, struct aw_gw_lcore *gl);

/* Outer IPv4 fragmentation (aw_gw_frag_out.c): m, a sealed capsule, cut to
 * its first fragment (of at most mtu bytes of IP), the others made in tails;
 * 0 or the drop reason (nothing made then). Then, once m is routed, attach
 * chains the tails behind it when its verdict is TX, else frees them. */
enum aw_drop_reason aw_gw_frag_split(struct aw_gw_lcore *gl, struct rte_mbuf *m, uint32_t mtu,
				     struct rte_mbuf *tails[AW_GW_FRAG_OUT_MAX], unsigned *n_tails);
void aw_gw_frag_attach(struct aw_lcore_ctx *c, struct rte_mbuf *m, struct rte_mbuf **tails,
		       unsigned n);

/* Seals and sends what route_out gathered (aw_gw_out.c). */
void aw_gw_burst_end(struct aw_lcore_ctx *c);

int aw_gw_entry_parse(struct aw_jctx *c, json_t *v, const char *path,
		      const struct aw_gw_conf *gc, struct aw_gw_entry *out);
/* The gateway table as aw_keyed_api serves it (aw_gw_api.c). */
struct aw_keyed;
extern const struct aw_keyed aw_gw_keyed;

/* The API / stats view of a path (never the key). */
json_t *aw_gw_path_json(const struct aw_gw *g, const struct aw_gw_path *p);

#endif /* AW_GW_PRIV_H */
