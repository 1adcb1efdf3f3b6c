/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd_snapshot — the snapshot a new subscriber gets (services, relays, and
 * gateways when there are any; in parts when it would not fit one line) and
 * the answers to service.list / service.get.
 * Contract: as mapd_state.h (anyway-mapd's one thread).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mapd_state.h"

struct part {
	json_t *services, *relays, *gateways;
	size_t est; /* estimated bytes of the part */
	uint64_t version;
	int (*emit)(const char *line, size_t len, void *arg);
	void *arg;
};

static int
part_reset(struct part *p)
{
	p->services = json_array();
	p->relays = json_array();
	p->gateways = json_array();
	p->est = 64;
	return p->services && p->relays && p->gateways ? 0 : -1;
}

static int
part_emit(struct part *p, bool more)
{
	json_t *o = json_pack("{s:s, s:I, s:o, s:o}", "op", "snapshot", "version",
			      (json_int_t)p->version, "services", p->services, "relays", p->relays);
	char *line = NULL;
	int rc = -1;

	p->services = p->relays = NULL;
	if (o != NULL && json_array_size(p->gateways) > 0 &&
	    json_object_set(o, "gateways", p->gateways) != 0) {
		json_decref(o);
		o = NULL;
	}
	json_decref(p->gateways);
	p->gateways = NULL;
	if (o != NULL && (!more || json_object_set_new(o, "more", json_true()) == 0))
		line = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (line != NULL)
		rc = p->emit(line, strlen(line), p->arg);
	free(line);
	return rc;
}

/* Append v (stolen) to arr, first emitting the part when v would not fit. */
static int
part_add(struct part *p, json_t *v, json_t **arr, size_t est, size_t part_bytes)
{
	if (v == NULL)
		return -1;
	if (p->est + est > part_bytes && p->est > 64) {
		if (part_emit(p, true) < 0 || part_reset(p) < 0) {
			json_decref(v);
			return -1;
		}
	}
	p->est += est;
	return json_array_append_new(*arr, v);
}

int
mapd_snapshot(const struct mapd_state *st, size_t part_bytes,
	      int (*emit)(const char *line, size_t len, void *arg), void *arg)
{
	struct part p = {.version = st->version, .emit = emit, .arg = arg};
	int rc = part_reset(&p);

	for (size_t i = 0; rc == 0 && i < st->services.cap; i++) {
		const struct mapd_svc *s = st->services.slots[i].val;

		if (st->services.slots[i].key != NULL && s->n > 0)
			rc = part_add(&p, mapd_svc_json(s), &p.services, strlen(s->uri) + 64 + 100 * s->n,
				      part_bytes);
	}
	for (size_t i = 0; rc == 0 && i < st->relays.cap; i++)
		if (st->relays.slots[i].key != NULL)
			rc = part_add(&p, aw_msg_relay_to_json(st->relays.slots[i].val), &p.relays,
				      260, part_bytes);
	for (size_t i = 0; rc == 0 && i < st->gateways.cap; i++)
		if (st->gateways.slots[i].key != NULL)
			rc = part_add(&p, aw_msg_gateway_to_json(st->gateways.slots[i].val, true),
				      &p.gateways, 200, part_bytes);
	if (rc == 0)
		return part_emit(&p, false);
	json_decref(p.services);
	json_decref(p.relays);
	json_decref(p.gateways);
	return -1;
}

json_t *
mapd_service_json(const struct mapd_svc *svc, uint64_t now_ms)
{
	json_t *o = mapd_svc_json(svc);
	json_t *dests = json_object_get(o, "destinations");

	for (uint32_t i = 0; dests != NULL && i < svc->n; i++) {
		uint64_t left = svc->regs[i].expires_ms > now_ms ? svc->regs[i].expires_ms - now_ms : 0;
		json_object_set_new(json_array_get(dests, i), "ttl_left_ms", json_integer((json_int_t)left));
	}
	return o;
}

json_t *
mapd_services_json(const struct mapd_state *st, uint64_t now_ms)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < st->services.cap; i++) {
		const struct mapd_svc *s = st->services.slots[i].val;

		if (st->services.slots[i].key != NULL && s->n > 0)
			json_array_append_new(a, mapd_service_json(s, now_ms));
	}
	return a;
}
