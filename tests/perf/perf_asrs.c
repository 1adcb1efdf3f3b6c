/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perf_asrs — an in-process driver of the ASRS packet path for instruction
 * counts (callgrind) and rough cycle counts. A real data plane instance on
 * two net_null ports (EAL --no-huge), one lcore:
 *   phase "new":  S TCP SYNs from distinct clients to a listener's VIP, each
 *                 creating a session (perf_new_burst: aw_process_burst only);
 *   phase "est":  E TCP ACKs of those sessions, client → destination, in a
 *                 scattered order (perf_est_burst: aw_process_burst only).
 * Frames are written into fresh mbufs before each burst (outside the measured
 * functions), dispatched and freed after it. Every packet must be forwarded
 * (verdict TX) and every SYN must create a session: otherwise exit 1, so the
 * meson test of a small run checks the driver itself.
 *
 * Instructions per packet: tests/perf/callgrind_asrs.sh (inclusive cost of
 * perf_new_burst / perf_est_burst divided by the packet counts).
 *
 * Usage: perf_asrs [-s sessions] [-e established_packets] [-g] [-w lcores]
 *   -g: mbufs flagged "IPv4 checksum good" as a NIC would (default: not);
 *   -w 2: the "new" phase on two lcores at once (EAL -l 0,1, rtc mode), each
 *         creating its half of the sessions (distinct clients), both adding
 *         to the session lookup table at once (lock-free). The "est" phase
 *         stays on the first lcore.
 * After "new" it checks that every session is found by both of its keys and
 * that no SNAT port was handed out twice (exit 1 otherwise).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "aw_asrs_priv.h"
#include "aw_asrs_stab.h"
#include "aw_dp_init.h"
#include "aw_output.h"
#include "aw_pkt.h"

#define BURST 32
#define N_DESTS 32

static struct aw_dp dp;
static struct aw_config cfg;
static bool cksum_good;
static unsigned n_lcores = 1;

static const uint8_t mac_port0[6] = {0x02, 0, 0, 0, 0, 0x01};

/* Config: one VIP listener (tcp/80) whose service spreads over N_DESTS
 * destination ports of one neighbour, so that SNAT ports last for 2M flows. */
static void
write_config(const char *path, uint32_t max_sessions)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		exit(1);
	fprintf(f, "{\"ports\":[{\"port\":0,\"mac\":\"02:00:00:00:00:01\",\"addrs\":"
		"[\"10.1.0.1/16\"]},{\"port\":1,\"mac\":\"02:00:00:00:00:02\",\"addrs\":"
		"[\"10.2.0.1/24\"]}],"
		"\"neighbors\":[{\"addr\":\"10.1.0.2\",\"mac\":\"02:00:00:00:00:aa\",\"port\":0},"
		"{\"addr\":\"10.2.0.2\",\"mac\":\"02:00:00:00:00:bb\",\"port\":1}],"
		"\"vips\":[{\"addr\":\"203.0.113.10\"}],"
		"\"asrs\":{\"max_sessions\":%u,\"snat_ports\":{\"min\":1024,\"max\":65535}},"
		"\"listeners\":[{\"vip\":\"203.0.113.10\",\"proto\":\"tcp\",\"port\":80,"
		"\"service\":\"asrs://perf.example/web\"}],"
		"\"services\":[{\"service\":\"asrs://perf.example/web\",\"destinations\":[",
		max_sessions);
	for (unsigned i = 0; i < N_DESTS; i++)
		fprintf(f, "%s{\"addr\":\"10.2.0.2\",\"port\":%u}", i ? "," : "", 8000 + i);
	fprintf(f, "]}]}");
	fclose(f);
}

/* The runtime folder, empty with --no-shconf, goes at exit: a meson test
 * run leaves nothing under /var/run/dpdk. */
static void
runtime_dir_remove(void)
{
	rmdir(rte_eal_get_runtime_dir());
}

static void
setup(uint32_t max_sessions)
{
	char prefix[64], path[64], err[512];
	snprintf(prefix, sizeof(prefix), "--file-prefix=awperf%d", (int)getpid());
	snprintf(path, sizeof(path), "/tmp/awperf%d.json", (int)getpid());
	char *argv[] = {"perf", "-l", n_lcores == 2 ? "0,1" : "0", "--no-huge", "-m", "2048",
			"--no-pci", "--no-shconf", prefix, "--vdev=net_null0", "--vdev=net_null1",
			"--no-telemetry", "--log-level=error", NULL};
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0)
		exit(77);
	atexit(runtime_dir_remove);
	write_config(path, max_sessions);
	int rc = aw_config_load(path, &cfg, err, sizeof(err));
	unlink(path);
	if (rc < 0 || aw_dp_init(&dp, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "perf_asrs setup: %s\n", err);
		exit(1);
	}
	if (dp.n_ctx != n_lcores) {
		fprintf(stderr, "perf_asrs setup: %u lcores, expected %u\n", dp.n_ctx, n_lcores);
		exit(1);
	}
}

/* Client i: 198.18.0.0/15 + (i / 50000), port 10000 + i % 50000. */
static void
frame(struct rte_mbuf *m, uint32_t i, uint8_t tcp_flags)
{
	uint8_t *b = (uint8_t *)rte_pktmbuf_append(m, 14 + 20 + 20);
	uint32_t caddr = (198u << 24 | 18u << 16) + i / 50000;
	uint16_t cport = (uint16_t)(10000 + i % 50000);

	if (b == NULL)
		exit(1);
	memset(b, 0, 54);
	memcpy(b, mac_port0, 6);
	b[6] = 0x02, b[11] = 0xaa;
	b[12] = 0x08;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + 14);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(40);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(caddr);
	ip->dst_addr = rte_cpu_to_be_32(203u << 24 | 113u << 8 | 10);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	uint8_t *tcp = b + 34;
	tcp[0] = (uint8_t)(cport >> 8), tcp[1] = (uint8_t)cport;
	tcp[3] = 80;
	tcp[12] = 0x50;
	tcp[13] = tcp_flags;
	uint16_t ck = rte_ipv4_udptcp_cksum(ip, tcp);
	memcpy(tcp + 16, &ck, 2);
	aw_meta(m)->port_in = 0;
	m->ol_flags = cksum_good ? RTE_MBUF_F_RX_IP_CKSUM_GOOD : 0;
}

static __attribute__((noinline)) void
perf_new_burst(struct aw_lcore_ctx *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	aw_process_burst(ctx, pkts, n);
}

static __attribute__((noinline)) void
perf_est_burst(struct aw_lcore_ctx *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	aw_process_burst(ctx, pkts, n);
}

/* Runs n packets on ctx; flow(k) names the client of the k-th (k from
 * first). Returns the packets not forwarded and adds the TSC cycles spent in
 * aw_process_burst. */
static uint64_t
run(struct aw_lcore_ctx *ctx, uint32_t first, uint32_t n, uint8_t flags,
    uint32_t (*flow)(uint32_t, uint32_t), uint32_t nflows,
    void (*burst)(struct aw_lcore_ctx *, struct rte_mbuf **, uint16_t), uint64_t *cycles)
{
	struct rte_mbuf *pkts[BURST];
	uint64_t bad = 0;

	for (uint32_t k = 0; k < n; k += BURST) {
		uint16_t nb = (uint16_t)RTE_MIN((uint32_t)BURST, n - k);
		if (rte_pktmbuf_alloc_bulk(dp.pool, pkts, nb) != 0) {
			fprintf(stderr, "perf_asrs: mbuf pool empty\n");
			exit(1);
		}
		for (uint16_t j = 0; j < nb; j++)
			frame(pkts[j], flow(first + k + j, nflows), flags);
		uint64_t t0 = rte_rdtsc();
		burst(ctx, pkts, nb);
		*cycles += rte_rdtsc() - t0;
		for (uint16_t j = 0; j < nb; j++)
			bad += aw_meta(pkts[j])->verdict != AW_V_TX;
		ctx->stats.rx += nb;
		aw_dispatch_burst(ctx, pkts, nb);
		aw_tx_flush_all(ctx);
		rte_rcu_qsbr_quiescent(dp.rcu, ctx->rcu_id);
	}
	return bad;
}

static uint32_t
flow_seq(uint32_t k, uint32_t nflows)
{
	(void)nflows;
	return k;
}

/* A scattered walk over the flows (odd multiplier modulo nflows). */
static uint32_t
flow_scatter(uint32_t k, uint32_t nflows)
{
	return (uint32_t)(((uint64_t)k * 2654435761u) % nflows);
}

/* One lcore's share of the "new" phase. */
struct share {
	struct aw_lcore_ctx *ctx;
	uint32_t first, n, nflows;
	uint64_t bad, cycles;
};

static uint32_t started; /* lcores that reached the start line */

static int
new_share(void *arg)
{
	struct share *w = arg;
	uint64_t give_up = rte_rdtsc() + rte_get_tsc_hz(); /* 1 s: start together, or anyway */

	__atomic_fetch_add(&started, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) < n_lcores && rte_rdtsc() < give_up)
		rte_pause();
	w->bad = run(w->ctx, w->first, w->n, 0x02, flow_seq, w->nflows, perf_new_burst, &w->cycles);
	return 0;
}

/* The "new" phase: sessions SYNs split over the lcores. */
static void
run_new(uint32_t sessions, uint64_t *bad, uint64_t *cycles, uint64_t *created)
{
	struct share w[2];

	for (unsigned i = 0; i < n_lcores; i++) {
		uint32_t lo = (uint32_t)((uint64_t)sessions * i / n_lcores);
		uint32_t hi = (uint32_t)((uint64_t)sessions * (i + 1) / n_lcores);
		w[i] = (struct share){.ctx = dp.ctx_list[i], .first = lo, .n = hi - lo,
				      .nflows = sessions};
	}
	if (n_lcores == 2 &&
	    rte_eal_remote_launch(new_share, &w[1], dp.ctx_list[1]->lcore_id) != 0) {
		fprintf(stderr, "perf_asrs: cannot launch the second lcore\n");
		exit(1);
	}
	new_share(&w[0]);
	if (n_lcores == 2)
		rte_eal_wait_lcore(dp.ctx_list[1]->lcore_id);
	*bad = *cycles = *created = 0;
	for (unsigned i = 0; i < n_lcores; i++) {
		*bad += w[i].bad;
		*cycles += w[i].cycles;
		*created += w[i].ctx->stats.info[AW_INFO_SESSIONS_CREATED];
	}
}

/* Live sessions that the lookup table does not give back by both keys
 * (client side: slot << 1, destination side: slot << 1 | 1): with two lcores
 * adding entries at once (lock-free, aw_asrs_stab.c), a lost or torn entry
 * or a wrong overflow count shows here. */
static uint64_t
not_found(const struct aw_asrs *a)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < a->n_slots; i++) {
		const struct aw_sess *s = &a->sess[i];
		struct aw_sess_key kc, kr;
		if (s->state == AW_SS_FREE || s->state >= AW_SS__N)
			continue;
		aw_sess_key_client(s, &kc);
		aw_sess_key_reply(a, s, &kr);
		n += aw_sess_lookup(a, &kc) != i << 1 || aw_sess_lookup(a, &kr) != (i << 1 | 1);
	}
	return n;
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* Sessions whose destination side (SNAT address, SNAT port, destination
 * address and port: all IPv4 here) another session has too: a SNAT port
 * handed out twice. Exact for this driver's one destination address and
 * one SNAT address (otherwise the packed key could only over-report). */
static uint64_t
snat_twice(const struct aw_asrs *a)
{
	uint64_t *k = malloc(sizeof(*k) * a->n_slots), n = 0, dup = 0;

	if (k == NULL)
		exit(1);
	for (uint32_t i = 0; i < a->n_slots; i++) {
		const struct aw_sess *s = &a->sess[i];
		uint32_t dst4;
		if (s->state == AW_SS_FREE || s->state >= AW_SS__N)
			continue;
		memcpy(&dst4, s->dest, 4);
		k[n++] = (uint64_t)dst4 << 32 ^ (uint64_t)s->snat << 40 ^
			 (uint64_t)s->dport << 16 ^ s->sport;
	}
	qsort(k, n, sizeof(*k), cmp_u64);
	for (uint64_t i = 1; i < n; i++)
		dup += k[i] == k[i - 1];
	free(k);
	return dup;
}

int
main(int argc, char **argv)
{
	uint32_t sessions = 16384, est = 65536;
	int o;

	while ((o = getopt(argc, argv, "s:e:gw:")) != -1) {
		if (o == 's')
			sessions = (uint32_t)strtoul(optarg, NULL, 0);
		else if (o == 'e')
			est = (uint32_t)strtoul(optarg, NULL, 0);
		else if (o == 'g')
			cksum_good = true;
		else if (o == 'w' && (strcmp(optarg, "1") == 0 || strcmp(optarg, "2") == 0))
			n_lcores = (unsigned)(optarg[0] - '0');
		else
			return fprintf(stderr, "usage: perf_asrs [-s sessions] [-e packets] [-g] "
				       "[-w 1|2]\n"), 2;
	}
	if (sessions == 0 || sessions > 1600000)
		return fprintf(stderr, "perf_asrs: -s: 1..1600000 sessions\n"), 2;
	setup(sessions);
	struct aw_asrs *a = aw_asrs_of(&dp);
	uint64_t cyc_new, cyc_est = 0, bad_new, created;
	run_new(sessions, &bad_new, &cyc_new, &created);
	const uint64_t dup = snat_twice(a), lost = not_found(a);
	uint64_t bad_est = run(dp.ctx_list[0], 0, est, 0x10, flow_scatter, sessions,
			       perf_est_burst, &cyc_est);
	printf("perf_asrs: %u sessions (%zu heap bytes for the table, %.1f per session), "
	       "ip checksum %s\n", sessions, a->sess_bytes, (double)a->sess_bytes / sessions,
	       cksum_good ? "flagged good" : "checked in software");
	printf("perf_asrs: new: %u packets on %u lcore(s), %lu sessions created, %lu not "
	       "forwarded, %.0f TSC cycles/packet (per lcore)\n", sessions, n_lcores, created,
	       bad_new, (double)cyc_new / sessions);
	printf("perf_asrs: new: %lu sessions not found by both keys (%s)\n", lost,
	       a->one_writer ? "one writer" : "lock-free writers");
	printf("perf_asrs: new: %lu sessions share a SNAT port toward the same destination\n",
	       dup);
	printf("perf_asrs: est: %u packets, %lu not forwarded, %.0f TSC cycles/packet\n", est,
	       bad_est, est ? (double)cyc_est / est : 0.0);
	int rc = bad_new != 0 || bad_est != 0 || created != sessions || lost != 0 || dup != 0;
	aw_dp_fini(&dp);
	aw_config_free(&cfg);
	rte_eal_cleanup();
	return rc;
}
