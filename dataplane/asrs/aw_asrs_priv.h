/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_asrs_priv — the ASRS router's internal types, shared by its modules:
 *   aw_asrs_conf.c   config / API object parsers (services, listeners, "asrs")
 *   aw_asrs_conf_flood.c  asrs.snat ranges, asrs.synproxy, asrs.new_flow_limit
 *   aw_asrs_svc.c    service map and listener table (immutable objects, RCU)
 *   aw_asrs_sess.c   session slots, SNAT port allocation (per-pair counts), aging
 *   aw_asrs_synproxy.c  SYN proxy (cookies, handshakes, sequence shift), new-flow budget
 *   aw_asrs_stab.c   session lookup table (two 4-byte entries per session, keys not stored)
 *   aw_asrs_path.c   the burst function (fast path) and session creation
 *   aw_asrs_answer.c RST / ICMP port unreachable, ICMP error translation
 *   aw_asrs_api.c    API methods, stats, telemetry
 *   aw_asrs_svcstats.c  per (service, destination) counters
 *   aw_asrs.c        create / destroy / tick
 *
 * Contract: see aw_asrs.h for which thread calls what. Objects reachable from
 * lcores (struct aw_svc, struct aw_lsn_table, session slots) are immutable
 * once published, except the session fields marked "lcores" below, which any
 * lcore holding the session may store to (plain stores of aligned fields;
 * a racing reader sees the old or the new value).
 */
#ifndef AW_ASRS_PRIV_H
#define AW_ASRS_PRIV_H

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "aw_asrs.h"
#include "aw_inet.h"
#include "aw_shim.h"
#include "aw_sid.h"
#include "aw_snat_pairs.h"
#include "aw_syncookie.h"

#define AW_ASRS_MAX_DESTS     1024  /* destinations per service */
#define AW_ASRS_MAX_LISTENERS 4096
#define AW_ASRS_MAX_SNAT      64    /* SNAT addresses per family */
#define AW_ASRS_BATCH_MAX     10000 /* API batch forms */
#define AW_ASRS_STASH         64u   /* per-lcore cache of free session slots */
#define AW_ASRS_AGE_PER_TICK  64u   /* session slots an lcore examines per loop, at most */
#define AW_ASRS_AGE_PASS_MAX_S 1     /* an lcore's aging pass over its slice: at most 1 s,
				      * and at most 1/4 of the shortest timeout */
#define AW_ASRS_PROBES        64u   /* SNAT ports tried per new session (at most) */
#define AW_ASRS_MAX_PAIRS     65536u /* (SNAT address, destination) pairs per lcore */
#define AW_ASRS_TICKS_PER_S   16    /* session time unit: 1/16 s */
#define AW_ASRS_SNAT_TAB      (2 * AW_ASRS_MAX_SNAT + 2 * AW_MAX_PORTS)
_Static_assert(AW_ASRS_SNAT_TAB <= 256, "a session names its SNAT address in one byte");

/* ---- configuration (also the parsed form of API arguments) ---- */
struct aw_asrs_dest {
	struct aw_addr addr;
	uint16_t port; /* host order */
	uint16_t priority;
	uint16_t weight;
};

struct aw_svc_conf {
	uint64_t sid;
	uint16_t uri_len;
	char uri[AW_URI_MAX_LEN + 1];
	unsigned n_dests;
	struct aw_asrs_dest *dests; /* malloc'd */
};

struct aw_lsn_conf {
	struct aw_addr vip;
	uint8_t proto; /* IPPROTO_TCP / IPPROTO_UDP */
	uint16_t port; /* host order */
	uint64_t sid;
	uint16_t uri_len;
	char uri[AW_URI_MAX_LEN + 1];
	int8_t synproxy;     /* 1 / 0; -1: asrs.synproxy.default */
};

enum aw_sess_state { AW_SS_FREE = 0, AW_SS_SYN, AW_SS_EST, AW_SS_CLOSING, AW_SS_UDP, AW_SS__N };

struct aw_asrs_conf {
	uint16_t port;                 /* ASRS port, host order */
	bool has_prefix6;
	struct aw_prefix prefix6;
	unsigned n_snat4, n_snat6;
	struct aw_addr snat4[AW_ASRS_MAX_SNAT], snat6[AW_ASRS_MAX_SNAT];
	uint16_t snat_min, snat_max;   /* SNAT port range, host order */
	uint32_t max_sessions;
	uint32_t max_services;
	uint32_t timeout_s[AW_SS__N];  /* by session state */
	bool synproxy_default;         /* asrs.synproxy.default */
	bool has_synproxy_secret;
	uint8_t synproxy_secret[16];   /* asrs.synproxy.secret (else random at start) */
	uint32_t synproxy_period_s;    /* cookie generation length */
	uint32_t new_flow_rate;        /* per lcore per s; 0: no limit */
	uint32_t new_flow_burst;
	unsigned n_services;
	struct aw_svc_conf *services;
	unsigned n_listeners;
	struct aw_lsn_conf *listeners;
};

int aw_asrs_parse_service(struct aw_jctx *c, json_t *obj, const char *path,
			  struct aw_svc_conf *out);
int aw_asrs_parse_dests(struct aw_jctx *c, json_t *arr, const char *path,
			struct aw_svc_conf *out);
int aw_asrs_parse_uri(struct aw_jctx *c, json_t *obj, const char *path, const char *key,
		      char *uri, uint16_t *len, uint64_t *sid);
/* A listener {vip, proto, port[, service]}; service required when want_svc. */
int aw_asrs_parse_listener(struct aw_jctx *c, json_t *obj, const char *path, bool want_svc,
			   struct aw_lsn_conf *out);
void aw_svc_conf_clear(struct aw_svc_conf *s);
/* aw_asrs_conf_flood.c */
int aw_asrs_parse_snat(struct aw_jctx *c, json_t *asrs, struct aw_asrs_conf *ac);
int aw_asrs_parse_synproxy(struct aw_jctx *c, json_t *asrs, struct aw_asrs_conf *ac);
int aw_asrs_parse_new_flow_limit(struct aw_jctx *c, json_t *asrs, struct aw_asrs_conf *ac);
/* The listener's optional "synproxy" (out->proto already set). */
int aw_asrs_parse_lsn_synproxy(struct aw_jctx *c, json_t *obj, const char *path,
			       struct aw_lsn_conf *out);

/* ---- service map ---- */
struct aw_svc {
	uint64_t sid;
	uint16_t n_dests;  /* sorted: priority, then aw_maglev_dest_cmp order */
	uint16_t n_pref;   /* size of the preferred group (weight > 0); 0: no new flows */
	uint32_t table_size;
	uint16_t *table;   /* Maglev table of the preferred group: indices into dests */
	uint16_t *stat_k;  /* by destination: its counters' index (aw_asrs_svcstats.h) */
	uint16_t uri_len;
	char uri[AW_URI_MAX_LEN + 1];
	struct aw_asrs_dest dests[];
};

struct aw_lsn_slot {
	uint8_t b[16];   /* the VIP; all zero for an alias slot */
	uint8_t family;  /* 0: empty */
	uint8_t proto;
	uint16_t port_be;
	uint8_t alias;   /* 1: instance-alias slot (SPEC §4.6), keyed without address */
	int8_t synproxy; /* as aw_lsn_conf.synproxy */
	uint8_t pad[2];
	uint64_t sid;
	uint8_t vip[16]; /* alias slot: the VIP it stands for */
};

/* Immutable listener table, published by pointer. */
struct aw_lsn_table {
	uint32_t mask;
	uint32_t n;                 /* listeners in list[] */
	struct aw_lsn_conf *list;   /* in insertion order (listing, rebuilds) */
	struct aw_lsn_slot slot[];  /* listeners, then one alias slot per (family, proto, port) */
};

/* ---- sessions ---- */
/* Key of one direction, as the packet arrives: (src, dst, sport, dport, proto). */
struct aw_sess_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport, dport; /* network order */
	uint8_t proto;
	uint8_t v6;
	uint8_t pad[2];
} __attribute__((packed));

#define AW_SESS_F_CLIENT6 0x01 /* client side is IPv6 */
#define AW_SESS_F_DEST6   0x02 /* destination side is IPv6 */
#define AW_SESS_F_SHIM    0x04 /* client datagrams carry the UDP shim */
#define AW_SESS_F_OPT     0x08 /* TCP to the ASRS port: the client's packets may carry the option */
#define AW_SESS_F_SP      0x10 /* SYN proxy: sequence numbers translated (sp_*) */
#define AW_SESS_F_SP_WAIT 0x20 /* SYN proxy: waiting for the destination's SYN-ACK */
#define AW_SESS_F_SP_CLAIM 0x40 /* SYN proxy: an lcore is ending the wait */
#define AW_SESS_F_PORT_HELD 0x80 /* client key toward a SNAT address and port: the port
				  * counts in its partition's port_used (aw_asrs_sess.c) */

/* 84 bytes, 4-byte aligned (SPEC §10: ≤ 96 bytes per session with its two
 * lookup entries): the SNAT address is an index into aw_asrs.snat_tab, and
 * the SYN proxy's client ISN, needed only while AW_SESS_F_SP_WAIT is set,
 * lives in nh[1] (nothing goes toward the client through the cache then:
 * aw_asrs_synproxy.c ends the wait before it forwards anything that way).
 * A free slot (state AW_SS_FREE, on the free list) keeps the index of the
 * next free slot in `last`. */
struct aw_sess {
	uint8_t client[16], vip[16];  /* client side: client → vip */
	uint8_t dest[16];             /* destination side: snat_tab[snat] → dest */
	uint16_t cport, vport;        /* network order; adjacent, and ... */
	uint16_t dport, sport;        /* ... (sport: the allocated SNAT port): each pair in
				       * a key's (sport, dport) order (aw_sess_match) */
	uint64_t sid __attribute__((packed, aligned(4)));
	uint32_t last;                /* lcores: last packet, in 1/16 s since start */
	uint8_t state;                /* lcores: enum aw_sess_state */
	uint8_t proto;
	uint8_t flags;                /* AW_SESS_F_*; lcores: SP_WAIT / SP_CLAIM (atomics) */
	uint8_t snat;                 /* index into aw_asrs.snat_tab */
	uint32_t sp_delta;            /* lcores; SYN proxy: our cookie ISN while waiting,
				       * then cookie - destination's ISN */
	uint32_t nh[2];               /* lcores: next-hop cache words (aw_fwd.h) toward
				       * dest [0] and client [1]; 0 until the first packet.
				       * SYN proxy waiting: nh[1] is the client's ISN */
};
#define AW_SESS_SP_ISN 1 /* nh[AW_SESS_SP_ISN]: the client's ISN while SP_WAIT */

#define AW_BAD_OPT_NOT_SYN  (AW_SHIM_ERR_COUNT + 0) /* ASRS option on a non-SYN */
#define AW_BAD_SID_CHANGED  (AW_SHIM_ERR_COUNT + 1) /* shim of another service in a session */

/* A bucket of the session lookup table (aw_asrs_stab.h). */
#define AW_STAB_WAYS 15
struct aw_stab_bucket {
	uint32_t e[AW_STAB_WAYS]; /* 0: empty; else signature << ref_bits | (ref + 1) */
	uint32_t ovf;             /* entries stored past this bucket that passed it */
} __attribute__((aligned(64)));

struct aw_svcstat_ctr;
struct aw_svcstats;

/* Per-lcore next-hop words by destination address (aw_asrs_dnh.h). */
#define AW_ASRS_DNH_BITS 6
struct aw_asrs_dnh {
	uint8_t addr[16];
	uint32_t nh; /* 0: empty */
	uint8_t v6;
};

/* Cache-line aligned: each lcore writes its own. */
struct aw_asrs_lcore {
	unsigned part, n_parts;       /* this lcore's share of SNAT ports and aging */
	uint16_t port_lo, port_n;     /* SNAT port partition */
	struct aw_snat_part snat;     /* its cursor and per-pair free-port counts ... */
	rte_spinlock_t snat_lock;     /* ... under this lock: taken by this lcore's session
				       * creation and by the expiry of its sessions */
	uint32_t age_lo, age_n, age_next; /* aging slice of the session slots */
	bool dq_pending;              /* dq may hold slots: reclaim it every loop */
	uint64_t age_due_tsc;         /* TSC when the next slot of the slice is due */
	uint64_t age_slot_tsc;        /* TSC cycles per slot: the pass spread over its period */
	unsigned n_stash;
	uint32_t stash[AW_ASRS_STASH];
	struct rte_rcu_qsbr_dq *dq;   /* expired sessions waiting for a grace period */
	uint32_t now;                 /* 1/16 s since start, refreshed every loop (aw_asrs_tick) */
	bool active;                  /* a processing lcore (rtc or worker) */
	uint64_t created[4];          /* Bloom bits of the client key hashes of the
				       * sessions created in this burst */
	struct aw_syncookie sc;       /* SYN cookie keys (this lcore's cache) */
	uint32_t nf_tokens, nf_last;  /* new-flow budget: tokens, refilled at (1/16 s) */
	struct aw_asrs_dnh dnh[1u << AW_ASRS_DNH_BITS]; /* new sessions' first word */
	/* the burst's last listener (of table memo_lsn_tab) and service (aw_asrs_memo.h) */
	const struct aw_lsn_slot *memo_lsn;
	const struct aw_lsn_table *memo_lsn_tab;
	const struct aw_svc *memo_svc;
	uint64_t memo_sid;
	uint64_t sess_expired;
	/* finer reasons of bad_shim drops: aw_shim errors, then the two below */
	uint64_t bad_shim[AW_SHIM_ERR_COUNT + 2];
	struct aw_svcstat_ctr *ss;    /* this lcore's per-pair counters (aw_asrs_svcstats.h) */
} __rte_cache_aligned;

struct aw_asrs {
	struct aw_dp *dp;
	uint16_t *ss_k;                /* by session slot: its pair's counter index */
	struct aw_svcstats *ss;        /* the pairs' registry (API thread) */
	const struct aw_asrs_conf *conf;
	/* services: SID → struct aw_svc * (RCU); one writer, the API thread */
	struct rte_hash *svc;
	uint32_t n_svc;
	struct rte_rcu_qsbr_dq *svc_dq;
	struct aw_lsn_table *lsn;      /* RCU */
	/* sessions */
	struct aw_stab_bucket *stab;   /* aw_sess_key → ref (slot << 1 | reply) */
	uint32_t stab_n;               /* buckets */
	uint32_t stab_ref_bits;        /* low bits of an entry: ref + 1 */
	uint32_t stab_ref_mask;        /* (1 << stab_ref_bits) - 1 */
	struct aw_sess *sess;          /* slots */
	uint32_t n_slots;
	/* One processing lcore: it alone creates, expires and frees sessions
	 * (the API thread only reads), so the free-list and SNAT partition
	 * locks are not taken, and neither the count nor the lookup table's
	 * entries are written with read-modify-write atomics. Set by
	 * aw_asrs_create after every lcore's init. */
	bool one_writer;
	bool create_locked;            /* create_lock taken: in pipeline mode only, where
					* the packets of one flow reach several workers; in
					* rtc mode RSS keeps a flow's client side on one lcore */
	uint64_t start_tsc;
	uint16_t min_mtu;              /* smallest port MTU (the SYN proxy's MSS) */
	uint32_t timeout[AW_SS__N];    /* in 1/16 s */
	size_t sess_bytes;             /* heap used by the session table */
	uint8_t sp_master[16];         /* SYN cookie master secret */
	uint64_t start_unix;           /* wall clock at start_tsc, s (cookie generations) */
	/* SNAT addresses by index: [i] the snat list's IPv4 i, [MAX_SNAT + i]
	 * IPv6 i, [2 MAX_SNAT + 2p] / [2 MAX_SNAT + 2p + 1] port p's first IPv4 /
	 * IPv6 address */
	uint8_t snat_tab[AW_ASRS_SNAT_TAB][16];
	/*
	 * What session writers write, each on cache lines of its own: with
	 * several lcores creating sessions, a lock or count sharing a line with
	 * the fields above (read on every packet) would move that line between
	 * the cores at every taking. (The lookup table itself has no writer
	 * lock: aw_asrs_stab.h.)
	 */
	alignas(RTE_CACHE_LINE_SIZE) rte_spinlock_t free_lock; /* the free list: ... */
	uint32_t free_head;            /* ... first free slot (UINT32_MAX: none), linked
					* through aw_sess.last */
	alignas(RTE_CACHE_LINE_SIZE) uint32_t n_sessions; /* atomic */
	alignas(RTE_CACHE_LINE_SIZE) rte_spinlock_t create_lock; /* session creation:
					* lookup-then-add, when create_locked */
	struct aw_asrs_lcore lc[];     /* by context index (rcu_id) */
};

/* aw_asrs_svc.c */
int aw_svc_init(struct aw_asrs *a, char *err, size_t errlen);
void aw_svc_fini(struct aw_asrs *a);
static inline const struct aw_svc *aw_svc_find(const struct aw_asrs *a, uint64_t sid)
{
	void *d;
	return rte_hash_lookup_data(a->svc, &sid, &d) >= 0 ? d : NULL;
}
/* Validated batch → published whole; -1 with err (nothing changed). */
int aw_svc_set_batch(struct aw_asrs *a, const struct aw_svc_conf *s, unsigned n, char *err,
		     size_t errlen);
unsigned aw_svc_del_batch(struct aw_asrs *a, const uint64_t *sids, unsigned n);
/* Listener table with l added (replacing one with the same vip/proto/port) or
 * removed; published; *existed says whether it was there. */
int aw_lsn_update(struct aw_asrs *a, const struct aw_lsn_conf *l, bool add, bool *existed,
		  char *err, size_t errlen);
const struct aw_lsn_slot *aw_lsn_lookup(const struct aw_lsn_table *t, const uint8_t *addr,
					uint8_t family, uint8_t proto, uint16_t port_be);
/* Instance alias: the first listener on (family, proto, port) whose VIP is
 * an AARP VIP in `as`, or NULL. */
struct aw_addrset;
const struct aw_lsn_slot *aw_lsn_alias(const struct aw_lsn_table *t, const struct aw_addrset *as,
				       uint8_t family, uint8_t proto, uint16_t port_be);
/* Reclaims service objects whose grace period has passed (API thread). */
void aw_svc_reclaim(struct aw_asrs *a);

/* aw_asrs_sess.c */
int aw_sess_init(struct aw_asrs *a, char *err, size_t errlen);
void aw_sess_fini(struct aw_asrs *a);
/* Gives c its per-lcore state; -1 when its defer queue cannot be made. */
int aw_sess_lcore_init(struct aw_asrs *a, struct aw_lcore_ctx *c);
/* Slot for a new session or UINT32_MAX when the table is full. */
uint32_t aw_sess_alloc(struct aw_asrs *a, struct aw_asrs_lcore *l);
void aw_sess_unalloc(struct aw_asrs *a, struct aw_asrs_lcore *l, uint32_t idx);
/* A free SNAT port toward (dest, dport, proto) from snat, or 0 (why: the
 * reason, may be NULL); *hr: the hash of the reply key with that port. Fails
 * without probing when the pair has every port of l's partition. The port
 * counts in the pair until the session expires. */
uint16_t aw_snat_port(struct aw_asrs *a, struct aw_asrs_lcore *l, const struct aw_sess *s,
		      uint32_t *hr, enum aw_snat_res *why);
/* s->sport (network order) set to a free SNAT port from s->snat, or from the
 * next addresses of the `snat` list (s->snat updated) when its pair is
 * exhausted: AW_DROP__COUNT; else the drop reason. *hr as aw_snat_port. */
enum aw_drop_reason aw_snat_spread(struct aw_asrs *a, struct aw_asrs_lcore *l, struct aw_sess *s,
				   uint32_t *hr);
/* s's client key could equal a reply key (its VIP is a SNAT address, its
 * port a SNAT port): the port is counted in use (AW_SESS_F_PORT_HELD), so
 * that allocation probes it, until the session expires. */
void aw_snat_client_hold(struct aw_asrs *a, struct aw_sess *s);
/* Inserts both keys of slot idx (the table always has room); _h with the
 * hashes of its client and reply keys known. */
void aw_sess_insert(struct aw_asrs *a, uint32_t idx);
void aw_sess_insert_h(struct aw_asrs *a, uint32_t idx, uint32_t hc, uint32_t hr);
void aw_sess_key_client(const struct aw_sess *s, struct aw_sess_key *k);
void aw_sess_key_reply(const struct aw_asrs *a, const struct aw_sess *s, struct aw_sess_key *k);
void aw_sess_age(struct aw_asrs *a, struct aw_asrs_lcore *l, uint64_t now_tsc);
/* Ends session idx now (as if it had expired); false when l's defer queue
 * has no room (nothing done). */
bool aw_sess_kill(struct aw_asrs *a, struct aw_asrs_lcore *l, uint32_t idx);

/* aw_asrs_answer.c */
/* TCP RST / ICMP port unreachable to the sender of m (rate limited); `drop`
 * when nothing may be sent. */
void aw_asrs_refuse(struct aw_lcore_ctx *c, const struct aw_feat_pkt *p,
		    enum aw_drop_reason drop);
/* ICMP error to an own address or VIP: translated for its session. */
void aw_asrs_icmp_error(struct aw_lcore_ctx *c, struct aw_asrs *a, const struct aw_feat_pkt *p);

/* aw_asrs_api.c: /anyway/sessions reads `a` (NULL: the command answers an error). */
void aw_asrs_telemetry_register(const struct aw_asrs *a);

/* aw_asrs_path.c */
static inline uint32_t
aw_asrs_now(const struct aw_asrs *a, uint64_t tsc)
{
	return (uint32_t)((tsc - a->start_tsc) * AW_ASRS_TICKS_PER_S / a->dp->tsc_hz);
}

#endif /* AW_ASRS_PRIV_H */
