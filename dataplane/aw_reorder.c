/* SPDX-License-Identifier: BSD-3-Clause */
/* The pipeline's reorder buffer; see aw_reorder.h for the contract. */
#include "aw_reorder.h"

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_reorder.h>

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
	unsigned slots = 2 * size;
	struct aw_reorder *r = rte_zmalloc_socket(name, sizeof(*r) + slots * sizeof(r->slot[0]),
						  RTE_CACHE_LINE_SIZE, socket);
	if (r == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	r->mask = slots - 1;
	r->next = 1;
	r->gap_tsc = gap_tsc;
	return r;
}

int
aw_reorder_insert(struct aw_reorder *r, struct rte_mbuf *m)
{
	uint32_t seq = *rte_reorder_seqn(m);
	struct rte_mbuf **s = &r->slot[seq & r->mask];

	/* Behind the window (drained or skipped), past its end, or a duplicate. */
	if (unlikely(seq - r->next > r->mask || *s != NULL))
		return -1;
	*s = m;
	r->held++;
	return 0;
}

unsigned
aw_reorder_insert_burst(struct aw_reorder *r, struct rte_mbuf **m, unsigned n,
			struct rte_mbuf **late)
{
	const uint32_t next = r->next, mask = r->mask;
	unsigned nl = 0;

	for (unsigned i = 0; i < n; i++) {
		uint32_t seq = *rte_reorder_seqn(m[i]);
		struct rte_mbuf **s = &r->slot[seq & mask];
		if (unlikely(seq - next > mask || *s != NULL)) {
			late[nl++] = m[i];
			continue;
		}
		*s = m[i];
	}
	r->held += n - nl;
	return nl;
}

/* The run of packets from r->next, at most max. */
static unsigned
drain_run(struct aw_reorder *r, struct rte_mbuf **out, unsigned max)
{
	uint32_t next = r->next;
	const uint32_t mask = r->mask;
	unsigned n = 0;

	while (n < max) {
		struct rte_mbuf **s = &r->slot[next & mask];
		if (*s == NULL)
			break;
		out[n++] = *s;
		*s = NULL;
		next++;
	}
	r->next = next;
	r->held -= n;
	return n;
}

/* Moves r->next to the first packet held (r->held > 0). */
static void
skip_gap(struct aw_reorder *r)
{
	uint32_t k = 0;

	while (r->slot[(r->next + k) & r->mask] == NULL)
		k++;
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
		if (r->slot[r->next & r->mask] == NULL)
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
