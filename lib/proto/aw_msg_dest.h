/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_msg_dest — a service destination {addr, port, priority, weight} (SPEC
 * §7.1) and its one canonical order, shared by anyway-mapd (registrations of a
 * service), anyway-agent (the map it compares with the data plane's) and the
 * data plane (a service's destination array, whose preferred group feeds the
 * Maglev table).
 *
 * Canonical order, key by key:
 *   1. priority, ascending (the preferred group, lowest value, comes first);
 *   2. address family (AW_AF_INET4 before AW_AF_INET6);
 *   3. the 16 address bytes, memcmp (network order; an IPv4 address is in
 *      b[0..3] with b[4..15] zero, as aw_addr_parse and aw_addr_set4 leave it,
 *      and as aw_addr_eq assumes);
 *   4. port, ascending.
 * Within one priority, keys 2..4 are exactly aw_maglev_dest_cmp's order (lib/
 * asrs: family, address, big-endian port); so on every instance the same
 * destination set sorts into the same array and the data plane's Maglev table
 * (indices into that array) is identical. The weight is not a key: two
 * destinations that compare 0 are the same endpoint in the same group, and
 * aw_msg_dest_equal then tells whether the weight differs too.
 *
 * Contract: pure functions, no allocation, no EAL; any thread.
 */
#ifndef AW_MSG_DEST_H
#define AW_MSG_DEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aw_inet.h"

struct aw_msg_dest {
	struct aw_addr addr;
	uint16_t port;     /* host order */
	uint16_t priority; /* lower is preferred */
	uint16_t weight;   /* 0 = drained */
};

/* <0, 0, >0 in the canonical order above. */
int aw_msg_dest_cmp(const struct aw_msg_dest *a, const struct aw_msg_dest *b);
/* The same, qsort-compatible (arguments point at struct aw_msg_dest). */
int aw_msg_dest_qsort_cmp(const void *a, const void *b);
/* Sorts d[0..n) into the canonical order. */
void aw_msg_dests_sort(struct aw_msg_dest *d, size_t n);
/* All four fields equal. */
bool aw_msg_dest_equal(const struct aw_msg_dest *a, const struct aw_msg_dest *b);
/* a[i] equals b[i] for every i < n (order matters: sort both first). */
bool aw_msg_dests_equal(const struct aw_msg_dest *a, const struct aw_msg_dest *b, size_t n);

#endif /* AW_MSG_DEST_H */
