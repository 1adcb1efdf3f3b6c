/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/proto aw_msg: every malformed line is rejected whole with
 * an error naming the field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_msg.h"
#include "aw_test.h"

/* SHA-256 prefixes computed with Python's hashlib. */
#define SID_X "5084b6e15a2223b0" /* "asrs://x" */
#define SID_Y "bc535c8e505d4959" /* "asrs://y" */
#define PID "00112233445566778899aabbccddeeff"
#define KEY PID PID
#define DEST(a, p) "{\"addr\":\"" a "\",\"port\":" #p ",\"priority\":0,\"weight\":1}"
#define REG "{\"op\":\"register\",\"service\":\"asrs://x\",\"addr\":\"10.0.0.1\","
#define RELAY "{\"op\":\"relay.add\",\"path_id\":\"" PID "\",\"tunnel_key\":\"" KEY "\","
#define SVC "{\"op\":\"service\",\"version\":1,\"service\":\"asrs://x\",\"sid\":\"" SID_X "\","
#define SNAP "{\"op\":\"snapshot\",\"version\":1,"
#define SVC_X "{\"service\":\"asrs://x\",\"sid\":\"" SID_X "\",\"destinations\":[]}"
#define SVC_Y "{\"service\":\"asrs://y\",\"sid\":\"" SID_Y "\",\"destinations\":[]}"
#define RELAY_E "{\"path_id\":\"" PID "\",\"tunnel_key\":\"" KEY "\",\"suite\":1}"

static const struct {
	const char *line;
	const char *want; /* a substring of the error */
} rejects[] = {
	/* syntax and framing */
	{"{\"op\":\"ping\"", "invalid JSON at line 1, column 12"},
	{"", "invalid JSON at line 1"},
	{"{\"op\":\"ping\"} x", "invalid JSON"},
	{"{\"op\":\"ping\",\"op\":\"ping\"}", "duplicate object key"},
	{"{\"op\":\"hello\",\"role\":\"admin\",\"name\":\"a\\u0000b\"}", "invalid JSON"},
	{"{\"op\":\"hello\",\"role\":\"admin\",\"name\":\"\xff\"}", "invalid JSON"},
	{REG "\"port\":99999999999999999999999}", "invalid JSON"},
	{"[1,2]", "expected a JSON object, got array"},
	/* op */
	{"{}", "op: missing required field"},
	{"{\"op\":5}", "op: expected string, got integer"},
	{"{\"op\":\"frob\"}", "op: unknown operation 'frob'"},
	{"{\"op\":\"reply\",\"ok\":true}", "op: unknown operation 'reply'"},
	{"{\"op\":\"ping\",\"x\":1}", "x: unknown field"},
	{"{\"op\":\"ping\",\"version\":1}", "version: unknown field"},
	{"{\"op\":\"ping\",\"ok\":true}", "ok: unknown field"},
	/* hello */
	{"{\"op\":\"hello\",\"role\":\"king\",\"name\":\"a\"}",
	 "role: expected registrar|subscriber|admin, got 'king'"},
	{"{\"op\":\"hello\",\"role\":1,\"name\":\"a\"}", "role: expected string, got integer"},
	{"{\"op\":\"hello\",\"role\":\"admin\"}", "name: missing required field"},
	{"{\"op\":\"hello\",\"role\":\"admin\",\"name\":\"\"}",
	 "name: expected string of 1..255 printable ASCII characters, got 0 characters"},
	{"{\"op\":\"hello\",\"role\":\"admin\",\"name\":\"a\\tb\"}",
	 "name: byte 1 is 0x09, not printable ASCII"},
	{"{\"op\":\"hello\",\"role\":\"admin\",\"name\":\"\xc3\xa9\"}",
	 "name: byte 0 is 0xc3, not printable ASCII"},
	/* register / deregister */
	{REG "\"port\":70000,\"priority\":0,\"weight\":1,\"ttl\":30}",
	 "port: expected integer 1..65535, got 70000"},
	{REG "\"port\":0,\"priority\":0,\"weight\":1,\"ttl\":30}",
	 "port: expected integer 1..65535, got 0"},
	{REG "\"port\":\"80\",\"priority\":0,\"weight\":1,\"ttl\":30}",
	 "port: expected integer 1..65535, got string"},
	{REG "\"port\":80.0,\"priority\":0,\"weight\":1,\"ttl\":30}",
	 "port: expected integer 1..65535, got real"},
	{REG "\"port\":80,\"priority\":-1,\"weight\":1,\"ttl\":30}",
	 "priority: expected integer 0..65535, got -1"},
	{REG "\"port\":80,\"priority\":0,\"weight\":65536,\"ttl\":30}",
	 "weight: expected integer 0..65535, got 65536"},
	{REG "\"port\":80,\"priority\":0,\"weight\":1,\"ttl\":0}",
	 "ttl: expected integer 1..86400, got 0"},
	{REG "\"port\":80,\"priority\":0,\"weight\":1,\"ttl\":86401}",
	 "ttl: expected integer 1..86400, got 86401"},
	{REG "\"port\":80,\"priority\":0,\"weight\":1}", "ttl: missing required field"},
	{REG "\"port\":80,\"priority\":0,\"ttl\":5}", "weight: missing required field"},
	{REG "\"port\":80,\"priority\":0,\"weight\":1,\"ttl\":5,\"extra\":null}",
	 "extra: unknown field"},
	{"{\"op\":\"deregister\",\"service\":\"asrs://x\",\"addr\":\"10.0.0.1\"}",
	 "port: missing required field"},
	{"{\"op\":\"deregister\",\"service\":\"asrs://x\",\"addr\":\"10.0.0.1\",\"port\":1,"
	 "\"ttl\":0}",
	 "ttl: expected integer 1..86400, got 0"},
	{"{\"op\":\"register\",\"service\":\"asrs://x\",\"addr\":\"10.0.0.256\",\"port\":80,"
	 "\"priority\":0,\"weight\":1,\"ttl\":30}",
	 "addr: '10.0.0.256' is not an IPv4 address"},
	{"{\"op\":\"register\",\"service\":\"asrs://x\",\"addr\":\"fe80::1%eth0\",\"port\":80,"
	 "\"priority\":0,\"weight\":1,\"ttl\":30}",
	 "addr: 'fe80::1%eth0' is not an IPv6 address"},
	{"{\"op\":\"register\",\"service\":\"asrs://x\",\"addr\":\"\",\"port\":80,"
	 "\"priority\":0,\"weight\":1,\"ttl\":30}",
	 "addr: expected IPv4 or IPv6 address, got 0 characters"},
	{"{\"op\":\"register\",\"service\":\"asrs://x\",\"addr\":\" 10.0.0.1\",\"port\":80,"
	 "\"priority\":0,\"weight\":1,\"ttl\":30}",
	 "addr: expected IPv4 or IPv6 address, byte 0 is 0x20"},
	{"{\"op\":\"register\",\"service\":\"asrs://x\",\"addr\":[],\"port\":80,"
	 "\"priority\":0,\"weight\":1,\"ttl\":30}",
	 "addr: expected IPv4 or IPv6 address, got array"},
	{"{\"op\":\"register\",\"service\":\"as\\nrs\",\"addr\":\"10.0.0.1\",\"port\":80,"
	 "\"priority\":0,\"weight\":1,\"ttl\":30}",
	 "service: byte 2 is 0x0a, not printable ASCII"},
	{"{\"op\":\"service.get\",\"service\":\"\"}", "service: expected string of 1..255"},
	{"{\"op\":\"service.get\"}", "service: missing required field"},
	/* relay.add / relay.del */
	{"{\"op\":\"relay.add\",\"path_id\":\"0011\",\"tunnel_key\":\"" KEY "\",\"suite\":1}",
	 "path_id: expected 32 hex digits, got 4 characters"},
	{"{\"op\":\"relay.add\",\"path_id\":\"00112g33445566778899aabbccddeeff\","
	 "\"tunnel_key\":\"" KEY "\",\"suite\":1}",
	 "path_id: byte 5 is 0x67, not a hex digit"},
	{"{\"op\":\"relay.add\",\"path_id\":\"" PID "\",\"tunnel_key\":\"" PID "\",\"suite\":1}",
	 "tunnel_key: expected 64 hex digits, got 32 characters"},
	{"{\"op\":\"relay.add\",\"path_id\":\"" PID "\",\"suite\":1}",
	 "tunnel_key: missing required field"},
	{RELAY "\"suite\":3}", "suite: expected integer 1..2, got 3"},
	{RELAY "\"suite\":0}", "suite: expected integer 1..2, got 0"},
	{RELAY "\"suite\":1,\"idle_timeout_s\":0}", "idle_timeout_s: expected integer 1..65535"},
	{RELAY "\"suite\":1,\"bind_timeout_s\":true}",
	 "bind_timeout_s: expected integer 1..65535, got true"},
	{RELAY "\"suite\":1,\"idle_timeout_s\":86400}",
	 "idle_timeout_s: expected integer 1..65535, got 86400"},
	{RELAY "\"suite\":1,\"rate\":{\"pps\":1,\"bps\":0,\"burst\":1500000}}",
	 "rate.burst: expected integer 1..1000000, got 1500000"},
	{RELAY "\"suite\":1,\"rate\":\"fast\"}", "rate: expected object, got string"},
	{RELAY "\"suite\":1,\"rate\":{\"pps\":0,\"bps\":0,\"burst\":1}}",
	 "rate: expected pps and/or bps above 0"},
	{RELAY "\"suite\":1,\"rate\":{\"pps\":1,\"bps\":0,\"burst\":0}}",
	 "rate.burst: expected integer 1.."},
	{RELAY "\"suite\":1,\"rate\":{\"pps\":1,\"bps\":0}}", "rate.burst: missing required field"},
	{RELAY "\"suite\":1,\"rate\":{\"pps\":1,\"bps\":0,\"burst\":1,\"foo\":1}}",
	 "rate.foo: unknown field"},
	{RELAY "\"suite\":1,\"version\":-1}",
	 "version: expected integer 0..9223372036854775807, got -1"},
	{"{\"op\":\"relay.del\"}", "path_id: missing required field"},
	{"{\"op\":\"relay.get\",\"path_id\":\"00\"}", "path_id: expected 32 hex digits"},
	{"{\"op\":\"relay.refused\",\"path_id\":\"" PID "\"}", "error: missing required field"},
	{"{\"op\":\"relay.refused\",\"path_id\":\"" PID "\",\"error\":\"\"}",
	 "error: expected string of 1..255"},
	{"{\"op\":\"relay.refused\",\"path_id\":\"" PID "\",\"error\":\"x\",\"by\":7}",
	 "by: expected string"},
	{"{\"op\":\"relay.del\",\"path_id\":\"" PID "\",\"suite\":1}", "suite: unknown field"},
	/* service */
	{SVC "\"destinations\":[" DEST("10.0.0.1", 80) "," DEST("10.0.0.2", 80) ","
	     DEST("10.0.0.3", 70000) "]}",
	 "destinations[2].port: expected integer 1..65535, got 70000"},
	{SVC "\"destinations\":[" DEST("10.0.0.1", 80) "," DEST("10.0.0.1", 80) "]}",
	 "destinations[1]: duplicate of destinations[0] (10.0.0.1 port 80)"},
	{SVC "\"destinations\":[" DEST("10.0.0.1", 80) ",7]}",
	 "destinations[1]: expected object, got integer"},
	{SVC "\"destinations\":[{\"addr\":\"10.0.0.1\",\"port\":80,\"weight\":1}]}",
	 "destinations[0].priority: missing required field"},
	{SVC "\"destinations\":[{\"addr\":\"10.0.0.1\",\"port\":80,\"priority\":0,\"weight\":1,"
	     "\"zone\":\"a\"}]}",
	 "destinations[0].zone: unknown field"},
	{SVC "\"destinations\":{}}", "destinations: expected array, got object"},
	{SVC "\"x\":1}", "x: unknown field"},
	{"{\"op\":\"service\",\"version\":1,\"service\":\"asrs://x\",\"sid\":\"" SID_Y "\","
	 "\"destinations\":[]}",
	 "sid: bc535c8e505d4959 does not match SHA-256 of the service URI (5084b6e15a2223b0)"},
	{"{\"op\":\"service\",\"version\":1,\"service\":\"asrs://x\",\"sid\":\"5084\","
	 "\"destinations\":[]}",
	 "sid: expected 16 hex digits, got 4 characters"},
	{"{\"op\":\"service\",\"service\":\"asrs://x\",\"sid\":\"" SID_X "\","
	 "\"destinations\":[]}",
	 "version: missing required field"},
	{"{\"op\":\"service\",\"version\":1,\"service\":\"asrs://x\",\"sid\":\"" SID_X "\"}",
	 "destinations: missing required field"},
	/* snapshot */
	{SNAP "\"relays\":[]}", "services: missing required field"},
	{SNAP "\"services\":[7]}", "services[0]: expected object, got integer"},
	{SNAP "\"services\":[" SVC_X "," SVC_X "]}",
	 "services[1].service: duplicate of services[0]"},
	{SNAP "\"services\":[" SVC_X ",{\"service\":\"asrs://y\",\"sid\":\"" SID_Y
	      "\",\"destinations\":[" DEST("10.0.0.1", 80) "," DEST("1.2.3", 80) "]}]}",
	 "services[1].destinations[1].addr: '1.2.3' is not an IPv4 address"},
	{SNAP "\"services\":[" SVC_Y ",{\"service\":\"asrs://x\",\"sid\":\"" SID_Y
	      "\",\"destinations\":[]}]}",
	 "services[1].sid: bc535c8e505d4959 does not match"},
	{SNAP "\"services\":[{\"service\":\"asrs://x\",\"destinations\":[]}]}",
	 "services[0].sid: missing required field"},
	{SNAP "\"services\":[" SVC_X "],\"relays\":[" RELAY_E "," RELAY_E "]}",
	 "relays[1].path_id: duplicate of relays[0]"},
	{SNAP "\"services\":[],\"relays\":[{\"path_id\":\"" PID "\",\"tunnel_key\":\"" KEY
	      "\",\"suite\":9}]}",
	 "relays[0].suite: expected integer 1..2, got 9"},
	{SNAP "\"services\":[],\"relays\":[{\"op\":\"relay.add\",\"path_id\":\"" PID
	      "\",\"tunnel_key\":\"" KEY "\",\"suite\":1}]}",
	 "relays[0].op: unknown field"},
	{SNAP "\"services\":[],\"relays\":{}}", "relays: expected array, got object"},
	{SNAP "\"services\":[],\"more\":1}", "more: expected boolean, got integer"},
	{"{\"op\":\"snapshot\",\"version\":1.5,\"services\":[]}",
	 "version: expected integer 0..9223372036854775807, got real"},
	/* replies */
	{"{\"ok\":\"yes\"}", "ok: expected true or false, got string"},
	{"{\"ok\":false}", "error: missing required field"},
	{"{\"ok\":false,\"error\":3}", "error: expected string, got integer"},
	{"{\"ok\":false,\"error\":\"x\",\"y\":1}", "y: unknown field"},
};

static void
test_rejects(void)
{
	for (size_t i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		struct aw_msg m, zero;
		char err[AW_MSG_ERRLEN] = "";
		int rc;

		memset(&m, 0x5a, sizeof(m));
		memset(&zero, 0, sizeof(zero));
		rc = aw_msg_decode(rejects[i].line, strlen(rejects[i].line), &m, err, sizeof(err));
		CHECK_EQ(rc, -1);
		CHECK(memcmp(&m, &zero, sizeof(m)) == 0); /* nothing partly decoded */
		if (strstr(err, rejects[i].want) == NULL) {
			aw_test_failures++;
			fprintf(stderr, "case %zu: %s\n  want '%s'\n  got  '%s'\n", i,
				rejects[i].line, rejects[i].want, err);
		}
		for (const char *p = err; *p; p++)
			CHECK(*p >= 0x20 && *p <= 0x7e);
		aw_msg_free(&m);
	}
}

static void
test_limits(void)
{
	size_t cap = 64 + (AW_MSG_MAX_DESTS + 1) * 64;
	char *line = malloc(cap), err[AW_MSG_ERRLEN];
	size_t n = (size_t)snprintf(line, cap, SVC "\"destinations\":[");
	struct aw_msg m;

	for (unsigned i = 0; i <= AW_MSG_MAX_DESTS; i++)
		n += (size_t)snprintf(line + n, cap - n, "%s{\"addr\":\"10.0.%u.%u\",\"port\":1,"
				      "\"priority\":0,\"weight\":1}",
				      i ? "," : "", i >> 8, i & 255);
	snprintf(line + n, cap - n, "]}");
	CHECK_EQ(aw_msg_decode(line, strlen(line), &m, err, sizeof(err)), -1);
	CHECK(strstr(err, "destinations: 257 entries, at most 256 allowed") != NULL);
	free(line);

	/* a tiny err buffer truncates, never overflows; NULL err is allowed */
	CHECK_EQ(aw_msg_decode("{}", 2, &m, err, 4), -1);
	CHECK_STR(err, "op:");
	CHECK_EQ(aw_msg_decode("{}", 2, &m, NULL, 0), -1);
	/* the length bounds the input: no NUL needed */
	CHECK_EQ(aw_msg_decode("{\"op\":\"ping\"}garbage", 13, &m, err, sizeof(err)), 0);
	CHECK_EQ(m.type, AW_MSG_PING);
}

static void
test_deregister_optional(void)
{
	struct aw_msg m;
	char err[AW_MSG_ERRLEN];
	const char *line = "{\"op\":\"deregister\",\"service\":\"asrs://x\",\"addr\":\"::\","
			   "\"port\":9,\"weight\":3}";

	CHECK_EQ(aw_msg_decode(line, strlen(line), &m, err, sizeof(err)), 0);
	CHECK_EQ(m.u.reg.weight, 3);
	CHECK_EQ(m.u.reg.ttl, 0);
}

AW_TEST_MAIN(AW_TEST(test_rejects), AW_TEST(test_limits), AW_TEST(test_deregister_optional))
