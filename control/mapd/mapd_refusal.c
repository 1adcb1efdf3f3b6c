/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd_refusal — relay entries the data plane refused further down: an agent
 * reports relay.refused {path_id, error}; the map server records the last
 * refusal per relay (who, what, how many times), shows it in relay.list /
 * relay.get, and forwards it to the admin connection that added the relay
 * while that connection is open (control/PROTOCOL.md).
 * Contract: anyway-mapd's one thread. Metadata lives while its relay does:
 * relay.del forgets it, a changed relay.add clears the refusal.
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
meta_get(struct mapd *md, const char *hex, bool create)
{
	struct relay_meta *e = aw_strmap_get(&md->relay_meta, hex);

	if (e != NULL || !create)
		return e;
	e = calloc(1, sizeof(*e));
	if (e != NULL && aw_strmap_put(&md->relay_meta, hex, e) == e) {
		free(e);
		e = NULL;
	}
	return e;
}

void
mapd_refusal_relay_added(struct mapd *md, const char *hex, uint64_t serial, bool changed)
{
	struct relay_meta *e = meta_get(md, hex, true);

	if (e == NULL)
		return;
	e->added_by = serial;
	if (changed) { /* a new entry: what was refused before may now pass */
		e->refusals = 0;
		e->by[0] = e->error[0] = '\0';
	}
}

void
mapd_refusal_relay_deleted(struct mapd *md, const char *hex)
{
	free(aw_strmap_del(&md->relay_meta, hex));
}

void
mapd_refusal_free(struct mapd *md)
{
	for (size_t i = 0; i < md->relay_meta.cap; i++)
		if (md->relay_meta.slots[i].key != NULL)
			free(md->relay_meta.slots[i].val);
	aw_strmap_free(&md->relay_meta);
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

	aw_hex_encode(m->u.refusal.path_id, AW_MSG_PATH_ID_LEN, hex);
	struct relay_meta *e = aw_strmap_get(&md->st.relays, hex) ? meta_get(md, hex, true) : NULL;
	if (e == NULL) {
		mapd_client_reply_ok(cl, json_pack("{s:s, s:b}", "path_id", hex, "recorded", 0));
		return;
	}
	e->refusals++;
	e->refused_at_ms = aw_now_ms();
	snprintf(e->by, sizeof(e->by), "%s", cl->name);
	snprintf(e->error, sizeof(e->error), "%s", m->u.refusal.error);
	aw_log_rl(&md->log_refusal, AW_LOG_WARNING, "relay %s refused by %s: %s", hex, cl->name,
		  e->error); /* peer-made */
	snprintf(fwd.u.refusal.by, sizeof(fwd.u.refusal.by), "%s", cl->name);
	notify_admin(md, e, &fwd);
	mapd_client_reply_ok(cl, json_pack("{s:s, s:b}", "path_id", hex, "recorded", 1));
}

/* A relay as listed to admins: no tunnel key; "refused" when one was reported. */
static json_t *
relay_public(struct mapd *md, const char *hex, const struct aw_msg_relay *r, uint64_t now)
{
	json_t *o = aw_msg_relay_to_json(r);
	const struct relay_meta *e = aw_strmap_get(&md->relay_meta, hex);

	if (o == NULL)
		return NULL;
	json_object_del(o, "tunnel_key");
	if (e != NULL && e->refusals > 0)
		json_object_set_new(o, "refused",
				    json_pack("{s:s, s:s, s:I, s:I}", "by", e->by, "error", e->error,
					      "count", (json_int_t)e->refusals, "age_ms",
					      (json_int_t)(now - e->refused_at_ms)));
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
			const struct relay_meta *e = aw_strmap_get(&md->relay_meta, hex);
			bool refused = e != NULL && e->refusals > 0;
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
