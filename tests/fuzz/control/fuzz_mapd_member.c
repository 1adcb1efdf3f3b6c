/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the map server's cluster member list (control/mapd/
 * mapd_member.c) as the agents drive it, without sockets. The input is
 * request lines ('\n'-separated); each is decoded by lib/proto and, when it
 * is member.register / member.deregister / member.list, applied with
 * mapd_member_op from one of two clients: "a" may register any id, "b" only
 * ids starting with "b" (as an ACL would say), so refusals are exercised. A
 * line that does not decode moves the clock on by its length in seconds and
 * runs expiry, as mapd's timer does.
 * After every line:
 *  - the list holds at most MAPD_MEMBER_MAX members, unique valid ids, each
 *    with a state name and an address the agent accepts;
 *  - every "members" push mapd made is accepted whole by the agent's own
 *    validator (control/agent/agent_members.c), lists exactly mapd's members
 *    in order, and its epoch is above the previous push's (the data planes
 *    order lists by epoch);
 *  - every request got exactly one reply, ok or error.
 * The harness stands in for the daemon's sockets, ACL and audit trail (the
 * functions mapd_member.c calls); the list code itself is mapd's.
 * Thread: libFuzzer's (or the driver's) one thread.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_cluster.h"
#include "aw_msg.h"
#include "mapd.h"
#include "mapd_acl.h"
#include "mapd_audit.h"
#include "mapd_member.h"
#include "../fuzz_seeds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

static struct {
	struct mapd md;
	uint64_t last_push_epoch;
	unsigned replies, pushes;
} h;

/* mapd's side: the list as pushed must be the list held. */
/* A push after a change (its epoch above the last), or the list sent to a
 * new subscriber (the current epoch). */
static void
check_push(const char *line, bool change)
{
	char err[AW_MSG_ERRLEN];
	uint64_t epoch;
	json_t *o = json_loads(line, 0, NULL);
	json_t *list = o != NULL ? agent_members_parse(o, &epoch, err, sizeof(err)) : NULL;

	if (list == NULL) {
		fprintf(stderr, "the agent rejects mapd's push: %s\n%s\n",
			o != NULL ? err : "not JSON", line);
		abort();
	}
	if (change && h.pushes > 0 && epoch <= h.last_push_epoch)
		abort(); /* the epoch must grow with every change */
	if (epoch != h.md.members.epoch || json_array_size(list) != h.md.members.n)
		abort();
	for (unsigned i = 0; i < h.md.members.n; i++) {
		const struct mapd_member *m = &h.md.members.m[i];
		json_t *e = json_array_get(list, i);
		if (strcmp(json_string_value(json_object_get(e, "id")), m->id) != 0 ||
		    strcmp(json_string_value(json_object_get(e, "addr")), m->addr) != 0 ||
		    strcmp(json_string_value(json_object_get(e, "state")),
			   aw_member_state_name((enum aw_member_state)m->state)) != 0)
			abort();
	}
	if (change) {
		h.last_push_epoch = epoch;
		h.pushes++;
	}
	json_decref(list);
	json_decref(o);
}

/* What mapd_member.c calls of the daemon, standing in for sockets / ACL / audit. */
void
mapd_broadcast(struct mapd *md, const char *line)
{
	(void)md;
	check_push(line, true);
}

int
mapd_client_send(struct mapd_client *cl, const char *line)
{
	(void)cl;
	check_push(line, false);
	return 0;
}

int
mapd_client_reply_ok(struct mapd_client *cl, json_t *data)
{
	(void)cl;
	json_decref(data);
	h.replies++;
	return 0;
}

int
mapd_client_reply_err(struct mapd_client *cl, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	(void)cl;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (strncmp(buf, "member.", 7) != 0)
		abort(); /* every refusal names its request */
	h.replies++;
	return 0;
}

bool
mapd_acl_may_register_member(const struct mapd_client *cl, const char *id, char *why,
			     size_t whylen)
{
	if (cl->name[0] == 'a' || id[0] == 'b')
		return true;
	snprintf(why, whylen, "client '%s' may not register member '%s'", cl->name, id);
	return false;
}

const char *
mapd_acl_identity(const struct mapd_client *cl)
{
	return cl->name;
}

void
mapd_audit(uint64_t version, const char *identity, const char *op, const char *fields)
{
	(void)version;
	(void)identity;
	(void)op;
	(void)fields;
}

static void
check_list(void)
{
	const struct mapd_members *ms = &h.md.members;

	if (ms->n > MAPD_MEMBER_MAX)
		abort();
	for (unsigned i = 0; i < ms->n; i++) {
		if (!agent_member_id_ok(ms->m[i].id) || !agent_member_addr_ok(ms->m[i].addr) ||
		    ms->m[i].state < 0 || ms->m[i].state >= AW_MEMBER_STATE__COUNT)
			abort();
		for (unsigned j = 0; j < i; j++)
			if (strcmp(ms->m[i].id, ms->m[j].id) == 0)
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mapd_client cl[2];
	const char *p = (const char *)data, *end = p + size;
	uint64_t skew_ms = 0;
	char err[AW_MSG_ERRLEN];

	memset(&h, 0, sizeof(h));
	memset(cl, 0, sizeof(cl));
	snprintf(cl[0].name, sizeof(cl[0].name), "a");
	snprintf(cl[1].name, sizeof(cl[1].name), "b");
	for (int i = 0; i < 2; i++)
		cl[i].md = &h.md;
	mapd_member_init(&h.md.members);
	for (unsigned lines = 0; p < end && lines < 512; lines++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		struct aw_msg m;

		if (aw_msg_decode(p, len, &m, err, sizeof(err)) == 0) {
			if (m.type == AW_MSG_MEMBER_REGISTER || m.type == AW_MSG_MEMBER_DEREGISTER ||
			    m.type == AW_MSG_MEMBER_LIST) {
				unsigned before = h.replies;
				mapd_member_op(&h.md, &cl[lines & 1], &m);
				if (h.replies != before + 1)
					abort();
			}
			aw_msg_free(&m);
		} else {
			skew_ms += (uint64_t)len * 1000u;
			mapd_member_expire(&h.md, aw_now_ms() + skew_ms);
		}
		check_list();
		p += len + (nl != NULL);
	}
	if (h.md.members.n > 0 && mapd_member_send(&h.md, &cl[0]) != 0)
		abort();
	return 0;
}

static const char *const seed_text[] = {
	"{\"op\":\"member.register\",\"id\":\"i1\",\"addr\":\"192.0.2.1\",\"state\":\"active\",\"ttl\":30}\n"
	"{\"op\":\"member.register\",\"id\":\"b2\",\"addr\":\"2001:db8::2\",\"state\":\"active\",\"ttl\":30}\n"
	"{\"op\":\"member.list\"}\n"
	"{\"op\":\"member.register\",\"id\":\"i1\",\"addr\":\"192.0.2.1\",\"state\":\"draining\",\"ttl\":30}\n"
	"{\"op\":\"member.deregister\",\"id\":\"b2\"}\n",
	"{\"op\":\"member.register\",\"id\":\"i1\",\"addr\":\"192.0.2.1\",\"state\":\"active\",\"ttl\":5}\n"
	"{\"op\":\"member.register\",\"id\":\"i3\",\"addr\":\"192.0.2.3\",\"state\":\"down\",\"ttl\":60}\n"
	"..........\n"
	"{\"op\":\"member.register\",\"id\":\"i3\",\"addr\":\"192.0.2.4\",\"state\":\"down\",\"ttl\":60}\n"
	"............................................................................\n",
	"{\"op\":\"member.register\",\"id\":\"x\",\"addr\":\"192.0.2.9\",\"state\":\"active\",\"ttl\":30}\n"
	"{\"op\":\"member.register\",\"id\":\"x\",\"addr\":\"192.0.2.9\",\"state\":\"active\",\"ttl\":30}\n"
	"{\"op\":\"member.deregister\",\"id\":\"x\"}\n"
	"{\"op\":\"member.deregister\",\"id\":\"x\"}\n",
};

AW_FUZZ_TEXT_SEEDS(seed_text)
