/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of aw_msg_fast.c (suite 'unit'): whatever the fast decoder of
 * service, register and deregister accepts, the general decoder (jansson tree + aw_msg_decode_json)
 * accepts too, with an equal message; listed plain ones take the fast path;
 * listed odd or malformed ones are declined and aw_msg_decode then answers as
 * the general decoder does (same message or same error). Then byte mutations
 * of valid lines (a fixed-seed generator, a bounded count) are checked the
 * same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_msg_priv.h"

static int failures;

#define CHECK(c)                                                                       \
	do {                                                                           \
		if (!(c)) {                                                            \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
			failures++;                                                    \
		}                                                                      \
	} while (0)

/* The general decoder alone: what aw_msg_decode did before aw_msg_fast.c. */
static int
general(const char *line, size_t len, struct aw_msg *m, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	int rc;

	memset(m, 0, sizeof(*m));
	if (root == NULL) {
		snprintf(err, errlen, "invalid JSON");
		return -1;
	}
	rc = aw_msg_decode_json(root, m, err, errlen);
	json_decref(root);
	return rc;
}

/* 1 when the fast path took line; checks it agrees with the general decoder. */
static int
agree(const char *line, size_t len)
{
	char e1[AW_MSG_ERRLEN] = "", e2[AW_MSG_ERRLEN] = "";
	struct aw_msg f, g, d;
	int fast = aw_msg_decode_fast(line, len, &f);
	int grc = general(line, len, &g, e2, sizeof(e2));
	int drc = aw_msg_decode(line, len, &d, e1, sizeof(e1));

	if (fast) {
		CHECK(grc == 0);
		CHECK(grc == 0 && aw_msg_equal(&f, &g));
		if (grc != 0 || !aw_msg_equal(&f, &g))
			fprintf(stderr, "  fast accepted: %.*s\n  general: %s\n", (int)len, line, e2);
	} else {
		static const struct aw_msg zero;

		CHECK(memcmp(&f, &zero, sizeof(f)) == 0); /* declined: nothing left */
	}
	CHECK(drc == grc);
	if (drc == 0 && grc == 0)
		CHECK(aw_msg_equal(&d, &g));
	else if (drc != 0 && strcmp(e2, "invalid JSON") != 0)
		CHECK(strcmp(e1, e2) == 0);
	aw_msg_free(&f);
	aw_msg_free(&g);
	aw_msg_free(&d);
	return fast;
}

static char sid_x[17], sid_y[17];

/* tmpl with its '$' replaced by sid. */
static size_t
fill(char *out, size_t cap, const char *tmpl, const char *sid)
{
	size_t n = 0;

	for (; *tmpl && n + 17 < cap; tmpl++) {
		if (*tmpl == '$') {
			memcpy(out + n, sid, 16);
			n += 16;
		} else {
			out[n++] = *tmpl;
		}
	}
	out[n] = '\0';
	return n;
}

#define HEAD "{\"op\":\"service\",\"version\":7,\"service\":\"asrs://x\",\"sid\":\"$\","
#define REG "{\"op\":\"register\",\"service\":\"asrs://x\",\"addr\":\"10.0.0.1\",\"port\":80,"
static const char *const fast_fmts[] = {
	HEAD "\"destinations\":[{\"addr\":\"10.0.0.1\",\"port\":80,\"priority\":0,\"weight\":5}]}",
	HEAD "\"destinations\":[]}",
	HEAD "\"destinations\":[{\"addr\":\"2001:db8::1\",\"port\":65535,\"priority\":65535,"
	     "\"weight\":65535},{\"weight\":0,\"port\":1,\"addr\":\"10.0.0.1\",\"priority\":1},"
	     "{\"addr\":\"10.0.0.1\",\"port\":2,\"priority\":1,\"weight\":1}]}",
	"{\"destinations\":[],\"sid\":\"$\",\"service\":\"asrs://x\",\"version\":0,"
	"\"op\":\"service\"}",
	" { \"op\" : \"service\" ,\t\"version\":922337203685477580,\r\n\"service\":\"asrs://x\","
	"\"sid\":\"$\", \"destinations\" : [ { \"addr\" : \"::1\" , \"port\" : 9 , "
	"\"priority\" : 0 , \"weight\" : 1 } ] } ",
	REG "\"priority\":0,\"weight\":1,\"ttl\":30}",
	"{\"ttl\":86400,\"weight\":65535,\"priority\":65535,\"port\":65535,"
	"\"addr\":\"2001:db8::1\",\"service\":\"asrs://y z\",\"op\":\"register\"}",
	"{\"op\":\"deregister\",\"service\":\"asrs://x\",\"addr\":\"::1\",\"port\":80}",
	"{\"op\":\"deregister\",\"service\":\"asrs://x\",\"addr\":\"10.0.0.1\",\"port\":1,"
	"\"ttl\":1,\"weight\":3}",
};

static const char *const declined_fmts[] = {
	/* valid, but not the plain form: the general decoder decides */
	"{\"op\":\"service\",\"version\":7,\"service\":\"asrs:\\/\\/x\",\"sid\":\"$\","
	"\"destinations\":[]}",
	"{\"op\":\"service\",\"version\":1000000000000000000,\"service\":\"asrs://x\","
	"\"sid\":\"$\",\"destinations\":[]}",
	"{\"op\":\"ser\\u0076ice\",\"version\":7,\"service\":\"asrs://x\",\"sid\":\"$\","
	"\"destinations\":[]}",
	/* malformed: the general decoder's error */
	HEAD "\"destinations\":[],\"destinations\":[]}",
	HEAD "\"destinations\":[],\"extra\":1}",
	"{\"op\":\"service\",\"service\":\"asrs://x\",\"sid\":\"$\",\"destinations\":[]}",
	HEAD "\"destinations\":[]}x",
	HEAD "\"destinations\":[]",
	HEAD "\"destinations\":[{\"addr\":\"10.0.0.1\",\"port\":80,\"priority\":0,\"weight\":5},"
	     "{\"addr\":\"10.0.0.1\",\"port\":80,\"priority\":1,\"weight\":5}]}",
	HEAD "\"destinations\":[{\"addr\":\"10.0.0.1\",\"port\":0,\"priority\":0,\"weight\":5}]}",
	HEAD "\"destinations\":[{\"addr\":\"10.0.0.1\",\"port\":65536,\"priority\":0,\"weight\":5}]}",
	HEAD "\"destinations\":[{\"addr\":\"10.0.0.1\",\"port\":80.0,\"priority\":0,\"weight\":5}]}",
	HEAD "\"destinations\":[{\"addr\":\"10.0.0.1\",\"port\":-1,\"priority\":0,\"weight\":5}]}",
	HEAD "\"destinations\":[{\"addr\":\"10.0.0.1\",\"port\":080,\"priority\":0,\"weight\":5}]}",
	HEAD "\"destinations\":[{\"addr\":\" 10.0.0.1\",\"port\":80,\"priority\":0,\"weight\":5}]}",
	HEAD "\"destinations\":[{\"addr\":\"10.0.0.256\",\"port\":80,\"priority\":0,\"weight\":5}]}",
	HEAD "\"destinations\":[{\"addr\":\"10.0.0.1\",\"port\":80,\"priority\":0}]}",
	HEAD "\"destinations\":[{\"addr\":\"10.0.0.1\",\"port\":80,\"port\":80,\"priority\":0,"
	     "\"weight\":5}]}",
	HEAD "\"destinations\":{}}",
	HEAD "\"destinations\":[1]}",
	"{\"op\":\"service\",\"version\":7,\"service\":\"asrs://x\",\"sid\":\"$\","
	"\"destinations\":[]}", /* sid_y given: does not match */
	"{\"op\":\"register\",\"service\":\"asrs://x\",\"addr\":\"10.0.0.1\",\"port\":80,"
	"\"priority\":0,\"weight\":1,\"ttl\":30,\"x\":\"$\"}",
	"{\"op\":\"service\",\"version\":7,\"service\":\"\",\"sid\":\"$\",\"destinations\":[]}",
	"{\"op\":\"service\",\"version\":7,\"service\":\"asrs://x\",\"sid\":\"5084b6e15a2223b\","
	"\"destinations\":[]}",
	REG "\"priority\":0,\"weight\":1}",
	REG "\"priority\":0,\"weight\":1,\"ttl\":0}",
	REG "\"priority\":0,\"weight\":1,\"ttl\":86401}",
	REG "\"priority\":0,\"weight\":1,\"ttl\":30,\"version\":1}",
	REG "\"priority\":0,\"weight\":1,\"ttl\":30,\"sid\":\"$\"}",
	REG "\"priority\":0,\"weight\":65536,\"ttl\":30}",
	REG "\"priority\":0,\"weight\":1,\"ttl\":30,\"port\":81}",
	"{\"op\":\"register\",\"service\":\"asrs://x\",\"addr\":\"10.0.0.1\",\"port\":0,"
	"\"priority\":0,\"weight\":1,\"ttl\":30}",
	"{\"op\":\"deregister\",\"service\":\"asrs://x\",\"addr\":\"::1\"}",
	"{\"op\":\"deregister\",\"service\":\"asrs://x\",\"addr\":\"::1\",\"port\":1,\"ttl\":0}",
	"{\"op\":\"deregister\",\"service\":\"asrs://x\",\"addr\":\"::1\",\"port\":1,"
	"\"destinations\":[]}",
	"{\"op\":\"deregister\",\"service\":\"asrs://x\",\"addr\":\"fe80::1%eth0\",\"port\":1}",
	"{\"op\":\"hello\",\"role\":\"subscriber\",\"name\":\"agent-1\"}",
	"{\"ok\":true}",
};

static void
table(void)
{
	char line[1024];

	for (size_t i = 0; i < sizeof(fast_fmts) / sizeof(fast_fmts[0]); i++) {
		fill(line, sizeof(line), fast_fmts[i], sid_x);
		CHECK(agree(line, strlen(line)) == 1);
	}
	for (size_t i = 0; i < sizeof(declined_fmts) / sizeof(declined_fmts[0]); i++) {
		fill(line, sizeof(line), declined_fmts[i], i == 20 ? sid_y : sid_x);
		int fast = agree(line, strlen(line));

		if (fast != 0)
			fprintf(stderr, "  declined_fmts[%zu] was taken by the fast path\n", i);
		CHECK(fast == 0);
	}
}

/* More destinations than allowed: declined, same error. */
static void
too_many(void)
{
	size_t cap = 64 * (AW_MSG_MAX_DESTS + 2) + 256, n;
	char *line = malloc(cap);

	CHECK(line != NULL);
	if (line == NULL)
		return;
	n = fill(line, cap, HEAD "\"destinations\":[", sid_x);
	for (uint32_t i = 0; i <= AW_MSG_MAX_DESTS; i++)
		n += (size_t)snprintf(line + n, cap - n,
				      "%s{\"addr\":\"10.0.%u.%u\",\"port\":80,\"priority\":0,"
				      "\"weight\":1}", i ? "," : "", i / 250, i % 250);
	snprintf(line + n, cap - n, "]}");
	CHECK(agree(line, strlen(line)) == 0);
	free(line);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* Fixed-seed mutations of the valid lines: replace, delete or insert a byte. */
static void
mutations(void)
{
	static const char alphabet[] = "0123456789abcdefABCDEF{}[]:,\" \\.-+eE:/x";
	char base[1024], line[1100];
	unsigned taken = 0;

	for (int it = 0; it < 60000; it++) {
		size_t i = (size_t)it % (sizeof(fast_fmts) / sizeof(fast_fmts[0])), n, pos;
		char b = alphabet[next() % (sizeof(alphabet) - 1)];

		fill(base, sizeof(base), fast_fmts[i], sid_x);
		n = strlen(base);
		memcpy(line, base, n + 1);
		pos = next() % n;
		switch (next() % 3) {
		case 0:
			line[pos] = b;
			break;
		case 1:
			memmove(line + pos, line + pos + 1, n - pos);
			n--;
			break;
		default:
			memmove(line + pos + 1, line + pos, n - pos + 1);
			line[pos] = b;
			n++;
		}
		taken += (unsigned)agree(line, n);
	}
	/* some mutants (a digit for a digit, whitespace) must still be taken */
	CHECK(taken > 100);
	printf("mutations: 60000 checked, %u taken by the fast path\n", taken);
}

int
main(void)
{
	aw_sid_format(aw_sid_from_uri("asrs://x", 8), sid_x, sizeof(sid_x));
	aw_sid_format(aw_sid_from_uri("asrs://y", 8), sid_y, sizeof(sid_y));
	table();
	too_many();
	mutations();
	if (failures) {
		fprintf(stderr, "%d checks failed\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
