/* SPDX-License-Identifier: BSD-3-Clause */
/* The gateway table (dataplane/gateway/aw_gw_table.h): one update applied
 * whole or not at all (duplicates, a node_addr of another path, room),
 * same / replace / delete, lookups by PathID and by node, and the memory a
 * path costs (EAL heap for the slab and the indexes + any C heap; printed and
 * bounded by SPEC §10's 256 B), deletions that shift index entries back,
 * a full table replaced in one update (grace periods in between), and a
 * lock-free reader while paths around it come and go. */
#include "aw_test.h"

#include <malloc.h>
#include <pthread.h>
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

/* Every path still present is found by PathID and by node, every removed one
 * by neither, and iteration sees each present path once. */
static void
check_present(struct aw_gw_table *t, const bool *in, unsigned n)
{
	unsigned seen = 0;
	uint32_t next = 0;
	struct aw_gw_path *p;

	for (unsigned i = 0; i < n; i++) {
		struct aw_gw_entry e = entry(i, 1);
		struct aw_gw_path *a = aw_gw_table_find(t, e.path_id);
		CHECK(in[i] ? a != NULL && memcmp(a->path_id, e.path_id, 16) == 0 : a == NULL);
		CHECK(aw_gw_table_by_node(t, &e.node) == a);
	}
	while (aw_gw_table_iterate(t, &next, &p) == 0 && seen <= n)
		seen++;
	CHECK_EQ(seen, aw_gw_table_count(t));
}

static void
test_delete_shift_and_full_replace(void)
{
	enum { N = 3000 };
	char err[160];
	struct aw_gw_table *t = aw_gw_table_create("ut_gw3", N, rcu, err, sizeof(err));
	struct aw_gw_entry *e = calloc(N, sizeof(*e));
	uint8_t (*del)[16] = calloc(N, 16);
	bool *in = calloc(N, sizeof(bool));
	unsigned nd = 0, removed = 0;

	CHECK(t != NULL && e != NULL && del != NULL && in != NULL);
	for (unsigned i = 0; i < N; i++) {
		e[i] = entry(i, 1);
		in[i] = true;
	}
	CHECK_EQ(commit(t, e, N, NULL, err), 0); /* full: every slot of the table used */
	check_present(t, in, N);
	for (unsigned i = 0; i < N; i++) /* two of every three */
		if (i % 3 != 1) {
			memcpy(del[nd++], e[i].path_id, 16);
			in[i] = false;
		}
	CHECK_EQ(aw_gw_table_commit(t, NULL, 0, (const uint8_t(*)[16])del, nd, "gateways", NULL,
				    &removed, err, sizeof(err)), 0);
	CHECK_EQ(removed, nd);
	CHECK_EQ(aw_gw_table_count(t), N - nd);
	check_present(t, in, N);
	CHECK_EQ(commit(t, e, N, NULL, err), 0); /* back to full; the kept ones the same */
	for (unsigned i = 0; i < N; i++) {
		in[i] = true;
		e[i].key[0] ^= 0xff; /* every path re-keyed: N records retired in one update */
	}
	struct aw_gw_path *before = aw_gw_table_find(t, e[7].path_id);
	uint32_t kid = before->key_id;
	CHECK_EQ(commit(t, e, N, NULL, err), 0);
	CHECK_EQ(aw_gw_table_count(t), N);
	check_present(t, in, N);
	CHECK(aw_gw_table_find(t, e[7].path_id)->key_id != kid);
	free(e);
	free(del);
	free(in);
	aw_gw_table_free(t);
}

/* A lock-free reader against a writer that keeps deleting and re-adding the
 * paths around it: the paths that stay are always found, by PathID and by
 * node, and a record found is always the one asked for (slots are reused
 * only after a grace period). */
struct race {
	struct aw_gw_table *t;
	struct rte_rcu_qsbr *q;
	unsigned n_stay;
	int done;
	unsigned long lookups, missed, wrong;
};

static void *
race_reader(void *arg)
{
	struct race *r = arg;

	rte_rcu_qsbr_thread_register(r->q, 0);
	rte_rcu_qsbr_thread_online(r->q, 0);
	while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
		for (unsigned i = 0; i < r->n_stay; i++) {
			struct aw_gw_entry e = entry(2 * i, 2); /* even: stay */
			struct aw_gw_path *a = aw_gw_table_find(r->t, e.path_id);
			struct aw_gw_path *b = aw_gw_table_by_node(r->t, &e.node);
			r->missed += (a == NULL) + (b == NULL);
			r->wrong += (a != NULL && memcmp(a->path_id, e.path_id, 16) != 0) +
				    (b != NULL && !aw_addr_eq(&b->node, &e.node));
			r->lookups += 2;
		}
		rte_rcu_qsbr_quiescent(r->q, 0);
	}
	rte_rcu_qsbr_thread_offline(r->q, 0);
	rte_rcu_qsbr_thread_unregister(r->q, 0);
	return NULL;
}

static void
test_reader_during_churn(void)
{
	enum { N = 512, ROUNDS = 200 };
	char err[160];
	struct race r = {.n_stay = N / 2};
	struct aw_gw_entry e[N], odd[N / 2];
	uint8_t del[N / 2][16];
	pthread_t th;

	r.q = rte_zmalloc("ut_rcu_race", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	CHECK(r.q != NULL);
	rte_rcu_qsbr_init(r.q, 1);
	r.t = aw_gw_table_create("ut_gw_race", N, r.q, err, sizeof(err));
	CHECK(r.t != NULL);
	for (unsigned i = 0; i < N; i++)
		e[i] = entry(i, 2);
	for (unsigned i = 0; i < N / 2; i++) {
		odd[i] = e[2 * i + 1];
		memcpy(del[i], odd[i].path_id, 16);
	}
	CHECK_EQ(commit(r.t, e, N, NULL, err), 0);
	CHECK_EQ(pthread_create(&th, NULL, race_reader, &r), 0);
	for (unsigned k = 0; k < ROUNDS; k++) {
		CHECK_EQ(aw_gw_table_commit(r.t, NULL, 0, (const uint8_t(*)[16])del, N / 2,
					    "path_ids", NULL, NULL, err, sizeof(err)), 0);
		for (unsigned i = 0; i < N / 2; i++)
			odd[i].key[1] = (uint8_t)k; /* re-keyed: new records each round */
		CHECK_EQ(commit(r.t, odd, N / 2, NULL, err), 0);
	}
	__atomic_store_n(&r.done, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	printf("churn: %lu lookups, %lu missed, %lu wrong\n", r.lookups, r.missed, r.wrong);
	CHECK_EQ(r.missed, 0);
	CHECK_EQ(r.wrong, 0);
	aw_gw_table_free(r.t);
	rte_free(r.q);
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
	printf("memory per gateway path (%u paths): %zu B all included (EAL heap: slab, "
	       "indexes, free stack %zu B; C heap %zu B; struct %zu B); estimate aw_gw_path_bytes %zu B\n",
	       N, per, eal / N, heap / N, sizeof(struct aw_gw_path), aw_gw_path_bytes());
	CHECK(per >= sizeof(struct aw_gw_path)); /* the measure sees the records */
	CHECK(per <= 256); /* SPEC §10 */
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
	     AW_TEST(test_same_replace_lookups), AW_TEST(test_delete_shift_and_full_replace),
	     AW_TEST(test_reader_during_churn),
	     AW_TEST(test_memory_per_path))
