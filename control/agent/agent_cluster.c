/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent_cluster — membership on the agent's side (see agent_cluster.h).
 * Merge of several map servers' lists (control/PROTOCOL.md "Membership"):
 * the union by id of the last list taken from each map server (for an id in
 * several lists, the entry of the list with the highest epoch wins; lists of
 * lost map servers stay, fail-static, like their views); the data-plane
 * epoch is the SUM of the lists' epochs: a function of the lists alone, so
 * every agent holding the same lists applies the same epoch (the data planes
 * accept capsules of their current or previous epoch only), and it grows
 * whenever any list changes (with one map server it is that server's epoch).
 * Contract: anyway-agent's one thread.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

int
agent_cluster_set_id(struct agent_cluster *c, const char *id)
{
	if (!agent_member_id_ok(id)) {
		fprintf(stderr, "anyway-agent: --instance-id: expected 1..64 characters of "
				"A-Z a-z 0-9 . _ -, got '%.80s'\n", id);
		return -1;
	}
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->on = true;
	for (size_t i = 0; i < sizeof(c->lists) / sizeof(c->lists[0]); i++)
		c->lists[i].reg_state = -1;
	return 0;
}

int
agent_cluster_set_underlay(struct agent_cluster *c, const char *addr)
{
	if (!agent_member_addr_ok(addr)) {
		fprintf(stderr, "anyway-agent: --underlay: expected an IPv4 or IPv6 address, "
				"got '%.80s'\n", addr);
		return -1;
	}
	snprintf(c->underlay, sizeof(c->underlay), "%s", addr);
	return 0;
}

int
agent_cluster_check(const struct agent_cluster *c)
{
	if (c->on != (c->underlay[0] != '\0')) {
		fprintf(stderr, "anyway-agent: --instance-id and --underlay go together\n");
		return -1;
	}
	return 0;
}

static void
reject(struct agent_mapd *m, const char *err)
{
	struct agent_cluster *c = &m->ag->cluster;

	c->rejected++;
	m->rejected++;
	m->ag->rejected_updates++;
	fprintf(stderr, "anyway-agent: mapd %s: rejected a members update, nothing applied: %s\n",
		m->name, err);
	snprintf(c->last_error, sizeof(c->last_error), "mapd %s: rejected members: %s", m->name,
		 err);
}

static void
on_members(struct agent_mapd *m, const json_t *o)
{
	struct agent_cluster *c = &m->ag->cluster;
	struct agent_mlist *l = &c->lists[m - m->ag->mapd];
	char err[256];
	uint64_t epoch;
	json_t *list = agent_members_parse(o, &epoch, err, sizeof(err));

	if (list == NULL) {
		reject(m, err);
		return;
	}
	if (l->has && epoch < l->epoch) {
		snprintf(err, sizeof(err), "epoch %llu is older than %llu, taken before",
			 (unsigned long long)epoch, (unsigned long long)l->epoch);
		json_decref(list);
		reject(m, err);
		return;
	}
	json_decref(l->members);
	l->members = list;
	l->epoch = epoch;
	l->has = true;
	c->updates++;
	c->dirty = true;
}

bool
agent_cluster_line(struct agent_mapd *m, const char *line, size_t len)
{
	struct agent_cluster *c = &m->ag->cluster;

	if (memmem(line, len, "\"members\"", 9) == NULL &&
	    memmem(line, len, "\"member.", 8) == NULL)
		return false;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	const char *op = json_string_value(json_object_get(o, "op"));
	const char *error = json_string_value(json_object_get(o, "error"));

	if (op != NULL && strcmp(op, "members") == 0) {
		on_members(m, o);
	} else if (op == NULL && error != NULL && strncmp(error, "member.", 7) == 0) {
		/* a refused member.register: the subscription itself stays */
		c->refusals++;
		fprintf(stderr, "anyway-agent: mapd %s: %s\n", m->name, error);
		snprintf(c->last_error, sizeof(c->last_error), "mapd %s: %s", m->name, error);
	} else if (!(op == NULL && json_is_string(json_object_get(o, "member")))) {
		json_decref(o);
		return false; /* something else (the reply to member.register is ignored) */
	}
	json_decref(o);
	return true;
}

/*
 * The state this instance registers: `down` while its data plane does not
 * answer (no instance may make it the owner of new flows: they would be lost),
 * `draining` when drained by the operator or when the agent stops (its
 * sessions still live in the data plane), else `active`.
 */
static enum aw_member_state
wanted_state(const struct agent *ag, bool stopping)
{
	if (!ag->dp.up)
		return AW_MEMBER_DOWN;
	if (stopping || ag->cluster.draining)
		return AW_MEMBER_DRAINING;
	return AW_MEMBER_ACTIVE;
}

static void
send_register(struct agent *ag, struct agent_mapd *m, struct agent_mlist *l,
	      enum aw_member_state state)
{
	struct aw_msg msg;
	char *line;

	aw_msg_init(&msg, AW_MSG_MEMBER_REGISTER);
	snprintf(msg.u.member.id, sizeof(msg.u.member.id), "%s", ag->cluster.id);
	/* --underlay was checked with the options */
	aw_addr_parse(ag->cluster.underlay, &msg.u.member.addr, NULL, 0);
	msg.u.member.state = state;
	msg.u.member.ttl = AGENT_MEMBER_TTL_S;
	line = aw_msg_encode(&msg);
	if (line != NULL && agent_mapd_send(m, line) == 0) {
		ag->cluster.registers_sent++;
		l->reg_state = (int)state;
	}
	free(line);
}

/* The merged list (sorted by id) and its epoch. */
static json_t *
merge(const struct agent *ag, uint64_t *epoch)
{
	const struct agent_cluster *c = &ag->cluster;
	json_t *byid = json_object(), *ep = json_object(), *out = json_array();
	const char *k;
	json_t *v;

	*epoch = 0;
	for (int i = 0; i < ag->n_mapd; i++) {
		const struct agent_mlist *l = &c->lists[i];
		if (!l->has)
			continue;
		*epoch += l->epoch;
		for (size_t j = 0; j < json_array_size(l->members); j++) {
			json_t *m = json_array_get(l->members, j);
			const char *id = json_string_value(json_object_get(m, "id"));
			json_t *had = json_object_get(ep, id);
			if (had != NULL && (uint64_t)json_integer_value(had) >= l->epoch)
				continue;
			json_object_set(byid, id, m);
			json_object_set_new(ep, id, json_integer((json_int_t)l->epoch));
		}
	}
	/* sorted by id: the same lists give the same text on every agent */
	const char **ids = calloc(json_object_size(byid) + 1, sizeof(*ids));
	size_t n = 0;
	json_object_foreach(byid, k, v) if (ids != NULL) ids[n++] = k;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(ids[j - 1], ids[j]) > 0; j--) {
			const char *t = ids[j];
			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		json_array_append(out, json_object_get(byid, ids[i]));
	free(ids);
	json_decref(ep);
	json_decref(byid);
	return out;
}

/* After a refused cluster.set: the data plane's epoch (e.g. left by an agent
 * that ran before), so that the retry goes above it ("stale epoch", or the
 * same epoch with another list). */
static void
learn_floor(struct agent *ag)
{
	json_t *reply = NULL;

	if (agent_dp_call_raw(ag, "{\"op\":\"cluster.get\"}", 20, &reply) < 0)
		return;
	json_t *e = json_object_get(reply, "epoch");
	if (json_is_integer(e) && json_integer_value(e) > 0)
		ag->cluster.floor_epoch = (uint64_t)json_integer_value(e);
	json_decref(reply);
}

static void
apply(struct agent *ag, uint64_t now)
{
	struct agent_cluster *c = &ag->cluster;
	uint64_t epoch;
	json_t *list = merge(ag, &epoch), *reply = NULL;

	if (c->applied != NULL && json_equal(list, c->applied)) {
		json_decref(list);
		c->dirty = false;
		return;
	}
	if (c->floor_epoch != 0 && epoch <= c->floor_epoch)
		epoch = c->floor_epoch + 1; /* the data plane holds a higher or equal one */
	json_t *req = json_pack("{s:s, s:I, s:O}", "op", "cluster.set", "epoch",
				(json_int_t)epoch, "members", list);
	if (req == NULL || agent_dp_call(ag, req, &reply) < 0) {
		json_decref(req);
		json_decref(list);
		return; /* connection lost: applied again when it is back */
	}
	json_decref(req);
	if (json_is_true(json_object_get(reply, "ok"))) {
		json_decref(c->applied);
		c->applied = list;
		c->applied_epoch = epoch;
		c->applies++;
		c->dirty = false;
		fprintf(stderr, "anyway-agent: cluster: applied epoch %llu, %zu members\n",
			(unsigned long long)epoch, json_array_size(list));
	} else {
		const char *e = json_string_value(json_object_get(reply, "error"));
		c->apply_errors++;
		c->retry_at_ms = now + AGENT_CLUSTER_RETRY_MS;
		snprintf(c->last_error, sizeof(c->last_error), "cluster.set refused: %.200s",
			 e != NULL ? e : "(no error text)");
		fprintf(stderr, "anyway-agent: %s (epoch %llu)\n", c->last_error,
			(unsigned long long)epoch);
		json_decref(list);
		learn_floor(ag);
	}
	json_decref(reply);
}

void
agent_cluster_tick(struct agent *ag, uint64_t now)
{
	struct agent_cluster *c = &ag->cluster;

	for (int i = 0; c->on && i < ag->n_mapd; i++) {
		struct agent_mapd *m = &ag->mapd[i];
		struct agent_mlist *l = &c->lists[i];
		enum aw_member_state want = wanted_state(ag, false);
		if (m->state != MAPD_SYNCED)
			continue;
		if (l->reg_conn != m->reconnects || now >= l->next_reg_ms ||
		    l->reg_state != (int)want) {
			l->reg_conn = m->reconnects;
			l->next_reg_ms = now + AGENT_MEMBER_TTL_S * 1000u / 3;
			send_register(ag, m, l, want);
		}
	}
	if (c->dp_reconnects_seen != ag->dp.reconnects) {
		c->dp_reconnects_seen = ag->dp.reconnects;
		json_decref(c->applied); /* a new data plane connection: apply again */
		c->applied = NULL;
		c->dirty = true;
	}
	bool any = false;
	for (int i = 0; i < ag->n_mapd; i++)
		any |= c->lists[i].has;
	if (c->on && any && c->dirty && ag->dp.up && now >= c->retry_at_ms)
		apply(ag, now);
}

void
agent_cluster_reregister(struct agent *ag)
{
	for (int i = 0; i < ag->n_mapd; i++)
		ag->cluster.lists[i].next_reg_ms = 0;
}

void
agent_cluster_stop(struct agent *ag)
{
	for (int i = 0; ag->cluster.on && i < ag->n_mapd; i++)
		if (ag->mapd[i].state == MAPD_SYNCED)
			send_register(ag, &ag->mapd[i], &ag->cluster.lists[i], wanted_state(ag, true));
}

json_t *
agent_cluster_json(const struct agent *ag)
{
	const struct agent_cluster *c = &ag->cluster;

	return json_pack("{s:s, s:s, s:s, s:I, s:O?, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:s}",
			 "id", c->id, "underlay", c->underlay, "state",
			 !ag->dp.up    ? "down"
			 : c->drained  ? "drained"
			 : c->draining ? "draining"
				       : "active",
			 "epoch",
			 (json_int_t)c->applied_epoch, "members", c->applied, "counters", "updates",
			 (json_int_t)c->updates, "rejected", (json_int_t)c->rejected, "applies",
			 (json_int_t)c->applies, "apply_errors", (json_int_t)c->apply_errors,
			 "registers_sent", (json_int_t)c->registers_sent, "refusals",
			 (json_int_t)c->refusals, "last_error", c->last_error);
}

void
agent_cluster_free(struct agent_cluster *c)
{
	for (size_t i = 0; i < sizeof(c->lists) / sizeof(c->lists[0]); i++)
		json_decref(c->lists[i].members);
	json_decref(c->applied);
}
