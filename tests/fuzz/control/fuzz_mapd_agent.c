/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the map server's tables and the agent's view of them, without
 * sockets. The input is request lines ('\n'-separated) as registrars and
 * admins send them to anyway-mapd; each is decoded (lib/proto) and applied to
 * a mapd_state as control/mapd/mapd_ops.c does (register, deregister with
 * gc, relay.add, relay.del; the clock runs 10 s per line and expiry runs).
 * Every push line mapd produces is decoded again and applied to an
 * agent_view as the agent applies a versioned push (version + 1 each time).
 * At the end the agent's view must equal mapd's tables, and a view built
 * from mapd's snapshot (in small parts) must equal them too.
 * Thread: libFuzzer's (or the driver's) one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "aw_hex.h"
#include "aw_msg.h"
#include "mapd_state.h"
#include "../fuzz_seeds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

struct sub {
	struct agent_view view;
	uint64_t version;
};

/* A line mapd sends: must decode, carry the next version, and apply. */
static void
sub_push(struct sub *s, char *line)
{
	char err[AW_MSG_ERRLEN], hex[2 * AW_MSG_PATH_ID_LEN + 1];
	struct aw_msg m;

	if (line == NULL)
		return; /* out of memory building it: mapd logs and goes on */
	if (aw_msg_decode(line, strlen(line), &m, err, sizeof(err)) != 0) {
		fprintf(stderr, "mapd pushed a line it cannot decode: %s\n%s\n", err, line);
		abort();
	}
	if (!m.has_version || m.version != s->version + 1)
		abort();
	s->version = m.version;
	if (m.type == AW_MSG_SERVICE) {
		if (agent_view_set_service(&s->view, m.u.svc.service, m.u.svc.dests,
					   m.u.svc.n_dests) < 0)
			abort();
	} else if (m.type == AW_MSG_RELAY_ADD) {
		if (agent_view_set_relay(&s->view, &m.u.relay, true) < 0)
			abort();
	} else if (m.type == AW_MSG_RELAY_DEL) {
		aw_hex_encode(m.u.path_id, AW_MSG_PATH_ID_LEN, hex);
		agent_view_del_relay(&s->view, hex);
	} else {
		abort();
	}
	aw_msg_free(&m);
	free(line);
}

struct ctx {
	struct mapd_state st;
	struct sub sub;
};

static void
push_service(const struct mapd_svc *svc, void *arg)
{
	struct ctx *c = arg;

	sub_push(&c->sub, mapd_push_service(&c->st, svc));
}

static void
apply(struct ctx *c, const struct aw_msg *m, uint64_t now)
{
	bool changed = false;

	switch (m->type) {
	case AW_MSG_REGISTER:
	case AW_MSG_DEREGISTER: {
		if (m->type == AW_MSG_REGISTER) {
			if (mapd_register(&c->st, &m->u.reg, now, &changed) != 0)
				return;
		} else {
			changed = mapd_deregister(&c->st, &m->u.reg);
		}
		const struct mapd_svc *svc = aw_strmap_get(&c->st.services, m->u.reg.service);
		if (changed && svc != NULL) {
			push_service(svc, c);
			mapd_gc_service(&c->st, m->u.reg.service);
		}
		return;
	}
	case AW_MSG_RELAY_ADD:
		if (mapd_relay_add(&c->st, &m->u.relay, &changed) < 0)
			abort();
		if (changed)
			sub_push(&c->sub, mapd_push_relay_add(&c->st, &m->u.relay));
		return;
	case AW_MSG_RELAY_DEL:
		if (mapd_relay_del(&c->st, m->u.path_id))
			sub_push(&c->sub, mapd_push_relay_del(&c->st, m->u.path_id));
		return;
	default:
		return;
	}
}

static bool
dest_eq(const struct aw_msg_dest *a, const struct aw_msg_dest *b)
{
	return a->addr.family == b->addr.family && memcmp(a->addr.b, b->addr.b, 16) == 0 &&
	       a->port == b->port && a->priority == b->priority && a->weight == b->weight;
}

/* The view holds exactly mapd's services (with destinations) and relays. */
static void
check_view(const struct agent_view *v, const struct mapd_state *st)
{
	struct aw_msg_dest d[AW_MSG_MAX_DESTS];
	size_t n_svcs = 0;

	for (size_t i = 0; i < st->services.cap; i++) {
		const struct mapd_svc *s = st->services.slots[i].val;
		if (st->services.slots[i].key == NULL || s->n == 0)
			continue;
		n_svcs++;
		const struct agent_dests *e = aw_strmap_get(&v->svcs, s->uri);
		if (e == NULL || e->n != s->n || s->n > AW_MSG_MAX_DESTS)
			abort();
		for (uint32_t j = 0; j < s->n; j++)
			d[j] = s->regs[j].d;
		agent_dests_sort(d, s->n);
		for (uint32_t j = 0; j < s->n; j++)
			if (!dest_eq(&d[j], &e->d[j]))
				abort();
	}
	if (v->svcs.n != n_svcs || v->relays.n != st->relays.n)
		abort();
	for (size_t i = 0; i < st->relays.cap; i++) {
		if (st->relays.slots[i].key == NULL)
			continue;
		const struct agent_relay *r = aw_strmap_get(&v->relays, st->relays.slots[i].key);
		if (r == NULL || !aw_msg_relay_equal(&r->r, st->relays.slots[i].val))
			abort();
	}
}

struct snap {
	struct agent_view view;
	uint64_t version;
	bool done;
};

/* One snapshot part, applied as the agent applies it to its pending view. */
static int
snap_part(const char *line, size_t len, void *arg)
{
	struct snap *s = arg;
	char err[AW_MSG_ERRLEN];
	struct aw_msg m;

	if (s->done || aw_msg_decode(line, len, &m, err, sizeof(err)) != 0 ||
	    m.type != AW_MSG_SNAPSHOT || m.version != s->version)
		abort();
	for (uint32_t i = 0; i < m.u.snapshot.n_services; i++)
		if (agent_view_set_service(&s->view, m.u.snapshot.services[i].service,
					   m.u.snapshot.services[i].dests,
					   m.u.snapshot.services[i].n_dests) < 0)
			abort();
	for (uint32_t i = 0; i < m.u.snapshot.n_relays; i++)
		if (agent_view_set_relay(&s->view, &m.u.snapshot.relays[i], true) < 0)
			abort();
	s->done = !m.u.snapshot.more;
	aw_msg_free(&m);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[AW_MSG_ERRLEN];
	struct ctx c;
	uint64_t now = 1000000;
	const char *p = (const char *)data, *end = p + size;

	mapd_state_init(&c.st);
	agent_view_init(&c.sub.view);
	c.sub.version = c.st.version;
	for (unsigned lines = 0; p < end && lines < 256; lines++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		struct aw_msg m;

		if (aw_msg_decode(p, len, &m, err, sizeof(err)) == 0) {
			apply(&c, &m, now);
			aw_msg_free(&m);
		}
		now += 10000;
		mapd_expire(&c.st, now, push_service, &c);
		p += len + (nl != NULL);
	}
	check_view(&c.sub.view, &c.st);

	struct snap s = {.version = c.st.version};
	agent_view_init(&s.view);
	if (mapd_snapshot(&c.st, 300, snap_part, &s) != 0 || !s.done)
		abort();
	check_view(&s.view, &c.st);
	agent_view_clear(&s.view);
	agent_view_clear(&c.sub.view);
	mapd_state_free(&c.st);
	return 0;
}

#define PID "00112233445566778899aabbccddeeff"
#define KEY PID PID

static const char *const seeds_txt[] = {
	"{\"op\":\"register\",\"service\":\"asrs://x\",\"addr\":\"10.0.0.1\",\"port\":80,"
	"\"priority\":0,\"weight\":1,\"ttl\":30}\n"
	"{\"op\":\"register\",\"service\":\"asrs://x\",\"addr\":\"2001:db8::1\",\"port\":80,"
	"\"priority\":1,\"weight\":0,\"ttl\":5}\n"
	"{\"op\":\"register\",\"service\":\"asrs://y\",\"addr\":\"10.0.0.2\",\"port\":81,"
	"\"priority\":0,\"weight\":3,\"ttl\":86400}\n"
	"{\"op\":\"deregister\",\"service\":\"asrs://x\",\"addr\":\"10.0.0.1\",\"port\":80}",
	"{\"op\":\"relay.add\",\"path_id\":\"" PID "\",\"tunnel_key\":\"" KEY "\",\"suite\":2,"
	"\"idle_timeout_s\":300,\"bind_timeout_s\":30,\"rate\":{\"pps\":100,\"bps\":100000,"
	"\"burst\":3000}}\n"
	"{\"op\":\"relay.add\",\"path_id\":\"" PID "\",\"tunnel_key\":\"" KEY "\",\"suite\":1}\n"
	"{\"op\":\"relay.del\",\"path_id\":\"" PID "\"}",
	"{\"op\":\"register\",\"service\":\"asrs://shop.example/web\",\"addr\":\"10.2.0.2\","
	"\"port\":8080,\"priority\":0,\"weight\":1,\"ttl\":20}\n"
	"{\"op\":\"relay.add\",\"path_id\":\"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1\",\"tunnel_key\":\""
	KEY "\",\"suite\":1}\n{\"op\":\"ping\"}",
};

AW_FUZZ_TEXT_SEEDS(seeds_txt)
