/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_reorder — puts one RX lcore's packets back in arrival order on the TX
 * lcore (pipeline mode), on top of rte_reorder, with what DPDK 22.11 lacks:
 *
 *  - gap skipping: when packets wait behind a missing sequence number for
 *    longer than the gap timeout, a filler mbuf takes the missing number so the
 *    buffer drains (22.11 has no rte_reorder_drain_up_to_seqn);
 *  - late packets (their number was skipped) come back to the caller to be
 *    counted as `reorder_late` drops instead of disappearing;
 *  - safe teardown: the buffer lives in memory we own (rte_reorder_init) and is
 *    never passed to rte_reorder_reset/free, so mbufs that drain returned are
 *    never freed a second time whatever the 22.11 point release does.
 *
 * Contract: one aw_reorder per (RX lcore, TX lcore) pair, used only by that
 * TX lcore (rte_reorder is not thread-safe). Sequence numbers start at 1; the
 * buffer is primed with a filler carrying 0.
 */
#ifndef AW_REORDER_H
#define AW_REORDER_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_reorder.h>

/* Marks a filler mbuf so that the caller recognises it once drained. */
typedef void (*aw_reorder_mark_fn)(struct rte_mbuf *m);

struct aw_reorder {
	struct rte_reorder_buffer *rb;
	struct rte_mempool *pool;   /* fillers come from here */
	uint32_t next;              /* next sequence number drain must return */
	uint32_t held;              /* packets inserted and not yet drained */
	uint64_t stall_since;       /* TSC when drain first found nothing while held > 0 */
	uint64_t gap_tsc;           /* gap timeout in TSC cycles */
	uint64_t gaps_skipped;
	aw_reorder_mark_fn mark_filler; /* NULL: fillers unmarked */
	void *mem;
};

/* NULL on failure (rte_errno set). mark_filler (may be NULL) is called on
 * every filler before it enters the buffer, the priming one included. */
struct aw_reorder *aw_reorder_create(const char *name, unsigned size, struct rte_mempool *pool,
				     uint64_t gap_tsc, int socket, aw_reorder_mark_fn mark_filler);

/* Inserts m. Returns 0, or -1 when m is late (its number was already skipped
 * or drained): m is not taken and the caller drops it. */
int aw_reorder_insert(struct aw_reorder *r, struct rte_mbuf *m);

/* Drains packets in order into out (fillers included; the caller frees them).
 * Skips a gap that has waited longer than the gap timeout (now = rte_rdtsc()). */
unsigned aw_reorder_drain(struct aw_reorder *r, struct rte_mbuf **out, unsigned max,
			  uint64_t now);

/* Drains everything still held, skipping all gaps (shutdown). */
unsigned aw_reorder_flush(struct aw_reorder *r, struct rte_mbuf **out, unsigned max);

void aw_reorder_destroy(struct aw_reorder *r);

#endif /* AW_REORDER_H */
