/* SPDX-License-Identifier: BSD-3-Clause */
/* aw_msg encode: struct aw_msg to one compact JSON line (see aw_msg.h). */
#include "aw_hex.h"
#include "aw_msg_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *
juint(uint64_t x)
{
	return json_integer((json_int_t)x);
}

static json_t *
jhex(const uint8_t *b, size_t n)
{
	char buf[2 * AW_MSG_TUNNEL_KEY_LEN + 1];

	aw_hex_encode(b, n, buf);
	return json_string(buf);
}

static json_t *
jaddr(const struct aw_addr *a)
{
	char buf[AW_ADDR_STRLEN];

	return json_string(aw_addr_format(a, buf, sizeof(buf)));
}

static json_t *
jsid(uint64_t sid)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(sid >> (56 - 8 * i));
	return jhex(b, sizeof(b));
}

/* Set o[k] = v (stolen); nonzero when o or v is NULL or out of memory. */
static int
set(json_t *o, const char *k, json_t *v)
{
	if (o == NULL) {
		json_decref(v);
		return -1;
	}
	return json_object_set_new(o, k, v) != 0;
}

json_t *
aw_msg_dests_to_json(const struct aw_msg_dest *d, uint32_t n)
{
	json_t *arr = json_array();
	int bad = arr == NULL;

	for (uint32_t i = 0; i < n && !bad; i++) {
		json_t *o = json_object();

		bad |= set(o, "addr", jaddr(&d[i].addr));
		bad |= set(o, "port", juint(d[i].port));
		bad |= set(o, "priority", juint(d[i].priority));
		bad |= set(o, "weight", juint(d[i].weight));
		bad |= json_array_append_new(arr, o) != 0;
	}
	if (bad) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/* Relay members into o (which may already hold "op" and "version"). */
static int
relay_set(json_t *o, const struct aw_msg_relay *r)
{
	int bad = 0;

	bad |= set(o, "path_id", jhex(r->path_id, AW_MSG_PATH_ID_LEN));
	bad |= set(o, "tunnel_key", jhex(r->tunnel_key, AW_MSG_TUNNEL_KEY_LEN));
	bad |= set(o, "suite", juint(r->suite));
	bad |= set(o, "idle_timeout_s", juint(r->idle_timeout_s));
	bad |= set(o, "bind_timeout_s", juint(r->bind_timeout_s));
	if (r->has_rate) {
		json_t *rate = json_object();

		bad |= set(rate, "pps", juint(r->rate.pps));
		bad |= set(rate, "bps", juint(r->rate.bps));
		bad |= set(rate, "burst", juint(r->rate.burst));
		bad |= set(o, "rate", rate);
	}
	return bad;
}

json_t *
aw_msg_relay_to_json(const struct aw_msg_relay *r)
{
	json_t *o = json_object();

	if (o == NULL || relay_set(o, r) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
svc_set(json_t *o, const struct aw_msg_svc *s)
{
	int bad = 0;

	bad |= set(o, "service", json_string(s->service));
	bad |= set(o, "sid", jsid(s->sid));
	bad |= set(o, "destinations", aw_msg_dests_to_json(s->dests, s->n_dests));
	return bad;
}

static int
snapshot_set(json_t *o, const struct aw_msg_snapshot *s)
{
	json_t *services = json_array(), *relays = json_array();
	int bad = 0;

	for (uint32_t i = 0; i < s->n_services && services != NULL && !bad; i++) {
		json_t *e = json_object();

		bad |= svc_set(e, &s->services[i]);
		bad |= json_array_append_new(services, e) != 0;
	}
	for (uint32_t i = 0; i < s->n_relays && relays != NULL && !bad; i++)
		bad |= json_array_append_new(relays, aw_msg_relay_to_json(&s->relays[i])) != 0;
	bad |= set(o, "services", services);
	bad |= set(o, "relays", relays);
	if (s->n_gateways > 0) {
		json_t *gws = json_array();

		for (uint32_t i = 0; i < s->n_gateways && gws != NULL && !bad; i++)
			bad |= json_array_append_new(gws, aw_msg_gateway_to_json(&s->gateways[i],
										  true)) != 0;
		bad |= set(o, "gateways", gws);
	}
	if (s->more)
		bad |= set(o, "more", json_true());
	return bad;
}

static int
reg_set(json_t *o, const struct aw_msg_reg *r, bool full)
{
	int bad = 0;

	bad |= set(o, "service", json_string(r->service));
	bad |= set(o, "addr", jaddr(&r->addr));
	bad |= set(o, "port", juint(r->port));
	bad |= set(o, "priority", juint(r->priority));
	bad |= set(o, "weight", juint(r->weight));
	if (full || r->ttl != 0)
		bad |= set(o, "ttl", juint(r->ttl));
	return bad;
}

/* The reply object: "ok" first, then data's members or "error". */
static json_t *
reply_json(const struct aw_msg_reply *r)
{
	json_t *o = json_object();
	int bad = set(o, "ok", json_boolean(r->ok));

	if (r->ok && r->data != NULL)
		bad |= json_object_update(o, r->data) != 0;
	if (!r->ok)
		bad |= set(o, "error", json_string(r->error ? r->error : ""));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The members after "op" (and "version"). */
static int
body_set(json_t *o, const struct aw_msg *m)
{
	switch (m->type) {
	case AW_MSG_HELLO:
		return set(o, "role", json_string(aw_role_name(m->u.hello.role) ?: "?")) |
		       set(o, "name", json_string(m->u.hello.name));
	case AW_MSG_REGISTER:
	case AW_MSG_DEREGISTER:
		return reg_set(o, &m->u.reg, m->type == AW_MSG_REGISTER);
	case AW_MSG_RELAY_ADD:
		return relay_set(o, &m->u.relay);
	case AW_MSG_GATEWAY_ADD:
	case AW_MSG_GATEWAY_DEL:
		return aw_msg_gateway_body_set(o, m);
	case AW_MSG_RELAY_DEL:
	case AW_MSG_RELAY_GET:
	case AW_MSG_GATEWAY_GET:
		return set(o, "path_id", jhex(m->u.path_id, AW_MSG_PATH_ID_LEN));
	case AW_MSG_RELAY_REFUSED:
	case AW_MSG_GATEWAY_REFUSED:
		return set(o, "path_id", jhex(m->u.refusal.path_id, AW_MSG_PATH_ID_LEN)) |
		       set(o, "error", json_string(m->u.refusal.error)) |
		       (m->u.refusal.by[0] ? set(o, "by", json_string(m->u.refusal.by)) : 0);
	case AW_MSG_SERVICE_GET:
		return set(o, "service", json_string(m->u.service));
	case AW_MSG_SERVICE:
		return svc_set(o, &m->u.svc);
	case AW_MSG_SNAPSHOT:
		return snapshot_set(o, &m->u.snapshot);
	case AW_MSG_MEMBER_REGISTER:
	case AW_MSG_MEMBER_DEREGISTER:
		return aw_msg_member_body_set(o, m);
	default:
		return 0;
	}
}

static json_t *
msg_json(const struct aw_msg *m)
{
	json_t *o;
	int bad;

	if (m->type == AW_MSG_REPLY)
		return reply_json(&m->u.reply);
	if ((unsigned)m->type >= AW_MSG_REPLY)
		return NULL;
	o = json_object();
	bad = set(o, "op", json_string(aw_msg_type_name(m->type)));
	if (m->has_version || m->type == AW_MSG_SNAPSHOT || m->type == AW_MSG_SERVICE)
		bad |= set(o, "version", juint(m->version));
	bad |= body_set(o, m);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *
aw_msg_encode(const struct aw_msg *m)
{
	json_t *o = msg_json(m);
	char *s;

	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

char *
aw_msg_reply_ok(const json_t *data)
{
	struct aw_msg m = {.type = AW_MSG_REPLY};

	m.u.reply.ok = true;
	m.u.reply.data = (json_t *)data; /* read only: reply_json copies members */
	return aw_msg_encode(&m);
}

char *
aw_msg_reply_error(const char *fmt, ...)
{
	struct aw_msg m = {.type = AW_MSG_REPLY};
	char raw[512], safe[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	aw_msg_sanitize(raw, safe, sizeof(safe));
	m.u.reply.error = safe;
	return aw_msg_encode(&m);
}
