/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_inproc — in process: a real data plane instance (aw_dp_init on the
 * EAL's ports, net_ring recommended) whose burst functions run on this lcore
 * on mbufs the generator builds; TSC cycles are taken around the data plane's
 * part of an rtc loop iteration only (aw_process_burst, aw_dispatch_burst,
 * slow path poll, TX flush, feature timers, RCU quiescent state): not the
 * port's RX, which the generator replaces. With net_ring
 * ports, what the data plane transmits loops back into the port's RX ring,
 * where the sink reads and checks it (see ab_run.h).
 *
 * Scenario `pipeline` adds the pipeline's reorder stage (aw_reorder) between
 * processing and dispatch, with each burst inserted in two halves out of
 * order (as two workers would return it), and reports its cycles apart.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_reorder.h>

#include "ab_report.h"
#include "ab_run.h"
#include "ab_traffic.h"
#include "ab_watch.h"
#include "aw_api.h"
#include "aw_dp_init.h"
#include "aw_output.h"
#include "aw_pkt.h"
#include "aw_reorder.h"
#include "aw_slowpath.h"

/* Under callgrind.sh (valgrind --instr-atstart=no) instructions are counted
 * from the timed part on: the setup (config, 1M path bindings) runs at
 * valgrind's uninstrumented speed. Outside valgrind a few no-op instructions. */
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define AB_COUNT_FROM_HERE() CALLGRIND_START_INSTRUMENTATION
#else
#define AB_COUNT_FROM_HERE() do { } while (0)
#endif

struct inproc {
	const struct ab_opts *o;
	struct aw_dp dp;
	struct aw_config cfg;
	struct aw_lcore_ctx *ctx;
	struct ab_gen gen;
	struct ab_sink sink;
	struct aw_reorder *ro;    /* scenario pipeline only */
	uint32_t seqn;
	uint8_t port_in;
	uint64_t sent, dp_cycles, ro_cycles, hz;
	uint64_t warmup;          /* asrs-new: leading packets run untimed */
	const struct ab_signer *signer;
	const struct ab_gw *gw;
	unsigned tail_gap;
	bool cfg_loaded, dp_up;   /* what setup() got to, for the cleanup */
};

/* The reorder stage: second half of the burst first, then the first half. */
static unsigned
reorder_stage(struct inproc *P, struct rte_mbuf **m, unsigned n, struct rte_mbuf **out)
{
	unsigned half = n / 2, k = 0;

	for (unsigned i = 0; i < n; i++)
		*rte_reorder_seqn(m[i]) = P->seqn++;
	struct rte_mbuf *late[AB_MAX_BURST];
	unsigned nl = aw_reorder_insert_burst(P->ro, m + half, n - half, late);
	nl += aw_reorder_insert_burst(P->ro, m, half, late + nl);
	rte_pktmbuf_free_bulk(late, nl);
	k = aw_reorder_drain(P->ro, out, AB_MAX_BURST, rte_rdtsc());
	return k;
}

/* What the data plane sent: with net_ring ports it loops back to their RX. */
static void
read_back(struct inproc *P)
{
	struct rte_mbuf *m[AB_MAX_BURST];

	for (unsigned p = 0; p < P->dp.n_ports; p++) {
		uint16_t k;
		while ((k = rte_eth_rx_burst(P->dp.ports[p].port_id, P->ctx->txq[p], m,
					     AB_MAX_BURST)) > 0)
			ab_sink_take(&P->sink, m, k);
	}
}

/* One burst: build, run the data plane on it (timed), read back. */
static void
one_burst(struct inproc *P, unsigned n)
{
	struct rte_mbuf *m[AB_MAX_BURST], *o[AB_MAX_BURST];
	struct aw_lcore_ctx *c = P->ctx;
	uint64_t t0, t1, t2;

	if (ab_gen_alloc(P->dp.pool, m, n) != 0)
		return;
	ab_gen_fill(&P->gen, m, n);
	for (unsigned i = 0; i < n; i++) {
		aw_meta_rx(m[i], P->port_in);
		c->stats.rx_bytes += rte_pktmbuf_pkt_len(m[i]);
	}
	c->stats.rx += n;
	P->sent += n;
	t0 = rte_rdtsc();
	aw_process_burst(c, m, (uint16_t)n);
	t1 = t2 = rte_rdtsc();
	if (P->ro != NULL) {
		n = reorder_stage(P, m, n, o);
		t2 = rte_rdtsc();
		aw_dispatch_burst(c, o, (uint16_t)n);
	} else {
		aw_dispatch_burst(c, m, (uint16_t)n);
	}
	/* the rest of an rtc loop iteration (aw_lcore.c), RX excepted */
	if (c->housekeeper)
		aw_slow_poll(c);
	aw_tx_flush_all(c);
	aw_features_tick(c, t2);
	rte_rcu_qsbr_quiescent(P->dp.rcu, c->rcu_id);
	P->dp_cycles += rte_rdtsc() - t0 - (t2 - t1);
	P->ro_cycles += t2 - t1;
	read_back(P);
}

/* n untimed frames through the data plane, as if received on its port idx. */
static void
inject(struct inproc *P, struct rte_mbuf **m, unsigned n, int idx)
{
	for (unsigned j = 0; j < n; j++)
		aw_meta_rx(m[j], (uint8_t)idx);
	P->ctx->stats.rx += n;
	aw_process_burst(P->ctx, m, (uint16_t)n);
	aw_dispatch_burst(P->ctx, m, (uint16_t)n);
	aw_tx_flush_all(P->ctx);
	read_back(P);
}

/* Frames as they are into the data plane, as if received on DPDK port p. */
static int
inject_raw(struct inproc *P, const struct ab_raw *r, uint16_t p)
{
	struct rte_mbuf *m[64];
	int idx = aw_port_index(&P->dp, p);

	for (uint32_t i = 0; idx >= 0 && i < r->n; i += 64) {
		unsigned n = RTE_MIN(64u, r->n - i);
		if (rte_pktmbuf_alloc_bulk(P->dp.pool, m, n) != 0)
			return -1;
		for (unsigned j = 0; j < n; j++)
			rte_memcpy(rte_pktmbuf_append(m[j], r->len[i + j]), r->data[i + j],
				   r->len[i + j]);
		inject(P, m, n, idx);
	}
	return idx < 0 && r->n ? -1 : 0;
}

static bool invalid_drops(const struct aw_stats *st, char *out, size_t len);

/* The TRS scenarios' relay paths, both sides of a chunk of paths at a time
 * (ab_bind.h), then the relay's count of sides it bound: a run where not
 * every path is bound on both sides is refused. 0, 1 (no mbufs, no tag) or
 * 2 (refused). */
static int
bind_paths(struct inproc *P, const struct ab_bind *b)
{
	struct rte_mbuf *m[2][AB_BIND_CHUNK];
	const int idx[2] = {aw_port_index(&P->dp, 0), aw_port_index(&P->dp, 1)};
	const uint64_t before = P->ctx->stats.info[AW_INFO_RELAY_BINDS];
	char why[512];

	if (idx[0] < 0 || idx[1] < 0) {
		fprintf(stderr, "anyway-bench: %s: the relay paths are bound from DPDK ports 0 "
			"and 1, but the config has no such port\n", P->o->dp_config);
		return 2;
	}
	for (uint32_t done = 0; done < b->n;) {
		const unsigned n = ab_bind_next(b, done);
		if (rte_pktmbuf_alloc_bulk(P->dp.pool, m[0], n) != 0)
			return fprintf(stderr, "anyway-bench: path binding: no mbufs\n"), 1;
		if (rte_pktmbuf_alloc_bulk(P->dp.pool, m[1], n) != 0) {
			rte_pktmbuf_free_bulk(m[0], n);
			return fprintf(stderr, "anyway-bench: path binding: no mbufs\n"), 1;
		}
		if (ab_bind_fill(b, done, n, m[0], m[1]) < 0) {
			rte_pktmbuf_free_bulk(m[0], n);
			rte_pktmbuf_free_bulk(m[1], n);
			fprintf(stderr, "anyway-bench: path binding: paths %u..%u: no tag (suite "
				"%u)\n", done, done + n - 1, b->suite);
			return 1;
		}
		inject(P, m[0], n, idx[0]);
		inject(P, m[1], n, idx[1]);
		done += n;
	}
	const uint64_t bound = P->ctx->stats.info[AW_INFO_RELAY_BINDS] - before;
	if (bound != 2ull * b->n) {
		invalid_drops(&P->ctx->stats, why, sizeof(why));
		fprintf(stderr, "anyway-bench: --flows %u: the relay bound %" PRIu64 " of the %u "
			"path sides the setup sent (drops: %s); refusing to measure with unbound "
			"paths. %s must install the paths of bench/templates.py --dp-config %s "
			"--flows %u --suite %u\n", b->n, bound, 2 * b->n, why[0] ? why : "none",
			P->o->dp_config, P->o->scenario, b->n, b->suite);
		return 2;
	}
	printf("anyway-bench: %u relay paths bound, both sides\n", b->n);
	fflush(stdout);
	return 0;
}

/* Every counter the report reads starts from zero again. */
static void
counters_zero(struct inproc *P)
{
	memset(&P->ctx->stats, 0, sizeof(P->ctx->stats));
	P->sent = P->dp_cycles = P->ro_cycles = 0;
	P->sink.rx = P->sink.rx_bytes = P->sink.other = P->sink.corrupted = 0;
	P->sink.out_of_order = 0;
}

/* Untimed setup frames (TRS: path binding) and warm-up; every counter starts
 * from zero after. 0, 1 or 2 (refused). */
static int
prelude(struct inproc *P, const struct ab_scen *s, const struct ab_input *in)
{
	for (uint16_t p = 0; p < 2; p++)
		if (inject_raw(P, &in->setup[p], p) < 0) {
			fprintf(stderr, "anyway-bench: port %u: setup frames not injected\n", p);
			return 1;
		}
	if (in->bind.n != 0) {
		int rc = bind_paths(P, &in->bind);
		if (rc != 0)
			return rc;
	}
	for (uint32_t done = 0; s->warmup && done < P->o->flows;) {
		unsigned n = RTE_MIN(P->o->burst, P->o->flows - done);
		one_burst(P, n);
		done += n;
	}
	counters_zero(P);
	return 0;
}

/* Leading packets of a session-per-packet run (asrs-new) that open their
 * sessions untimed: --warmup, else a quarter of --packets up to 8192. The
 * first few thousand new sessions of a fresh table cost several times the
 * steady rate on a VM with 4 KiB pages (bench/README.md "asrs-new"). */
#define AB_WARMUP_MAX 8192u
static uint64_t
warmup_packets(const struct ab_opts *o, const struct ab_scen *s)
{
	if (!s->new_per_packet)
		return 0;
	if (o->warmup_given)
		return o->warmup;
	return RTE_MIN((uint64_t)AB_WARMUP_MAX, o->packets / 4);
}

/* Runs the untimed leading packets, then zeroes the counters. */
static void
warm_up(struct inproc *P)
{
	if (P->warmup == 0)
		return;
	for (uint64_t done = 0; done < P->warmup;) {
		unsigned n = (unsigned)RTE_MIN((uint64_t)P->o->burst, P->warmup - done);
		one_burst(P, n);
		done += n;
	}
	printf("anyway-bench: warm-up: %" PRIu64 " sessions opened untimed, then %" PRIu64
	       " timed\n", P->warmup, P->o->packets - P->warmup);
	fflush(stdout);
	counters_zero(P);
}

/* Sessions an ASRS scenario opens: one per flow (per packet for asrs-new). */
static uint64_t
sessions_needed(const struct ab_opts *o, const struct ab_scen *s)
{
	if (strncmp(s->name, "asrs", 4) != 0 && strcmp(s->name, "mixed") != 0)
		return 0;
	return s->new_per_packet ? o->packets : o->flows;
}

/* Refuses a config (j: the file as aw_config_load read it) whose
 * asrs.max_sessions cannot hold the run's sessions (they would be dropped as
 * session_table_full), for the gateway scenarios one without a path per flow
 * or with paths of another suite, and for the TRS scenarios one with fewer
 * relay paths than flows. 0 or 2. */
static int
check_table(const struct ab_opts *o, const struct ab_scen *s, json_t *j)
{
	json_t *a, *m;
	char err[512];
	uint64_t need = sessions_needed(o, s), have = 1048576; /* CONFIG.md default */
	int rc = 0;

	a = json_object_get(j, "asrs");
	m = json_object_get(a, "max_sessions");
	if (json_is_integer(m))
		have = (uint64_t)json_integer_value(m);
	if (json_is_object(a) && need > have) {
		fprintf(stderr, "anyway-bench: --flows %u: scenario %s opens %" PRIu64 " sessions "
			"but %s has asrs.max_sessions %" PRIu64 " (they would be dropped as "
			"session_table_full); size it with bench/templates.py --flows %u\n",
			o->flows, s->name, need, o->dp_config, have, o->flows);
		rc = 2;
	}
	if (rc == 0 && s->gw && ab_gw_check_config(j, o->dp_config, o->flows, o->suite, err,
						     sizeof(err)) < 0) {
		fprintf(stderr, "anyway-bench: %s\n", err);
		rc = 2;
	}
	a = json_object_get(j, "relays");
	if (rc == 0 && s->setup && (!json_is_array(a) || json_array_size(a) < o->flows)) {
		fprintf(stderr, "anyway-bench: --flows %u: scenario %s binds one relay path per "
			"flow but %s installs %zu (relays[]); make it with bench/templates.py "
			"--dp-config %s --flows %u\n", o->flows, s->name, o->dp_config,
			json_is_array(a) ? json_array_size(a) : 0, s->name, o->flows);
		rc = 2;
	}
	return rc;
}

/* The scenario's API request (cluster.set), as the API thread would run it. */
static int
dp_request(struct inproc *P, const char *text)
{
	json_t *req = json_loads(text, 0, NULL), *r = req != NULL ? aw_api_handle(&P->dp, req) : NULL;
	int rc = r != NULL && json_is_true(json_object_get(r, "ok")) ? 0 : -1;

	if (rc < 0)
		fprintf(stderr, "anyway-bench: data plane refused %s: %s\n", text,
			r != NULL ? json_string_value(json_object_get(r, "error")) : "(bad JSON)");
	json_decref(r);
	json_decref(req);
	return rc;
}

static int
setup(struct inproc *P, const struct ab_scen *s, const struct ab_tmpl *t)
{
	char err[512];
	int idx;

	if (aw_config_load(P->o->dp_config, &P->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "anyway-bench: %s\n", err);
		return 2;
	}
	P->cfg_loaded = true;
	if (check_table(P->o, s, P->cfg.raw) != 0)
		return 2;  /* no table built yet */
	if (P->cfg.mode != AW_MODE_RTC) {
		fprintf(stderr, "anyway-bench: %s: mode: expected \"rtc\" (in process, the "
			"burst functions run on this lcore)\n", P->o->dp_config);
		return 2;
	}
	P->dp.cfg = &P->cfg;
	if (aw_dp_init(&P->dp, &P->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "anyway-bench: data plane: %s\n", err);
		return 1;
	}
	P->dp_up = true;
	if (s->dp_request != NULL && dp_request(P, s->dp_request) < 0)
		return 2;
	idx = aw_port_index(&P->dp, (uint16_t)P->o->tx_port);
	if (idx < 0 || P->dp.n_ctx < 1) {
		fprintf(stderr, "anyway-bench: --tx-port %u: not a port of %s\n", P->o->tx_port,
			P->o->dp_config);
		return 2;
	}
	P->port_in = (uint8_t)idx;
	P->ctx = P->dp.ctx_list[0];
	if (strcmp(s->name, "pipeline") == 0) {
		P->ro = aw_reorder_create("ab_reorder", 8192, P->hz / 10000,
					  (int)rte_socket_id());
		P->seqn = 1;
	}
	if ((strcmp(s->name, "pipeline") == 0 && P->ro == NULL) ||
	    ab_gen_init(&P->gen, t, P->o->flows, s->random_order, P->o->seed) < 0 ||
	    ab_sink_init(&P->sink, P->o->flows, P->o->pkt_size + s->out_grow) < 0) {
		fprintf(stderr, "anyway-bench: out of memory (flow tables, reorder buffer)\n");
		return 1;
	}
	P->gen.signer = P->signer;
	P->gen.tail_gap = P->sink.tail_gap = P->tail_gap;
	P->gen.gw = P->sink.gw = P->gw;
	P->sink.gw_strict = true;
	return 0;
}

/* Drops other than tx_full during the timed part, "reason:n,..." in out. */
static bool
invalid_drops(const struct aw_stats *st, char *out, size_t len)
{
	size_t off = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < AW_DROP__COUNT; i++) {
		if (st->drops[i] == 0 || i == AW_DROP_TX_FULL)
			continue;
		int k = snprintf(out + off, len - off, "%s%s:%" PRIu64, off ? "," : "",
				 aw_drop_name(i), st->drops[i]);
		if (k < 0 || (size_t)k >= len - off)
			break;
		off += (size_t)k;
	}
	return out[0] != '\0';
}

/* Summary and RESULT; 3 when the run is INVALID, else 0. */
static int
report(struct inproc *P, const struct ab_scen *s, uint64_t start, uint64_t end)
{
	struct ab_result r = {
		.o = P->o, .s = s, .mode = "in-process", .generated = P->sent,
		.sink = &P->sink, .sign_failed = P->gen.sign_failed, .checked = true,
		.gen_idle = -1, .dp_idle = -1, .dp_idle_s = -1, .warmup = P->warmup,
	};
	const struct aw_stats *st = &P->ctx->stats;
	char why[512];
	int any = 0;

	r.seconds = (double)(end - start) / (double)P->hz;
	r.cycles_per_pkt = P->sink.rx ? (double)(end - start) / (double)P->sink.rx : 0;
	r.dp_cycles_per_pkt = P->sent ? (double)P->dp_cycles / (double)P->sent : 0;
	/* one lcore runs both sides: neither idles, the larger share limits */
	r.dp_share = end > start ? (double)(P->dp_cycles + P->ro_cycles) / (double)(end - start) : 0;
	if (invalid_drops(st, why, sizeof(why)))
		r.invalid = why;
	r.reorder_cycles_per_pkt = P->ro == NULL ? -1
				   : P->sent ? (double)P->ro_cycles / (double)P->sent : 0.0;
	ab_report_summary(&r);
	printf("  data plane      rx %" PRIu64 " tx %" PRIu64 " consumed %" PRIu64 "\n",
	       st->rx, st->tx, st->consumed);
	printf("  drops by reason");
	for (unsigned i = 0; i < AW_DROP__COUNT; i++)
		if (st->drops[i]) {
			printf(" %s=%" PRIu64, aw_drop_name(i), st->drops[i]);
			any = 1;
		}
	printf("%s\n", any ? "" : " none");
	printf("  counters       ");
	for (unsigned i = 0; i < AW_INFO__COUNT; i++)
		if (st->info[i])
			printf(" %s=%" PRIu64, aw_info_name(i), st->info[i]);
	printf("\n");
	fflush(stdout);
	return r.invalid != NULL ? 3 : 0;
}

int
ab_run_in_process(const struct ab_opts *o, const struct ab_scen *s, const struct ab_input *in,
		  volatile bool *stop)
{
	static struct inproc P;
	uint64_t start, end, limit, next_show, period, timed;
	int rc;

	P.o = o;
	P.hz = rte_get_tsc_hz();
	P.signer = in->signer.n ? &in->signer : NULL;
	P.gw = in->gw.e != NULL ? &in->gw : NULL;
	P.tail_gap = in->tail_gap;
	/* bounds (ab_watch.h): none for setup and warm-up, which compute and
	 * never wait (1M-entry tables under valgrind take minutes): a signal
	 * still ends them after the grace; the timed loop reads the stop flag */
	ab_watch_phase("in-process setup and warm-up", 0);
	rc = setup(&P, s, &in->t);
	if (rc == 0)
		rc = prelude(&P, s, in);
	P.warmup = warmup_packets(o, s);
	if (rc == 0)
		warm_up(&P);
	ab_watch_phase("in-process traffic", o->packets ? 0 : o->duration_s + 120);
	if (rc == 0) {
		limit = (uint64_t)(o->duration_s * (double)P.hz);
		timed = o->packets - P.warmup; /* with --packets (warmup < packets: ab_main.c) */
		period = (uint64_t)(o->period_s * (double)P.hz);
		AB_COUNT_FROM_HERE();
		start = rte_rdtsc();
		next_show = start + period;
		for (end = start; !*stop; end = rte_rdtsc()) {
			unsigned n = o->burst;
			if (o->packets ? P.sent >= timed : end - start >= limit)
				break;
			if (o->packets && timed - P.sent < n)
				n = (unsigned)(timed - P.sent);
			one_burst(&P, n);
			if (period && end >= next_show) {
				next_show = end + period;
				printf("  in-process: sent %" PRIu64 " received %" PRIu64
				       " dp cycles/pkt %.1f\n", P.sent, P.sink.rx,
				       (double)P.dp_cycles / (double)(P.sent ? P.sent : 1));
				fflush(stdout);
			}
		}
		ab_watch_phase("in-process report and teardown", 0);
		rc = report(&P, s, start, end);
	}
	if (P.ro != NULL)
		aw_reorder_destroy(P.ro);
	ab_gen_free(&P.gen);
	ab_sink_free(&P.sink);
	if (P.dp_up)
		aw_dp_fini(&P.dp);
	if (P.cfg_loaded)
		aw_config_free(&P.cfg);
	return rc;
}
