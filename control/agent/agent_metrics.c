/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent_metrics — anyway-agent's OpenMetrics endpoint (--metrics HOST:PORT,
 * SPEC §11; names in control/PROTOCOL.md "Metrics"): per map server its
 * state, versions, snapshots, updates, rejections, reconnects and restart
 * grace; the data-plane connection and its calls, applies and errors; what
 * is applied; version and uptime. Read from the agent's state on each scrape.
 *
 * Contract: anyway-agent's one thread; one endpoint per process.
 */
#include <stdio.h>

#include "agent.h"
#include "aw_build_config.h"
#include "aw_metrics_http.h"

static struct aw_metrics_http srv;
static uint64_t started_ms;

static const char *const mapd_states[] = {
	[MAPD_IDLE] = "idle", [MAPD_CONNECTING] = "connecting",
	[MAPD_HELLO] = "hello", [MAPD_SYNCED] = "synced",
};

#define PER_MAPD(w, ag, expr)                                                              \
	for (int i_ = 0; i_ < (ag)->n_mapd; i_++) {                                         \
		const struct agent_mapd *m = &(ag)->mapd[i_];                               \
		aw_metrics_u64(w, (uint64_t)(expr), "mapd", m->name, NULL);                  \
	}

static void
fill_mapd(struct aw_metrics *w, const struct agent *ag)
{
	uint64_t now = aw_now_ms();

	aw_metrics_family(w, "anyway_agent_mapd_state", AW_METRIC_GAUGE,
			  "1 for the state each map server connection is in, else 0.");
	for (int i = 0; i < ag->n_mapd; i++)
		for (int s = MAPD_IDLE; s <= MAPD_SYNCED; s++)
			aw_metrics_u64(w, ag->mapd[i].state == (enum agent_mapd_state)s,
				       "mapd", ag->mapd[i].name, "state", mapd_states[s], NULL);
	aw_metrics_family(w, "anyway_agent_mapd_version", AW_METRIC_GAUGE,
			  "Map version last received from each map server.");
	PER_MAPD(w, ag, m->version);
	aw_metrics_family(w, "anyway_agent_mapd_services", AW_METRIC_GAUGE,
			  "Services in each map server's view.");
	PER_MAPD(w, ag, m->view.svcs.n);
	aw_metrics_family(w, "anyway_agent_mapd_snapshots", AW_METRIC_COUNTER,
			  "Snapshots received from each map server.");
	PER_MAPD(w, ag, m->snapshots);
	aw_metrics_family(w, "anyway_agent_mapd_updates", AW_METRIC_COUNTER,
			  "Pushed changes received from each map server.");
	PER_MAPD(w, ag, m->updates);
	aw_metrics_family(w, "anyway_agent_mapd_rejected", AW_METRIC_COUNTER,
			  "Messages from each map server rejected as invalid.");
	PER_MAPD(w, ag, m->rejected);
	aw_metrics_family(w, "anyway_agent_mapd_connects", AW_METRIC_COUNTER,
			  "Connection attempts to each map server.");
	PER_MAPD(w, ag, m->reconnects);
	aw_metrics_family(w, "anyway_agent_mapd_restarts", AW_METRIC_COUNTER,
			  "Restarts of each map server seen (a new instance).");
	PER_MAPD(w, ag, m->restarts_seen);
	aw_metrics_family(w, "anyway_agent_mapd_restart_grace_seconds", AW_METRIC_GAUGE,
			  "Seconds of restart grace left for each map server (0: none).");
	for (int i = 0; i < ag->n_mapd; i++) {
		const struct agent_mapd *m = &ag->mapd[i];
		double left = m->has_grace && m->grace_until_ms > now
				      ? (double)(m->grace_until_ms - now) / 1000.0
				      : 0.0;

		aw_metrics_f64(w, left, "mapd", m->name, NULL);
	}
}

static void
fill_dp(struct aw_metrics *w, const struct agent *ag)
{
	const struct agent_dp *dp = &ag->dp;

	aw_metrics_family(w, "anyway_agent_dataplane_connected", AW_METRIC_GAUGE,
			  "1 while the data plane's API socket is connected.");
	aw_metrics_u64(w, dp->up, NULL);
	aw_metrics_family(w, "anyway_agent_dataplane_calls", AW_METRIC_COUNTER,
			  "Requests sent to the data plane.");
	aw_metrics_u64(w, dp->calls, NULL);
	aw_metrics_family(w, "anyway_agent_applies", AW_METRIC_COUNTER,
			  "Batches of changes applied to the data plane.");
	aw_metrics_u64(w, dp->applies, NULL);
	aw_metrics_family(w, "anyway_agent_applied_items", AW_METRIC_COUNTER,
			  "Services and relays set or deleted in the data plane.");
	aw_metrics_u64(w, dp->items_applied, NULL);
	aw_metrics_family(w, "anyway_agent_dataplane_errors", AW_METRIC_COUNTER,
			  "Data-plane requests the data plane refused.");
	aw_metrics_u64(w, dp->errors, NULL);
	aw_metrics_family(w, "anyway_agent_dataplane_connects", AW_METRIC_COUNTER,
			  "Connections made to the data plane.");
	aw_metrics_u64(w, dp->reconnects, NULL);
	aw_metrics_family(w, "anyway_agent_applied_services", AW_METRIC_GAUGE,
			  "Services the data plane has, as far as the agent knows.");
	aw_metrics_u64(w, ag->applied.svcs.n, NULL);
	aw_metrics_family(w, "anyway_agent_applied_relays", AW_METRIC_GAUGE,
			  "Relays the data plane has, as far as the agent knows.");
	aw_metrics_u64(w, ag->applied.relays.n, NULL);
	aw_metrics_family(w, "anyway_agent_applied_gateways", AW_METRIC_GAUGE,
			  "Gateway paths the data plane has, as far as the agent knows.");
	aw_metrics_u64(w, ag->applied.gateways.n, NULL);
	aw_metrics_family(w, "anyway_agent_rejected_updates", AW_METRIC_COUNTER,
			  "Messages from map servers rejected as malformed (nothing applied).");
	aw_metrics_u64(w, ag->rejected_updates, NULL);
}

static void
fill(struct aw_metrics *w, void *arg)
{
	const struct agent *ag = arg;

	aw_metrics_family(w, "anyway_agent_build", AW_METRIC_INFO, "Version of this agent.");
	aw_metrics_u64(w, 1, "version", AW_VERSION, "name", ag->name, NULL);
	aw_metrics_family(w, "anyway_agent_uptime_seconds", AW_METRIC_GAUGE,
			  "Seconds since this agent started.");
	aw_metrics_f64(w, (double)(aw_now_ms() - started_ms) / 1000.0, NULL);
	fill_mapd(w, ag);
	fill_dp(w, ag);
	agent_cluster_metrics(w, ag);
	aw_metrics_http_self(&srv, w, "anyway_agent");
}

int
agent_metrics_open(struct agent *ag, const char *hostport, char *err, size_t errlen)
{
	started_ms = aw_now_ms();
	return aw_metrics_http_open(&srv, &ag->loop, hostport, fill, ag, err, errlen);
}

void
agent_metrics_close(void)
{
	aw_metrics_http_close(&srv);
}
