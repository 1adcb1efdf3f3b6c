/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent_view — a map as one map server sent it, or as the data plane has it:
 * services with canonical destination lists, relay entries, gateway entries.
 * Contract: anyway-agent's one thread.
 */
#include <stdlib.h>
#include <string.h>

#include "aw_hex.h"
#include "agent.h"


void
agent_view_init(struct agent_view *v)
{
	aw_strmap_init(&v->svcs);
	aw_strmap_init(&v->relays);
	aw_strmap_init(&v->gateways);
}

void
agent_view_clear(struct agent_view *v)
{
	for (size_t i = 0; i < v->svcs.cap; i++)
		if (v->svcs.slots[i].key)
			free(v->svcs.slots[i].val);
	for (size_t i = 0; i < v->relays.cap; i++)
		if (v->relays.slots[i].key)
			free(v->relays.slots[i].val);
	for (size_t i = 0; i < v->gateways.cap; i++)
		if (v->gateways.slots[i].key)
			free(v->gateways.slots[i].val);
	aw_strmap_free(&v->svcs);
	aw_strmap_free(&v->relays);
	aw_strmap_free(&v->gateways);
}

void
agent_dests_sort(struct aw_msg_dest *d, uint32_t n)
{
	aw_msg_dests_sort(d, n);
}

int
agent_view_set_service(struct agent_view *v, const char *uri, const struct aw_msg_dest *d,
		       uint32_t n)
{
	struct agent_dests *e;

	if (n == 0) {
		free(aw_strmap_del(&v->svcs, uri));
		return 0;
	}
	e = malloc(sizeof(*e) + n * sizeof(e->d[0]));
	if (e == NULL)
		return -1;
	e->n = n;
	memcpy(e->d, d, n * sizeof(e->d[0]));
	aw_msg_dests_sort(e->d, n);
	void *old = aw_strmap_put(&v->svcs, uri, e);
	if (old == e) {
		free(e);
		return -1;
	}
	free(old);
	return 0;
}

int
agent_view_set_relay(struct agent_view *v, const struct aw_msg_relay *r, bool key_known)
{
	char hex[2 * AW_MSG_PATH_ID_LEN + 1];
	struct agent_relay *e = malloc(sizeof(*e));

	if (e == NULL)
		return -1;
	e->r = *r;
	e->key_known = key_known;
	aw_hex_encode(r->path_id, AW_MSG_PATH_ID_LEN, hex);
	void *old = aw_strmap_put(&v->relays, hex, e);
	if (old == e) {
		free(e);
		return -1;
	}
	free(old);
	return 0;
}

void
agent_view_del_relay(struct agent_view *v, const char *hex)
{
	free(aw_strmap_del(&v->relays, hex));
}

void
agent_view_put_dests(struct agent_view *v, const char *uri, struct agent_dests *e)
{
	void *old = aw_strmap_put(&v->svcs, uri, e);

	if (old != e)
		free(old);
	else
		free(e);
}

void
agent_view_put_relay(struct agent_view *v, const char *hex, struct agent_relay *e)
{
	void *old = aw_strmap_put(&v->relays, hex, e);

	if (old != e)
		free(old);
	else
		free(e);
}

int
agent_view_set_gateway(struct agent_view *v, const struct aw_msg_gateway *g, bool key_known)
{
	char hex[2 * AW_MSG_PATH_ID_LEN + 1];
	struct agent_gateway *e = malloc(sizeof(*e));

	if (e == NULL)
		return -1;
	e->g = *g;
	e->key_known = key_known;
	aw_hex_encode(g->path_id, AW_MSG_PATH_ID_LEN, hex);
	void *old = aw_strmap_put(&v->gateways, hex, e);
	if (old == e) {
		free(e);
		return -1;
	}
	free(old);
	return 0;
}

void
agent_view_del_gateway(struct agent_view *v, const char *hex)
{
	free(aw_strmap_del(&v->gateways, hex));
}

void
agent_view_put_gateway(struct agent_view *v, const char *hex, struct agent_gateway *e)
{
	void *old = aw_strmap_put(&v->gateways, hex, e);

	if (old != e)
		free(old);
	else
		free(e);
}
