/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests: anyway-mapd's ACL parser and matcher (mapd_aclfile.c). */
#include <stdio.h>
#include <string.h>

#include "aw_test.h"
#include "mapd_aclfile.h"

static const char good[] =
        "# comment line\n"
        "\n"
        "admin ops-*   # trailing comment\n"
        "subscriber\tagent-*\n"
        "registrar web-1 service asrs://shop.example/* service asrs://*.example/static "
        "prefix 10.1.0.0/16 prefix 2001:db8::/48 rate 50/s max 200\r\n"
        "registrar web-* service asrs://web.example/* prefix 0.0.0.0/0 burst 7\n"
        "admin root";

static int
parse(const char *text, struct mapd_acl *a, char *err, size_t n)
{
	return mapd_acl_parse(text, strlen(text), "F", a, err, n);
}

static void
test_parse_good(void)
{
	struct mapd_acl a;
	char err[512] = "";

	CHECK_EQ(parse(good, &a, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_EQ(a.n, 5);
	CHECK_STR(a.path, "F");
	CHECK_EQ(a.e[0].kind, MAPD_ACL_ADMIN);
	CHECK_EQ(a.e[0].line, 3);
	CHECK_STR(a.e[0].ident, "ops-*");
	CHECK_EQ(a.e[0].rate, MAPD_ACL_DEF_RATE);
	CHECK_EQ(a.e[0].burst, MAPD_ACL_DEF_MAX); /* max(2 x 100, 1024) */
	CHECK_EQ(a.e[0].max_dests, MAPD_ACL_DEF_MAX);
	CHECK_EQ(a.e[1].kind, MAPD_ACL_SUBSCRIBER);
	const struct mapd_acl_entry *w = &a.e[2];
	CHECK_EQ(w->kind, MAPD_ACL_REGISTRAR);
	CHECK_EQ(w->n_services, 2);
	CHECK_EQ(w->n_prefixes, 2);
	CHECK_EQ(w->rate, 50);
	CHECK_EQ(w->burst, 200); /* max(2 x 50, max 200) */
	CHECK_EQ(w->max_dests, 200);
	CHECK_EQ(a.e[3].burst, 7);
	CHECK_EQ(a.e[4].line, 7);
	mapd_acl_free(&a);
	CHECK_EQ(a.n, 0);
	/* an empty file is a valid ACL that allows nothing */
	CHECK_EQ(parse("# nothing\n", &a, err, sizeof(err)), 0);
	CHECK_EQ(a.n, 0);
	mapd_acl_free(&a);
}

static void
test_parse_errors(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	        {"admin a\nfoo b\n",
	         "F:2: unknown keyword 'foo' (expected admin, subscriber or registrar)"},
	        {"admin\n", "F:1: admin: identity missing"},
	        {"admin a*b\n",
	         "F:1: admin: identity pattern 'a*b': '*' is allowed only at the end"},
	        {"admin a\x01\n",
	         "F:1: admin: identity 'a\x01' has a byte that is not printable ASCII"},
	        {"admin a\nadmin a\n", "F:2: duplicate entry: admin 'a' is already at line 1"},
	        {"registrar w service asrs://x/* prefix 10.0.0.1/8\n",
	         "F:1: prefix '10.0.0.1/8': '10.0.0.1/8' has host bits set; did you mean "
	         "10.0.0.0/8?"},
	        {"registrar w service x/* prefix 10.0.0.0/8\n",
	         "F:1: service pattern 'x/*': expected SCHEME://..., e.g. asrs://shop.example/*"},
	        {"registrar w service *://x prefix 10.0.0.0/8\n",
	         "F:1: service pattern '*://x': scheme has '*' (letters, then letters, digits, "
	         "'+', "
	         "'.', '-')"},
	        {"registrar w service asrs://a prefix 10.0.0.0/8 service asrs://a\n",
	         "F:1: service pattern 'asrs://a' given twice"},
	        {"registrar w prefix 10.0.0.0/8\n",
	         "F:1: registrar 'w' needs at least one 'service PATTERN' and one 'prefix NET'"},
	        {"admin a rate 0/s\n", "F:1: rate: expected 1..1000000/s, got '0/s'"},
	        {"admin a rate 5/m\n", "F:1: rate: expected 1..1000000/s, got '5/m'"},
	        {"admin a max 2 max 3\n", "F:1: 'max' given twice"},
	        {"admin a burst\n", "F:1: 'burst' needs a value"},
	        {"admin a colour red\n",
	         "F:1: unknown option 'colour' (expected service, prefix, rate, "
	         "burst or max)"},
	        {"subscriber s service asrs://a\n",
	         "F:1: 'service' is for registrar entries, not subscriber"},
	        {"admin a\n\nadmin\0b\n", "F:3: NUL byte"},
	};
	struct mapd_acl a;
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].text);
		if (strstr(cases[i].want, "NUL") != NULL)
			len = 15;
		err[0] = '\0';
		CHECK_EQ(mapd_acl_parse(cases[i].text, len, "F", &a, err, sizeof(err)), -1);
		CHECK_STR(err, cases[i].want);
		CHECK_EQ(a.n, 0);
		CHECK(a.e == NULL && a.path == NULL);
	}
}

static void
test_match(void)
{
	CHECK(mapd_acl_ident_match("web-1", "web-1"));
	CHECK(!mapd_acl_ident_match("web-1", "web-10"));
	CHECK(!mapd_acl_ident_match("web-1", "web-"));
	CHECK(mapd_acl_ident_match("web-*", "web-"));
	CHECK(mapd_acl_ident_match("web-*", "web-10"));
	CHECK(!mapd_acl_ident_match("web-*", "web"));
	CHECK(mapd_acl_ident_match("*", ""));
	CHECK(mapd_acl_glob("asrs://shop.example/*", "asrs://shop.example/"));
	CHECK(mapd_acl_glob("asrs://shop.example/*", "asrs://shop.example/a/b"));
	CHECK(!mapd_acl_glob("asrs://shop.example/*", "asrs://shop.example"));
	CHECK(!mapd_acl_glob("asrs://shop.example/*", "asrs://shop.example.evil/x"));
	CHECK(mapd_acl_glob("asrs://*.example/static", "asrs://a.b.example/static"));
	CHECK(!mapd_acl_glob("asrs://*.example/static", "asrs://a.example/static2"));
	CHECK(mapd_acl_glob("a*b*c", "aXbYbZc"));
	CHECK(!mapd_acl_glob("a*b*c", "aXbYbZ"));
	CHECK(mapd_acl_glob("**", ""));
	CHECK(mapd_acl_glob("asrs://x", "asrs://x"));
	CHECK(!mapd_acl_glob("asrs://x", "asrs://xy"));
}

static void
test_check_register(void)
{
	struct mapd_acl a;
	struct aw_addr in4, out4, in6;
	char err[512], why[512];

	CHECK_EQ(parse(good, &a, err, sizeof(err)), 0);
	aw_addr_parse("10.1.2.3", &in4, err, sizeof(err));
	aw_addr_parse("10.2.0.1", &out4, err, sizeof(err));
	aw_addr_parse("2001:db8:0:ff::1", &in6, err, sizeof(err));
	CHECK_EQ(mapd_acl_check_register(&a, "web-1", "asrs://shop.example/a", &in4, why, 512),
	         MAPD_ACL_OK);
	CHECK_EQ(mapd_acl_check_register(&a, "web-1", "asrs://shop.example/a", &in6, why, 512),
	         MAPD_ACL_OK);
	CHECK_EQ(mapd_acl_check_register(&a, "web-1", "asrs://b.example/static", &in4, why, 512),
	         MAPD_ACL_OK);
	/* web-1 also matches web-*: that entry allows web.example anywhere in IPv4 */
	CHECK_EQ(mapd_acl_check_register(&a, "web-1", "asrs://web.example/x", &out4, why, 512),
	         MAPD_ACL_OK);
	CHECK_EQ(mapd_acl_check_register(&a, "web-1", "asrs://web.example/x", &in6, why, 512),
	         MAPD_ACL_NO_PREFIX);
	CHECK_STR(why, "identity 'web-1' may not register destination 2001:db8:0:ff::1 for service "
	               "'asrs://web.example/x' (acl F line 6: registrar 'web-*': no prefix holds "
	               "2001:db8:0:ff::1)");
	CHECK_EQ(mapd_acl_check_register(&a, "web-1", "asrs://shop.example/a", &out4, why, 512),
	         MAPD_ACL_NO_PREFIX);
	CHECK_EQ(mapd_acl_check_register(&a, "web-1", "asrs://bank.example/a", &in4, why, 512),
	         MAPD_ACL_NO_SERVICE);
	CHECK_STR(why, "identity 'web-1' may not register service 'asrs://bank.example/a' (acl F: "
	               "no service pattern of its registrar entries matches)");
	CHECK_EQ(mapd_acl_check_register(&a, "agent-1", "asrs://shop.example/a", &in4, why, 512),
	         MAPD_ACL_NO_ENTRY);
	CHECK_EQ(mapd_acl_check_register(&a, "ops-1", "asrs://any/x", &out4, why, 512),
	         MAPD_ACL_OK);
	CHECK(mapd_acl_find(&a, MAPD_ACL_SUBSCRIBER, "agent-9") == &a.e[1]);
	CHECK(mapd_acl_find(&a, MAPD_ACL_ADMIN, "agent-9") == NULL);
	CHECK(mapd_acl_limits_of(&a, "web-1") == &a.e[2]);
	CHECK(mapd_acl_limits_of(&a, "web-2") == &a.e[3]);
	CHECK(mapd_acl_limits_of(&a, "nobody") == NULL);
	mapd_acl_free(&a);
}

static void
test_load(void)
{
	struct mapd_acl a;
	char err[512];

	CHECK_EQ(mapd_acl_load("/nonexistent/acl", &a, err, sizeof(err)), -1);
	CHECK_STR(err, "/nonexistent/acl: No such file or directory");
	CHECK_EQ(mapd_acl_load("/dev/null", &a, err, sizeof(err)), 0);
	CHECK_EQ(a.n, 0);
	CHECK_STR(a.path, "/dev/null");
	mapd_acl_free(&a);
}

AW_TEST_MAIN(AW_TEST(test_parse_good), AW_TEST(test_parse_errors), AW_TEST(test_match),
             AW_TEST(test_check_register), AW_TEST(test_load))
