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
 * Requests come decoded and validated whole by lib/proto (aw_msg_member.c,
 * control/PROTOCOL.md "Membership"), roles checked by mapd_ops.c; the ACL (mapd_acl.h) decides who may register which id.
 * Contract: anyway-mapd's one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_msg.h"
#include "mapd.h"
#include "mapd_audit.h"

/* Wall clock in milliseconds (the epoch seed; aw_wall_s is precise to well below one). */
static uint64_t
wall_ms(void)
{
	return (uint64_t)(aw_wall_s() * 1000.0);
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
				      aw_member_state_name((enum aw_member_state)m->state));
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
		 aw_member_state_name((enum aw_member_state)m->state), (unsigned long long)ms->epoch);
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

static void
op_register(struct mapd *md, struct mapd_client *cl, const struct aw_msg_member *req)
{
	struct mapd_members *ms = &md->members;
	struct mapd_member m = {.state = (int)req->state};
	char err[AW_MSG_ERRLEN];
	uint32_t ttl = req->ttl;

	snprintf(m.id, sizeof(m.id), "%s", req->id);
	aw_addr_format(&req->addr, m.addr, sizeof(m.addr));
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
op_deregister(struct mapd *md, struct mapd_client *cl, const char *id)
{
	struct mapd_members *ms = &md->members;
	char err[AW_MSG_ERRLEN];

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

void
mapd_member_op(struct mapd *md, struct mapd_client *cl, const struct aw_msg *m)
{
	if (m->type == AW_MSG_MEMBER_LIST)
		op_list(md, cl);
	else if (m->type == AW_MSG_MEMBER_REGISTER)
		op_register(md, cl, &m->u.member);
	else
		op_deregister(md, cl, m->u.member.id);
}
