/* SPDX-License-Identifier: BSD-3-Clause */
/* ASRS session table and SNAT allocator: both keys of a session, the
 * max_sessions limit, endpoint-dependent SNAT ports and exhaustion, per-lcore
 * port partitions, expiry by state with RCU-deferred reclaim, and the memory
 * cost of one session (marginal heap bytes between two table sizes). */
#include "aw_test.h"

#include <netinet/in.h>
#include <pthread.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "aw_asrs_dnh.h"
#include "aw_asrs_stab.h"
#include "aw_asrs_svcstats.h"
#include "aw_eal_test.h"

static struct aw_dp dp;
static struct aw_config cfg;
static struct aw_asrs_conf ac;
static struct aw_lcore_ctx ctx;

/* One loop's aging with the lcore far behind its pace: the most a loop
 * examines, AW_ASRS_AGE_PER_TICK slots (the clock jumps ahead each call). */
static uint64_t test_tsc;

static void
age_loop(struct aw_asrs *a, struct aw_asrs_lcore *l)
{
	test_tsc += 1ull << 40;
	aw_sess_age(a, l, test_tsc);
}

static struct aw_asrs *
setup(uint32_t max_sessions, uint16_t pmin, uint16_t pmax)
{
	char err[256] = "";

	memset(&dp, 0, sizeof(dp));
	memset(&ctx, 0, sizeof(ctx));
	memset(&ac, 0, sizeof(ac));
	cfg.mode = AW_MODE_RTC;
	cfg.feat_conf[AW_FEAT_ASRS] = &ac;
	ac.max_sessions = max_sessions;
	ac.snat_min = pmin;
	ac.snat_max = pmax;
	dp.cfg = &cfg;
	dp.n_ctx = 1;
	dp.ctx_list[0] = &ctx;
	dp.tsc_hz = 1000000;
	ctx.dp = &dp;
	ctx.role = AW_LCORE_RTC;
	dp.rcu = rte_zmalloc("ut_rcu", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(dp.rcu, 1);
	rte_rcu_qsbr_thread_register(dp.rcu, 0);
	rte_rcu_qsbr_thread_online(dp.rcu, 0);
	struct aw_asrs *a = rte_zmalloc("ut_asrs", sizeof(*a) + sizeof(a->lc[0]), 64);
	a->dp = &dp;
	a->conf = &ac;
	uint8_t snat[4] = {10, 2, 0, 1};
	memcpy(a->snat_tab[0], snat, 4);
	a->timeout[AW_SS_SYN] = 2;
	a->timeout[AW_SS_EST] = 100;
	a->timeout[AW_SS_CLOSING] = 2;
	a->timeout[AW_SS_UDP] = 10;
	CHECK_EQ(aw_sess_init(a, err, sizeof(err)), 0);
	CHECK_EQ(aw_svcstats_init(a, err, sizeof(err)), 0); /* expiry counts per destination */
	if (err[0])
		fprintf(stderr, "%s\n", err);
	CHECK_EQ(aw_sess_lcore_init(a, &ctx), 0);
	CHECK(aw_asrs_lc(&ctx) == &a->lc[0] && a->lc[0].active);
	return a;
}

static void
teardown(struct aw_asrs *a)
{
	aw_sess_fini(a);
	aw_svcstats_fini(a);
	rte_free(a);
	rte_free(dp.rcu);
}

/* A session client:cport → vip:80 toward dest:8080 from snat (v4). */
static uint32_t
make(struct aw_asrs *a, uint8_t client_last, uint16_t cport, uint8_t dest_last, uint16_t *sport)
{
	struct aw_asrs_lcore *l = &a->lc[0];
	uint32_t idx = aw_sess_alloc(a, l);

	if (idx == UINT32_MAX)
		return idx;
	struct aw_sess *s = &a->sess[idx];
	memset(s, 0, sizeof(*s));
	uint8_t c[4] = {10, 1, 0, client_last}, v[4] = {203, 0, 113, 10};
	uint8_t d[4] = {10, 2, 0, dest_last};
	memcpy(s->client, c, 4);
	memcpy(s->vip, v, 4);
	memcpy(s->dest, d, 4);
	s->snat = 0; /* setup() put 10.2.0.1 at index 0 */
	s->cport = rte_cpu_to_be_16(cport);
	s->vport = rte_cpu_to_be_16(80);
	s->dport = rte_cpu_to_be_16(8080);
	s->proto = IPPROTO_TCP;
	s->last = l->now;
	s->state = AW_SS_SYN;
	uint32_t hr;
	*sport = aw_snat_port(a, l, s, &hr, NULL);
	if (*sport == 0) {
		aw_sess_unalloc(a, l, idx);
		return UINT32_MAX - 1;
	}
	s->sport = rte_cpu_to_be_16(*sport);
	struct aw_sess_key kc, kr;
	aw_sess_key_client(s, &kc);
	aw_sess_key_reply(a, s, &kr);
	CHECK_EQ(hr, aw_sess_key_hash(&kr)); /* the hash of the port's reply key */
	aw_sess_insert_h(a, idx, aw_sess_key_hash(&kc), hr);
	return idx;
}

static void
test_both_keys(void)
{
	struct aw_asrs *a = setup(16, 1024, 65535);
	uint16_t port;
	uint32_t idx = make(a, 2, 40000, 2, &port);
	struct aw_sess_key k;

	CHECK(idx < a->n_slots);
	CHECK_EQ(port, 1024); /* one lcore: its partition is the whole range */
	aw_sess_key_client(&a->sess[idx], &k);
	CHECK_EQ(aw_sess_lookup(a, &k), idx << 1);
	aw_sess_key_reply(a, &a->sess[idx], &k);
	CHECK_EQ(aw_sess_lookup(a, &k), idx << 1 | 1);
	k.dport ^= 1; /* another SNAT port: no session */
	CHECK_EQ(aw_sess_lookup(a, &k), AW_STAB_MISS);
	CHECK_EQ(a->n_sessions, 1);
	teardown(a);
}

static void
test_max_sessions(void)
{
	struct aw_asrs *a = setup(4, 1024, 65535);
	uint16_t port;

	for (int i = 0; i < 4; i++)
		CHECK(make(a, (uint8_t)(2 + i), 40000, 2, &port) < a->n_slots);
	CHECK_EQ(make(a, 9, 40000, 2, &port), UINT32_MAX);
	CHECK_EQ(a->n_sessions, 4);
	teardown(a);
}

static void
test_snat_endpoint_dependent(void)
{
	struct aw_asrs *a = setup(64, 30000, 30001);
	uint16_t p1, p2, p3, p4;

	CHECK(make(a, 2, 1, 2, &p1) < a->n_slots);
	CHECK(make(a, 3, 1, 2, &p2) < a->n_slots);
	CHECK(p1 != p2 && p1 >= 30000 && p1 <= 30001 && p2 >= 30000 && p2 <= 30001);
	CHECK_EQ(make(a, 4, 1, 2, &p3), UINT32_MAX - 1); /* exhausted toward 10.2.0.2:8080 */
	CHECK(make(a, 4, 1, 3, &p4) < a->n_slots);       /* free toward another destination */
	CHECK(p4 == 30000 || p4 == 30001);
	CHECK_EQ(a->n_sessions, 3);
	teardown(a);
}

/* A pair with every port of the partition in use: further allocations fail
 * as exhausted without a lookup of the session table (the lookups would
 * find the ports busy; the pair count says so first), and the expiry of one
 * of its sessions makes the next allocation succeed with that port. */
static void
test_snat_exhausted_pair_then_expiry(void)
{
	struct aw_asrs *a = setup(256, 40000, 40099);
	struct aw_asrs_lcore *l = &a->lc[0];
	uint16_t p, first = 0;
	uint32_t idx0 = UINT32_MAX;

	for (unsigned i = 0; i < 100; i++) {
		uint32_t idx = make(a, (uint8_t)(i + 2), 5000, 2, &p);
		CHECK(idx < a->n_slots);
		if (i == 0)
			idx0 = idx, first = p;
	}
	struct aw_snat_pair_key pk = {.dport = rte_cpu_to_be_16(8080), .proto = IPPROTO_TCP};
	pk.dest[0] = 10, pk.dest[1] = 2, pk.dest[3] = 2;
	CHECK_EQ(aw_snat_pairs_used(l->snat.pairs, &pk), 100);
	struct aw_sess s = a->sess[idx0];
	enum aw_snat_res why = AW_SNAT_OK;
	uint32_t hr, next = l->snat.next;
	CHECK_EQ(aw_snat_port(a, l, &s, &hr, &why), 0);
	CHECK_EQ(why, AW_SNAT_EXHAUSTED);
	CHECK_EQ(l->snat.next, next); /* not one port tried */
	CHECK_EQ(make(a, 250, 5000, 2, &p), UINT32_MAX - 1);
	/* Expire the first session only. */
	for (unsigned i = 0; i < a->n_slots; i++)
		if (a->sess[i].state == AW_SS_SYN)
			a->sess[i].state = i == idx0 ? AW_SS_CLOSING : AW_SS_EST;
	l->now += 3;
	for (unsigned i = 0; i < a->n_slots / AW_ASRS_AGE_PER_TICK + 2; i++)
		age_loop(a, l);
	CHECK_EQ(l->sess_expired, 1);
	CHECK_EQ(aw_snat_pairs_used(l->snat.pairs, &pk), 99);
	CHECK(make(a, 251, 5000, 2, &p) < a->n_slots);
	CHECK_EQ(p, first);
	CHECK_EQ(aw_snat_pairs_used(l->snat.pairs, &pk), 100);
	rte_rcu_qsbr_quiescent(dp.rcu, 0); /* empty the defer queue before teardown */
	age_loop(a, l);
	teardown(a);
}

/* The default port range on one lcore toward one destination: 64,512
 * sessions, then exhaustion without probing; after random sessions end,
 * new ones fill the pair again to at least 62,000 (the bounded probes may
 * miss the last few free ports, never many). */
static void
test_snat_pair_capacity(void)
{
	struct aw_asrs *a = setup(70000, 1024, 65535);
	struct aw_asrs_lcore *l = &a->lc[0];
	static uint32_t idx[64512];
	uint64_t rnd = 0x1234567;
	uint16_t p;
	unsigned n = 0;

	for (unsigned i = 0; i < 64512; i++) {
		idx[n] = make(a, (uint8_t)(i >> 8), (uint16_t)(1000 + i), 2, &p);
		if (idx[n] < a->n_slots)
			n++;
	}
	CHECK_EQ(n, 64512);
	struct aw_sess s = a->sess[idx[0]];
	enum aw_snat_res why;
	uint32_t hr, next = l->snat.next;
	CHECK_EQ(aw_snat_port(a, l, &s, &hr, &why), 0);
	CHECK_EQ(why, AW_SNAT_EXHAUSTED);
	CHECK_EQ(l->snat.next, next);
	/* 4,512 random sessions end. */
	unsigned killed = 0;
	while (killed < 4512) {
		unsigned k = (unsigned)(aw_test_rnd(&rnd) % 64512);
		if (idx[k] == UINT32_MAX)
			continue;
		CHECK(aw_sess_kill(a, l, idx[k]));
		idx[k] = UINT32_MAX;
		killed++;
	}
	rte_rcu_qsbr_quiescent(dp.rcu, 0);
	for (unsigned i = 0; i < 100; i++)
		age_loop(a, l);
	CHECK_EQ(a->n_sessions, 60000);
	unsigned ok = 0, fails = 0;
	for (unsigned i = 0; i < 8000 && fails < 200; i++) {
		uint32_t r = make(a, 250, (uint16_t)(i + 1), 2, &p);
		if (r < a->n_slots)
			ok++;
		else
			fails++;
	}
	CHECK(60000 + ok >= 62000);
	struct aw_snat_pair_key pk = {.dport = rte_cpu_to_be_16(8080), .proto = IPPROTO_TCP};
	pk.dest[0] = 10, pk.dest[1] = 2, pk.dest[3] = 2;
	CHECK_EQ(aw_snat_pairs_used(l->snat.pairs, &pk), 60000 + ok);
	printf("snat pair: 64512 ports, refilled to %u after 4512 random ends\n", 60000 + ok);
	/* clean up: every session ends */
	for (uint32_t i = 0; i < a->n_slots; i++)
		if (a->sess[i].state == AW_SS_SYN)
			CHECK(aw_sess_kill(a, l, i));
	rte_rcu_qsbr_quiescent(dp.rcu, 0);
	for (unsigned i = 0; i < 2000; i++)
		age_loop(a, l);
	CHECK_EQ(a->n_sessions, 0);
	CHECK_EQ(aw_snat_pairs_used(l->snat.pairs, &pk), 0);
	CHECK_EQ(l->snat.pairs->n, 0);
	teardown(a);
}

/* Aging is paced by time: one pass over the slice per quarter of the
 * shortest timeout (here 2/16 s, so 1/32 s) or per second if that is
 * shorter; a loop examines the slots that came due since the last, at most
 * AW_ASRS_AGE_PER_TICK, and a debt beyond that is dropped. A session past its
 * timeout is expired within one pass. */
static void
test_age_paced_by_time(void)
{
	struct aw_asrs *a = setup(4096, 1024, 65535);
	struct aw_asrs_lcore *l = &a->lc[0];
	const uint64_t pass = dp.tsc_hz * 2 / 64, slot = l->age_slot_tsc;
	uint16_t p;

	CHECK_EQ(l->age_n, a->n_slots);
	CHECK_EQ(slot, pass / l->age_n != 0 ? pass / l->age_n : 1);
	const uint64_t t0 = l->age_due_tsc + 1000 * slot;
	aw_sess_age(a, l, t0); /* far behind: one loop's most, the debt dropped */
	CHECK_EQ(l->age_next, AW_ASRS_AGE_PER_TICK);
	aw_sess_age(a, l, t0);
	CHECK_EQ(l->age_next, AW_ASRS_AGE_PER_TICK); /* nothing due yet */
	aw_sess_age(a, l, t0 + slot);
	CHECK_EQ(l->age_next, AW_ASRS_AGE_PER_TICK + 1);
	aw_sess_age(a, l, t0 + 11 * slot);
	CHECK_EQ(l->age_next, AW_ASRS_AGE_PER_TICK + 11);
	aw_sess_age(a, l, t0 + 11 * slot + slot / 2);
	CHECK_EQ(l->age_next, AW_ASRS_AGE_PER_TICK + 11);

	/* A session past its SYN timeout: gone within one pass of loops. */
	uint32_t idx = make(a, 2, 1, 2, &p);
	CHECK(idx < a->n_slots);
	l->now += 3;
	uint64_t t = t0 + 11 * slot;
	unsigned loops = 0;
	while (l->sess_expired == 0 && t < t0 + 11 * slot + pass + slot) {
		t += 16 * slot; /* a loop every 16 slots' worth of time */
		aw_sess_age(a, l, t);
		loops++;
	}
	CHECK_EQ(l->sess_expired, 1);
	CHECK(loops <= l->age_n / 16 + 1);
	rte_rcu_qsbr_quiescent(dp.rcu, 0); /* empty the defer queue before teardown */
	age_loop(a, l);
	teardown(a);
}

static void
test_partitions(void)
{
	struct aw_asrs *a = setup(16, 1000, 1999);
	struct aw_lcore_ctx c2 = ctx;

	/* Four processing lcores: disjoint quarters of the ports and the slots. */
	rte_rcu_qsbr_dq_delete(a->lc[0].dq);
	dp.n_ctx = 4;
	for (unsigned i = 0; i < 4; i++) {
		c2.index = i;
		CHECK_EQ(aw_sess_lcore_init(a, &c2), 0);
		CHECK_EQ(a->lc[0].port_lo, 1000 + 250 * i);
		CHECK_EQ(a->lc[0].port_n, 250);
		CHECK_EQ(a->lc[0].age_lo, a->n_slots * i / 4);
		rte_rcu_qsbr_dq_delete(a->lc[0].dq);
		a->lc[0].dq = NULL;
	}
	dp.n_ctx = 1;
	teardown(a);
}

static void
test_expiry_and_reclaim(void)
{
	struct aw_asrs *a = setup(8, 1024, 65535);
	struct aw_asrs_lcore *l = &a->lc[0];
	struct aw_sess_key kc, kr;
	uint16_t p;

	uint32_t syn = make(a, 2, 1, 2, &p);
	uint32_t est = make(a, 3, 1, 2, &p);
	a->sess[est].state = AW_SS_EST;
	aw_sess_key_client(&a->sess[syn], &kc);
	aw_sess_key_reply(a, &a->sess[syn], &kr);
	l->now += 3; /* past the SYN timeout (2), within established (100) */
	for (unsigned i = 0; i < a->n_slots / AW_ASRS_AGE_PER_TICK + 2; i++)
		age_loop(a, l);
	CHECK_EQ(aw_sess_lookup(a, &kc), AW_STAB_MISS);
	CHECK_EQ(aw_sess_lookup(a, &kr), AW_STAB_MISS);
	CHECK_EQ(a->sess[syn].state, AW_SS__N); /* dead, not yet reusable: no grace period yet */
	CHECK_EQ(a->n_sessions, 2);
	CHECK_EQ(l->sess_expired, 1);
	rte_rcu_qsbr_quiescent(dp.rcu, 0);
	age_loop(a, l);
	CHECK_EQ(a->sess[syn].state, AW_SS_FREE);
	CHECK_EQ(a->n_sessions, 1);
	aw_sess_key_client(&a->sess[est], &kc);
	CHECK_EQ(aw_sess_lookup(a, &kc), est << 1);
	teardown(a);
}

/* Exactly max_sessions fit however large the table (no key slots held in
 * caches), every one found by both keys; a freed slot is usable again. */
static void
test_full_exactly_at_limit(void)
{
	const uint32_t max = 5000;
	struct aw_asrs *a = setup(max, 1024, 65535);
	struct aw_sess_key k;
	uint16_t port;
	uint32_t first = UINT32_MAX;

	for (uint32_t i = 0; i < max; i++) {
		uint32_t idx = make(a, (uint8_t)(i / 250), (uint16_t)(1 + i % 250), 2, &port);
		CHECK(idx < a->n_slots);
		if (i == 0)
			first = idx;
	}
	CHECK_EQ(a->n_sessions, max);
	CHECK_EQ(make(a, 250, 1, 2, &port), UINT32_MAX);
	unsigned found = 0;
	for (uint32_t i = 0; i < a->n_slots; i++) {
		if (a->sess[i].state != AW_SS_SYN)
			continue;
		aw_sess_key_client(&a->sess[i], &k);
		found += aw_sess_lookup(a, &k) == i << 1;
		aw_sess_key_reply(a, &a->sess[i], &k);
		found += aw_sess_lookup(a, &k) == (i << 1 | 1);
	}
	CHECK_EQ(found, 2 * max);
	/* Expire one and let its grace period pass: one more fits, no more. */
	for (uint32_t i = 0; i < a->n_slots; i++)
		if (a->sess[i].state == AW_SS_SYN)
			a->sess[i].state = i == first ? AW_SS_CLOSING : AW_SS_EST;
	a->lc[0].now += 3;
	for (unsigned i = 0; i < a->n_slots / AW_ASRS_AGE_PER_TICK + 2; i++)
		age_loop(a, &a->lc[0]);
	rte_rcu_qsbr_quiescent(dp.rcu, 0);
	age_loop(a, &a->lc[0]);
	CHECK_EQ(a->n_sessions, max - 1);
	CHECK(make(a, 250, 1, 2, &port) < a->n_slots);
	CHECK_EQ(make(a, 250, 2, 2, &port), UINT32_MAX);
	teardown(a);
}

/* Key layouts: an IPv4 key and an IPv6 key with the same leading address
 * bytes are different sessions; an IPv6 session is found by its own keys. */
static void
test_key_layout_v4_v6(void)
{
	struct aw_asrs *a = setup(16, 1024, 65535);
	uint16_t port;
	uint32_t v4 = make(a, 2, 5000, 2, &port);
	uint32_t v6 = aw_sess_alloc(a, &a->lc[0]);
	struct aw_sess *s = &a->sess[v6];
	struct aw_sess_key k;

	*s = a->sess[v4];
	s->flags = AW_SESS_F_CLIENT6 | AW_SESS_F_DEST6;
	s->snat = AW_ASRS_MAX_SNAT; /* the IPv6 SNAT entry below */
	memset(a->snat_tab[AW_ASRS_MAX_SNAT], 0, 16);
	a->snat_tab[AW_ASRS_MAX_SNAT][0] = 10; /* same leading bytes as the v4 SNAT address */
	a->snat_tab[AW_ASRS_MAX_SNAT][1] = 2;
	a->snat_tab[AW_ASRS_MAX_SNAT][3] = 1;
	aw_sess_key_client(&a->sess[v4], &k);
	k.v6 = 1; /* the v4 session's bytes as an IPv6 key: not that session */
	CHECK_EQ(aw_sess_lookup(a, &k), AW_STAB_MISS);
	aw_sess_insert(a, v6);
	CHECK_EQ(aw_sess_lookup(a, &k), v6 << 1);
	aw_sess_key_reply(a, s, &k);
	CHECK_EQ(aw_sess_lookup(a, &k), v6 << 1 | 1);
	k.v6 = 0;
	CHECK_EQ(aw_sess_lookup(a, &k), v4 << 1 | 1);
	k.src[15] = 1; /* a byte an IPv4 key never has */
	CHECK_EQ(aw_sess_lookup(a, &k), AW_STAB_MISS);
	teardown(a);
}

/* n hashes with h's home bucket and other signatures than h's (all
 * different): entries that share its bucket and never match its key. */
static void
decoys(const struct aw_asrs *a, uint32_t h, uint32_t *out, unsigned n)
{
	unsigned d = 0;

	for (uint32_t x = 1; d < n; x++) {
		uint32_t hd = h ^ x;
		if (aw_stab_home(a, hd) != aw_stab_home(a, h) || aw_stab_sig(a, hd) == aw_stab_sig(a, h))
			continue;
		bool seen = false;
		for (unsigned i = 0; i < d; i++)
			seen |= aw_stab_sig(a, out[i]) == aw_stab_sig(a, hd);
		if (!seen)
			out[d++] = hd;
	}
}

/* Overflow: entries whose home bucket is full go on to the next buckets and
 * are still found, singly and in bulk; deleting them restores the counts. */
static void
test_overflow_chain(void)
{
	struct aw_asrs *a = setup(8, 1024, 65535);
	uint16_t port;
	uint32_t idx = make(a, 2, 7000, 2, &port);
	uint32_t other = make(a, 3, 7000, 2, &port);
	struct aw_sess_key k[3];

	aw_sess_key_client(&a->sess[idx], &k[0]);
	aw_sess_key_reply(a, &a->sess[other], &k[1]);
	k[2] = k[0];
	k[2].sport ^= 0x100; /* no such session */
	uint32_t h = aw_sess_key_hash(&k[0]), home = aw_stab_home(a, h);
	CHECK(aw_stab_del(a, h, idx << 1));
	CHECK(!aw_stab_del(a, h, idx << 1));
	/* 2 * 15 decoys of other signatures with the same home bucket (never
	 * matched), then the real entry, in the third bucket. */
	uint32_t decoy[2 * AW_STAB_WAYS];
	decoys(a, h, decoy, 2 * AW_STAB_WAYS);
	for (uint32_t d = 0; d < 2 * AW_STAB_WAYS; d++)
		aw_stab_add(a, decoy[d], 1000 + d);
	aw_stab_add(a, h, idx << 1);
	uint32_t b1 = (home + 1) % a->stab_n, b2 = (home + 2) % a->stab_n;
	CHECK(a->stab[home].ovf >= AW_STAB_WAYS + 1 && a->stab[b1].ovf >= 1);
	unsigned in_b2 = 0;
	for (unsigned w = 0; w < AW_STAB_WAYS; w++)
		in_b2 += a->stab[b2].e[w] == aw_stab_entry(a, h, idx << 1);
	CHECK_EQ(in_b2, 1);
	CHECK_EQ(aw_sess_lookup(a, &k[0]), idx << 1);
	uint32_t ref[3], hs[3];
	aw_stab_find_bulk(a, k, 3, ref, hs);
	CHECK_EQ(ref[0], idx << 1);
	CHECK_EQ(ref[1], other << 1 | 1);
	CHECK_EQ(ref[2], AW_STAB_MISS);
	for (unsigned i = 0; i < 3; i++)
		CHECK_EQ(hs[i], aw_sess_key_hash(&k[i]));
	uint32_t ovf_home = a->stab[home].ovf, ovf_b1 = a->stab[b1].ovf;
	CHECK(aw_stab_del(a, h, idx << 1));
	CHECK_EQ(a->stab[home].ovf, ovf_home - 1);
	CHECK_EQ(a->stab[b1].ovf, ovf_b1 - 1);
	CHECK_EQ(aw_sess_lookup(a, &k[0]), AW_STAB_MISS);
	for (uint32_t d = 0; d < 2 * AW_STAB_WAYS; d++)
		CHECK(aw_stab_del(a, decoy[d], 1000 + d));
	CHECK_EQ(a->stab[home].ovf, ovf_home - 1 - AW_STAB_WAYS);
	aw_sess_insert(a, idx); /* back in its home bucket: the client key only is new */
	CHECK(aw_stab_del(a, aw_sess_key_hash(&k[1]), other << 1 | 1));
	aw_stab_add(a, aw_sess_key_hash(&k[1]), other << 1 | 1);
	aw_stab_find_bulk(a, k, 3, ref, hs);
	CHECK_EQ(ref[0], idx << 1);
	CHECK_EQ(ref[1], other << 1 | 1);
	teardown(a);
}

/* Concurrency: while a writer thread keeps adding and deleting entries that
 * share the home bucket of a session's key (and so move the overflow counts
 * that lead to it), readers looking that session up, singly and in bulk,
 * never miss it. Bounded: a fixed number of writer rounds. */
struct race {
	struct aw_asrs *a;
	struct aw_sess_key k;
	uint32_t want;
	int stop;
	unsigned long misses, lookups;
};

static void *
race_reader(void *arg)
{
	struct race *r = arg;
	struct aw_sess_key ks[4] = {r->k, r->k, r->k, r->k};
	uint32_t ref[4], h[4];

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		r->misses += aw_sess_lookup(r->a, &r->k) != r->want;
		aw_stab_find_bulk(r->a, ks, 4, ref, h);
		for (unsigned i = 0; i < 4; i++)
			r->misses += ref[i] != r->want;
		r->lookups += 5;
	}
	return NULL;
}

static void
test_concurrent_overflow_churn(void)
{
	struct aw_asrs *a = setup(64, 1024, 65535);
	uint16_t port;
	uint32_t idx = make(a, 2, 9000, 2, &port);
	struct race r = {.a = a, .want = idx << 1};
	pthread_t th;

	aw_sess_key_client(&a->sess[idx], &r.k);
	uint32_t h = aw_sess_key_hash(&r.k), D[AW_STAB_WAYS + 10];
	decoys(a, h, D, AW_STAB_WAYS + 10);
	CHECK(aw_stab_del(a, h, idx << 1));
	for (uint32_t d = 0; d < AW_STAB_WAYS; d++) /* fill its home bucket */
		aw_stab_add(a, D[d], 100000 + d);
	aw_stab_add(a, h, idx << 1); /* in the next bucket: found through the count */
	CHECK_EQ(pthread_create(&th, NULL, race_reader, &r), 0);
	for (unsigned round = 0; round < 20000; round++) {
		uint32_t base = 200000 + 64 * (round % 4);
		for (uint32_t d = 0; d < 10; d++)
			aw_stab_add(a, D[AW_STAB_WAYS + d], base + d);
		for (uint32_t d = 0; d < 10; d++) { /* another order each round */
			uint32_t e = (d * 3 + round) % 10;
			CHECK(aw_stab_del(a, D[AW_STAB_WAYS + e], base + e));
		}
		for (uint32_t d = 0; d < 2; d++) { /* a hole in the home bucket, refilled */
			CHECK(aw_stab_del(a, D[d], 100000 + d));
			aw_stab_add(a, D[d], 100000 + d);
		}
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	printf("concurrent churn: %lu lookups, %lu missed\n", r.lookups, r.misses);
	CHECK(r.lookups > 0);
	CHECK_EQ(r.misses, 0);
	CHECK_EQ(aw_sess_lookup(a, &r.k), idx << 1);
	teardown(a);
}

/* Lock-free writers: two threads add and delete entries that all share one
 * home bucket (so they race for the same entry words and overflow counts),
 * many rounds, then leave them in: every entry is in the table exactly once
 * and every bucket's overflow count is what the entries' places imply; then
 * both delete theirs at once and the table is empty again. Bounded: a fixed
 * number of rounds. */
struct writer {
	struct aw_asrs *a;
	const uint32_t *h;
	uint32_t ref0;
	unsigned n, rounds;
	bool del_only;
	unsigned fails;
	unsigned *started; /* both start together (bounded wait) */
};

static void *
writer_run(void *arg)
{
	struct writer *w = arg;
	const uint64_t give_up = rte_get_timer_cycles() + rte_get_timer_hz();

	__atomic_fetch_add(w->started, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(w->started, __ATOMIC_ACQUIRE) < 2 && rte_get_timer_cycles() < give_up)
		rte_pause();
	for (unsigned r = 0; r < w->rounds; r++) {
		if (!w->del_only)
			for (unsigned d = 0; d < w->n; d++)
				aw_stab_add(w->a, w->h[d], w->ref0 + d);
		if (w->del_only || r + 1 < w->rounds)
			for (unsigned d = 0; d < w->n; d++) /* another order than the adds */
				w->fails += !aw_stab_del(w->a, w->h[(d * 7 + r) % w->n], w->ref0 +
							 (d * 7 + r) % w->n);
	}
	return NULL;
}

static void
run_writers(struct writer *w)
{
	pthread_t th[2];
	unsigned started = 0;

	for (unsigned t = 0; t < 2; t++)
		w[t].started = &started;
	for (unsigned t = 0; t < 2; t++)
		CHECK_EQ(pthread_create(&th[t], NULL, writer_run, &w[t]), 0);
	for (unsigned t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
}

static void
test_concurrent_writers(void)
{
	enum { PER = 40 };
	struct aw_asrs *a = setup(1024, 1024, 65535);
	uint32_t h[2 * PER], expect_ovf[512] = {0};
	const uint32_t home = aw_stab_home(a, 0x9e3779b9u);

	CHECK(a->stab_n <= 512);
	decoys(a, 0x9e3779b9u, h, 2 * PER); /* distinct signatures, one home bucket */
	a->one_writer = false; /* as with several processing lcores */
	struct writer w[2] = {{.a = a, .h = h, .ref0 = 10, .n = PER, .rounds = 100000},
			      {.a = a, .h = h + PER, .ref0 = 10 + PER, .n = PER, .rounds = 100000}};
	run_writers(w);
	CHECK_EQ(w[0].fails + w[1].fails, 0);
	for (unsigned d = 0; d < 2 * PER; d++) {
		const uint32_t e = aw_stab_entry(a, h[d], 10 + d);
		unsigned seen = 0;
		for (uint32_t i = 0; i < a->stab_n; i++)
			for (unsigned k = 0; k < AW_STAB_WAYS; k++)
				if (a->stab[i].e[k] == e) {
					seen++;
					for (uint32_t j = home; j != i; j = (j + 1) % a->stab_n)
						expect_ovf[j]++;
				}
		CHECK_EQ(seen, 1);
	}
	unsigned bad_ovf = 0;
	for (uint32_t i = 0; i < a->stab_n; i++)
		bad_ovf += a->stab[i].ovf != expect_ovf[i];
	CHECK_EQ(bad_ovf, 0);
	CHECK(expect_ovf[home] == 2 * PER - AW_STAB_WAYS); /* the chain really overflowed */
	w[0].del_only = w[1].del_only = true;
	w[0].rounds = w[1].rounds = 1;
	run_writers(w);
	CHECK_EQ(w[0].fails + w[1].fails, 0);
	unsigned left = 0;
	for (uint32_t i = 0; i < a->stab_n; i++) {
		left += a->stab[i].ovf != 0;
		for (unsigned k = 0; k < AW_STAB_WAYS; k++)
			left += a->stab[i].e[k] != 0;
	}
	CHECK_EQ(left, 0);
	teardown(a);
}

static void
test_memory_per_session(void)
{
	const uint32_t n1 = 65536, n2 = 262144;
	struct aw_asrs *a = setup(n1, 1024, 65535);
	size_t b1 = a->sess_bytes;
	teardown(a);
	a = setup(n2, 1024, 65535);
	size_t b2 = a->sess_bytes;
	teardown(a);
	double per = (double)(b2 - b1) / (n2 - n1);
	printf("session table: %zu bytes for %u sessions, %zu for %u: %.1f bytes per session "
	       "(slot %zu, lookup table entries)\n", b1, n1, b2, n2, per,
	       sizeof(struct aw_sess));
	CHECK(per > sizeof(struct aw_sess));
	CHECK(per <= 96); /* SPEC §10 */
}

/* The per-lcore next-hop words by destination (aw_asrs_dnh.h): a word is
 * found for its address and family only, 0 is never cached, and a colliding
 * address replaces the entry. */
static void
test_dest_nexthop_cache(void)
{
	static struct aw_asrs_lcore l; /* zeroed: empty */
	uint8_t d4[16] = {10, 0, 0, 7}, d6[16] = {10, 0, 0, 7}, other[16] = {10, 0, 0, 8};

	CHECK_EQ(aw_dnh_get(&l, d4, 0), 0);
	aw_dnh_put(&l, d4, 0, 0x01000005);
	CHECK_EQ(aw_dnh_get(&l, d4, 0), 0x01000005);
	CHECK_EQ(aw_dnh_get(&l, d6, 1), 0); /* the same 16 bytes as IPv6: another key */
	CHECK_EQ(aw_dnh_get(&l, other, 0), 0);
	aw_dnh_put(&l, d4, 0, 0); /* nothing learnt: the word stays */
	CHECK_EQ(aw_dnh_get(&l, d4, 0), 0x01000005);
	aw_dnh_put(&l, d4, 0, 0x02000009);
	CHECK_EQ(aw_dnh_get(&l, d4, 0), 0x02000009);
	/* an address that shares d4's entry evicts it */
	uint8_t x[16] = {0};
	for (uint32_t i = 1;; i++) {
		memcpy(x, &i, 4);
		if (memcmp(x, d4, 16) != 0 && aw_dnh_slot(&l, x, 0) == aw_dnh_slot(&l, d4, 0))
			break;
	}
	aw_dnh_put(&l, x, 0, 0x03000001);
	CHECK_EQ(aw_dnh_get(&l, x, 0), 0x03000001);
	CHECK_EQ(aw_dnh_get(&l, d4, 0), 0);
}

/* A client key toward a SNAT address on a SNAT port (here 10.2.0.2:8080 →
 * 10.2.0.1:1025, equal to the reply key of a session toward 10.2.0.2:8080 on
 * port 1025) holds its port: the allocator, which takes a port no session
 * uses without probing, probes it and moves on; the hold ends at expiry. */
static void
test_client_key_holds_port(void)
{
	struct aw_asrs *a = setup(16, 1024, 1025);
	struct aw_asrs_lcore *l = &a->lc[0];
	uint16_t port;

	ac.n_snat4 = 1; /* 10.2.0.1 (setup) is a SNAT address */
	uint32_t x = aw_sess_alloc(a, l);
	struct aw_sess *s = &a->sess[x];
	memset(s, 0, sizeof(*s));
	uint8_t c[4] = {10, 2, 0, 2}, v[4] = {10, 2, 0, 1}, d[4] = {10, 2, 0, 3};
	memcpy(s->client, c, 4);
	memcpy(s->vip, v, 4);
	memcpy(s->dest, d, 4);
	s->cport = rte_cpu_to_be_16(8080);
	s->vport = rte_cpu_to_be_16(1025);
	s->dport = rte_cpu_to_be_16(80);
	s->proto = IPPROTO_TCP;
	s->state = AW_SS_EST;
	s->last = l->now;
	uint32_t hr;
	CHECK_EQ(aw_snat_port(a, l, s, &hr, NULL), 1024); /* x's own reply side */
	s->sport = rte_cpu_to_be_16(1024);
	aw_snat_client_hold(a, s);
	CHECK(s->flags & AW_SESS_F_PORT_HELD);
	CHECK_EQ(l->snat.port_used[0], 1); /* x's SNAT port */
	CHECK_EQ(l->snat.port_used[1], 1); /* x's client key */
	aw_sess_insert(a, x);
	/* toward 10.2.0.2:8080 the cursor is at 1025, which would make x's client
	 * key: probed, skipped; 1024 (in use toward another pair) probed, free */
	uint32_t y = make(a, 7, 40000, 2, &port);
	CHECK(y < a->n_slots);
	CHECK_EQ(port, 1024);
	struct aw_sess_key k;
	aw_sess_key_client(s, &k);
	CHECK_EQ(aw_sess_lookup(a, &k), x << 1);
	/* a client key to a port outside the range, or to another address: no hold */
	struct aw_sess t = *s;
	t.flags = 0;
	t.vport = rte_cpu_to_be_16(80);
	aw_snat_client_hold(a, &t);
	t.vport = rte_cpu_to_be_16(1024);
	t.vip[3] = 9;
	aw_snat_client_hold(a, &t);
	CHECK_EQ(t.flags, 0);
	CHECK(aw_sess_kill(a, l, x));
	CHECK(aw_sess_kill(a, l, y));
	CHECK_EQ(l->snat.port_used[0], 0);
	CHECK_EQ(l->snat.port_used[1], 0);
	teardown(a);
}

int
main(void)
{
	aw_test_eal_init();
	static const struct aw_test_case cases[] = {
		AW_TEST(test_both_keys), AW_TEST(test_max_sessions),
		AW_TEST(test_snat_endpoint_dependent), AW_TEST(test_partitions),
		AW_TEST(test_age_paced_by_time),
		AW_TEST(test_snat_exhausted_pair_then_expiry), AW_TEST(test_snat_pair_capacity),
		AW_TEST(test_expiry_and_reclaim), AW_TEST(test_full_exactly_at_limit),
		AW_TEST(test_key_layout_v4_v6), AW_TEST(test_overflow_chain),
		AW_TEST(test_concurrent_overflow_churn),
		AW_TEST(test_concurrent_writers), AW_TEST(test_memory_per_session), AW_TEST(test_dest_nexthop_cache),
		AW_TEST(test_client_key_holds_port)};
	return aw_test_run(cases, sizeof(cases) / sizeof(cases[0]));
}
