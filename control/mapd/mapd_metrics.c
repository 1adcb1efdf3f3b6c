/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd_metrics — anyway-mapd's OpenMetrics endpoint (--metrics HOST:PORT,
 * SPEC §11; names in control/PROTOCOL.md "Metrics"): connections by role,
 * registrations, services, relays, gateway entries, pushes, limit refusals
 * and closes by reason, buffer totals, ACL refusals and reloads, version and
 * uptime. Read on each scrape from the
 * server's own state; nothing is counted twice.
 *
 * Contract: anyway-mapd's one thread; one endpoint per process.
 */
#include <stdio.h>

#include "aw_build_config.h"
#include "aw_metrics_http.h"
#include "mapd.h"

static struct aw_metrics_http srv;

static void
fill_connections(struct aw_metrics *w, const struct mapd *md)
{
	uint64_t by_role[AW_ROLE__COUNT] = {0}, none = 0;

	for (const struct mapd_client *cl = md->clients; cl; cl = cl->next) {
		if (cl->hello && (unsigned)cl->role < AW_ROLE__COUNT)
			by_role[cl->role]++;
		else
			none++;
	}
	aw_metrics_family(w, "anyway_mapd_connections", AW_METRIC_GAUGE,
			  "Client connections open, by role (none: no hello yet).");
	for (int r = 0; r < AW_ROLE__COUNT; r++)
		aw_metrics_u64(w, by_role[r], "role", aw_role_name((enum aw_role)r), NULL);
	aw_metrics_u64(w, none, "role", "none", NULL);
}

static void
fill_tables(struct aw_metrics *w, const struct mapd *md)
{
	const struct aw_strmap *svcs = &md->st.services;
	uint64_t regs = 0;

	for (size_t i = 0; i < svcs->cap; i++)
		if (svcs->slots[i].key)
			regs += ((const struct mapd_svc *)svcs->slots[i].val)->n;
	aw_metrics_family(w, "anyway_mapd_registrations", AW_METRIC_GAUGE,
			  "Destinations registered (not expired), all services together.");
	aw_metrics_u64(w, regs, NULL);
	aw_metrics_family(w, "anyway_mapd_services", AW_METRIC_GAUGE,
			  "Services with at least one registered destination.");
	aw_metrics_u64(w, svcs->n, NULL);
	aw_metrics_family(w, "anyway_mapd_relays", AW_METRIC_GAUGE, "Relay entries.");
	aw_metrics_u64(w, md->st.relays.n, NULL);
	aw_metrics_family(w, "anyway_mapd_gateways", AW_METRIC_GAUGE, "Gateway entries (paths).");
	aw_metrics_u64(w, md->st.gateways.n, NULL);
	aw_metrics_family(w, "anyway_mapd_pushes", AW_METRIC_COUNTER,
			  "Changes pushed to subscribers (each takes the next map version).");
	aw_metrics_u64(w, md->st.version, NULL);
	aw_metrics_family(w, "anyway_mapd_map_version", AW_METRIC_GAUGE,
			  "Version of the last pushed change.");
	aw_metrics_u64(w, md->st.version, NULL);
}

static void
fill_limits(struct aw_metrics *w, const struct mapd *md)
{
	const struct mapd_counters *c = &md->cnt;

	aw_metrics_family(w, "anyway_mapd_connections_refused", AW_METRIC_COUNTER,
			  "Connections refused at accept, by limit.");
	aw_metrics_u64(w, c->refused_max_clients, "reason", "max_clients", NULL);
	aw_metrics_u64(w, c->refused_per_source, "reason", "max_per_source", NULL);
	aw_metrics_u64(w, c->refused_fd_limit, "reason", "fd_limit", NULL);
	aw_metrics_family(w, "anyway_mapd_accept_pauses", AW_METRIC_COUNTER,
			  "Times accepting was paused because no file descriptor was left.");
	aw_metrics_u64(w, c->accept_paused, NULL);
	aw_metrics_family(w, "anyway_mapd_connections_closed", AW_METRIC_COUNTER,
			  "Connections closed by the server for a limit, by reason.");
	aw_metrics_u64(w, c->closed_no_hello, "reason", "hello_timeout", NULL);
	aw_metrics_u64(w, c->closed_idle, "reason", "idle_timeout", NULL);
	aw_metrics_u64(w, c->closed_partial_line, "reason", "partial_line", NULL);
	aw_metrics_u64(w, c->closed_line_too_long, "reason", "line_too_long", NULL);
	aw_metrics_u64(w, c->closed_input_budget, "reason", "input_budget", NULL);
	aw_metrics_u64(w, c->dropped_output_budget, "reason", "output_budget", NULL);
	aw_metrics_u64(w, md->subscribers_dropped, "reason", "subscriber_behind", NULL);
	aw_metrics_family(w, "anyway_mapd_tls_handshakes", AW_METRIC_COUNTER,
			  "TLS handshakes on the control port, by result.");
	aw_metrics_u64(w, md->tls ? md->tls->handshakes : 0, "result", "ok", NULL);
	aw_metrics_u64(w, md->tls ? md->tls->handshake_failed : 0, "result", "failed", NULL);
	aw_metrics_family(w, "anyway_mapd_input_buffer_bytes", AW_METRIC_GAUGE,
			  "Bytes of input buffers, all connections together.");
	aw_metrics_u64(w, md->in_total, NULL);
	aw_metrics_family(w, "anyway_mapd_output_queue_bytes", AW_METRIC_GAUGE,
			  "Bytes of queued output, all connections together.");
	aw_metrics_u64(w, md->out_total, NULL);
}

static void
fill_acl(struct aw_metrics *w, const struct mapd *md)
{
	const struct mapd_guard *g = &md->guard;

	aw_metrics_family(w, "anyway_mapd_acl_entries", AW_METRIC_GAUGE,
			  "Entries of the ACL in force (--acl; 0 without one).");
	aw_metrics_u64(w, g->acl.n, NULL);
	aw_metrics_family(w, "anyway_mapd_acl_refusals", AW_METRIC_COUNTER,
			  "Requests refused by the ACL or a per-identity limit, by reason.");
	for (int r = 0; r < MAPD_ACL_R__COUNT; r++)
		aw_metrics_u64(w, g->refused[r], "reason",
			       mapd_acl_reason_name((enum mapd_acl_reason)r), NULL);
	aw_metrics_family(w, "anyway_mapd_acl_reloads", AW_METRIC_COUNTER,
			  "ACL reloads on SIGHUP, by result (failed: the old ACL stayed).");
	aw_metrics_u64(w, g->reloads, "result", "ok", NULL);
	aw_metrics_u64(w, g->reload_failures, "result", "failed", NULL);
	aw_metrics_family(w, "anyway_mapd_acl_log_suppressed", AW_METRIC_COUNTER,
			  "Refusal log lines not written (condensed per identity and overall).");
	aw_metrics_u64(w, g->log_dropped, NULL);
}

static void
fill(struct aw_metrics *w, void *arg)
{
	const struct mapd *md = arg;

	aw_metrics_family(w, "anyway_mapd_build", AW_METRIC_INFO,
			  "Version of this map server and its random instance id.");
	aw_metrics_u64(w, 1, "version", AW_VERSION, "instance", md->instance, NULL);
	aw_metrics_family(w, "anyway_mapd_uptime_seconds", AW_METRIC_GAUGE,
			  "Seconds since this map server started.");
	aw_metrics_f64(w, (double)(aw_now_ms() - md->started_ms) / 1000.0, NULL);
	fill_connections(w, md);
	fill_tables(w, md);
	fill_limits(w, md);
	fill_acl(w, md);
	aw_metrics_http_self(&srv, w, "anyway_mapd");
}

int
mapd_metrics_open(struct mapd *md, const char *hostport, char *err, size_t errlen)
{
	return aw_metrics_http_open(&srv, &md->loop, hostport, fill, md, err, errlen);
}

void
mapd_metrics_close(void)
{
	aw_metrics_http_close(&srv);
}
