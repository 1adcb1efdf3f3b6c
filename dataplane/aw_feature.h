/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_feature — the one interface between the core and a packet feature (the
 * ASRS service router, the TRS relay, those to come). The core knows a
 * feature only by its id and its ops (registry: aw_features.h / .c); a
 * feature calls the core downward only: forwarding (aw_fwd.h), ICMP
 * (aw_icmp.h), verdicts and counters (aw_dp.h).
 *
 * Packet path. aw_process_burst() classifies a whole burst first. A packet a
 * feature owns is not handled one by one: it is appended to that feature's
 * batch in the lcore context (c->batch[id]) with what classification already
 * learned (IP header length, family, protocol, which address it was sent
 * to). After the classify loop, each non-empty batch goes to its feature's
 * burst function (one indirect call per feature per burst), which can do bulk
 * table lookups and bulk tag verification, and must set the verdict of every
 * packet in it (aw_set_tx / aw_set_drop / aw_set_slow; forwarding through
 * aw_fwd.h).
 *
 * Steering (struct aw_steer, dp->steer): what a feature's create function
 * claims, as id + 1 (a zeroed struct claims nothing); AW_FEAT_NONE where
 * nobody does (the packet is then dropped as
 * `local_unhandled`, or as the core does without features):
 *  - UDP to an own address or VIP whose destination port a feature claimed
 *    (udp[]: the TRS relay port) → that feature;
 *  - other TCP/UDP to an own address or VIP → `local_l4` (ASRS: service
 *    traffic to VIPs and instance aliases, replies to SNAT addresses);
 *  - ICMP/ICMPv6 errors (v4 types 3, 11, 12; v6 types 1..4) to an own address
 *    or VIP → `icmp_error` (ASRS: translation for sessions, SPEC §4.5);
 *  - IPv4 fragments and IPv6 packets with a Fragment header right after
 *    the fixed header, to an own address or VIP → `frag_local`, addr_flags
 *    | AW_FEAT_FRAGMENT (the gateway: reassembly); for these only the IP
 *    header is checked, and `proto` is the IPv4 protocol or 44;
 *  - IPv6 TCP/UDP/ICMPv6 errors to an address inside `prefix6` (upper 64
 *    bits; not an own address) → `prefix6_feat`, addr_flags =
 *    AW_FEAT_SVC_PREFIX (ASRS: asrs.service_prefix6); echo requests to it are
 *    answered by the core.
 * Guaranteed by the core before a packet enters a batch: single segment,
 * Ethernet + valid IP header (length trimmed to the IP total length, IPv4
 * checksum good, no IPv4 fragment, no IPv6 extension header), the L4 header's
 * first 8 bytes present, source not multicast/broadcast/ours. Not checked:
 * L4 checksums, TCP header length.
 *
 * Contract: the ops are called as each member says; batches and c->feat_lc
 * live in the lcore context and only that lcore touches them; dp->feat and
 * dp->steer are set by create before lcores start, immutable while they run.
 */
#ifndef AW_FEATURE_H
#define AW_FEATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_mbuf.h>

#include "aw_features.h"
#include "aw_metrics.h"

#define AW_FEAT_SVC_PREFIX 0x80 /* addr_flags: destination in the IPv6 service prefix */
#define AW_FEAT_FRAGMENT   0x40 /* addr_flags: an IP fragment to an own address (frag_local) */
#define AW_FEAT_NONE       0    /* steering: no feature (else id + 1) */
#define AW_STEER_MAX_UDP   4    /* UDP ports the features may claim, all together */

struct aw_feat_pkt {
	struct rte_mbuf *m;
	uint16_t l3_hl;     /* IP header length (IPv4 IHL * 4, or 40) */
	uint16_t l3_len;    /* IP total length */
	uint8_t v6;         /* 0: IPv4, 1: IPv6 */
	uint8_t proto;      /* IPPROTO_TCP, _UDP, _ICMP or _ICMPV6 */
	uint8_t addr_flags; /* aw_addrset flags of the destination (AW_ADDR_*) */
	uint8_t port_in;    /* index of the receiving port */
};

struct aw_feat_batch {
	uint16_t n;
	struct aw_feat_pkt p[256]; /* AW_MAX_BURST */
};

/* Which feature gets what (see above): id + 1, or AW_FEAT_NONE. */
struct aw_steer {
	uint8_t local_l4;
	uint8_t icmp_error;
	uint8_t prefix6_feat;
	uint8_t frag_local;
	uint8_t n_udp;
	uint32_t udp0_key;    /* first claim: its port_be | 0x10000, 0 when none (one compare) */
	struct {
		uint16_t port_be; /* network order */
		uint8_t feat;     /* id + 1 */
	} udp[AW_STEER_MAX_UDP];
	uint8_t prefix6[8];
};

/* One row of a feature's metrics table (ops.metrics): the type of one
 * numeric key of its stats_json section, so that the metrics endpoint
 * (aw_metrics_dp.c) serves it as anyway_dp_<feature>_<key> ("_total" added
 * to a counter). label NULL: the key's value is a number; else an object of
 * numbers, served as one sample per member, labelled label="member". A key
 * of the section that no row names is not served (the golden metrics test
 * fails on it): a feature that adds a number to its stats section adds its
 * row here. kind: AW_METRIC_COUNTER (only ever grows) or AW_METRIC_GAUGE. */
struct aw_feat_metric {
	const char *key;
	enum aw_metric_type kind;
	const char *label;
	const char *help;
};

struct aw_dp;
struct aw_lcore_ctx;
struct aw_config;
struct aw_jctx;
struct aw_api_method;
struct aw_prefix;

struct aw_feature_ops {
	/* Its section in the stats method ("asrs", "relay"). */
	const char *name;
	/* Main thread, at config load. keys: the top-level config keys it
	 * owns (NULL-terminated). parse: validates them and sets
	 * cfg->feat_conf[id], left NULL when none is present (feature off);
	 * -1 with the error in c. conf_free: that object (NULL allowed). */
	const char *const *config_keys;
	int (*config_parse)(struct aw_jctx *c, json_t *root, struct aw_config *cfg);
	void (*config_free)(void *conf);
	/* Main thread, after the lcore contexts exist and before lcores start:
	 * builds dp->feat[id] (NULL when its config is NULL), gives each
	 * processing lcore its state in c->feat_lc[id], claims its traffic
	 * (aw_feat_claim*, dp->steer.prefix6). -1 with err set; destroy then cleans up whatever
	 * was made. destroy: main thread, after lcores stopped; safe to call
	 * when create did nothing. */
	int (*create)(struct aw_dp *dp, char *err, size_t errlen);
	void (*destroy)(struct aw_dp *dp);
	/* The lcore owning c (rtc or pipeline worker), between two of its
	 * quiescent states; only while dp->feat[id] is set. burst: sets the
	 * verdict of every packet of the batch. tick: once per loop, bounded
	 * timer work. */
	void (*burst)(struct aw_lcore_ctx *c, struct aw_feat_batch *b);
	void (*tick)(struct aw_lcore_ctx *c, uint64_t now_tsc);
	/* May be NULL. The lcore owning c, at the end of every aw_process_burst
	 * (after every pass and re-injection), for work a feature gathered
	 * during the burst to do at once (the gateway seals the capsules of
	 * route_out in one crypto burst): must set the verdict of every packet
	 * it held back. c->in_burst is true while a burst is processed. */
	void (*burst_end)(struct aw_lcore_ctx *c);
	/* Any control thread: its stats section. Main thread, once created:
	 * its DPDK telemetry commands (may be NULL). */
	json_t *(*stats_json)(const struct aw_dp *dp);
	void (*telemetry_register)(const struct aw_dp *dp);
	/* The types of its stats section's numbers (above), ended by a row
	 * with key NULL; NULL: none served. API thread: metrics_more writes
	 * families beyond the stats section (ASRS: per service / destination;
	 * may be NULL). Every name starts "anyway_dp_<name>_". */
	const struct aw_feat_metric *metrics;
	void (*metrics_more)(const struct aw_dp *dp, struct aw_metrics *w);
	/* Routes to the feature (may be NULL: none). Main thread, when the
	 * routes are built (config parsed, feature not yet created): the
	 * prefixes whose routed packets it takes (*out points into its parsed
	 * config). route_out: the lcore owning c, for a packet the forwarding
	 * module routed into one of them (aw_fwd.h; Ethernet header first, the
	 * TTL checked unless originated, not yet decremented): sets its verdict;
	 * must not route the result into such a prefix again. */
	unsigned (*route_prefixes)(const struct aw_config *cfg, const struct aw_prefix **out);
	void (*route_out)(struct aw_lcore_ctx *c, struct rte_mbuf *m, bool originated, int v6);
	/* API thread: its methods (aw_api.h contract). */
	const struct aw_api_method *api_methods;
	const unsigned *n_api_methods;
	/* Its counters: compile-time lists named by the registry
	 * (AW_FEATURE_DROP_REASONS / _INFO_COUNTERS in aw_features.h), so that
	 * its drop reasons are constants in the core's enum. */
};

/* create's claims on the steering (dp->steer) for feature `id`: `slot` one of
 * its id fields, or a UDP destination port (network order). -1 with err set
 * when another feature holds it or no UDP claim is left. Main thread. */
int aw_feat_claim(struct aw_dp *dp, uint8_t *slot, uint8_t id, const char *what, char *err,
		  size_t errlen);
int aw_feat_claim_udp(struct aw_dp *dp, uint16_t port_be, uint8_t id, char *err, size_t errlen);

/* create's per-lcore state of feature `id` (aw_feat_lcores.c): on every lcore
 * that runs features (rtc, pipeline worker), `size` zeroed cache-aligned
 * bytes in c->feat_lc[id], then init(c, state) (may be NULL). -1 with err set
 * ("<name>: out of memory for lcore state", or init's message); what was
 * made is left for aw_feat_lcores_free, which destroy calls: fini(state) (may
 * be NULL) on each lcore's state, then frees it. Main thread. */
typedef int (*aw_feat_lc_init_fn)(struct aw_lcore_ctx *c, void *state, char *err, size_t errlen);
typedef void (*aw_feat_lc_fini_fn)(void *state);
int aw_feat_lcores_alloc(struct aw_dp *dp, uint8_t id, size_t size, const char *name,
			 aw_feat_lc_init_fn init, char *err, size_t errlen);
void aw_feat_lcores_free(struct aw_dp *dp, uint8_t id, aw_feat_lc_fini_fn fini);

#endif /* AW_FEATURE_H */
