/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reg_metrics — anyway-registrar's OpenMetrics endpoint (--metrics HOST:PORT,
 * SPEC §11; names in control/PROTOCOL.md "Metrics"): per service the health
 * the check thread last decided and whether it is drained; per map server
 * the connection and what was sent; registrations sent and health
 * withdrawals; version and uptime. Read from the registrar's state on each
 * scrape.
 *
 * Contract: the registrar's main thread (its loop serves the endpoint); one
 * endpoint per process.
 */
#include <stdio.h>

#include "aw_build_config.h"
#include "aw_metrics_http.h"
#include "reg.h"

static struct aw_metrics_http srv;
static uint64_t started_ms;

static void
fill_services(struct aw_metrics *w, const struct reg *rg)
{
	char ab[AW_ADDR_STRLEN], port[8];

	aw_metrics_family(w, "anyway_registrar_service_healthy", AW_METRIC_GAUGE,
			  "1 while a service's health check passes (rise/fall applied), 0 while it "
			  "fails or before its first verdict.");
	for (int i = 0; i < rg->n_svc; i++) {
		const struct reg_svc *s = &rg->svc[i];
		aw_addr_format(&s->r.addr, ab, sizeof(ab));
		snprintf(port, sizeof(port), "%u", s->r.port);
		aw_metrics_u64(w, s->seen == 1, "service", s->r.service, "addr", ab, "port", port,
			       NULL);
	}
	aw_metrics_family(w, "anyway_registrar_service_drained", AW_METRIC_GAUGE,
			  "1 for a service registered drained (weight 0).");
	for (int i = 0; i < rg->n_svc; i++) {
		const struct reg_svc *s = &rg->svc[i];
		aw_addr_format(&s->r.addr, ab, sizeof(ab));
		snprintf(port, sizeof(port), "%u", s->r.port);
		aw_metrics_u64(w, s->drain, "service", s->r.service, "addr", ab, "port", port, NULL);
	}
}

static void
fill(struct aw_metrics *w, void *arg)
{
	const struct reg *rg = arg;

	aw_metrics_family(w, "anyway_registrar_build", AW_METRIC_INFO, "Version of this registrar.");
	aw_metrics_u64(w, 1, "version", AW_VERSION, "name", rg->name, NULL);
	aw_metrics_family(w, "anyway_registrar_uptime_seconds", AW_METRIC_GAUGE,
			  "Seconds since this registrar started.");
	aw_metrics_f64(w, (double)(aw_now_ms() - started_ms) / 1000.0, NULL);
	fill_services(w, rg);
	aw_metrics_family(w, "anyway_registrar_mapd_up", AW_METRIC_GAUGE,
			  "1 while the connection to each map server is up.");
	for (int i = 0; i < rg->n_mapd; i++)
		aw_metrics_u64(w, rg->mapd[i].up, "mapd", rg->mapd[i].name, NULL);
	aw_metrics_family(w, "anyway_registrar_mapd_sent", AW_METRIC_COUNTER,
			  "Requests sent to each map server.");
	for (int i = 0; i < rg->n_mapd; i++)
		aw_metrics_u64(w, rg->mapd[i].sent, "mapd", rg->mapd[i].name, NULL);
	aw_metrics_family(w, "anyway_registrar_mapd_errors", AW_METRIC_COUNTER,
			  "Error replies and connection failures for each map server.");
	for (int i = 0; i < rg->n_mapd; i++)
		aw_metrics_u64(w, rg->mapd[i].errors, "mapd", rg->mapd[i].name, NULL);
	aw_metrics_family(w, "anyway_registrar_registrations", AW_METRIC_COUNTER,
			  "Registrations sent to all map servers (first ones and renewals).");
	aw_metrics_u64(w, rg->registers_sent, NULL);
	aw_metrics_family(w, "anyway_registrar_health_withdrawals", AW_METRIC_COUNTER,
			  "Registrations withdrawn because a health check failed.");
	aw_metrics_u64(w, rg->withdrawals, NULL);
	aw_metrics_http_self(&srv, w, "anyway_registrar");
}

int
reg_metrics_open(struct reg *rg, const char *hostport, char *err, size_t errlen)
{
	started_ms = aw_now_ms();
	return aw_metrics_http_open(&srv, &rg->loop, hostport, fill, rg, err, errlen);
}

void
reg_metrics_close(void)
{
	aw_metrics_http_close(&srv);
}
