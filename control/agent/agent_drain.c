/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent_drain — planned removal of an instance (SPEC §8): `drain` withdraws
 * the VIPs (agent_bird.c sees cluster.draining), registers the member as
 * `draining` with every map server at once (other instances then never make
 * it a primary owner) and keeps serving; it reports `drained` once the data
 * plane's sessions (stats: asrs.sessions + relay.paths) reach 0, or when
 * --drain-timeout-s has passed. `undrain` reverses it. Both are idempotent.
 * Contract: anyway-agent's one thread (called from the status socket).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

#define AGENT_DRAIN_POLL_MS 1000

static char *
state_reply(const struct agent *ag, bool changed)
{
	const struct agent_cluster *c = &ag->cluster;
	json_t *o = json_pack("{s:b, s:s, s:b, s:b, s:I}", "ok", 1, "state",
			      c->drained ? "drained" : c->draining ? "draining" : "active", "changed",
			      changed, "announced", ag->bird.known && ag->bird.announced,
			      "sessions", (json_int_t)c->drain_sessions);
	char *line = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return line;
}

char *
agent_drain_op(struct agent *ag, const char *op)
{
	struct agent_cluster *c = &ag->cluster;
	bool drain = strcmp(op, "drain") == 0;
	bool changed = drain != c->draining;

	if (changed) {
		c->draining = drain;
		c->drained = false;
		c->drain_since_ms = aw_now_ms();
		c->next_stats_ms = 0;
		ag->bird.retry_at_ms = 0;
		agent_cluster_reregister(ag);
		fprintf(stderr, "anyway-agent: %s: %s\n", op,
			drain ? "withdrawing the VIPs, registering as draining"
			      : "registering as active, announcing the VIPs when healthy");
		agent_bird_tick(ag, aw_now_ms()); /* the withdrawal starts before the reply */
	}
	return state_reply(ag, changed);
}

/* asrs.sessions + relay.paths of the data plane's stats; -1 unknown. */
static int64_t
dp_sessions(struct agent *ag)
{
	json_t *reply = NULL;
	int64_t n = -1;

	if (!ag->dp.up ||
	    agent_dp_call_raw(ag, "{\"op\":\"stats\"}", 14, &reply) < 0)
		return -1;
	if (json_is_true(json_object_get(reply, "ok")))
		n = json_integer_value(json_object_get(json_object_get(reply, "asrs"), "sessions")) +
		    json_integer_value(json_object_get(json_object_get(reply, "relay"), "paths"));
	json_decref(reply);
	return n;
}

void
agent_drain_tick(struct agent *ag, uint64_t now)
{
	struct agent_cluster *c = &ag->cluster;

	if (!c->draining || c->drained || now < c->next_stats_ms)
		return;
	c->next_stats_ms = now + AGENT_DRAIN_POLL_MS;
	int64_t n = dp_sessions(ag);
	if (n >= 0)
		c->drain_sessions = (uint64_t)n;
	bool timed_out = now - c->drain_since_ms >= c->drain_timeout_ms;
	if (n == 0 || timed_out) {
		c->drained = true;
		fprintf(stderr, "anyway-agent: drained: %s\n",
			n == 0 ? "no session left" : "--drain-timeout-s passed");
	}
}
