/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/proto aw_msg_member: member.register / member.deregister /
 * member.list decoded and validated whole, encoded back equal; every
 * malformed request rejected with an error naming the field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_msg.h"
#include "aw_test.h"

#define REG(id, addr, state, ttl)                                                          \
	"{\"op\":\"member.register\",\"id\":" id ",\"addr\":" addr ",\"state\":" state        \
	",\"ttl\":" ttl "}"
#define OK_REG(rest) "{\"op\":\"member.register\",\"id\":\"inst-a\"," rest "}"

static void
decode_ok(const char *line, struct aw_msg *m)
{
	char err[AW_MSG_ERRLEN] = "";

	CHECK_EQ(aw_msg_decode(line, strlen(line), m, err, sizeof(err)), 0);
	if (err[0] != '\0')
		fprintf(stderr, "unexpected error for %s: %s\n", line, err);
}

/* line decodes, encodes to want (canonical form), which decodes equal. */
static void
check_canonical(const char *line, const char *want)
{
	struct aw_msg m, d;
	char err[AW_MSG_ERRLEN] = "";
	char *out;

	decode_ok(line, &m);
	out = aw_msg_encode(&m);
	CHECK(out != NULL);
	if (out != NULL) {
		CHECK_STR(out, want);
		CHECK_EQ(aw_msg_decode(out, strlen(out), &d, err, sizeof(err)), 0);
		CHECK(aw_msg_equal(&m, &d));
		aw_msg_free(&d);
	}
	free(out);
	aw_msg_free(&m);
}

static void
test_register(void)
{
	struct aw_msg m;
	char a[AW_ADDR_STRLEN];

	decode_ok(REG("\"inst-A_1.x\"", "\"10.9.0.1\"", "\"draining\"", "30"), &m);
	CHECK_EQ(m.type, AW_MSG_MEMBER_REGISTER);
	CHECK_STR(m.u.member.id, "inst-A_1.x");
	CHECK_STR(aw_addr_format(&m.u.member.addr, a, sizeof(a)), "10.9.0.1");
	CHECK_EQ(m.u.member.state, AW_MEMBER_DRAINING);
	CHECK_EQ(m.u.member.ttl, 30);
	CHECK(!m.has_version);
	aw_msg_free(&m);
	/* members in any order; IPv6 written back in its canonical form */
	check_canonical("{\"ttl\":86400,\"state\":\"down\",\"addr\":\"2001:DB8:0::1\",\"id\":\"b\","
			"\"op\":\"member.register\"}",
			"{\"op\":\"member.register\",\"id\":\"b\",\"addr\":\"2001:db8::1\","
			"\"state\":\"down\",\"ttl\":86400}");
	check_canonical(REG("\"a\"", "\"10.0.0.1\"", "\"active\"", "1"),
			REG("\"a\"", "\"10.0.0.1\"", "\"active\"", "1"));
	/* 64 characters: the longest id */
	check_canonical(REG("\"" "0123456789012345678901234567890123456789012345678901234567890123" "\"",
			    "\"10.0.0.1\"", "\"active\"", "1"),
			REG("\"" "0123456789012345678901234567890123456789012345678901234567890123" "\"",
			    "\"10.0.0.1\"", "\"active\"", "1"));
	CHECK_STR(aw_member_state_name(AW_MEMBER_ACTIVE), "active");
	CHECK(aw_member_state_name(AW_MEMBER_STATE__COUNT) == NULL);
}

static void
test_deregister_and_list(void)
{
	struct aw_msg m;

	decode_ok("{\"op\":\"member.deregister\",\"id\":\"inst-b\"}", &m);
	CHECK_EQ(m.type, AW_MSG_MEMBER_DEREGISTER);
	CHECK_STR(m.u.member.id, "inst-b");
	aw_msg_free(&m);
	check_canonical("{\"id\":\"x\",\"op\":\"member.deregister\"}",
			"{\"op\":\"member.deregister\",\"id\":\"x\"}");
	decode_ok("{\"op\":\"member.list\"}", &m);
	CHECK_EQ(m.type, AW_MSG_MEMBER_LIST);
	aw_msg_free(&m);
	check_canonical("{\"op\":\"member.list\"}", "{\"op\":\"member.list\"}");
	CHECK_STR(aw_msg_type_name(AW_MSG_MEMBER_REGISTER), "member.register");
}

static const struct {
	const char *line;
	const char *want; /* the whole error */
} rejects[] = {
	{OK_REG("\"addr\":\"10.0.0.1\",\"state\":\"active\",\"ttl\":30,\"extra\":1"),
	 "extra: unknown field"},
	{"{\"op\":\"member.register\",\"addr\":\"10.0.0.1\",\"state\":\"active\",\"ttl\":30}",
	 "id: missing required field"},
	{REG("\"a b\"", "\"10.0.0.1\"", "\"active\"", "30"),
	 "id: expected 1..64 characters of A-Z a-z 0-9 . _ -, got 'a b'"},
	{REG("\"\"", "\"10.0.0.1\"", "\"active\"", "30"),
	 "id: expected 1..64 characters of A-Z a-z 0-9 . _ -, got ''"},
	{REG("\"" "01234567890123456789012345678901234567890123456789012345678901234" "\"",
	     "\"10.0.0.1\"", "\"active\"", "30"),
	 "id: expected 1..64 characters of A-Z a-z 0-9 . _ -, got "
	 "'01234567890123456789012345678901234567890123456789012345678901234'"},
	{REG("7", "\"10.0.0.1\"", "\"active\"", "30"),
	 "id: expected 1..64 characters of A-Z a-z 0-9 . _ -, got integer"},
	{REG("\"a\\u0000b\"", "\"10.0.0.1\"", "\"active\"", "30"), "invalid JSON"},
	{REG("\"a\"", "\"10.9.0.300\"", "\"active\"", "30"),
	 "addr: expected an IPv4 or IPv6 address, got '10.9.0.300'"},
	{REG("\"a\"", "\"fe80::1%eth0\"", "\"active\"", "30"),
	 "addr: expected an IPv4 or IPv6 address, got 'fe80::1%eth0'"},
	{REG("\"a\"", "null", "\"active\"", "30"),
	 "addr: expected an IPv4 or IPv6 address, got null"},
	{OK_REG("\"state\":\"active\",\"ttl\":30"), "addr: missing required field"},
	{REG("\"a\"", "\"10.0.0.1\"", "\"gone\"", "30"),
	 "state: expected active, draining or down, got 'gone'"},
	{REG("\"a\"", "\"10.0.0.1\"", "\"Active\"", "30"),
	 "state: expected active, draining or down, got 'Active'"},
	{REG("\"a\"", "\"10.0.0.1\"", "true", "30"),
	 "state: expected active, draining or down, got true"},
	{REG("\"a\"", "\"10.0.0.1\"", "\"active\"", "0"), "ttl: expected integer 1..86400, got 0"},
	{REG("\"a\"", "\"10.0.0.1\"", "\"active\"", "86401"),
	 "ttl: expected integer 1..86400, got 86401"},
	{REG("\"a\"", "\"10.0.0.1\"", "\"active\"", "30.0"),
	 "ttl: expected integer 1..86400, got real"},
	{OK_REG("\"addr\":\"10.0.0.1\",\"state\":\"active\""), "ttl: missing required field"},
	{"{\"op\":\"member.deregister\"}", "id: missing required field"},
	{"{\"op\":\"member.deregister\",\"id\":\"a/b\"}",
	 "id: expected 1..64 characters of A-Z a-z 0-9 . _ -, got 'a/b'"},
	{"{\"op\":\"member.deregister\",\"id\":\"a\",\"ttl\":3}", "ttl: unknown field"},
	{"{\"op\":\"member.list\",\"id\":\"a\"}", "id: unknown field"},
	{"{\"op\":\"member.frob\"}", "op: unknown operation 'member.frob'"},
};

static void
test_rejects(void)
{
	for (size_t i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		struct aw_msg m;
		char err[AW_MSG_ERRLEN] = "";
		const char *line = rejects[i].line;
		int rc = aw_msg_decode(line, strlen(line), &m, err, sizeof(err));

		CHECK_EQ(rc, -1);
		if (strncmp(rejects[i].want, "invalid JSON", 12) == 0)
			CHECK(strncmp(err, "invalid JSON", 12) == 0);
		else
			CHECK_STR(err, rejects[i].want);
		CHECK_EQ(m.type, 0); /* left zeroed */
		CHECK_EQ(m.u.member.id[0], '\0');
	}
}

AW_TEST_MAIN(AW_TEST(test_register), AW_TEST(test_deregister_and_list), AW_TEST(test_rejects))
