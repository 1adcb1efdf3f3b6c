/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the gateway entries in lib/proto (SPEC §6): the shared check
 * aw_msg_gateway_check() on both sides of each limit, and the gateway.add /
 * gateway.del / snapshot gateways[] decoders and encoder (single and batch
 * forms, round trips, precise errors).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_msg.h"
#include "aw_msg_check.h"
#include "aw_test.h"

#define PID "00112233445566778899aabbccddeeff"
#define KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define ZKEY "0000000000000000000000000000000000000000000000000000000000000000"

static struct aw_msg_gateway
base(void)
{
	struct aw_msg_gateway g = {.suite = 2, .idle_timeout_s = 300};
	char err[64];

	g.end_key[0] = 1;
	CHECK_EQ(aw_addr_parse("10.77.0.2", &g.node_addr, err, sizeof(err)), 0);
	return g;
}

static void
test_gateway_check(void)
{
	struct aw_msg_check_err e;
	struct aw_msg_gateway g = base();
	static const char *const bad_addrs[] = {"0.0.0.0", "127.0.0.1", "224.0.0.5",
						"255.255.255.255", "::", "::1", "ff02::1"};
	char err[64];

	CHECK_EQ(aw_msg_gateway_check(&g, &e), 0);
	g.suite = 0;
	CHECK_EQ(aw_msg_gateway_check(&g, &e), -1);
	CHECK_STR(e.key, "suite");
	g.suite = 3;
	CHECK_EQ(aw_msg_gateway_check(&g, &e), -1);
	g.suite = 1;
	g.idle_timeout_s = 86400;
	CHECK_EQ(aw_msg_gateway_check(&g, &e), 0);
	g.idle_timeout_s = 86401;
	CHECK_EQ(aw_msg_gateway_check(&g, &e), -1);
	CHECK_STR(e.key, "idle_timeout_s");
	g.idle_timeout_s = 0;
	CHECK_EQ(aw_msg_gateway_check(&g, &e), -1);
	g.idle_timeout_s = 1;
	for (size_t i = 0; i < sizeof(bad_addrs) / sizeof(bad_addrs[0]); i++) {
		CHECK_EQ(aw_addr_parse(bad_addrs[i], &g.node_addr, err, sizeof(err)), 0);
		CHECK_EQ(aw_msg_gateway_check(&g, &e), -1);
		CHECK_STR(e.key, "node_addr");
		CHECK(strstr(e.msg, bad_addrs[i]) != NULL);
	}
	CHECK_EQ(aw_addr_parse("2001:db8::7", &g.node_addr, err, sizeof(err)), 0);
	CHECK_EQ(aw_msg_gateway_check(&g, &e), 0);
	memset(g.end_key, 0, sizeof(g.end_key));
	CHECK_EQ(aw_msg_gateway_check(&g, &e), -1);
	CHECK_STR(e.key, "end_key");
}

static int
decode(const char *line, struct aw_msg *m, char *err)
{
	return aw_msg_decode(line, strlen(line), m, err, AW_MSG_ERRLEN);
}

/* line decodes, encodes and decodes again to the same message. */
static void
round_trip(const char *line, struct aw_msg *m)
{
	char err[AW_MSG_ERRLEN];
	struct aw_msg m2;

	CHECK_EQ(decode(line, m, err), 0);
	char *out = aw_msg_encode(m);
	CHECK(out != NULL);
	CHECK_EQ(decode(out, &m2, err), 0);
	CHECK(aw_msg_equal(m, &m2));
	aw_msg_free(&m2);
	free(out);
}

#define PID2 "ff112233445566778899aabbccddeeff"

static void
test_decode_forms(void)
{
	struct aw_msg m;

	round_trip("{\"op\":\"gateway.add\",\"path_id\":\"" PID "\",\"end_key\":\"" KEY
		   "\",\"suite\":1,\"node_addr\":\"10.77.0.2\"}",
		   &m);
	CHECK(m.type == AW_MSG_GATEWAY_ADD && !m.u.gw_add.batch && m.u.gw_add.n == 1);
	CHECK_EQ(m.u.gw_add.e[0].idle_timeout_s, 300);
	CHECK_EQ(m.u.gw_add.e[0].suite, 1);
	aw_msg_free(&m);
	round_trip("{\"op\":\"gateway.add\",\"version\":7,\"gateways\":[{\"path_id\":\"" PID
		   "\",\"end_key\":\"" KEY "\",\"suite\":2,\"node_addr\":\"2001:db8::2\","
		   "\"idle_timeout_s\":60},{\"path_id\":\"" PID2 "\",\"end_key\":\"" KEY
		   "\",\"suite\":1,\"node_addr\":\"10.0.0.9\"}]}",
		   &m);
	CHECK(m.u.gw_add.batch && m.u.gw_add.n == 2 && m.has_version && m.version == 7);
	CHECK_EQ(m.u.gw_add.e[1].path_id[0], 0xff);
	CHECK_EQ(m.u.gw_add.e[0].idle_timeout_s, 60);
	aw_msg_free(&m);
	round_trip("{\"op\":\"gateway.del\",\"path_id\":\"" PID "\"}", &m);
	CHECK(!m.u.gw_del.batch && m.u.gw_del.n == 1 && m.u.gw_del.ids[0][15] == 0xff);
	aw_msg_free(&m);
	round_trip("{\"op\":\"gateway.del\",\"path_ids\":[\"" PID "\",\"" PID2 "\"]}", &m);
	CHECK(m.u.gw_del.batch && m.u.gw_del.n == 2);
	aw_msg_free(&m);
	round_trip("{\"op\":\"gateway.get\",\"path_id\":\"" PID "\"}", &m);
	aw_msg_free(&m);
	round_trip("{\"op\":\"gateway.list\"}", &m);
	aw_msg_free(&m);
	round_trip("{\"op\":\"gateway.refused\",\"path_id\":\"" PID "\",\"error\":\"full\"}", &m);
	aw_msg_free(&m);
	round_trip("{\"op\":\"snapshot\",\"version\":3,\"services\":[],\"relays\":[],"
		   "\"gateways\":[{\"path_id\":\"" PID "\",\"end_key\":\"" KEY
		   "\",\"suite\":2,\"node_addr\":\"10.1.2.3\"}]}",
		   &m);
	CHECK_EQ(m.u.snapshot.n_gateways, 1);
	aw_msg_free(&m);
}

/* Each bad line is refused with an error naming the field. */
static void
test_decode_errors(void)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
		{"{\"op\":\"gateway.add\",\"path_id\":\"" PID "\",\"end_key\":\"" KEY
		 "\",\"suite\":3,\"node_addr\":\"10.0.0.1\"}",
		 "suite: expected integer 1..2"},
		{"{\"op\":\"gateway.add\",\"path_id\":\"" PID "\",\"end_key\":\"" ZKEY
		 "\",\"suite\":1,\"node_addr\":\"10.0.0.1\"}",
		 "end_key: expected a key"},
		{"{\"op\":\"gateway.add\",\"path_id\":\"" PID "\",\"end_key\":\"" KEY
		 "\",\"suite\":1,\"node_addr\":\"224.0.0.1\"}",
		 "node_addr: expected a unicast"},
		{"{\"op\":\"gateway.add\",\"path_id\":\"" PID "\",\"end_key\":\"" KEY
		 "\",\"suite\":1}",
		 "node_addr: missing required field"},
		{"{\"op\":\"gateway.add\",\"path_id\":\"" PID "\",\"end_key\":\"" KEY
		 "\",\"suite\":1,\"node_addr\":\"10.0.0.1\",\"tunnel_key\":\"" KEY "\"}",
		 "tunnel_key"},
		{"{\"op\":\"gateway.add\",\"gateways\":[]}", "gateways: expected 1..10000 entries"},
		{"{\"op\":\"gateway.add\",\"suite\":1,\"gateways\":[]}",
		 "suite: not allowed together with gateways"},
		{"{\"op\":\"gateway.add\",\"gateways\":[{\"path_id\":\"" PID "\",\"end_key\":\"" KEY
		 "\",\"suite\":1,\"node_addr\":\"10.0.0.1\"},{\"path_id\":\"" PID "\",\"end_key\":\"" KEY
		 "\",\"suite\":1,\"node_addr\":\"10.0.0.2\"}]}",
		 "gateways[1].path_id: duplicate of gateways[0]"},
		{"{\"op\":\"gateway.add\",\"gateways\":[{\"path_id\":\"" PID "\",\"end_key\":\"" KEY
		 "\",\"suite\":1,\"node_addr\":\"10.0.0.1\",\"idle_timeout_s\":0}]}",
		 "gateways[0].idle_timeout_s: expected integer 1..86400"},
		{"{\"op\":\"gateway.add\",\"gateways\":[{\"path_id\":\"" PID "\",\"end_key\":\"" KEY
		 "\",\"suite\":1,\"node_addr\":\"10.0.0.1\"},{\"path_id\":\"" PID2 "\",\"end_key\":\"" KEY
		 "\",\"suite\":2,\"node_addr\":\"10.0.0.1\"}]}",
		 "gateways[1].node_addr: same node as gateways[0]"},
		{"{\"op\":\"gateway.del\",\"path_ids\":[\"" PID "\",\"xyz\"]}", "path_ids[1]: expected"},
		{"{\"op\":\"gateway.del\",\"path_ids\":[\"" PID "\",\"" PID "\"]}",
		 "path_ids[1]: duplicate of path_ids[0]"},
		{"{\"op\":\"gateway.del\",\"path_id\":\"" PID "\",\"path_ids\":[]}",
		 "path_ids: not allowed together with path_id"},
		{"{\"op\":\"gateway.del\"}", "path_id: missing required field"},
		{"{\"op\":\"snapshot\",\"version\":1,\"services\":[],\"gateways\":[{\"path_id\":\"" PID
		 "\",\"end_key\":\"" KEY "\",\"suite\":9,\"node_addr\":\"10.0.0.1\"}]}",
		 "gateways[0].suite"},
	};
	char err[AW_MSG_ERRLEN];
	struct aw_msg m;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		CHECK_EQ(decode(cases[i].line, &m, err), -1);
		if (strstr(err, cases[i].want) == NULL)
			fprintf(stderr, "case %zu: got '%s', want '%s'\n", i, err, cases[i].want);
		CHECK(strstr(err, cases[i].want) != NULL);
	}
}

/* Listings never carry the key. */
static void
test_to_json_without_key(void)
{
	struct aw_msg_gateway g = base(), back;
	char err[AW_MSG_ERRLEN];
	json_t *o = aw_msg_gateway_to_json(&g, false);

	CHECK(o != NULL && json_object_get(o, "end_key") == NULL);
	CHECK_STR(json_string_value(json_object_get(o, "node_addr")), "10.77.0.2");
	json_decref(o);
	o = aw_msg_gateway_to_json(&g, true);
	CHECK_EQ(aw_msg_gateway_from_json(o, "", NULL, &back, err, sizeof(err)), 0);
	CHECK(aw_msg_gateway_equal(&g, &back));
	json_decref(o);
}

AW_TEST_MAIN(AW_TEST(test_gateway_check), AW_TEST(test_decode_forms),
	     AW_TEST(test_decode_errors), AW_TEST(test_to_json_without_key))
