/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent_bird — announce the VIPs by health through BIRD 2 (SPEC §8): the VIP
 * routes are a static protocol in BIRD's config (--bird-protocol NAME); the
 * agent enables it while the instance is healthy and disables it otherwise,
 * speaking birdc's line protocol on BIRD's control socket (--bird-socket)
 * itself (agent_birdc.c: on the loop, each exchange bounded by
 * AGENT_BIRD_TIMEOUT_MS; a BIRD that hangs or is gone stalls nothing else).
 * Announced only while the data plane answers (its connection is up: pings
 * every second, a call bounded at 5 s), every data-plane port reports its
 * link up (stats, read every second), the agent is synced with a map server
 * or holds a view from one (fail-static), the instance is not drained and
 * the agent is not stopping. The state is set again every
 * AGENT_BIRD_REFRESH_MS, so that a restarted BIRD (its config has the
 * protocol disabled) announces again.
 * Contract: anyway-agent's one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "aw_metrics.h"

#define AGENT_BIRD_RETRY_MS 2000
#define AGENT_BIRD_VIPS_MS 10000
#define AGENT_BIRD_PORTS_MS 1000
#define AGENT_BIRD_REFRESH_MS 5000 /* the state is set again: a restarted BIRD gets it back */

int
agent_bird_set(struct agent_bird *b, const char *what, const char *v)
{
	bool sock = strcmp(what, "socket") == 0;
	size_t max = sock ? sizeof(b->sock) : sizeof(b->proto);

	if (strlen(v) == 0 || strlen(v) >= max) {
		fprintf(stderr, "anyway-agent: --bird-%s: expected 1..%zu bytes\n", what, max - 1);
		return -1;
	}
	for (const char *p = v; !sock && *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_')) {
			fprintf(stderr, "anyway-agent: --bird-protocol: expected a BIRD protocol "
					"name (A-Z a-z 0-9 _), got '%.80s'\n", v);
			return -1;
		}
	snprintf(sock ? b->sock : b->proto, max, "%s", v);
	return 0;
}

int
agent_bird_check(const struct agent_bird *b)
{
	if ((b->sock[0] != '\0') != (b->proto[0] != '\0')) {
		fprintf(stderr, "anyway-agent: --bird-socket and --bird-protocol go together\n");
		return -1;
	}
	return 0;
}

/* The data plane's VIPs (vip.list), read every AGENT_BIRD_VIPS_MS while it
 * is up: shown in the status and logged when they change, so that an
 * operator sees the routes BIRD's static protocol must hold. */
static void
read_vips(struct agent *ag, uint64_t now)
{
	struct agent_bird *b = &ag->bird;
	json_t *reply = NULL, *out = json_array();
	size_t i;
	json_t *v;

	b->next_vips_ms = now + AGENT_BIRD_VIPS_MS;
	if (out == NULL || agent_dp_call_raw(ag, "{\"op\":\"vip.list\"}", 17, &reply) < 0) {
		json_decref(out);
		return;
	}
	json_array_foreach(json_object_get(reply, "vips"), i, v)
		if (json_is_string(json_object_get(v, "addr")))
			json_array_append(out, json_object_get(v, "addr"));
	json_decref(reply);
	if (b->vips == NULL || !json_equal(out, b->vips)) {
		char *t = json_dumps(out, JSON_COMPACT);
		fprintf(stderr, "anyway-agent: bird: the data plane's VIPs: %s (protocol %s must "
				"hold a route for each)\n", t != NULL ? t : "?", b->proto);
		free(t);
	}
	json_decref(b->vips);
	b->vips = out;
}

/* The data plane's ports (stats: ports[].link_up; a port without the field
 * is up, for data planes that do not report it), read every
 * AGENT_BIRD_PORTS_MS while it answers. */
static void
read_ports(struct agent *ag, uint64_t now)
{
	struct agent_bird *b = &ag->bird;
	json_t *reply = NULL, *p;
	uint32_t down = 0;
	size_t i;

	b->next_ports_ms = now + AGENT_BIRD_PORTS_MS;
	if (agent_dp_call_raw(ag, "{\"op\":\"stats\"}", 14, &reply) < 0)
		return;
	if (!json_is_true(json_object_get(reply, "ok"))) {
		json_decref(reply);
		return; /* no port state: the last one read stays */
	}
	json_array_foreach(json_object_get(reply, "ports"), i, p) {
		if (!json_is_false(json_object_get(p, "link_up")))
			continue;
		if (down++ == 0) {
			const char *name = json_string_value(json_object_get(p, "name"));
			if (name != NULL)
				snprintf(b->port_down, sizeof(b->port_down), "%.60s", name);
			else
				snprintf(b->port_down, sizeof(b->port_down), "%" JSON_INTEGER_FORMAT,
					 json_integer_value(json_object_get(p, "port")));
		}
	}
	if (down != b->ports_down)
		fprintf(stderr, "anyway-agent: bird: data plane ports with link down: %u%s%s\n", down,
			down ? ", first " : "", down ? b->port_down : "");
	b->ports_down = down;
	json_decref(reply);
}

/* The first failing condition of the announce rule, and its text in why. */
static enum agent_health
health(const struct agent *ag, char *why, size_t n)
{
	const struct agent_bird *b = &ag->bird;
	bool synced = false;

	for (int i = 0; i < ag->n_mapd; i++)
		synced |= ag->mapd[i].state == MAPD_SYNCED || ag->mapd[i].has_view;
	if (b->stopping)
		return snprintf(why, n, "agent stopping"), AGENT_HEALTH_STOPPING;
	if (ag->cluster.draining)
		return snprintf(why, n, "drained"), AGENT_HEALTH_DRAINED;
	if (!ag->dp.up)
		return snprintf(why, n, "data plane not answering"), AGENT_HEALTH_DP_DOWN;
	if (!synced)
		return snprintf(why, n, "never synced with a map server"), AGENT_HEALTH_NOT_SYNCED;
	if (b->ports_down > 0)
		return snprintf(why, n, "port %s link down%s", b->port_down,
				b->ports_down > 1 ? " (and others)" : ""), AGENT_HEALTH_PORT_DOWN;
	return snprintf(why, n, "healthy"), AGENT_HEALTH_OK;
}

static void
failed(struct agent *ag, const char *err)
{
	struct agent_bird *b = &ag->bird;
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "%s %s", b->sent_want ? "enable" : "disable", b->proto);
	b->errors++;
	b->known = false; /* BIRD's state is not known until a command succeeds again */
	b->retry_at_ms = aw_now_ms() + AGENT_BIRD_RETRY_MS;
	if (strcmp(err, b->last_error) != 0) /* logged once per distinct error */
		fprintf(stderr, "anyway-agent: bird: %s failed: %s (retrying every %d ms)\n", cmd,
			err, AGENT_BIRD_RETRY_MS);
	snprintf(b->last_error, sizeof(b->last_error), "%s", err);
}

void
agent_bird_done(struct agent *ag, int code, int first, const char *err)
{
	struct agent_bird *b = &ag->bird;
	bool was = b->known && b->announced == b->sent_want;
	char tmp[256];

	if (code < 0 || code >= 8000) { /* 8xxx run-time errors, 9xxx parse errors */
		if (code >= 8000)
			snprintf(tmp, sizeof(tmp), "%s %.60s: %.180s",
				 b->sent_want ? "enable" : "disable", b->proto, err);
		failed(ag, code >= 8000 ? tmp : err);
		return;
	}
	b->last_error[0] = '\0';
	b->known = true;
	b->announced = b->sent_want;
	b->next_refresh_ms = aw_now_ms() + AGENT_BIRD_REFRESH_MS;
	if (!was) {
		b->changes++;
		snprintf(b->reason, sizeof(b->reason), "%s", b->sent_why);
		fprintf(stderr, "anyway-agent: bird: VIPs %s (protocol %s %s): %s\n",
			b->sent_want ? "announced" : "withdrawn", b->proto,
			b->sent_want ? "enabled" : "disabled", b->sent_why);
	} else if (first == (b->sent_want ? 11 : 9)) {
		/* 0011 enabled / 0009 disabled, not "already": BIRD had lost the state */
		b->restores++;
		fprintf(stderr, "anyway-agent: bird: protocol %s was %s in BIRD (restarted?): %s "
				"again\n", b->proto, b->sent_want ? "disabled" : "enabled",
			b->sent_want ? "enabled" : "disabled");
	}
}

void
agent_bird_tick(struct agent *ag, uint64_t now)
{
	struct agent_bird *b = &ag->bird;
	char why[96], cmd[96], err[256];

	if (b->sock[0] == '\0')
		return;
	agent_birdc_tick(ag, now);
	if (!ag->dp.up) {
		b->ports_down = 0; /* read again at once when it is back */
		b->next_ports_ms = 0;
	} else if (!b->stopping) {
		if (now >= b->next_vips_ms)
			read_vips(ag, now);
		if (now >= b->next_ports_ms)
			read_ports(ag, now);
	}
	bool want = health(ag, why, sizeof(why)) == AGENT_HEALTH_OK;
	bool due = !b->known || want != b->announced || now >= b->next_refresh_ms;
	if (b->x.phase != BIRDC_IDLE || !due || now < b->retry_at_ms)
		return;
	b->sent_want = want;
	snprintf(b->sent_why, sizeof(b->sent_why), "%s", why);
	snprintf(cmd, sizeof(cmd), "%s %s", want ? "enable" : "disable", b->proto);
	if (agent_birdc_start(ag, cmd, err, sizeof(err)) < 0)
		failed(ag, err);
}

void
agent_bird_stop(struct agent *ag)
{
	if (ag->bird.sock[0] == '\0')
		return;
	ag->bird.stopping = true;
	ag->bird.retry_at_ms = 0;
	agent_birdc_wait(ag); /* the command in flight first: BIRD takes them in order */
	agent_bird_tick(ag, aw_now_ms());
	agent_birdc_wait(ag);
}

json_t *
agent_bird_json(const struct agent *ag)
{
	const struct agent_bird *b = &ag->bird;
	char why[96];
	bool want = health(ag, why, sizeof(why)) == AGENT_HEALTH_OK;

	if (b->sock[0] == '\0')
		return json_null();
	return json_pack("{s:s, s:s, s:b, s:b, s:b, s:s, s:s, s:I, s:I, s:I, s:s, s:O?, s:I, s:s?}",
			 "socket", b->sock, "protocol", b->proto, "announced",
			 b->known && b->announced, "known", b->known, "should_announce", want,
			 "reason", b->reason, "health", why, "changes", (json_int_t)b->changes,
			 "errors", (json_int_t)b->errors, "restores", (json_int_t)b->restores,
			 "last_error", b->last_error, "vips", b->vips, "ports_down",
			 (json_int_t)b->ports_down, "in_flight",
			 b->x.phase != BIRDC_IDLE ? b->x.cmd : NULL);
}

/* anyway_agent_announce_health{reason}: 1 for the first failing condition
 * of the announce rule ("healthy" when none), 0 for the others. */
static void
agent_health_metrics(struct aw_metrics *w, const struct agent *ag)
{
	static const char *const names[AGENT_HEALTH__COUNT] = {
		"healthy", "stopping", "drained", "dataplane_down", "not_synced", "port_down"};
	char why[96];
	enum agent_health h = health(ag, why, sizeof(why));

	aw_metrics_family(w, "anyway_agent_announce_health", AW_METRIC_GAUGE,
			  "Why the VIPs are announced or withdrawn: 1 for the current reason.");
	for (int i = 0; i < AGENT_HEALTH__COUNT; i++)
		aw_metrics_u64(w, (int)h == i ? 1 : 0, "reason", names[i], NULL);
}

/* The --metrics families of membership, drain and announcing. */
void
agent_cluster_metrics(struct aw_metrics *w, const struct agent *ag)
{
	const struct agent_cluster *c = &ag->cluster;
	const struct agent_bird *b = &ag->bird;

	aw_metrics_family(w, "anyway_agent_cluster_epoch", AW_METRIC_GAUGE,
			  "Epoch of the member list last applied with cluster.set (0: none).");
	aw_metrics_u64(w, c->applied_epoch, NULL);
	aw_metrics_family(w, "anyway_agent_cluster_updates_rejected", AW_METRIC_COUNTER,
			  "Member list updates rejected whole (malformed or an older epoch).");
	aw_metrics_u64(w, c->rejected, NULL);
	aw_metrics_family(w, "anyway_agent_cluster_apply_errors", AW_METRIC_COUNTER,
			  "cluster.set calls the data plane refused.");
	aw_metrics_u64(w, c->apply_errors, NULL);
	aw_metrics_family(w, "anyway_agent_drain_state", AW_METRIC_GAUGE,
			  "0 active, 1 draining, 2 drained.");
	aw_metrics_u64(w, c->drained ? 2 : c->draining ? 1 : 0, NULL);
	if (b->sock[0] == '\0')
		return;
	aw_metrics_family(w, "anyway_agent_vips_announced", AW_METRIC_GAUGE,
			  "1 while BIRD's VIP protocol is enabled by the agent.");
	aw_metrics_u64(w, b->known && b->announced ? 1 : 0, NULL);
	aw_metrics_family(w, "anyway_agent_announce_changes", AW_METRIC_COUNTER,
			  "Announce / withdraw changes made through BIRD.");
	aw_metrics_u64(w, b->changes, NULL);
	aw_metrics_family(w, "anyway_agent_bird_errors", AW_METRIC_COUNTER,
			  "BIRD control socket commands that failed (retried every 2 s).");
	aw_metrics_u64(w, b->errors, NULL);
	aw_metrics_family(w, "anyway_agent_bird_restores", AW_METRIC_COUNTER,
			  "Times BIRD had lost the state the agent set (restarted) and got it again.");
	aw_metrics_u64(w, b->restores, NULL);
	aw_metrics_family(w, "anyway_agent_ports_down", AW_METRIC_GAUGE,
			  "Data-plane ports reporting link down (VIPs withdrawn while above 0).");
	aw_metrics_u64(w, b->ports_down, NULL);
	agent_health_metrics(w, ag);
}
