/* SPDX-License-Identifier: BSD-3-Clause */
/* aw_msg_dest: the canonical destination order and equality (see aw_msg_dest.h). */
#include "aw_msg_dest.h"

#include <stdlib.h>
#include <string.h>

static int
u16_cmp(uint16_t a, uint16_t b)
{
	return a < b ? -1 : a > b;
}

int
aw_msg_dest_cmp(const struct aw_msg_dest *a, const struct aw_msg_dest *b)
{
	if (a->priority != b->priority)
		return u16_cmp(a->priority, b->priority);
	if (a->addr.family != b->addr.family)
		return a->addr.family < b->addr.family ? -1 : 1;
	int c = memcmp(a->addr.b, b->addr.b, sizeof(a->addr.b));
	if (c != 0)
		return c < 0 ? -1 : 1;
	return u16_cmp(a->port, b->port);
}

int
aw_msg_dest_qsort_cmp(const void *a, const void *b)
{
	return aw_msg_dest_cmp(a, b);
}

void
aw_msg_dests_sort(struct aw_msg_dest *d, size_t n)
{
	if (n > 1)
		qsort(d, n, sizeof(d[0]), aw_msg_dest_qsort_cmp);
}

bool
aw_msg_dest_equal(const struct aw_msg_dest *a, const struct aw_msg_dest *b)
{
	return aw_addr_eq(&a->addr, &b->addr) && a->port == b->port &&
	       a->priority == b->priority && a->weight == b->weight;
}

bool
aw_msg_dests_equal(const struct aw_msg_dest *a, const struct aw_msg_dest *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!aw_msg_dest_equal(&a[i], &b[i]))
			return false;
	return true;
}
