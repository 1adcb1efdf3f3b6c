/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_gw — the overlay gateway's side of anyway-bench (scenarios gateway-in
 * and gateway-out, SPEC §6): one gateway path per flow, PathID, End Key and
 * node address as bench/templates.py installs them in the data plane
 * (path_id(f), SHA-256("anyway-bench path <f>"), node_addr = the template's
 * node address + f), sealed and opened with lib/trs (intel-ipsec-mb, or
 * OpenSSL where it cannot run), the data plane's own crypto library but the
 * bench's own engine and keys.
 *
 *  - Setup (both scenarios): one CAPSULE per path with seq 1, sent before any
 *    timed traffic, binds the path to the generator's address and port (what
 *    a node does; no API backdoor). Its inner packet is a small UDP packet
 *    from the node, forwarded by the data plane and discarded by the sink
 *    with the rest of the setup answers.
 *  - gateway-in: the generator writes the inner frame (template, stamp), then
 *    ab_gw_seal puts the outer Ethernet / IPv4 / UDP / TRS header in front of
 *    the inner IP packet and seals it in place, seq = stamp seq + 2: the
 *    gateway's 64-message replay window needs a fresh seq per capsule, so
 *    every packet is sealed (a burst at a time, ipsec-mb lanes).
 *  - gateway-out: the generator sends the plain frame to node f; the data
 *    plane seals it; ab_gw_open (the sink) opens every capsule from the
 *    gateway port with path f's key and leaves the inner packet, behind an
 *    Ethernet header, for the usual stamp checks.
 *  - The sink is strict against anyway-dataplane (in process, or through
 *    ports with --dp-api): in gateway-out a frame that is not a capsule, in
 *    gateway-in a frame that still is one, is made empty, so the sink counts
 *    it corrupted (a packet the gateway forwarded without sealing or opening
 *    never passes). Against testpmd (compare.sh) what comes back is what the
 *    generator sent, swapped: capsules are opened, plain frames checked.
 *
 * --pkt-size is the inner frame (Ethernet + inner IP packet): what the
 * generator sends in gateway-out, what the sink receives in gateway-in.
 *
 * Contract: ab_gw_init / ab_gw_free on the main thread before / after
 * traffic; the rest on the one lcore that generates and sinks (the engine
 * is per-thread state).
 */
#ifndef AB_GW_H
#define AB_GW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_mbuf.h>

#include "ab_tmpl.h"

#define AB_GW_MAX_PATHS 65536u
#define AB_GW_MTU       1500u   /* the data plane ports' default MTU */
#define AB_GW_OUTER_LEN (14u + 20u + 8u) /* Ethernet, IPv4, UDP */

struct aw_trs_engine;
struct aw_trs_key;

struct ab_gw {
	struct aw_trs_engine *e;
	struct aw_trs_key *keys; /* one per path (= flow) */
	uint32_t n;
	unsigned suite;
	bool inbound;            /* gateway-in: the generator seals; gateway-out: the sink opens */
	unsigned pt_off;         /* where seal wants the plaintext (48 or 32) */
	uint8_t outer[AB_GW_OUTER_LEN + 32]; /* flow 0's outer headers and TRS header */
	uint16_t sport0;         /* outer source port of flow 0 (host order) */
	uint32_t node0;          /* node address of flow 0 (host order) */
};

/* The largest --pkt-size whose capsule fits AB_GW_MTU bytes of outer IPv4. */
uint32_t ab_gw_max_pkt(unsigned suite);

/* Keys, outer template (<scenario>.outer.pcap at outer_path) and the binding
 * capsules into *setup (one per flow). inbound: gateway-in. -1: err is one
 * line (option or file, and what was wrong). */
int ab_gw_init(struct ab_gw *w, bool inbound, const struct ab_tmpl *t, const char *outer_path,
	       uint32_t flows, unsigned suite, struct ab_raw *setup, char *err, size_t errlen);
void ab_gw_free(struct ab_gw *w);

/* Generator, per packet: the node address of flow `flow` into the inner
 * frame p (source for gateway-in, destination for gateway-out). */
void ab_gw_inner(const struct ab_gw *w, uint8_t *p, const struct ab_frame *f, uint32_t flow);
/* Generator, gateway-in: n inner frames into sealed capsules; flow[i] and
 * seq[i] (the stamp's) of each. Returns how many could not be sealed. */
unsigned ab_gw_seal(const struct ab_gw *w, struct rte_mbuf **m, const uint32_t *flow,
		    const uint64_t *seq, unsigned n);
/* Sink: opens the capsules among m[0..n) in place; strict: see above. */
void ab_gw_open(const struct ab_gw *w, struct rte_mbuf **m, unsigned n, bool strict);

/* In process: the data plane config `root` (file `path`) installs at least
 * `flows` gateway paths of suite `suite`. 0, or -1 with err set. */
int ab_gw_check_config(json_t *root, const char *path, uint32_t flows, unsigned suite,
		       char *err, size_t errlen);

#endif /* AB_GW_H */
