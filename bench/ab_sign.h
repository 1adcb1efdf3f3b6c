/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_sign — the generator's TRS signer for scenario trs-signaling: every
 * message is a TUNNEL_REQUEST of path `flow` with a fresh sequence number,
 * tagged with that path's Tunnel Key (lib/trs, the data plane's own crypto
 * library), so that the relay's anti-replay window accepts it and its tag
 * verifies. Keys are those bench/templates.py installs in the data plane:
 * SHA-256("anyway-bench path <n>").
 *
 * Contract: built on the main thread; then used by the one lcore that
 * generates (an engine is per-thread state).
 */
#ifndef AB_SIGN_H
#define AB_SIGN_H

#include <stddef.h>
#include <stdint.h>

struct aw_trs_engine;
struct aw_trs_key;

struct ab_signer {
	struct aw_trs_engine *e;
	struct aw_trs_key *keys; /* one per path (= flow) */
	uint32_t n;
};

/* -1 with err set (no engine, no memory). */
int ab_signer_init(struct ab_signer *s, uint32_t n_paths, unsigned suite, char *err,
		   size_t errlen);
void ab_signer_free(struct ab_signer *s);
/* Sets txid and seq (both `seq`) of the message at msg (header, body, tag:
 * len bytes) and tags it with path `flow`'s key. 0 or -1. */
int ab_signer_sign(const struct ab_signer *s, uint32_t flow, uint8_t *msg, size_t len,
		   uint32_t seq);

#endif /* AB_SIGN_H */
