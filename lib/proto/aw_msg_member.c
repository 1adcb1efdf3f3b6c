/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_msg_member — the cluster membership requests on the control protocol
 * (SPEC §8, control/PROTOCOL.md "Membership"): member.register {id, addr,
 * state, ttl}, member.deregister {id}, member.list {} — decoded and
 * validated whole like every other message, and their members written back
 * for aw_msg_encode().
 * Contract: as aw_msg.h (no global state; allocates; never on a packet path).
 */
#include "aw_msg_priv.h"

#include <stdio.h>
#include <string.h>

static const char *const state_names[AW_MEMBER_STATE__COUNT] = {"active", "draining", "down"};

const char *
aw_member_state_name(enum aw_member_state s)
{
	return (unsigned)s < AW_MEMBER_STATE__COUNT ? state_names[s] : NULL;
}

bool
aw_msg_member_id_ok(const char *s, size_t n)
{
	if (n == 0 || n > AW_MSG_MEMBER_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* The string member key, or NULL (missing, not a string, a NUL inside) with
 * err written; refuse() words the error for a string of the wrong form. */
static const char *
get_text(const json_t *root, const char *key, const char *what, char *err, size_t errlen)
{
	const json_t *v = json_object_get(root, key);

	if (v == NULL)
		return aw_msg_fail(err, errlen, "%s: missing required field", key), NULL;
	if (!json_is_string(v))
		return aw_msg_fail(err, errlen, "%s: expected %s, got %s", key, what,
				   aw_msg_json_type(v)), NULL;
	if (strlen(json_string_value(v)) != json_string_length(v))
		return aw_msg_fail(err, errlen, "%s: expected %s, got a NUL byte", key, what), NULL;
	return json_string_value(v);
}

static int
refuse(const char *key, const char *what, const char *got, char *err, size_t errlen)
{
	char safe[72];

	aw_msg_sanitize(got, safe, sizeof(safe));
	return aw_msg_fail(err, errlen, "%s: expected %s, got '%s'", key, what, safe);
}

static int
get_id(const json_t *root, struct aw_msg_member *mb, char *err, size_t errlen)
{
	static const char what[] = "1..64 characters of A-Z a-z 0-9 . _ -";
	const char *s = get_text(root, "id", what, err, errlen);

	if (s == NULL)
		return -1;
	if (!aw_msg_member_id_ok(s, strlen(s)))
		return refuse("id", what, s, err, errlen);
	memcpy(mb->id, s, strlen(s) + 1);
	return 0;
}

static int
decode_register(const json_t *root, struct aw_msg *m, char *err, size_t errlen)
{
	static const char addr_what[] = "an IPv4 or IPv6 address";
	static const char state_what[] = "active, draining or down";
	struct aw_msg_member *mb = &m->u.member;
	const char *addr, *state;
	char why[128];

	if (get_id(root, mb, err, errlen) < 0 ||
	    (addr = get_text(root, "addr", addr_what, err, errlen)) == NULL)
		return -1;
	if (strlen(addr) >= AW_ADDR_STRLEN || aw_addr_parse(addr, &mb->addr, why, sizeof(why)) < 0)
		return refuse("addr", addr_what, addr, err, errlen);
	if ((state = get_text(root, "state", state_what, err, errlen)) == NULL)
		return -1;
	for (mb->state = 0; mb->state < AW_MEMBER_STATE__COUNT; mb->state++)
		if (strcmp(state, state_names[mb->state]) == 0)
			break;
	if (mb->state == AW_MEMBER_STATE__COUNT)
		return refuse("state", state_what, state, err, errlen);
	return aw_msg_get_u32(root, "", "ttl", true, 1, AW_MSG_TTL_MAX, &mb->ttl, err, errlen);
}

int
aw_msg_decode_member(const json_t *root, struct aw_msg *m, char *err, size_t errlen)
{
	if (m->type == AW_MSG_MEMBER_LIST)
		return 0; /* no members: the keys were checked */
	if (m->type == AW_MSG_MEMBER_REGISTER)
		return decode_register(root, m, err, errlen);
	return get_id(root, &m->u.member, err, errlen);
}

int
aw_msg_member_body_set(json_t *o, const struct aw_msg *m)
{
	const struct aw_msg_member *mb = &m->u.member;
	char a[AW_ADDR_STRLEN];
	int bad = 0;

	if (m->type == AW_MSG_MEMBER_LIST)
		return 0;
	bad |= json_object_set_new(o, "id", json_string(mb->id));
	if (m->type == AW_MSG_MEMBER_DEREGISTER)
		return bad;
	aw_addr_format(&mb->addr, a, sizeof(a));
	bad |= json_object_set_new(o, "addr", json_string(a));
	bad |= json_object_set_new(o, "state", json_string(aw_member_state_name(mb->state) ?: "?"));
	bad |= json_object_set_new(o, "ttl", json_integer(mb->ttl));
	return bad;
}
