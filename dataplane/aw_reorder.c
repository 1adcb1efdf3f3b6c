/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_reorder.h"

#include <rte_errno.h>
#include <rte_malloc.h>

static int
insert_filler(struct aw_reorder *r, uint32_t seqn)
{
	struct rte_mbuf *f = rte_pktmbuf_alloc(r->pool);

	if (f == NULL)
		return -1;
	*rte_reorder_seqn(f) = seqn;
	if (r->mark_filler != NULL)
		r->mark_filler(f);
	if (rte_reorder_insert(r->rb, f) != 0) {
		rte_pktmbuf_free(f);
		return -1;
	}
	r->held++;
	return 0;
}

/* rte_reorder_create registers the sequence-number dynfield; rte_reorder_init
 * (which we use) may not, on 22.11. Make sure it is registered. */
static int
ensure_seqn_dynfield(int socket)
{
	if (rte_reorder_seqn_dynfield_offset >= 0)
		return 0;
	struct rte_reorder_buffer *tmp = rte_reorder_create("aw_seqn_reg", (unsigned)socket, 2);
	if (tmp == NULL)
		return -1;
	rte_reorder_free(tmp); /* holds no mbuf: nothing can be freed twice */
	return rte_reorder_seqn_dynfield_offset >= 0 ? 0 : -1;
}

struct aw_reorder *
aw_reorder_create(const char *name, unsigned size, struct rte_mempool *pool, uint64_t gap_tsc,
		  int socket, aw_reorder_mark_fn mark_filler)
{
	struct aw_reorder *r = rte_zmalloc_socket("aw_reorder", sizeof(*r), 0, socket);
	/* The opaque rte_reorder_buffer header is a few cache lines; init checks. */
	unsigned bufsize = 4096 + 2 * size * (unsigned)sizeof(struct rte_mbuf *);

	if (r == NULL || ensure_seqn_dynfield(socket) < 0) {
		rte_free(r);
		return NULL;
	}
	r->mem = rte_zmalloc_socket(name, bufsize, RTE_CACHE_LINE_SIZE, socket);
	if (r->mem == NULL)
		goto fail;
	r->rb = rte_reorder_init(r->mem, bufsize, name, size);
	if (r->rb == NULL)
		goto fail;
	r->pool = pool;
	r->gap_tsc = gap_tsc;
	r->mark_filler = mark_filler;
	r->next = 0;
	if (insert_filler(r, 0) < 0) /* fixes the window's start at 0 */
		goto fail;
	return r;
fail:
	rte_free(r->mem);
	rte_free(r);
	return NULL;
}

int
aw_reorder_insert(struct aw_reorder *r, struct rte_mbuf *m)
{
	/* Behind the window: its number was drained or skipped already. */
	if ((int32_t)(*rte_reorder_seqn(m) - r->next) < 0)
		return -1;
	if (rte_reorder_insert(r->rb, m) == 0) {
		r->held++;
		return 0;
	}
	/* ERANGE: far ahead of the window (a flood of lost numbers); ENOSPC: the
	 * ready queue is full. Both mean give up on what is missing. */
	return -1;
}

static unsigned
drain_once(struct aw_reorder *r, struct rte_mbuf **out, unsigned max)
{
	unsigned n = rte_reorder_drain(r->rb, out, max);

	if (n > 0) {
		r->held -= n;
		r->next = *rte_reorder_seqn(out[n - 1]) + 1;
	}
	return n;
}

unsigned
aw_reorder_drain(struct aw_reorder *r, struct rte_mbuf **out, unsigned max, uint64_t now)
{
	unsigned n = drain_once(r, out, max);

	if (n > 0 || r->held == 0) {
		r->stall_since = 0;
		return n;
	}
	if (r->stall_since == 0) {
		r->stall_since = now;
		return 0;
	}
	if (now - r->stall_since < r->gap_tsc)
		return 0;
	/* Waited long enough: the packet with number r->next is not coming. */
	if (insert_filler(r, r->next) < 0)
		return 0;
	r->gaps_skipped++;
	r->stall_since = 0;
	return drain_once(r, out, max);
}

unsigned
aw_reorder_flush(struct aw_reorder *r, struct rte_mbuf **out, unsigned max)
{
	unsigned n = 0;

	while (n < max && r->held > 0) {
		unsigned k = drain_once(r, out + n, max - n);
		if (k == 0 && insert_filler(r, r->next) < 0)
			break;
		n += k;
	}
	return n;
}

void
aw_reorder_destroy(struct aw_reorder *r)
{
	if (r == NULL)
		return;
	/* Never rte_reorder_free(): see the header. Whatever is held is flushed by
	 * the caller first; the buffer memory is ours. */
	rte_free(r->mem);
	rte_free(r);
}
