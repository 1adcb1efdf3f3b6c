/* SPDX-License-Identifier: BSD-3-Clause */
/* The gateway table (dataplane/gateway/aw_gw_table.h): one update applied
 * whole or not at all (duplicates, a node_addr of another path, room),
 * same / replace / delete, lookups by PathID and by node, and the memory a
 * path costs (EAL heap for the hashes + C heap for the records; printed and
 * bounded — 346 B today, above SPEC §10's 256 B: see dataplane/CONFIG.md). */
#include "aw_test.h"

#include <malloc.h>
#include <stdlib.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "aw_eal_test.h"
#include "aw_gw_table.h"

static struct rte_rcu_qsbr *rcu;

static struct aw_gw_entry
entry(unsigned i, unsigned suite)
{
	struct aw_gw_entry e = {.suite = (uint8_t)suite, .idle_timeout_s = 300};
	uint32_t a = 0x0ac80000u + i; /* 10.200.0.0 + i */
	uint8_t be[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};

	memcpy(e.path_id, &i, sizeof(i));
	e.path_id[15] = 0x5a;
	for (unsigned b = 0; b < 32; b++)
		e.key[b] = (uint8_t)(i * 7 + b);
	aw_addr_set4(&e.node, be);
	return e;
}

static int
commit(struct aw_gw_table *t, const struct aw_gw_entry *e, unsigned n, bool *existed, char *err)
{
	return aw_gw_table_commit(t, e, n, NULL, 0, "gateways", existed, NULL, err, 160);
}

static void
test_update_whole_or_nothing(void)
{
	char err[160];
	struct aw_gw_table *t = aw_gw_table_create("ut_gw", 4, rcu, err, sizeof(err));
	struct aw_gw_entry e[5];
	bool ex[5];

	CHECK(t != NULL);
	for (unsigned i = 0; i < 5; i++)
		e[i] = entry(i, 1 + (i & 1));
	CHECK_EQ(commit(t, e, 5, NULL, err), -1); /* room: 5 > 4 */
	CHECK(strstr(err, "gateway table full") != NULL);
	CHECK_EQ(aw_gw_table_count(t), 0);
	struct aw_gw_entry dup[2] = {e[0], e[0]};
	dup[1].node = e[1].node;
	CHECK_EQ(commit(t, dup, 2, NULL, err), -1);
	CHECK(strstr(err, "gateways[1].path_id: same PathID as gateways[0]") != NULL);
	struct aw_gw_entry dupn[2] = {e[0], e[1]};
	dupn[1].node = e[0].node;
	CHECK_EQ(commit(t, dupn, 2, NULL, err), -1);
	CHECK(strstr(err, "same node_addr") != NULL);
	CHECK_EQ(commit(t, e, 2, ex, err), 0);
	CHECK(!ex[0] && !ex[1]);
	CHECK_EQ(aw_gw_table_count(t), 2);
	/* another path may not take e[0]'s node, unless e[0] leaves in the same update */
	struct aw_gw_entry thief = e[2];
	thief.node = e[0].node;
	CHECK_EQ(commit(t, &thief, 1, NULL, err), -1);
	CHECK(strstr(err, "already belongs to another gateway path") != NULL);
	const uint8_t (*del)[16] = (const uint8_t(*)[16])e[0].path_id;
	unsigned removed = 9;
	CHECK_EQ(aw_gw_table_commit(t, &thief, 1, del, 1, "gateways", NULL, &removed, err, 160), 0);
	CHECK_EQ(removed, 1);
	CHECK(aw_gw_table_find(t, e[0].path_id) == NULL);
	CHECK(aw_gw_table_by_node(t, &e[0].node) == aw_gw_table_find(t, thief.path_id));
	aw_gw_table_free(t);
}

static void
test_same_replace_lookups(void)
{
	char err[160];
	struct aw_gw_table *t = aw_gw_table_create("ut_gw2", 16, rcu, err, sizeof(err));
	struct aw_gw_entry e = entry(1, 2);
	bool ex = true;

	CHECK_EQ(commit(t, &e, 1, &ex, err), 0);
	CHECK(!ex);
	struct aw_gw_path *p1 = aw_gw_table_find(t, e.path_id);
	CHECK(p1 != NULL && p1->key_id != 0 && p1->suite == 2);
	CHECK_EQ(commit(t, &e, 1, &ex, err), 0);
	CHECK(ex && aw_gw_table_find(t, e.path_id) == p1); /* same: left as it is */
	struct aw_gw_entry moved = e;
	moved.node = entry(9, 2).node;
	moved.key[0] ^= 1;
	CHECK_EQ(commit(t, &moved, 1, &ex, err), 0);
	CHECK(!ex);
	struct aw_gw_path *p2 = aw_gw_table_find(t, e.path_id);
	CHECK(p2 != NULL && p2->key_id != p1->key_id); /* a new install: a new cache tag */
	CHECK(aw_gw_table_by_node(t, &e.node) == NULL);
	CHECK(aw_gw_table_by_node(t, &moved.node) == p2);
	CHECK_EQ(aw_gw_table_count(t), 1);
	const void *ids[2] = {e.path_id, entry(5, 1).path_id};
	struct aw_gw_path *got[2];
	aw_gw_table_lookup_bulk(t, ids, 2, got);
	CHECK(got[0] == p2 && got[1] == NULL);
	aw_gw_table_free(t);
}

static size_t
eal_heap_used(void)
{
	struct rte_malloc_socket_stats s;
	size_t used = 0;
	for (int sock = 0; sock < RTE_MAX_NUMA_NODES; sock++)
		if (rte_malloc_get_socket_stats(sock, &s) == 0)
			used += s.heap_allocsz_bytes;
	return used;
}

static void
test_memory_per_path(void)
{
	const unsigned N = 32768;
	char err[160];
	size_t eal0 = eal_heap_used(), c0 = mallinfo2().uordblks;
	struct aw_gw_table *t = aw_gw_table_create("ut_gw_mem", N, rcu, err, sizeof(err));
	struct aw_gw_entry *e = calloc(1024, sizeof(*e));
	unsigned added = 0;

	CHECK(t != NULL && e != NULL);
	size_t c_before = mallinfo2().uordblks; /* the batch array is not per path */
	for (unsigned base = 0; base < N; base += 1024) {
		for (unsigned i = 0; i < 1024; i++)
			e[i] = entry(base + i, 1 + (i & 1));
		added += commit(t, e, 1024, NULL, err) == 0 ? 1024 : 0;
	}
	CHECK_EQ(added, N);
	size_t eal = eal_heap_used() - eal0, heap = mallinfo2().uordblks - c_before;
	size_t per = (eal + heap) / N;
	printf("memory per gateway path (%u paths): %zu B all included (hashes %zu B, record "
	       "%zu B with the C heap's header; struct %zu B); estimate aw_gw_path_bytes %zu B\n",
	       N, per, eal / N, heap / N, sizeof(struct aw_gw_path), aw_gw_path_bytes());
	CHECK(per <= 384); /* a regression bound; the target (256) is not met yet */
	(void)c0;
	free(e);
	aw_gw_table_free(t);
}

static void
test_setup(void)
{
	aw_test_eal_init();
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	rcu = rte_zmalloc("ut_rcu", sz, RTE_CACHE_LINE_SIZE);
	CHECK(rcu != NULL);
	rte_rcu_qsbr_init(rcu, 1); /* one reader, never online: grace periods are immediate */
}

AW_TEST_MAIN(AW_TEST(test_setup), AW_TEST(test_update_whole_or_nothing),
	     AW_TEST(test_same_replace_lookups), AW_TEST(test_memory_per_path))
