/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/asrs/aw_snat_pairs: allocation until a pair is exhausted,
 * then failures that probe nothing (the probe callback counts calls), a
 * freed port making allocation succeed again, pairs independent of each
 * other, the bounded probe budget, the pair table's limit, and removal with
 * backward shift under churn (every count checked against a model); the
 * per-port counts (port_used): an unused port taken without asking the caller,
 * probe_all asking for every port, release keeping the counts exact under
 * churn with two pairs, and two threads allocating from two partitions while
 * each releases the other's ports (as lcores expiring each other's sessions).
 */
#include "aw_test.h"

#include <pthread.h>
#include <stdlib.h>

#include "aw_snat_pairs.h"

/* A model of the session table: which ports are in use toward one pair. */
struct busy {
	uint8_t used[65536];
	unsigned calls;
};

static bool
is_free(void *arg, uint16_t port)
{
	struct busy *b = arg;

	b->calls++;
	return !b->used[port];
}

static struct aw_snat_pair_key
key(uint8_t dest_last, uint16_t dport, uint8_t snat)
{
	struct aw_snat_pair_key k;

	memset(&k, 0, sizeof(k));
	k.dest[0] = 10, k.dest[1] = 2, k.dest[3] = dest_last;
	k.dport = dport;
	k.proto = 6;
	k.snat = snat;
	return k;
}

static void
test_exhaustion_is_o1_and_free_restores(void)
{
	struct busy *b = calloc(1, sizeof(*b));
	struct aw_snat_part part = {.lo = 1024, .n = 1000, .pairs = aw_snat_pairs_create(16)};
	struct aw_snat_pair_key k = key(2, 8080, 0);
	uint16_t port;

	for (unsigned i = 0; i < 1000; i++) {
		CHECK_EQ(aw_snat_alloc(&part, &k, 64, is_free, b, &port), AW_SNAT_OK);
		CHECK(port >= 1024 && port < 2024 && !b->used[port]);
		b->used[port] = 1;
	}
	CHECK_EQ(aw_snat_pairs_used(part.pairs, &k), 1000);
	b->calls = 0;
	for (unsigned i = 0; i < 10000; i++)
		CHECK_EQ(aw_snat_alloc(&part, &k, 64, is_free, b, &port), AW_SNAT_EXHAUSTED);
	CHECK_EQ(b->calls, 0); /* not one probe per failed allocation */
	/* Another destination of the same SNAT address still gets ports. */
	struct aw_snat_pair_key k2 = key(3, 8080, 0);
	struct busy *b2 = calloc(1, sizeof(*b2));
	CHECK_EQ(aw_snat_alloc(&part, &k2, 64, is_free, b2, &port), AW_SNAT_OK);
	CHECK_EQ(b2->calls, 1);
	/* A freed port makes allocation succeed again, with that port. */
	b->used[1500] = 0;
	CHECK(aw_snat_pairs_dec(part.pairs, &k));
	b->calls = 0;
	CHECK_EQ(aw_snat_alloc(&part, &k, 2000, is_free, b, &port), AW_SNAT_OK);
	CHECK_EQ(port, 1500);
	CHECK(b->calls >= 1 && b->calls <= 1000);
	b->used[port] = 1;
	CHECK_EQ(aw_snat_alloc(&part, &k, 64, is_free, b, &port), AW_SNAT_EXHAUSTED);
	aw_snat_pairs_free(part.pairs);
	free(b);
	free(b2);
}

static void
test_probe_budget(void)
{
	struct busy *b = calloc(1, sizeof(*b));
	struct aw_snat_part part = {.lo = 100, .n = 200, .pairs = aw_snat_pairs_create(4)};
	struct aw_snat_pair_key k = key(2, 80, 1);
	uint16_t port;

	/* Ports taken by sessions the pair table does not count here (say,
	 * toward the same pair from before a restart of the model): the
	 * allocator gives up after max_probes tries. */
	for (unsigned p = 100; p < 300; p++)
		b->used[p] = 1;
	CHECK_EQ(aw_snat_alloc(&part, &k, 64, is_free, b, &port), AW_SNAT_BUSY);
	CHECK_EQ(b->calls, 64);
	CHECK_EQ(aw_snat_pairs_used(part.pairs, &k), 0);
	CHECK_EQ(part.pairs->n, 0);
	/* The cursor moved on: the next try starts at port 164. */
	b->used[164] = 0;
	b->calls = 0;
	CHECK_EQ(aw_snat_alloc(&part, &k, 64, is_free, b, &port), AW_SNAT_OK);
	CHECK_EQ(port, 164);
	CHECK_EQ(b->calls, 1);
	aw_snat_pairs_free(part.pairs);
	free(b);
}

static void
test_pair_table_limit(void)
{
	struct busy *b = calloc(1, sizeof(*b));
	struct aw_snat_part part = {.lo = 1, .n = 10, .pairs = aw_snat_pairs_create(4)};
	uint16_t port;
	unsigned max = part.pairs->max_n;

	CHECK(max >= 4);
	for (unsigned i = 0; i < max; i++) {
		struct aw_snat_pair_key k = key((uint8_t)i, 80, 0);
		CHECK_EQ(aw_snat_alloc(&part, &k, 64, is_free, b, &port), AW_SNAT_OK);
	}
	struct aw_snat_pair_key extra = key(200, 80, 0), first = key(0, 80, 0);
	CHECK_EQ(aw_snat_alloc(&part, &extra, 64, is_free, b, &port), AW_SNAT_PAIRS_FULL);
	CHECK_EQ(aw_snat_pairs_inc(part.pairs, &extra), -1);
	CHECK_EQ(aw_snat_alloc(&part, &first, 64, is_free, b, &port), AW_SNAT_OK); /* known pair */
	CHECK(aw_snat_pairs_dec(part.pairs, &first));
	CHECK(aw_snat_pairs_dec(part.pairs, &first)); /* its count reached 0: gone */
	CHECK(!aw_snat_pairs_dec(part.pairs, &first));
	CHECK_EQ(aw_snat_alloc(&part, &extra, 64, is_free, b, &port), AW_SNAT_OK);
	aw_snat_pairs_free(part.pairs);
	free(b);
}

/* Random increments and decrements over many keys in a small table (long
 * probe runs, wrap-around): every count matches a model after each step. */
static void
test_churn_against_model(void)
{
	enum { NK = 40 };
	struct aw_snat_pairs *t = aw_snat_pairs_create(NK);
	uint32_t model[NK] = {0};
	uint64_t rnd = 0x9e3779b97f4a7c15ull;

	for (unsigned step = 0; step < 200000; step++) {
		unsigned i = (unsigned)(aw_test_rnd(&rnd) % NK);
		struct aw_snat_pair_key k = key((uint8_t)i, (uint16_t)(i * 7), (uint8_t)(i % 3));
		if (aw_test_rnd(&rnd) & 1) {
			CHECK_EQ(aw_snat_pairs_inc(t, &k), 0);
			model[i]++;
		} else {
			CHECK_EQ(aw_snat_pairs_dec(t, &k), model[i] != 0);
			if (model[i] != 0)
				model[i]--;
		}
		if (step % 1000 == 0) {
			unsigned present = 0;
			for (unsigned j = 0; j < NK; j++) {
				struct aw_snat_pair_key kj = key((uint8_t)j, (uint16_t)(j * 7), (uint8_t)(j % 3));
				CHECK_EQ(aw_snat_pairs_used(t, &kj), model[j]);
				present += model[j] != 0;
			}
			CHECK_EQ(t->n, present);
		}
	}
	aw_snat_pairs_free(t);
}

/* An unused port is taken without a call; a used one is asked about. */
static void
test_unused_port_unprobed(void)
{
	struct busy *b = calloc(1, sizeof(*b));
	struct aw_snat_part part = {.lo = 100, .n = 4, .pairs = aw_snat_pairs_create(4)};
	struct aw_snat_pair_key ka = key(1, 80, 0), kb = key(2, 80, 0);
	uint16_t port = 0;

	CHECK(b != NULL && part.pairs != NULL);
	CHECK_EQ(aw_snat_part_ports_create(&part), 0);
	for (unsigned i = 0; i < 4; i++) {
		CHECK_EQ(aw_snat_alloc_ex(&part, &ka, 64, is_free, b, &port, false), AW_SNAT_OK);
		CHECK_EQ(port, 100 + i);
		CHECK_EQ(part.port_used[i], 1);
	}
	CHECK_EQ(b->calls, 0);
	/* toward another pair every port is in use by a: each one asked (free) */
	CHECK_EQ(aw_snat_alloc_ex(&part, &kb, 64, is_free, b, &port, false), AW_SNAT_OK);
	CHECK_EQ(port, 100);
	CHECK_EQ(b->calls, 1);
	CHECK_EQ(part.port_used[0], 2);
	/* probe_all: an unused port is asked about too */
	CHECK(aw_snat_release(&part, &ka, 101));
	CHECK_EQ(part.port_used[1], 0);
	CHECK_EQ(aw_snat_alloc_ex(&part, &kb, 64, is_free, b, &port, true), AW_SNAT_OK);
	CHECK_EQ(port, 101);
	CHECK_EQ(b->calls, 2);
	CHECK_EQ(aw_snat_pairs_used(part.pairs, &kb), 2);
	struct aw_snat_pair_key kx = key(9, 80, 0);
	CHECK(!aw_snat_release(&part, &kx, 101)); /* absent pair: nothing */
	CHECK_EQ(part.port_used[1], 1);
	aw_snat_part_ports_free(&part);
	CHECK(part.port_used == NULL);
	aw_snat_pairs_free(part.pairs);
	free(b);
}

/* Churn over two pairs: no port handed out twice toward a pair, port_used
 * and the pair counts always equal the model's, exhaustion exact. */
static void
test_port_used_churn(void)
{
	enum { N = 50, PAIRS = 2, STEPS = 20000 };
	struct busy *b[PAIRS] = {calloc(1, sizeof(struct busy)), calloc(1, sizeof(struct busy))};
	struct aw_snat_part part = {.lo = 2000, .n = N, .pairs = aw_snat_pairs_create(4)};
	struct aw_snat_pair_key k[PAIRS] = {key(1, 53, 0), key(2, 53, 0)};
	unsigned live[PAIRS] = {0, 0};

	CHECK(b[0] != NULL && b[1] != NULL && part.pairs != NULL);
	CHECK_EQ(aw_snat_part_ports_create(&part), 0);
	srand(7);
	for (unsigned step = 0; step < STEPS; step++) {
		unsigned q = (unsigned)rand() % PAIRS;
		uint16_t port = 0;
		if (rand() % 3 != 0) {
			unsigned calls = b[q]->calls;
			enum aw_snat_res r = aw_snat_alloc_ex(&part, &k[q], N, is_free, b[q], &port,
							      false);
			if (live[q] == N) {
				CHECK_EQ(r, AW_SNAT_EXHAUSTED);
				CHECK_EQ(b[q]->calls, calls);
				continue;
			}
			CHECK_EQ(r, AW_SNAT_OK); /* N probes: a free port is always found */
			CHECK(port >= 2000 && port < 2000 + N);
			CHECK(!b[q]->used[port]);
			b[q]->used[port] = 1;
			live[q]++;
		} else if (live[q] != 0) {
			do
				port = (uint16_t)(2000 + (unsigned)rand() % N);
			while (!b[q]->used[port]);
			CHECK(aw_snat_release(&part, &k[q], port));
			b[q]->used[port] = 0;
			live[q]--;
		}
		for (unsigned i = 0; i < N; i++)
			CHECK_EQ(part.port_used[i], (uint32_t)(b[0]->used[2000 + i] + b[1]->used[2000 + i]));
		for (unsigned p = 0; p < PAIRS; p++)
			CHECK_EQ(aw_snat_pairs_used(part.pairs, &k[p]), live[p]);
	}
	aw_snat_part_ports_free(&part);
	aw_snat_pairs_free(part.pairs);
	free(b[0]);
	free(b[1]);
}

/* Two threads, two partitions of one range, one pair: each allocates from
 * its own partition under that partition's lock and releases the ports the
 * other thread allocated (under the owner's lock), as the data plane's lcores
 * do when one expires another's session. The shared model (under its own
 * lock) checks that no port is ever held twice. */
enum { TP_N = 64, TP_ROUNDS = 20000 };
struct tp_shared {
	pthread_mutex_t model_lock;
	uint8_t held[65536];
	unsigned dup;
	struct aw_snat_part part[2];
	pthread_mutex_t part_lock[2];
	uint16_t handoff[2][TP_N * 2]; /* ports allocated by t, released by the other */
	unsigned n_handoff[2];
	pthread_mutex_t handoff_lock[2];
};
struct tp_arg {
	struct tp_shared *sh;
	unsigned t;
};

static bool
tp_free(void *arg, uint16_t port)
{
	struct tp_shared *sh = arg;

	pthread_mutex_lock(&sh->model_lock);
	bool f = !sh->held[port];
	pthread_mutex_unlock(&sh->model_lock);
	return f;
}

static void
tp_release_one(struct tp_shared *sh, unsigned from, const struct aw_snat_pair_key *k)
{
	uint16_t port = 0;

	pthread_mutex_lock(&sh->handoff_lock[from]);
	if (sh->n_handoff[from] != 0)
		port = sh->handoff[from][--sh->n_handoff[from]];
	pthread_mutex_unlock(&sh->handoff_lock[from]);
	if (port == 0)
		return;
	pthread_mutex_lock(&sh->model_lock);
	sh->held[port] = 0;
	pthread_mutex_unlock(&sh->model_lock);
	pthread_mutex_lock(&sh->part_lock[from]);
	aw_snat_release(&sh->part[from], k, port);
	pthread_mutex_unlock(&sh->part_lock[from]);
}

static void *
tp_run(void *p)
{
	struct tp_arg *ta = p;
	struct tp_shared *sh = ta->sh;
	const unsigned t = ta->t, o = 1 - t;
	struct aw_snat_pair_key k = key(5, 443, 0);

	for (unsigned r = 0; r < TP_ROUNDS; r++) {
		uint16_t port = 0;
		pthread_mutex_lock(&sh->part_lock[t]);
		enum aw_snat_res res = aw_snat_alloc_ex(&sh->part[t], &k, TP_N, tp_free, sh, &port,
							false);
		pthread_mutex_unlock(&sh->part_lock[t]);
		if (res == AW_SNAT_OK) {
			pthread_mutex_lock(&sh->model_lock);
			sh->dup += sh->held[port];
			sh->held[port] = 1;
			pthread_mutex_unlock(&sh->model_lock);
			pthread_mutex_lock(&sh->handoff_lock[t]);
			sh->handoff[t][sh->n_handoff[t]++] = port;
			pthread_mutex_unlock(&sh->handoff_lock[t]);
		}
		if (r % 2 == 1)
			tp_release_one(sh, o, &k); /* the other partition's session expires here */
	}
	return NULL;
}

static void
test_two_threads(void)
{
	struct tp_shared *sh = calloc(1, sizeof(*sh));
	struct aw_snat_pair_key k = key(5, 443, 0);
	pthread_t th[2];
	struct tp_arg ta[2];

	CHECK(sh != NULL);
	pthread_mutex_init(&sh->model_lock, NULL);
	for (unsigned t = 0; t < 2; t++) {
		sh->part[t] = (struct aw_snat_part){.lo = (uint16_t)(1000 + t * TP_N), .n = TP_N,
						    .pairs = aw_snat_pairs_create(4)};
		CHECK(sh->part[t].pairs != NULL);
		CHECK_EQ(aw_snat_part_ports_create(&sh->part[t]), 0);
		pthread_mutex_init(&sh->part_lock[t], NULL);
		pthread_mutex_init(&sh->handoff_lock[t], NULL);
		ta[t] = (struct tp_arg){sh, t};
	}
	for (unsigned t = 0; t < 2; t++)
		CHECK_EQ(pthread_create(&th[t], NULL, tp_run, &ta[t]), 0);
	for (unsigned t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
	CHECK_EQ(sh->dup, 0);
	for (unsigned t = 0; t < 2; t++) {
		/* what is still held is exactly what the counts say */
		unsigned held = 0;
		for (unsigned i = 0; i < TP_N; i++) {
			held += sh->held[sh->part[t].lo + i];
			CHECK_EQ(sh->part[t].port_used[i], sh->held[sh->part[t].lo + i]);
		}
		CHECK_EQ(held, sh->n_handoff[t]);
		CHECK_EQ(aw_snat_pairs_used(sh->part[t].pairs, &k), held);
		aw_snat_part_ports_free(&sh->part[t]);
		aw_snat_pairs_free(sh->part[t].pairs);
	}
	free(sh);
}

AW_TEST_MAIN(AW_TEST(test_exhaustion_is_o1_and_free_restores), AW_TEST(test_probe_budget),
	     AW_TEST(test_pair_table_limit), AW_TEST(test_churn_against_model),
	     AW_TEST(test_unused_port_unprobed), AW_TEST(test_port_used_churn),
	     AW_TEST(test_two_threads))
