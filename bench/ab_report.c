/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_report — periodic statistics, summary and the data plane API read (see
 * ab_report.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "ab_report.h"

void
ab_report_ports(uint16_t n_ports, struct ab_port_prev *prev, uint64_t tsc_hz)
{
	uint64_t now = rte_rdtsc();

	for (uint16_t p = 0; p < n_ports && p < AB_MAX_PORTS; p++) {
		struct rte_eth_stats st;
		struct ab_port_prev *v = &prev[p];
		double dt;

		if (rte_eth_stats_get(p, &st) != 0)
			continue;
		dt = v->tsc ? (double)(now - v->tsc) / (double)tsc_hz : 0;
		printf("\n  ######################## NIC statistics for port %-2u "
		       "########################\n", p);
		printf("  RX-packets: %-10" PRIu64 " RX-missed: %-10" PRIu64 " RX-bytes:  %" PRIu64
		       "\n", st.ipackets, st.imissed, st.ibytes);
		printf("  RX-errors: %" PRIu64 "\n  RX-nombuf:  %-10" PRIu64 "\n", st.ierrors,
		       st.rx_nombuf);
		printf("  TX-packets: %-10" PRIu64 " TX-errors: %-10" PRIu64 " TX-bytes:  %" PRIu64
		       "\n", st.opackets, st.oerrors, st.obytes);
		if (dt > 0) {
			printf("\n  Throughput (since last show)\n");
			printf("  Rx-pps: %12.0f          Rx-bps: %12.0f\n",
			       (double)(st.ipackets - v->ipackets) / dt,
			       (double)(st.ibytes - v->ibytes) * 8 / dt);
			printf("  Tx-pps: %12.0f          Tx-bps: %12.0f\n",
			       (double)(st.opackets - v->opackets) / dt,
			       (double)(st.obytes - v->obytes) * 8 / dt);
		}
		printf("  ##########################################################"
		       "##################\n");
		v->ipackets = st.ipackets;
		v->opackets = st.opackets;
		v->ibytes = st.ibytes;
		v->obytes = st.obytes;
		v->tsc = now;
	}
	fflush(stdout);
}

const char *
ab_result_verdict(const struct ab_result *r)
{
	if (r->invalid != NULL)
		return "INVALID";
	return r->checked ? "valid" : "unchecked";
}

const char *
ab_result_bottleneck(const struct ab_result *r)
{
	if (r->o->rate_pps)
		return "rate";
	if (r->dp_share >= 0)  /* in process: one lcore, the larger share */
		return r->dp_share >= 0.5 ? "dataplane" : "generator";
	/* the port refusing most TX polls: the generator waits on its peer;
	 * when the data plane waits too (idle in half its iterations or more),
	 * neither side is busy: the link between them (memif rings, wake-ups,
	 * a shared CPU) limits the run */
	if (r->gen_idle >= 0.5)
		return r->dp_idle >= 0.5 ? "link" : "dataplane";
	/* a data plane that (almost) never finds its queues empty is saturated */
	if (r->dp_idle >= 0 && r->dp_idle < 0.1)
		return "dataplane";
	return "generator";
}

/* "0.123", or "na" for a share that could not be measured. */
static const char *
share(double v, char *buf, size_t len)
{
	if (v < 0)
		return "na";
	snprintf(buf, len, "%.3f", v);
	return buf;
}

static void
summary_block(const struct ab_result *r, double rx_mpps, double tx_mpps, double gbps,
	      uint64_t lost)
{
	const struct ab_sink *k = r->sink;
	bool bad = r->invalid != NULL;
	char g[32], d[32];

	printf("\n  ==================== anyway-bench summary ====================\n");
	printf("  scenario        %s (%s), %s\n", r->s->name, r->s->what, r->mode);
	printf("  traffic         %u flows, %u-byte frames, burst %u, rate %s\n", r->o->flows,
	       r->o->pkt_size, r->o->burst, r->o->rate_pps ? "limited" : "unlimited");
	printf("  duration        %.3f s\n", r->seconds);
	if (bad) {
		printf("  INVALID         the data plane dropped packets: %s\n", r->invalid);
		printf("                  (no rate is reported for this scenario; see bench/README.md)\n");
		printf("  generated       %-12" PRIu64 " packets (tx retries %" PRIu64 ")\n",
		       r->generated, r->tx_retries);
		printf("  received        %-12" PRIu64 " packets\n", k->rx);
	} else {
		printf("  generated       %-12" PRIu64 " packets  %8.3f Mpps (tx retries %" PRIu64
		       ")\n", r->generated, tx_mpps, r->tx_retries);
		printf("  received        %-12" PRIu64 " packets  %8.3f Mpps  %7.3f Gbit/s\n",
		       k->rx, rx_mpps, gbps);
	}
	printf("  loss            %-12" PRIu64 " packets  (%.4f %%)\n", lost,
	       r->generated ? 100.0 * (double)lost / (double)r->generated : 0.0);
	printf("  out-of-order    %" PRIu64 "\n  corrupted       %" PRIu64 "\n", k->out_of_order,
	       k->corrupted);
	printf("  not ours        %" PRIu64 " (ARP from the data plane)\n", k->other);
	if (r->sign_failed)
		printf("  NOT SIGNED      %" PRIu64 " TRS messages or capsules (tagging or sealing "
		       "failed)\n",
		       r->sign_failed);
	printf("  cycles/packet   %.1f (bench lcore, TSC per received packet)\n",
	       r->cycles_per_pkt);
	if (r->dp_cycles_per_pkt >= 0)
		printf("  dp cycles/pkt   %.1f (rtc loop without RX: process, dispatch, TX, timers; TSC)\n",
		       r->dp_cycles_per_pkt);
	if (r->warmup != 0)
		printf("  warm-up         %" PRIu64 " packets before these, untimed (their sessions "
		       "are in the table)\n", r->warmup);
	if (r->reorder_cycles_per_pkt >= 0)
		printf("  reorder stage   %.1f cycles/packet (aw_reorder insert + drain; TSC)\n",
		       r->reorder_cycles_per_pkt);
	printf("  bottleneck      %s (generator idle %s, data plane idle %s", ab_result_bottleneck(r),
	       share(r->gen_idle, g, sizeof(g)), share(r->dp_idle, d, sizeof(d)));
	if (r->dp_idle >= 0 && r->dp_idle_s >= 0)
		printf(" in its first %.3f s", r->dp_idle_s);
	if (r->dp_share >= 0)
		printf(", data plane share of the lcore %.3f", r->dp_share);
	printf(")\n");
	printf("  ===============================================================\n");
}

void
ab_report_summary(const struct ab_result *r)
{
	const struct ab_sink *k = r->sink;
	double secs = r->seconds > 0 ? r->seconds : 1e-9;
	double tx_mpps = (double)r->generated / secs / 1e6;
	double rx_mpps = (double)k->rx / secs / 1e6;
	double gbps = (double)k->rx_bytes * 8 / secs / 1e9;
	uint64_t good = k->rx - k->other;
	uint64_t lost = r->generated > good ? r->generated - good : 0;
	char tx[32] = "invalid", rx[32] = "invalid", gb[32] = "invalid", g[32], d[32];

	summary_block(r, rx_mpps, tx_mpps, gbps, lost);
	if (r->invalid == NULL) {  /* an INVALID run reports no rate as the scenario's */
		snprintf(tx, sizeof(tx), "%.4f", tx_mpps);
		snprintf(rx, sizeof(rx), "%.4f", rx_mpps);
		snprintf(gb, sizeof(gb), "%.4f", gbps);
	}
	printf("RESULT scenario=%s mode=%s flows=%u pkt_size=%u seconds=%.3f generated=%" PRIu64
	       " received=%" PRIu64 " tx_mpps=%s rx_mpps=%s gbps=%s loss=%" PRIu64
	       " out_of_order=%" PRIu64 " corrupted=%" PRIu64 " cycles_per_pkt=%.1f"
	       " dp_cycles_per_pkt=%.1f reorder_cycles_per_pkt=%.1f verdict=%s invalid=%s"
	       " bottleneck=%s gen_idle=%s dp_idle=%s warmup=%" PRIu64 "\n",
	       r->s->name, r->mode, r->o->flows, r->o->pkt_size, r->seconds, r->generated, k->rx,
	       tx, rx, gb, lost, k->out_of_order, k->corrupted, r->cycles_per_pkt,
	       r->dp_cycles_per_pkt, r->reorder_cycles_per_pkt, ab_result_verdict(r),
	       r->invalid != NULL ? r->invalid : "-", ab_result_bottleneck(r),
	       share(r->gen_idle, g, sizeof(g)), share(r->dp_idle, d, sizeof(d)), r->warmup);
	fflush(stdout);
}

/* One request line, one reply line; NULL on failure (why in err). A data
 * plane gone between connect and send is an error, not a SIGPIPE. One
 * caller at a time (the reply buffer is static). */
static json_t *
api_stats(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 5};
	static char buf[1 << 20];
	const char req[] = "{\"op\": \"stats\"}\n";
	size_t n = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (n < sizeof(buf) - 1 && (n == 0 || buf[n - 1] != '\n')) {
		ssize_t k = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	buf[n] = '\0';
	json_error_t je;
	json_t *j = json_loads(buf, 0, &je);
	if (j == NULL || !json_is_true(json_object_get(j, "ok"))) {
		snprintf(err, errlen, "%s: no valid stats reply (%s)", path,
			 j == NULL ? je.text : "ok is not true");
		json_decref(j);
		return NULL;
	}
	return j;
}

int
ab_report_dp_api(const char *path)
{
	char err[256];
	json_t *j = api_stats(path, err, sizeof(err)), *drops;
	const char *name;
	json_t *v;
	int any = 0;

	if (j == NULL) {
		printf("  data plane API: %s\n", err);
		return -1;
	}
	printf("  data plane      rx %" JSON_INTEGER_FORMAT " tx %" JSON_INTEGER_FORMAT
	       " drops %" JSON_INTEGER_FORMAT " consumed %" JSON_INTEGER_FORMAT "\n",
	       json_integer_value(json_object_get(j, "rx")),
	       json_integer_value(json_object_get(j, "tx")),
	       json_integer_value(json_object_get(j, "drops_total")),
	       json_integer_value(json_object_get(j, "consumed")));
	printf("  drops by reason");
	drops = json_object_get(j, "drops");
	json_object_foreach(drops, name, v) {
		if (json_integer_value(v) != 0) {
			printf(" %s=%" JSON_INTEGER_FORMAT, name, json_integer_value(v));
			any = 1;
		}
	}
	printf("%s\n", any ? "" : " none");
	printf("  counters       ");
	json_object_foreach(json_object_get(j, "counters"), name, v)
		if (json_is_integer(v) && json_integer_value(v) != 0)
			printf(" %s=%" JSON_INTEGER_FORMAT, name, json_integer_value(v));
	printf(" (since the data plane started: setup and warm-up included)\n");
	fflush(stdout);
	json_decref(j);
	return 0;
}

json_t *
ab_dp_stats(const char *path)
{
	char err[256];
	json_t *j = api_stats(path, err, sizeof(err));

	if (j == NULL) {
		printf("  data plane API: %s\n", err);
		return NULL;
	}
	if (!json_is_object(json_object_get(j, "drops"))) {
		printf("  data plane API: stats without drops\n");
		json_decref(j);
		return NULL;
	}
	return j;
}

static json_int_t
counter(const json_t *stats, const char *name)
{
	return json_integer_value(json_object_get(json_object_get(stats, "counters"), name));
}

double
ab_dp_idle_share(const json_t *before, const json_t *after)
{
	json_int_t idle = counter(after, "cycles_idle") - counter(before, "cycles_idle");
	json_int_t busy = counter(after, "cycles_busy") - counter(before, "cycles_busy");

	if (idle < 0 || busy < 0 || idle + busy == 0)
		return -1;
	return (double)idle / (double)(idle + busy);
}

int
ab_drops_invalid(const json_t *before, const json_t *after, char *out, size_t len)
{
	const char *name;
	json_t *v;
	size_t off = 0;
	int n = 0;

	out[0] = '\0';
	json_object_foreach((json_t *)after, name, v) {
		json_int_t was = before ? json_integer_value(json_object_get(before, name)) : 0;
		json_int_t d = json_integer_value(v) - was;
		if (d <= 0 || strcmp(name, "tx_full") == 0)
			continue;
		int k = snprintf(out + off, len - off, "%s%s:%" JSON_INTEGER_FORMAT, n ? "," : "",
				 name, d);
		if (k < 0 || (size_t)k >= len - off)
			break;
		off += (size_t)k;
		n++;
	}
	return n;
}
