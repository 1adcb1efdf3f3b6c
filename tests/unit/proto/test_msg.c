/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/proto aw_msg: round trips of every type, and rejections. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "aw_msg.h"
#include "aw_test.h"

/* SPEC §4.1, computed independently of the library. */
static uint64_t
sid_of(const char *uri)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	uint64_t sid = 0;

	SHA256((const unsigned char *)uri, strlen(uri), md);
	for (int i = 0; i < 8; i++)
		sid = sid << 8 | md[i];
	return sid;
}

static void
set_addr(struct aw_addr *a, const char *s)
{
	CHECK_EQ(aw_addr_parse(s, a, NULL, 0), 0);
}

/* encode -> decode equals m; decode -> encode gives the same line again. */
static void
roundtrip(const struct aw_msg *m)
{
	char err[AW_MSG_ERRLEN] = "";
	struct aw_msg d, d2;
	char *line = aw_msg_encode(m), *line2;

	CHECK(line != NULL);
	if (line == NULL)
		return;
	CHECK(strchr(line, '\n') == NULL);
	CHECK_EQ(aw_msg_decode(line, strlen(line), &d, err, sizeof(err)), 0);
	if (err[0] != '\0')
		fprintf(stderr, "decode of %.200s: %s\n", line, err);
	CHECK(aw_msg_equal(m, &d));
	line2 = aw_msg_encode(&d);
	CHECK(line2 != NULL);
	if (line2 != NULL) {
		CHECK_STR(line2, line);
		CHECK_EQ(aw_msg_decode(line2, strlen(line2), &d2, err, sizeof(err)), 0);
		CHECK(aw_msg_equal(&d, &d2));
		aw_msg_free(&d2);
	}
	free(line2);
	aw_msg_free(&d);
	free(line);
}

/* Decode line, expecting success; the caller frees *m. */
static void
decode_ok(const char *line, struct aw_msg *m)
{
	char err[AW_MSG_ERRLEN] = "";

	CHECK_EQ(aw_msg_decode(line, strlen(line), m, err, sizeof(err)), 0);
	if (err[0] != '\0')
		fprintf(stderr, "unexpected error for %s: %s\n", line, err);
}

static void
test_names(void)
{
	CHECK_STR(aw_msg_type_name(AW_MSG_HELLO), "hello");
	CHECK_STR(aw_msg_type_name(AW_MSG_RELAY_ADD), "relay.add");
	CHECK_STR(aw_msg_type_name(AW_MSG_SUBSCRIBER_LIST), "subscriber.list");
	CHECK_STR(aw_msg_type_name(AW_MSG_REPLY), "reply");
	CHECK(aw_msg_type_name(AW_MSG__COUNT) == NULL);
	CHECK_STR(aw_role_name(AW_ROLE_SUBSCRIBER), "subscriber");
	CHECK(aw_role_name(AW_ROLE__COUNT) == NULL);
}

static void
test_hello(void)
{
	struct aw_msg m, d;
	char *s;

	aw_msg_init(&m, AW_MSG_HELLO);
	m.u.hello.role = AW_ROLE_REGISTRAR;
	strcpy(m.u.hello.name, "registrar one@host-1");
	s = aw_msg_encode(&m);
	CHECK_STR(s, "{\"op\":\"hello\",\"role\":\"registrar\",\"name\":\"registrar one@host-1\"}");
	free(s);
	roundtrip(&m);

	decode_ok("{\"name\":\"ctl\",\"op\":\"hello\",\"role\":\"admin\"}", &d);
	CHECK_EQ(d.type, AW_MSG_HELLO);
	CHECK_EQ(d.u.hello.role, AW_ROLE_ADMIN);
	CHECK_STR(d.u.hello.name, "ctl");
	CHECK(!d.has_version);
	aw_msg_free(&d);
}

static void
test_register(void)
{
	struct aw_msg m, d;

	aw_msg_init(&m, AW_MSG_REGISTER);
	strcpy(m.u.reg.service, "asrs://shop.example/web");
	set_addr(&m.u.reg.addr, "2001:db8::10");
	m.u.reg.port = 65535;
	m.u.reg.priority = 65535;
	m.u.reg.weight = 0;
	m.u.reg.ttl = 86400;
	roundtrip(&m);

	decode_ok("{\"op\":\"register\",\"service\":\"asrs://a/b\",\"addr\":\"10.0.0.1\","
		  "\"port\":80,\"priority\":1,\"weight\":100,\"ttl\":30}",
		  &d);
	CHECK_EQ(d.type, AW_MSG_REGISTER);
	CHECK_STR(d.u.reg.service, "asrs://a/b");
	CHECK_EQ(d.u.reg.addr.family, AW_AF_INET4);
	CHECK_EQ(d.u.reg.addr.b[0], 10);
	CHECK_EQ(d.u.reg.addr.b[3], 1);
	CHECK_EQ(d.u.reg.port, 80);
	CHECK_EQ(d.u.reg.priority, 1);
	CHECK_EQ(d.u.reg.weight, 100);
	CHECK_EQ(d.u.reg.ttl, 30);
	roundtrip(&d);
	aw_msg_free(&d);
}

static void
test_deregister(void)
{
	struct aw_msg m, d;

	aw_msg_init(&m, AW_MSG_DEREGISTER);
	strcpy(m.u.reg.service, "asrs://shop.example/web");
	set_addr(&m.u.reg.addr, "192.0.2.7");
	m.u.reg.port = 443;
	roundtrip(&m); /* ttl 0: omitted */
	m.u.reg.ttl = 60;
	m.u.reg.weight = 5;
	roundtrip(&m);

	decode_ok("{\"op\":\"deregister\",\"service\":\"s\",\"addr\":\"::1\",\"port\":1}", &d);
	CHECK_EQ(d.type, AW_MSG_DEREGISTER);
	CHECK_EQ(d.u.reg.addr.family, AW_AF_INET6);
	CHECK_EQ(d.u.reg.port, 1);
	CHECK_EQ(d.u.reg.ttl, 0);
	CHECK_EQ(d.u.reg.priority, 0);
	aw_msg_free(&d);
}

static void
fill_relay(struct aw_msg_relay *r, unsigned seed)
{
	for (unsigned i = 0; i < AW_MSG_PATH_ID_LEN; i++)
		r->path_id[i] = (uint8_t)(seed * 31 + i * 7);
	memcpy(r->path_id, &seed, sizeof(seed)); /* unique per seed */
	for (unsigned i = 0; i < AW_MSG_TUNNEL_KEY_LEN; i++)
		r->tunnel_key[i] = (uint8_t)(seed + i * 13 + 0x80);
	r->suite = (uint8_t)(1 + seed % 2);
	r->idle_timeout_s = AW_MSG_IDLE_TIMEOUT_DEFAULT;
	r->bind_timeout_s = AW_MSG_BIND_TIMEOUT_DEFAULT;
}

static void
test_relay_add(void)
{
	struct aw_msg m, d;

	aw_msg_init(&m, AW_MSG_RELAY_ADD);
	CHECK_EQ(m.u.relay.idle_timeout_s, 300);
	CHECK_EQ(m.u.relay.bind_timeout_s, 30);
	fill_relay(&m.u.relay, 7);
	roundtrip(&m);
	m.u.relay.has_rate = true;
	m.u.relay.rate = (struct aw_msg_rate){.pps = 1000, .bps = 0, .burst = 1500};
	m.u.relay.idle_timeout_s = 65535;
	m.u.relay.bind_timeout_s = 1;
	m.has_version = true;
	m.version = 42;
	roundtrip(&m);

	decode_ok("{\"op\":\"relay.add\",\"path_id\":\"00112233445566778899AABBCCDDEEFF\","
		  "\"tunnel_key\":\"000102030405060708090a0b0c0d0e0f"
		  "101112131415161718191a1b1c1d1e1f\",\"suite\":2}",
		  &d);
	CHECK_EQ(d.type, AW_MSG_RELAY_ADD);
	CHECK_EQ(d.u.relay.path_id[0], 0x00);
	CHECK_EQ(d.u.relay.path_id[10], 0xaa);
	CHECK_EQ(d.u.relay.path_id[15], 0xff);
	CHECK_EQ(d.u.relay.tunnel_key[31], 0x1f);
	CHECK_EQ(d.u.relay.suite, 2);
	CHECK_EQ(d.u.relay.idle_timeout_s, 300);
	CHECK_EQ(d.u.relay.bind_timeout_s, 30);
	CHECK(!d.u.relay.has_rate);
	CHECK(!d.has_version);
	aw_msg_free(&d);
}

static void
test_simple_ops(void)
{
	static const enum aw_msg_type types[] = {AW_MSG_SERVICE_LIST, AW_MSG_SUBSCRIBER_LIST,
						 AW_MSG_PING, AW_MSG_RELAY_LIST};
	struct aw_msg m, d;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		aw_msg_init(&m, types[i]);
		roundtrip(&m);
	}
	aw_msg_init(&m, AW_MSG_RELAY_DEL);
	memset(m.u.path_id, 0xab, sizeof(m.u.path_id));
	roundtrip(&m);
	m.has_version = true;
	m.version = 9;
	roundtrip(&m);
	aw_msg_init(&m, AW_MSG_SERVICE_GET);
	strcpy(m.u.service, "asrs://shop.example/web with space");
	roundtrip(&m);

	aw_msg_init(&m, AW_MSG_RELAY_GET);
	memset(m.u.path_id, 0x5c, sizeof(m.u.path_id));
	roundtrip(&m);
	aw_msg_init(&m, AW_MSG_RELAY_REFUSED);
	memset(m.u.refusal.path_id, 0x11, AW_MSG_PATH_ID_LEN);
	strcpy(m.u.refusal.error, "relay.add: relay table full (1048576 paths)");
	roundtrip(&m);
	strcpy(m.u.refusal.by, "agent-7");
	roundtrip(&m);

	decode_ok("{\"op\":\"ping\"}", &d);
	CHECK_EQ(d.type, AW_MSG_PING);
	aw_msg_free(&d);
	decode_ok("{\"op\":\"relay.refused\",\"path_id\":\"00112233445566778899aabbccddeeff\","
		  "\"error\":\"full\"}", &d);
	CHECK_EQ(d.type, AW_MSG_RELAY_REFUSED);
	CHECK_STR(d.u.refusal.error, "full");
	CHECK_STR(d.u.refusal.by, "");
	aw_msg_free(&d);
}

static void
fill_svc(struct aw_msg_svc *s, const char *uri, uint32_t ndest)
{
	snprintf(s->service, sizeof(s->service), "%s", uri);
	s->sid = sid_of(s->service);
	s->n_dests = ndest;
	s->dests = ndest ? calloc(ndest, sizeof(*s->dests)) : NULL;
	for (uint32_t i = 0; i < ndest; i++) {
		char a[64];

		if (i % 2)
			snprintf(a, sizeof(a), "2001:db8::%x", i + 1);
		else
			snprintf(a, sizeof(a), "10.%u.%u.%u", i >> 16 & 255, i >> 8 & 255, i & 255);
		set_addr(&s->dests[i].addr, a);
		s->dests[i].port = (uint16_t)(1 + i);
		s->dests[i].priority = (uint16_t)(i % 3);
		s->dests[i].weight = (uint16_t)(i * 100);
	}
}

static void
test_service(void)
{
	struct aw_msg m, d;
	char line[512];

	aw_msg_init(&m, AW_MSG_SERVICE);
	m.version = 17;
	fill_svc(&m.u.svc, "asrs://shop.example/web", AW_MSG_MAX_DESTS);
	roundtrip(&m);
	aw_msg_free(&m);

	aw_msg_init(&m, AW_MSG_SERVICE); /* withdrawn: empty list */
	fill_svc(&m.u.svc, "asrs://gone", 0);
	roundtrip(&m);
	aw_msg_free(&m);

	snprintf(line, sizeof(line),
		 "{\"op\":\"service\",\"version\":3,\"service\":\"asrs://x\",\"sid\":\"%016" PRIX64
		 "\",\"destinations\":[{\"addr\":\"10.0.0.1\",\"port\":80,\"priority\":0,"
		 "\"weight\":1}]}",
		 sid_of("asrs://x"));
	decode_ok(line, &d);
	CHECK_EQ(d.type, AW_MSG_SERVICE);
	CHECK(d.has_version);
	CHECK_EQ(d.version, 3);
	CHECK(d.u.svc.sid == sid_of("asrs://x"));
	CHECK_EQ(d.u.svc.n_dests, 1);
	CHECK_EQ(d.u.svc.dests[0].port, 80);
	CHECK_EQ(d.u.svc.dests[0].weight, 1);
	aw_msg_free(&d);
}

static void
make_snapshot(struct aw_msg *m, uint32_t nsvc, uint32_t nrel)
{
	aw_msg_init(m, AW_MSG_SNAPSHOT);
	m->version = 1000000;
	m->u.snapshot.n_services = nsvc;
	m->u.snapshot.services = calloc(nsvc, sizeof(*m->u.snapshot.services));
	for (uint32_t i = 0; i < nsvc; i++) {
		char uri[64];

		snprintf(uri, sizeof(uri), "asrs://svc%u.example/app", i);
		fill_svc(&m->u.snapshot.services[i], uri, i % 4);
	}
	m->u.snapshot.n_relays = nrel;
	m->u.snapshot.relays = calloc(nrel, sizeof(*m->u.snapshot.relays));
	for (uint32_t i = 0; i < nrel; i++) {
		fill_relay(&m->u.snapshot.relays[i], i);
		m->u.snapshot.relays[i].has_rate = i % 2;
		m->u.snapshot.relays[i].rate = (struct aw_msg_rate){0, 125000, 1 + i};
	}
}

static void
test_snapshot(void)
{
	struct aw_msg m, d;
	char err[AW_MSG_ERRLEN];
	char *line;

	make_snapshot(&m, 0, 0);
	roundtrip(&m);
	aw_msg_free(&m);
	make_snapshot(&m, 3, 5);
	roundtrip(&m);
	m.u.snapshot.more = true; /* a part of a snapshot sent in parts */
	roundtrip(&m);
	aw_msg_free(&m);

	make_snapshot(&m, 1000, 50); /* the 1,000-service snapshot */
	roundtrip(&m);
	line = aw_msg_encode(&m);
	CHECK(line != NULL && strlen(line) < (1u << 20));
	CHECK_EQ(aw_msg_decode(line, strlen(line), &d, err, sizeof(err)), 0);
	CHECK_EQ(d.u.snapshot.n_services, 1000);
	CHECK_EQ(d.u.snapshot.n_relays, 50);
	CHECK_STR(d.u.snapshot.services[999].service, "asrs://svc999.example/app");
	CHECK(d.u.snapshot.services[999].sid == sid_of("asrs://svc999.example/app"));
	CHECK_EQ(d.u.snapshot.services[999].n_dests, 3);
	CHECK_EQ(d.u.snapshot.services[999].dests[2].port, 3);
	CHECK_EQ(d.u.snapshot.relays[49].rate.burst, 50);
	/* equality notices one changed field deep down */
	d.u.snapshot.services[502].dests[1].weight ^= 1;
	CHECK(!aw_msg_equal(&m, &d));
	free(line);
	aw_msg_free(&d);
	aw_msg_free(&m);

	decode_ok("{\"op\":\"snapshot\",\"version\":0,\"services\":[]}", &d);
	CHECK(!d.u.snapshot.more);
	CHECK_EQ(d.u.snapshot.n_services, 0);
	CHECK_EQ(d.u.snapshot.n_relays, 0);
	aw_msg_free(&d);
}

static void
test_reply(void)
{
	struct aw_msg m, d;
	json_t *data = json_pack("{s:i,s:[s]}", "count", 2, "names", "a");
	char *s;

	s = aw_msg_reply_ok(NULL);
	CHECK_STR(s, "{\"ok\":true}");
	decode_ok(s, &d);
	CHECK_EQ(d.type, AW_MSG_REPLY);
	CHECK(d.u.reply.ok && d.u.reply.data == NULL);
	aw_msg_free(&d);
	free(s);

	s = aw_msg_reply_ok(data);
	CHECK_STR(s, "{\"ok\":true,\"count\":2,\"names\":[\"a\"]}");
	decode_ok(s, &d);
	CHECK(json_equal(d.u.reply.data, data));
	roundtrip(&d);
	aw_msg_free(&d);
	free(s);
	json_decref(data);

	s = aw_msg_reply_error("port: %s\x01", "bad");
	CHECK_STR(s, "{\"ok\":false,\"error\":\"port: bad?\"}");
	decode_ok(s, &d);
	CHECK(!d.u.reply.ok);
	CHECK_STR(d.u.reply.error, "port: bad?");
	free(s);
	m = d;
	roundtrip(&m);
	aw_msg_free(&d);
}

static void
test_json_helpers(void)
{
	static const char *const op[] = {"op", NULL};
	json_t *o = json_pack("{s:s,s:s,s:s,s:i,s:{s:i,s:i,s:i}}", "op", "relay.add", "path_id",
			      "0123456789abcdef0123456789abcdef", "tunnel_key",
			      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			      "suite", 1, "rate", "pps", 10, "bps", 0, "burst", 100);
	struct aw_msg_relay r;
	struct aw_msg_dest *d;
	uint32_t n;
	char err[AW_MSG_ERRLEN];
	json_t *back, *arr;

	CHECK_EQ(aw_msg_relay_from_json(o, "", op, &r, err, sizeof(err)), 0);
	CHECK_EQ(r.rate.pps, 10);
	back = aw_msg_relay_to_json(&r);
	CHECK(json_object_get(back, "op") == NULL);
	CHECK_STR(json_string_value(json_object_get(back, "path_id")),
		  "0123456789abcdef0123456789abcdef");
	json_decref(back);
	CHECK_EQ(aw_msg_relay_from_json(o, "", NULL, &r, err, sizeof(err)), -1);
	CHECK_STR(err, "op: unknown field");
	CHECK_EQ(aw_msg_relay_from_json(o, "relays[2]", NULL, &r, err, sizeof(err)), -1);
	CHECK_STR(err, "relays[2].op: unknown field");
	CHECK_EQ(aw_msg_relay_from_json(NULL, "", NULL, &r, err, sizeof(err)), -1);
	CHECK_STR(err, "relay: expected object, got nothing");
	json_decref(o);

	arr = json_pack("[{s:s,s:i,s:i,s:i}]", "addr", "10.1.1.1", "port", 53, "priority", 0,
			"weight", 1);
	CHECK_EQ(aw_msg_dests_from_json(arr, "args.destinations", &d, &n, err, sizeof(err)), 0);
	CHECK_EQ(n, 1);
	back = aw_msg_dests_to_json(d, n);
	CHECK(json_equal(back, arr));
	json_decref(back);
	free(d);
	json_object_set_new(json_array_get(arr, 0), "port", json_integer(0));
	CHECK_EQ(aw_msg_dests_from_json(arr, "args.destinations", &d, &n, err, sizeof(err)), -1);
	CHECK_STR(err, "args.destinations[0].port: expected integer 1..65535, got 0");
	CHECK(d == NULL && n == 0);
	json_decref(arr);
}

AW_TEST_MAIN(AW_TEST(test_names), AW_TEST(test_hello), AW_TEST(test_register),
	     AW_TEST(test_deregister), AW_TEST(test_relay_add), AW_TEST(test_simple_ops),
	     AW_TEST(test_service), AW_TEST(test_snapshot), AW_TEST(test_reply),
	     AW_TEST(test_json_helpers))
