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


/* Put e (owned) under key, freeing what it replaces; -1 (e freed) when the
 * map could not take it (out of memory). */
static int
put_owned(struct aw_strmap *m, const char *key, void *e)
{
	void *old = aw_strmap_put(m, key, e);

	if (old == e) {
		free(e);
		return -1;
	}
	free(old);
	return 0;
}

static void
free_vals(struct aw_strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			free(m->slots[i].val);
	aw_strmap_free(m);
}

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
	free_vals(&v->svcs);
	free_vals(&v->relays);
	free_vals(&v->gateways);
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
	return put_owned(&v->svcs, uri, e);
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
	return put_owned(&v->relays, hex, e);
}

void
agent_view_del_relay(struct agent_view *v, const char *hex)
{
	free(aw_strmap_del(&v->relays, hex));
}

void
agent_view_put_dests(struct agent_view *v, const char *uri, struct agent_dests *e)
{
	put_owned(&v->svcs, uri, e);
}

void
agent_view_put_relay(struct agent_view *v, const char *hex, struct agent_relay *e)
{
	put_owned(&v->relays, hex, e);
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
	return put_owned(&v->gateways, hex, e);
}

void
agent_view_del_gateway(struct agent_view *v, const char *hex)
{
	free(aw_strmap_del(&v->gateways, hex));
}

void
agent_view_put_gateway(struct agent_view *v, const char *hex, struct agent_gateway *e)
{
	put_owned(&v->gateways, hex, e);
}
