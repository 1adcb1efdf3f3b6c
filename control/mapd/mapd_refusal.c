/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd_refusal — relay and gateway entries the data plane refused further
 * down: an agent reports relay.refused / gateway.refused {path_id, error};
 * the map server records the last refusal per entry (who, what, how many times), shows it in relay.list /
 * relay.get, and forwards it to the admin connection that added the relay
 * while that connection is open (control/PROTOCOL.md).
 * Contract: anyway-mapd's one thread. Metadata lives while its entry does:
 * relay.del / gateway.del forget it, a changed add clears the refusal.
 * md->relay_meta and md->gateway_meta are the two tables (same code).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_hex.h"
#include "aw_log.h"
#include "mapd.h"

#define LIST_MAX 4000 /* relays per relay.list reply: ~600 KB, under the 1 MiB line */

struct relay_meta {
	uint64_t added_by; /* client serial of the admin that added it, 0: none */
	uint64_t refusals, refused_at_ms;
	char by[AW_MSG_NAME_MAX + 1];
	char error[AW_MSG_NAME_MAX + 1];
};

static struct relay_meta *
meta_get(struct aw_strmap *meta, const char *hex, bool create)
{
	struct relay_meta *e = aw_strmap_get(meta, hex);

	if (e != NULL || !create)
		return e;
	e = calloc(1, sizeof(*e));
	if (e != NULL && aw_strmap_put(meta, hex, e) == e) {
		free(e);
		e = NULL;
	}
	return e;
}

static struct aw_strmap *
table(struct mapd *md, bool gateway)
{
	return gateway ? &md->gateway_meta : &md->relay_meta;
}

void
mapd_refusal_relay_added(struct mapd *md, const char *hex, uint64_t serial, bool changed)
{
	mapd_refusal_added(md, false, hex, serial, changed);
}

void
mapd_refusal_relay_deleted(struct mapd *md, const char *hex)
{
	mapd_refusal_deleted(md, false, hex);
}

void
mapd_refusal_added(struct mapd *md, bool gateway, const char *hex, uint64_t serial, bool changed)
{
	struct relay_meta *e = meta_get(table(md, gateway), hex, true);

	if (e == NULL)
		return;
	e->added_by = serial;
	if (changed) { /* a new entry: what was refused before may now pass */
		e->refusals = 0;
		e->by[0] = e->error[0] = '\0';
	}
}

void
mapd_refusal_deleted(struct mapd *md, bool gateway, const char *hex)
{
	free(aw_strmap_del(table(md, gateway), hex));
}

void
mapd_refusal_free(struct mapd *md)
{
	for (int g = 0; g < 2; g++) {
		struct aw_strmap *t = table(md, g);

		for (size_t i = 0; i < t->cap; i++)
			if (t->slots[i].key != NULL)
				free(t->slots[i].val);
		aw_strmap_free(t);
	}
}

/* Tell the admin that added the relay, if its connection is still open. */
static void
notify_admin(struct mapd *md, const struct relay_meta *e, const struct aw_msg *m)
{
	for (struct mapd_client *c = md->clients; c != NULL && e->added_by != 0; c = c->next) {
		if (c->serial != e->added_by)
			continue;
		char *line = aw_msg_encode(m);
		if (line != NULL)
			mapd_client_send(c, line);
		free(line);
		return;
	}
}

void
mapd_refusal_report(struct mapd *md, struct mapd_client *cl, const struct aw_msg *m)
{
	char hex[2 * AW_MSG_PATH_ID_LEN + 1];
	struct aw_msg fwd = *m;

	bool gw = m->type == AW_MSG_GATEWAY_REFUSED;
	aw_hex_encode(m->u.refusal.path_id, AW_MSG_PATH_ID_LEN, hex);
	struct relay_meta *e = aw_strmap_get(gw ? &md->st.gateways : &md->st.relays, hex)
				       ? meta_get(table(md, gw), hex, true)
				       : NULL;
	if (e == NULL) {
		mapd_client_reply_ok(cl, json_pack("{s:s, s:b}", "path_id", hex, "recorded", 0));
		return;
	}
	e->refusals++;
	e->refused_at_ms = aw_now_ms();
	snprintf(e->by, sizeof(e->by), "%s", cl->name);
	snprintf(e->error, sizeof(e->error), "%s", m->u.refusal.error);
	aw_log_rl(&md->log_refusal, AW_LOG_WARNING, "%s %s refused by %s: %s", gw ? "gateway" : "relay",
		  hex, cl->name, e->error); /* peer-made */
	snprintf(fwd.u.refusal.by, sizeof(fwd.u.refusal.by), "%s", cl->name);
	notify_admin(md, e, &fwd);
	mapd_client_reply_ok(cl, json_pack("{s:s, s:b}", "path_id", hex, "recorded", 1));
}

void
mapd_refusal_set_json(struct mapd *md, bool gateway, const char *hex, json_t *o, uint64_t now)
{
	const struct relay_meta *e = aw_strmap_get(table(md, gateway), hex);

	if (o != NULL && e != NULL && e->refusals > 0)
		json_object_set_new(o, "refused",
				    json_pack("{s:s, s:s, s:I, s:I}", "by", e->by, "error", e->error,
					      "count", (json_int_t)e->refusals, "age_ms",
					      (json_int_t)(now - e->refused_at_ms)));
}

bool
mapd_refusal_refused(struct mapd *md, bool gateway, const char *hex)
{
	const struct relay_meta *e = aw_strmap_get(table(md, gateway), hex);

	return e != NULL && e->refusals > 0;
}

/* A relay as listed to admins: no tunnel key; "refused" when one was reported. */
static json_t *
relay_public(struct mapd *md, const char *hex, const struct aw_msg_relay *r, uint64_t now)
{
	json_t *o = aw_msg_relay_to_json(r);

	if (o == NULL)
		return NULL;
	json_object_del(o, "tunnel_key");
	mapd_refusal_set_json(md, false, hex, o, now);
	return o;
}

json_t *
mapd_relay_get_json(struct mapd *md, const uint8_t path_id[AW_MSG_PATH_ID_LEN])
{
	char hex[2 * AW_MSG_PATH_ID_LEN + 1];

	aw_hex_encode(path_id, AW_MSG_PATH_ID_LEN, hex);
	const struct aw_msg_relay *r = aw_strmap_get(&md->st.relays, hex);
	return r != NULL ? relay_public(md, hex, r, aw_now_ms()) : NULL;
}

/* Refused relays first, then the others, at most LIST_MAX. */
json_t *
mapd_relay_list_json(struct mapd *md)
{
	const struct aw_strmap *t = &md->st.relays;
	json_t *a = json_array();
	uint64_t now = aw_now_ms();
	size_t left_out = 0;

	for (int pass = 0; pass < 2 && a != NULL; pass++)
		for (size_t i = 0; i < t->cap; i++) {
			const char *hex = t->slots[i].key;
			if (hex == NULL)
				continue;
			bool refused = mapd_refusal_refused(md, false, hex);
			if (refused != (pass == 0))
				continue;
			if (json_array_size(a) >= LIST_MAX)
				left_out++;
			else
				json_array_append_new(a, relay_public(md, hex, t->slots[i].val, now));
		}
	return json_pack("{s:o, s:I, s:I}", "relays", a, "total", (json_int_t)t->n, "left_out",
			 (json_int_t)left_out);
}
