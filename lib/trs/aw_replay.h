/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_replay — the 64-message anti-replay window kept per (path, side)
 * (SPEC §5.2). 16 bytes of state: the highest sequence number accepted so far
 * ('top') and a bitmap of the 64 numbers top, top-1, ..., top-63 (bit i set =
 * top - i seen). bitmap == 0 means nothing accepted yet; any seq is then new.
 *
 * Use: aw_replay_check(seq) BEFORE verifying the tag (cheap reject of
 * replays), aw_replay_update(seq) only AFTER the tag verified, so a forged
 * packet can never move the window. update re-checks, so it is safe even if
 * the window moved between the two calls.
 *
 * Sequence numbers are plain unsigned 32-bit integers, never compared modulo
 * 2^32 (SPEC: a key is never used for 2^32 messages by one sender). A seq <=
 * top is refused as:
 *   REPLAY_WRAP  when top - seq >= 2^31: under serial-number arithmetic it
 *                would be "ahead", i.e. the sender wrapped past 2^32-1 to 0
 *                (e.g. seq 0 after top 0xffffffff). Never accepted.
 *   REPLAY_OLD   when 64 <= top - seq < 2^31 (more than 63 behind the top).
 *   REPLAY_DUP   when top - seq <= 63 and its bit is set (seq == top included).
 * Otherwise (seq > top, or within 63 behind and unseen) seq is accepted.
 * Once top is 0xffffffff no number above it exists: the key is exhausted for
 * that side and must be replaced.
 *
 * Contract: not thread-safe; one writer per window (the lcore that owns the
 * path), or the caller serialises. Pure functions otherwise, no allocation.
 */
#ifndef AW_REPLAY_H
#define AW_REPLAY_H

#include <stdint.h>

#include "aw_trs_msg.h"

#define AW_REPLAY_WINDOW 64

/* 12 bytes, 4-byte aligned (packed: it sits in the relay's per-path record). */
struct __attribute__((packed, aligned(4))) aw_replay {
	uint64_t bitmap; /* bit i: top - i was accepted; 0 = empty window */
	uint32_t top;    /* highest accepted seq (valid when bitmap != 0) */
};

/* Empty window (same as zero-filled memory). */
void aw_replay_init(struct aw_replay *w);
/* 0, or AW_TRS_E_REPLAY_DUP / _OLD / _WRAP (aw_trs_msg.h). Does not modify w.
 * Inline, as update: the relay runs both for every signalling message. */
static inline int
aw_replay_check(const struct aw_replay *w, uint32_t seq)
{
	uint32_t behind;

	if (w->bitmap == 0 || seq > w->top)
		return AW_TRS_OK;
	behind = w->top - seq;
	if (behind >= (1u << 31))
		return AW_TRS_E_REPLAY_WRAP;
	if (behind >= AW_REPLAY_WINDOW)
		return AW_TRS_E_REPLAY_OLD;
	if (w->bitmap & (1ull << behind))
		return AW_TRS_E_REPLAY_DUP;
	return AW_TRS_OK;
}

/* Accept seq into the window: 0, or the error check would give (w unchanged). */
static inline int
aw_replay_update(struct aw_replay *w, uint32_t seq)
{
	int rc = aw_replay_check(w, seq);

	if (rc != AW_TRS_OK)
		return rc;
	if (w->bitmap == 0) {
		w->top = seq;
		w->bitmap = 1;
	} else if (seq > w->top) {
		uint32_t shift = seq - w->top;

		w->bitmap = shift >= AW_REPLAY_WINDOW ? 1 : (w->bitmap << shift) | 1;
		w->top = seq;
	} else {
		w->bitmap |= 1ull << (w->top - seq);
	}
	return AW_TRS_OK;
}

#endif /* AW_REPLAY_H */
