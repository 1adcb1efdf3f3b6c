/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd_gateway — the overlay gateway entries on the map server (SPEC §6,
 * control/PROTOCOL.md): gateway.add / gateway.del from admins (one entry or a
 * batch of up to 10,000, validated whole by lib/proto before anything
 * changes, then applied whole or not at all), kept in mapd_state.gateways, pushed to subscribers one entry per
 * message (gateway.add / gateway.del, each with its version) and in the
 * snapshot; gateway.get / gateway.list answer without the End Key, with the
 * last refusal a data plane reported (gateway.refused, mapd_refusal.c).
 * Contract: anyway-mapd's one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_hex.h"
#include "aw_log.h"
#include "mapd.h"

#define LIST_MAX 4000 /* entries per gateway.list reply: well under the 1 MiB line */

/* The push of one entry (added) or of its removal, with the next version. */
static void
push(struct mapd *md, const struct aw_msg_gateway *g, const uint8_t *del_id)
{
	uint8_t id[1][AW_MSG_PATH_ID_LEN];
	struct aw_msg m = {.has_version = true, .version = ++md->st.version};
	char *line;

	if (g != NULL) {
		m.type = AW_MSG_GATEWAY_ADD;
		m.u.gw_add = (struct aw_msg_gw_add){.n = 1, .e = (struct aw_msg_gateway *)g};
	} else {
		memcpy(id[0], del_id, AW_MSG_PATH_ID_LEN);
		m.type = AW_MSG_GATEWAY_DEL;
		m.u.gw_del = (struct aw_msg_gw_del){.n = 1, .ids = id};
	}
	line = aw_msg_encode(&m); /* m owns nothing here: no aw_msg_free */
	if (line == NULL) {
		aw_log(AW_LOG_ERR, "out of memory building a push");
		return;
	}
	mapd_broadcast(md, line);
	free(line);
}

/* One node, one path (the gateway finds a reply's path by its destination):
 * a node_addr that another path of the map has is refused, unless that path
 * moves to another node in the same message. 0, or -1 with the error sent. */
static int
node_taken(struct mapd *md, struct mapd_client *cl, const struct aw_msg_gw_add *a)
{
	char other[2 * AW_MSG_PATH_ID_LEN + 1], addr[AW_ADDR_STRLEN];
	struct aw_strmap in_msg;
	int rc = 0;

	aw_strmap_init(&in_msg); /* path hex -> its entry in a (the message) */
	for (uint32_t i = 0; i < a->n && rc == 0; i++) {
		aw_hex_encode(a->e[i].path_id, AW_MSG_PATH_ID_LEN, other);
		if (aw_strmap_put(&in_msg, other, &a->e[i]) == &a->e[i]) {
			mapd_client_reply_err(cl, "out of memory");
			rc = -1;
		}
	}
	for (uint32_t i = 0; i < a->n && rc == 0; i++) {
		const struct aw_msg_gateway *owner = mapd_gateway_by_node(&md->st, &a->e[i].node_addr);
		if (owner == NULL ||
		    memcmp(owner->path_id, a->e[i].path_id, AW_MSG_PATH_ID_LEN) == 0)
			continue;
		aw_hex_encode(owner->path_id, AW_MSG_PATH_ID_LEN, other);
		const struct aw_msg_gateway *moved = aw_strmap_get(&in_msg, other);
		if (moved != NULL && !aw_addr_eq(&moved->node_addr, &owner->node_addr))
			continue;
		aw_addr_format(&a->e[i].node_addr, addr, sizeof(addr));
		if (a->batch)
			mapd_client_reply_err(cl, "gateways[%u].node_addr: %s is the node of path %s", i,
					      addr, other);
		else
			mapd_client_reply_err(cl, "node_addr: %s is the node of path %s", addr, other);
		rc = -1;
	}
	aw_strmap_free(&in_msg);
	return rc;
}

/* The entries of one gateway.add as they were before it: for the rollback. */
struct undo {
	bool existed;
	struct aw_msg_gateway old;
};

/* Puts entries 0..n-1 of a back as u says (after a failure at entry n). */
static void
roll_back(struct mapd_state *st, const struct aw_msg_gw_add *a, const struct undo *u, uint32_t n)
{
	bool changed;

	while (n-- > 0) {
		if (u[n].existed)
			mapd_gateway_add(st, &u[n].old, &changed); /* in place: cannot fail */
		else
			mapd_gateway_del(st, a->e[n].path_id);
	}
}

/* gateway.add: all entries of the message or none (out of memory part way:
 * the table is put back and nothing is pushed); then one push per changed
 * entry, in order. */
static void
op_add(struct mapd *md, struct mapd_client *cl, const struct aw_msg_gw_add *a)
{
	char hex[2 * AW_MSG_PATH_ID_LEN + 1];
	struct undo *u = calloc(a->n, sizeof(*u));
	uint32_t changed_n = 0;
	bool changed = false, *ch = calloc(a->n, sizeof(*ch));

	if (u == NULL || ch == NULL)
		goto oom;
	if (node_taken(md, cl, a) != 0)
		goto out;
	for (uint32_t i = 0; i < a->n; i++) {
		aw_hex_encode(a->e[i].path_id, AW_MSG_PATH_ID_LEN, hex);
		const struct aw_msg_gateway *old = aw_strmap_get(&md->st.gateways, hex);
		u[i].existed = old != NULL;
		if (old != NULL)
			u[i].old = *old;
		if (mapd_gateway_add(&md->st, &a->e[i], &ch[i]) < 0) {
			roll_back(&md->st, a, u, i);
			goto oom;
		}
	}
	for (uint32_t i = 0; i < a->n; i++) {
		if (ch[i]) {
			push(md, &a->e[i], NULL);
			changed_n++;
		}
		aw_hex_encode(a->e[i].path_id, AW_MSG_PATH_ID_LEN, hex);
		mapd_refusal_added(md, true, hex, cl->serial, ch[i]);
		changed = ch[i];
	}
	if (a->batch)
		mapd_client_reply_ok(cl, json_pack("{s:I, s:I}", "applied", (json_int_t)a->n,
						   "changed", (json_int_t)changed_n));
	else
		mapd_client_reply_ok(cl, json_pack("{s:s, s:b}", "path_id", hex, "changed", changed));
out:
	free(u);
	free(ch);
	return;
oom:
	free(u);
	free(ch);
	mapd_client_reply_err(cl, "out of memory: no gateway of this message was added");
}

static void
op_del(struct mapd *md, struct mapd_client *cl, const struct aw_msg_gw_del *d)
{
	char hex[2 * AW_MSG_PATH_ID_LEN + 1];
	uint32_t removed = 0;
	bool existed = false;

	for (uint32_t i = 0; i < d->n; i++) {
		existed = mapd_gateway_del(&md->st, d->ids[i]);
		aw_hex_encode(d->ids[i], AW_MSG_PATH_ID_LEN, hex);
		if (existed) {
			push(md, NULL, d->ids[i]);
			removed++;
		}
		mapd_refusal_deleted(md, true, hex);
	}
	if (d->batch)
		mapd_client_reply_ok(cl, json_pack("{s:I}", "removed", (json_int_t)removed));
	else
		mapd_client_reply_ok(cl, json_pack("{s:s, s:b}", "path_id", hex, "existed", existed));
}

/* An entry as shown to admins: never the End Key. */
static json_t *
gateway_public(struct mapd *md, const char *hex, const struct aw_msg_gateway *g, uint64_t now)
{
	json_t *o = aw_msg_gateway_to_json(g, false);

	mapd_refusal_set_json(md, true, hex, o, now);
	return o;
}

/* Refused entries first, then the others, at most LIST_MAX. */
static json_t *
list_json(struct mapd *md)
{
	const struct aw_strmap *t = &md->st.gateways;
	json_t *a = json_array();
	uint64_t now = aw_now_ms();
	size_t left_out = 0;

	for (int pass = 0; pass < 2 && a != NULL; pass++)
		for (size_t i = 0; i < t->cap; i++) {
			const char *hex = t->slots[i].key;

			if (hex == NULL || mapd_refusal_refused(md, true, hex) != (pass == 0))
				continue;
			if (json_array_size(a) >= LIST_MAX)
				left_out++;
			else
				json_array_append_new(a, gateway_public(md, hex, t->slots[i].val, now));
		}
	return json_pack("{s:o, s:I, s:I}", "gateways", a, "total", (json_int_t)t->n, "left_out",
			 (json_int_t)left_out);
}

void
mapd_gateway_op(struct mapd *md, struct mapd_client *cl, const struct aw_msg *m)
{
	char hex[2 * AW_MSG_PATH_ID_LEN + 1];
	const struct aw_msg_gateway *g;

	switch (m->type) {
	case AW_MSG_GATEWAY_ADD:
		op_add(md, cl, &m->u.gw_add);
		break;
	case AW_MSG_GATEWAY_DEL:
		op_del(md, cl, &m->u.gw_del);
		break;
	case AW_MSG_GATEWAY_GET:
		aw_hex_encode(m->u.path_id, AW_MSG_PATH_ID_LEN, hex);
		g = aw_strmap_get(&md->st.gateways, hex);
		if (g == NULL)
			mapd_client_reply_err(cl, "path_id: no gateway %s", hex);
		else
			mapd_client_reply_ok(cl, json_pack("{s:o}", "gateway",
							   gateway_public(md, hex, g, aw_now_ms())));
		break;
	case AW_MSG_GATEWAY_LIST:
		mapd_client_reply_ok(cl, list_json(md));
		break;
	default: /* GATEWAY_REFUSED */
		mapd_refusal_report(md, cl, m);
		break;
	}
}
