/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_hex.h"
#include "mapd_state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_jw.h"
#include "aw_sid.h"


void
mapd_state_init(struct mapd_state *st)
{
	aw_strmap_init(&st->services);
	aw_strmap_init(&st->relays);
	aw_strmap_init(&st->gateways);
	aw_strmap_init(&st->gw_nodes);
	st->version = 0;
	st->next_expiry_ms = UINT64_MAX;
}

void
mapd_state_free(struct mapd_state *st)
{
	for (size_t i = 0; i < st->services.cap; i++)
		if (st->services.slots[i].key != NULL) {
			struct mapd_svc *s = st->services.slots[i].val;
			free(s->regs);
			free(s);
		}
	for (size_t i = 0; i < st->relays.cap; i++)
		if (st->relays.slots[i].key != NULL)
			free(st->relays.slots[i].val);
	aw_strmap_free(&st->services);
	aw_strmap_free(&st->relays);
	mapd_gateways_free(st);
}

static int
find_reg(const struct mapd_svc *s, const struct aw_addr *addr, uint16_t port)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->regs[i].d.port == port && aw_addr_eq(&s->regs[i].d.addr, addr))
			return (int)i;
	return -1;
}

static void
owner_hook(struct mapd_state *st, const struct mapd_svc *s, const struct mapd_reg *r, int delta,
	   bool expired)
{
	if (st->owner_hook != NULL)
		st->owner_hook(st->hook_arg, s->uri, r, delta, expired);
}

static void
remove_reg(struct mapd_state *st, struct mapd_svc *s, uint32_t i, bool expired)
{
	struct mapd_reg gone = s->regs[i];

	memmove(&s->regs[i], &s->regs[i + 1], (s->n - i - 1) * sizeof(s->regs[0]));
	s->n--;
	owner_hook(st, s, &gone, -1, expired);
}

/* Insert keeping the order. */
static int
insert_reg(struct mapd_svc *s, const struct mapd_reg *r)
{
	uint32_t i = 0;

	if (s->n == s->cap) {
		uint32_t ncap = s->cap ? s->cap * 2 : 4;
		struct mapd_reg *p = realloc(s->regs, ncap * sizeof(*p));
		if (p == NULL)
			return -1;
		s->regs = p;
		s->cap = ncap;
	}
	while (i < s->n && aw_msg_dest_cmp(&s->regs[i].d, &r->d) < 0)
		i++;
	memmove(&s->regs[i + 1], &s->regs[i], (s->n - i) * sizeof(s->regs[0]));
	s->regs[i] = *r;
	s->n++;
	return 0;
}

int
mapd_register(struct mapd_state *st, const struct aw_msg_reg *r, uint64_t now_ms, bool *changed)
{
	return mapd_register_as(st, r, NULL, now_ms, changed);
}

const struct mapd_reg *
mapd_find_reg(const struct mapd_state *st, const struct aw_msg_reg *r)
{
	const struct mapd_svc *s = aw_strmap_get(&st->services, r->service);
	int i = s ? find_reg(s, &r->addr, r->port) : -1;

	return i < 0 ? NULL : &s->regs[i];
}

int
mapd_register_as(struct mapd_state *st, const struct aw_msg_reg *r, void *owner, uint64_t now_ms,
		 bool *changed)
{
	struct mapd_svc *s = aw_strmap_get(&st->services, r->service);
	struct mapd_reg reg = {
		.d = {.addr = r->addr, .port = r->port, .priority = r->priority, .weight = r->weight},
		.expires_ms = now_ms + (uint64_t)r->ttl * 1000u,
		.owner = owner,
	};

	*changed = false;
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return -1;
		snprintf(s->uri, sizeof(s->uri), "%s", r->service);
		s->sid = aw_sid_from_uri(s->uri, strlen(s->uri));
		if (aw_strmap_put(&st->services, s->uri, s) == s) {
			free(s);
			return -1;
		}
	}
	int i = find_reg(s, &r->addr, r->port);
	if (i < 0 && s->n >= AW_MSG_MAX_DESTS)
		return 1; /* a pushed list holds at most AW_MSG_MAX_DESTS */
	if (i >= 0 && aw_msg_dest_equal(&s->regs[i].d, &reg.d)) {
		s->regs[i].expires_ms = reg.expires_ms; /* a renewal */
	} else {
		if (i >= 0)
			remove_reg(st, s, (uint32_t)i, false);
		if (insert_reg(s, &reg) < 0)
			return -1;
		owner_hook(st, s, &reg, +1, false);
		*changed = true;
	}
	if (reg.expires_ms < st->next_expiry_ms)
		st->next_expiry_ms = reg.expires_ms;
	return 0;
}

bool
mapd_deregister(struct mapd_state *st, const struct aw_msg_reg *r)
{
	struct mapd_svc *s = aw_strmap_get(&st->services, r->service);
	int i = s ? find_reg(s, &r->addr, r->port) : -1;

	if (i < 0)
		return false;
	remove_reg(st, s, (uint32_t)i, false);
	return true;
}

void
mapd_gc_service(struct mapd_state *st, const char *uri)
{
	struct mapd_svc *s = aw_strmap_get(&st->services, uri);

	if (s != NULL && s->n == 0) {
		aw_strmap_del(&st->services, uri);
		free(s->regs);
		free(s);
	}
}

void
mapd_expire(struct mapd_state *st, uint64_t now_ms,
	    void (*push)(const struct mapd_svc *svc, void *arg), void *arg)
{
	uint64_t next = UINT64_MAX;
	char **gone = NULL;
	size_t n_gone = 0;

	if (now_ms < st->next_expiry_ms)
		return;
	for (size_t i = 0; i < st->services.cap; i++) {
		struct mapd_svc *s = st->services.slots[i].val;
		bool changed = false;

		if (st->services.slots[i].key == NULL)
			continue;
		for (uint32_t j = 0; j < s->n;) {
			if (s->regs[j].expires_ms <= now_ms) {
				remove_reg(st, s, j, true);
				changed = true;
				continue;
			}
			if (s->regs[j].expires_ms < next)
				next = s->regs[j].expires_ms;
			j++;
		}
		if (changed)
			push(s, arg);
		if (s->n == 0) {
			char **g = realloc(gone, (n_gone + 1) * sizeof(*g));
			if (g != NULL) {
				gone = g;
				gone[n_gone++] = s->uri;
			}
		}
	}
	for (size_t i = 0; i < n_gone; i++)
		mapd_gc_service(st, gone[i]);
	free(gone);
	st->next_expiry_ms = next;
}

int
mapd_relay_add(struct mapd_state *st, const struct aw_msg_relay *r, bool *changed)
{
	char key[2 * AW_MSG_PATH_ID_LEN + 1];
	struct aw_msg_relay *old, *e;

	aw_hex_encode(r->path_id, AW_MSG_PATH_ID_LEN, key);
	old = aw_strmap_get(&st->relays, key);
	*changed = old == NULL || !aw_msg_relay_equal(old, r);
	if (old != NULL) {
		*old = *r;
		return 0;
	}
	e = malloc(sizeof(*e));
	if (e == NULL)
		return -1;
	*e = *r;
	if (aw_strmap_put(&st->relays, key, e) == e) {
		free(e);
		return -1;
	}
	return 0;
}

bool
mapd_relay_del(struct mapd_state *st, const uint8_t path_id[AW_MSG_PATH_ID_LEN])
{
	char key[2 * AW_MSG_PATH_ID_LEN + 1];

	aw_hex_encode(path_id, AW_MSG_PATH_ID_LEN, key);
	struct aw_msg_relay *e = aw_strmap_del(&st->relays, key);
	free(e);
	return e != NULL;
}

static const char *
node_key(const struct aw_addr *a, char buf[AW_ADDR_STRLEN])
{
	return aw_addr_format(a, buf, AW_ADDR_STRLEN);
}

/* Forget e's node unless another entry took it meanwhile (a swap in one batch). */
static void
node_forget(struct mapd_state *st, const struct aw_msg_gateway *e)
{
	char nk[AW_ADDR_STRLEN];

	if (aw_strmap_get(&st->gw_nodes, node_key(&e->node_addr, nk)) == e)
		aw_strmap_del(&st->gw_nodes, nk);
}

const struct aw_msg_gateway *
mapd_gateway_by_node(const struct mapd_state *st, const struct aw_addr *node)
{
	char nk[AW_ADDR_STRLEN];

	return aw_strmap_get(&st->gw_nodes, node_key(node, nk));
}

int
mapd_gateway_add(struct mapd_state *st, const struct aw_msg_gateway *g, bool *changed)
{
	char key[2 * AW_MSG_PATH_ID_LEN + 1], nk[AW_ADDR_STRLEN];
	struct aw_msg_gateway *old, *e;

	aw_hex_encode(g->path_id, AW_MSG_PATH_ID_LEN, key);
	old = aw_strmap_get(&st->gateways, key);
	*changed = old == NULL || !aw_msg_gateway_equal(old, g);
	if (old != NULL) {
		if (!aw_addr_eq(&old->node_addr, &g->node_addr)) {
			/* the new node key cannot map to old yet: old back = out of memory */
			if (aw_strmap_put(&st->gw_nodes, node_key(&g->node_addr, nk), old) == old)
				return -1;
			node_forget(st, old); /* still under its former node_addr */
		}
		*old = *g;
		return 0;
	}
	e = malloc(sizeof(*e));
	if (e == NULL)
		return -1;
	*e = *g;
	if (aw_strmap_put(&st->gateways, key, e) == e) {
		free(e);
		return -1;
	}
	if (aw_strmap_put(&st->gw_nodes, node_key(&g->node_addr, nk), e) == e) {
		aw_strmap_del(&st->gateways, key);
		free(e);
		return -1;
	}
	return 0;
}

bool
mapd_gateway_del(struct mapd_state *st, const uint8_t path_id[AW_MSG_PATH_ID_LEN])
{
	char key[2 * AW_MSG_PATH_ID_LEN + 1];

	aw_hex_encode(path_id, AW_MSG_PATH_ID_LEN, key);
	struct aw_msg_gateway *e = aw_strmap_del(&st->gateways, key);
	if (e != NULL)
		node_forget(st, e);
	free(e);
	return e != NULL;
}

void
mapd_gateways_free(struct mapd_state *st)
{
	for (size_t i = 0; i < st->gateways.cap; i++)
		if (st->gateways.slots[i].key != NULL)
			free(st->gateways.slots[i].val);
	aw_strmap_free(&st->gateways);
	aw_strmap_free(&st->gw_nodes);
}

json_t *
mapd_dests_json(const struct mapd_svc *svc)
{
	struct aw_msg_dest *d = malloc((svc->n ? svc->n : 1) * sizeof(*d));
	json_t *a;

	if (d == NULL)
		return NULL;
	for (uint32_t i = 0; i < svc->n; i++)
		d[i] = svc->regs[i].d;
	a = aw_msg_dests_to_json(d, svc->n);
	free(d);
	return a;
}

json_t *
mapd_svc_json(const struct mapd_svc *svc)
{
	char sid[17];

	snprintf(sid, sizeof(sid), "%016" PRIx64, svc->sid);
	return json_pack("{s:s, s:s, s:o*}", "service", svc->uri, "sid", sid, "destinations",
			 mapd_dests_json(svc));
}

static char *
dump_op(const char *op, uint64_t version, json_t *body)
{
	json_t *o = json_pack("{s:s, s:I}", "op", op, "version", (json_int_t)version);
	char *line = NULL;

	if (o != NULL && body != NULL && json_object_update(o, body) == 0)
		line = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	json_decref(body);
	return line;
}

char *
mapd_push_service(struct mapd_state *st, const struct mapd_svc *svc)
{
	/* written as text: the jansson object and its dump cost ~28,000
	 * instructions per push, most of the map server's work per register */
	struct aw_jw w;
	char sid[AW_SID_STRLEN];

	aw_jw_init(&w);
	aw_jw_lit(&w, "{\"op\":\"service\",\"version\":");
	aw_jw_u64(&w, ++st->version);
	aw_jw_lit(&w, ",\"service\":");
	aw_jw_str(&w, svc->uri);
	aw_jw_lit(&w, ",\"sid\":\"");
	aw_jw_lit(&w, aw_sid_format(svc->sid, sid, sizeof(sid)));
	aw_jw_lit(&w, "\",\"destinations\":[");
	for (uint32_t i = 0; i < svc->n; i++) {
		const struct aw_msg_dest *d = &svc->regs[i].d;

		if (i)
			aw_jw_lit(&w, ",");
		aw_jw_dest(&w, &d->addr, d->port, d->priority, d->weight);
	}
	aw_jw_lit(&w, "]}");
	if (w.oom) {
		aw_jw_free(&w);
		return NULL;
	}
	return w.buf;
}

char *
mapd_push_relay_add(struct mapd_state *st, const struct aw_msg_relay *r)
{
	return dump_op("relay.add", ++st->version, aw_msg_relay_to_json(r));
}

char *
mapd_push_relay_del(struct mapd_state *st, const uint8_t path_id[AW_MSG_PATH_ID_LEN])
{
	char hex[2 * AW_MSG_PATH_ID_LEN + 1];

	aw_hex_encode(path_id, AW_MSG_PATH_ID_LEN, hex);
	return dump_op("relay.del", ++st->version, json_pack("{s:s}", "path_id", hex));
}
