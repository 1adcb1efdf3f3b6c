/* SPDX-License-Identifier: BSD-3-Clause */
/* The pipeline's reorder buffer; see aw_reorder.h for the contract.
 *
 * Which slots hold a packet is kept in a bitmap (bit p: slot p), the slots
 * themselves are never cleared: a burst of consecutive numbers goes in with
 * one block copy, a run comes out with one block copy, and finding a run's
 * length or the first packet behind a gap reads 64 slots per word. */
#include "aw_reorder.h"

#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_reorder.h>

#define SEQN(m, off) (*RTE_MBUF_DYNFIELD((m), (off), uint32_t *))

/* The sequence-number dynfield is registered by rte_reorder_create; register
 * it through a throw-away buffer when nothing has yet. */
static int
ensure_seqn_dynfield(int socket)
{
	if (rte_reorder_seqn_dynfield_offset >= 0)
		return 0;
	struct rte_reorder_buffer *tmp = rte_reorder_create("aw_seqn_reg", (unsigned)socket, 2);
	if (tmp == NULL)
		return -1;
	rte_reorder_free(tmp); /* holds no mbuf */
	return rte_reorder_seqn_dynfield_offset >= 0 ? 0 : -1;
}

struct aw_reorder *
aw_reorder_create(const char *name, unsigned size, uint64_t gap_tsc, int socket)
{
	if (size == 0 || (size & (size - 1)) != 0 || size > (1u << 30)) {
		rte_errno = EINVAL;
		return NULL;
	}
	if (ensure_seqn_dynfield(socket) < 0)
		return NULL;
	size_t slots = 2 * (size_t)size, words = (slots + 63) / 64;
	struct aw_reorder *r = rte_zmalloc_socket(name, sizeof(*r) + slots * sizeof(r->slot[0]) +
							words * sizeof(uint64_t),
						  RTE_CACHE_LINE_SIZE, socket);
	if (r == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	r->mask = (uint32_t)slots - 1;
	r->next = 1;
	r->gap_tsc = gap_tsc;
	r->bits = (uint64_t *)&r->slot[slots];
	return r;
}

/* Bits lo .. lo + n - 1 of a word (lo + n <= 64, n >= 1). */
static inline uint64_t
span(uint32_t lo, uint32_t n)
{
	return (~0ull >> (64 - n)) << lo;
}

/* How many slots from p (p <= mask) the word holding p covers: to the word's
 * end, or to the ring's end when the ring is smaller than a word. */
static inline uint32_t
word_avail(const struct aw_reorder *r, uint32_t p)
{
	return RTE_MIN(64 - (p & 63), r->mask + 1 - p);
}

/* Slots [p, p + n) within one or two words of the bitmap, short of the
 * ring's end (then the second word exists)? */
static inline bool
two_words(const struct aw_reorder *r, uint32_t p, uint32_t n)
{
	return n <= 64 && p + n <= r->mask + 1;
}

/* The bits of slots [p, p + n) (two_words) in word p >> 6 and the next. */
static inline uint64_t
lo_bits(uint32_t p, uint32_t n)
{
	return (p & 63) + n <= 64 ? span(p & 63, n) : ~0ull << (p & 63);
}

static inline uint64_t
hi_bits(uint32_t p, uint32_t n)
{
	return (p & 63) + n <= 64 ? 0 : ~0ull >> (128 - (p & 63) - n);
}

/* Any bit set in slots [p, p + n), 1 <= n <= slots (wrapping at the ring's end)? */
static bool
range_any_slow(const struct aw_reorder *r, uint32_t p, uint32_t n)
{
	while (n > 0) {
		uint32_t k = RTE_MIN(word_avail(r, p), n);
		if (r->bits[p >> 6] & span(p & 63, k))
			return true;
		p = (p + k) & r->mask;
		n -= k;
	}
	return false;
}

static __rte_always_inline bool
range_any(const struct aw_reorder *r, uint32_t p, uint32_t n)
{
	if (unlikely(!two_words(r, p, n)))
		return range_any_slow(r, p, n);
	const uint64_t *w = &r->bits[p >> 6], hi = hi_bits(p, n);
	return (w[0] & lo_bits(p, n)) != 0 || (hi != 0 && (w[1] & hi) != 0);
}

/* Sets (set) or clears the bits of slots [p, p + n), 1 <= n <= slots. */
static void
range_mark_slow(struct aw_reorder *r, uint32_t p, uint32_t n, bool set)
{
	while (n > 0) {
		uint32_t k = RTE_MIN(word_avail(r, p), n);
		if (set)
			r->bits[p >> 6] |= span(p & 63, k);
		else
			r->bits[p >> 6] &= ~span(p & 63, k);
		p = (p + k) & r->mask;
		n -= k;
	}
}

static __rte_always_inline void
range_mark(struct aw_reorder *r, uint32_t p, uint32_t n, bool set)
{
	if (unlikely(!two_words(r, p, n)))
		return range_mark_slow(r, p, n, set);
	uint64_t *w = &r->bits[p >> 6], lo = lo_bits(p, n), hi = hi_bits(p, n);
	if (set) {
		w[0] |= lo;
		if (hi != 0)
			w[1] |= hi;
	} else {
		w[0] &= ~lo;
		if (hi != 0)
			w[1] &= ~hi;
	}
}

/* Copies n pointers between the ring from slot p (wrapping) and a flat array. */
static inline void
ring_copy(struct aw_reorder *r, uint32_t p, struct rte_mbuf **flat, uint32_t n, bool in)
{
	uint32_t first = RTE_MIN(n, r->mask + 1 - p);

	if (in)
		memcpy(&r->slot[p], flat, first * sizeof(*flat));
	else
		memcpy(flat, &r->slot[p], first * sizeof(*flat));
	if (likely(first == n))
		return;
	if (in)
		memcpy(&r->slot[0], flat + first, (n - first) * sizeof(*flat));
	else
		memcpy(flat + first, &r->slot[0], (n - first) * sizeof(*flat));
}

int
aw_reorder_insert(struct aw_reorder *r, struct rte_mbuf *m)
{
	uint32_t seq = *rte_reorder_seqn(m), p = seq & r->mask;

	/* Behind the window (drained or skipped), past its end, or a duplicate. */
	if (unlikely(seq - r->next > r->mask || (r->bits[p >> 6] >> (p & 63) & 1)))
		return -1;
	r->slot[p] = m;
	r->bits[p >> 6] |= 1ull << (p & 63);
	r->held++;
	return 0;
}

/* Do m[0..n) carry s0, s0 + 1, ..., s0 + n - 1? */
static inline bool
consecutive(struct rte_mbuf *const *m, unsigned n, uint32_t s0, int off)
{
	struct rte_mbuf *const *end = m + n;
	uint32_t diff = 0;

	/* pointers, not unsigned indices: no 32-bit wrap to compute per load */
	for (; end - m >= 8; m += 8, s0 += 8)
		diff |= (SEQN(m[0], off) ^ s0) | (SEQN(m[1], off) ^ (s0 + 1)) |
			(SEQN(m[2], off) ^ (s0 + 2)) | (SEQN(m[3], off) ^ (s0 + 3)) |
			(SEQN(m[4], off) ^ (s0 + 4)) | (SEQN(m[5], off) ^ (s0 + 5)) |
			(SEQN(m[6], off) ^ (s0 + 6)) | (SEQN(m[7], off) ^ (s0 + 7));
	for (; m < end; m++, s0++)
		diff |= SEQN(m[0], off) ^ s0;
	return diff == 0;
}

/* One by one: what is late, too far ahead or a duplicate goes to late[]. */
static unsigned
insert_each(struct aw_reorder *r, struct rte_mbuf **m, unsigned n, struct rte_mbuf **late, int off)
{
	const uint32_t next = r->next, mask = r->mask;
	unsigned nl = 0;

	for (unsigned i = 0; i < n; i++) {
		uint32_t seq = SEQN(m[i], off), p = seq & mask;
		if (unlikely(seq - next > mask || (r->bits[p >> 6] >> (p & 63) & 1))) {
			late[nl++] = m[i];
			continue;
		}
		r->slot[p] = m[i];
		r->bits[p >> 6] |= 1ull << (p & 63);
	}
	r->held += n - nl;
	return nl;
}

unsigned
aw_reorder_insert_burst(struct aw_reorder *r, struct rte_mbuf **m, unsigned n,
			struct rte_mbuf **late)
{
	const int off = rte_reorder_seqn_dynfield_offset;

	if (n == 0)
		return 0;
	/* The usual burst: one worker's share of consecutive numbers, all inside
	 * the window, none held yet. */
	uint32_t s0 = SEQN(m[0], off), p = s0 & r->mask;
	if (likely(n - 1 <= r->mask && s0 - r->next <= r->mask - (n - 1) &&
		   consecutive(m, n, s0, off) && !range_any(r, p, n))) {
		ring_copy(r, p, m, n, true);
		range_mark(r, p, n, true);
		r->held += n;
		return 0;
	}
	return insert_each(r, m, n, late, off);
}

/* Length of the run of held packets from slot p, at most cap (<= held). */
static uint32_t
run_length(const struct aw_reorder *r, uint32_t p, uint32_t cap)
{
	uint32_t n = 0;

	while (n < cap) {
		uint32_t q = (p + n) & r->mask, avail = word_avail(r, q);
		uint64_t z = ~r->bits[q >> 6] >> (q & 63);
		uint32_t ones = z == 0 ? avail : RTE_MIN((uint32_t)__builtin_ctzll(z), avail);
		n += ones;
		if (ones < avail)
			break;
	}
	return RTE_MIN(n, cap);
}

/* The run of packets from r->next, at most max. */
static unsigned
drain_run(struct aw_reorder *r, struct rte_mbuf **out, unsigned max)
{
	uint32_t p = r->next & r->mask;
	uint32_t n = run_length(r, p, RTE_MIN(max, r->held));

	if (n == 0)
		return 0;
	ring_copy(r, p, out, n, false);
	range_mark(r, p, n, false);
	r->next += n;
	r->held -= n;
	return n;
}

/* Moves r->next to the first packet held (r->held > 0). */
static void
skip_gap(struct aw_reorder *r)
{
	uint32_t k = 0, p = r->next & r->mask;

	while (k <= r->mask) {
		uint32_t q = (p + k) & r->mask, avail = word_avail(r, q);
		uint64_t z = r->bits[q >> 6] >> (q & 63);
		if (z != 0 && (uint32_t)__builtin_ctzll(z) < avail) {
			k += (uint32_t)__builtin_ctzll(z);
			break;
		}
		k += avail;
	}
	r->next += k;
	r->gaps_skipped += k;
}

unsigned
aw_reorder_drain(struct aw_reorder *r, struct rte_mbuf **out, unsigned max, uint64_t now)
{
	unsigned n = drain_run(r, out, max);

	if (likely(n > 0 || r->held == 0)) {
		r->stall_since = 0;
		return n;
	}
	if (r->stall_since == 0) {
		r->stall_since = now;
		return 0;
	}
	if (now - r->stall_since < r->gap_tsc)
		return 0;
	/* Waited long enough: what is missing before the first held packet is
	 * not coming. */
	skip_gap(r);
	r->stall_since = 0;
	return drain_run(r, out, max);
}

unsigned
aw_reorder_flush(struct aw_reorder *r, struct rte_mbuf **out, unsigned max)
{
	unsigned n = 0;

	while (n < max && r->held > 0) {
		uint32_t p = r->next & r->mask;
		if (!(r->bits[p >> 6] >> (p & 63) & 1))
			skip_gap(r);
		n += drain_run(r, out + n, max - n);
	}
	return n;
}

void
aw_reorder_destroy(struct aw_reorder *r)
{
	rte_free(r);
}
