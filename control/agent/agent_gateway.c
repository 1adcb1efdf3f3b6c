/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent_gateway — overlay gateway entries (SPEC §6) from the map servers to
 * the data plane, exactly as relays: each map server's view holds the
 * entries of its snapshot and pushes (gateway.add / gateway.del); the merge
 * takes the first map server (command-line order) that has a path, then the
 * restart-grace views; the difference to what the data plane has goes out in
 * the batch forms gateway.add {gateways:[...]} / gateway.del {path_ids:[...]}
 * (agent_batch.c; a refused batch is retried item by item and each refused
 * entry is reported back as gateway.refused). On connect, gateway.list tells
 * what the data plane has (without keys: such entries are re-added once).
 * Contract: anyway-agent's one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "aw_log.h"
#include "aw_hex.h"

void
agent_mark_gateway(struct agent *ag, const char *hex)
{
	aw_strmap_put(&ag->dirty_gateways, hex, (void *)1);
}

void
agent_mark_gateways(struct agent *ag, const struct agent_view *v)
{
	for (size_t i = 0; i < v->gateways.cap; i++)
		if (v->gateways.slots[i].key)
			agent_mark_gateway(ag, v->gateways.slots[i].key);
}

static const struct agent_gateway *
merge_gateway(const struct agent *ag, const char *hex)
{
	for (int i = 0; i < ag->n_mapd; i++) {
		const struct agent_mapd *m = &ag->mapd[i];
		const struct agent_gateway *g =
			m->has_view ? aw_strmap_get(&m->view.gateways, hex) : NULL;
		if (g != NULL)
			return g;
	}
	for (int i = 0; i < ag->n_mapd; i++) { /* restart grace: kept a while */
		const struct agent_mapd *m = &ag->mapd[i];
		const struct agent_gateway *g =
			m->has_grace ? aw_strmap_get(&m->grace.gateways, hex) : NULL;
		if (g != NULL)
			return g;
	}
	return NULL;
}

static void
diff_one(struct agent *ag, const char *hex, struct agent_round *r)
{
	const struct agent_gateway *want = merge_gateway(ag, hex);
	const struct agent_gateway *cur = aw_strmap_get(&ag->applied.gateways, hex);

	if (want == NULL) {
		if (cur != NULL) {
			aw_jw_reset(&r->item);
			aw_jw_str(&r->item, hex);
			if (!r->item.oom)
				agent_batch_add(ag, &r->gdel, hex, r->item.buf, r->item.len, NULL);
		}
		return;
	}
	if (cur != NULL && cur->key_known && aw_msg_gateway_equal(&cur->g, &want->g))
		return;
	json_t *o = aw_msg_gateway_to_json(&want->g, true);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	struct agent_gateway *sent = malloc(sizeof(*sent));
	if (text != NULL && sent != NULL) {
		*sent = *want;
		sent->key_known = true;
		agent_batch_add(ag, &r->gadd, hex, text, strlen(text), sent);
	} else {
		free(sent);
	}
	free(text);
	json_decref(o);
}

void
agent_gateway_diff(struct agent *ag, struct agent_round *r)
{
	for (size_t i = 0; i < ag->dirty_gateways.cap; i++) {
		const char *hex = ag->dirty_gateways.slots[i].key;

		if (hex != NULL && ag->dp.gw)
			diff_one(ag, hex, r);
		else if (hex != NULL && merge_gateway(ag, hex) != NULL)
			agent_mapd_report_refused_gw(ag, true, hex,
						     "gateway.add: the gateway is not enabled on "
						     "the data plane of this agent");
	}
	aw_strmap_clear(&ag->dirty_gateways);
}

int
agent_gateway_snapshot(struct agent_view *v, const struct aw_msg_snapshot *s)
{
	for (uint32_t i = 0; i < s->n_gateways; i++)
		if (agent_view_set_gateway(v, &s->gateways[i], true) < 0)
			return -1;
	return 0;
}

int
agent_gateway_push(struct agent_mapd *m, const struct aw_msg *msg)
{
	char hex[2 * AW_MSG_PATH_ID_LEN + 1];

	if (msg->type == AW_MSG_GATEWAY_ADD) {
		for (uint32_t i = 0; i < msg->u.gw_add.n; i++) {
			if (agent_view_set_gateway(&m->view, &msg->u.gw_add.e[i], true) < 0)
				return -1;
			aw_hex_encode(msg->u.gw_add.e[i].path_id, AW_MSG_PATH_ID_LEN, hex);
			agent_mark_gateway(m->ag, hex);
		}
		return 0;
	}
	for (uint32_t i = 0; i < msg->u.gw_del.n; i++) {
		aw_hex_encode(msg->u.gw_del.ids[i], AW_MSG_PATH_ID_LEN, hex);
		agent_view_del_gateway(&m->view, hex);
		agent_mark_gateway(m->ag, hex);
	}
	return 0;
}

/* 2n hex digits into n bytes: 0, or -1 on a bad digit. */
static int
hex_bytes(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = aw_hex_digit(hex[2 * i]), lo = hi < 0 ? -1 : aw_hex_digit(hex[2 * i + 1]);

		if (lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* One page of gateway.list into ag->applied; the next cursor (new
 * reference, NULL or null at the end). */
static json_t *
load_page(struct agent *ag, const json_t *rep)
{
	const json_t *g;
	size_t i;

	json_array_foreach(json_object_get(rep, "gateways"), i, g) {
		struct aw_msg_gateway e = {0};
		const char *hex = json_string_value(json_object_get(g, "path_id"));

		if (hex != NULL && strlen(hex) == 2 * AW_MSG_PATH_ID_LEN &&
		    hex_bytes(hex, e.path_id, AW_MSG_PATH_ID_LEN) == 0)
			agent_view_set_gateway(&ag->applied, &e, false);
	}
	return json_incref(json_object_get(rep, "cursor"));
}

int
agent_gateway_load(struct agent *ag)
{
	json_t *cursor = NULL;

	ag->dp.gw = true;
	for (int page = 0; page < 100000; page++) { /* 10^8 entries: bounded anyway */
		json_t *req = json_pack("{s:s, s:i}", "op", "gateway.list", "limit", 1000), *rep;

		if (cursor != NULL && !json_is_null(cursor))
			json_object_set(req, "cursor", cursor);
		json_decref(cursor);
		int rc = agent_dp_call(ag, req, &rep);
		json_decref(req);
		if (rc < 0)
			return -1;
		if (!json_is_true(json_object_get(rep, "ok"))) {
			ag->dp.gw = false;
			if (!agent_dp_feature_missing(rep))
				aw_log(AW_LOG_WARNING, "gateway.list: %s",
					json_string_value(json_object_get(rep, "error")));
			json_decref(rep);
			return 0;
		}
		cursor = load_page(ag, rep);
		json_decref(rep);
		if (cursor == NULL || json_is_null(cursor))
			break;
	}
	json_decref(cursor);
	return 0;
}
