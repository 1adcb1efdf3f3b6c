/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_ports — through ports: one lcore generates on the TX port and sinks what
 * every port receives (see ab_run.h).
 *
 * Peer leaving: the net_memif PMD of DPDK 22.11 can crash when its peer goes
 * away while packets move, so traffic always stops here first (TX ends, RX
 * drains), and only then are the ports stopped. If the peer leaves during the
 * run, the link goes down: the loop notices at its next link check (every
 * 10 ms), stops sending and polling, reports what it measured and exits 1.
 * The scripts (compare.sh, run.sh) stop the data plane only after the bench
 * has exited.
 *
 * Bounds (ab_watch.h): starting a port retries for --link-wait, then the
 * links get --link-wait; the setup frames and warm-up go on while the port
 * takes packets (send_all gives up after a second without); the timed part
 * ends at --duration, or with --packets when the port has taken no packet
 * for TX_STALL_S. The stop flag is read in every loop.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "ab_dpsnap.h"
#include "ab_report.h"
#include "ab_run.h"
#include "ab_traffic.h"
#include "ab_watch.h"

#define RING_DESC 1024
#define LINK_CHECK_MS 10
#define TX_STALL_S 10      /* --packets: no packet taken for this long ends TX */
#define PHASE_SLACK_S 30   /* beyond a phase's own bound, on a loaded machine */

struct loop {
	const struct ab_opts *o;
	struct ab_gen gen;
	struct ab_sink sink;
	struct rte_mempool *pool;
	uint16_t n_ports;
	struct rte_mbuf *pend[AB_MAX_BURST];
	unsigned n_pend, off_pend;
	uint64_t sent, retries;
	uint64_t cyc_idle, cyc_busy; /* timed TX part: TSC cycles of loop iterations
				      * that moved nothing (TX refused or held back
				      * by --rate, RX empty) / moved packets */
	json_t *stats0;             /* the data plane's stats when timing started */
	struct ab_dpsnap snap;      /* ... and when TX ended (with --dp-api) */
	bool snap_on;
	uint64_t hz, start, tx_end;
	bool peer_left, tx_stalled;
	volatile bool *stop;
};

/* Configures and starts port p. Starting is retried until `wait_s` has
 * passed or a signal came: a memif client cannot start while its server is
 * not listening. */
static int
port_setup(uint16_t p, struct rte_mempool *pool, double wait_s, volatile bool *stop)
{
	uint64_t give_up = rte_rdtsc() + (uint64_t)(wait_s * (double)rte_get_tsc_hz());
	struct rte_eth_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	if ((rc = rte_eth_dev_configure(p, 1, 1, &conf)) < 0 ||
	    (rc = rte_eth_rx_queue_setup(p, 0, RING_DESC, rte_eth_dev_socket_id(p), NULL,
					 pool)) < 0 ||
	    (rc = rte_eth_tx_queue_setup(p, 0, RING_DESC, rte_eth_dev_socket_id(p), NULL)) < 0)
		goto fail;
	while ((rc = rte_eth_dev_start(p)) < 0 && rte_rdtsc() < give_up && !*stop)
		rte_delay_ms(100);
	if (rc < 0 && *stop)
		return -1;
	if (rc < 0) {
		fprintf(stderr, "anyway-bench: port %u: not started after %.1f s of retries "
			"(--link-wait): %s (a memif client needs its server listening on the "
			"same socket: is the data plane or testpmd running with role=server?)\n",
			p, wait_s, rte_strerror(-rc));
		return -1;
	}
	rte_eth_promiscuous_enable(p);
	return 0;
fail:
	fprintf(stderr, "anyway-bench: port %u: setup failed: %s\n", p, rte_strerror(-rc));
	return -1;
}

static bool
links_up(uint16_t n_ports)
{
	for (uint16_t p = 0; p < n_ports; p++) {
		struct rte_eth_link l;
		if (rte_eth_link_get_nowait(p, &l) != 0 || l.link_status != RTE_ETH_LINK_UP)
			return false;
	}
	return true;
}

static int
wait_links(struct loop *L, volatile bool *stop)
{
	uint64_t until = rte_rdtsc() + (uint64_t)(L->o->link_wait_s * (double)L->hz);

	while (!links_up(L->n_ports)) {
		if (*stop)
			return -1;
		if (rte_rdtsc() > until) {
			fprintf(stderr, "anyway-bench: link of a port still down after %.1f s "
				"(is the peer running, e.g. the data plane with memif "
				"role=server?)\n", L->o->link_wait_s);
			return -1;
		}
		rte_delay_ms(10);
	}
	return 0;
}

/* Sends what is pending, building a new burst when nothing is; how many
 * packets the port took. */
static inline unsigned
tx_step(struct loop *L, uint64_t now)
{
	const struct ab_opts *o = L->o;
	uint16_t k;

	if (L->n_pend == 0) {
		unsigned n = o->burst;
		if (o->rate_pps) {
			uint64_t allowed = (uint64_t)((double)o->rate_pps *
						      (double)(now - L->start) / (double)L->hz);
			if (allowed <= L->sent)
				return 0;
			if (allowed - L->sent < n)
				n = (unsigned)(allowed - L->sent);
		}
		if (o->packets && o->packets - L->sent < n)
			n = (unsigned)(o->packets - L->sent);
		if (ab_gen_alloc(L->pool, L->pend, n) != 0)
			return 0;
		ab_gen_fill(&L->gen, L->pend, n);
		L->n_pend = n;
		L->off_pend = 0;
	}
	k = rte_eth_tx_burst((uint16_t)o->tx_port, 0, L->pend + L->off_pend,
			     (uint16_t)(L->n_pend - L->off_pend));
	L->sent += k;
	L->off_pend += k;
	if (L->off_pend == L->n_pend)
		L->n_pend = 0;
	else
		L->retries++;
	return k;
}

/* Polls every port into the sink; how many packets came. */
static inline unsigned
rx_step(struct loop *L)
{
	struct rte_mbuf *m[AB_MAX_BURST];
	unsigned got = 0;

	for (uint16_t p = 0; p < L->n_ports; p++) {
		uint16_t n = rte_eth_rx_burst(p, 0, m, (uint16_t)L->o->burst);
		if (n)
			ab_sink_take(&L->sink, m, n);
		got += n;
	}
	return got;
}

static bool
tx_finished(const struct loop *L, uint64_t now)
{
	if (L->o->packets)
		return L->sent >= L->o->packets;
	return now - L->start >= (uint64_t)(L->o->duration_s * (double)L->hz);
}

/* Polls every port for `secs`, feeding the sink. */
static void
drain_for(struct loop *L, double secs)
{
	uint64_t end = rte_rdtsc() + (uint64_t)(secs * (double)L->hz);
	while (rte_rdtsc() < end)
		rx_step(L);
}

/* Sends n mbufs on port p whole (the sink keeps reading meanwhile); -1 when
 * the port took nothing for a second or a signal came. */
static int
send_all(struct loop *L, uint16_t p, struct rte_mbuf **m, unsigned n)
{
	uint64_t give_up = rte_rdtsc() + L->hz;
	unsigned off = 0;

	while (off < n) {
		uint16_t k = rte_eth_tx_burst(p, 0, m + off, (uint16_t)(n - off));
		off += k;
		if (k) {
			give_up = rte_rdtsc() + L->hz;
			ab_watch_alive(PHASE_SLACK_S);
		} else if (rte_rdtsc() > give_up || *L->stop) {
			rte_pktmbuf_free_bulk(m + off, n - off);
			return -1;
		}
		rx_step(L);
	}
	return 0;
}

static int
send_raw(struct loop *L, const struct ab_raw *r, uint16_t p)
{
	struct rte_mbuf *m[64];

	for (uint32_t i = 0; i < r->n; i += 64) {
		unsigned n = RTE_MIN(64u, r->n - i);
		if (rte_pktmbuf_alloc_bulk(L->pool, m, n) != 0)
			return -1;
		for (unsigned j = 0; j < n; j++)
			rte_memcpy(rte_pktmbuf_append(m[j], r->len[i + j]), r->data[i + j],
				   r->len[i + j]);
		if (send_all(L, p, m, n) < 0)
			return -1;
	}
	return 0;
}

/* What the sink has received, any kind. */
static uint64_t
received(const struct loop *L)
{
	return L->sink.rx + L->sink.other + L->sink.corrupted + L->sink.out_of_order;
}

/* The data plane's relay_binds counter (sides bound for the first time)
 * from its API; -1 when it did not answer. */
static int64_t
dp_binds(const char *api)
{
	json_t *st = ab_dp_stats(api);
	json_t *v = json_object_get(json_object_get(st, "counters"), "relay_binds");
	int64_t n = st == NULL ? -1 : json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;

	json_decref(st);
	return n;
}

/* With --dp-api (anyway-dataplane): the relay must have bound every side.
 * The API's counters trail the lcores' a little: read again (3 s at most). */
static int
check_dp_binds(struct loop *L, const struct ab_bind *b, int64_t before)
{
	const uint64_t give_up = rte_rdtsc() + 3 * L->hz;
	int64_t now = -1;

	while (before >= 0) {
		now = dp_binds(L->o->dp_api);
		if (now >= 0 && now - before == 2 * (int64_t)b->n)
			return 0;
		if (now < 0 || rte_rdtsc() > give_up)
			break;
		drain_for(L, 0.05);
	}
	fprintf(stderr, "anyway-bench: --flows %u: the relay bound %" PRId64 " of the %u path "
		"sides the setup sent (its API: relay_binds); refusing to measure with unbound "
		"paths\n", b->n, now < 0 ? (int64_t)-1 : now - before, 2 * b->n);
	return -2;
}

/* The TRS scenarios' relay paths, both sides of a chunk at a time
 * (ab_bind.h); every HOLE_PUNCHING is answered (the relay's ACK, or testpmd's
 * echo), so all 2 x paths answers must come back (bounded wait), and with
 * --dp-api the relay's relay_binds must have grown by 2 x paths. 0, -1
 * (no mbufs, no tag, port stuck) or -2 (paths not bound: refused). */
static int
bind_paths(struct loop *L, const struct ab_bind *b, volatile bool *stop)
{
	struct rte_mbuf *m[2][AB_BIND_CHUNK];
	const uint64_t before = received(L), want = 2ull * b->n;
	const int64_t binds0 = L->o->dp_api != NULL ? dp_binds(L->o->dp_api) : 0;

	if (L->n_ports < 2) {
		fprintf(stderr, "anyway-bench: the relay paths are bound from ports 0 and 1; "
			"give two ports\n");
		return -2;
	}
	for (uint32_t done = 0; done < b->n && !*stop;) {
		const unsigned n = ab_bind_next(b, done);
		if (rte_pktmbuf_alloc_bulk(L->pool, m[0], n) != 0)
			return -1;
		if (rte_pktmbuf_alloc_bulk(L->pool, m[1], n) != 0) {
			rte_pktmbuf_free_bulk(m[0], n);
			return -1;
		}
		if (ab_bind_fill(b, done, n, m[0], m[1]) < 0) {
			rte_pktmbuf_free_bulk(m[0], n);
			rte_pktmbuf_free_bulk(m[1], n);
			fprintf(stderr, "anyway-bench: path binding: paths %u..%u: no tag\n", done,
				done + n - 1);
			return -1;
		}
		if (send_all(L, 0, m[0], n) < 0 || send_all(L, 1, m[1], n) < 0)
			return -1;
		done += n;
	}
	uint64_t give_up = rte_rdtsc() + (10 + b->n / 100000) * L->hz;
	while (received(L) - before < want && rte_rdtsc() < give_up && !*stop)
		rx_step(L);
	if (received(L) - before < want) {
		fprintf(stderr, "anyway-bench: --flows %u: %" PRIu64 " answers to the %" PRIu64
			" HOLE_PUNCHING messages that bind the relay paths; refusing to measure "
			"with unbound paths (the data plane must install the paths of "
			"bench/templates.py --dp-config %s --flows %u --suite %u)\n", b->n,
			received(L) - before, want, L->o->scenario, b->n, b->suite);
		return -2;
	}
	if (L->o->dp_api != NULL && check_dp_binds(L, b, binds0) < 0)
		return -2;
	printf("anyway-bench: %u relay paths bound, both sides answered\n", b->n);
	fflush(stdout);
	return 0;
}

/* Untimed: setup frames (answers read and forgotten), then one packet per
 * flow for scenarios with warm-up. Counters start from zero after it. */
static int
prelude(struct loop *L, const struct ab_scen *s, const struct ab_input *in, volatile bool *stop)
{
	struct rte_mbuf *m[AB_MAX_BURST];

	for (uint16_t p = 0; p < 2; p++)
		if (in->setup[p].n && (p >= L->n_ports || send_raw(L, &in->setup[p], p) < 0)) {
			fprintf(stderr, "anyway-bench: port %u: setup frames not sent\n", p);
			return -1;
		}
	if (in->bind.n != 0) {
		int rc = bind_paths(L, &in->bind, stop);
		if (rc < 0)
			return rc;
		drain_for(L, 0.3);
		L->sink.rx = L->sink.rx_bytes = L->sink.other = L->sink.corrupted = 0;
		L->sink.out_of_order = 0;
	}
	if (in->setup[0].n) {
		/* gateway: each binding capsule's inner packet comes back once; wait
		 * for all of them (bounded) so none lands in the timed part */
		uint64_t give_up = rte_rdtsc() + 10 * L->hz;
		while (s->gw && L->sink.rx < in->setup[0].n && rte_rdtsc() < give_up && !*stop)
			rx_step(L);
		drain_for(L, 0.3);
		L->sink.rx = L->sink.rx_bytes = L->sink.other = L->sink.corrupted = 0;
	}
	for (uint32_t done = 0; s->warmup && done < L->o->flows && !*stop;) {
		unsigned n = RTE_MIN(L->o->burst, L->o->flows - done);
		if (rte_pktmbuf_alloc_bulk(L->pool, m, n) != 0)
			return -1;
		ab_gen_fill(&L->gen, m, n);
		if (send_all(L, (uint16_t)L->o->tx_port, m, n) < 0)
			return -1;
		done += n;
	}
	if (s->warmup) {
		drain_for(L, L->o->drain_s);
		L->sink.rx = L->sink.rx_bytes = L->sink.other = 0;
	}
	return 0;
}

/* The timed part ends at now: the data plane's stats are read (ab_dpsnap)
 * while the loop drains. Returns when the drain ends. */
static uint64_t
end_tx(struct loop *L, uint64_t now)
{
	L->tx_end = now;
	if (L->snap_on)
		ab_dpsnap_mark(&L->snap);
	return now + (uint64_t)(L->o->drain_s * (double)L->hz);
}

/* The measured part: TX until done, then RX for the drain time. */
static void
traffic(struct loop *L, volatile bool *stop)
{
	uint64_t period = (uint64_t)(L->o->period_s * (double)L->hz);
	uint64_t link_every = L->hz / 1000 * LINK_CHECK_MS, next_link, next_show, drain_end = 0;
	uint64_t last_sent = 0, last_move, prev_now;
	unsigned moved = 1;
	struct ab_port_prev prev[AB_MAX_PORTS];

	memset(prev, 0, sizeof(prev));
	if (L->o->dp_api != NULL)
		L->stats0 = ab_dp_stats(L->o->dp_api);
	if (L->stats0 != NULL)
		L->snap_on = ab_dpsnap_start(&L->snap, L->o->dp_api) == 0;
	ab_report_ports(L->n_ports, prev, L->hz);
	L->start = last_move = prev_now = rte_rdtsc();
	next_link = L->start + link_every;
	next_show = L->start + period;
	for (;;) {
		uint64_t now = rte_rdtsc();
		if (L->tx_end == 0) {  /* the previous iteration's cycles, until TX ends */
			if (moved)
				L->cyc_busy += now - prev_now;
			else
				L->cyc_idle += now - prev_now;
		}
		prev_now = now;
		moved = 0;
		if (L->tx_end == 0) {
			if (tx_finished(L, now) || *stop)
				drain_end = end_tx(L, now);
			else
				moved = tx_step(L, now);
		} else if (now >= drain_end) {
			break;
		}
		moved += rx_step(L);
		if (now >= next_link) {
			next_link = now + link_every;
			if (L->sent != last_sent) {
				last_sent = L->sent;
				last_move = now;
				ab_watch_alive(TX_STALL_S + PHASE_SLACK_S);
			} else if (L->tx_end == 0 && now - last_move > TX_STALL_S * L->hz) {
				L->tx_stalled = true;  /* link up, packets refused */
				drain_end = end_tx(L, now);
			}
			if (!links_up(L->n_ports)) {
				L->peer_left = true;
				if (L->tx_end == 0)
					end_tx(L, now);
				break;
			}
		}
		if (period && now >= next_show) {
			next_show = now + period;
			ab_report_ports(L->n_ports, prev, L->hz);
		}
	}
	if (L->n_pend > L->off_pend)
		rte_pktmbuf_free_bulk(L->pend + L->off_pend, L->n_pend - L->off_pend);
	L->n_pend = 0;
}

/* Summary and RESULT; 3 when the run is INVALID, else 0. */
static int
finish(struct loop *L, const struct ab_scen *s)
{
	uint64_t end = rte_rdtsc();
	struct ab_result r = {
		.o = L->o, .s = s, .mode = "ports", .generated = L->sent,
		.tx_retries = L->retries, .sink = &L->sink, .dp_cycles_per_pkt = -1,
		.sign_failed = L->gen.sign_failed, .reorder_cycles_per_pkt = -1,
		.dp_idle = -1, .dp_idle_s = -1, .dp_share = -1,
	};
	uint64_t cyc = L->cyc_idle + L->cyc_busy, snap_tsc = 0;
	json_t *stats1 = NULL, *at_tx_end = L->snap_on ? ab_dpsnap_take(&L->snap, &snap_tsc) : NULL;
	char why[512];

	L->snap_on = false;

	r.seconds = (double)(L->tx_end - L->start) / (double)L->hz;
	r.cycles_per_pkt = L->sink.rx ? (double)(end - L->start) / (double)L->sink.rx : 0;
	r.gen_idle = cyc ? (double)L->cyc_idle / (double)cyc : -1;
	/* Valid only when the data plane's drops during the timed part are read
	 * and none but tx_full (the generator not draining) grew. */
	if (L->o->dp_api != NULL && L->stats0 != NULL && (stats1 = ab_dp_stats(L->o->dp_api))) {
		r.checked = true;
		/* idle over the timed part, as gen_idle: up to the end of TX,
		 * not the drain (drops: up to after the drain) */
		if (at_tx_end != NULL) {
			r.dp_idle = ab_dp_idle_share(L->stats0, at_tx_end);
			r.dp_idle_s = (double)(snap_tsc - L->start) / (double)L->hz;
		}
		if (ab_drops_invalid(json_object_get(L->stats0, "drops"),
				     json_object_get(stats1, "drops"), why, sizeof(why)) > 0)
			r.invalid = why;
	} else if (L->o->dp_api != NULL) {
		r.invalid = "data_plane_drops_unreadable";
	}
	json_decref(stats1);
	json_decref(at_tx_end);
	if (!L->peer_left)
		ab_report_ports(L->n_ports, (struct ab_port_prev[AB_MAX_PORTS]){0}, L->hz);
	ab_report_summary(&r);
	if (L->o->dp_api != NULL)
		ab_report_dp_api(L->o->dp_api);
	return r.invalid != NULL ? 3 : 0;
}

static struct rte_mempool *
make_pool(const struct ab_opts *o)
{
	unsigned room = RTE_PKTMBUF_HEADROOM + (o->pkt_size > 2048 ? o->pkt_size : 2048);
	return rte_pktmbuf_pool_create("ab_pool", 16383, 256, 0, (uint16_t)room,
				       (int)rte_socket_id());
}

int
ab_run_ports(const struct ab_opts *o, const struct ab_scen *s, const struct ab_input *in,
	     volatile bool *stop)
{
	static struct loop L;
	int rc = 1;

	L.o = o;
	L.stop = stop;
	L.hz = rte_get_tsc_hz();
	L.n_ports = rte_eth_dev_count_avail();
	if (L.n_ports == 0 || L.n_ports > AB_MAX_PORTS || o->tx_port >= L.n_ports) {
		fprintf(stderr, "anyway-bench: --tx-port %u: %u port(s) available (1..%u "
			"needed; give them with --vdev net_memif...)\n", o->tx_port, L.n_ports,
			AB_MAX_PORTS);
		return 2;
	}
	L.pool = make_pool(o);
	if (L.pool == NULL || ab_gen_init(&L.gen, &in->t, o->flows, s->random_order, o->seed) < 0 ||
	    ab_sink_init(&L.sink, o->flows, o->pkt_size) < 0) {
		fprintf(stderr, "anyway-bench: out of memory (mbuf pool, flow tables)\n");
		goto out;
	}
	L.gen.signer = in->signer.n ? &in->signer : NULL;
	L.gen.tail_gap = L.sink.tail_gap = in->tail_gap;
	L.gen.gw = L.sink.gw = in->gw.e != NULL ? &in->gw : NULL;
	L.sink.gw_strict = o->dp_api != NULL; /* else testpmd: what was sent comes back */
	ab_watch_phase("port start", L.n_ports * o->link_wait_s + PHASE_SLACK_S);
	for (uint16_t p = 0; p < L.n_ports; p++)
		if (port_setup(p, L.pool, o->link_wait_s, stop) < 0)
			goto out;
	ab_watch_phase("waiting for the links", o->link_wait_s + PHASE_SLACK_S);
	if (wait_links(&L, stop) < 0)
		goto stop_ports;
	ab_watch_phase("setup frames and warm-up", PHASE_SLACK_S);
	rc = prelude(&L, s, in, stop);
	if (rc < 0) {
		if (rc == -1 && !*stop)
			fprintf(stderr, "anyway-bench: setup frames or warm-up: the port took "
				"no packet for 1 s (or no mbufs)\n");
		rc = rc == -2 ? 2 : 1;
		goto stop_ports;
	}
	ab_watch_phase("traffic", o->packets ? TX_STALL_S + PHASE_SLACK_S :
			o->duration_s + o->drain_s + PHASE_SLACK_S);
	if (!*stop)
		traffic(&L, stop);
	ab_watch_phase("report", PHASE_SLACK_S);
	rc = finish(&L, s);
	if (L.peer_left) {
		fprintf(stderr, "anyway-bench: a port's link went down during the run (the "
			"peer left); traffic stopped, numbers above are partial\n");
		rc = 1;
	}
	if (L.tx_stalled) {
		fprintf(stderr, "anyway-bench: the port took no packet for %d s with its link "
			"up (the peer stopped reading); TX ended before --packets, numbers "
			"above are partial\n", TX_STALL_S);
		rc = 1;
	}
stop_ports:
	ab_watch_phase("port stop", PHASE_SLACK_S);
	for (uint16_t p = 0; p < L.n_ports; p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
out:
	json_decref(L.stats0);
	ab_gen_free(&L.gen);
	ab_sink_free(&L.sink);
	return rc;
}
