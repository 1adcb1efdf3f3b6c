/* SPDX-License-Identifier: BSD-3-Clause */
/* aw_msg: names, init, free, equality (see aw_msg.h). */
#include "aw_msg_priv.h"

#include <stdlib.h>
#include <string.h>

static const char *const type_names[AW_MSG__COUNT] = {
#define TYPE_NAME(e, s) [AW_MSG_##e] = s,
	AW_MSG_OPS(TYPE_NAME)
#undef TYPE_NAME
	[AW_MSG_REPLY] = "reply",
};

static const char *const role_names[AW_ROLE__COUNT] = {
#define ROLE_NAME(e, s) [AW_ROLE_##e] = s,
	AW_ROLES(ROLE_NAME)
#undef ROLE_NAME
};

const char *
aw_msg_type_name(enum aw_msg_type t)
{
	return (unsigned)t < AW_MSG__COUNT ? type_names[t] : NULL;
}

const char *
aw_role_name(enum aw_role r)
{
	return (unsigned)r < AW_ROLE__COUNT ? role_names[r] : NULL;
}

void
aw_msg_init(struct aw_msg *m, enum aw_msg_type type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	if (type == AW_MSG_RELAY_ADD) {
		m->u.relay.idle_timeout_s = AW_MSG_IDLE_TIMEOUT_DEFAULT;
		m->u.relay.bind_timeout_s = AW_MSG_BIND_TIMEOUT_DEFAULT;
	}
	if (type == AW_MSG_SNAPSHOT || type == AW_MSG_SERVICE)
		m->has_version = true;
}

void
aw_msg_free(struct aw_msg *m)
{
	switch (m->type) {
	case AW_MSG_SERVICE:
		free(m->u.svc.dests);
		break;
	case AW_MSG_SNAPSHOT:
		for (uint32_t i = 0; m->u.snapshot.services && i < m->u.snapshot.n_services; i++)
			free(m->u.snapshot.services[i].dests);
		free(m->u.snapshot.services);
		free(m->u.snapshot.relays);
		free(m->u.snapshot.gateways);
		break;
	case AW_MSG_GATEWAY_ADD:
		free(m->u.gw_add.e);
		break;
	case AW_MSG_GATEWAY_DEL:
		free(m->u.gw_del.ids);
		break;
	case AW_MSG_REPLY:
		free(m->u.reply.error);
		json_decref(m->u.reply.data);
		break;
	default:
		break;
	}
	memset(m, 0, sizeof(*m));
}

static bool
svc_equal(const struct aw_msg_svc *a, const struct aw_msg_svc *b)
{
	return strcmp(a->service, b->service) == 0 && a->sid == b->sid &&
	       a->n_dests == b->n_dests && aw_msg_dests_equal(a->dests, b->dests, a->n_dests);
}

bool
aw_msg_relay_equal(const struct aw_msg_relay *a, const struct aw_msg_relay *b)
{
	if (memcmp(a->path_id, b->path_id, sizeof(a->path_id)) != 0 ||
	    memcmp(a->tunnel_key, b->tunnel_key, sizeof(a->tunnel_key)) != 0 ||
	    a->suite != b->suite || a->idle_timeout_s != b->idle_timeout_s ||
	    a->bind_timeout_s != b->bind_timeout_s || a->has_rate != b->has_rate)
		return false;
	return !a->has_rate || (a->rate.pps == b->rate.pps && a->rate.bps == b->rate.bps &&
				a->rate.burst == b->rate.burst);
}

static bool
snapshot_equal(const struct aw_msg_snapshot *a, const struct aw_msg_snapshot *b)
{
	if (a->n_services != b->n_services || a->n_relays != b->n_relays ||
	    a->n_gateways != b->n_gateways || a->more != b->more)
		return false;
	for (uint32_t i = 0; i < a->n_gateways; i++)
		if (!aw_msg_gateway_equal(&a->gateways[i], &b->gateways[i]))
			return false;
	for (uint32_t i = 0; i < a->n_services; i++)
		if (!svc_equal(&a->services[i], &b->services[i]))
			return false;
	for (uint32_t i = 0; i < a->n_relays; i++)
		if (!aw_msg_relay_equal(&a->relays[i], &b->relays[i]))
			return false;
	return true;
}

static bool
reply_equal(const struct aw_msg_reply *a, const struct aw_msg_reply *b)
{
	if (a->ok != b->ok)
		return false;
	if (!a->ok)
		return a->error && b->error && strcmp(a->error, b->error) == 0;
	if (a->data == NULL || b->data == NULL)
		return json_object_size(a->data) == 0 && json_object_size(b->data) == 0;
	return json_equal(a->data, b->data);
}

static bool
reg_equal(const struct aw_msg_reg *a, const struct aw_msg_reg *b)
{
	return strcmp(a->service, b->service) == 0 && aw_addr_eq(&a->addr, &b->addr) &&
	       a->port == b->port && a->priority == b->priority && a->weight == b->weight &&
	       a->ttl == b->ttl;
}

bool
aw_msg_equal(const struct aw_msg *a, const struct aw_msg *b)
{
	if (a->type != b->type || a->has_version != b->has_version ||
	    (a->has_version && a->version != b->version))
		return false;
	switch (a->type) {
	case AW_MSG_HELLO:
		return a->u.hello.role == b->u.hello.role &&
		       strcmp(a->u.hello.name, b->u.hello.name) == 0;
	case AW_MSG_REGISTER:
	case AW_MSG_DEREGISTER:
		return reg_equal(&a->u.reg, &b->u.reg);
	case AW_MSG_RELAY_ADD:
		return aw_msg_relay_equal(&a->u.relay, &b->u.relay);
	case AW_MSG_RELAY_DEL:
	case AW_MSG_RELAY_GET:
	case AW_MSG_GATEWAY_GET:
		return memcmp(a->u.path_id, b->u.path_id, sizeof(a->u.path_id)) == 0;
	case AW_MSG_GATEWAY_ADD:
		if (a->u.gw_add.batch != b->u.gw_add.batch || a->u.gw_add.n != b->u.gw_add.n)
			return false;
		for (uint32_t i = 0; i < a->u.gw_add.n; i++)
			if (!aw_msg_gateway_equal(&a->u.gw_add.e[i], &b->u.gw_add.e[i]))
				return false;
		return true;
	case AW_MSG_GATEWAY_DEL:
		return a->u.gw_del.batch == b->u.gw_del.batch && a->u.gw_del.n == b->u.gw_del.n &&
		       (a->u.gw_del.n == 0 ||
			memcmp(a->u.gw_del.ids, b->u.gw_del.ids,
			       a->u.gw_del.n * sizeof(*a->u.gw_del.ids)) == 0);
	case AW_MSG_RELAY_REFUSED:
	case AW_MSG_GATEWAY_REFUSED:
		return memcmp(a->u.refusal.path_id, b->u.refusal.path_id, AW_MSG_PATH_ID_LEN) == 0 &&
		       strcmp(a->u.refusal.error, b->u.refusal.error) == 0 &&
		       strcmp(a->u.refusal.by, b->u.refusal.by) == 0;
	case AW_MSG_SERVICE_GET:
		return strcmp(a->u.service, b->u.service) == 0;
	case AW_MSG_SERVICE:
		return svc_equal(&a->u.svc, &b->u.svc);
	case AW_MSG_SNAPSHOT:
		return snapshot_equal(&a->u.snapshot, &b->u.snapshot);
	case AW_MSG_REPLY:
		return reply_equal(&a->u.reply, &b->u.reply);
	case AW_MSG_MEMBER_REGISTER:
	case AW_MSG_MEMBER_DEREGISTER:
		return strcmp(a->u.member.id, b->u.member.id) == 0 &&
		       aw_addr_eq(&a->u.member.addr, &b->u.member.addr) &&
		       a->u.member.state == b->u.member.state && a->u.member.ttl == b->u.member.ttl;
	default:
		return true;
	}
}
