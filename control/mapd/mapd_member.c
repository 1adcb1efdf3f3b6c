/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd_member — the cluster member list (SPEC §8): soft state registered by
 * the agents (member.register {id, addr, state, ttl}, renewed like service
 * registrations), removed by member.deregister {id} or when its ttl passes.
 * Every change of the list (a member joins, leaves, changes address or
 * state) raises the epoch and pushes the whole list to every subscriber:
 *   {"op":"members","version":V,"epoch":E,"members":[{id,addr,state},...]}
 * (V: the map version at the time, unchanged by members). A new subscriber
 * gets the list right after its snapshot when the list is not empty. The epoch is seeded from the wall
 * clock in milliseconds and each change sets it to max(epoch + 1, now), so
 * it keeps increasing across restarts.
 * A request is validated whole before anything changes (control/PROTOCOL.md
 * "Membership"); the ACL (mapd_acl.h) decides who may register which id.
 * Contract: anyway-mapd's one thread.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aw_msg.h"
#include "mapd.h"
#include "mapd_audit.h"

static const char *const state_names[] = {"active", "draining", "down"};

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
mapd_member_init(struct mapd_members *ms)
{
	memset(ms, 0, sizeof(*ms));
	ms->epoch = wall_ms();
	ms->next_expiry_ms = UINT64_MAX;
}

static json_t *
list_json(const struct mapd_members *ms, uint64_t now_ms)
{
	json_t *a = json_array();

	for (unsigned i = 0; a != NULL && i < ms->n; i++) {
		const struct mapd_member *m = &ms->m[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "id", m->id, "addr", m->addr, "state",
				      state_names[m->state]);
		if (o != NULL && now_ms != 0)
			json_object_set_new(o, "ttl_left_ms",
					    json_integer(m->expires_ms > now_ms
								 ? (json_int_t)(m->expires_ms - now_ms)
								 : 0));
		json_array_append_new(a, o);
	}
	return a;
}

static char *
push_text(struct mapd *md)
{
	json_t *o = json_pack("{s:s, s:I, s:I, s:o}", "op", "members", "version",
			      (json_int_t)md->st.version, "epoch", (json_int_t)md->members.epoch,
			      "members", list_json(&md->members, 0));
	char *line = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return line;
}

/* The list changed: new epoch, push, audit line. */
static void
changed(struct mapd *md, const char *who, const char *op, const struct mapd_member *m)
{
	struct mapd_members *ms = &md->members;
	uint64_t now = wall_ms();
	char f[160];

	ms->epoch = now > ms->epoch ? now : ms->epoch + 1;
	char *line = push_text(md);
	if (line == NULL)
		fprintf(stderr, "anyway-mapd: out of memory building the members push\n");
	else
		mapd_broadcast(md, line);
	free(line);
	snprintf(f, sizeof(f), " id=%s addr=%s state=%s epoch=%llu", m->id, m->addr,
		 state_names[m->state], (unsigned long long)ms->epoch);
	mapd_audit(md->st.version, who, op, f);
}

int
mapd_member_send(struct mapd *md, struct mapd_client *cl)
{
	char *line = push_text(md);
	int rc = line != NULL ? mapd_client_send(cl, line) : -1;

	free(line);
	return rc;
}

static int
find(const struct mapd_members *ms, const char *id)
{
	for (unsigned i = 0; i < ms->n; i++)
		if (strcmp(ms->m[i].id, id) == 0)
			return (int)i;
	return -1;
}

static void
remove_at(struct mapd_members *ms, unsigned i)
{
	ms->m[i] = ms->m[--ms->n];
}

static void
recompute_expiry(struct mapd_members *ms)
{
	ms->next_expiry_ms = UINT64_MAX;
	for (unsigned i = 0; i < ms->n; i++)
		if (ms->m[i].expires_ms < ms->next_expiry_ms)
			ms->next_expiry_ms = ms->m[i].expires_ms;
}

void
mapd_member_expire(struct mapd *md, uint64_t now_ms)
{
	struct mapd_members *ms = &md->members;

	if (now_ms < ms->next_expiry_ms)
		return;
	for (unsigned i = 0; i < ms->n;) {
		if (ms->m[i].expires_ms > now_ms) {
			i++;
			continue;
		}
		struct mapd_member gone = ms->m[i];
		remove_at(ms, i);
		ms->expired++;
		fprintf(stderr, "anyway-mapd: member %s (%s) expired: ttl passed\n", gone.id,
			gone.addr);
		changed(md, "-", "member.expire", &gone);
	}
	recompute_expiry(ms);
}

/* Member id: 1..64 of [A-Za-z0-9._-]. */
static bool
valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MAPD_MEMBER_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* Checks the keys of req against allowed (NULL-terminated); NULL: fine. */
static const char *
unknown_key(const json_t *req, const char *const *allowed)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)req, k, v) {
		bool ok = false;
		for (const char *const *a = allowed; *a != NULL && !ok; a++)
			ok = strcmp(*a, k) == 0;
		if (!ok)
			return k;
	}
	return NULL;
}

/* Fills m from a member.register request; -1 with err. */
static int
parse_register(const json_t *req, struct mapd_member *m, uint32_t *ttl, char *err, size_t n)
{
	static const char *const keys[] = {"op", "id", "addr", "state", "ttl", NULL};
	const char *bad = unknown_key(req, keys);
	const char *id = json_string_value(json_object_get(req, "id"));
	const char *addr = json_string_value(json_object_get(req, "addr"));
	const char *state = json_string_value(json_object_get(req, "state"));
	const json_t *t = json_object_get(req, "ttl");
	unsigned char buf[16];

	if (bad != NULL)
		return snprintf(err, n, "%.64s: unknown field", bad), -1;
	if (id == NULL || !valid_id(id))
		return snprintf(err, n, "id: expected 1..64 characters of A-Z a-z 0-9 . _ -"), -1;
	if (addr == NULL || strlen(addr) >= MAPD_MEMBER_ADDR_MAX ||
	    (inet_pton(AF_INET, addr, buf) != 1 && inet_pton(AF_INET6, addr, buf) != 1))
		return snprintf(err, n, "addr: expected an IPv4 or IPv6 address"), -1;
	m->state = -1;
	for (int i = 0; state != NULL && i < 3; i++)
		if (strcmp(state, state_names[i]) == 0)
			m->state = i;
	if (m->state < 0)
		return snprintf(err, n, "state: expected active, draining or down"), -1;
	if (!json_is_integer(t) || json_integer_value(t) < 1 ||
	    json_integer_value(t) > AW_MSG_TTL_MAX)
		return snprintf(err, n, "ttl: expected an integer 1..%d", AW_MSG_TTL_MAX), -1;
	snprintf(m->id, sizeof(m->id), "%s", id);
	snprintf(m->addr, sizeof(m->addr), "%s", addr);
	*ttl = (uint32_t)json_integer_value(t);
	return 0;
}

static void
op_register(struct mapd *md, struct mapd_client *cl, const json_t *req)
{
	struct mapd_members *ms = &md->members;
	struct mapd_member m;
	char err[AW_MSG_ERRLEN];
	uint32_t ttl;

	if (parse_register(req, &m, &ttl, err, sizeof(err)) < 0) {
		mapd_client_reply_err(cl, "member.register: %s", err);
		return;
	}
	if (!mapd_acl_may_register_member(cl, m.id, err, sizeof(err))) {
		ms->refused++;
		mapd_client_reply_err(cl, "member.register: %s", err);
		return;
	}
	m.expires_ms = aw_now_ms() + (uint64_t)ttl * 1000u;
	if (ttl > cl->max_ttl_s)
		cl->max_ttl_s = ttl; /* renewed every ttl/3: idle allowance */
	int i = find(ms, m.id);
	bool is_change = i < 0 || ms->m[i].state != m.state || strcmp(ms->m[i].addr, m.addr) != 0;
	if (i < 0 && ms->n >= MAPD_MEMBER_MAX) {
		mapd_client_reply_err(cl, "member.register: the cluster already has %d members",
				      MAPD_MEMBER_MAX);
		return;
	}
	ms->registers++;
	ms->m[i < 0 ? ms->n++ : (unsigned)i] = m;
	if (m.expires_ms < ms->next_expiry_ms)
		ms->next_expiry_ms = m.expires_ms;
	if (is_change)
		changed(md, mapd_acl_identity(cl), "member.register", &m);
	mapd_client_reply_ok(cl, json_pack("{s:s, s:I, s:b}", "member", m.id, "epoch",
					   (json_int_t)ms->epoch, "changed", is_change));
}

static void
op_deregister(struct mapd *md, struct mapd_client *cl, const json_t *req)
{
	static const char *const keys[] = {"op", "id", NULL};
	struct mapd_members *ms = &md->members;
	const char *bad = unknown_key(req, keys);
	const char *id = json_string_value(json_object_get(req, "id"));
	char err[AW_MSG_ERRLEN];

	if (bad != NULL) {
		mapd_client_reply_err(cl, "member.deregister: %.64s: unknown field", bad);
		return;
	}
	if (id == NULL || !valid_id(id)) {
		mapd_client_reply_err(cl, "member.deregister: id: expected 1..64 characters of "
					  "A-Z a-z 0-9 . _ -");
		return;
	}
	if (!mapd_acl_may_register_member(cl, id, err, sizeof(err))) {
		ms->refused++;
		mapd_client_reply_err(cl, "member.deregister: %s", err);
		return;
	}
	int i = find(ms, id);
	if (i >= 0) {
		struct mapd_member gone = ms->m[i];
		remove_at(ms, (unsigned)i);
		ms->deregisters++;
		recompute_expiry(ms);
		changed(md, mapd_acl_identity(cl), "member.deregister", &gone);
	}
	mapd_client_reply_ok(cl, json_pack("{s:s, s:I, s:b}", "member", id, "epoch",
					   (json_int_t)ms->epoch, "existed", i >= 0));
}

static void
op_list(struct mapd *md, struct mapd_client *cl)
{
	const struct mapd_members *ms = &md->members;

	mapd_client_reply_ok(
		cl, json_pack("{s:I, s:o, s:{s:I, s:I, s:I, s:I}}", "epoch", (json_int_t)ms->epoch,
			      "members", list_json(ms, aw_now_ms()), "counters", "registers",
			      (json_int_t)ms->registers, "deregisters", (json_int_t)ms->deregisters,
			      "expired", (json_int_t)ms->expired, "refused", (json_int_t)ms->refused));
}

bool
mapd_member_line(struct mapd *md, struct mapd_client *cl, const char *line, size_t len)
{
	/* cheap test first: registrations are the hot path and never parse twice */
	if (memmem(line, len, "\"member.", 8) == NULL)
		return false;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	const char *op = json_string_value(json_object_get(req, "op"));

	if (op == NULL || strncmp(op, "member.", 7) != 0) {
		json_decref(req);
		return false;
	}
	if (!cl->hello)
		mapd_client_reply_err(cl, "op: expected hello first, got %.32s", op);
	else if (strcmp(op, "member.list") == 0 && json_object_size(req) == 1)
		op_list(md, cl);
	else if (strcmp(op, "member.list") == 0)
		mapd_client_reply_err(cl, "member.list takes no arguments");
	else if (strcmp(op, "member.register") != 0 && strcmp(op, "member.deregister") != 0)
		mapd_client_reply_err(cl, "op: unknown operation '%.32s'", op);
	else if (cl->role != AW_ROLE_SUBSCRIBER && cl->role != AW_ROLE_ADMIN)
		mapd_client_reply_err(cl, "op: %s is not allowed for role %s", op,
				      aw_role_name(cl->role));
	else if (op[7] == 'r')
		op_register(md, cl, req);
	else
		op_deregister(md, cl, req);
	json_decref(req);
	return true;
}
