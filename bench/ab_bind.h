/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_bind — binds the relay paths of the TRS scenarios (trs-capsule,
 * trs-signaling, mixed) before any timed traffic, the way the two ends of a
 * path do (SPEC §5.3): one HOLE_PUNCHING per side and path, tagged with the
 * path's Tunnel Key by lib/trs (the data plane's own crypto library, the
 * bench's own engine). No API backdoor: the relay verifies each message,
 * binds the side to its source and answers with an ACK.
 *
 * Path f (f < flows): PathID = the template's PathID with f in its last four
 * bytes, Tunnel Key = SHA-256("anyway-bench path <f>") (what
 * bench/templates.py installs in the data plane config), suite --suite.
 *  - side A (Initiator, R = 0, txid 2f+1) on port 0 from flow f's source as
 *    the generator varies it (the scenario template's TRS frame: source port
 *    1024 + (sport + f) % 64512, source address + f / 64512);
 *  - side B (Responder, R = 1, txid 2f+2) on port 1 from behind the gateway:
 *    the headers of <scenario>.bind.pcap (templates.py), varied the same way.
 * Both seq 1, message length 48 (header and tag, no body).
 *
 * The frames are made a chunk at a time into mbufs (no copy of 2 x flows
 * frames is kept: 1M paths would be 0.5 GB), both sides of the same paths at
 * once so that each key is derived once.
 *
 * Contract: ab_bind_init / ab_bind_free on the main thread; ab_bind_fill on
 * one lcore at a time (the engine is per-thread state).
 */
#ifndef AB_BIND_H
#define AB_BIND_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "ab_tmpl.h"

#define AB_BIND_CHUNK 64u
#define AB_BIND_HDR   (14u + 20u + 8u) /* Ethernet, IPv4 (no options), UDP */

struct aw_trs_engine;

struct ab_bind {
	struct aw_trs_engine *e;
	uint32_t n;               /* paths bound: --flows */
	unsigned suite;
	uint8_t hdr[2][AB_BIND_HDR]; /* side A / side B headers of path 0 */
	uint16_t sport0[2];       /* their UDP source ports (host order) */
	uint8_t id[12];           /* the PathIDs' first 12 bytes */
};

/* side A from the TRS frame of t, side B from bind_path; flows paths.
 * -1: err is one line (file, option, and what was wrong). */
int ab_bind_init(struct ab_bind *b, const struct ab_tmpl *t, const char *bind_path,
		 uint32_t flows, unsigned suite, char *err, size_t errlen);
void ab_bind_free(struct ab_bind *b);

/* The HOLE_PUNCHING frames of paths first .. first+n-1 (n <= AB_BIND_CHUNK,
 * first + n <= b->n) appended to the caller's empty mbufs: side A into a[],
 * side B into bside[]. -1 when a key could not be derived or a tag not made
 * (the mbufs stay the caller's). */
int ab_bind_fill(const struct ab_bind *b, uint32_t first, unsigned n, struct rte_mbuf **a,
		 struct rte_mbuf **bside);

/* Paths still to bind from `done`: how many the next chunk holds. */
static inline unsigned
ab_bind_next(const struct ab_bind *b, uint32_t done)
{
	return b->n - done < AB_BIND_CHUNK ? b->n - done : AB_BIND_CHUNK;
}

#endif /* AB_BIND_H */
