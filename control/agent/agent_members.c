/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent_members — validation of a map server's "members" push (control/
 * PROTOCOL.md "Membership") and of member ids and addresses, with lib/proto's
 * rules, as the map server checks them. Pure functions (no agent state), so
 * the fuzz target of the member list (tests/fuzz/control/fuzz_mapd_member.c)
 * checks every push anyway-mapd makes against what the agent accepts.
 * Contract: any thread.
 */
#include <stdio.h>
#include <string.h>

#include "agent_cluster.h"
#include "aw_inet.h"
#include "aw_msg.h"

/* Member ids and states: lib/proto's rules (aw_msg_member.c), as the map server checks them. */
bool
agent_member_id_ok(const char *s)
{
	return s != NULL && aw_msg_member_id_ok(s, strlen(s));
}

bool
agent_member_addr_ok(const char *s)
{
	struct aw_addr a;

	return s != NULL && strlen(s) < AW_ADDR_STRLEN && aw_addr_parse(s, &a, NULL, 0) == 0;
}

/* Validates a members push whole; NULL with err. */
json_t *
agent_members_parse(const json_t *o, uint64_t *epoch, char *err, size_t n)
{
	const char *k;
	json_t *v, *list = json_object_get(o, "members"), *e = json_object_get(o, "epoch");

	json_object_foreach((json_t *)o, k, v) if (strcmp(k, "op") && strcmp(k, "version") &&
						   strcmp(k, "epoch") && strcmp(k, "members"))
		return snprintf(err, n, "%.64s: unknown field", k), NULL;
	if (!json_is_integer(json_object_get(o, "version")))
		return snprintf(err, n, "version: expected an integer"), NULL;
	if (!json_is_integer(e) || json_integer_value(e) < 0)
		return snprintf(err, n, "epoch: expected an integer >= 0"), NULL;
	if (!json_is_array(list) || json_array_size(list) > AGENT_MEMBER_MAX)
		return snprintf(err, n, "members: expected an array of at most %d members",
				AGENT_MEMBER_MAX), NULL;
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *m = json_array_get(list, i);
		const char *id = json_string_value(json_object_get(m, "id"));
		const char *st = json_string_value(json_object_get(m, "state"));
		bool st_ok = false;

		if (!json_is_object(m) || json_object_size(m) != 3)
			return snprintf(err, n, "members[%zu]: expected {id, addr, state}", i), NULL;
		if (!agent_member_id_ok(id))
			return snprintf(err, n, "members[%zu].id: expected 1..64 characters of "
						"A-Z a-z 0-9 . _ -", i), NULL;
		if (!agent_member_addr_ok(json_string_value(json_object_get(m, "addr"))))
			return snprintf(err, n, "members[%zu].addr: expected an IP address", i), NULL;
		for (int s = 0; st != NULL && s < AW_MEMBER_STATE__COUNT; s++)
			st_ok |= strcmp(st, aw_member_state_name((enum aw_member_state)s)) == 0;
		if (!st_ok)
			return snprintf(err, n, "members[%zu].state: expected active, draining or "
						"down", i), NULL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(id, json_string_value(json_object_get(json_array_get(list, j),
									  "id"))) == 0)
				return snprintf(err, n, "members[%zu].id: duplicate '%s'", i, id),
				       NULL;
	}
	*epoch = (uint64_t)json_integer_value(e);
	return json_incref(list);
}
