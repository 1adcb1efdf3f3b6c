/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent_apply — merge the map servers' views and push the difference to the
 * data plane with the batch forms of dataplane/API.md (service.set,
 * service.del, relay.add, relay.del), in chunks that keep each request line
 * under 1 MiB and 10,000 items. A batch is applied whole by the data plane;
 * if it is refused, its items are retried one by one so that one bad item
 * cannot hold the others back (each refusal is logged and counted).
 * Nothing is removed while no map server has ever sent a snapshot
 * (fail-static), and the first reconcile waits (bounded) for every map
 * server's snapshot.
 * Contract: anyway-agent's one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

#define CHUNK_ITEMS 10000
#define CHUNK_BYTES (700u * 1024u)

void
agent_mark_service(struct agent *ag, const char *uri)
{
	aw_strmap_put(&ag->dirty_svcs, uri, (void *)1);
}

void
agent_mark_relay(struct agent *ag, const char *hex)
{
	aw_strmap_put(&ag->dirty_relays, hex, (void *)1);
}

/* Union of every view's list for uri, weight-0 entries left out; out has room
 * for AW_MSG_MAX_DESTS. Returns the count. */
static uint32_t
merge_service(const struct agent *ag, const char *uri, struct aw_msg_dest *out)
{
	uint32_t n = 0;

	for (int i = 0; i < ag->n_mapd; i++) {
		const struct agent_dests *e =
			ag->mapd[i].has_view ? aw_strmap_get(&ag->mapd[i].view.svcs, uri) : NULL;

		for (uint32_t j = 0; e != NULL && j < e->n; j++) {
			uint32_t k = 0;

			if (e->d[j].weight == 0)
				continue;
			while (k < n && !(out[k].port == e->d[j].port &&
					  aw_addr_eq(&out[k].addr, &e->d[j].addr)))
				k++;
			if (k == n && n < AW_MSG_MAX_DESTS)
				out[n++] = e->d[j];
		}
	}
	return n;
}

static const struct agent_relay *
merge_relay(const struct agent *ag, const char *hex)
{
	for (int i = 0; i < ag->n_mapd; i++) {
		const struct agent_relay *r =
			ag->mapd[i].has_view ? aw_strmap_get(&ag->mapd[i].view.relays, hex) : NULL;
		if (r != NULL)
			return r;
	}
	return NULL;
}

/* A batch being built: items (JSON) and the key of each, to update applied. */
struct batch {
	const char *op, *plural; /* "service.set", "services" */
	json_t *items;
	char **keys;
	size_t n, cap, bytes;
};

static void batch_flush(struct agent *ag, struct batch *b);

static void
batch_add(struct agent *ag, struct batch *b, const char *key, json_t *item, size_t est)
{
	if (b->n > 0 && (b->n >= CHUNK_ITEMS || b->bytes + est > CHUNK_BYTES))
		batch_flush(ag, b);
	if (b->items == NULL)
		b->items = json_array();
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 256;
		char **k = realloc(b->keys, ncap * sizeof(*k));
		if (k != NULL) {
			b->keys = k;
			b->cap = ncap;
		}
	}
	if (b->items == NULL || b->n == b->cap || item == NULL) {
		json_decref(item);
		return;
	}
	b->keys[b->n++] = strdup(key);
	b->bytes += est;
	json_array_append_new(b->items, item);
}

static void
applied_update(struct agent *ag, const char *op, const char *key)
{
	if (strcmp(op, "service.set") == 0) {
		struct aw_msg_dest d[AW_MSG_MAX_DESTS];
		uint32_t n = merge_service(ag, key, d);
		agent_view_set_service(&ag->applied, key, d, n);
	} else if (strcmp(op, "service.del") == 0) {
		agent_view_set_service(&ag->applied, key, NULL, 0);
	} else if (strcmp(op, "relay.add") == 0) {
		const struct agent_relay *r = merge_relay(ag, key);
		if (r != NULL)
			agent_view_set_relay(&ag->applied, &r->r, true);
	} else {
		agent_view_del_relay(&ag->applied, key);
	}
}

static void
note_error(struct agent *ag, const char *op, const json_t *rep)
{
	const char *e = json_string_value(json_object_get(rep, "error"));

	ag->dp.errors++;
	snprintf(ag->dp.last_error, sizeof(ag->dp.last_error), "%s: %s", op, e ? e : "?");
	fprintf(stderr, "anyway-agent: data plane refused %s: %s\n", op, e ? e : "?");
}

/* One item alone, in the single form of the method. */
static void
apply_single(struct agent *ag, const struct batch *b, size_t i)
{
	json_t *it = json_array_get(b->items, i), *req, *rep;
	bool del = strstr(b->op, ".del") != NULL;

	if (json_is_object(it))
		req = json_deep_copy(it);
	else
		req = json_pack("{s:O}", strcmp(b->op, "relay.del") == 0 ? "path_id" : "service", it);
	json_object_set_new(req, "op", json_string(b->op));
	if (agent_dp_call(ag, req, &rep) == 0) {
		if (json_is_true(json_object_get(rep, "ok")) || del)
			applied_update(ag, b->op, b->keys[i]);
		else
			note_error(ag, b->op, rep);
	}
	json_decref(req);
	json_decref(rep);
}

static void
batch_flush(struct agent *ag, struct batch *b)
{
	json_t *req, *rep = NULL;

	if (b->n == 0)
		return;
	req = json_pack("{s:s, s:O}", "op", b->op, b->plural, b->items);
	if (req != NULL && agent_dp_call(ag, req, &rep) == 0) {
		if (json_is_true(json_object_get(rep, "ok"))) {
			for (size_t i = 0; i < b->n; i++)
				applied_update(ag, b->op, b->keys[i]);
			ag->dp.applies++;
			ag->dp.items_applied += b->n;
			ag->dp.last_apply_wall = aw_wall_s();
		} else {
			note_error(ag, b->op, rep);
			for (size_t i = 0; i < b->n && ag->dp.up; i++)
				apply_single(ag, b, i);
			ag->dp.last_apply_wall = aw_wall_s();
		}
	}
	json_decref(req);
	json_decref(rep);
	json_decref(b->items);
	for (size_t i = 0; i < b->n; i++)
		free(b->keys[i]);
	free(b->keys);
	b->items = NULL;
	b->keys = NULL;
	b->n = b->cap = b->bytes = 0;
}

static bool
dests_same(const struct agent_dests *cur, const struct aw_msg_dest *d, uint32_t n)
{
	if (cur == NULL || cur->n != n)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (!aw_addr_eq(&cur->d[i].addr, &d[i].addr) || cur->d[i].port != d[i].port ||
		    cur->d[i].priority != d[i].priority || cur->d[i].weight != d[i].weight)
			return false;
	return true;
}

static void
diff_service(struct agent *ag, const char *uri, struct batch *set, struct batch *del)
{
	struct aw_msg_dest d[AW_MSG_MAX_DESTS];
	uint32_t n = merge_service(ag, uri, d);
	const struct agent_dests *cur = aw_strmap_get(&ag->applied.svcs, uri);

	agent_dests_sort(d, n);
	if (n == 0) {
		if (cur != NULL)
			batch_add(ag, del, uri, json_string(uri), strlen(uri) + 4);
		return;
	}
	if (dests_same(cur, d, n))
		return;
	batch_add(ag, set, uri,
		  json_pack("{s:s, s:o}", "service", uri, "destinations", aw_msg_dests_to_json(d, n)),
		  strlen(uri) + 32 + 80 * n);
}

/* lib/proto writes the rate's byte limit as "bps"; the data plane API names
 * it "bytes_per_s" (dataplane/API.md). */
static json_t *
relay_json(const struct aw_msg_relay *r)
{
	json_t *o = aw_msg_relay_to_json(r), *rate = json_object_get(o, "rate");

	if (rate != NULL) {
		json_object_set(rate, "bytes_per_s", json_object_get(rate, "bps"));
		json_object_del(rate, "bps");
	}
	return o;
}

static void
diff_relay(struct agent *ag, const char *hex, struct batch *add, struct batch *del)
{
	const struct agent_relay *want = merge_relay(ag, hex);
	const struct agent_relay *cur = aw_strmap_get(&ag->applied.relays, hex);

	if (want == NULL) {
		if (cur != NULL)
			batch_add(ag, del, hex, json_string(hex), 40);
		return;
	}
	if (cur != NULL && cur->key_known && agent_relay_same(&cur->r, &want->r))
		return;
	batch_add(ag, add, hex, relay_json(&want->r), 220);
}

static void
mark_all(struct agent *ag)
{
	const struct agent_view *views[AGENT_MAX_MAPD + 1];
	int nv = 0;

	views[nv++] = &ag->applied;
	for (int i = 0; i < ag->n_mapd; i++)
		if (ag->mapd[i].has_view)
			views[nv++] = &ag->mapd[i].view;
	for (int v = 0; v < nv; v++) {
		for (size_t i = 0; i < views[v]->svcs.cap; i++)
			if (views[v]->svcs.slots[i].key)
				agent_mark_service(ag, views[v]->svcs.slots[i].key);
		for (size_t i = 0; i < views[v]->relays.cap; i++)
			if (views[v]->relays.slots[i].key)
				agent_mark_relay(ag, views[v]->relays.slots[i].key);
	}
}

/* Fail-static and the bounded wait for every map server's first snapshot. */
static bool
may_apply(const struct agent *ag)
{
	bool any = false, all = true;

	if (!ag->dp.up)
		return false;
	for (int i = 0; i < ag->n_mapd; i++) {
		any |= ag->mapd[i].has_view;
		all &= ag->mapd[i].has_view;
	}
	return any && (all || aw_now_ms() >= ag->startup_until_ms);
}

void
agent_apply(struct agent *ag)
{
	struct batch sset = {"service.set", "services"}, sdel = {"service.del", "services"};
	struct batch radd = {"relay.add", "relays"}, rdel = {"relay.del", "path_ids"};

	if ((ag->dirty_svcs.n == 0 && ag->dirty_relays.n == 0 && !ag->full) || !may_apply(ag))
		return;
	if (ag->full)
		mark_all(ag);
	ag->full = false;
	for (size_t i = 0; ag->dp.asrs && i < ag->dirty_svcs.cap; i++)
		if (ag->dirty_svcs.slots[i].key)
			diff_service(ag, ag->dirty_svcs.slots[i].key, &sset, &sdel);
	for (size_t i = 0; ag->dp.trs && i < ag->dirty_relays.cap; i++)
		if (ag->dirty_relays.slots[i].key)
			diff_relay(ag, ag->dirty_relays.slots[i].key, &radd, &rdel);
	batch_flush(ag, &sset);
	batch_flush(ag, &radd);
	batch_flush(ag, &sdel);
	batch_flush(ag, &rdel);
	aw_strmap_clear(&ag->dirty_svcs);
	aw_strmap_clear(&ag->dirty_relays);
	if (!ag->dp.up) /* lost during the apply: everything again after the reconnect */
		ag->full = true;
}
