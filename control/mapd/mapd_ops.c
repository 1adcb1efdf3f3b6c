/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd_ops — what anyway-mapd does with each request line (SPEC §7.1): hello,
 * register / deregister, relay.add / relay.del, service.list / service.get,
 * subscriber.list, gateway.* (mapd_gateway.c); and the timers (TTL expiry, pings).
 * Contract: anyway-mapd's one thread. A line is decoded and validated whole
 * (lib/proto) before anything changes; a bad line gets an error reply and the
 * connection stays usable.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_hex.h"
#include "aw_jw.h"
#include "aw_sid.h"
#include "aw_log.h"
#include "mapd.h"
#include "mapd_audit.h"

static void
push_line(struct mapd *md, char *line)
{
	if (line == NULL) {
		aw_log(AW_LOG_ERR, "out of memory building a push");
		return;
	}
	mapd_broadcast(md, line);
	free(line);
}

static void
push_service(const struct mapd_svc *svc, void *arg)
{
	struct mapd *md = arg;

	push_line(md, mapd_push_service(&md->st, svc));
}

/* {"ok":true,"service":URI,"sid":SID,"changed":BOOL}, written as text (the
 * reply to every register: jansson cost ~12,000 instructions here). */
static void
register_reply(struct mapd_client *cl, const char *uri, uint64_t sid_v, bool changed)
{
	struct aw_jw w;
	char sid[AW_SID_STRLEN];

	aw_jw_init(&w);
	aw_jw_lit(&w, "{\"ok\":true,\"service\":");
	aw_jw_str(&w, uri);
	aw_jw_lit(&w, ",\"sid\":\"");
	aw_jw_lit(&w, aw_sid_format(sid_v, sid, sizeof(sid)));
	aw_jw_lit(&w, changed ? "\",\"changed\":true}" : "\",\"changed\":false}");
	mapd_client_send(cl, w.oom ? NULL : w.buf);
	aw_jw_free(&w);
}

static void
op_register(struct mapd *md, struct mapd_client *cl, const struct aw_msg *m)
{
	const struct aw_msg_reg *r = &m->u.reg;
	struct aw_msg_dest d = {.addr = r->addr, .port = r->port, .priority = r->priority,
				.weight = r->weight}; /* for the audit line */
	bool changed = false;

	if (!mapd_acl_may_register(md, cl, m))
		return;
	if (m->type == AW_MSG_REGISTER) {
		if (r->ttl > cl->max_ttl_s)
			cl->max_ttl_s = r->ttl; /* it renews every ttl/3: idle allowance */
		int rc = mapd_register_as(&md->st, r, cl->ident, aw_now_ms(), &changed);
		if (rc != 0) {
			if (rc > 0)
				mapd_client_reply_err(cl, "service: '%s' already has %d destinations",
						      r->service, AW_MSG_MAX_DESTS);
			else
				mapd_client_reply_err(cl, "out of memory");
			return;
		}
	} else {
		const struct mapd_reg *old = mapd_find_reg(&md->st, r);
		if (old != NULL)
			d = old->d; /* what leaves: its priority and weight */
		changed = mapd_deregister(&md->st, r);
	}
	const struct mapd_svc *svc = aw_strmap_get(&md->st.services, r->service);
	/* the SID before a gc may free svc (no second SHA-256 when it is known) */
	uint64_t sid = svc != NULL ? svc->sid : aw_sid_from_uri(r->service, strlen(r->service));
	if (changed && svc != NULL) {
		char f[AW_MSG_URI_MAX + 128];
		push_service(svc, md);
		mapd_audit(md->st.version, mapd_acl_identity(cl), aw_msg_type_name(m->type),
			   mapd_audit_dest(r->service, &d, f, sizeof(f)));
		mapd_gc_service(&md->st, r->service);
	}
	register_reply(cl, r->service, sid, changed);
}

static void
op_relay(struct mapd *md, struct mapd_client *cl, const struct aw_msg *m)
{
	char hex[2 * AW_MSG_PATH_ID_LEN + 1];
	bool changed;

	if (m->type == AW_MSG_RELAY_ADD) {
		if (mapd_relay_add(&md->st, &m->u.relay, &changed) < 0) {
			mapd_client_reply_err(cl, "out of memory");
			return;
		}
		aw_hex_encode(m->u.relay.path_id, AW_MSG_PATH_ID_LEN, hex);
		if (changed) {
			char f[80];
			push_line(md, mapd_push_relay_add(&md->st, &m->u.relay));
			snprintf(f, sizeof(f), " path_id=%s suite=%u", hex, m->u.relay.suite);
			mapd_audit(md->st.version, mapd_acl_identity(cl), "relay.add", f);
		}
		mapd_refusal_relay_added(md, hex, cl->serial, changed);
		mapd_client_reply_ok(cl, json_pack("{s:s, s:b}", "path_id", hex, "changed", changed));
		return;
	}
	changed = mapd_relay_del(&md->st, m->u.path_id);
	aw_hex_encode(m->u.path_id, AW_MSG_PATH_ID_LEN, hex);
	if (changed) {
		char f[64];
		push_line(md, mapd_push_relay_del(&md->st, m->u.path_id));
		snprintf(f, sizeof(f), " path_id=%s", hex);
		mapd_audit(md->st.version, mapd_acl_identity(cl), "relay.del", f);
	}
	mapd_refusal_relay_deleted(md, hex);
	mapd_client_reply_ok(cl, json_pack("{s:s, s:b}", "path_id", hex, "existed", changed));
}

static int
emit_part(const char *line, size_t len, void *arg)
{
	struct mapd_client *cl = arg;

	(void)len;
	return mapd_client_send(cl, line);
}

static void
op_hello(struct mapd *md, struct mapd_client *cl, const struct aw_msg *m)
{
	if (cl->hello) {
		mapd_client_reply_err(cl, "op: hello was already received on this connection");
		return;
	}
	if (!mapd_acl_hello(md, cl, (int)m->u.hello.role, m->u.hello.name))
		return;
	cl->hello = true;
	cl->role = (int)m->u.hello.role;
	snprintf(cl->name, sizeof(cl->name), "%s", m->u.hello.name);
	json_t *reply = json_pack("{s:I, s:s, s:I}", "version", (json_int_t)md->st.version,
				  "instance", md->instance, "uptime_ms",
				  (json_int_t)(aw_now_ms() - md->started_ms));
	if (cl->role != AW_ROLE_SUBSCRIBER) {
		mapd_client_reply_ok(cl, reply);
		return;
	}
	/* the snapshot is queued whole; the bound then applies to what follows it */
	cl->c.out_max = SIZE_MAX;
	if (mapd_client_reply_ok(cl, reply) < 0)
		return;
	if (mapd_snapshot(&md->st, MAPD_PART_BYTES, emit_part, cl) < 0) {
		mapd_client_drop(md, cl, "snapshot could not be queued");
		return;
	}
	/* the member list follows the snapshot (when there is one) */
	if (md->members.n > 0 && mapd_member_send(md, cl) < 0) {
		mapd_client_drop(md, cl, "member list could not be queued");
		return;
	}
	cl->subscribed = true;
	cl->c.out_max = aw_conn_queued(&cl->c) + md->sub_queue_max;
}

static json_t *
subscribers_json(const struct mapd *md, uint64_t now)
{
	json_t *a = json_array();

	for (const struct mapd_client *c = md->clients; c != NULL; c = c->next)
		if (c->subscribed)
			json_array_append_new(
				a, json_pack("{s:s, s:s, s:s, s:I, s:I}", "name", c->name,
					     "identity", mapd_acl_identity(c), "peer", c->peer,
					     "queued_bytes", (json_int_t)aw_conn_queued(&c->c),
					     "connected_ms", (json_int_t)(now - c->since_ms)));
	return a;
}

static void
op_query(struct mapd *md, struct mapd_client *cl, const struct aw_msg *m)
{
	uint64_t now = aw_now_ms();

	if (m->type == AW_MSG_SERVICE_LIST) {
		mapd_client_reply_ok(cl, json_pack("{s:I, s:o}", "version", (json_int_t)md->st.version,
						   "services", mapd_services_json(&md->st, now)));
	} else if (m->type == AW_MSG_SERVICE_GET) {
		const struct mapd_svc *s = aw_strmap_get(&md->st.services, m->u.service);
		if (s == NULL || s->n == 0)
			mapd_client_reply_err(cl, "service: '%s' has no registration", m->u.service);
		else
			mapd_client_reply_ok(cl, json_pack("{s:o}", "service",
							   mapd_service_json(s, now)));
	} else if (m->type == AW_MSG_RELAY_GET) {
		json_t *r = mapd_relay_get_json(md, m->u.path_id);
		char hex[2 * AW_MSG_PATH_ID_LEN + 1];
		aw_hex_encode(m->u.path_id, AW_MSG_PATH_ID_LEN, hex);
		if (r == NULL)
			mapd_client_reply_err(cl, "path_id: no relay %s", hex);
		else
			mapd_client_reply_ok(cl, json_pack("{s:o}", "relay", r));
	} else if (m->type == AW_MSG_RELAY_LIST) {
		mapd_client_reply_ok(cl, mapd_relay_list_json(md));
	} else {
		mapd_client_reply_ok(cl, json_pack("{s:o, s:I, s:o, s:o}", "subscribers",
						   subscribers_json(md, now), "dropped_behind",
						   (json_int_t)md->subscribers_dropped, "limits",
						   mapd_limits_json(md), "acl", mapd_acl_json(md)));
	}
}

/* Which roles may send which op (hello aside). */
static bool
allowed(int role, enum aw_msg_type t)
{
	switch (t) {
	case AW_MSG_REGISTER:
	case AW_MSG_DEREGISTER:
		return role == AW_ROLE_REGISTRAR || role == AW_ROLE_ADMIN;
	case AW_MSG_RELAY_ADD:
	case AW_MSG_RELAY_DEL:
	case AW_MSG_GATEWAY_ADD:
	case AW_MSG_GATEWAY_DEL:
	case AW_MSG_GATEWAY_GET:
	case AW_MSG_GATEWAY_LIST:
		return role == AW_ROLE_ADMIN;
	case AW_MSG_RELAY_REFUSED:
	case AW_MSG_GATEWAY_REFUSED:
		return role == AW_ROLE_SUBSCRIBER;
	case AW_MSG_MEMBER_REGISTER:
	case AW_MSG_MEMBER_DEREGISTER:
		return role == AW_ROLE_SUBSCRIBER || role == AW_ROLE_ADMIN;
	case AW_MSG_MEMBER_LIST:
	case AW_MSG_SERVICE_LIST:
	case AW_MSG_SERVICE_GET:
	case AW_MSG_SUBSCRIBER_LIST:
	case AW_MSG_RELAY_LIST:
	case AW_MSG_RELAY_GET:
	case AW_MSG_PING:
		return true;
	default:
		return false;
	}
}

void
mapd_client_line(struct mapd *md, struct mapd_client *cl, const char *line, size_t len)
{
	char err[AW_MSG_ERRLEN];
	struct aw_msg m;

	cl->requests++;
	if (len == 0)
		return;
	if (aw_msg_decode(line, len, &m, err, sizeof(err)) < 0) {
		mapd_client_reply_err(cl, "%s", err);
		return;
	}
	if (m.type == AW_MSG_HELLO)
		op_hello(md, cl, &m);
	else if (!cl->hello)
		mapd_client_reply_err(cl, "op: expected hello first, got %s", aw_msg_type_name(m.type));
	else if (!allowed(cl->role, m.type))
		mapd_client_reply_err(cl, "op: %s is not allowed for role %s", aw_msg_type_name(m.type),
				      aw_role_name(cl->role));
	else if (!mapd_acl_may_op(md, cl, aw_msg_type_name(m.type)))
		; /* refused, replied */
	else if (m.type == AW_MSG_REGISTER || m.type == AW_MSG_DEREGISTER)
		op_register(md, cl, &m);
	else if (m.type == AW_MSG_RELAY_ADD || m.type == AW_MSG_RELAY_DEL)
		op_relay(md, cl, &m);
	else if (m.type == AW_MSG_RELAY_REFUSED)
		mapd_refusal_report(md, cl, &m);
	else if (m.type >= AW_MSG_GATEWAY_ADD && m.type <= AW_MSG_GATEWAY_REFUSED)
		mapd_gateway_op(md, cl, &m); /* mapd_gateway.c */
	else if (m.type >= AW_MSG_MEMBER_REGISTER && m.type <= AW_MSG_MEMBER_LIST)
		mapd_member_op(md, cl, &m); /* mapd_member.c */
	else if (m.type == AW_MSG_PING)
		mapd_client_reply_ok(cl, json_pack("{s:b}", "pong", 1));
	else
		op_query(md, cl, &m);
	aw_msg_free(&m);
}

int
mapd_tick(struct mapd *md, uint64_t now_ms)
{
	mapd_expire(&md->st, now_ms, push_service, md);
	mapd_member_expire(md, now_ms);
	mapd_limits_scan(md, now_ms);
	if (now_ms >= md->next_ping_ms) {
		mapd_broadcast(md, "{\"op\":\"ping\"}");
		md->next_ping_ms = now_ms + MAPD_PING_MS;
	}
	uint64_t next = md->next_ping_ms;
	if (md->st.next_expiry_ms < next)
		next = md->st.next_expiry_ms;
	if (md->members.next_expiry_ms < next)
		next = md->members.next_expiry_ms;
	if (md->next_scan_ms < next)
		next = md->next_scan_ms;
	return next <= now_ms ? 0 : (int)(next - now_ms);
}
