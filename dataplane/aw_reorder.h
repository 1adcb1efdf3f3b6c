/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_reorder — puts one RX lcore's packets back in arrival order on the TX
 * lcore (pipeline mode). A ring of mbuf pointers indexed by sequence number
 * (the RX lcore numbers its packets in the rte_reorder sequence-number
 * dynfield) and a bitmap of the slots filled: inserting stores the packet in
 * its slot (a burst of consecutive numbers in one block copy), draining
 * returns the run of filled slots from the next number expected (one block
 * copy). No mbuf is ever allocated or freed here.
 *
 *  - gap skipping: when packets wait behind a missing sequence number for
 *    longer than the gap timeout, drain moves past every missing number up
 *    to the first packet held (gaps_skipped counts the numbers passed);
 *  - late packets (their number was drained or skipped already), packets too
 *    far ahead (2 × size numbers or more past the next one expected) and a
 *    second packet with a number already held come back to the caller, which
 *    counts them as `reorder_late` drops.
 *
 * Contract: one aw_reorder per (RX lcore, TX lcore) pair, used only by that
 * TX lcore. Sequence numbers start at 1 (32-bit, wrapping).
 */
#ifndef AW_REORDER_H
#define AW_REORDER_H

#include <stdint.h>

#include <rte_mbuf.h>

struct aw_reorder {
	uint32_t next;              /* next sequence number drain must return */
	uint32_t mask;              /* slots - 1 */
	uint32_t held;              /* packets inserted and not yet drained */
	uint64_t stall_since;       /* TSC when drain first found nothing while held > 0 */
	uint64_t gap_tsc;           /* gap timeout in TSC cycles */
	uint64_t gaps_skipped;      /* sequence numbers skipped */
	uint64_t *bits;             /* bit p set: slot[p] holds a packet (after slot[]) */
	struct rte_mbuf *slot[];    /* by sequence number & mask; stale when its bit is clear */
};

/* Window of 2 × size numbers (size: a power of two); NULL on failure
 * (rte_errno set). */
struct aw_reorder *aw_reorder_create(const char *name, unsigned size, uint64_t gap_tsc,
				     int socket);

/* Inserts m. Returns 0, or -1 when m is late, too far ahead or a duplicate:
 * m is not taken and the caller drops it. */
int aw_reorder_insert(struct aw_reorder *r, struct rte_mbuf *m);

/* Inserts m[0..n) as aw_reorder_insert each; the packets refused go to
 * late[] (in their order), their count is returned. */
unsigned aw_reorder_insert_burst(struct aw_reorder *r, struct rte_mbuf **m, unsigned n,
				 struct rte_mbuf **late);

/* Drains packets in order into out. Skips a gap that has waited longer than
 * the gap timeout (now = rte_rdtsc()). */
unsigned aw_reorder_drain(struct aw_reorder *r, struct rte_mbuf **out, unsigned max,
			  uint64_t now);

/* Drains everything still held, skipping all gaps (shutdown). */
unsigned aw_reorder_flush(struct aw_reorder *r, struct rte_mbuf **out, unsigned max);

/* Frees the buffer (the caller flushed what it held first). */
void aw_reorder_destroy(struct aw_reorder *r);

#endif /* AW_REORDER_H */
