/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay table (dataplane/trs/aw_relay_table.h): add / same / replace /
 * del, max_paths, bulk lookup, expiry rules, the side seqlock under a
 * concurrent writer, and the memory a path costs (printed, bounded). */
#include "aw_test.h"

#include <pthread.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "aw_eal_test.h"
#include "aw_relay.h"
#include "aw_relay_priv.h"
#include "aw_relay_table.h"

static struct rte_rcu_qsbr *rcu;

static struct aw_relay_entry
entry(unsigned i, unsigned suite)
{
	struct aw_relay_entry e = {.suite = (uint8_t)suite, .idle_timeout_s = 300,
				   .bind_timeout_s = 30};
	memcpy(e.path_id, &i, sizeof(i));
	e.path_id[15] = 0xa5;
	for (unsigned b = 0; b < 32; b++)
		e.key[b] = (uint8_t)(i + b);
	return e;
}

static int
put(struct aw_relay_table *t, const struct aw_relay_entry *e, uint32_t now)
{
	char err[128];
	struct aw_relay_path *p = aw_relay_path_new(t, e, now, err, sizeof(err));
	if (p == NULL)
		return -2;
	int rc = aw_relay_table_insert(t, e->path_id, p);
	if (rc < 0)
		aw_relay_path_drop(t, p);
	return rc;
}

static void
test_add_find_replace_del(void)
{
	char err[128];
	struct aw_relay_table *t = aw_relay_table_create("ut_rt1", 4, rcu, err, sizeof(err));
	CHECK(t != NULL);
	struct aw_relay_entry e0 = entry(0, 1), e1 = entry(1, 2);
	CHECK_EQ(put(t, &e0, 0), 0);
	CHECK_EQ(put(t, &e1, 0), 0);
	CHECK_EQ(aw_relay_table_count(t), 2);
	CHECK(aw_relay_table_same(t, &e0) != NULL);
	struct aw_relay_entry e0k = e0;
	e0k.key[0] ^= 1;
	CHECK(aw_relay_table_same(t, &e0k) == NULL); /* other key: not the same */
	struct aw_relay_entry e0s = e0;
	e0s.suite = 2;
	CHECK(aw_relay_table_same(t, &e0s) == NULL);
	CHECK_EQ(put(t, &e0k, 0), 1); /* replace */
	CHECK_EQ(aw_relay_table_count(t), 2);
	CHECK(aw_relay_table_same(t, &e0k) != NULL);
	/* max_paths = 4 */
	struct aw_relay_entry e2 = entry(2, 1), e3 = entry(3, 1), e4 = entry(4, 1);
	CHECK_EQ(put(t, &e2, 0), 0);
	CHECK_EQ(put(t, &e3, 0), 0);
	CHECK_EQ(put(t, &e4, 0), -1);
	CHECK_EQ(aw_relay_table_count(t), 4);
	/* bulk lookup: hits and a miss, in order */
	const void *ids[3] = {e3.path_id, e4.path_id, e0.path_id};
	struct aw_relay_path *paths[3];
	aw_relay_table_lookup_bulk(t, ids, 3, paths);
	CHECK(paths[0] == aw_relay_table_find(t, e3.path_id) && paths[0] != NULL);
	CHECK(paths[1] == NULL);
	CHECK(paths[2] != NULL && paths[2]->suite == 1);
	CHECK(aw_relay_table_del(t, e3.path_id));
	CHECK(!aw_relay_table_del(t, e3.path_id));
	CHECK_EQ(aw_relay_table_count(t), 3);
	CHECK_EQ(put(t, &e4, 0), 0); /* room again (the slot is in the RCU queue) */
	unsigned n = 0;
	uint32_t next = 0;
	const uint8_t *id;
	struct aw_relay_path *p;
	while (aw_relay_table_iterate(t, &next, &id, &p) == 0)
		n++;
	CHECK_EQ(n, 4);
	aw_relay_table_free(t);
}

/*
 * A path's two parts: every hot part starts a cache line (a CAPSULE reads
 * exactly its two lines), and each path's cold part (tag key, replay
 * windows) is its own: the tag key of a path made from a key is that key's
 * (aw_trs_tkey_init), paths with other keys have other ones, a replaced
 * path's cold part holds the new key, and a window written for one path is
 * not another's.
 */
static void
test_hot_and_cold_parts(void)
{
	char err[128];
	struct aw_relay_table *t = aw_relay_table_create("ut_rt_hc", 64, rcu, err, sizeof(err));
	struct aw_relay_path *p[64];
	uint8_t tk[AW_TRS_TKEY_LEN];

	CHECK(t != NULL);
	for (unsigned i = 0; i < 64; i++) {
		struct aw_relay_entry e = entry(i, 1 + (i & 1));
		CHECK_EQ(put(t, &e, 0), 0);
		p[i] = aw_relay_table_find(t, e.path_id);
		CHECK(p[i] != NULL);
		CHECK_EQ((uintptr_t)p[i] % RTE_CACHE_LINE_SIZE, 0);
		CHECK_EQ(aw_trs_tkey_init(tk, e.key, e.suite), 0);
		CHECK(memcmp(aw_relay_path_cold(t, p[i])->tkey, tk, sizeof(tk)) == 0);
		aw_relay_path_cold(t, p[i])->win[1].top = 1000 + i;
	}
	for (unsigned i = 0; i < 64; i++) {
		CHECK_EQ(aw_relay_path_cold(t, p[i])->win[1].top, 1000 + i);
		CHECK_EQ(aw_relay_path_cold(t, p[i])->win[0].top, 0);
		if (i > 0)
			CHECK(memcmp(aw_relay_path_cold(t, p[i])->tkey,
				     aw_relay_path_cold(t, p[i - 1])->tkey, AW_TRS_TKEY_LEN) != 0);
	}
	struct aw_relay_entry e5 = entry(5, 2);
	e5.key[3] ^= 0x40;
	CHECK_EQ(put(t, &e5, 0), 1); /* replaced: a new record, a fresh window */
	struct aw_relay_path *q = aw_relay_table_find(t, e5.path_id);
	CHECK(q != NULL && q != p[5]);
	CHECK_EQ(aw_trs_tkey_init(tk, e5.key, e5.suite), 0);
	CHECK(memcmp(aw_relay_path_cold(t, q)->tkey, tk, sizeof(tk)) == 0);
	CHECK_EQ(aw_relay_path_cold(t, q)->win[1].top, 0);
	CHECK(aw_relay_table_same(t, &e5) == q);
	aw_relay_table_free(t);
}

/*
 * The PathID index under churn: 40 rounds of deleting half the paths and
 * adding new ones leave far more tombstones than the index holds, so it is
 * rebuilt several times; every installed path stays found (singly and in
 * bulk, at its own record), every deleted one is gone, and iteration sees
 * each live path once.
 */
static void
test_index_churn(void)
{
	enum { M = 1000, ROUNDS = 40 };
	char err[128];
	struct aw_relay_table *t = aw_relay_table_create("ut_rt_churn", M, rcu, err, sizeof(err));
	static uint8_t live[M * (ROUNDS + 1)];
	unsigned next_id = 0, bad = 0;

	CHECK(t != NULL);
	for (; next_id < M; next_id++) {
		struct aw_relay_entry e = entry(next_id, 1);
		CHECK_EQ(put(t, &e, 0), 0);
		live[next_id] = 1;
	}
	for (unsigned r = 0; r < ROUNDS; r++) {
		unsigned removed = 0;
		for (unsigned i = 0; i < next_id && removed < M / 2; i++)
			if (live[i] && (i + r) % 2 == 0) {
				struct aw_relay_entry e = entry(i, 1);
				CHECK(aw_relay_table_del(t, e.path_id));
				live[i] = 0;
				removed++;
			}
		for (unsigned k = 0; k < removed; k++, next_id++) {
			struct aw_relay_entry e = entry(next_id, 1);
			CHECK_EQ(put(t, &e, 0), 0);
			live[next_id] = 1;
		}
	}
	CHECK_EQ(aw_relay_table_count(t), M);
	for (unsigned i = 0; i < next_id; i += 64) {
		struct aw_relay_entry es[64];
		const void *ids[64];
		struct aw_relay_path *ps[64];
		unsigned n = next_id - i < 64 ? next_id - i : 64;
		for (unsigned j = 0; j < n; j++) {
			es[j] = entry(i + j, 1);
			ids[j] = es[j].path_id;
		}
		aw_relay_table_lookup_bulk(t, ids, n, ps);
		for (unsigned j = 0; j < n; j++) {
			struct aw_relay_path *p = aw_relay_table_find(t, es[j].path_id);
			bool ok = live[i + j] ? p != NULL && ps[j] == p &&
						memcmp(p->id, es[j].path_id, 16) == 0
					      : p == NULL && ps[j] == NULL;
			bad += !ok;
		}
	}
	CHECK_EQ(bad, 0);
	uint32_t it = 0, seen = 0;
	const uint8_t *id;
	struct aw_relay_path *p;
	while (aw_relay_table_iterate(t, &it, &id, &p) == 0) {
		unsigned i;
		memcpy(&i, id, sizeof(i));
		seen += i < next_id && live[i] == 1;
		live[i < next_id ? i : 0] = 2; /* twice: not counted again */
	}
	CHECK_EQ(seen, M);
	aw_relay_table_free(t);
}

static void
test_bad_rate_refused(void)
{
	char err[128] = "";
	struct aw_relay_table *t = aw_relay_table_create("ut_rt2", 4, NULL, err, sizeof(err));
	struct aw_relay_entry e = entry(9, 1);
	e.has_rate = true;
	e.rate_pps = 0;
	e.rate_bytes_s = 0;
	e.rate_burst = 0;
	CHECK(aw_relay_path_new(t, &e, 0, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "rate") != NULL);
	e.rate_pps = 10;
	e.rate_burst = 5;
	struct aw_relay_path *p = aw_relay_path_new(t, &e, 0, err, sizeof(err));
	CHECK(p != NULL && p->rate != 0 && aw_relay_table_rate(t, p)->pkts &&
	      !aw_relay_table_rate(t, p)->bytes);
	uint32_t id = p->rate;
	aw_relay_path_drop(t, p);
	/* the released meters are the next path's, reset */
	e.rate_pps = 0;
	e.rate_bytes_s = 1000;
	p = aw_relay_path_new(t, &e, 0, err, sizeof(err));
	CHECK(p != NULL && p->rate == id && !aw_relay_table_rate(t, p)->pkts &&
	      aw_relay_table_rate(t, p)->bytes);
	aw_relay_path_drop(t, p);
	aw_relay_table_free(t);
}

/* A path's drop counter is 32-bit: it stops at UINT32_MAX, never wraps. */
static void
test_drops_saturate(void)
{
	char err[128];
	struct aw_relay_table *t = aw_relay_table_create("ut_rt_drops", 4, NULL, err, sizeof(err));
	struct aw_relay_entry e = entry(7, 2);
	struct aw_relay_path *p = aw_relay_path_new(t, &e, 0, err, sizeof(err));

	CHECK(p != NULL && p->drops == 0 && p->suite == 2 && p->rate == 0);
	aw_relay_count_drop(&p->drops);
	CHECK_EQ(p->drops, 1);
	p->drops = UINT32_MAX - 1;
	aw_relay_count_drop(&p->drops);
	CHECK_EQ(p->drops, UINT32_MAX);
	aw_relay_count_drop(&p->drops);
	CHECK_EQ(p->drops, UINT32_MAX);
	aw_relay_path_drop(t, p);
	aw_relay_table_free(t);
}

/*
 * relay.list's cursor across index rebuilds. STAY paths, inserted after FILL
 * others that are then deleted (so that many of their index entries sit away
 * from their home positions, where a rebuild moves them back), stay installed
 * while the listing runs one path per call. After `split` of them were
 * listed, other paths are added and deleted between two calls (more
 * tombstones than the index holds: it is rebuilt). Every path installed the
 * whole time must be returned exactly once (listing in index order fails
 * this). Returns the number listed twice or never.
 */
static unsigned
iterate_trial(unsigned trial, unsigned split)
{
	enum { M = 1000, FILL = 500, STAY = 500 };
	char err[128], name[32];
	uint8_t seen[STAY] = {0};
	const unsigned base = trial * 1000000u; /* other ids, other hashes */
	unsigned next_id = base + FILL + STAY, bad = 0, listed = 0, calls = 0;
	bool churned = false;
	uint32_t cur = 0;
	const uint8_t *id;
	struct aw_relay_path *p;

	snprintf(name, sizeof(name), "ut_rt_it%u", trial);
	struct aw_relay_table *t = aw_relay_table_create(name, M, rcu, err, sizeof(err));
	CHECK(t != NULL);
	for (unsigned i = 0; i < FILL + STAY; i++) { /* fillers (ids STAY..) first */
		struct aw_relay_entry e = entry(base + (i + STAY) % (FILL + STAY), 1);
		CHECK_EQ(put(t, &e, 0), 0);
	}
	for (unsigned i = STAY; i < STAY + FILL; i++) {
		struct aw_relay_entry e = entry(base + i, 1);
		CHECK(aw_relay_table_del(t, e.path_id));
	}
	while (aw_relay_table_iterate(t, &cur, &id, &p) == 0 && calls++ < 100000) {
		unsigned i;
		memcpy(&i, id, sizeof(i));
		if (i - base < STAY) {
			bad += seen[i - base];
			listed += !seen[i - base];
			seen[i - base] = 1;
		}
		unsigned rounds = listed == split && !churned ? 10 : 0;
		churned |= rounds != 0;
		for (unsigned r = 0; r < rounds; r++) {
			unsigned first = next_id;
			for (unsigned k = 0; k < 300; k++, next_id++) {
				struct aw_relay_entry e = entry(next_id, 1);
				CHECK_EQ(put(t, &e, 0), 0);
			}
			for (unsigned k = first; k < next_id; k++) {
				struct aw_relay_entry e = entry(k, 1);
				CHECK(aw_relay_table_del(t, e.path_id));
			}
		}
	}
	aw_relay_table_free(t);
	return bad + (STAY - listed);
}

static void
test_iterate_across_rebuild(void)
{
	unsigned bad = 0;

	for (unsigned trial = 0; trial < 40; trial++)
		bad += iterate_trial(trial, 10 + trial * 12);
	CHECK_EQ(bad, 0);
}

static void
test_expiry_rules(void)
{
	char err[128];
	struct aw_relay_table *t = aw_relay_table_create("ut_rt3", 4, NULL, err, sizeof(err));
	struct aw_relay_entry e = entry(5, 1);
	e.bind_timeout_s = 10;
	e.idle_timeout_s = 20;
	struct aw_relay_path *p = aw_relay_path_new(t, &e, 100, err, sizeof(err));
	CHECK(p != NULL);
	CHECK(aw_relay_path_expiry(p, 105) == NULL);
	CHECK_STR(aw_relay_path_expiry(p, 110), "bind_timeout");
	p->side[0].bind.bound = 1;
	CHECK_STR(aw_relay_path_expiry(p, 110), "bind_timeout"); /* half bound is not enough */
	p->side[1].bind.bound = 1;
	p->last_seen_s = 108;
	CHECK(aw_relay_path_expiry(p, 127) == NULL);
	CHECK_STR(aw_relay_path_expiry(p, 128), "idle_timeout");
	aw_relay_path_drop(t, p);
	aw_relay_table_free(t);
}

/* A writer flips the binding between two coherent values; the reader must
 * only ever see one of them whole. */
struct flip {
	struct aw_relay_side side;
	volatile int stop;
};

static void *
flipper(void *arg)
{
	struct flip *f = arg;
	for (unsigned i = 0; !f->stop; i++) {
		uint8_t v = (uint8_t)(i & 1 ? 0x11 : 0x22);
		aw_relay_side_lock(&f->side);
		memset(f->side.bind.addr, v, 16);
		f->side.bind.port_be = (uint16_t)(v * 257);
		f->side.bind.bound = 1;
		aw_relay_side_unlock(&f->side);
	}
	return NULL;
}

static void
test_side_seqlock_never_torn(void)
{
	static struct flip f;
	pthread_t th;
	unsigned torn = 0, ok = 0, busy = 0;

	f.side.bind.bound = 1;
	memset(f.side.bind.addr, 0x11, 16);
	f.side.bind.port_be = 0x1111;
	CHECK(pthread_create(&th, NULL, flipper, &f) == 0);
	for (unsigned i = 0; i < 2000000; i++) {
		struct aw_relay_bind b;
		uint32_t seq;
		if (!aw_relay_bind_read(&f.side, &b, &seq)) {
			busy++;
			continue;
		}
		uint8_t v = b.addr[0];
		bool same = (v == 0x11 || v == 0x22) && b.port_be == v * 257;
		for (unsigned j = 1; j < 16; j++)
			same &= b.addr[j] == v;
		ok += same;
		torn += !same;
	}
	f.stop = 1;
	pthread_join(th, NULL);
	CHECK_EQ(torn, 0);
	CHECK(ok > 0);
	printf("seqlock: %u whole reads, %u gave up after %u tries\n", ok, busy,
	       AW_RELAY_BIND_TRIES);
}

static size_t
heap_used(void)
{
	struct rte_malloc_socket_stats s;
	size_t used = 0;
	for (int sock = 0; sock < RTE_MAX_NUMA_NODES; sock++)
		if (rte_malloc_get_socket_stats(sock, &s) == 0)
			used += s.heap_allocsz_bytes;
	return used;
}

/*
 * Everything a path costs, from the EAL heap's allocation counter (the
 * PathID index, the slab, the RCU defer queue, the live bitmap and the rate
 * pool's chunk table; the relay keeps no other per-path memory): a full
 * table of N paths without a rate, then 8192 of them replaced by paths with
 * a rate (their meters, in the rate pool, are the only extra). The slab's
 * fixed slack (AW_RELAY_SLAB_SLACK records, whatever max_paths) is reported
 * apart; the engines' GCM key caches are per lcore, not per path.
 */
static void
test_memory_per_path(void)
{
	/* AW_TEST_MEM_PATHS=1000000 measures at the size of SPEC §10 (slow). */
	const char *env = getenv("AW_TEST_MEM_PATHS");
	const unsigned N = env != NULL && atoi(env) >= 1024 ? (unsigned)atoi(env) : 65536;
	const unsigned NR = 8192; /* the test EAL heap is small */
	char err[128];
	size_t before = heap_used();
	struct aw_relay_table *t = aw_relay_table_create("ut_rt_mem", N, rcu, err, sizeof(err));
	size_t empty = heap_used() - before;
	unsigned added = 0, rated = 0;

	CHECK(t != NULL);
	for (unsigned i = 0; i < N; i++) {
		struct aw_relay_entry e = entry(i, 1 + (i & 1));
		added += put(t, &e, 0) == 0;
	}
	CHECK_EQ(added, N);
	unsigned found = 0;
	for (unsigned i = 0; i < N; i++) {
		struct aw_relay_entry e = entry(i, 1 + (i & 1));
		const void *id = e.path_id;
		struct aw_relay_path *p = NULL;
		aw_relay_table_lookup_bulk(t, &id, 1, &p);
		found += p != NULL && p == aw_relay_table_find(t, e.path_id);
	}
	CHECK_EQ(found, N);
	size_t all = heap_used() - before;
	const size_t rec = sizeof(struct aw_relay_path) + sizeof(struct aw_relay_cold);
	size_t slack = (size_t)AW_RELAY_SLAB_SLACK * rec;
	for (unsigned i = 0; i < NR; i++) {
		struct aw_relay_entry e = entry(i, 1 + (i & 1));
		e.has_rate = true;
		e.rate_pps = 1000;
		e.rate_bytes_s = 1000000;
		e.rate_burst = 10;
		rated += put(t, &e, 0) == 1;
	}
	CHECK_EQ(rated, NR);
	size_t with_rate = heap_used() - before;
	printf("memory per path (%u paths, no rate): %.1f B all included (record %zu B: %zu hot + "
	       "%zu cold; PathID index, defer queue, live bits %.1f B) + fixed slab slack %zu B "
	       "(%u records, %zu B per path at this size); a path with a rate adds %zu B\n",
	       N, (double)(all - slack) / N, rec, sizeof(struct aw_relay_path),
	       sizeof(struct aw_relay_cold), (double)(all - slack) / N - (double)rec, slack,
	       AW_RELAY_SLAB_SLACK, slack / N, (with_rate - all) / NR);
	CHECK_EQ(all - empty, 0); /* a path allocates nothing beyond the table */
	/* 184 B record (128 hot + 56 cold) + index (4 B x 4/3) + defer queue + a live bit */
	CHECK((double)(all - slack) / N <= 192.0);
	CHECK((with_rate - all) / NR <= 384);
	aw_relay_table_free(t);
}

/*
 * The relay clock is valid in every lcore's state from creation, before the
 * lcore's first tick: a relay created on a 1 kHz "TSC" (so that creating it
 * takes many clock seconds) has lcores whose clock reads the relay clock of
 * the end of creation, not 0, and whose first burst reads the clock anew.
 */
static void
test_relay_clock_from_create(void)
{
	static struct aw_dp dp;
	static struct aw_config cfg;
	static struct aw_lcore_ctx ctx;
	struct aw_relay_conf rc = {.port = 7712, .max_paths = 16, .verify_burst = 64};
	char err[256] = "";

	snprintf(cfg.path, sizeof(cfg.path), "ut.json");
	cfg.feat_conf[AW_FEAT_RELAY] = &rc;
	dp.cfg = &cfg;
	dp.rcu = rcu;
	dp.tsc_hz = 1000;
	ctx.dp = &dp;
	ctx.role = AW_LCORE_RTC;
	dp.ctx_list[0] = &ctx;
	dp.n_ctx = 1;
	uint64_t t0 = rte_rdtsc();
	CHECK(aw_relay_create(&dp, err, sizeof(err)) == 0);
	struct aw_relay *r = aw_relay_of(&dp);
	CHECK(r != NULL && aw_relay_lc(&ctx) != NULL);
	if (r != NULL && aw_relay_lc(&ctx) != NULL) {
		uint32_t now = aw_relay_lc(&ctx)->now_s;
		CHECK(rte_rdtsc() - t0 > 1000); /* creation took more than one clock second */
		CHECK(now > 0);
		CHECK(now <= aw_relay_clock(r, rte_rdtsc()));
		/* the lcore starts later: its first burst, before its first tick,
		 * reads the clock of then */
		static struct aw_feat_batch none;
		uint32_t later = now;
		for (unsigned i = 0; i < 100000000 && later < now + 3; i++)
			later = aw_relay_clock(r, rte_rdtsc());
		CHECK(later >= now + 3);
		aw_relay_burst(&ctx, &none);
		CHECK(aw_relay_lc(&ctx)->now_s >= later);
		CHECK(aw_relay_lc(&ctx)->ticked);
	}
	aw_relay_destroy(&dp);
	CHECK(aw_relay_of(&dp) == NULL);
}

static void
setup(void)
{
	aw_test_eal_init();
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	rcu = rte_zmalloc("ut_rcu", sz, RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(rcu, 1); /* one reader, never online: grace periods are immediate */
}

static void
test_setup(void)
{
	setup();
	CHECK(rcu != NULL);
}

AW_TEST_MAIN(AW_TEST(test_setup), AW_TEST(test_add_find_replace_del),
	     AW_TEST(test_hot_and_cold_parts), AW_TEST(test_index_churn),
	     AW_TEST(test_bad_rate_refused), AW_TEST(test_drops_saturate),
	     AW_TEST(test_iterate_across_rebuild), AW_TEST(test_relay_clock_from_create),
	     AW_TEST(test_expiry_rules), AW_TEST(test_side_seqlock_never_torn),
	     AW_TEST(test_memory_per_path))
