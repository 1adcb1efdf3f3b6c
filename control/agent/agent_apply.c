/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent_apply — merge the map servers' views and push the difference to the
 * data plane with the batch forms of dataplane/API.md (service.set,
 * service.del, relay.add, relay.del; gateway.add / gateway.del through
 * agent_gateway.c), in chunks that keep each request line
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

static void
dp_connected(struct agent *ag)
{
	ag->full = true; /* reconcile everything against what it lists */
}

const struct agent_dp_cbs agent_apply_dp_cbs = {
	.connected = dp_connected,
	.listed_empty = agent_mark_service,
};

/* Union of every view's list for uri; out has room for AW_MSG_MAX_DESTS.
 * Weight-0 entries (drained: the data plane lists them and keeps their
 * sessions, no new flow picks them) are kept, unless another view gives the
 * same destination a weight. Returns the count. */
static uint32_t
merge_service(const struct agent *ag, const char *uri, struct aw_msg_dest *out)
{
	uint32_t n = 0;

	for (int v = 0; v < 2 * ag->n_mapd; v++) { /* views, then restart-grace views */
		const struct agent_mapd *m = &ag->mapd[v % ag->n_mapd];
		const struct agent_dests *e =
			v < ag->n_mapd ? (m->has_view ? aw_strmap_get(&m->view.svcs, uri) : NULL)
				       : (m->has_grace ? aw_strmap_get(&m->grace.svcs, uri) : NULL);

		for (uint32_t j = 0; e != NULL && j < e->n; j++) {
			uint32_t k = 0;

			while (k < n && !(out[k].port == e->d[j].port &&
					  aw_addr_eq(&out[k].addr, &e->d[j].addr)))
				k++;
			if (k == n && n < AW_MSG_MAX_DESTS)
				out[n++] = e->d[j];
			else if (k < n && out[k].weight == 0 && e->d[j].weight > 0)
				out[k] = e->d[j];
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
	for (int i = 0; i < ag->n_mapd; i++) { /* restart grace: kept a while */
		const struct agent_relay *r =
			ag->mapd[i].has_grace ? aw_strmap_get(&ag->mapd[i].grace.relays, hex) : NULL;
		if (r != NULL)
			return r;
	}
	return NULL;
}

void
agent_applied_update(struct agent *ag, const char *op, const char *key, void *val)
{
	if (strcmp(op, "service.set") == 0 && val != NULL)
		agent_view_put_dests(&ag->applied, key, val);
	else if (strcmp(op, "relay.add") == 0 && val != NULL)
		agent_view_put_relay(&ag->applied, key, val);
	else if (strcmp(op, "service.del") == 0)
		agent_view_set_service(&ag->applied, key, NULL, 0);
	else if (strcmp(op, "relay.del") == 0)
		agent_view_del_relay(&ag->applied, key);
	else if (strcmp(op, "gateway.add") == 0 && val != NULL)
		agent_view_put_gateway(&ag->applied, key, val);
	else if (strcmp(op, "gateway.del") == 0)
		agent_view_del_gateway(&ag->applied, key);
	else
		free(val);
}

void
agent_round_init(struct agent_round *r)
{
	agent_batch_init(&r->sset, "service.set", "services", "service");
	agent_batch_init(&r->sdel, "service.del", "services", "service");
	agent_batch_init(&r->radd, "relay.add", "relays", "path_id");
	agent_batch_init(&r->rdel, "relay.del", "path_ids", "path_id");
	agent_batch_init(&r->gadd, "gateway.add", "gateways", "path_id");
	agent_batch_init(&r->gdel, "gateway.del", "path_ids", "path_id");
	aw_jw_init(&r->item);
}

void
agent_round_free(struct agent_round *r)
{
	agent_batch_free(&r->sset);
	agent_batch_free(&r->sdel);
	agent_batch_free(&r->radd);
	agent_batch_free(&r->rdel);
	agent_batch_free(&r->gadd);
	agent_batch_free(&r->gdel);
	aw_jw_free(&r->item);
}

static bool
dests_same(const struct agent_dests *cur, const struct aw_msg_dest *d, uint32_t n)
{
	return cur != NULL && cur->n == n && aw_msg_dests_equal(cur->d, d, n);
}

/* {"service":URI,"destinations":[{"addr","port","priority","weight"}...]} */
static void
service_item(struct aw_jw *w, const char *uri, const struct aw_msg_dest *d, uint32_t n)
{
	aw_jw_reset(w);
	aw_jw_lit(w, "{\"service\":");
	aw_jw_str(w, uri);
	aw_jw_lit(w, ",\"destinations\":[");
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			aw_jw_lit(w, ",");
		aw_jw_dest(w, &d[i].addr, d[i].port, d[i].priority, d[i].weight);
	}
	aw_jw_lit(w, "]}");
}

static void
add_string(struct agent *ag, struct agent_round *r, struct agent_batch *b, const char *key)
{
	aw_jw_reset(&r->item);
	aw_jw_str(&r->item, key);
	if (!r->item.oom)
		agent_batch_add(ag, b, key, r->item.buf, r->item.len, NULL);
}

static void
diff_service(struct agent *ag, const char *uri, struct agent_round *r)
{
	struct aw_msg_dest d[AW_MSG_MAX_DESTS];
	uint32_t n = merge_service(ag, uri, d);
	const struct agent_dests *cur = aw_strmap_get(&ag->applied.svcs, uri);

	agent_dests_sort(d, n);
	if (n == 0) {
		if (cur != NULL)
			add_string(ag, r, &r->sdel, uri);
		return;
	}
	if (dests_same(cur, d, n))
		return;
	struct agent_dests *sent = malloc(sizeof(*sent) + n * sizeof(sent->d[0]));
	if (sent == NULL)
		return;
	sent->n = n;
	memcpy(sent->d, d, n * sizeof(d[0]));
	service_item(&r->item, uri, d, n);
	if (r->item.oom)
		free(sent);
	else
		agent_batch_add(ag, &r->sset, uri, r->item.buf, r->item.len, sent);
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
diff_relay(struct agent *ag, const char *hex, struct agent_round *r)
{
	const struct agent_relay *want = merge_relay(ag, hex);
	const struct agent_relay *cur = aw_strmap_get(&ag->applied.relays, hex);

	if (want == NULL) {
		if (cur != NULL)
			add_string(ag, r, &r->rdel, hex);
		return;
	}
	if (cur != NULL && cur->key_known && aw_msg_relay_equal(&cur->r, &want->r))
		return;
	json_t *o = relay_json(&want->r);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	struct agent_relay *sent = malloc(sizeof(*sent));
	if (text != NULL && sent != NULL) {
		*sent = *want;
		sent->key_known = true;
		agent_batch_add(ag, &r->radd, hex, text, strlen(text), sent);
	} else {
		free(sent);
	}
	free(text);
	json_decref(o);
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
		agent_mark_gateways(ag, views[v]);
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
	struct agent_round *r = &ag->round;

	if ((ag->dirty_svcs.n == 0 && ag->dirty_relays.n == 0 && ag->dirty_gateways.n == 0 &&
	     !ag->full) ||
	    !may_apply(ag))
		return;
	if (ag->full)
		mark_all(ag);
	ag->full = false;
	for (size_t i = 0; ag->dp.asrs && i < ag->dirty_svcs.cap; i++)
		if (ag->dirty_svcs.slots[i].key)
			diff_service(ag, ag->dirty_svcs.slots[i].key, r);
	for (size_t i = 0; i < ag->dirty_relays.cap; i++) {
		const char *hex = ag->dirty_relays.slots[i].key;
		if (hex != NULL && ag->dp.trs)
			diff_relay(ag, hex, r);
		else if (hex != NULL && merge_relay(ag, hex) != NULL)
			agent_mapd_report_refused(ag, hex, "relay.add: TRS is not enabled on the "
							   "data plane of this agent");
	}
	agent_gateway_diff(ag, r);
	agent_batch_flush(ag, &r->sset);
	agent_batch_flush(ag, &r->radd);
	/* gateway deletes first: a path removed frees its node_addr for another
	 * path added in the same round (the data plane refuses a node twice) */
	agent_batch_flush(ag, &r->gdel);
	agent_batch_flush(ag, &r->gadd);
	agent_batch_flush(ag, &r->sdel);
	agent_batch_flush(ag, &r->rdel);
	aw_strmap_clear(&ag->dirty_svcs);
	aw_strmap_clear(&ag->dirty_relays);
	if (!ag->dp.up) /* lost during the apply: everything again after the reconnect */
		ag->full = true;
}
